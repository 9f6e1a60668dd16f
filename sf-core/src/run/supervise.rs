//! Watching a running script until its main process ends: the timeout (SIGTERM, then SIGKILL after
//! the grace period), the memory limit over the whole process tree, and its peak memory.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::run::runner::Limits;
use crate::run::sys;

/// The first interval between two looks at a running script; it doubles up to [`POLL_MAX`].
pub(super) const POLL_MIN: Duration = Duration::from_millis(1);
const POLL_MAX: Duration = Duration::from_millis(20);

/// What watching a run saw, up to the moment its main process exited.
#[derive(Debug)]
pub(super) struct Supervised {
    /// From the spawn until the main process exited.
    pub(super) wall_time: Duration,
    /// Highest resident memory of the process tree seen.
    pub(super) peak_tree: u64,
    /// The timeout passed and the group was signalled.
    pub(super) timed_out: bool,
    /// The memory limit was passed and the group was killed.
    pub(super) out_of_memory: bool,
}

/// How often the processes that left the tree (orphans carrying the run's marker) are looked
/// for: a scan of `/proc` costs a few milliseconds.
const MARKER_SCAN: Duration = Duration::from_millis(100);

/// Memory of the run without a cgroup: the proportional share of its process tree, plus the
/// processes carrying its marker (`run_id`) that left the tree, such as a double-forked
/// grandchild now owned by init.
fn run_rss_bytes(pid: u32, run_id: &str, orphans: &[u32]) -> u64 {
    let tree = sys::tree_members(pid);
    let tree_rss: u64 =
        tree.iter().map(|p| sys::pss_bytes(*p)).sum::<u64>() + sys::memfd_bytes(&tree);
    if run_id.is_empty() {
        return tree_rss;
    }
    tree_rss
        + orphans
            .iter()
            .filter(|p| !tree.contains(p))
            .map(|p| sys::pss_bytes(*p))
            .sum::<u64>()
}

/// The processes of a run as sf addresses them.
#[derive(Debug, Clone)]
pub(super) struct RunProcesses {
    /// The process sf started: the leader of the run's process group.
    pub(super) pid: u32,
    /// The init of the run's container, when it has one: killing it ends every process of the
    /// run, wherever it moved itself.
    pub(super) init: Option<u32>,
    /// Whether private tmpfs mounts hold part of the run's memory.
    pub(super) tmpfs: bool,
    /// The run's cgroup, when it has one: its memory figures are the kernel's own.
    pub(super) cgroup: Option<std::sync::Arc<crate::run::cgroup::RunCgroup>>,
}

impl RunProcesses {
    /// Asks the run to end: SIGTERM to its process group.
    pub(super) fn terminate(&self) {
        sys::signal_group(self.pid, sys::Sig::SIGTERM);
    }

    /// Ends the run: SIGKILL to its container's init, or to its process group.
    pub(super) fn kill(&self) {
        match self.init {
            Some(init) => sys::signal_process(init, sys::Sig::SIGKILL),
            None => sys::signal_group(self.pid, sys::Sig::SIGKILL),
        }
    }

    /// Memory of the run: with a cgroup, the anonymous and shared memory (tmpfs, memfd) the
    /// kernel charged to it, each page once; without, the proportional share of its processes
    /// plus what it keeps in its private tmpfs mounts.
    pub(super) fn memory_bytes(&self, run_id: &str, orphans: &[u32]) -> u64 {
        if let Some(bytes) = self.cgroup.as_ref().and_then(|c| c.memory_bytes()) {
            return bytes;
        }
        let tmpfs = if self.tmpfs {
            crate::run::container::tmpfs_used_bytes(self.pid)
        } else {
            0
        };
        run_rss_bytes(self.pid, run_id, orphans) + tmpfs
    }
}

/// Watches the run, started at `start`, under `limits` until the leader of its process group
/// exits (the leader is left a zombie, not reaped). `run_id` is the run's marker, to count
/// processes that left the tree (empty in a container, whose processes never leave it).
pub(super) fn supervise(
    run: &RunProcesses,
    start: Instant,
    limits: &Limits,
    run_id: &str,
) -> Supervised {
    let pid = run.pid;
    let mut peak_tree = 0u64;
    let mut poll = POLL_MIN;
    // Longer timeouts (possible only through the Rust API) would overflow the clock.
    let deadline = start + limits.timeout.min(sf_vocab::MAX_TIMEOUT);
    let mut term_sent: Option<Instant> = None;
    let mut kill_sent = false;
    let mut out_of_memory = false;
    // A thread blocks until the child exits, so the end of a run is noticed at once rather than
    // at the next sampling tick.
    let (exit_tx, exit_rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = exit_tx.send(sys::wait_exited(pid));
    });
    let mut marked: Vec<u32> = Vec::new();
    // No process can have left the tree at the start: the first scan waits one period, so a
    // short run pays nothing for it.
    let mut scanned = start;
    loop {
        if !run_id.is_empty() && scanned.elapsed() >= MARKER_SCAN {
            marked = sys::processes_with_env(crate::run::runner::RUN_ID_VAR, run_id);
            scanned = Instant::now();
        }
        peak_tree = peak_tree.max(run.memory_bytes(run_id, &marked));
        // The kernel stopped a process of the run at the cgroup's limit: the run is over, as it
        // is when sf sees the limit passed.
        let killed_by_kernel = limits.memory_limit.is_some()
            && !out_of_memory
            && run.cgroup.as_ref().is_some_and(|c| c.oom_killed());
        if killed_by_kernel
            && let Some(charged) = run.cgroup.as_ref().and_then(|c| c.charged_peak_bytes())
        {
            peak_tree = peak_tree.max(charged);
        }
        if let Some(limit) = limits.memory_limit
            && (peak_tree > limit || killed_by_kernel)
            && !out_of_memory
        {
            tracing::info!(
                pid,
                limit,
                peak_tree,
                "memory limit exceeded: killing the run and its orphans"
            );
            run.kill();
            for orphan in &marked {
                sys::signal_process(*orphan, sys::Sig::SIGKILL);
            }
            out_of_memory = true;
        }
        let now = Instant::now();
        match term_sent {
            None if now >= deadline => {
                tracing::info!(pid, "timeout: sending SIGTERM to the process group");
                run.terminate();
                term_sent = Some(now);
            }
            Some(at) if !kill_sent && now >= at + limits.kill_grace => {
                tracing::info!(pid, "grace period over: killing the run");
                run.kill();
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
    Supervised {
        wall_time: start.elapsed(),
        peak_tree,
        timed_out: term_sent.is_some(),
        out_of_memory,
    }
}
