//! The Runner: starts a script's process in its own process group, feeds its output to log files,
//! enforces the timeout on the whole group, and measures wall time and peak memory of the tree.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::run::execution::{ExecutionResult, Outcome};
use crate::run::sys;

/// Bounds every run respects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock limit; when it passes the whole process group gets SIGTERM, then SIGKILL.
    pub timeout: Duration,
    /// Time between SIGTERM and SIGKILL.
    pub kill_grace: Duration,
    /// Bytes of stdout and of stderr kept in memory for the result.
    pub tail_bytes: usize,
    /// Bytes of stdout and of stderr written to each log file; the rest is counted and dropped.
    pub log_limit_bytes: u64,
    /// Resident memory the whole process tree may use; past it the group is killed.
    pub memory_limit: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(300),
            kill_grace: Duration::from_secs(2),
            tail_bytes: 16 * 1024,
            log_limit_bytes: 100 * 1024 * 1024,
            memory_limit: None,
        }
    }
}

/// A fully prepared process: what to execute, where, with which environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The executable.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Variables set on top of the inherited environment.
    pub env: Vec<(OsString, OsString)>,
    /// Working directory.
    pub cwd: PathBuf,
    /// A value unique to this run, exported as `SF_RUN_ID`; every process that still carries it
    /// when the run ends is killed, even one that left the process group. Empty: no such sweep.
    pub run_id: String,
    /// The isolation asked for.
    pub sandbox: crate::run::sandbox::SandboxOptions,
    /// Directories the script may write under when the filesystem sandbox is on.
    pub writable: Vec<PathBuf>,
    /// Container path → workspace path, for the SageMaker layout.
    pub mounts: Option<Vec<(PathBuf, PathBuf)>>,
}

/// The environment variable that marks every process of a run.
pub const RUN_ID_VAR: &str = "SF_RUN_ID";

