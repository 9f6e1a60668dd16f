//! The Runner: starts a script's process in its own process group, feeds its output to log files,
//! enforces the timeout on the whole group, and measures wall time and peak memory of the tree.
//! Each stage has its file: [`spawn`](crate::run::spawn), [`supervise`](crate::run::supervise),
//! [`sweep`](crate::run::sweep), [`collect`](crate::run::collect), with the output
//! [`capture`](crate::run::capture) running beside them.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

pub use crate::run::capture::LogFiles;
use crate::run::collect::{collect, not_run};
use crate::run::execution::ExecutionResult;
use crate::run::spawn::spawn;
use crate::run::supervise::{RunProcesses, supervise};
use crate::run::sweep::sweep;

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
    /// Processes (and threads) the run may have at once, where it has a cgroup of its own.
    pub max_processes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(300),
            kill_grace: Duration::from_secs(2),
            tail_bytes: 16 * 1024,
            log_limit_bytes: 100 * 1024 * 1024,
            memory_limit: None,
            max_processes: 16_384,
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
    /// Give the process a pipe for its report: the number of its write end is in
    /// [`REPORT_FD_VAR`], and what arrives on it is [`ExecutionResult::report`]. Not a file in a
    /// directory the script can write, so it cannot be replaced by a FIFO or a link.
    pub report_pipe: bool,
}

/// The environment variable that holds the number of the report pipe's write end.
pub const REPORT_FD_VAR: &str = "SF_REPORT_FD";

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
    pub fn run(&self, invocation: &Invocation, logs: &LogFiles) -> ExecutionResult {
        let running = match spawn(invocation, logs, &self.limits, Default::default()) {
            Ok(running) => running,
            Err(outcome) => return not_run(logs, outcome),
        };
        let processes = RunProcesses {
            pid: running.pid,
            init: running.container.as_ref().map(|c| c.init),
            tmpfs: running.container.as_ref().is_some_and(|c| c.tmpfs),
            cgroup: running.cgroup.clone(),
        };
        // A container's processes never leave it, and a cgroup lists them and measures their
        // memory: then there is no marker to look for.
        let run_id = if processes.init.is_some() || processes.cgroup.is_some() {
            ""
        } else {
            invocation.run_id.as_str()
        };
        let _guard = KillOnPanic {
            processes: processes.clone(),
            run_id,
        };
        let supervised = supervise(&processes, running.start, &self.limits, run_id);
        let strays = sweep(running.pid, run_id, running.cgroup.as_deref());
        collect(running, supervised, strays, &self.limits, logs)
    }
}

/// Kills a run's process group, and every process carrying its marker, if sf panics while the
/// run is under way: a bug in sf must not leave the script running.
struct KillOnPanic<'a> {
    processes: RunProcesses,
    run_id: &'a str,
}

impl Drop for KillOnPanic<'_> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        self.processes.kill();
        crate::run::sys::signal_group(self.processes.pid, nix::sys::signal::Signal::SIGKILL);
        if !self.run_id.is_empty() {
            for pid in crate::run::sys::processes_with_env(RUN_ID_VAR, self.run_id) {
                crate::run::sys::signal_process(pid, nix::sys::signal::Signal::SIGKILL);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logs_in(dir: &std::path::Path) -> LogFiles {
        LogFiles {
            stdout: dir.join("stdout.log"),
            stderr: dir.join("stderr.log"),
        }
    }
    use crate::run::execution::Outcome;

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
            report_pipe: false,
        };
        (Runner::new(limits).run(&inv, &logs_in(dir.path())), dir)
    }

    #[test]
    fn output_read_before_a_detached_process_kept_the_pipe_open_is_kept() {
        // The detached sleeper holds stdout and stderr open past the end of the run (it has no
        // run marker to be swept by, as a process that cleared its environment would).
        let (r, _dir) = sh(
            "echo before; echo problem >&2; setsid sleep 4 & sleep 0.2; exit 0",
            Limits::default(),
        );
        assert_eq!(r.stdout_tail, "before\n");
        assert_eq!(r.stderr_tail, "problem\n");
        assert_eq!(r.output_bytes, 15);
    }

    #[test]
    fn a_panic_in_sf_during_a_run_kills_the_run() {
        use std::os::unix::process::CommandExt as _;
        let mut child = std::process::Command::new("/bin/sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .unwrap();
        let pgid = child.id();
        let panicked = std::panic::catch_unwind(|| {
            let _guard = KillOnPanic {
                processes: RunProcesses {
                    pid: pgid,
                    init: None,
                    tmpfs: false,
                    cgroup: None,
                },
                run_id: "",
            };
            panic!("a bug in sf");
        });
        assert!(panicked.is_err());
        let status = child.wait().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(libc::SIGKILL)
        );
    }

    #[test]
    fn a_timeout_too_long_for_the_clock_is_not_a_panic() {
        let limits = Limits {
            timeout: Duration::MAX,
            ..Limits::default()
        };
        let (r, _dir) = sh("exit 0", limits);
        assert_eq!(r.outcome, Outcome::Exited { code: 0 });
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
            report_pipe: false,
        };
        let r = Runner::default().run(&inv, &logs_in(dir.path()));
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
            report_pipe: false,
        };
        (
            Runner::default().run(&inv, &logs_in(&dir.path().join("out"))),
            dir,
        )
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
                let detail = if abi >= 6 {
                    format!("Landlock ABI {abi}, signals scoped")
                } else {
                    format!("Landlock ABI {abi}")
                };
                assert_eq!(r.sandbox.filesystem, Mechanism::Enforced { detail });
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
            report_pipe: false,
        };
        let r = Runner::default().run(&inv, &logs_in(dir.path()));
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

    #[test]
    fn a_run_in_its_cgroup_cannot_start_more_processes_than_allowed() {
        use crate::run::sandbox::{Mechanism, SandboxOptions};
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("out")).unwrap();
        let inv = Invocation {
            program: "/bin/sh".into(),
            args: vec![
                "-c".into(),
                "n=0; for i in $(seq 30); do sleep 2 & n=$((n+1)); done 2>/dev/null; \
                 ls /proc | grep -c '^[0-9]' > out/count; exit 0"
                    .into(),
            ],
            env: vec![],
            cwd: dir.path().to_owned(),
            run_id: String::new(),
            sandbox: SandboxOptions {
                filesystem: true,
                network: true,
            },
            writable: vec![dir.path().join("out")],
            mounts: None,
            report_pipe: false,
        };
        let limits = Limits {
            max_processes: 10,
            ..Limits::default()
        };
        let r = Runner::new(limits).run(&inv, &logs_in(&dir.path().join("out")));
        match &r.sandbox.cgroup {
            Mechanism::Enforced { detail } => {
                assert!(detail.contains("at most 10 processes"), "{detail}");
                assert!(
                    r.stray_processes_killed < 10,
                    "{} background processes started",
                    r.stray_processes_killed
                );
            }
            Mechanism::Unavailable { reason } => {
                assert!(!reason.is_empty());
                assert!(std::env::var_os("SF_REQUIRE_ISOLATION").is_none() || !is_root());
            }
            Mechanism::Off => panic!("the sandbox was on"),
        }
    }

    fn is_root() -> bool {
        // SAFETY: geteuid has no preconditions.
        unsafe { libc::geteuid() == 0 }
    }
}
