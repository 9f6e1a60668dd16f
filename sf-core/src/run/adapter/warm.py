"""sf's warm interpreter for python-main scripts.

Usage: SF_WARM_FD=N python warm.py SCRIPT [IMPORT_ROOT [LEARN]]

LEARN `0` turns learned imports off (see below).

Imports, once, the installed modules SCRIPT imports (pandas, sklearn, ...), never the script
itself nor anything beside it, then serves cases sent by sf over the socket N, one at a time:

    warm interpreter ── G  (unshares a user, mount, PID and IPC namespace; private /tmp, /dev/shm)
                         └── I  PID 1 of the case (mounts its /proc, reaps, ends the rest)
                              └── S  the case: Landlock, capabilities cut, own session, then
                                     sf's runner.py exactly as a fresh interpreter would run it

S runs the script from its file: its module-level code runs in every case, with the case's
environment and arguments; only the imports it finds already loaded are warm. Nothing a case does
reaches the warm interpreter or the next case: each is a fork of the interpreter as it was after
warm-up. Each message is one JSON document; a case request carries three descriptors (stdout,
stderr, report pipe), all of them sf's.
"""
import ast
import ctypes
import importlib.util
import json
import os
import signal
import socket
import sys
import threading

# Taken before any import of the script's can change them.
_fork, _exit, _waitpid, _close, _write, _read = os.fork, os._exit, os.waitpid, os.close, os.write, os.read
ORIGINAL_PATH = list(sys.path)[1:]
# The entries PYTHONPATH put there: a case gets its own PYTHONPATH's instead.
STARTUP_PYTHONPATH = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWIPC = 0x20000, 0x10000000, 0x20000000, 0x08000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
OPEN_TREE_CLONE, AT_RECURSIVE, MOVE_MOUNT_F_EMPTY_PATH = 1, 0x8000, 4
AT_FDCWD = -100
SYS_OPEN_TREE, SYS_MOVE_MOUNT = 428, 429
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 38, 24, 47, 4
PR_SET_PDEATHSIG, PR_SET_DUMPABLE = 1, 4

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def check(result, what):
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def mount(source, target, fstype, flags, data):
    enc = lambda s: None if s is None else os.fsencode(s)  # noqa: E731
    check(libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


# --- warm-up ---------------------------------------------------------------------------------

def imported_names(script):
    """Absolute module names the script imports anywhere (top-level packages first)."""
    with open(script, "rb") as f:
        tree = ast.parse(f.read(), script)
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    seen = []
    for name in names:
        if name != "__future__" and name not in seen:
            seen.append(name)
    return seen


def outside(path, folders):
    real = os.path.realpath(path)
    return not any(real == f or real.startswith(f + os.sep) for f in folders)


def warm_up(script, import_root):
    """Imports what the script imports, when it is installed (not the script's own folder or
    import root: that is the script's code, which runs per case)."""
    folders = [os.path.realpath(os.path.dirname(script))]
    if import_root:
        folders.append(os.path.realpath(import_root))
    loaded, skipped = [], []
    try:
        names = imported_names(script)
    except (OSError, SyntaxError, ValueError) as exc:
        return loaded, [f"the script cannot be read: {exc}"]
    # As the runner will look: the script's folder (or import root) first.
    sys.path[:0] = folders
    try:
        for name in names:
            warm_one(name, folders, loaded, skipped)
    finally:
        del sys.path[: len(folders)]
    return loaded, skipped


def local_names(folders):
    """Top-level module names the script's folder and import root define themselves."""
    names = set()
    for folder in folders:
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        for entry in entries:
            stem, ext = os.path.splitext(entry)
            if ext in (".py", ".pyc", ".so", ".pyd") or (not ext and os.path.isdir(os.path.join(folder, entry))):
                names.add(stem.split(".")[0])
    return names


def shadowed(folders):
    """Modules loaded by now that are the script's own (loaded from its folder, through an
    installed module's import: they must run per case), or that its folder defines too (the
    script would import its own; the warm interpreter has another)."""
    local = local_names(folders)
    own = [os.path.dirname(os.path.realpath(__file__))]
    found = []
    for name, module in list(sys.modules.items()):
        if name == "__main__":
            continue
        try:
            path = getattr(module, "__file__", None) or ""
        except BaseException:  # noqa: BLE001 - a module's __getattr__ must not end the warm-up
            path = ""
        if path and not outside(path, own):
            continue
        if path and not outside(path, folders):
            found.append(name)
        elif "." not in name and name in local:
            found.append(name)
    return sorted(found)


def warm_one(name, folders, loaded, skipped):
    """Imports `name` when it is installed (found outside the script's folders)."""
    try:
        spec = importlib.util.find_spec(name.split(".")[0])
    except BaseException:  # noqa: BLE001 - a module that cannot be found is the case's problem
        spec = None
    origin = getattr(spec, "origin", None) or ""
    locations = list(getattr(spec, "submodule_search_locations", None) or [])
    if spec is None or not all(outside(p, folders) for p in [origin, *locations] if p and p not in ("built-in", "frozen")):
        skipped.append(name)
        return
    try:
        __import__(name)
        loaded.append(name)
    except BaseException:  # noqa: BLE001 - the case meets the same failure, and reports it
        skipped.append(name)


def openblas_workers():
    """Worker threads of the OpenBLAS pools loaded (numpy's, scipy's): OpenBLAS shuts its pool
    down before a fork and starts it again in the child, so they do not make forking unsafe."""
    seen, total = set(), 0
    try:
        maps = open("/proc/self/maps").read().splitlines()
    except OSError:
        return 0
    for line in maps:
        path = line.split()[-1] if "/" in line else ""
        if "openblas" not in os.path.basename(path) or path in seen:
            continue
        seen.add(path)
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in ("openblas_get_num_threads", "openblas_get_num_threads64_",
                     "scipy_openblas_get_num_threads", "scipy_openblas_get_num_threads64_"):
            get = getattr(lib, name, None)
            if get is not None:
                total += max(get() - 1, 0)
                break
    return total


def jemalloc_threads():
    """jemalloc's background threads (pyarrow's allocator, started when pandas imports it):
    jemalloc's own fork handlers stop them before a fork and the child starts its own when it
    needs them, so they do not make forking unsafe."""
    count = 0
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return 0
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/comm") as f:
                count += f.read().strip() == "jemalloc_bg_thd"
        except OSError:
            continue
    return count


def threads():
    """Threads that would be lost in a fork with whatever they hold: Python threads, and native
    threads other than OpenBLAS's workers and jemalloc's background threads."""
    try:
        native = len(os.listdir("/proc/self/task")) - 1
    except OSError:
        native = 0
    python = threading.active_count() - 1
    return max(python, native - openblas_workers() - jemalloc_threads()) + 1


# --- one case --------------------------------------------------------------------------------

def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[_write(fd, view):]


def read_all(fd):
    chunks = []
    while True:
        chunk = _read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def isolate_namespaces(took):
    """In G, before any case is known: the case's own user, mount, PID and IPC namespaces."""
    uid, gid = os.geteuid(), os.getegid()
    check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC), "unshare")
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1\n")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1\n")
    took["namespaces"] = True
    mount(None, "/", None, MS_REC | MS_PRIVATE, None)