impl Invocation {
    /// The invocation as one shell-quoted line, for logs and replay hints.
    pub fn command_line(&self) -> String {
        std::iter::once(self.program.as_os_str())
            .chain(self.args.iter().map(|a| a.as_os_str()))
            .map(|a| shell_quote(&a.to_string_lossy()))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Quotes `s` for a POSIX shell when it needs it.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Runs invocations under [`Limits`].
#[derive(Debug, Clone, Default)]
pub struct Runner {
    limits: Limits,
}

const POLL_MIN: Duration = Duration::from_millis(1);
const POLL_MAX: Duration = Duration::from_millis(20);

impl Runner {
    /// A runner that enforces `limits`.
    pub fn new(limits: Limits) -> Runner {
        Runner { limits }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Runs `invocation` to completion, writing `stdout.log` and `stderr.log` into `logs`.
    /// Never panics on anything the script does; a process that cannot start is an outcome.
    pub fn run(&self, invocation: &Invocation, logs: &Path) -> ExecutionResult {
        let stdout_path = logs.join("stdout.log");
        let stderr_path = logs.join("stderr.log");
        let mut result = ExecutionResult {
            outcome: Outcome::SpawnFailed {
                message: String::new(),
            },
            wall_time: Duration::ZERO,
            peak_memory_bytes: 0,
            stdout_tail: String::new(),
            stderr_tail: String::new(),
            output_bytes: 0,
            output_truncated: false,
            stdout_path: stdout_path.clone(),
            stderr_path: stderr_path.clone(),
            script_error: None,
            report_missing: false,
            stray_processes_killed: 0,
            sandbox: crate::run::sandbox::SandboxReport::default(),
        };
        let (stdout_file, stderr_file) =
            match (File::create(&stdout_path), File::create(&stderr_path)) {
                (Ok(o), Ok(e)) => (o, e),
                (Err(err), _) | (_, Err(err)) => {
                    result.outcome = Outcome::SpawnFailed {
                        message: format!("cannot create log files in {}: {err}", logs.display()),
                    };
                    return result;
                }
            };

        let mut command = Command::new(&invocation.program);
        if !invocation.run_id.is_empty() {
            command.env(RUN_ID_VAR, &invocation.run_id);
        }
        command
            .args(&invocation.args)
            .envs(invocation.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&invocation.cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        if let Some(signal) = crate::run::interrupt::interrupted() {
            result.outcome = Outcome::Interrupted {
                signal: sys::signal_name(signal),
            };
            return result;
        }
        let mounts = invocation.mounts.as_ref().map(|m| {
            let scratch = invocation.cwd.join(".sf/opt");
            std::fs::create_dir_all(&scratch)
                .and_then(|()| crate::run::sagemaker::plan(m, &scratch))
        });
        let (mut setup, view) =
            crate::run::sandbox::prepare(invocation.sandbox, &invocation.writable, mounts);
        // SAFETY: the closure only makes system calls (unshare, ioctl, write, and Landlock's
        // prctl and restrict_self) between fork and exec.
        unsafe {
            command.pre_exec(move || {
                setup.apply_in_child();
                Ok(())
            });
        }
        tracing::debug!(command = %invocation.command_line(), cwd = %invocation.cwd.display(), "spawning");
        let start = Instant::now();
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(err) => {
                result.outcome = Outcome::SpawnFailed {
                    message: spawn_message(&invocation.program, &err),
                };
                return result;
            }
        };
        let pid = child.id();
        // Closes the parent's copy of the status pipe, so the report below cannot block.
        drop(command);
        result.sandbox = view.report();
        let _registered = crate::run::interrupt::Registered::new(pid);
        let (done_tx, done_rx) = mpsc::channel();
        let readers = [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ]
        .into_iter()
        .zip([stdout_file, stderr_file])
        .enumerate()
        .filter_map(|(i, (stream, file))| {
            let stream = stream?;
            let tx = done_tx.clone();
            let (tail, limit) = (self.limits.tail_bytes, self.limits.log_limit_bytes);
            Some(thread::spawn(move || {
                let captured = capture(stream, file, tail, limit);
                let _ = tx.send(i);
                captured
            }))
        })
        .collect::<Vec<_>>();
        drop(done_tx);

        let mut peak_tree = 0u64;
        let mut poll = POLL_MIN;
        let deadline = start + self.limits.timeout;
        let mut term_sent: Option<Instant> = None;
        let mut kill_sent = false;
        let mut out_of_memory = false;
        // A thread blocks until the child exits, so the end of a run is noticed at once rather than
        // at the next sampling tick.
        let (exit_tx, exit_rx) = mpsc::channel();
        thread::spawn(move || {
            let _ = exit_tx.send(sys::wait_exited(pid));
        });
        loop {
            peak_tree = peak_tree.max(sys::tree_rss_bytes(pid));
            if let Some(limit) = self.limits.memory_limit
                && peak_tree > limit
                && !out_of_memory
            {
                tracing::info!(
                    pid,
                    limit,
                    peak_tree,
                    "memory limit exceeded: killing the process group"
                );
                sys::signal_group(pid, sys::Sig::SIGKILL);
                out_of_memory = true;
            }
            let now = Instant::now();
            match term_sent {
                None if now >= deadline => {
                    tracing::info!(pid, "timeout: sending SIGTERM to the process group");
                    sys::signal_group(pid, sys::Sig::SIGTERM);
                    term_sent = Some(now);
                }
                Some(at) if !kill_sent && now >= at + self.limits.kill_grace => {
                    tracing::info!(
                        pid,
                        "grace period over: sending SIGKILL to the process group"
                    );
                    sys::signal_group(pid, sys::Sig::SIGKILL);
                    kill_sent = true;
                }
                _ => {}
            }
            match exit_rx.recv_timeout(poll) {
                Ok(Ok(())) => break,
                Ok(Err(err)) => {
                    tracing::warn!(pid, %err, "waitid failed");
                    break;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            poll = (poll * 2).min(POLL_MAX);
        }
        result.wall_time = start.elapsed();

        // The leader is a zombie now, which keeps its group id reserved: whatever is left of the
        // group (background children) is killed before the leader is reaped.
        let strays: Vec<u32> = sys::live_group_members(pid)
            .into_iter()
            .filter(|p| *p != pid)
            .collect();
        result.stray_processes_killed = strays.len();
        sys::signal_group(pid, sys::Sig::SIGKILL);
        if !strays.is_empty() {
            // Signals are delivered asynchronously: wait until the processes are really gone.
            let until = Instant::now() + Duration::from_secs(2);
            while Instant::now() < until && sys::live_group_members(pid).iter().any(|p| *p != pid) {
                thread::sleep(POLL_MIN);
            }
        }
        // Processes that left the group (setsid, double fork) still carry the run's marker.
        if !invocation.run_id.is_empty() {
            let escaped: Vec<u32> = sys::processes_with_env(RUN_ID_VAR, &invocation.run_id)
                .into_iter()
                .filter(|p| *p != pid)
                .collect();
            if !escaped.is_empty() {
                tracing::info!(
                    count = escaped.len(),
                    "killing processes that left the run's process group"
                );
                for p in &escaped {
                    sys::signal_process(*p, sys::Sig::SIGKILL);
                }
                result.stray_processes_killed += escaped.len();
                let until = Instant::now() + Duration::from_secs(2);
                while Instant::now() < until
                    && sys::processes_with_env(RUN_ID_VAR, &invocation.run_id)
                        .iter()
                        .any(|p| *p != pid)
                {
                    thread::sleep(POLL_MIN);
                }
            }
        }
        let reaped = sys::reap(pid);
        drop(child);

        let rusage_peak = reaped.as_ref().map(|r| r.max_rss_bytes).unwrap_or(0);
        result.peak_memory_bytes = peak_tree.max(rusage_peak);
        let interrupted = crate::run::interrupt::interrupted();
        result.outcome = match (&reaped, term_sent) {
            _ if interrupted.is_some() => Outcome::Interrupted {
                signal: sys::signal_name(interrupted.unwrap_or_default()),
            },
            _ if out_of_memory => Outcome::OutOfMemory {
                limit_bytes: self.limits.memory_limit.unwrap_or(0),
                peak_bytes: result.peak_memory_bytes,
            },
            (_, Some(_)) => Outcome::TimedOut {
                after: self.limits.timeout,
            },
            (Ok(r), None) => match r.status {
                sys::ExitStatus::Exited(code) => Outcome::Exited { code },
                sys::ExitStatus::Signaled {
                    signal,
                    core_dumped,
                } => Outcome::Signaled {
                    signal,
                    name: sys::signal_name(signal),
                    core_dumped,
                },
            },
            (Err(err), None) => Outcome::SpawnFailed {
                message: format!("lost track of process {pid}: {err}"),
            },
        };

        // A detached process may still hold the pipes open; do not wait on it forever.
        let wait_until = Instant::now() + Duration::from_secs(2);
        let mut finished = 0;
        while finished < readers.len() {
            let left = wait_until.saturating_duration_since(Instant::now());
            if done_rx.recv_timeout(left).is_err() {
                break;
            }
            finished += 1;
        }
        // A reader still blocked on a pipe held by a detached process is left behind.
        let mut tails = readers.into_iter().map(|r| {
            if r.is_finished() {
                r.join().unwrap_or_default()
            } else {
                Captured::default()
            }
        });
        let (out, err) = (
            tails.next().unwrap_or_default(),
            tails.next().unwrap_or_default(),
        );
        result.output_bytes = out.total + err.total;
        result.output_truncated = out.truncated || err.truncated;
        result.stdout_tail = out.tail;
        result.stderr_tail = err.tail;
        result
    }
}

fn spawn_message(program: &Path, err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => format!("{} not found", program.display()),
        io::ErrorKind::PermissionDenied => {
            format!(
                "{} is not executable (permission denied)",
                program.display()
            )
        }
        _ => format!("{}: {err}", program.display()),
    }
}

#[derive(Debug, Default)]
struct Captured {
    tail: String,
    total: u64,
    truncated: bool,
}

/// Copies `stream` into `file` (up to `limit` bytes) and keeps its last `tail_len` bytes.
fn capture(mut stream: impl Read, mut file: File, tail_len: usize, limit: u64) -> Captured {
    let mut tail: VecDeque<u8> = VecDeque::with_capacity(tail_len.min(1 << 16));
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    let mut written = 0u64;
    let mut truncated = false;
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let chunk = &buf[..n];
        total += n as u64;
        let room = limit.saturating_sub(written);
        let keep = usize::try_from(room).unwrap_or(usize::MAX).min(n);
        if keep > 0 && file.write_all(&chunk[..keep]).is_ok() {
            written += keep as u64;
        }
        if keep < n && !truncated {
            truncated = true;
            let _ = writeln!(file, "\n[sf: log truncated at {limit} bytes]");
        }
        let chunk = if chunk.len() > tail_len {
            &chunk[chunk.len() - tail_len..]
        } else {
            chunk
        };
        let overflow = (tail.len() + chunk.len()).saturating_sub(tail_len);
        tail.drain(..overflow.min(tail.len()));
        tail.extend(chunk);
    }
    let bytes: Vec<u8> = tail.into();
    Captured {
        tail: String::from_utf8_lossy(&bytes).into_owned(),
        total,
        truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, limits: Limits) -> (ExecutionResult, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let inv = Invocation {
            program: "/bin/sh".into(),
            args: vec!["-c".into(), script.into()],
            env: vec![],
            cwd: dir.path().to_owned(),
            run_id: String::new(),
            sandbox: crate::run::sandbox::SandboxOptions {
                filesystem: false,
                network: true,
            },
            writable: vec![],
            mounts: None,
        };
        (Runner::new(limits).run(&inv, dir.path()), dir)
    }

    #[test]
    fn exit_status_and_output_are_captured() {
        let (r, dir) = sh("echo out; echo err >&2; exit 3", Limits::default());
        assert_eq!(r.outcome, Outcome::Exited { code: 3 });
        assert_eq!(r.stdout_tail, "out\n");
        assert_eq!(r.stderr_tail, "err\n");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("stdout.log")).unwrap(),
            "out\n"
        );
    }

    #[test]
    fn a_signal_is_named() {
        let (r, _dir) = sh("kill -SEGV $$", Limits::default());
        assert!(
            matches!(&r.outcome, Outcome::Signaled { name, .. } if name == "SIGSEGV"),
            "{:?}",
            r.outcome
        );
    }

    #[test]
    fn timeout_kills_the_whole_process_group() {
        let limits = Limits {
            timeout: Duration::from_millis(300),
            kill_grace: Duration::from_millis(200),
            ..Limits::default()
        };
        // The shell and its background child both ignore SIGTERM.
        let (r, dir) = sh(
            "trap '' TERM; sleep 30 & echo $! > child.pid; trap '' TERM; while :; do sleep 1; done",
            limits,
        );
        assert!(
            matches!(r.outcome, Outcome::TimedOut { .. }),
            "{:?}",
            r.outcome
        );
        assert!(r.wall_time < Duration::from_secs(5));
        let child: i32 = std::fs::read_to_string(dir.path().join("child.pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(
            !alive(child),
            "background child {child} survived the timeout"
        );
    }

    #[test]
    fn background_children_are_killed_when_the_script_ends() {
        let (r, dir) = sh("sleep 30 & echo $! > child.pid; exit 0", Limits::default());
        assert_eq!(r.outcome, Outcome::Exited { code: 0 });
        assert_eq!(r.stray_processes_killed, 1);
        let child: i32 = std::fs::read_to_string(dir.path().join("child.pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(!alive(child));
    }

    #[test]
    fn a_daemon_that_left_the_process_group_is_killed_with_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let inv = Invocation {
            program: "/bin/sh".into(),
            args: vec![
                "-c".into(),
                "setsid sleep 30 & echo $! > daemon.pid; exit 0".into(),
            ],
            env: vec![],
            cwd: dir.path().to_owned(),
            run_id: format!("runner-test-{}", std::process::id()),
            sandbox: crate::run::sandbox::SandboxOptions {
                filesystem: false,
                network: true,
            },
            writable: vec![],
            mounts: None,
        };
        let r = Runner::default().run(&inv, dir.path());
        assert_eq!(r.outcome, Outcome::Exited { code: 0 });
        let daemon: i32 = std::fs::read_to_string(dir.path().join("daemon.pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(
            !alive(daemon),
            "the setsid daemon {daemon} outlived its run"
        );
        assert!(r.stray_processes_killed >= 1);
    }

    fn sandboxed(
        script: &str,
        sandbox: crate::run::sandbox::SandboxOptions,
    ) -> (ExecutionResult, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("out")).unwrap();
        let inv = Invocation {
            program: "/bin/sh".into(),
            args: vec!["-c".into(), script.into()],
            env: vec![],
            cwd: dir.path().to_owned(),
            run_id: String::new(),
            sandbox,
            writable: vec![dir.path().join("out")],
            mounts: None,
        };
        (Runner::default().run(&inv, &dir.path().join("out")), dir)
    }

    #[test]
    fn the_filesystem_sandbox_allows_writes_only_where_asked_and_says_so() {
        use crate::run::sandbox::{Mechanism, SandboxOptions, landlock_abi};
        let on = SandboxOptions {
            filesystem: true,
            network: true,
        };
        let (r, dir) = sandboxed("echo ok > out/allowed.txt; echo no > outside.txt", on);
        assert!(dir.path().join("out/allowed.txt").is_file());
        match landlock_abi() {
            Ok(abi) => {
                assert_eq!(
                    r.sandbox.filesystem,
                    Mechanism::Enforced {
                        detail: format!("Landlock ABI {abi}")
                    }
                );
                assert!(
                    !dir.path().join("outside.txt").exists(),
                    "a write outside was allowed"
                );
                assert_ne!(r.outcome, Outcome::Exited { code: 0 });
            }
            Err(reason) => {
                assert_eq!(r.sandbox.filesystem, Mechanism::unavailable(&reason));
                assert!(
                    dir.path().join("outside.txt").exists(),
                    "the run must still happen"
                );
            }
        }
        let off = SandboxOptions {
            filesystem: false,
            network: true,
        };
        let (r, dir) = sandboxed("echo yes > outside.txt", off);
        assert_eq!(r.sandbox.filesystem, Mechanism::Off);
        assert!(dir.path().join("outside.txt").exists());
    }

    #[test]
    fn without_network_only_loopback_is_there() {
        use crate::run::sandbox::{Mechanism, SandboxOptions};
        let (r, dir) = sandboxed(
            "cat /proc/net/dev > out/dev.txt",
            SandboxOptions {
                filesystem: false,
                network: false,
            },
        );
        let devices = std::fs::read_to_string(dir.path().join("out/dev.txt")).unwrap();
        let names: Vec<&str> = devices
            .lines()
            .skip(2)
            .filter_map(|l| l.split(':').next())
            .map(str::trim)
            .collect();
        match &r.sandbox.network {
            Mechanism::Enforced { .. } => assert_eq!(names, ["lo"], "{devices}"),
            Mechanism::Unavailable { .. } => assert!(!names.is_empty()),
            Mechanism::Off => panic!("network isolation was asked for"),
        }
        let (r, _) = sandboxed(
            "true",
            SandboxOptions {
                filesystem: false,
                network: true,
            },
        );
        assert_eq!(r.sandbox.network, Mechanism::Off);
    }

    #[test]
    fn log_files_are_capped_and_the_tail_is_bounded() {
        let limits = Limits {
            tail_bytes: 100,
            log_limit_bytes: 1000,
            ..Limits::default()
        };
        let (r, dir) = sh("head -c 100000 /dev/zero | tr '\\0' x; echo END", limits);
        assert!(r.output_truncated);
        assert_eq!(r.output_bytes, 100_004);
        assert_eq!(r.stdout_tail.len(), 100);
        assert!(r.stdout_tail.ends_with("END\n"));
        let log = std::fs::metadata(dir.path().join("stdout.log"))
            .unwrap()
            .len();
        assert!(log < 1100, "{log}");
    }

    #[test]
    fn exceeding_the_memory_limit_kills_the_group_and_says_so() {
        let limits = Limits {
            memory_limit: Some(50 << 20),
            ..Limits::default()
        };
        // A shell that keeps doubling a string until something stops it.
        let (r, _dir) = sh("x=xxxxxxxxxxxxxxxx; while :; do x=\"$x$x\"; done", limits);
        match r.outcome {
            Outcome::OutOfMemory {
                limit_bytes,
                peak_bytes,
            } => {
                assert_eq!(limit_bytes, 50 << 20);
                assert!(peak_bytes > limit_bytes, "{peak_bytes}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_missing_program_is_a_spawn_failure() {
        let dir = tempfile::tempdir().unwrap();
        let inv = Invocation {
            program: "/nonexistent/prog".into(),
            args: vec![],
            env: vec![],
            cwd: dir.path().to_owned(),
            run_id: String::new(),
            sandbox: crate::run::sandbox::SandboxOptions {
                filesystem: false,
                network: true,
            },
            writable: vec![],
            mounts: None,
        };
        let r = Runner::default().run(&inv, dir.path());
        assert!(
            matches!(&r.outcome, Outcome::SpawnFailed { message } if message.contains("not found")),
            "{:?}",
            r.outcome
        );
    }

    fn alive(pid: i32) -> bool {
        // A zombie still has a /proc entry; only a running or sleeping process counts.
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| {
                let state = s[s.rfind(')').unwrap() + 2..].chars().next().unwrap();
                state != 'Z' && state != 'X'
            })
            .unwrap_or(false)
    }
}
