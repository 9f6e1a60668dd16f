"""sf's stand-in for pip inside a test run: installs reach sf, not the network.

``pip install REQ ...`` and ``python -m pip install REQ ...`` (also ``-r FILE``) check each
requirement against the environment the script runs in. A satisfied one succeeds at once; one the
environment lacks is handled as SF_RUNTIME_INSTALLS says:

- ``prepare``: pip fails, and sf prepares the requirement and runs the script again;
- ``fail``: pip fails, and so does the test, naming the requirement;
- ``skip``: pip succeeds without installing anything, and sf lists it as a warning.

Every request is recorded as a JSON line in SF_INSTALLS_LOG. Other pip commands (list, show,
freeze, --version) run the real pip.
"""
import json
import os
import re
import sys

# Options that take a value, so that their value is not read as a requirement.
WITH_VALUE = {
    "-i", "--index-url", "--extra-index-url", "--trusted-host", "-f", "--find-links",
    "-c", "--constraint", "-t", "--target", "--prefix", "--root", "--cache-dir", "--log",
    "--proxy", "--timeout", "--retries", "--python", "--platform", "--python-version",
    "--implementation", "--abi", "--src", "--progress-bar", "--exists-action", "--cert",
    "--client-cert", "--upgrade-strategy", "--only-binary", "--no-binary", "--config-settings",
    "-C", "--global-option", "--install-option", "--report", "--python-path",
    "--root-user-action", "--hash", "--use-feature", "--use-deprecated", "--keyring-provider",
    "--extra-index", "--index",
}

REQUIREMENT = re.compile(
    r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*\(?([^;()]*)\)?\s*(;.*)?$"
)
VERSION = re.compile(
    r"^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)"
    r"(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d*))?"
    r"(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d*))?"
    r"(?:[-_.]?(dev)[-_.]?(\d*))?"
    r"(?:\+[a-z0-9.]*)?\s*$",
    re.IGNORECASE,
)
PRE = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}


