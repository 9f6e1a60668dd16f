"""A processing script that lives in a package and imports a sibling module relatively."""
import os

from ...processing import tag


def main(input_paths, output_paths, environ_vars, job_args):
    with open(os.path.join(output_paths["output"], "tagged.txt"), "w") as f:
        f.write(tag(__name__))


if __name__ == "__main__":
    raise SystemExit("the __main__ block must not run under sf")