def isolate_mounts(req, took):
    """In G, once the case is known: its private /tmp and /dev/shm, and its writable folders."""
    if req.get("private_tmp"):
        kept = []
        for entry, is_dir in req.get("tmp_entries", []):
            fd = libc.syscall(SYS_OPEN_TREE, AT_FDCWD, os.fsencode(entry), OPEN_TREE_CLONE | AT_RECURSIVE | os.O_CLOEXEC)
            kept.append((entry, is_dir, check(fd, f"open_tree {entry}")))
        opts = "mode=1777" + (f",size={req['tmpfs_bytes']}" if req.get("tmpfs_bytes") else "")
        mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, opts)
        for entry, is_dir, fd in kept:
            if is_dir:
                os.makedirs(entry, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(entry), exist_ok=True)
                _close(os.open(entry, os.O_CREAT | os.O_WRONLY, 0o600))
            check(libc.syscall(SYS_MOVE_MOUNT, fd, b"", AT_FDCWD, os.fsencode(entry), MOVE_MOUNT_F_EMPTY_PATH), f"move_mount {entry}")
            _close(fd)
        took["tmp"] = True
    if req.get("private_shm") and os.path.isdir("/dev/shm"):
        mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
        took["shm"] = True
    # Writes at the mount level too: the case's own folders stay writable, the rest of the
    # folder the warm interpreter may write under becomes read-only.
    for path in req.get("writable", []):
        mount(path, path, None, MS_BIND | MS_REC, None)
    for path in req.get("read_only", []):
        mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, None)


