//! Starting a run: log files, the command with its environment and sandbox, the child in its own
//! process group, and the capture of its output.

use std::fs::File;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use crate::run::capture::{Capture, LogFiles};
use crate::run::execution::Outcome;
use crate::run::interrupt::Registered;
use crate::run::runner::{Invocation, Limits, RUN_ID_VAR};
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
    pub(super) capture: Capture,
    /// Keeps the group on the list that Ctrl-C stops, for as long as the run lasts.
    pub(super) registered: Registered,
}

/// Starts `invocation` with its output going to `logs`. A run that cannot start
/// (log files that cannot be created, a missing program, an interrupt before the spawn) is the
/// outcome to report instead.
pub(super) fn spawn(
    invocation: &Invocation,
    logs: &LogFiles,
    limits: &Limits,
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
    command
        .args(&invocation.args)
        .envs(invocation.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&invocation.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
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
        writable: &invocation.writable,
        mounts,
        needs: Some(needs),
    });
    // SAFETY: the closure only makes system calls (unshare, fork, mount, ioctl, write, and
    // Landlock's prctl and restrict_self) between fork and exec.
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
            return Err(Outcome::SpawnFailed {
                message: spawn_message(&invocation.program, &err),
            });
        }
    };
    let pid = child.id();
    // Closes the parent's copy of the status pipe, so the report below cannot block.
    drop(command);
    let (sandbox, container) = view.report();
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
