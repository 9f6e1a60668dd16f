"""sf's runner for python-main scripts.

Usage: SF_REPORT_FD=N python runner.py SCRIPT CONTEXT_JSON [MODULE IMPORT_ROOT]

Imports SCRIPT under a unique module name (so its ``__main__`` block does not run), calls its
``main`` with the execution context, and writes the outcome, as one JSON document, to the pipe
whose write end is descriptor N. sf reads that pipe; it never scrapes stderr, and no file the
script could replace is involved.
"""
import argparse
import importlib.util
import inspect
import json
import math
import os
import re
import sys
import traceback

RUNNER_FILE = os.path.realpath(__file__)
# Frames of the import machinery (importlib.import_module) are sf's, not the script's.
IMPORTLIB_DIR = os.path.realpath(os.path.dirname(importlib.__file__))
# What a report keeps of an exception's message and traceback: the head and the tail.
MESSAGE_LIMIT = 8 * 1024
TRACEBACK_LIMIT = 32 * 1024
CANONICAL = ("input_paths", "output_paths", "environ_vars", "job_args", "logger")


# The report pipe sf handed over; taken out of the environment before the script runs, and not
# passed on to the programs it starts.
REPORT_FD = int(os.environ.pop("SF_REPORT_FD", "-1"))
if REPORT_FD >= 0:
    os.set_inheritable(REPORT_FD, False)
# A report always fits the pipe's smallest size, so writing it never waits for sf.
REPORT_LIMIT = 60 * 1024


def write_report(payload):
    data = json.dumps(payload).encode("utf-8")
    if len(data) > REPORT_LIMIT:
        # The environment is a note: it goes first. Escaped unicode can make a bounded message
        # long: then keep less of it.
        payload.pop("environment", None)
        for key, keep in (("traceback", 4 * 1024), ("message", 2 * 1024)):
            if isinstance(payload.get(key), str):
                payload[key] = bounded(payload[key], keep)
        data = json.dumps(payload).encode("utf-8")[:REPORT_LIMIT]
    view = memoryview(data)
    while view:
        view = view[os.write(REPORT_FD, view):]
    os.close(REPORT_FD)


# What a report keeps of main's return value: a JSON summary of at most this many bytes.
RETURN_LIMIT = 8 * 1024
# Nesting a summary goes into before showing what is deeper as its repr.
RETURN_DEPTH = 8
# The most values (containers and leaves) a summary looks at.
RETURN_VALUES = 5000


