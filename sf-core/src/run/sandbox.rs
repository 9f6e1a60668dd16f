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

use std::sync::Arc;

use crate::run::cgroup::RunCgroup;
use crate::run::container::{Built, ContainerPlan, Entered};
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
    /// The run's own PID, IPC and UTS namespaces: it cannot see or signal anything outside, and
    /// ending its init ends every process of the run.
    #[serde(default = "off")]
    pub processes: Mechanism,
    /// The run's own mounts: the host read-only (metadata included), the workspace's writable
    /// directories read-write, a private `/tmp` and `/dev/shm`, a `/proc` of its own.
    #[serde(default = "off")]
    pub mounts: Mechanism,
    /// The run's own cgroup: the kernel holds it to its memory limit and number of processes.
    #[serde(default = "off")]
    pub cgroup: Mechanism,
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
            processes: Mechanism::Off,
            mounts: Mechanism::Off,
            cgroup: Mechanism::Off,
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
    /// The per-run container, when the sandbox is on.
    container: Option<ContainerPlan>,
    /// With the filesystem sandbox: the script may not join sf's own process group.
    keep_out: Option<crate::run::sys::KeepOutOfGroup>,
    ruleset: Option<RulesetCreated>,
    network: bool,
    status_write: Option<OwnedFd>,
    /// Where the container's init says how the script ended.
    end_write: Option<OwnedFd>,
    /// The run's cgroup, joined first.
    cgroup: Option<Arc<RunCgroup>>,
    /// Without a cgroup (and not as root): the run's process cap, through `RLIMIT_NPROC`.
    nproc: Option<u64>,
}

/// What the parent keeps to learn what took effect.
#[derive(Debug)]
pub(crate) struct ParentView {
    status_read: Option<OwnedFd>,
    end_read: Option<OwnedFd>,
    filesystem_asked: bool,
    network_asked: bool,
    /// Whether the container was planned, or why not.
    container: Option<Result<Option<&'static str>, String>>,
    /// Whether the SageMaker layout's mounts could be planned; `None` when not asked for.
    layout: Option<io::Result<()>>,
    landlock_abi: Result<i32, LandlockUnavailable>,
    /// The run's cgroup, or why it has none; `None` when the sandbox is off.
    cgroup: Option<Result<Arc<RunCgroup>, String>>,
}

/// The container a run got: its init (sf's last word on the run is a SIGKILL to it) and the
/// pipe on which the init says how the script ended.
#[derive(Debug)]
pub(crate) struct ContainerLink {
    pub(crate) init: u32,
    end_read: OwnedFd,
    /// Whether private tmpfs mounts hold part of the run's memory.
    pub(crate) tmpfs: bool,
}

/// How the script ended, as the container's init saw it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ContainerEnd {
    pub(crate) status: Result<crate::run::sys::ExitStatus, i32>,
    /// Processes of the run still alive when the script ended, killed by the init.
    pub(crate) strays: usize,
}

impl ContainerLink {
    /// Reads the init's last record; `None` when the init was killed before it could write one.
    /// Call once the run's outside process has exited.
    pub(crate) fn end(&self) -> Option<ContainerEnd> {
        use crate::run::container::{TAG_END, read_records};
        let mut buf = [0u8; 64];
        // SAFETY: a non-blocking read into a local buffer.
        let n = unsafe {
            let fd = self.end_read.as_raw_fd();
            libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK);
            libc::read(fd, buf.as_mut_ptr().cast(), buf.len())
        };
        let n = usize::try_from(n).ok()?;
        let [_, kind, value, strays] = read_records(&buf[..n])
            .into_iter()
            .find(|r| r[0] == TAG_END)?;
        use crate::run::sys::ExitStatus;
        let status = match kind {
            0 => Ok(ExitStatus::Exited(value as i32)),
            1 | 2 => Ok(ExitStatus::Signaled {
                signal: value as i32,
                core_dumped: kind == 2,
            }),
            _ => Err(value as i32),
        };
        Some(ContainerEnd {
            status,
            strays: strays as usize,
        })
    }
}

