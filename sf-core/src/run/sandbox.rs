//! Isolation where the kernel allows it, each mechanism reported as in force or not:
//!
//! - **filesystem** (Landlock): the script may write only under its workspace's `outputs/`,
//!   `logs/`, `tmp/`, `home/` and sf's `.sf/`, plus devices (`/dev`) and `/proc`; its inputs, the
//!   repository and everything else are read-only to it.
//! - **network** (a new network namespace with only loopback up): nothing outside the script's own
//!   process tree is reachable.
//!
//! Where a mechanism is unavailable (an old kernel, namespaces not allowed), the run still happens
//! without it and the result says so.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;

use landlock::{
    ABI, AccessFs, Ruleset, RulesetAttr, RulesetCreated, RulesetCreatedAttr, Scope,
    path_beneath_rules,
};
use serde::{Deserialize, Serialize};

/// What isolation a run asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxOptions {
    /// Restrict writes to the run's own directories (Landlock). On by default.
    pub filesystem: bool,
    /// Let the script use the network. On by default; `false` runs it in its own network namespace.
    pub network: bool,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            filesystem: true,
            network: true,
        }
    }
}

/// Whether one mechanism was in force for a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Mechanism {
    /// In force.
    Enforced {
        /// How (for example `Landlock ABI 7`).
        detail: String,
    },
    /// Not asked for.
    Off,
    /// Asked for, but the kernel or the environment does not allow it; the run went ahead
    /// without it.
    Unavailable {
        /// Why.
        reason: String,
    },
}

impl Mechanism {
    /// Unavailable because of `err`, with its causes.
    pub fn unavailable(err: &dyn std::error::Error) -> Mechanism {
        Mechanism::Unavailable {
            reason: crate::engine::error_chain(err),
        }
    }

    /// `enforced (Landlock ABI 7)`, `off`, `unavailable: …`.
    pub fn describe(&self) -> String {
        match self {
            Mechanism::Enforced { detail } => format!("enforced ({detail})"),
            Mechanism::Off => "off".to_owned(),
            Mechanism::Unavailable { reason } => format!("unavailable: {reason}"),
        }
    }
}

/// What was in force for a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxReport {
    /// Write restrictions.
    pub filesystem: Mechanism,
    /// Network isolation (`Off` when the network was allowed).
    pub network: Mechanism,
    /// The SageMaker layout (`Off` for the ordinary workspace layout).
    #[serde(default = "off")]
    pub layout: Mechanism,
}

fn off() -> Mechanism {
    Mechanism::Off
}

impl Default for SandboxReport {
    fn default() -> Self {
        SandboxReport {
            filesystem: Mechanism::Off,
            network: Mechanism::Off,
            layout: Mechanism::Off,
        }
    }
}

/// Why the running kernel offers no Landlock.
#[derive(Debug, thiserror::Error)]
pub enum LandlockUnavailable {
    /// The kernel was built without it.
    #[error("this kernel has no Landlock")]
    NotInKernel,
    /// Built in, but not enabled at boot.
    #[error("Landlock is disabled in this kernel (boot option lsm=)")]
    Disabled,
    /// The system call failed otherwise.
    #[error("Landlock is not usable")]
    Unusable(#[source] io::Error),
}

/// The Landlock ABI of the running kernel, or why there is none.
pub fn landlock_abi() -> Result<i32, LandlockUnavailable> {
    // SAFETY: landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) only returns a
    // number.
    let abi = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            1u32,
        )
    };
    if abi > 0 {
        Ok(abi as i32)
    } else {
        let err = io::Error::last_os_error();
        Err(match err.raw_os_error() {
            Some(libc::ENOSYS) => LandlockUnavailable::NotInKernel,
            Some(libc::EOPNOTSUPP) => LandlockUnavailable::Disabled,
            _ => LandlockUnavailable::Unusable(err),
        })
    }
}

