//! Leaving no process behind: once a run's main process has ended, whatever is left of its process
//! group is killed, and so is every process that left the group but is still in the run's cgroup
//! or carries the run's mark. (In a container, the container's init has done this already.)

use std::thread;
use std::time::{Duration, Instant};

use crate::run::cgroup::RunCgroup;
use crate::run::runner::RUN_ID_VAR;
use crate::run::supervise::POLL_MIN;
use crate::run::sys;

/// Kills the rest of the process group `pid` (whose leader has exited but is not reaped yet) and
/// the processes marked with `run_id` (none when it is empty), and waits until they are gone.
/// Returns how many processes it killed, the leader not counted. With a `cgroup`, its members are
/// the run's processes, and the marker is not needed.
pub(super) fn sweep(pid: u32, run_id: &str, cgroup: Option<&RunCgroup>) -> usize {
    // The leader is a zombie now, which keeps its group id reserved: whatever is left of the
    // group (background children) is killed before the leader is reaped.
    let strays: Vec<u32> = sys::live_group_members(pid)
        .into_iter()
        .filter(|p| *p != pid)
        .collect();
    let mut killed = strays.len();
    sys::signal_group(pid, sys::Sig::SIGKILL);
    if !strays.is_empty() {
        // Signals are delivered asynchronously: wait until the processes are really gone.
        let until = Instant::now() + Duration::from_secs(2);
        while Instant::now() < until && sys::live_group_members(pid).iter().any(|p| *p != pid) {
            thread::sleep(POLL_MIN);
        }
    }
    // Processes that left the group (setsid, double fork) are still in the run's cgroup.
    if let Some(cgroup) = cgroup {
        let escaped: Vec<u32> = cgroup.members().into_iter().filter(|p| *p != pid).collect();
        killed += escaped.len();
        let until = Instant::now() + Duration::from_secs(2);
        loop {
            let left: Vec<u32> = cgroup.members().into_iter().filter(|p| *p != pid).collect();
            if left.is_empty() || Instant::now() >= until {
                break;
            }
            // Members that fork while being killed join the cgroup: kill until none is left.
            for p in &left {
                sys::signal_process(*p, sys::Sig::SIGKILL);
            }
            thread::sleep(POLL_MIN);
        }
        return killed;
    }
    // Without one, they still carry the run's marker. A process caught between leaving the
    // group and a new program (its environment unreadable for that moment) is missed by one
    // look: when the group had strays, look again until two looks in a row find nothing.
    if !run_id.is_empty() {
        let mut quiet = 0;
        let rounds_wanted = if strays.is_empty() { 1 } else { 2 };
        let until = Instant::now() + Duration::from_secs(2);
        while quiet < rounds_wanted && Instant::now() < until {
            let escaped: Vec<u32> = sys::processes_with_env(RUN_ID_VAR, run_id)
                .into_iter()
                .filter(|p| *p != pid)
                .collect();
            if escaped.is_empty() {
                quiet += 1;
                if quiet < rounds_wanted {
                    thread::sleep(Duration::from_millis(5));
                }
                continue;
            }
            quiet = 0;
            tracing::info!(
                count = escaped.len(),
                "killing processes that left the run's process group"
            );
            for p in &escaped {
                sys::signal_process(*p, sys::Sig::SIGKILL);
            }
            killed += escaped.len();
            thread::sleep(POLL_MIN);
        }
    }
    killed
}