/// The first Landlock ABI that keeps a sandboxed process from signalling outside its domain.
const SIGNAL_SCOPE_ABI: i32 = 6;

/// Bits the child reports back through the status pipe.
const LANDLOCK_OK: u32 = 1;
const NETNS_OK: u32 = 2;
const LOOPBACK_OK: u32 = 4;
const LAYOUT_OK: u32 = 8;
const CGROUP_OK: u32 = 16;

/// What [`prepare`] needs to know about the run.
#[derive(Debug)]
pub(crate) struct Plan<'a> {
    pub(crate) options: SandboxOptions,
    /// Whether the process itself gets the Landlock ruleset (a warm interpreter does not).
    pub(crate) landlock: bool,
    pub(crate) writable: &'a [PathBuf],
    pub(crate) mounts: Option<std::io::Result<crate::run::sagemaker::MountPlan>>,
    pub(crate) needs: Option<crate::run::container::Needs<'a>>,
    /// The run's cgroup, or why it could not be made (with the sandbox on).
    pub(crate) cgroup: Option<Result<RunCgroup, String>>,
    /// Processes (and threads) the run may have at once.
    pub(crate) max_processes: u64,
}

/// Builds the Landlock ruleset (which needs allocation and open files, so it cannot be done after
/// fork), the container's plan and the status pipes.
pub(crate) fn prepare(plan: Plan<'_>) -> (ChildSetup, ParentView) {
    let Plan {
        options,
        landlock,
        writable,
        mounts,
        needs,
        cgroup,
        max_processes,
    } = plan;
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    // RLIMIT_NPROC binds no root process; a run as root without a cgroup has no process cap.
    let nproc = matches!(cgroup, Some(Err(_)))
        .then_some(max_processes)
        .filter(|_| !root);
    let cgroup = cgroup.map(|c| {
        c.map(Arc::new).map_err(|reason| match nproc {
            Some(n) => format!("{reason}; at most {n} processes through RLIMIT_NPROC instead"),
            None => reason,
        })
    });
    let (mounts, layout) = match mounts {
        None => (None, None),
        Some(Ok(plan)) => (Some(plan), Some(Ok(()))),
        Some(Err(err)) => (None, Some(Err(err))),
    };
    let landlock_abi = landlock_abi();
    let ruleset = if options.filesystem && landlock && landlock_abi.is_ok() {
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
    let (container, container_view) = match needs.filter(|_| options.filesystem) {
        None => (None, None),
        Some(needs) => match ContainerPlan::new(&needs) {
            Ok(plan) => {
                let why_no_tmp = plan.no_private_tmp();
                (Some(plan), Some(Ok(why_no_tmp)))
            }
            Err(err) => (None, Some(Err(err.to_string()))),
        },
    };
    let pipe = || match nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) {
        Ok((r, w)) => (Some(r), Some(w)),
        Err(_) => (None, None),
    };
    let (status_read, status_write) = pipe();
    let (end_read, end_write) = if container.is_some() {
        pipe()
    } else {
        (None, None)
    };
    (
        ChildSetup {
            mounts,
            container,
            keep_out: options.filesystem.then(|| {
                crate::run::sys::KeepOutOfGroup::new(nix::unistd::getpgrp().as_raw() as u32)
            }),
            ruleset,
            network: !options.network,
            status_write,
            end_write,
            cgroup: cgroup.as_ref().and_then(|c| c.as_ref().ok().cloned()),
            nproc,
        },
        ParentView {
            status_read,
            end_read,
            filesystem_asked: options.filesystem,
            network_asked: !options.network,
            container: container_view,
            layout,
            landlock_abi,
            cgroup,
        },
    )
}

/// The devices a sandboxed script may write to.
pub(crate) const WRITABLE_DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/pts",
];