def cut(text, limit):
    """`text` as JSON can carry it (lone surrogates escaped), with what is past `limit`
    characters cut and counted."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} characters cut)"


def repr_of(value):
    try:
        return repr(value)
    except BaseException as failed:  # noqa: BLE001 - a __repr__ that raises must not lose the report
        return f"<{type(value).__name__} whose repr raised {type(failed).__name__}>"


def to_json(value, items, text, depth, budget):
    # However the value nests (a list holding itself 100 times over, 8 deep), a bounded number
    # of values is looked at.
    budget[0] -= 1
    if budget[0] < 0:
        return "… (more values cut)"
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if -(2**63) <= value < 2**64:
            return int(value)
        return f"<int of {value.bit_length()} bits>"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return float(value)
    if isinstance(value, str):
        return cut(value, text)
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        # A NumPy scalar (np.float64(0.91)) is the number it holds.
        try:
            return to_json(value.item(), items, text, depth + 1, budget)
        except BaseException:  # noqa: BLE001
            pass
    if depth < RETURN_DEPTH and isinstance(value, dict):
        out = {}
        for i, (k, v) in enumerate(value.items()):
            if i == items:
                out["…"] = f"{len(value) - items} more keys cut"
                break
            key = cut(k if isinstance(k, str) else repr_of(k), text)
            out[key] = to_json(v, items, text, depth + 1, budget)
        return out
    if depth < RETURN_DEPTH and isinstance(value, (list, tuple)):
        out = [to_json(v, items, text, depth + 1, budget) for v in value[:items]]
        if len(value) > items:
            out.append(f"… {len(value) - items} more items cut")
        return out
    return cut(repr_of(value), text)


def summarize(value):
    """main's return value as JSON of at most RETURN_LIMIT bytes: fewer items and shorter text
    until it fits."""
    try:
        for items, text in ((100, 1024), (20, 200), (5, 40)):
            summary = to_json(value, items, text, 0, [RETURN_VALUES])
            if len(json.dumps(summary).encode("utf-8")) <= RETURN_LIMIT:
                return summary
        return f"<{type(value).__name__} too large to summarize in {RETURN_LIMIT} bytes>"
    except BaseException as failed:  # noqa: BLE001 - the return value must not lose the report
        return f"<the return value could not be summarized: {type(failed).__name__}>"


def format_traceback(exc):
    te = traceback.TracebackException.from_exception(exc)
    te.stack = traceback.StackSummary.from_list(
        [
            f for f in te.stack
            if not f.filename.startswith("<frozen ")
            and os.path.realpath(f.filename) != RUNNER_FILE
            and os.path.dirname(os.path.realpath(f.filename)) != IMPORTLIB_DIR
        ]
    )
    return "".join(te.format())


def bounded(text, limit):
    """Text any JSON reader accepts (lone surrogates, as os.listdir returns for names that are
    not UTF-8, become backslash escapes), at most about `limit` characters: the head and the
    tail, with what was cut in between."""
    if text is None:
        return None
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n... ({len(text) - 2 * half} characters cut) ...\n{text[-half:]}"


def safe_traceback(exc):
    try:
        return format_traceback(exc)
    except BaseException as failed:  # noqa: BLE001 - a traceback that cannot be formatted must not lose the report
        return f"<the traceback could not be formatted: {type(failed).__name__}>"


def error(kind, exc=None, type_name=None, message=None, exit_code=1):
    try:
        text = message if message is not None else str(exc)
    except BaseException as failed:  # noqa: BLE001 - a __str__ that raises must not lose the report
        text = f"<the exception's message could not be read: {type(failed).__name__}>"
    return {
        "status": "error",
        "kind": kind,
        "type": bounded(type_name or type(exc).__name__, MESSAGE_LIMIT),
        "message": bounded(text, MESSAGE_LIMIT),
        "traceback": bounded(safe_traceback(exc), TRACEBACK_LIMIT) if exc is not None else None,
        "exit_code": exit_code,
    }


class Logger:
    """Passed as ``logger`` when main requires one: callable like print, and a logging.Logger."""

    def __init__(self, name):
        import logging

        self._log = logging.getLogger(name)

    def __call__(self, message, *args):
        print(message % args if args else message, file=sys.stderr, flush=True)

    def __getattr__(self, name):
        return getattr(self._log, name)


def bind(main, context, namespace, script_name):
    values = {
        "input_paths": dict(context["input_paths"]),
        "output_paths": dict(context["output_paths"]),
        "environ_vars": dict(context["environ_vars"]),
        "job_args": namespace,
        "logger": Logger(script_name),
    }
    try:
        sig = inspect.signature(main)
    except (TypeError, ValueError):
        return (), {k: values[k] for k in CANONICAL[:4]}
    params = [
        p for p in sig.parameters.values()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    expected = "main(input_paths, output_paths, environ_vars, job_args)"
    if not params:
        raise TypeError(
            f"main{sig} takes no parameters; sf calls {expected} "
            "(use the command adapter for scripts that read sys.argv)"
        )
    if any(p.name in values for p in params):
        args, kwargs = [], {}
        unknown = []
        for p in params:
            if p.name in values:
                # Optional parameters such as logger=None keep their defaults.
                if p.default is not p.empty and p.name == "logger":
                    continue
                if p.kind == p.POSITIONAL_ONLY:
                    args.append(values[p.name])
                else:
                    kwargs[p.name] = values[p.name]
            elif p.default is p.empty:
                unknown.append(p.name)
        if unknown:
            raise TypeError(
                f"main{sig} requires parameters sf cannot fill: {', '.join(unknown)}; "
                f"sf calls {expected}"
            )
        return args, kwargs
    # No familiar names (main(inputs, outputs, env, args)): pass the context by position.
    required = [p for p in params if p.default is p.empty]
    if len(required) > 4 or any(p.kind == p.KEYWORD_ONLY for p in required):
        raise TypeError(f"main{sig} cannot be called as {expected}")
    count = max(len(required), min(len(params), 4))
    return [values[k] for k in CANONICAL[:count]], {}


def load(script, module_name, import_root):
    """Imports the script: from its file under a unique name, or, with an import root, by its
    dotted name, so that its package and relative imports are the real ones."""
    if import_root is not None:
        sys.path.insert(0, import_root)
        module = importlib.import_module(module_name)
        loaded = os.path.realpath(getattr(module, "__file__", None) or "")
        if loaded != os.path.realpath(script):
            # Another package of that name (an installed copy) came first: that is not the
            # script under test.
            raise ImportError(
                f"import_root: `{module_name}` was imported from {loaded or 'nowhere'}, not from "
                f"{script}; another package called `{module_name.split('.')[0]}` comes first on "
                f"sys.path (give the folder an __init__.py, or uninstall the other copy)"
            )
        return module
    sys.path.insert(0, os.path.dirname(script))
    spec = importlib.util.spec_from_file_location(module_name, script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def run(script, context_file, dotted=None, import_root=None):
    with open(context_file, encoding="utf-8") as f:
        context = json.load(f)
    script = os.path.abspath(script)
    stem = os.path.splitext(os.path.basename(script))[0]
    module_name = dotted or "sf_script_" + re.sub(r"\W", "_", stem) + f"_{os.getpid()}"
    sys.argv = [script]

    try:
        module = load(script, module_name, import_root)
    except SyntaxError as exc:
        return error("syntax_error", exc)
    except ImportError as exc:
        return error("import_error", exc)
    except SystemExit as exc:
        return error("import_failed", exc, message=f"sys.exit({exc.code!r}) while importing the script")
    except BaseException as exc:  # noqa: BLE001 - everything the script raises is reported
        return error("import_failed", exc)

    main = getattr(module, "main", None)
    if not callable(main):
        functions = sorted(
            n for n, v in vars(module).items()
            if inspect.isfunction(v) and v.__module__ == module_name
        )
        found = f"; functions found: {', '.join(functions)}" if functions else ""
        return error("no_main", type_name="NoMainFunction",
                     message=f"{os.path.basename(script)} defines no main() function{found}")

    job_args = {k.replace("-", "_"): v for k, v in context.get("job_args", {}).items()}
    try:
        args, kwargs = bind(main, context, argparse.Namespace(**job_args), stem)
    except TypeError as exc:
        return error("bad_signature", type_name="BadSignature", message=str(exc))

    try:
        returned = main(*args, **kwargs)
        if inspect.isawaitable(returned):
            # `async def main`: production awaits it, so the body has to run here too.
            import asyncio

            async def awaited():
                return await returned

            returned = asyncio.run(awaited())
    except SystemExit as exc:
        code = exc.code
        if code is None or code == 0:
            return {"status": "ok", "note": "main called sys.exit(0)"}
        exit_code = code if isinstance(code, int) and 0 < code < 256 else 1
        return error("system_exit", exc, message=f"main called sys.exit({code!r})", exit_code=exit_code)
    except BaseException as exc:  # noqa: BLE001
        return error("exception", exc)
    return {"status": "ok", "returned": summarize(returned)}


def environment():
    """The interpreter, and the version each third-party top-level module the script imported
    declares (``__version__``): free to read, unlike a scan of the installed distributions."""
    seen = {"python": sys.executable, "version": sys.version.split()[0], "packages": {}}
    stdlib = getattr(sys, "stdlib_module_names", ())
    for name, module in sorted(list(sys.modules.items())):
        if "." in name or name in stdlib or name.startswith(("_", "sf_script_")):
            continue
        try:
            version = getattr(module, "__version__", None)
        except BaseException:  # noqa: BLE001 - a module's __getattr__ must not lose the report
            continue
        if isinstance(version, str) and len(version) < 64:
            seen["packages"][name] = version
    return seen


if __name__ == "__main__":
    outcome = run(*sys.argv[1:5])
    try:
        outcome["environment"] = environment()
    except BaseException:  # noqa: BLE001 - the environment is a note, never the verdict
        pass
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - a closed stream must not lose the report
        pass
    write_report(outcome)
    sys.exit(0 if outcome["status"] == "ok" else outcome.get("exit_code", 1))
