//! Starting a run: log files, the command with its environment and sandbox, the child in its own
//! process group, and the capture of its output.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use crate::run::capture::{Capture, LogFiles};
use crate::run::execution::Outcome;
use crate::run::interrupt::Registered;
use crate::run::runner::{Invocation, Limits, REPORT_FD_VAR, RUN_ID_VAR};
use crate::run::sandbox::{ContainerLink, SandboxReport};
use crate::run::sys;

/// A started run: its child, registered for Ctrl-C, with its output being captured.
#[derive(Debug)]
pub(super) struct Running {
    pub(super) child: Child,
    /// The child's pid, which is also its process group id.
    pub(super) pid: u32,
    /// Taken just before the spawn: wall time counts from here.
    pub(super) start: Instant,
    /// What isolation took effect.
    pub(super) sandbox: SandboxReport,
    /// The run's container, when it has one.
    pub(super) container: Option<ContainerLink>,
    /// The run's cgroup, when it has one.
    pub(super) cgroup: Option<std::sync::Arc<crate::run::cgroup::RunCgroup>>,
    /// The read end of the report pipe, when the invocation asked for one.
    pub(super) report: Option<std::os::fd::OwnedFd>,
    pub(super) capture: Capture,
    /// Keeps the group on the list that Ctrl-C stops, for as long as the run lasts.
    pub(super) registered: Registered,
}

/// What a warm interpreter's start needs beyond an ordinary run's.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Extras {
    /// A descriptor the process keeps (its number is in `SF_WARM_FD`).
    pub(super) control: Option<std::os::fd::RawFd>,
    /// No Landlock for the process itself: Landlock forbids the mounts each case makes, and
    /// each case applies its own ruleset.
    pub(super) no_landlock: bool,
}