/// What the child applies between fork and exec.
#[derive(Debug)]
pub(crate) struct ChildSetup {
    mounts: Option<crate::run::sagemaker::MountPlan>,
    /// With the filesystem sandbox: the script may not join sf's own process group.
    keep_out: Option<crate::run::sys::KeepOutOfGroup>,
    ruleset: Option<RulesetCreated>,
    network: bool,
    status_write: Option<OwnedFd>,
}

/// What the parent keeps to learn what took effect.
#[derive(Debug)]
pub(crate) struct ParentView {
    status_read: Option<OwnedFd>,
    filesystem_asked: bool,
    network_asked: bool,
    /// Whether the SageMaker layout's mounts could be planned; `None` when not asked for.
    layout: Option<io::Result<()>>,
    landlock_abi: Result<i32, LandlockUnavailable>,
}

/// The first Landlock ABI that keeps a sandboxed process from signalling outside its domain.
const SIGNAL_SCOPE_ABI: i32 = 6;

/// Bits the child reports back through the status pipe.
const LANDLOCK_OK: u8 = 1;
const NETNS_OK: u8 = 2;
const LOOPBACK_OK: u8 = 4;
const LAYOUT_OK: u8 = 8;

/// Builds the Landlock ruleset (which needs allocation and open files, so it cannot be done after
/// fork) and the status pipe.
pub(crate) fn prepare(
    options: SandboxOptions,
    writable: &[PathBuf],
    mounts: Option<std::io::Result<crate::run::sagemaker::MountPlan>>,
) -> (ChildSetup, ParentView) {
    let (mounts, layout) = match mounts {
        None => (None, None),
        Some(Ok(plan)) => (Some(plan), Some(Ok(()))),
        Some(Err(err)) => (None, Some(Err(err))),
    };
    let landlock_abi = landlock_abi();
    let ruleset = if options.filesystem && landlock_abi.is_ok() {
        match build_ruleset(writable) {
            Ok(r) => Some(r),
            Err(err) => {
                tracing::warn!(%err, "cannot build the Landlock ruleset; the run is not sandboxed");
                None
            }
        }
    } else {
        None
    };
    let (status_read, status_write) = match nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) {
        Ok((r, w)) => (Some(r), Some(w)),
        Err(_) => (None, None),
    };
    (
        ChildSetup {
            mounts,
            keep_out: options.filesystem.then(|| {
                crate::run::sys::KeepOutOfGroup::new(nix::unistd::getpgrp().as_raw() as u32)
            }),
            ruleset,
            network: !options.network,
            status_write,
        },
        ParentView {
            status_read,
            filesystem_asked: options.filesystem,
            network_asked: !options.network,
            layout,
            landlock_abi,
        },
    )
}

fn build_ruleset(writable: &[PathBuf]) -> Result<RulesetCreated, landlock::RulesetError> {
    // V3 covers every write-type right that matters here (including truncate) without handling
    // device ioctls, which would surprise scripts that talk to terminals or GPUs.
    let abi = ABI::V3;
    let write = AccessFs::from_write(abi);
    Ruleset::default()
        .handle_access(write)?
        // Where the kernel has it (ABI 6), the script cannot signal sf or any process outside
        // the run (kill, stop); elsewhere this is dropped, as the report says.
        .scope(Scope::Signal)?
        .create()?
        .add_rules(path_beneath_rules(writable, write))?
        // /dev for /dev/null and terminals; not /proc, where a write could reach sf itself
        // (its oom_score_adj, say) or another process of the machine.
        .add_rules(path_beneath_rules(
            ["/dev"],
            AccessFs::WriteFile | AccessFs::Truncate,
        ))?
        .add_rules(path_beneath_rules(["/dev/shm"], write))
}

