//! Warm starts: one interpreter per script imports what the script imports (pandas, sklearn,
//! ...) once, in a container of its own, and forks one isolated process per case.
//!
//! ```text
//! sf ── warm container (as any run's: host read-only, private /tmp, seccomp, cgroup)
//!         └── warm interpreter (warm.py: the script's installed imports, loaded once)
//!               └── G: user, mount, PID and IPC namespaces of the case; private /tmp, /dev/shm
//!                     └── I: PID 1 of the case, reaps, ends the rest
//!                           └── S: Landlock, capabilities cut, own session → runner.py
//! ```
//!
//! sf hands each case its own stdout, stderr and report pipes (over a socket, as descriptors),
//! watches the time and memory, and stops a case itself: SIGTERM to the case's session, then
//! SIGKILL to its PID 1, which ends every process of the case. The interpreter only forks; when
//! it cannot serve a case (it died, it could not isolate one, it does not answer), the case runs
//! cold and its result says why.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, IoSlice, Read};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::socket::{
    AddressFamily, ControlMessage, MsgFlags, SockFlag, SockType, sendmsg, socketpair,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::run::capture::{Capture, LogFiles};
use crate::run::execution::{ExecutionResult, Outcome};
use crate::run::runner::{Invocation, Limits, Runner};
use crate::run::sandbox::{Mechanism, SandboxReport};
use crate::run::spawn::{Extras, Running, spawn};
use crate::run::supervise::{POLL_MIN, RunProcesses};
use crate::run::sys;

/// The warm interpreter shipped inside sf.
pub(crate) const WARM_SOURCE: &str = include_str!("adapter/warm.py");

/// How a run was started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Start {
    /// `warm` (forked from an interpreter that had the script's imports loaded) or `cold` (a
    /// fresh process).
    pub kind: StartKind,
    /// Why a run that could have been warm was cold, or what the warm interpreter had loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `warm` or `cold`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartKind {
    /// A fresh process.
    #[default]
    Cold,
    /// Forked from a warm interpreter.
    Warm,
}

impl std::fmt::Display for StartKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StartKind::Cold => "cold",
            StartKind::Warm => "warm",
        })
    }
}

impl Start {
    /// A cold start, with the reason it was not warm.
    pub fn cold(note: impl Into<String>) -> Start {
        Start {
            kind: StartKind::Cold,
            note: Some(note.into()),
        }
    }
}

/// Warm interpreters of one property run (or any series of runs of the same scripts), one per
/// script and setting; they end when the pool is dropped.
#[derive(Debug, Default)]
pub struct WarmPool {
    servers: Mutex<HashMap<String, Arc<Mutex<Slot>>>>,
}

#[derive(Debug, Default)]
enum Slot {
    /// Not started yet.
    #[default]
    Empty,
    Ready(Box<Server>),
    /// Cases of this key start cold, for this reason.
    Cold(String),
}

impl WarmPool {
    /// An empty pool.
    pub fn new() -> WarmPool {
        WarmPool::default()
    }

    /// Runs `invocation` (a python-main run prepared in `workspace_root`) forked from the warm
    /// interpreter of its script, starting one when there is none; cold, with the reason, when
    /// that cannot be done. Runs of different scripts proceed at once; runs of one script take
    /// turns at its interpreter.
    pub(crate) fn run(
        &self,
        invocation: &Invocation,
        logs: &LogFiles,
        limits: &Limits,
        workspace: &Path,
        workspace_root: &Path,
    ) -> Result<ExecutionResult, String> {
        let key = key(invocation, limits, workspace, workspace_root);
        let slot = {
            let mut servers = self.servers.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(servers.entry(key).or_default())
        };
        let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Slot::Empty = *slot {
            *slot = match Server::start(invocation, limits, workspace, workspace_root) {
                Ok(server) => Slot::Ready(Box::new(server)),
                Err(reason) => {
                    tracing::info!(%reason, "no warm start: the cases run cold");
                    Slot::Cold(reason)
                }
            };
        }
        let failure = match &mut *slot {
            Slot::Ready(server) => match server.run(invocation, logs, limits) {
                Ok(result) => return Ok(result),
                Err(failure) => failure,
            },
            Slot::Cold(reason) => {
                let reason = reason.clone();
                drop(slot);
                return Ok(cold(invocation, logs, limits, reason));
            }
            Slot::Empty => Failure::NotStarted("the warm interpreter went missing".to_owned()),
        };
        // The interpreter failed this case: it is done for; this case and later ones run cold.
        let (Failure::NotStarted(reason) | Failure::MayHaveRun(reason)) = &failure;
        tracing::warn!(%reason, "the warm interpreter failed a case: running it cold");
        *slot = Slot::Cold(reason.clone());
        drop(slot);
        match failure {
            Failure::NotStarted(reason) => Ok(cold(
                invocation,
                logs,
                limits,
                format!("{reason}; the case ran cold"),
            )),
            Failure::MayHaveRun(reason) => Err(format!("{reason}; the case ran cold, afresh")),
        }
    }
}

fn cold(
    invocation: &Invocation,
    logs: &LogFiles,
    limits: &Limits,
    note: String,
) -> ExecutionResult {
    let mut result = Runner::new(limits.clone()).run(invocation, logs);
    result.start = Start::cold(note);
    result
}

/// What must be equal for two cases to share a warm interpreter: everything the interpreter's
/// start reads (program, script, import root, environment, isolation, limits), with the case's
/// own paths left out.
fn key(invocation: &Invocation, limits: &Limits, workspace: &Path, root: &Path) -> String {
    let own = workspace.as_os_str().as_bytes();
    let mine = |v: &OsString| v.as_bytes().windows(own.len().max(1)).any(|w| w == own);
    let env: Vec<String> = invocation
        .env
        .iter()
        .filter(|(_, v)| !mine(v))
        .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
        .collect();
    let args: Vec<String> = invocation
        .args
        .iter()
        .skip(1)
        .filter(|a| !mine(a))
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    format!(
        "{}\0{}\0{}\0{:?}\0{:?}\0{}\0{}",
        invocation.program.display(),
        args.join("\0"),
        env.join("\0"),
        invocation.sandbox,
        limits.memory_limit,
        limits.max_processes,
        root.display()
    )
}