/// Landlock's access bits as numbers, for a ruleset made outside Rust (a warm case's): the
/// rights handled, the write rights of a writable folder, and those of a writable device.
pub(crate) fn write_access_bits() -> (u64, u64, u64) {
    let write = AccessFs::from_write(ABI::V3);
    let device = AccessFs::WriteFile | AccessFs::Truncate;
    (write.bits(), write.bits(), device.bits())
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
        // A few devices, never the rest of /dev (disks, the kernel log, the console); not /proc,
        // where a write could reach sf itself (its oom_score_adj, say) or another process of the
        // machine. (In a container, its own /dev gets its rule in the child.)
        .add_rules(path_beneath_rules(
            WRITABLE_DEVICES,
            AccessFs::WriteFile | AccessFs::Truncate,
        ))?
        .add_rules(path_beneath_rules(["/dev/shm"], write))
}

/// Adds a write rule for the directory `path` as the calling process sees it now (a tmpfs just
/// mounted in the container, which the parent could not open). Only system calls.
fn allow_writes_under(
    ruleset: RulesetCreated,
    path: &std::ffi::CStr,
    access: landlock::BitFlags<AccessFs>,
) -> Option<RulesetCreated> {
    use std::os::fd::BorrowedFd;
    // SAFETY: open on a static C string; the descriptor is closed below.
    let fd = unsafe {
        libc::open(
            path.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Some(ruleset);
    }
    // SAFETY: fd is open for the duration of the borrow.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    let added = ruleset
        .add_rule(landlock::PathBeneath::new(borrowed, access))
        .ok();
    // SAFETY: closing the descriptor opened above.
    unsafe { libc::close(fd) };
    added
}

impl ChildSetup {
    /// Runs in the child after fork, before exec: applies what was asked and reports what took.
    /// Only system calls are made, apart from the Landlock crate's calls. With a container, this
    /// is where the child becomes three processes (see [`crate::run::container`]); only the
    /// script's returns.
    pub(crate) fn apply_in_child(&mut self) {
        let mut status = 0u32;
        // First, so that every process of the run is in it.
        if let Some(cgroup) = &self.cgroup
            && cgroup.join_in_child()
        {
            status |= CGROUP_OK;
        }
        let mut built = Built::default();
        let status_fd = self.status_write.as_ref().map_or(-1, |w| w.as_raw_fd());
        let mut contained = false;
        if let Some(plan) = &mut self.container
            && let Entered::Init = plan.enter(&mut built, status_fd)
        {
            contained = true;
            plan.build_mounts(&mut built);
            if let Some(layout) = &self.mounts
                && built.mounts
                && layout.apply_in_child(true)
            {
                status |= LAYOUT_OK;
            }
            if plan.has_network_namespace() {
                status |= NETNS_OK;
                if loopback_up() {
                    status |= LOOPBACK_OK;
                }
            }
            // In the run's user namespace, the cap counts the run's processes only.
            set_nproc(self.nproc);
            plan.fork_script(self.end_write.as_ref().map(|w| w.as_raw_fd()));
            plan.drop_capabilities(&mut built);
        }
        if !contained {
            set_nproc(self.nproc);
            // Mounts first: Landlock forbids mounting once in force.
            if let Some(plan) = &self.mounts
                && plan.apply_in_child(false)
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
        }
        // The private tmpfs mounts are new inodes the parent's rules cannot name.
        let mut ruleset = self.ruleset.take();
        let write = AccessFs::from_write(ABI::V3);
        let devices = AccessFs::WriteFile | AccessFs::Truncate;
        for (private, path, access) in [
            (built.private_tmp, c"/tmp", write),
            (built.private_shm, c"/dev/shm", write),
            (built.private_dev, c"/dev", devices),
        ] {
            if private {
                ruleset = ruleset.and_then(|r| allow_writes_under(r, path, access));
            }
        }
        if let Some(ruleset) = ruleset
            && ruleset.restrict_self().is_ok()
        {
            status |= LANDLOCK_OK;
        }
        if let Some(filter) = &self.keep_out {
            // Best effort, like the rest: without seccomp the sweep still finds the process.
            let _ = filter.install();
        }
        let (bits, step, errno) = built.to_bits();
        crate::run::container::write_record(
            status_fd,
            crate::run::container::TAG_STATUS,
            status,
            bits,
            (step << 16) | (errno as u32 & 0xffff),
        );
    }
}

impl ParentView {
    /// Reads what the children reported and describes it. Call after the child has exec'd and
    /// the parent's copy of the write end (held by the `Command`) is closed: the pipe reaches
    /// its end when the script execs.
    pub(crate) fn report(self) -> (SandboxReport, Option<ContainerLink>, Option<Arc<RunCgroup>>) {
        use crate::run::container::{TAG_INIT, TAG_STATUS, read_records};
        let mut bytes = Vec::new();
        if let Some(r) = self.status_read {
            let _ = io::Read::read_to_end(&mut std::fs::File::from(r), &mut bytes);
        }
        let records = read_records(&bytes);
        let stat = records.iter().find(|r| r[0] == TAG_STATUS);
        let got = stat.is_some();
        let status = stat.map_or(0, |r| r[1]);
        let built = stat.map_or_else(Built::default, |r| {
            Built::from_bits(r[2], r[3] >> 16, (r[3] & 0xffff) as i32)
        });
        let init = records.iter().find(|r| r[0] == TAG_INIT).map(|r| r[1]);
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
        let why = || {
            built
                .failure()
                .unwrap_or_else(|| "the container's setup did not report back".to_owned())
        };
        let (processes, mounts) = match &self.container {
            None => (Mechanism::Off, Mechanism::Off),
            Some(Err(reason)) => (
                Mechanism::Unavailable {
                    reason: reason.clone(),
                },
                Mechanism::Unavailable {
                    reason: reason.clone(),
                },
            ),
            Some(Ok(_)) if !built.namespaces => (
                Mechanism::Unavailable { reason: why() },
                Mechanism::Unavailable { reason: why() },
            ),
            Some(Ok(no_tmp)) => {
                let mut detail = "own PID, IPC and UTS namespaces".to_owned();
                if built.rootless {
                    detail.push_str(", in a user namespace");
                }
                if built.capabilities_dropped {
                    detail.push_str(", root's capabilities cut");
                }
                let processes = Mechanism::Enforced { detail };
                let mounts = if built.mounts {
                    let mut parts = vec!["host read-only", "workspace writable"];
                    if built.private_tmp {
                        parts.push("private /tmp");
                    }
                    if built.private_shm {
                        parts.push("private /dev/shm");
                    }
                    if built.private_dev {
                        parts.push("private /dev");
                    }
                    if built.own_proc {
                        parts.push("own /proc");
                    }
                    let mut detail = parts.join(", ");
                    if let Some(reason) = no_tmp {
                        detail.push_str(&format!("; no private /tmp: {reason}"));
                    } else if let Some(failure) = built.failure() {
                        detail.push_str(&format!("; {failure}"));
                    }
                    Mechanism::Enforced { detail }
                } else {
                    Mechanism::Unavailable { reason: why() }
                };
                (processes, mounts)
            }
        };
        let link = match (built.namespaces, init, self.end_read) {
            (true, Some(init), Some(end_read)) => Some(ContainerLink {
                init,
                end_read,
                tmpfs: built.private_tmp || built.private_shm,
            }),
            _ => None,
        };
        let (cgroup, joined) = match self.cgroup {
            None => (Mechanism::Off, None),
            Some(Err(reason)) => (Mechanism::Unavailable { reason }, None),
            Some(Ok(cgroup)) if status & CGROUP_OK != 0 => (
                Mechanism::Enforced {
                    detail: cgroup.describe(),
                },
                Some(cgroup),
            ),
            // Removed again when dropped here.
            Some(Ok(_)) => (
                Mechanism::Unavailable {
                    reason: "the run could not join its cgroup".to_owned(),
                },
                None,
            ),
        };
        (
            SandboxReport {
                filesystem,
                network,
                layout,
                processes,
                mounts,
                cgroup,
            },
            link,
            joined,
        )
    }
}

/// Caps the processes of the calling process's user (in its user namespace) at `limit`.
fn set_nproc(limit: Option<u64>) {
    if let Some(n) = limit {
        let limit = libc::rlimit {
            rlim_cur: n,
            rlim_max: n,
        };
        // SAFETY: setrlimit with a value owned by this frame.
        unsafe { libc::setrlimit(libc::RLIMIT_NPROC, &limit) };
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