def version_key(text):
    """A sortable key for a PEP 440 version, or None when it is not one."""
    m = VERSION.match(text)
    if not m:
        return None
    epoch = int(m.group(1) or 0)
    release = [int(x) for x in m.group(2).split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    pre = (PRE[m.group(3).lower()], int(m.group(4) or 0)) if m.group(3) else None
    post = int(m.group(5) or m.group(7) or 0) if (m.group(5) or m.group(6)) else None
    dev = int(m.group(9) or 0) if m.group(8) else None
    if pre is None and post is None and dev is not None:
        pre_key = (-1, 0)  # 1.0.dev1 comes before 1.0a1
    else:
        pre_key = pre if pre is not None else (3, 0)
    return (
        epoch,
        tuple(release),
        pre_key,
        post if post is not None else -1,
        dev if dev is not None else float("inf"),
    )


def release_of(text):
    m = VERSION.match(text)
    return [int(x) for x in m.group(2).split(".")] if m else None


def prefix_match(installed, pattern):
    """``==1.7.*``: the release starts with 1.7."""
    have, want = release_of(installed), release_of(pattern)
    if have is None or want is None:
        return False
    have = have + [0] * max(0, len(want) - len(have))
    return have[: len(want)] == want


def holds(installed, clause):
    clause = clause.strip()
    if not clause:
        return True
    m = re.match(r"^(===|~=|==|!=|<=|>=|<|>)\s*(.+)$", clause)
    if not m:
        return False
    op, wanted = m.group(1), m.group(2).strip()
    if op == "===":
        return installed == wanted
    if op in ("==", "!=") and wanted.endswith(".*"):
        match = prefix_match(installed, wanted[:-2])
        return match if op == "==" else not match
    have, want = version_key(installed), version_key(wanted)
    if have is None or want is None:
        return False
    if op == "~=":
        release = release_of(wanted)
        compatible = ".".join(str(x) for x in release[:-1]) if len(release) > 1 else wanted
        return have >= want and prefix_match(installed, compatible)
    return {
        "==": have == want,
        "!=": have != want,
        "<=": have <= want,
        ">=": have >= want,
        "<": have < want,
        ">": have > want,
    }[op]


def installed_version(name):
    from importlib import metadata

    for candidate in (name, name.replace("_", "-"), name.replace("-", "_")):
        try:
            return metadata.version(candidate)
        except Exception:  # noqa: BLE001 - not installed under this spelling
            pass
    return None


def marker_holds(marker):
    """Whether an environment marker (``python_version < "3.8"``) holds here; an expression this
    small evaluator does not know counts as holding, as pip would then try to install it."""
    import platform

    values = {
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "python_full_version": platform.python_version(),
        "sys_platform": sys.platform,
        "platform_system": platform.system(),
        "platform_machine": platform.machine(),
        "os_name": os.name,
        "implementation_name": sys.implementation.name,
    }
    clauses = re.split(r"\s+and\s+", marker.strip())
    for clause in clauses:
        m = re.match(r"^\s*(\w+)\s*(===|~=|==|!=|<=|>=|<|>|not in|in)\s*['\"]([^'\"]*)['\"]\s*$", clause)
        if not m or m.group(1) not in values or " or " in clause:
            return True
        have, op, want = values[m.group(1)], m.group(2), m.group(3)
        if m.group(1).startswith("python"):
            ok = holds(have, op + want) if op not in ("in", "not in") else (have in want) == (op == "in")
        elif op in ("==", "!="):
            ok = (have == want) == (op == "==")
        elif op in ("in", "not in"):
            ok = (have in want) == (op == "in")
        else:
            return True
        if not ok:
            return False
    return True


def check(raw):
    """The record of one requirement: whether the environment satisfies it; ``None`` when its
    marker says it does not apply here."""
    m = REQUIREMENT.match(raw)
    if m and m.group(4) and not marker_holds(m.group(4)[1:]):
        return None
    if not m:
        # A path, a URL, an editable: nothing sf can check.
        return {"requirement": raw, "name": None, "installed": None, "satisfied": False}
    name, spec = m.group(1), m.group(3)
    installed = installed_version(name)
    satisfied = installed is not None and all(holds(installed, c) for c in spec.split(","))
    # Recorded without its marker (it applies here), extras kept.
    requirement = (name + (m.group(2) or "") + spec.strip()).strip()
    return {"requirement": requirement, "name": name, "installed": installed, "satisfied": satisfied}


def read_requirements(path, seen=None):
    seen = seen if seen is not None else set()
    path = os.path.abspath(path)
    if path in seen:
        return []
    seen.add(path)
    found = []
    with open(path, encoding="utf-8") as f:
        # Lines continued with a backslash are one line; hashes and per-line options are not
        # requirements.
        text = re.sub(r"\\\r?\n", " ", f.read())
        for line in text.splitlines():
            line = line.split(" #")[0].strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith(("-r ", "--requirement ")):
                nested = line.split(None, 1)[1].strip()
                found += read_requirements(os.path.join(os.path.dirname(path), nested), seen)
                continue
            line = re.sub(r"\s--?[a-z][a-z-]*(=\S+|\s+\S+)?", "", " " + line).strip()
            if line and not line.startswith("-"):
                found.append(line)
    return found


def requirements_of(args):
    found, i = [], 0
    while i < len(args):
        arg = args[i]
        if arg in ("-r", "--requirement") and i + 1 < len(args):
            found += read_requirements(args[i + 1])
            i += 2
            continue
        if arg.startswith("--requirement="):
            found += read_requirements(arg.split("=", 1)[1])
        elif arg in WITH_VALUE or arg in ("-e", "--editable"):
            i += 1
        elif not arg.startswith("-"):
            found.append(arg)
        i += 1
    return found


def real_pip(argv):
    shim = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != shim]
    for name in [m for m in sys.modules if m == "pip" or m.startswith("pip.")]:
        del sys.modules[name]
    import runpy

    sys.argv = ["pip"] + argv
    runpy.run_module("pip", run_name="__main__", alter_sys=True)


def main(argv):
    command, i = None, 0
    while i < len(argv):
        if argv[i] in WITH_VALUE:
            i += 2
            continue
        if not argv[i].startswith("-"):
            command = argv[i]
            break
        i += 1
    if command != "install":
        return real_pip(argv)
    mode = os.environ.get("SF_RUNTIME_INSTALLS", "prepare")
    records = [r for r in (check(r) for r in requirements_of(argv[i + 1:])) if r is not None]
    log = os.environ.get("SF_INSTALLS_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as f:
            for record in records:
                f.write(json.dumps(dict(record, mode=mode)) + "\n")
    missing = [r["requirement"] for r in records if not r["satisfied"]]
    for r in records:
        if r["satisfied"]:
            print(f"Requirement already satisfied: {r['requirement']} ({r['name']} {r['installed']}; sf)")
    if not missing:
        return 0
    listed = ", ".join(missing)
    if mode == "skip":
        print(f"sf: not installing {listed} (runtime_installs = \"skip\"): the run goes on without it",
              file=sys.stderr)
        return 0
    if mode == "fail":
        print(f"sf: {listed} is not in the script's environment and runtime_installs = \"fail\": "
              f"declare it (requirements = [...] in sf.toml)", file=sys.stderr)
        return 1
    print(f"sf: {listed} is not in the script's environment yet: sf prepares it and runs the "
          f"script again", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