/// Why the interpreter could not give a case its result.
#[derive(Debug)]
enum Failure {
    /// Before the script could run: the case can run cold where it is.
    NotStarted(String),
    /// The script may have run part of the way: the case runs cold in a fresh workspace.
    MayHaveRun(String),
}

/// One warm interpreter in its container.
#[derive(Debug)]
struct Server {
    running: Option<Running>,
    processes: RunProcesses,
    control: OwnedFd,
    /// The interpreter's own workspace (its logs, its working directory).
    home: crate::workspace::Workspace,
    /// What the interpreter had loaded.
    loaded: Vec<String>,
    /// How many process-ID namespaces deep the interpreter's container is, from sf's view.
    depth: usize,
    sandbox: SandboxReport,
    private_tmp: bool,
    root: PathBuf,
}

#[derive(Debug, Deserialize)]
struct Hello {
    #[serde(default)]
    loaded: Vec<String>,
    #[serde(default)]
    threads: usize,
    /// Descriptors the imports left open.
    #[serde(default)]
    fds: Vec<i32>,
    /// Modules loaded at warm-up that the script's folder defines too.
    #[serde(default)]
    shadowed: Vec<String>,
    /// Processes the imports started.
    #[serde(default)]
    children: Vec<u32>,
}

/// How a case ended, as the warm interpreter's processes saw it.
#[derive(Debug, Default, Deserialize)]
struct End {
    code: Option<i32>,
    signal: Option<i32>,
    #[serde(default)]
    core: bool,
    #[serde(default)]
    strays: usize,
    setup_failed: Option<String>,
    #[serde(default)]
    proc: bool,
    #[serde(default)]
    tmp: bool,
    /// Submodules the interpreter had learned from earlier cases (imported between cases).
    #[serde(default)]
    learned: usize,
}

/// Whether warm interpreters import, between cases, the installed submodules a case imported
/// lazily (on unless sf's environment has `SF_WARM_LEARN=0`).
fn learn_imports() -> bool {
    std::env::var_os("SF_WARM_LEARN").is_none_or(|v| v != "0")
}

/// Longest a warm interpreter may take to load the script's imports.
const WARM_UP: Duration = Duration::from_secs(120);