LANDLOCK_SCOPE_SIGNAL = 2


def landlock(rules, handled, abi):
    """Write rights under `rules` only; from ABI 6, no signal to a process outside the case's
    domain (its PID 1, say), as a cold run's ruleset does."""
    class Attr(ctypes.Structure):
        _fields_ = [("handled_access_fs", ctypes.c_uint64)]

    class ScopedAttr(ctypes.Structure):
        _fields_ = [
            ("handled_access_fs", ctypes.c_uint64),
            ("handled_access_net", ctypes.c_uint64),
            ("scoped", ctypes.c_uint64),
        ]

    class Beneath(ctypes.Structure):
        _pack_ = 1
        _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]

    attr = ScopedAttr(handled, 0, LANDLOCK_SCOPE_SIGNAL) if abi >= 6 else Attr(handled)
    ruleset = check(libc.syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.sizeof(attr), 0), "landlock")
    for path, access in rules:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        rule = Beneath(access & handled, fd)
        libc.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH, ctypes.byref(rule), 0)
        _close(fd)
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    check(libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0), "landlock_restrict_self")
    _close(ruleset)


def drop_capabilities(keep):
    """Only `keep` (Docker's default set for root, nothing otherwise) survives, in every set."""
    for cap in range(64):
        if cap not in keep:
            libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    mask = sum(1 << c for c in keep)
    data = (Data * 2)(Data(mask & 0xFFFFFFFF, mask & 0xFFFFFFFF, 0), Data(mask >> 32, mask >> 32, 0))
    check(libc.capset(ctypes.byref(Header(0x20080522, 0)), data), "capset")


def script_process(req, out_w, err_w, rep_w, ready_w, done_w, hold_r):
    """S: becomes the case (and says so on `ready_w`, or why not), then runs sf's runner as
    `python runner.py ...` would."""
    try:
        os.setsid()
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        keep = {0, 1, 2, rep_w, ready_w, done_w, hold_r}
        if LEARN_W is not None:
            keep.add(LEARN_W)
        for fd in [int(n) for n in os.listdir("/proc/self/fd")]:
            if fd not in keep:
                try:
                    _close(fd)
                except OSError:
                    pass
        os.set_inheritable(rep_w, False)
        ll = req.get("landlock")
        if ll:
            landlock(ll["rules"], ll["handled"], ll.get("abi", 1))
        drop_capabilities(req.get("capabilities", []))
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        os.environ["SF_REPORT_FD"] = str(rep_w)
        # What a fresh interpreter would have computed from this environment and arguments.
        argv = req["argv"]
        sys.argv = list(argv[1:])
        sys.path[:] = case_path(argv[1], req["env"].get("PYTHONPATH", ""))
    except BaseException as exc:  # noqa: BLE001 - sf runs this case cold instead
        write_all(ready_w, f"the case could not be set up: {type(exc).__name__}: {exc}".encode())
        _exit(127)
    write_all(ready_w, b"1")
    _close(ready_w)
    reseed()
    # The frames above the runner here are sf's: the script gets the depth a fresh interpreter
    # would give it.
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    sys.setrecursionlimit(sys.getrecursionlimit() + depth + 1)
    code = 0
    baseline = set(sys.modules)
    learn_pipe = pipe_identity(LEARN_W)
    try:
        run_main(argv[1])
    except SystemExit as exc:
        code = exc.code
    except BaseException:  # noqa: BLE001 - as the interpreter would: traceback, status 1
        sys.excepthook(*sys.exc_info())
        code = 1
    # As the interpreter ends: non-daemon threads first, then the atexit handlers.
    try:
        import threading as _threading

        _threading._shutdown()
    except BaseException:  # noqa: BLE001
        pass
    try:
        import atexit

        atexit._run_exitfuncs()
    except BaseException:  # noqa: BLE001
        pass
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - as the interpreter: a failed flush is status 120
            if code == 0:
                code = 120
    report_learned(baseline, learn_pipe)
    # The case's output is complete, and its PID 1 learns the status before the teardown.
    for fd in (0, 1, 2):
        try:
            _close(fd)
        except OSError:
            pass
    try:
        os.write(done_w, str(code & 0xFF).encode())
        # PID 1 ends this process once it has counted what it left.
        _read(hold_r, 1)
    except OSError:
        pass
    _exit(code & 0xFF)


