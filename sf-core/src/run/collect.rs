//! Ending a run: reaping its main process, deciding how it ended, and gathering what it wrote into
//! an [`ExecutionResult`].

use std::time::Duration;

use crate::run::capture::LogFiles;
use crate::run::execution::{ExecutionResult, Outcome};
use crate::run::runner::Limits;
use crate::run::sandbox::SandboxReport;
use crate::run::spawn::Running;
use crate::run::supervise::Supervised;
use crate::run::sys;

/// Reaps the run's main process and builds its result: the outcome (an interrupt first, then the
/// memory limit, then the timeout, then how the process itself ended), the peak memory, and the
/// tails of its output. `stray_processes_killed` is what the sweep killed.
pub(super) fn collect(
    running: Running,
    supervised: Supervised,
    stray_processes_killed: usize,
    limits: &Limits,
    logs: &LogFiles,
) -> ExecutionResult {
    let Running {
        child,
        pid,
        sandbox,
        container,
        cgroup,
        report,
        capture,
        registered,
        ..
    } = running;
    let mut reaped = sys::reap(pid);
    drop(child);
    let mut stray_processes_killed = stray_processes_killed;
    let mut container_failure = None;
    // In a container, the process sf reaped only mirrors its init; the init saw the script.
    if let Some(end) = container.as_ref().and_then(|c| c.end()) {
        stray_processes_killed += end.strays;
        match (end.status, reaped.as_mut()) {
            (Ok(status), Ok(r)) => r.status = status,
            (Err(errno), _) => container_failure = Some(errno),
            (Ok(_), Err(_)) => {}
        }
    }

    let rusage_peak = reaped.as_ref().map(|r| r.max_rss_bytes).unwrap_or(0);
    let peak_memory_bytes = supervised.peak_tree.max(rusage_peak);
    let interrupted = crate::run::interrupt::interrupted();
    let outcome = match (&reaped, supervised.timed_out) {
        _ if interrupted.is_some() => Outcome::Interrupted {
            signal: sys::signal_name(interrupted.unwrap_or_default()),
        },
        // The kernel's own kill at the cgroup's limit counts as the limit too.
        _ if supervised.out_of_memory || cgroup.as_ref().is_some_and(|c| c.oom_killed()) => {
            Outcome::OutOfMemory {
                limit_bytes: limits.memory_limit.unwrap_or(0),
                peak_bytes: peak_memory_bytes,
            }
        }
        (_, true) => Outcome::TimedOut {
            after: limits.timeout,
        },
        (Ok(r), false) => match r.status {
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
        (Err(err), false) => Outcome::SpawnFailed {
            message: format!("lost track of process {pid}: {err}"),
        },
    };
    let outcome = match container_failure {
        Some(errno) if matches!(outcome, Outcome::Exited { .. }) => Outcome::SpawnFailed {
            message: format!(
                "the run's container could not start the script: {}",
                std::io::Error::from_raw_os_error(errno)
            ),
        },
        _ => outcome,
    };

    let (out, err) = capture.finish();
    // The group stays on the list that Ctrl-C stops until its output is in.
    drop(registered);
    // Removes the run's cgroup (killing anything still in it).
    drop(cgroup);
    ExecutionResult {
        outcome,
        wall_time: supervised.wall_time,
        peak_memory_bytes,
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
        report: report.map(crate::run::spawn::read_report),
        stray_processes_killed,
        sandbox,
        start: Default::default(),
    }
}

/// The result of a run that never got going: `outcome` says why; no time, memory or output.
pub(super) fn not_run(logs: &LogFiles, outcome: Outcome) -> ExecutionResult {
    ExecutionResult {
        outcome,
        wall_time: Duration::ZERO,
        peak_memory_bytes: 0,
        stdout_tail: String::new(),
        stderr_tail: String::new(),
        output_bytes: 0,
        output_truncated: false,
        stdout_path: logs.stdout.clone(),
        stderr_path: logs.stderr.clone(),
        script_error: None,
        report_missing: false,
        python: None,
        installs: None,
        report: None,
        stray_processes_killed: 0,
        sandbox: SandboxReport::default(),
        start: Default::default(),
    }
}
