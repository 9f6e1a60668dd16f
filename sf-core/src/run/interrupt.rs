//! Ctrl-C and SIGTERM: every script runs in its own process group, so a signal to sf (or to a test
//! harness) would not reach it. Once [`install`]ed, the first SIGINT, SIGTERM or SIGHUP stops every
//! running script (SIGTERM to its group, SIGKILL two seconds later) and makes new runs end at once
//! as interrupted, so the front door can still write the results that completed; a second signal
//! ends the process at once.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, Once};
use std::time::Duration;

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::run::sys;

static SIGNAL: AtomicI32 = AtomicI32::new(0);
/// Running process groups, with the pid of their container's init when they have one.
static GROUPS: Mutex<BTreeSet<(u32, Option<u32>)>> = Mutex::new(BTreeSet::new());

/// Exit status of a process that stopped because of signal `signal` (the shell convention).
pub fn exit_status(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(130)
}

/// Starts watching for SIGINT, SIGTERM and SIGHUP (once per process).
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let mut signals = match Signals::new([SIGINT, SIGTERM, SIGHUP]) {
            Ok(s) => s,
            Err(err) => {
                tracing::warn!(%err, "cannot watch for Ctrl-C; scripts may outlive an interrupted run");
                return;
            }
        };
        std::thread::spawn(move || {
            for signal in signals.forever() {
                if SIGNAL.swap(signal, Ordering::SeqCst) != 0 {
                    // A second signal: stop waiting for anything.
                    kill_all(sys::Sig::SIGKILL);
                    std::process::exit(i32::from(exit_status(signal)));
                }
                tracing::warn!(signal = %sys::signal_name(signal), "interrupted: stopping every running script");
                kill_all(sys::Sig::SIGTERM);
                std::thread::spawn(|| {
                    std::thread::sleep(Duration::from_secs(2));
                    kill_all(sys::Sig::SIGKILL);
                });
            }
        });
    });
}

/// The name of the signal that interrupted this process (`SIGINT`), if one did.
pub fn interrupted_by() -> Option<String> {
    interrupted().map(sys::signal_name)
}

/// The signal that interrupted this process, if one did.
pub fn interrupted() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

fn kill_all(signal: sys::Sig) {
    let groups: Vec<(u32, Option<u32>)> = GROUPS
        .lock()
        .map(|g| g.iter().copied().collect())
        .unwrap_or_default();
    for (pgid, init) in groups {
        if signal == sys::Sig::SIGKILL
            && let Some(init) = init
        {
            // Ends every process of the container, wherever it moved itself.
            sys::signal_process(init, signal);
        }
        sys::signal_group(pgid, signal);
    }
}

/// A running process group, registered for as long as this guard lives.
#[derive(Debug)]
pub(crate) struct Registered((u32, Option<u32>));

impl Registered {
    /// Registers the group `pgid`, and the init of its container when it has one.
    pub(crate) fn new(pgid: u32, init: Option<u32>) -> Registered {
        if let Ok(mut g) = GROUPS.lock() {
            g.insert((pgid, init));
        }
        // A signal that arrived between the check before spawning and now still reaches it.
        if interrupted().is_some() {
            sys::signal_group(pgid, sys::Sig::SIGTERM);
        }
        Registered((pgid, init))
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut g) = GROUPS.lock() {
            g.remove(&self.0);
        }
    }
}