# --- learned imports ---------------------------------------------------------------------
#
# A case may import, lazily, submodules of the packages warm-up loaded (scikit-learn's `fit`
# imports some twenty). The case tells the warm interpreter their names; the interpreter imports
# those that are installed submodules of packages it already loaded (tried first in a throwaway
# fork, which must start no thread or process and leave no descriptor open), so the next case
# finds them loaded. What the case says is only a list of names, checked here: it cannot make the
# interpreter load anything that is not installed beside a package warm-up loaded.

# The write end of the current case's learn pipe (in G, I and S), or None.
LEARN_W = None
LEARN_NAMES, LEARN_BYTES = 2000, 60000
# How long a trial import may take, and a whole round of learning (trials one by one included),
# before learning stops for this interpreter.
LEARN_TRIAL_SECONDS, LEARN_ROUND_SECONDS = 10.0, 20.0


def drop_learn_pipe():
    """G and I: the case (S) holds the learn pipe; they do not."""
    global LEARN_W
    if LEARN_W is not None:
        try:
            _close(LEARN_W)
        except OSError:
            pass
        LEARN_W = None


def pipe_identity(fd):
    try:
        st = os.fstat(fd) if fd is not None else None
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if st is not None else None


def report_learned(baseline, identity):
    """S: the names of the modules this case imported that belong to packages loaded before it
    ran, written once to the learn pipe (when it is still the pipe it was: a script may have
    closed it and opened a file of its own under its number)."""
    global LEARN_W
    fd, LEARN_W = LEARN_W, None
    if fd is None:
        return
    try:
        if identity is not None and pipe_identity(fd) == identity:
            names = [n for n in list(sys.modules) if n not in baseline and n.split(".")[0] in baseline]
            data = json.dumps(names[:LEARN_NAMES]).encode()
            if len(data) <= LEARN_BYTES:
                os.set_blocking(fd, False)
                os.write(fd, data)
    except BaseException:  # noqa: BLE001 - learning is an optimisation; the case's end is not
        pass
    try:
        _close(fd)
    except OSError:
        pass


def installed_origin(spec, folders):
    """Whether a module spec's files are installed: under the interpreter's own path, outside
    the script's folders."""
    origin = getattr(spec, "origin", None) or ""
    paths = [p for p in [origin, *list(getattr(spec, "submodule_search_locations", None) or [])]
             if p and p not in ("built-in", "frozen")]
    if not paths:
        return origin in ("built-in", "frozen")
    roots = [os.path.realpath(p) for p in ORIGINAL_PATH if p]
    return all(outside(p, folders) and not outside(p, roots) for p in paths)