impl Server {
    fn start(
        first: &Invocation,
        limits: &Limits,
        workspace: &Path,
        root: &Path,
    ) -> Result<Server, String> {
        if first.mounts.is_some() {
            return Err("the SageMaker layout mounts each run's own paths".to_owned());
        }
        if !first.sandbox.filesystem {
            return Err("cases are isolated only with the sandbox on".to_owned());
        }
        let script = first.args.get(1).ok_or("the run names no script")?.clone();
        let import_root = first.args.get(4).cloned().unwrap_or_default();
        let home = crate::workspace::Workspace::create(root, "warm-interpreter")
            .map_err(|e| format!("cannot make the warm interpreter's folder: {e}"))?;
        let warm_py = home.internal().join("warm.py");
        // The runner beside it is compiled once, at warm-up.
        let runner_py = home.internal().join("runner.py");
        for (path, source) in [
            (&warm_py, WARM_SOURCE),
            (&runner_py, crate::run::adapter::RUNNER_SOURCE),
        ] {
            std::fs::write(path, source)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        let (ours, theirs) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )
        .map_err(|e| format!("cannot make the warm interpreter's socket: {e}"))?;
        let own = workspace.as_os_str().as_bytes();
        let env: Vec<(OsString, OsString)> = first
            .env
            .iter()
            .map(|(k, v)| {
                let mine = v.as_bytes().windows(own.len().max(1)).any(|w| w == own);
                let v = if mine {
                    // HOME, TMPDIR and the like: the interpreter's own folder.
                    OsString::from(String::from_utf8_lossy(v.as_bytes()).replace(
                        &*workspace.to_string_lossy(),
                        &home.path().to_string_lossy(),
                    ))
                } else {
                    v.clone()
                };
                (k.clone(), v)
            })
            .collect();
        let invocation = Invocation {
            program: first.program.clone(),
            args: vec![
                warm_py.into_os_string(),
                script,
                import_root,
                OsString::from(if learn_imports() { "1" } else { "0" }),
            ],
            env,
            cwd: home.path().to_owned(),
            run_id: format!("{}-warm", first.run_id),
            sandbox: first.sandbox,
            writable: vec![root.to_owned()],
            mounts: None,
            report_pipe: false,
        };
        let logs = home.log_files();
        let running = spawn(
            &invocation,
            &logs,
            limits,
            Extras {
                control: Some(theirs.as_raw_fd()),
                no_landlock: true,
            },
        )
        .map_err(|o| format!("the warm interpreter did not start: {}", o.describe()))?;
        drop(theirs);
        let processes = RunProcesses {
            pid: running.pid,
            init: running.container.as_ref().map(|c| c.init),
            tmpfs: running.container.as_ref().is_some_and(|c| c.tmpfs),
            cgroup: running.cgroup.clone(),
        };
        let private_tmp = running.container.as_ref().is_some_and(|c| c.tmpfs);
        let sandbox = running.sandbox.clone();
        let mut server = Server {
            running: Some(running),
            processes,
            control: ours,
            home,
            loaded: Vec::new(),
            depth: 0,
            sandbox,
            private_tmp,
            root: root.to_owned(),
        };
        if !matches!(server.sandbox.processes, Mechanism::Enforced { .. }) {
            return Err(format!(
                "the warm interpreter has no container of its own ({}), so its cases could not \
                 have one",
                server.sandbox.processes.describe()
            ));
        }
        let hello = server
            .receive(Instant::now() + WARM_UP)
            .map_err(|e| server.died(&format!("the warm interpreter did not get ready: {e}")))?;
        let hello: Hello = serde_json::from_slice(&hello)
            .map_err(|e| format!("the warm interpreter said something unreadable: {e}"))?;
        if hello.threads > 1 {
            return Err(format!(
                "the warm interpreter runs {} thread(s) besides its own (not OpenBLAS workers nor jemalloc's background threads) once \
                 the script's imports are loaded; forking it is not safe",
                hello.threads - 1
            ));
        }
        if !hello.children.is_empty() {
            return Err(format!(
                "the script's imports start {} process(es), which every case would share",
                hello.children.len()
            ));
        }
        if !hello.fds.is_empty() {
            return Err(format!(
                "the script's imports leave {} file descriptor(s) open, which every case would \
                 share",
                hello.fds.len()
            ));
        }
        if !hello.shadowed.is_empty() {
            return Err(format!(
                "the script's folder has its own {}, which warm-up would share between cases \
                 or load from elsewhere",
                hello
                    .shadowed
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        server.loaded = hello.loaded;
        server.depth = ns_pids(server.processes.init.unwrap_or(server.processes.pid)).len();
        tracing::info!(loaded = %server.loaded.join(", "), "warm interpreter ready");
        Ok(server)
    }

    /// The warm interpreter's pid: the first child of the container's init (pid 2 inside).
    #[cfg(test)]
    fn interpreter(&self) -> Option<u32> {
        sys::tree_members(self.processes.pid).into_iter().find(|p| {
            let ns = ns_pids(*p);
            ns.len() == self.depth && ns.last() == Some(&2)
        })
    }

    /// Why the interpreter is of no more use, with the last of what it wrote.
    fn died(&self, what: &str) -> String {
        let tail = std::fs::read_to_string(self.home.log_files().stderr).unwrap_or_default();
        let last = tail.lines().rev().find(|l| !l.trim().is_empty());
        match last {
            Some(line) => format!("{what} ({})", line.trim()),
            None => what.to_owned(),
        }
    }

    /// One message from the interpreter, waiting until `deadline`.
    fn receive(&self, deadline: Instant) -> io::Result<Vec<u8>> {
        let fd = self.control.as_raw_fd();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "no answer in time"));
            }
            let mut pfd = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            let ms = left.as_millis().min(100) as libc::c_int;
            // SAFETY: poll on one valid pollfd.
            let n = unsafe { libc::poll(&mut pfd, 1, ms) };
            if n < 0 {
                let err = io::Error::last_os_error();
                if err.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(err);
            }
            if n == 0 {
                continue;
            }
            let mut buf = vec![0u8; 1 << 20];
            // SAFETY: recv into a buffer of its length.
            let got = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
            return match usize::try_from(got) {
                Ok(0) => Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the warm interpreter has gone",
                )),
                Ok(n) => {
                    buf.truncate(n);
                    Ok(buf)
                }
                Err(_) => Err(io::Error::last_os_error()),
            };
        }
    }

    /// The case request: what S needs to become the run `invocation` would have started.
    fn request(&self, invocation: &Invocation, limits: &Limits) -> serde_json::Value {
        let mut env: std::collections::BTreeMap<String, String> = std::env::vars_os()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.to_string_lossy().into_owned(),
                )
            })
            .collect();
        for (k, v) in &invocation.env {
            env.insert(
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            );
        }
        if !invocation.run_id.is_empty() {
            env.insert(
                crate::run::runner::RUN_ID_VAR.to_owned(),
                invocation.run_id.clone(),
            );
        }
        let mut argv = vec![invocation.program.to_string_lossy().into_owned()];
        argv.extend(
            invocation
                .args
                .iter()
                .map(|a| a.to_string_lossy().into_owned()),
        );
        // What the case names (its program, folders, arguments, and the paths in its
        // environment, as a cold run's container does): the entries of /tmp they lie in are
        // brought back into the case's private /tmp.
        let mut needed: Vec<PathBuf> = vec![
            invocation.program.clone(),
            invocation.cwd.clone(),
            self.root.clone(),
        ];
        needed.extend(invocation.writable.iter().cloned());
        needed.extend(invocation.args.iter().map(PathBuf::from));
        for value in env.values() {
            needed.extend(
                value
                    .split([':', '='])
                    .filter(|p| p.starts_with('/'))
                    .map(PathBuf::from),
            );
        }
        let mut entries: Vec<(String, bool)> = Vec::new();
        for path in &needed {
            let resolved = std::fs::canonicalize(path).ok();
            for p in std::iter::once(path.as_path()).chain(resolved.as_deref()) {
                if let Ok(Some(entry)) = crate::run::container::tmp_entry(p)
                    && let Ok(meta) = std::fs::symlink_metadata(&entry)
                {
                    let e = (entry.to_string_lossy().into_owned(), meta.is_dir());
                    if !entries.contains(&e) {
                        entries.push(e);
                    }
                }
            }
        }
        let landlock = crate::run::sandbox::landlock_abi().ok().map(|abi| {
            let (handled, write, device) = crate::run::sandbox::write_access_bits();
            let mut rules: Vec<(String, u64)> = invocation
                .writable
                .iter()
                .map(|w| (w.to_string_lossy().into_owned(), write))
                .collect();
            // The case's own tmpfs mounts, as a cold run's: never the machine's /tmp.
            if self.private_tmp {
                rules.push(("/tmp".to_owned(), write));
                rules.push(("/dev/shm".to_owned(), write));
            }
            for dev in crate::run::sandbox::WRITABLE_DEVICES {
                rules.push(((*dev).to_owned(), device));
            }
            json!({ "handled": handled, "rules": rules, "abi": abi })
        });
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        json!({
            "argv": argv,
            "env": env,
            "cwd": invocation.cwd,
            "writable": invocation.writable.iter().filter(|w| w.is_dir()).collect::<Vec<_>>(),
            "read_only": [self.root],
            "private_tmp": self.private_tmp,
            "tmp_entries": entries,
            "private_shm": self.private_tmp,
            "tmpfs_bytes": limits.memory_limit,
            "landlock": landlock,
            "capabilities": if root { crate::run::container::ROOT_CAPABILITIES.to_vec() } else { Vec::new() },
        })
    }

    /// Runs one case; `Err` when the interpreter could not (the case is then run cold).
    fn run(
        &mut self,
        invocation: &Invocation,
        logs: &LogFiles,
        limits: &Limits,
    ) -> Result<ExecutionResult, Failure> {
        if let Some(signal) = crate::run::interrupt::interrupted() {
            return Ok(crate::run::collect::not_run(
                logs,
                Outcome::Interrupted {
                    signal: sys::signal_name(signal),
                },
            ));
        }
        let (stdout_file, stderr_file) = File::create(&logs.stdout)
            .and_then(|o| File::create(&logs.stderr).map(|e| (o, e)))
            .map_err(|e| Failure::NotStarted(format!("cannot create the case's log files: {e}")))?;
        let pipe = || {
            nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
                .map_err(|e| Failure::NotStarted(e.to_string()))
        };
        let (out_r, out_w) = pipe()?;
        let (err_r, err_w) = pipe()?;
        let (rep_r, rep_w) = pipe()?;
        // SAFETY: fcntl on an open descriptor; failure leaves the default size.
        unsafe {
            libc::fcntl(
                rep_w.as_raw_fd(),
                libc::F_SETPIPE_SZ,
                crate::run::spawn::REPORT_LIMIT as libc::c_int,
            )
        };
        let request = serde_json::to_vec(&self.request(invocation, limits))
            .map_err(|e| Failure::NotStarted(format!("cannot write the case request: {e}")))?;
        let oom_before = self.processes.cgroup.as_ref().map_or(0, |c| c.oom_kills());
        let start = Instant::now();
        let fds: [RawFd; 3] = [out_w.as_raw_fd(), err_w.as_raw_fd(), rep_w.as_raw_fd()];
        sendmsg::<()>(
            self.control.as_raw_fd(),
            &[IoSlice::new(&request)],
            &[ControlMessage::ScmRights(&fds)],
            MsgFlags::MSG_NOSIGNAL,
            None,
        )
        .map_err(|e| {
            Failure::NotStarted(self.died(&format!("the warm interpreter cannot be reached: {e}")))
        })?;
        drop((out_w, err_w, rep_w));
        let capture = Capture::streams(
            [
                Some(Box::new(File::from(out_r)) as Box<dyn Read + Send>),
                Some(Box::new(File::from(err_r)) as Box<dyn Read + Send>),
            ],
            stdout_file,
            stderr_file,
            limits.tail_bytes,
            limits.log_limit_bytes,
        );
        let mut watched = self.watch(start, limits, oom_before);
        // The kernel's own kill at the cgroup's limit, also when the case ended before sf looked.
        if let Some(cgroup) = &self.processes.cgroup
            && limits.memory_limit.is_some()
            && cgroup.oom_kills() > oom_before
        {
            watched.out_of_memory = true;
            watched.peak = watched.peak.max(cgroup.charged_peak_bytes().unwrap_or(0));
        }
        let end = match watched.end {
            Some(end) => end,
            None => {
                // No word from the interpreter: it is stopped for good, with everything in it.
                self.processes.kill();
                if watched.timed_out || watched.out_of_memory {
                    End::default()
                } else {
                    drop(capture.finish());
                    return Err(Failure::MayHaveRun(self.died(if watched.started {
                        "the warm interpreter stopped answering"
                    } else {
                        "the warm interpreter did not start the case"
                    })));
                }
            }
        };
        if let Some(reason) = end.setup_failed.as_ref().filter(|_| !watched.out_of_memory) {
            drop(capture.finish());
            return Err(Failure::NotStarted(format!(
                "the warm interpreter could not isolate a case: {reason}"
            )));
        }
        let interrupted = crate::run::interrupt::interrupted();
        let outcome = if let Some(signal) = interrupted {
            Outcome::Interrupted {
                signal: sys::signal_name(signal),
            }
        } else if watched.out_of_memory {
            Outcome::OutOfMemory {
                limit_bytes: limits.memory_limit.unwrap_or(0),
                peak_bytes: watched.peak,
            }
        } else if watched.timed_out {
            Outcome::TimedOut {
                after: limits.timeout,
            }
        } else if let Some(code) = end.code {
            Outcome::Exited { code }
        } else if let Some(signal) = end.signal {
            Outcome::Signaled {
                signal,
                name: sys::signal_name(signal),
                core_dumped: end.core,
            }
        } else {
            return Err(Failure::MayHaveRun(
                "the warm interpreter lost track of the case".to_owned(),
            ));
        };
        let (out, err) = capture.finish();
        let mut sandbox = self.sandbox.clone();
        sandbox.processes = Mechanism::Enforced {
            detail: "own user, mount, PID and IPC namespaces per case, forked warm".to_owned(),
        };
        // The container's mounts are the case's, but for /proc when it could not have its own.
        if let Mechanism::Enforced { detail } = &mut sandbox.mounts
            && !end.proc
        {
            *detail = detail.replace("own /proc", "the warm container's /proc");
        }
        if !end.tmp && self.private_tmp {
            sandbox.mounts = Mechanism::Unavailable {
                reason: "the case's private /tmp could not be made".to_owned(),
            };
        }
        if let Ok(abi) = crate::run::sandbox::landlock_abi() {
            sandbox.filesystem = Mechanism::Enforced {
                detail: if abi >= 6 {
                    format!("Landlock ABI {abi}, signals scoped, per case")
                } else {
                    format!("Landlock ABI {abi}, per case")
                },
            };
        }
        Ok(ExecutionResult {
            outcome,
            wall_time: watched.wall_time,
            peak_memory_bytes: watched.peak,
            stdout_tail: out.tail,
            stderr_tail: err.tail,
            output_bytes: out.total + err.total,
            output_truncated: out.truncated || err.truncated,
            stdout_path: logs.stdout.clone(),
            stderr_path: logs.stderr.clone(),
            script_error: None,
            report_missing: false,
            python: None,
            installs: None,
            report: Some(crate::run::spawn::read_report(rep_r)),
            stray_processes_killed: end.strays,
            sandbox,
            start: Start {
                kind: StartKind::Warm,
                note: (!self.loaded.is_empty()).then(|| {
                    let mut note = format!("imports loaded once: {}", self.loaded.join(", "));
                    if end.learned > 0 {
                        note.push_str(&format!(
                            "; {} submodules earlier cases imported",
                            end.learned
                        ));
                    }
                    note
                }),
            },
        })
    }

    /// Watches a case until the interpreter says it ended: its memory (the whole container's,
    /// as a cold run's counts its interpreter), its timeout, the limit.
    fn watch(&self, sent: Instant, limits: &Limits, oom_before: u64) -> Watched {
        let mut watched = Watched {
            end: None,
            wall_time: Duration::ZERO,
            peak: 0,
            timed_out: false,
            out_of_memory: false,
            started: false,
        };
        // The case's time and memory count from the interpreter's word that the case starts:
        // not the last case's teardown, nor imports learned from it. Until then only the
        // interpreter is waited for, as long as a warm-up may take.
        let mut start = sent;
        let mut deadline = sent + WARM_UP;
        let mut term_sent: Option<Instant> = None;
        let mut killed_at: Option<Instant> = None;
        let mut poll = POLL_MIN;
        loop {
            let now = Instant::now();
            if watched.started {
                watched.peak = watched.peak.max(self.processes.memory_bytes("", &[]));
                let kernel_oom = self
                    .processes
                    .cgroup
                    .as_ref()
                    .is_some_and(|c| c.oom_kills() > oom_before);
                if let Some(limit) = limits.memory_limit
                    && (watched.peak > limit || kernel_oom)
                    && !watched.out_of_memory
                {
                    watched.out_of_memory = true;
                    self.kill_case();
                    killed_at.get_or_insert_with(Instant::now);
                }
                match term_sent {
                    None if now >= deadline => {
                        watched.timed_out = true;
                        self.signal_case(sys::Sig::SIGTERM);
                        term_sent = Some(now);
                    }
                    Some(at) if killed_at.is_none() && now >= at + limits.kill_grace => {
                        self.kill_case();
                        killed_at = Some(now);
                    }
                    _ => {}
                }
            } else if now >= deadline {
                // The interpreter never started the case: it is no longer to be trusted.
                break;
            }
            if let Some(at) = killed_at
                && now >= at + Duration::from_secs(5)
            {
                // Killed, and still no word: the interpreter is no longer to be trusted.
                break;
            }
            match self.receive(Instant::now() + poll) {
                Ok(bytes) if !watched.started && is_started(&bytes) => {
                    watched.started = true;
                    start = Instant::now();
                    deadline = start + limits.timeout.min(sf_vocab::MAX_TIMEOUT);
                    poll = POLL_MIN;
                    continue;
                }
                Ok(bytes) => {
                    watched.wall_time = start.elapsed();
                    watched.end = Some(serde_json::from_slice(&bytes).unwrap_or(End {
                        setup_failed: Some("an unreadable answer".to_owned()),
                        ..End::default()
                    }));
                    break;
                }
                Err(err) if err.kind() == io::ErrorKind::TimedOut => {}
                Err(_) => break,
            }
            poll = (poll * 2).min(Duration::from_millis(20));
        }
        if watched.wall_time.is_zero() {
            watched.wall_time = start.elapsed();
        }
        watched
    }

    /// The case's processes as sf sees them: its PID 1 and its script (pid 2 inside).
    fn case_processes(&self) -> (Option<u32>, Option<u32>) {
        let mut init = None;
        let mut script = None;
        for pid in sys::tree_members(self.processes.pid) {
            let ns = ns_pids(pid);
            if ns.len() == self.depth + 1 {
                match ns.last() {
                    Some(1) => init = Some(pid),
                    Some(2) => script = Some(pid),
                    _ => {}
                }
            }
        }
        (init, script)
    }

    fn signal_case(&self, signal: sys::Sig) {
        if let (_, Some(script)) = self.case_processes() {
            sys::signal_group(script, signal);
        }
    }

    /// Ends every process of the case: SIGKILL to its PID 1.
    fn kill_case(&self) {
        match self.case_processes() {
            (Some(init), _) => sys::signal_process(init, sys::Sig::SIGKILL),
            // No case to be found: stop the interpreter with it.
            _ => self.processes.kill(),
        }
    }
}