impl ChildSetup {
    /// Runs in the child after fork, before exec: applies what was asked and reports what took.
    /// Only async-signal-safe system calls are made, apart from the Landlock crate's call.
    pub(crate) fn apply_in_child(&mut self) {
        let mut status = 0u8;
        // Mounts first: Landlock forbids mounting once in force.
        if let Some(plan) = &self.mounts
            && plan.apply_in_child()
        {
            status |= LAYOUT_OK;
        }
        if self.network {
            // SAFETY: unshare has no memory-safety preconditions.
            let mut ok = unsafe { libc::unshare(libc::CLONE_NEWNET) } == 0;
            if !ok {
                // Without CAP_SYS_ADMIN, a user namespace grants it inside.
                // SAFETY: as above.
                ok = unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET) } == 0;
            }
            if ok {
                status |= NETNS_OK;
                if loopback_up() {
                    status |= LOOPBACK_OK;
                }
            }
        }
        if let Some(ruleset) = self.ruleset.take()
            && ruleset.restrict_self().is_ok()
        {
            status |= LANDLOCK_OK;
        }
        if let Some(filter) = &self.keep_out {
            // Best effort, like the rest: without seccomp the sweep still finds the process.
            let _ = filter.install();
        }
        if let Some(w) = &self.status_write {
            // SAFETY: writing one byte from a local to an open pipe.
            unsafe { libc::write(w.as_raw_fd(), (&raw const status).cast(), 1) };
        }
    }
}

impl ParentView {
    /// Reads what the child reported and describes it. Call after the child has exec'd and the
    /// parent's copy of the write end (held by the `Command`) is closed.
    pub(crate) fn report(self) -> SandboxReport {
        let mut status = 0u8;
        let got = self.status_read.as_ref().is_some_and(|r| {
            // SAFETY: reading one byte into a local from an open pipe whose writer is closed.
            unsafe { libc::read(r.as_raw_fd(), (&raw mut status).cast(), 1) == 1 }
        });
        let filesystem = match (self.filesystem_asked, &self.landlock_abi) {
            (false, _) => Mechanism::Off,
            (true, Err(reason)) => Mechanism::unavailable(reason),
            (true, Ok(abi)) if got && status & LANDLOCK_OK != 0 => Mechanism::Enforced {
                detail: if *abi >= SIGNAL_SCOPE_ABI {
                    format!("Landlock ABI {abi}, signals scoped")
                } else {
                    format!("Landlock ABI {abi}")
                },
            },
            (true, Ok(_)) => Mechanism::Unavailable {
                reason: "the Landlock ruleset could not be applied".to_owned(),
            },
        };
        let network = match (self.network_asked, got) {
            (false, _) => Mechanism::Off,
            (true, true) if status & NETNS_OK != 0 => Mechanism::Enforced {
                detail: if status & LOOPBACK_OK != 0 {
                    "network namespace, loopback only".to_owned()
                } else {
                    "network namespace, no interface up".to_owned()
                },
            },
            (true, _) => Mechanism::Unavailable {
                reason: "network namespaces cannot be created here".to_owned(),
            },
        };
        let layout = match self.layout {
            None => Mechanism::Off,
            Some(Err(err)) => Mechanism::unavailable(&err),
            Some(Ok(())) if got && status & LAYOUT_OK != 0 => Mechanism::Enforced {
                detail: "SageMaker paths under /opt/ml, private mount namespace".to_owned(),
            },
            Some(Ok(())) => Mechanism::Unavailable {
                reason: "mount namespaces cannot be created here".to_owned(),
            },
        };
        SandboxReport {
            filesystem,
            network,
            layout,
        }
    }
}

/// Brings `lo` up in the current (new) network namespace with one ioctl.
fn loopback_up() -> bool {
    // SAFETY: plain socket and ioctl calls on a zeroed ifreq naming "lo".
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return false;
        }
        let mut req: libc::ifreq = std::mem::zeroed();
        for (i, b) in b"lo\0".iter().enumerate() {
            req.ifr_name[i] = *b as libc::c_char;
        }
        let mut ok = libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut req) == 0;
        if ok {
            req.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
            ok = libc::ioctl(fd, libc::SIOCSIFFLAGS, &req) == 0;
        }
        libc::close(fd);
        ok
    }
}