class Learner:
    """The warm interpreter's side of learned imports."""

    def __init__(self, folders, roots):
        self.folders = folders
        # Top-level packages the script's own imports loaded at warm-up: only their submodules
        # are learned (not those of what sf's warm interpreter and runner load for themselves).
        self.roots = roots
        self.learned = []
        self.refused = set()
        self.off = None  # why learning stopped
        self.unsafe = None  # why the interpreter may no longer be forked
        self.budget = 0.0  # when this round of learning must end (time.monotonic())

    def candidates(self, data):
        try:
            names = json.loads(data) if data else []
        except ValueError:
            return []
        if not isinstance(names, list):
            return []
        chosen = []
        for name in names[:LEARN_NAMES]:
            if not isinstance(name, str) or name in sys.modules or name in self.refused:
                continue
            parts = name.split(".")
            if len(parts) < 2 or not all(p.isidentifier() for p in parts) or "__main__" in parts:
                # Only submodules (never a package's `__main__`, which runs a command line): a
                # top-level module warm-up did not load is not learned.
                continue
            parent = name.rpartition(".")[0]
            if parts[0] not in self.roots or parts[0] not in sys.modules or (
                    parent not in sys.modules and parent not in chosen):
                continue
            chosen.append(name)
        return chosen

    def importable(self, names):
        """The names whose modules are installed, as found from the loaded parents."""
        found = []
        for name in names:
            parent = name.rpartition(".")[0]
            if parent not in sys.modules:
                # A parent chosen in this round: its own check comes first, and it imports then.
                if parent in found:
                    found.append(name)
                continue
            try:
                spec = importlib.util.find_spec(name)
            except BaseException:  # noqa: BLE001
                spec = None
            if spec is not None and installed_origin(spec, self.folders):
                found.append(name)
            else:
                self.refused.add(name)
        return found

    def trial(self, names):
        """Imports `names` in a throwaway fork: what they start or leave open, or why not."""
        r, w = os.pipe()
        pid = _fork()
        if pid == 0:
            _close(r)
            try:
                before = open_fds()
                loaded = module_globals()
                for name in names:
                    try:
                        __import__(name)
                    except BaseException:  # noqa: BLE001
                        pass
                said = {"threads": threads(), "fds": len(open_fds() - before), "children": len(children()),
                        "shadowed": len(shadowed(self.folders)), "patched": patched(loaded)}
                write_all(w, json.dumps(said).encode())
            finally:
                _exit(0)
        _close(w)
        import select
        import time

        data, ended = b"", False
        deadline = time.monotonic() + max(0.0, min(LEARN_TRIAL_SECONDS, self.budget - time.monotonic()))
        try:
            # Read until the trial closes its end, or the time is up: a process an import
            # started may hold the pipe open for ever.
            while not ended and len(data) <= 65536:
                left = deadline - time.monotonic()
                if left <= 0:
                    data = b""
                    break
                ready, _, _ = select.select([r], [], [], left)
                if ready:
                    chunk = _read(r, 65536)
                    ended = not chunk
                    data += chunk
            if not ended:
                data = b""
        finally:
            _close(r)
            if not data:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            _waitpid(pid, 0)
        try:
            return json.loads(data)
        except ValueError:
            return None

    def learn(self, data):
        """Imports, in this interpreter, what the last case imported lazily, when that is safe."""
        if self.off or self.unsafe:
            return
        names = self.importable(self.candidates(data))
        if not names:
            return
        import time

        self.budget = time.monotonic() + LEARN_ROUND_SECONDS
        said = self.trial(names)
        if said is None:
            self.off = "an import the last case made did not finish in a trial"
            return
        if not safe(said):
            # One of them is not safe to load here: each on its own, then. The unsafe ones the
            # cases keep importing themselves.
            kept = []
            for name in names:
                said = self.trial([name])
                if said is None:
                    self.off = "an import the last case made did not finish in a trial"
                    return
                if safe(said):
                    kept.append(name)
                else:
                    self.refused.add(name)
            names = kept
        fds, kids = open_fds(), children()
        for name in names:
            try:
                __import__(name)
                self.learned.append(name)
            except BaseException:  # noqa: BLE001 - the cases import it themselves, and see why
                self.refused.add(name)
        if threads() > 1 or open_fds() - fds or children() != kids or shadowed(self.folders):
            self.unsafe = (
                "imports learned from a case started a thread or process, left a descriptor open "
                "or hid a module of the script's folder"
            )


def safe(said):
    """Whether a trial import started nothing, left nothing open, hid none of the script's
    modules and changed no module loaded before it."""
    return (said.get("threads", 2) <= 1 and not said.get("fds") and not said.get("children")
            and not said.get("shadowed") and not said.get("patched", 1))


def module_globals():
    """Every loaded module's globals, by name: the identity of each value."""
    found = {}
    for name, module in list(sys.modules.items()):
        if name in ("__main__", "__mp_main__"):
            continue
        try:
            found[name] = {k: id(v) for k, v in list(vars(module).items())}
        except BaseException:  # noqa: BLE001 - not a module with globals
            continue
    return found, warning_filters()


def warning_filters():
    """The warning filters in force (a list changed in place, so not seen by identity)."""
    warnings = sys.modules.get("warnings")
    try:
        return list(warnings.filters) if warnings is not None else []
    except BaseException:  # noqa: BLE001
        return []


