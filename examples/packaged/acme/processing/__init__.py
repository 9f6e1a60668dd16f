"""A module of the package that a script imports relatively."""

SUFFIX = "-processed"


def tag(name):
    return name + SUFFIX