struct Watched {
    end: Option<End>,
    wall_time: Duration,
    peak: u64,
    timed_out: bool,
    out_of_memory: bool,
    /// The interpreter said the case starts.
    started: bool,
}

/// The interpreter's word that a case starts: `{"started": true}`.
fn is_started(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .is_ok_and(|v| v.get("started") == Some(&serde_json::Value::Bool(true)))
}

impl Drop for Server {
    fn drop(&mut self) {
        self.processes.kill();
        if let Some(running) = self.running.take() {
            let supervised = crate::run::supervise::Supervised {
                wall_time: Duration::ZERO,
                peak_tree: 0,
                timed_out: false,
                out_of_memory: false,
            };
            let _ = crate::run::collect::collect(
                running,
                supervised,
                0,
                &Limits::default(),
                &self.home.log_files(),
            );
        }
        if let Err(err) = crate::workspace::remove_workspace(self.home.path()) {
            tracing::debug!(%err, "cannot remove the warm interpreter's folder");
        }
    }
}

/// The process's pid in each PID namespace, from sf's down to its own (`NSpid`).
fn ns_pids(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::Status;
    use crate::spec::TestSpec;

    struct Setup {
        dir: tempfile::TempDir,
    }

    impl Setup {
        fn new() -> Setup {
            Setup {
                dir: tempfile::tempdir().unwrap(),
            }
        }

        fn spec(&self, name: &str, body: &str) -> TestSpec {
            let script = self.dir.path().join(format!("{name}.py"));
            std::fs::write(&script, body).unwrap();
            TestSpec::new(script.to_string_lossy()).workspace_root(self.dir.path().join("ws"))
        }
    }

    fn processes_named(token: &str) -> usize {
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                std::fs::read(e.path().join("cmdline"))
                    .is_ok_and(|c| String::from_utf8_lossy(&c).contains(token))
            })
            .count()
    }

    fn warm_or_say_why(result: &crate::TestResult) -> bool {
        let start = &result.execution.as_ref().unwrap().start;
        if start.kind == StartKind::Warm {
            return true;
        }
        // Where cases cannot be isolated the run must say so, and still be correct.
        let note = start.note.clone().unwrap_or_default();
        assert!(!note.is_empty(), "a cold start says why");
        assert!(
            std::env::var_os("SF_REQUIRE_ISOLATION").is_none(),
            "cold where isolation is required: {note}"
        );
        eprintln!("warm starts unavailable here: {note}");
        false
    }

    /// The run passed, cold, for `reason` (or because this machine has no namespaces, where
    /// isolation is not required).
    fn assert_cold_because(result: &crate::TestResult, reason: &str) {
        assert_eq!(result.status, Status::Pass, "{:?}", result.error_message);
        let start = &result.execution.as_ref().unwrap().start;
        assert_eq!(start.kind, StartKind::Cold);
        let note = start.note.clone().unwrap_or_default();
        let no_namespaces =
            note.contains("no container") && std::env::var_os("SF_REQUIRE_ISOLATION").is_none();
        assert!(note.contains(reason) || no_namespaces, "{note}");
    }

    const ISOLATION: &str = r#"import json, os