def patched(before):
    """How many modules of `before` an import changed beyond binding its new submodules: a
    submodule that registers itself in its parent (`sklearn.experimental.enable_...`), sets a
    backend or a filter, must not be loaded for cases that did not import it."""
    before, filters = before
    new = set(sys.modules) - set(before)
    count = int(warning_filters() != filters)
    for name, old in before.items():
        module = sys.modules.get(name)
        try:
            now = vars(module) if module is not None else None
        except BaseException:  # noqa: BLE001
            now = None
        if now is None:
            count += 1
            continue
        keys = list(now)
        if any(k not in now for k in old) or any(
                (k in old and id(now[k]) != old[k]) or (k not in old and f"{name}.{k}" not in new)
                for k in keys):
            count += 1
    return count


# sf's runner, compiled once: every case runs the same source from its own workspace.
RUNNER_CODE = {}


def case_path(runner, pythonpath):
    """sys.path as `python runner.py` would start with it under the case's PYTHONPATH."""
    rest = list(ORIGINAL_PATH)
    for entry in STARTUP_PYTHONPATH:
        absolute = os.path.abspath(entry)
        if absolute in rest:
            rest.remove(absolute)
        elif entry in rest:
            rest.remove(entry)
    ours = [os.path.abspath(p) for p in pythonpath.split(os.pathsep) if p]
    return [os.path.dirname(os.path.realpath(runner))] + ours + rest