/// Starts `invocation` with its output going to `logs`. A run that cannot start
/// (log files that cannot be created, a missing program, an interrupt before the spawn) is the
/// outcome to report instead.
pub(super) fn spawn(
    invocation: &Invocation,
    logs: &LogFiles,
    limits: &Limits,
    extras: Extras,
) -> Result<Running, Outcome> {
    let (stdout_file, stderr_file) = match (File::create(&logs.stdout), File::create(&logs.stderr))
    {
        (Ok(o), Ok(e)) => (o, e),
        (Err(err), _) | (_, Err(err)) => {
            return Err(Outcome::SpawnFailed {
                message: format!(
                    "cannot create log files {} and {}: {err}",
                    logs.stdout.display(),
                    logs.stderr.display()
                ),
            });
        }
    };

    let mut command = Command::new(&invocation.program);
    if !invocation.run_id.is_empty() {
        command.env(RUN_ID_VAR, &invocation.run_id);
    }
    if let Some(fd) = extras.control {
        command.env("SF_WARM_FD", fd.to_string());
    }
    let (report_read, report_write) = if invocation.report_pipe {
        match report_pipe() {
            Ok((r, w)) => {
                command.env(REPORT_FD_VAR, w.as_raw_fd().to_string());
                (Some(r), Some(w))
            }
            Err(err) => {
                return Err(Outcome::SpawnFailed {
                    message: format!("cannot make the report pipe: {err}"),
                });
            }
        }
    } else {
        (None, None)
    };
    command
        .args(&invocation.args)
        .envs(invocation.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&invocation.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(signal) = crate::run::interrupt::interrupted() {
        return Err(Outcome::Interrupted {
            signal: sys::signal_name(signal),
        });
    }
    let mounts = invocation.mounts.as_ref().map(|m| {
        let scratch = invocation.cwd.join(".sf/opt");
        std::fs::create_dir_all(&scratch).and_then(|()| crate::run::sagemaker::plan(m, &scratch))
    });
    let needs = crate::run::container::Needs {
        program: &invocation.program,
        args: &invocation.args,
        env: &invocation.env,
        cwd: &invocation.cwd,
        writable: &invocation.writable,
        mount_sources: invocation
            .mounts
            .iter()
            .flatten()
            .map(|(_, source)| source.as_path())
            .collect(),
        tmpfs_bytes: limits.memory_limit,
        network_off: !invocation.sandbox.network,
    };
    let (mut setup, view) = crate::run::sandbox::prepare(crate::run::sandbox::Plan {
        options: invocation.sandbox,
        landlock: !extras.no_landlock,
        writable: &invocation.writable,
        mounts,
        needs: Some(needs),
        cgroup: invocation.sandbox.filesystem.then(|| {
            crate::run::cgroup::RunCgroup::create(
                &invocation.run_id,
                limits.memory_limit,
                limits.max_processes,
            )
            .map_err(|err| crate::engine::error_chain(&err))
        }),
        max_processes: limits.max_processes,
    });
    // SAFETY: the closure only makes system calls (unshare, fork, mount, ioctl, write, and
    // Landlock's prctl and restrict_self) between fork and exec.
    unsafe {
        command.pre_exec(move || {
            // A session of its own: its own process group (whose id is its pid), and no
            // controlling terminal through which it could type into the user's shell.
            libc::setsid();
            setup.apply_in_child();
            // Nothing sf's process holds open reaches the script, except the report pipe.
            libc::syscall(
                libc::SYS_close_range,
                3u32,
                u32::MAX,
                libc::CLOSE_RANGE_CLOEXEC,
            );
            if let Some(w) = &report_write {
                libc::fcntl(w.as_raw_fd(), libc::F_SETFD, 0);
            }
            if let Some(fd) = extras.control {
                libc::fcntl(fd, libc::F_SETFD, 0);
            }
            Ok(())
        });
    }
    tracing::debug!(command = %invocation.command_line(), cwd = %invocation.cwd.display(), "spawning");
    let start = Instant::now();
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(err) => {
            return Err(Outcome::SpawnFailed {
                message: spawn_message(&invocation.program, &err),
            });
        }
    };
    let pid = child.id();
    // Closes the parent's copy of the status pipe, so the report below cannot block.
    drop(command);
    let (sandbox, container, cgroup) = view.report();
    let registered = Registered::new(pid, container.as_ref().map(|c| c.init));
    let capture = Capture::start(
        &mut child,
        stdout_file,
        stderr_file,
        limits.tail_bytes,
        limits.log_limit_bytes,
    );
    Ok(Running {
        child,
        pid,
        start,
        sandbox,
        container,
        cgroup,
        report: report_read,
        capture,
        registered,
    })
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

/// The most of a report sf reads.
pub(super) const REPORT_LIMIT: usize = 1 << 20;

/// A pipe for the run's report (close-on-exec in sf; the child clears it on its own copy), made
/// as large as the kernel allows an ordinary user, so the report's writer never waits for sf.
fn report_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    // SAFETY: fcntl on an open descriptor; failure leaves the default size.
    unsafe {
        libc::fcntl(
            w.as_raw_fd(),
            libc::F_SETPIPE_SZ,
            REPORT_LIMIT as libc::c_int,
        )
    };
    Ok((r, w))
}

/// What is waiting on the report pipe once every writer has gone (or the run is over), read
/// without waiting for more, at most [`REPORT_LIMIT`] bytes.
pub(super) fn read_report(pipe: OwnedFd) -> Vec<u8> {
    let fd = pipe.as_raw_fd();
    // SAFETY: fcntl and read on an open descriptor into a buffer of the given length.
    unsafe { libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK) };
    let mut bytes = vec![0u8; REPORT_LIMIT];
    let mut len = 0;
    while len < bytes.len() {
        let n = unsafe { libc::read(fd, bytes[len..].as_mut_ptr().cast(), bytes.len() - len) };
        match usize::try_from(n) {
            Ok(0) | Err(_) => break,
            Ok(n) => len += n,
        }
    }
    bytes.truncate(len);
    bytes
}