def main(input_paths, output_paths, environ_vars, job_args):
    # State left in an imported module, a file in /tmp, a file beside the workspace: none of
    # it may reach the next case.
    if hasattr(json, "sf_mark"):
        raise RuntimeError("a module global from an earlier case")
    json.sf_mark = 1
    if os.path.exists("/tmp/sf-warm-leak"):
        raise RuntimeError("/tmp from an earlier case")
    open("/tmp/sf-warm-leak", "w").write("x")
    root = os.path.dirname(os.getcwd())
    for target in (os.path.join(root, "escape.txt"), os.path.join(os.path.dirname(root), "escape.txt")):
        try:
            open(target, "w").write("x")
            raise RuntimeError("wrote " + target)
        except PermissionError:
            pass
        except OSError:
            pass
    assert os.environ["HOME"].startswith(os.getcwd()), os.environ["HOME"]
    rows = open(os.path.join(input_paths["input"], "data.csv")).read().splitlines()
    assert len(rows) > 1, rows
    open(os.path.join(output_paths["output"], "seen.txt"), "w").write(str(os.getpid()))
"#;

    #[test]
    fn a_warm_case_keeps_nothing_from_the_last_and_writes_only_its_workspace() {
        let setup = Setup::new();
        let spec = setup.spec("isolation", ISOLATION).outputs(["output"]);
        let pool = WarmPool::new();
        for _ in 0..3 {
            let r = crate::engine::run_warm(&spec, &pool);
            // Cold without a container shares the machine's /tmp: that is not this test's.
            if !warm_or_say_why(&r) {
                return;
            }
            assert_eq!(
                r.status,
                Status::Pass,
                "{:?} {:?}",
                r.error_message,
                r.execution.as_ref().map(|e| &e.stderr_tail)
            );
            let e = r.execution.as_ref().unwrap();
            assert!(matches!(e.sandbox.processes, Mechanism::Enforced { .. }));
        }
        assert!(!setup.dir.path().join("escape.txt").exists());
        assert!(!setup.dir.path().join("ws/escape.txt").exists());
    }

    #[test]
    fn strays_timeouts_and_the_memory_limit_are_handled_as_in_a_cold_run() {
        let setup = Setup::new();
        let token = format!("31.{}", std::process::id());
        let strays = setup.spec(
            "strays",
            &format!(
                "import subprocess\ndef main(i, o, e, a):\n    subprocess.Popen(['sleep', '{token}'], start_new_session=True)\n"
            ),
        );
        let pool = WarmPool::new();
        let r = crate::engine::run_warm(&strays, &pool);
        assert_eq!(r.status, Status::Pass, "{:?}", r.error_message);
        if !warm_or_say_why(&r) {
            return;
        }
        assert!(r.execution.as_ref().unwrap().stray_processes_killed >= 1);
        assert_eq!(processes_named(&token), 0, "a stray outlived its case");

        let sleeper = setup
            .spec(
                "sleeper",
                &format!("import subprocess, time\ndef main(i, o, e, a):\n    subprocess.Popen(['sleep', '{token}'])\n    time.sleep(60)\n"),
            )
            .timeout(Duration::from_secs(1));
        let started = Instant::now();
        let r = crate::engine::run_warm(&sleeper, &pool);
        let e = r.execution.as_ref().unwrap();
        assert!(
            matches!(e.outcome, Outcome::TimedOut { .. }),
            "{:?}",
            e.outcome
        );
        assert_eq!(e.start.kind, StartKind::Warm);
        assert!(started.elapsed() < Duration::from_secs(15));
        assert_eq!(
            processes_named(&token),
            0,
            "a process outlived its case's timeout"
        );

        let hungry = setup
            .spec(
                "hungry",
                "def main(i, o, e, a):\n    block = bytearray(400 << 20)\n    for k in range(0, len(block), 4096):\n        block[k] = 1\n",
            )
            .memory_limit(150 << 20);
        let r = crate::engine::run_warm(&hungry, &pool);
        let e = r.execution.as_ref().unwrap();
        assert!(
            matches!(e.outcome, Outcome::OutOfMemory { .. }),
            "{:?}",
            e.outcome
        );
        // The interpreter serves the next case as before.
        let r = crate::engine::run_warm(&strays, &pool);
        assert_eq!(r.status, Status::Pass, "{:?}", r.error_message);
        assert_eq!(r.execution.as_ref().unwrap().start.kind, StartKind::Warm);
    }

    #[test]
    fn a_dead_warm_interpreter_costs_no_case_the_case_runs_cold() {
        let setup = Setup::new();
        let spec = setup.spec("plain", "def main(i, o, e, a):\n    pass\n");
        let pool = WarmPool::new();
        let r = crate::engine::run_warm(&spec, &pool);
        if !warm_or_say_why(&r) {
            return;
        }
        // Kill the interpreter behind sf's back.
        {
            let servers = pool.servers.lock().unwrap();
            for slot in servers.values() {
                if let Slot::Ready(server) = &*slot.lock().unwrap() {
                    sys::signal_process(server.interpreter().unwrap(), sys::Sig::SIGKILL);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(200));
        let r = crate::engine::run_warm(&spec, &pool);
        assert_eq!(r.status, Status::Pass, "{:?}", r.error_message);
        let start = &r.execution.as_ref().unwrap().start;
        assert_eq!(start.kind, StartKind::Cold);
        assert!(
            start.note.as_deref().unwrap_or("").contains("ran cold"),
            "{start:?}"
        );
    }

    #[test]
    fn warm_and_cold_runs_reach_the_same_verdicts() {
        let setup = Setup::new();
        let zoo = [
            ("ok", "def main(i, o, e, a):\n    print('fine')\n"),
            (
                "raises",
                "def main(i, o, e, a):\n    raise ValueError('bad row')\n",
            ),
            (
                "exits",
                "import sys\ndef main(i, o, e, a):\n    sys.exit(3)\n",
            ),
            (
                "hard_exit",
                "import os\ndef main(i, o, e, a):\n    os._exit(0)\n",
            ),
            ("syntax", "def main(i, o, e, a)\n    pass\n"),
            ("no_main", "x = 1\n"),
            (
                "import_fails",
                "import no_such_module_sf\ndef main(i, o, e, a):\n    pass\n",
            ),
            ("module_raises", "raise KeyError('at import')\n"),
            (
                "writes_repo",
                "import os\ndef main(i, o, e, a):\n    open(os.path.join(os.path.dirname(os.getcwd()), 'x'), 'w')\n",
            ),
            (
                "kills_itself",
                "import os, signal\ndef main(i, o, e, a):\n    os.kill(os.getpid(), signal.SIGTERM)\n",
            ),
            // The interpreter waits for non-daemon threads before it ends.
            (
                "late_thread",
                "import os, threading, time\ndef main(i, o, e, a):\n    threading.Thread(target=lambda: (time.sleep(0.3), os._exit(3))).start()\n",
            ),
            // sf's own frames take none of the script's recursion budget.
            (
                "deep",
                "def down(n):\n    return 0 if n == 0 else 1 + down(n - 1)\ndef main(i, o, e, a):\n    down(985)\n",
            ),
            // Its environment and import path are the case's own: sf's pip shim first.
            (
                "context",
                "import os, sys\ndef main(i, o, e, a):\n    assert os.environ.get('SF_RUN_ID'), 'SF_RUN_ID'\n    assert any(p.startswith(os.getcwd()) for p in sys.path), sys.path\n",
            ),
            // The case's PID 1 is out of reach, as a cold run's init is.
            (
                "signals_init",
                "import os, signal, time\ndef main(i, o, e, a):\n    try:\n        os.kill(1, signal.SIGINT)\n    except OSError:\n        pass\n    time.sleep(0.2)\n",
            ),
        ];
        let pool = WarmPool::new();
        for (name, body) in zoo {
            let spec = setup.spec(name, body);
            let cold = crate::engine::run(&spec);
            let warm = crate::engine::run_warm(&spec, &pool);
            let kind = |r: &crate::TestResult| {
                r.execution
                    .as_ref()
                    .and_then(|e| e.script_error.as_ref().map(|s| s.kind))
            };
            assert_eq!(
                (warm.status, kind(&warm), warm.error_message.clone()),
                (cold.status, kind(&cold), cold.error_message.clone()),
                "{name}: warm {:?} / cold {:?}",
                warm.execution
                    .as_ref()
                    .map(|e| (&e.outcome, &e.start, &e.stderr_tail)),
                cold.execution.as_ref().map(|e| &e.outcome),
            );
        }
        // None of it cost the interpreter: the next case is still warm.
        let after = crate::engine::run_warm(
            &setup.spec("ok_again", "def main(i, o, e, a):\n    pass\n"),
            &pool,
        );
        let start = &after.execution.as_ref().unwrap().start;
        if start.kind == StartKind::Cold {
            assert!(
                start.note.as_deref().unwrap_or("").contains("no container"),
                "{start:?}"
            );
        }
    }

    #[test]
    fn every_case_draws_its_own_random_names() {
        let setup = Setup::new();
        let spec = setup
            .spec(
                "names",
                "import os, random, tempfile\ndef main(i, o, e, a):\n    \
                 open(os.path.join(o['output'], 'n.txt'), 'w').write(next(tempfile._get_candidate_names()) + str(random.random()))\n",
            )
            .outputs(["output"])
            .keep_workspace(crate::spec::KeepWorkspace::Always);
        let pool = WarmPool::new();
        let drawn: Vec<String> = (0..3)
            .map(|_| {
                let r = crate::engine::run_warm(&spec, &pool);
                std::fs::read_to_string(r.workspace.join("outputs/output/n.txt")).unwrap()
            })
            .collect();
        assert_ne!(drawn[0], drawn[1]);
        assert_ne!(drawn[1], drawn[2]);
    }

    #[test]
    fn submodules_a_case_imported_lazily_are_loaded_for_the_next_when_safe() {
        let setup = Setup::new();
        // An installed package whose submodules a case imports inside main: one plain, one
        // that starts a thread at import, one that imports a module the script's folder
        // defines too.
        let site = tempfile::tempdir().unwrap();
        let pkg = site.path().join("pkgx");
        std::fs::create_dir(&pkg).unwrap();
        std::fs::write(pkg.join("__init__.py"), "").unwrap();
        std::fs::write(pkg.join("plain.py"), "VALUE = 1\n").unwrap();
        std::fs::write(
            pkg.join("threaded.py"),
            "import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n",
        )
        .unwrap();
        std::fs::write(pkg.join("shadows.py"), "import calendar\n").unwrap();
        // Registers itself in its parent, as `sklearn.experimental.enable_*` does.
        std::fs::write(pkg.join("enable.py"), "import pkgx\npkgx.ENABLED = True\n").unwrap();
        std::fs::write(setup.dir.path().join("calendar.py"), "LOCAL = True\n").unwrap();
        let marker = setup.dir.path().join("evil-ran");
        let spec = setup
            .spec(
                "lazy",
                &format!(
                    r#"import importlib, os, sys, pkgx
NAMES = ("pkgx.plain", "pkgx.threaded", "pkgx.shadows", "pkgx.enable", "pkgx.evil")
MARK = {marker:?}
EVIL = "try:\n    open(%r, 'a').write('x')\nexcept OSError:\n    pass\n" % MARK

def main(input_paths, output_paths, environ_vars, job_args):
    seen = [n for n in NAMES if n in sys.modules]
    # What another case's import did to the package is not this case's.
    assert not getattr(pkgx, "ENABLED", False)
    # As libraries import lazily: by name, out of the script's own import statements.
    for name in NAMES[:4]:
        importlib.import_module(name)
    assert sys.modules["calendar"].LOCAL
    # A submodule of the case's own making, beside an installed package.
    import tempfile
    extra = tempfile.mkdtemp()
    open(os.path.join(extra, "evil.py"), "w").write(EVIL)
    pkgx.__path__.append(extra)
    importlib.import_module("pkgx.evil")
    open(os.path.join(output_paths["output"], "seen.txt"), "w").write(",".join(seen))
"#,
                    marker = marker.to_string_lossy()
                ),
            )
            .env("PYTHONPATH", site.path().to_string_lossy())
            .outputs(["output"])
            .keep_workspace(crate::spec::KeepWorkspace::Always);
        let pool = WarmPool::new();
        let mut seen = Vec::new();
        let mut notes = Vec::new();
        for _ in 0..3 {
            let r = crate::engine::run_warm(&spec, &pool);
            assert_eq!(r.status, Status::Pass, "{:?}", r.error_message);
            if !warm_or_say_why(&r) {
                return;
            }
            seen.push(
                std::fs::read_to_string(r.workspace.join("outputs/output/seen.txt")).unwrap(),
            );
            notes.push(r.execution.unwrap().start.note.unwrap_or_default());
        }
        // The first case imported everything itself; the next found only the safe one loaded.
        assert_eq!(seen, ["", "pkgx.plain", "pkgx.plain"]);
        assert!(
            notes[2].contains("1 submodules earlier cases imported"),
            "{notes:?}"
        );
        assert!(
            !marker.exists(),
            "the case's own module ran outside the case"
        );
        assert_eq!(processes_named("pkgx"), 0);
    }

    #[test]
    fn the_time_spent_learning_imports_is_not_the_next_cases() {
        let setup = Setup::new();
        let site = tempfile::tempdir().unwrap();
        let pkg = site.path().join("slowpkg");
        std::fs::create_dir(&pkg).unwrap();
        std::fs::write(pkg.join("__init__.py"), "").unwrap();
        std::fs::write(pkg.join("slow.py"), "import time\ntime.sleep(1.2)\n").unwrap();
        // The first case imports the slow submodule (1.2 s of its 2.5 s); the interpreter then
        // tries it and loads it (2.4 s) before the next case starts, which must not count.
        let spec = setup
            .spec(
                "slow",
                "import importlib, slowpkg\n\ndef main(i, o, e, a):\n    importlib.import_module('slowpkg.slow')\n",
            )
            .env("PYTHONPATH", site.path().to_string_lossy())
            .timeout(Duration::from_millis(2500));
        let pool = WarmPool::new();
        for i in 0..2 {
            let r = crate::engine::run_warm(&spec, &pool);
            assert_eq!(r.status, Status::Pass, "case {i}: {:?}", r.error_message);
            if !warm_or_say_why(&r) {
                return;
            }
            if i == 1 {
                let execution = r.execution.unwrap();
                assert!(
                    execution.wall_time < Duration::from_secs(1),
                    "{:?}",
                    execution.wall_time
                );
                assert!(
                    execution
                        .start
                        .note
                        .unwrap_or_default()
                        .contains("1 submodules")
                );
            }
        }
    }

    #[test]
    fn a_module_of_the_scripts_folder_or_a_descriptor_left_open_by_an_import_means_cold() {
        let setup = Setup::new();
        // The script's own calendar.py, which the stdlib's would hide in a warm interpreter.
        std::fs::write(setup.dir.path().join("calendar.py"), "LOCAL = True\n").unwrap();
        let spec = setup.spec(
            "own",
            "import calendar\ndef main(i, o, e, a):\n    assert calendar.LOCAL\n",
        );
        // Imported by the script itself: never at warm-up, so its own.
        let r = crate::engine::run_warm(&spec, &WarmPool::new());
        assert_eq!(r.status, Status::Pass, "{:?}", r.error_message);
        // Imported by an installed module (email imports calendar): cold.
        let spec = setup.spec(
            "shadow",
            "import email.utils\nimport calendar\ndef main(i, o, e, a):\n    assert calendar.LOCAL\n",
        );
        let r = crate::engine::run_warm(&spec, &WarmPool::new());
        assert_cold_because(&r, "`calendar`");

        // An installed module that starts a process, or keeps a descriptor, from its import.
        for (module, source, reason) in [
            (
                "starts_server",
                "import subprocess\n_server = subprocess.Popen(['sleep', '30'])\n",
                "start 1 process",
            ),
            (
                "keeps_fd",
                "import os\n_log = os.fdopen(os.dup(2), 'w')\n",
                "file descriptor",
            ),
        ] {
            let site = tempfile::tempdir().unwrap();
            std::fs::write(site.path().join(format!("{module}.py")), source).unwrap();
            let spec = setup
                .spec(
                    &format!("uses_{module}"),
                    &format!("import {module}\ndef main(i, o, e, a):\n    pass\n"),
                )
                .env("PYTHONPATH", site.path().to_string_lossy());
            let r = crate::engine::run_warm(&spec, &WarmPool::new());
            assert_cold_because(&r, reason);
        }
    }

    #[test]
    fn a_case_the_interpreter_dropped_part_way_runs_again_cold_in_a_fresh_workspace() {
        let setup = Setup::new();
        // Not idempotent: a second run in the same workspace would fail.
        let spec = setup
            .spec(
                "once",
                "import os, time\ndef main(i, o, e, a):\n    os.makedirs(os.path.join(o['output'], 'model'))\n    time.sleep(1.5)\n",
            )
            .outputs(["output"]);
        let pool = WarmPool::new();
        let first = crate::engine::run_warm(&spec, &pool);
        if !warm_or_say_why(&first) {
            return;
        }
        let interpreter = {
            let servers = pool.servers.lock().unwrap();
            servers
                .values()
                .find_map(|slot| match &*slot.lock().unwrap() {
                    Slot::Ready(server) => server.interpreter(),
                    _ => None,
                })
                .unwrap()
        };
        let killer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(600));
            sys::signal_process(interpreter, sys::Sig::SIGKILL);
        });
        let r = crate::engine::run_warm(&spec, &pool);
        killer.join().unwrap();
        assert_eq!(r.status, Status::Pass, "{:?}", r.error_message);
        let start = &r.execution.as_ref().unwrap().start;
        assert_eq!(start.kind, StartKind::Cold);
        assert!(
            start.note.as_deref().unwrap_or("").contains("afresh"),
            "{start:?}"
        );
    }
}