def retarget(code, filename):
    """`code` as if compiled from `filename` (tracebacks and the runner's own frame filter read it)."""
    consts = tuple(retarget(c, filename) if isinstance(c, type(code)) else c for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def run_main(path):
    """Runs `path` as `python path` would: as `__main__`."""
    with open(path, "rb") as f:
        source = f.read()
    compiled = RUNNER_CODE.get(source)
    if compiled is None:
        compiled = compile(source, path, "exec", dont_inherit=True)
    elif compiled.co_filename != path:
        compiled = retarget(compiled, path)
    import types

    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__builtins__ = __builtins__
    sys.modules["__main__"] = module
    exec(compiled, module.__dict__)


def reseed():
    """Random generators seeded at warm-up would give every case the same numbers."""
    for name, call in (("random", "seed"), ("numpy.random", "seed")):
        module = sys.modules.get(name)
        if module is not None:
            try:
                getattr(module, call)()
            except BaseException:  # noqa: BLE001
                pass
    tempfile = sys.modules.get("tempfile")
    if tempfile is not None:
        tempfile.tempdir = None
        tempfile._name_sequence = None
    process = sys.modules.get("multiprocessing.process")
    if process is not None:
        try:
            process.current_process().authkey = os.urandom(32)
        except BaseException:  # noqa: BLE001
            pass


def receive(sock):
    """One request and its three descriptors; `None` when the sender went away."""
    try:
        msg, fds, _flags, _addr = socket.recv_fds(sock, 1 << 20, 3)
    except OSError:
        return None
    if not msg:
        return None
    if len(fds) != 3:
        for fd in fds:
            _close(fd)
        raise OSError("a case request came without its descriptors")
    return msg, fds


def init_process(requests, status_w):
    """I: PID 1 of the case. Mounts its /proc, waits for the case, starts S, reaps, and when S
    ends, ends the rest."""
    took = {}
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # PID 1 of the case: a signal from the case reaches it only when it has a handler, and
    # Python's (SIGINT) or an import's must not let a case end its init.
    for sig in signal.valid_signals():
        if sig not in (signal.SIGKILL, signal.SIGSTOP):
            try:
                signal.signal(sig, signal.SIG_DFL)
            except (OSError, ValueError):
                pass
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    try:
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
        took["proc"] = True
    except OSError as exc:
        took["proc_error"] = str(exc)
    got = receive(requests)
    requests.close()
    if got is None:
        _exit(0)
    msg, fds = got
    req = json.loads(msg)
    out_w, err_w, rep_w = fds
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    # S waits on this once it has said how it ends, so that what it started is still its own
    # (not half way to PID 1) while PID 1 counts it.
    hold_r, hold_w = os.pipe()
    script = _fork()
    if script == 0:
        _close(status_w)
        _close(ready_r)
        _close(done_r)
        _close(hold_w)
        try:
            script_process(req, out_w, err_w, rep_w, ready_w, done_w, hold_r)
        finally:
            _exit(127)
    for fd in fds:
        _close(fd)
    _close(ready_w)
    _close(done_w)
    _close(hold_r)
    drop_learn_pipe()
    ready = read_all(ready_r)
    _close(ready_r)
    if ready != b"1":
        took["setup_failed"] = ready.decode("utf-8", "replace") or "the case ended before it was set up"
    declared = wait_declared(script, done_r)
    if declared is not None:
        # S said how it ends and is tearing down (slow, for a large interpreter): report now;
        # whatever else of the case is alive is a stray.
        strays = max(len(descendants()) - 1, 0)
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.kill(script, signal.SIGKILL)
        except OSError:
            pass
        _close(hold_w)
        write_all(status_w, json.dumps({"strays": strays, "code": declared, **took}).encode())
        _close(status_w)
        while True:
            try:
                _waitpid(-1, 0)
            except ChildProcessError:
                break
            except InterruptedError:
                continue
        _exit(0)
    _close(hold_w)
    status = None
    while status is None:
        try:
            pid, st = _waitpid(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid == script:
            status = st
    # Whatever is left is the case's: every process of this namespace dies, and, orphaned, comes
    # to PID 1 to be reaped and counted.
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass
    strays = 0
    while True:
        try:
            _waitpid(-1, 0)
            strays += 1
        except ChildProcessError:
            break
        except InterruptedError:
            continue
    end = {"strays": strays, **took}
    if status is None:
        end["lost"] = True
    elif os.WIFSIGNALED(status):
        end["signal"] = os.WTERMSIG(status)
        end["core"] = bool(os.WCOREDUMP(status))
    else:
        end["code"] = os.WEXITSTATUS(status)
    # Said before this process's own (slow, for a large interpreter) teardown.
    write_all(status_w, json.dumps(end).encode())
    _close(status_w)
    _exit(0)


def wait_declared(script, done_r):
    """Waits until S says its exit status (returned) or ends without saying it (`None`)."""
    try:
        pidfd = os.pidfd_open(script)
    except (AttributeError, OSError):
        pidfd = None
    import select

    try:
        while True:
            watched = [done_r] + ([pidfd] if pidfd is not None else [])
            try:
                ready, _, _ = select.select(watched, [], [], None if pidfd is not None else 0.01)
            except InterruptedError:
                continue
            if done_r in ready:
                data = _read(done_r, 16)
                if data:
                    try:
                        return int(data)
                    except ValueError:
                        return None
                return None
            if pidfd is not None and pidfd in ready:
                return None
            if pidfd is None:
                # Without pidfds: has S ended (left to be reaped)?
                try:
                    if os.waitid(os.P_PID, script, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                        return None
                except ChildProcessError:
                    return None
    finally:
        _close(done_r)
        if pidfd is not None:
            _close(pidfd)


def descendants():
    """This process's descendants, as the container's /proc numbers them."""
    try:
        me = int(os.readlink("/proc/self"))
    except (OSError, ValueError):
        return []
    found, stack = [], [me]
    while stack and len(found) < 100000:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                kids = [int(k) for k in f.read().split()]
        except (OSError, ValueError):
            kids = []
        found.extend(kids)
        stack.extend(kids)
    return found


def case_process(requests, result_w):
    """G: made ahead of its case (namespaces, and I waiting in them); then, once the case
    arrives, its mounts; passes the case on to I and reports how it ended."""
    took = {}
    isolate_namespaces(took)
    to_init, init_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    status_r, status_w = os.pipe()
    init = _fork()
    if init == 0:
        to_init.close()
        requests.close()
        _close(status_r)
        _close(result_w)
        try:
            init_process(init_end, status_w)
        finally:
            _exit(127)
    init_end.close()
    _close(status_w)
    drop_learn_pipe()
    got = receive(requests)
    requests.close()
    if got is None:
        _exit(0)
    msg, fds = got
    isolate_mounts(json.loads(msg), took)
    socket.send_fds(to_init, [msg], fds)
    for fd in fds:
        _close(fd)
    to_init.close()
    data = read_all(status_r)
    end = json.loads(data) if data else {"lost": True}
    end.update(took)
    write_all(result_w, json.dumps(end).encode())
    _close(result_w)
    _waitpid(init, 0)


class Spare:
    """The process of the next case, forked (and its namespaces made) while sf is busy between
    two cases."""

    def __init__(self, control):
        global LEARN_W
        self.requests, their_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.result_r, result_w = os.pipe()
        self.learn_r, learn_w = os.pipe()
        self.pid = _fork()
        if self.pid == 0:
            control.close()
            self.requests.close()
            _close(self.result_r)
            _close(self.learn_r)
            LEARN_W = learn_w
            try:
                libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
                case_process(their_end, result_w)
            except BaseException as exc:  # noqa: BLE001 - sf starts this case cold instead
                try:
                    write_all(result_w, json.dumps({"setup_failed": f"{type(exc).__name__}: {exc}"}).encode())
                except OSError:
                    pass
            _exit(0)
        their_end.close()
        _close(result_w)
        _close(learn_w)

    def learned(self):
        """What the case said it imported (it has ended: whatever it wrote is in the pipe)."""
        os.set_blocking(self.learn_r, False)
        data = b""
        try:
            while len(data) <= LEARN_BYTES:
                chunk = _read(self.learn_r, 65536)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        _close(self.learn_r)
        return data if len(data) <= LEARN_BYTES else b""

    def serve(self, msg, fds):
        """Runs the case; returns how it ended."""
        try:
            socket.send_fds(self.requests, [msg], fds)
        except OSError:
            pass  # The spare failed; its result says why.
        for fd in fds:
            _close(fd)
        self.requests.close()
        data = read_all(self.result_r)
        _close(self.result_r)
        try:
            return json.loads(data)
        except ValueError:
            return {"setup_failed": "the case's process ended without saying how the case went"}


def children():
    try:
        with open(f"/proc/self/task/{os.getpid()}/children") as f:
            return [int(p) for p in f.read().split()]
    except (OSError, ValueError):
        return []


def open_fds():
    try:
        return {int(n) for n in os.listdir("/proc/self/fd")}
    except OSError:
        return set()


def main():
    control = socket.socket(fileno=int(os.environ.pop("SF_WARM_FD")))
    # A case's script is pid 2 of its namespace; the interpreter is not, so that what checks
    # os.getpid() to notice a fork (tempfile's names, say) notices it.
    child = _fork()
    if child:
        control.close()
        _, status = _waitpid(child, 0)
        _exit(os.waitstatus_to_exitcode(status) & 0xFF)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    script = sys.argv[1]
    import_root = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    before = open_fds()
    runner = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runner.py")
    try:
        with open(runner, "rb") as f:
            source = f.read()
        RUNNER_CODE[source] = compile(source, runner, "exec", dont_inherit=True)
    except OSError:
        pass
    # What sf's runner imports, for every case.
    for name in ("argparse", "importlib.util", "inspect", "json", "logging", "re", "runpy", "traceback"):
        __import__(name)
    before_warm_up = set(sys.modules)
    loaded, skipped = warm_up(script, import_root)
    roots = {n.split(".")[0] for n in sys.modules if n not in before_warm_up}
    folders = [os.path.realpath(os.path.dirname(script))] + ([os.path.realpath(import_root)] if import_root else [])
    hello = {
        "ready": True,
        "loaded": loaded,
        "skipped": skipped,
        "threads": threads(),
        # Descriptors the imports left open would be shared by every case.
        "fds": sorted(open_fds() - before),
        "shadowed": shadowed(folders),
        # Processes the imports started would be shared by every case.
        "children": children(),
    }
    control.sendall(json.dumps(hello).encode())
    learner = Learner(folders, roots) if (sys.argv[3] if len(sys.argv) > 3 else "1") != "0" else None
    spare = Spare(control)
    ending = None
    while True:
        try:
            got = receive(control)
        except OSError as exc:
            control.sendall(json.dumps({"setup_failed": str(exc)}).encode())
            continue
        if got is None:
            return
        if learner is not None and learner.unsafe:
            for fd in got[1]:
                _close(fd)
            control.sendall(json.dumps({"setup_failed": learner.unsafe}).encode())
            continue
        if ending is not None:
            _waitpid(ending, 0)
            ending = None
        # sf counts the case's time and memory from here: the last case is gone, and so are the
        # trial imports learned from it.
        control.sendall(b'{"started": true}')
        end = spare.serve(*got)
        learned = spare.learned()
        if learner is not None:
            end["learned"] = len(learner.learned)
        control.sendall(json.dumps(end).encode())
        # The next case's processes are made while sf checks, and while the last case's end
        # (a large interpreter takes a while to tear down); the next case starts once they have.
        ending = spare.pid
        if learner is not None:
            learner.learn(learned)
        spare = Spare(control)


if __name__ == "__main__":
    main()
