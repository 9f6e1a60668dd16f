//! The per-run container, made the way bubblewrap, nsjail and Bazel's linux-sandbox make theirs:
//!
//! ```text
//! sf ── A (outside: waits, mirrors the end of B)
//!        └── B  PID 1 of the run's own PID namespace: builds the mounts, reaps, ends the rest
//!             └── C  the script (Landlock, seccomp, capabilities, then exec)
//! ```
//!
//! `A` is the process sf spawned. It unshares the namespaces (PID, mount, IPC, UTS, the network
//! when it is off, and a user namespace when sf is not root) and forks `B`, the new PID
//! namespace's init. `B` makes the host read-only, gives the run a private `/tmp` and `/dev/shm`
//! (tmpfs), binds the run's writable directories back read-write, mounts a `/proc` of its own, and
//! forks `C`, which becomes the script. When `C` ends, `B` kills whatever the run left (`kill(-1)`
//! inside the namespace reaches every process of the run and nothing else), counts it, writes how
//! `C` ended to sf, and exits; the kernel ends anything still there with it. sf ends a run for good
//! by killing `B`.
//!
//! Everything here that runs in `A`, `B` or `C` happens between fork and exec, so it only makes
//! system calls on memory the parent prepared ([`ContainerPlan`]).

use std::ffi::{CString, OsStr};
use std::io;
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// What the parent prepares so that the children need not allocate.
#[derive(Debug)]
pub(crate) struct ContainerPlan {
    flags: libc::c_int,
    /// `Some` when sf is not root: the maps that keep the script's own uid and gid.
    id_maps: Option<IdMaps>,
    /// The top-level entries of the host's `/tmp` that the run needs (its workspace, its script,
    /// its interpreter), brought back read-only into the private `/tmp`; with whether each is a
    /// directory.
    tmp_entries: Vec<(CString, bool)>,
    /// One slot per entry for the detached copy of its mount tree.
    tmp_fds: Vec<RawFd>,
    /// Why the run cannot have a private `/tmp` (it needs `/tmp` itself), if it cannot.
    no_private_tmp: Option<&'static str>,
    tmpfs_options: CString,
    writable: Vec<CString>,
    cwd: CString,
    drop_capabilities: bool,
}

#[derive(Debug)]
struct IdMaps {
    uid_map: Vec<u8>,
    gid_map: Vec<u8>,
}

/// The steps of building a container, in order, for the report when one fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Step {
    Unshare = 1,
    IdMaps,
    ForkInit,
    Propagation,
    ReadOnlyHost,
    KeepTmpEntry,
    PrivateTmp,
    PrivateShm,
    PrivateDev,
    WritableBind,
    OwnProc,
    ForkScript,
}

impl Step {
    fn from_raw(raw: u32) -> Option<Step> {
        use Step::*;
        [
            Unshare,
            IdMaps,
            ForkInit,
            Propagation,
            ReadOnlyHost,
            KeepTmpEntry,
            PrivateTmp,
            PrivateShm,
            PrivateDev,
            WritableBind,
            OwnProc,
            ForkScript,
        ]
        .into_iter()
        .find(|s| *s as u32 == raw)
    }

    fn describe(self) -> &'static str {
        match self {
            Step::Unshare => "cannot create namespaces (unshare)",
            Step::IdMaps => "cannot map the user into its user namespace",
            Step::ForkInit => "cannot start the namespace's init (fork)",
            Step::Propagation => "cannot make the mounts private",
            Step::ReadOnlyHost => "cannot make the host read-only (mount_setattr)",
            Step::KeepTmpEntry => "cannot keep the run's own files under /tmp (open_tree)",
            Step::PrivateTmp => "cannot mount a private /tmp",
            Step::PrivateShm => "cannot mount a private /dev/shm",
            Step::PrivateDev => "cannot make a private /dev",
            Step::WritableBind => "cannot bind the workspace read-write",
            Step::OwnProc => "cannot mount a /proc of the run's own",
            Step::ForkScript => "cannot start the script (fork)",
        }
    }
}

/// What the container's setup achieved, carried from `B` to `C` by fork and from `C` to sf in
/// the status record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Built {
    /// The script runs in its own PID, IPC and UTS namespaces.
    pub(crate) namespaces: bool,
    /// In a user namespace (sf is not root).
    pub(crate) rootless: bool,
    /// The host is read-only and the workspace's writable directories are bound read-write.
    pub(crate) mounts: bool,
    /// `/tmp` and `/dev/shm` are private tmpfs mounts.
    pub(crate) private_tmp: bool,
    pub(crate) private_shm: bool,
    /// `/dev` holds only a few harmless devices; the host's device nodes are unusable (`nodev`).
    pub(crate) private_dev: bool,
    /// `/proc` shows only the run's processes.
    pub(crate) own_proc: bool,
    /// Root's capabilities were cut to a container's default set.
    pub(crate) capabilities_dropped: bool,
    /// The first step that failed, with its errno.
    pub(crate) failed: Option<(Step, i32)>,
}

impl Built {
    fn fail(&mut self, step: Step) {
        if self.failed.is_none() {
            self.failed = Some((step, errno()));
        }
    }

    pub(crate) fn to_bits(self) -> (u32, u32, i32) {
        let bits = [
            self.namespaces,
            self.rootless,
            self.mounts,
            self.private_tmp,
            self.private_shm,
            self.own_proc,
            self.capabilities_dropped,
            self.private_dev,
        ]
        .iter()
        .enumerate()
        .fold(0u32, |acc, (i, on)| acc | (u32::from(*on) << i));
        let (step, errno) = self.failed.map_or((0, 0), |(s, e)| (s as u32, e));
        (bits, step, errno)
    }

    pub(crate) fn from_bits(bits: u32, step: u32, errno: i32) -> Built {
        let on = |i: u32| bits & (1 << i) != 0;
        Built {
            namespaces: on(0),
            rootless: on(1),
            mounts: on(2),
            private_tmp: on(3),
            private_shm: on(4),
            own_proc: on(5),
            capabilities_dropped: on(6),
            private_dev: on(7),
            failed: Step::from_raw(step).map(|s| (s, errno)),
        }
    }

    /// Why a part of the container is missing, in words.
    pub(crate) fn failure(&self) -> Option<String> {
        self.failed.map(|(step, errno)| {
            format!(
                "{}: {}",
                step.describe(),
                io::Error::from_raw_os_error(errno)
            )
        })
    }
}

fn errno() -> i32 {
    io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn cstring(bytes: &[u8]) -> io::Result<CString> {
    CString::new(bytes).map_err(|_| io::Error::other("a path holds a NUL byte"))
}

/// The top-level entry of `/tmp` that `path` lies in (`/tmp/x` for `/tmp/x/y`), `Err(())` when
/// `path` is `/tmp` itself.
pub(crate) fn tmp_entry(path: &Path) -> Result<Option<PathBuf>, ()> {
    let mut parts = path.components();
    if parts.next() != Some(Component::RootDir) {
        return Ok(None);
    }
    match parts.next() {
        Some(Component::Normal(tmp)) if tmp == "tmp" => {}
        _ => return Ok(None),
    }
    match parts.next() {
        Some(Component::Normal(entry)) => Ok(Some(Path::new("/tmp").join(entry))),
        None => Err(()),
        Some(_) => Ok(None),
    }
}

/// What one run needs, from which the plan is made.
#[derive(Debug)]
pub(crate) struct Needs<'a> {
    pub(crate) program: &'a Path,
    pub(crate) args: &'a [std::ffi::OsString],
    pub(crate) env: &'a [(std::ffi::OsString, std::ffi::OsString)],
    pub(crate) cwd: &'a Path,
    pub(crate) writable: &'a [PathBuf],
    pub(crate) mount_sources: Vec<&'a Path>,
    /// Bytes each private tmpfs may hold (the run's memory limit), or the kernel's default.
    pub(crate) tmpfs_bytes: Option<u64>,
    pub(crate) network_off: bool,
}

impl ContainerPlan {
    /// Plans the container for a run with these needs. Fails only on a path sf cannot pass to
    /// the kernel.
    pub(crate) fn new(needs: &Needs<'_>) -> io::Result<ContainerPlan> {
        // SAFETY: geteuid and getegid have no preconditions.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        let rootless = uid != 0;
        let mut flags =
            libc::CLONE_NEWNS | libc::CLONE_NEWPID | libc::CLONE_NEWIPC | libc::CLONE_NEWUTS;
        if needs.network_off {
            flags |= libc::CLONE_NEWNET;
        }
        if rootless {
            flags |= libc::CLONE_NEWUSER;
        }

        // Every path the run names, in its arguments and environment (PATH, PYTHONPATH, …), as
        // written and with links resolved: the entries of /tmp they lie in are brought back.
        // What the run cannot do without (its program, its folders) and what it only mentions
        // (arguments, environment: `PATH`, `PYTHONPATH`, an inherited `TMPDIR=/tmp`, …). A
        // needed path that is `/tmp` itself leaves the run without a private /tmp; a mentioned
        // one is simply not brought back.
        let mut needed: Vec<PathBuf> = vec![needs.program.to_owned(), needs.cwd.to_owned()];
        needed.extend(needs.writable.iter().cloned());
        needed.extend(needs.mount_sources.iter().map(|p| p.to_path_buf()));
        let overridden: Vec<&std::ffi::OsString> = needs.env.iter().map(|(k, _)| k).collect();
        let values = needs
            .args
            .iter()
            .map(|a| a.as_os_str().to_owned())
            .chain(needs.env.iter().map(|(_, v)| v.clone()))
            .chain(
                std::env::vars_os()
                    .filter(|(k, _)| !overridden.contains(&k))
                    .map(|(_, v)| v),
            );
        let mut mentioned: Vec<PathBuf> = Vec::new();
        for value in values {
            for part in value.as_bytes().split(|b| *b == b':' || *b == b'=') {
                if part.starts_with(b"/") {
                    mentioned.push(PathBuf::from(OsStr::from_bytes(part)));
                }
            }
        }
        let mut entries: Vec<PathBuf> = Vec::new();
        let mut no_private_tmp = None;
        let tmp_is_dir = std::fs::symlink_metadata("/tmp").is_ok_and(|m| m.is_dir());
        if !tmp_is_dir {
            no_private_tmp = Some("/tmp is not a directory on this machine");
        }
        let all = needed
            .iter()
            .map(|p| (p, true))
            .chain(mentioned.iter().map(|p| (p, false)));
        for (path, is_needed) in all {
            let resolved = std::fs::canonicalize(path).ok();
            for p in std::iter::once(path.as_path()).chain(resolved.as_deref()) {
                match tmp_entry(p) {
                    Ok(Some(entry)) if !entries.contains(&entry) => entries.push(entry),
                    Ok(_) => {}
                    Err(()) if is_needed => no_private_tmp = Some("the run needs /tmp itself"),
                    Err(()) => {}
                }
            }
        }
        // Only what exists can be brought back.
        entries.retain(|e| std::fs::symlink_metadata(e).is_ok());
        let tmp_entries = entries
            .iter()
            .map(|e| Ok((cstring(e.as_os_str().as_bytes())?, e.is_dir())))
            .collect::<io::Result<Vec<_>>>()?;

        let tmpfs_options = match needs.tmpfs_bytes {
            Some(bytes) => format!("mode=1777,size={bytes}"),
            None => "mode=1777".to_owned(),
        };
        let writable = needs
            .writable
            .iter()
            .filter(|w| w.is_dir())
            .map(|w| cstring(w.as_os_str().as_bytes()))
            .collect::<io::Result<Vec<_>>>()?;
        Ok(ContainerPlan {
            flags,
            id_maps: rootless.then(|| IdMaps {
                uid_map: format!("{uid} {uid} 1\n").into_bytes(),
                gid_map: format!("{gid} {gid} 1\n").into_bytes(),
            }),
            tmp_fds: vec![-1; tmp_entries.len()],
            tmp_entries,
            no_private_tmp,
            tmpfs_options: cstring(tmpfs_options.as_bytes())?,
            writable,
            cwd: cstring(needs.cwd.as_os_str().as_bytes())?,
            drop_capabilities: !rootless,
        })
    }

    /// Why there is no private `/tmp`, when the plan has none.
    pub(crate) fn no_private_tmp(&self) -> Option<&'static str> {
        self.no_private_tmp
    }

    /// Whether the network namespace is part of the container.
    pub(crate) fn has_network_namespace(&self) -> bool {
        self.flags & libc::CLONE_NEWNET != 0
    }
}

/// Where a process stands after [`ContainerPlan::enter`].
#[derive(Debug)]
pub(crate) enum Entered {
    /// In `B`, the new PID namespace's init: build the mounts, then [`fork_script`].
    Init,
    /// Still in `A`: no container could be made; the run goes on without one.
    Failed,
}

/// A record sent to sf on the status pipe: `[tag, a, b, c]`.
pub(crate) const RECORD: usize = 16;
/// `A`'s record: `a` is `B`'s pid as sf sees it.
pub(crate) const TAG_INIT: u32 = u32::from_be_bytes(*b"INIT");
/// `C`'s record: `a` sandbox bits, `b` the container's bits, `c` packs the failed step and errno.
pub(crate) const TAG_STATUS: u32 = u32::from_be_bytes(*b"STAT");
/// `B`'s record on the final pipe: `a` 0 exited / 1 signalled (+2 core dumped) / 3 not started,
/// `b` the code, signal or errno, `c` processes killed after the script ended.
pub(crate) const TAG_END: u32 = u32::from_be_bytes(*b"END!");

pub(crate) fn write_record(fd: RawFd, tag: u32, a: u32, b: u32, c: u32) {
    let mut buf = [0u8; RECORD];
    for (i, word) in [tag, a, b, c].into_iter().enumerate() {
        buf[i * 4..i * 4 + 4].copy_from_slice(&word.to_ne_bytes());
    }
    // SAFETY: writing a local buffer to an open pipe; at most PIPE_BUF bytes, so atomic.
    unsafe { libc::write(fd, buf.as_ptr().cast(), RECORD) };
}

/// Splits bytes read from a pipe into records.
pub(crate) fn read_records(bytes: &[u8]) -> Vec<[u32; 4]> {
    bytes
        .chunks_exact(RECORD)
        .map(|r| {
            let word = |i: usize| u32::from_ne_bytes([r[i], r[i + 1], r[i + 2], r[i + 3]]);
            [word(0), word(4), word(8), word(12)]
        })
        .collect()
}

impl ContainerPlan {
    /// In `A`, after fork: unshares the namespaces and forks the new PID namespace's init. `A`
    /// itself never comes back from a successful call: it waits for `B` and exits as `B` did.
    /// `status_fd` receives `A`'s record (`B`'s pid).
    pub(crate) fn enter(&self, built: &mut Built, status_fd: RawFd) -> Entered {
        // SAFETY: system calls on memory prepared by the parent.
        unsafe {
            if libc::unshare(self.flags) != 0 {
                built.fail(Step::Unshare);
                return Entered::Failed;
            }
            built.rootless = self.id_maps.is_some();
            if let Some(maps) = &self.id_maps
                && !maps.write()
            {
                built.fail(Step::IdMaps);
            }
            let init = libc::fork();
            if init < 0 {
                built.fail(Step::ForkInit);
                return Entered::Failed;
            }
            if init > 0 {
                write_record(status_fd, TAG_INIT, init as u32, 0, 0);
                outside(init);
            }
            built.namespaces = true;
            // Same-uid processes of the run may not trace or read the init.
            libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
            Entered::Init
        }
    }

    /// In `B`: the mounts. Failures are recorded; a run whose mounts are incomplete still runs,
    /// with the report saying what is missing.
    pub(crate) fn build_mounts(&mut self, built: &mut Built) {
        // SAFETY: mount system calls on C strings prepared by the parent.
        unsafe {
            let none = std::ptr::null();
            if libc::mount(
                none,
                c"/".as_ptr(),
                none,
                libc::MS_REC | libc::MS_PRIVATE,
                none.cast(),
            ) != 0
            {
                built.fail(Step::Propagation);
                return;
            }
            // The few devices a run needs, kept aside before the host's devices become unusable
            // (`nodev`) and its /dev is covered.
            let mut devices = [-1 as RawFd; DEVICES.len()];
            let mut have_devices = true;
            for (slot, (path, _)) in devices.iter_mut().zip(DEVICES) {
                let fd = libc::syscall(
                    libc::SYS_open_tree,
                    libc::AT_FDCWD,
                    path.as_ptr(),
                    libc::OPEN_TREE_CLONE | libc::OPEN_TREE_CLOEXEC,
                );
                if fd < 0 {
                    have_devices = false;
                    break;
                }
                *slot = fd as RawFd;
            }
            if !set_attributes(
                c"/",
                libc::MOUNT_ATTR_RDONLY
                    | if have_devices {
                        libc::MOUNT_ATTR_NODEV
                    } else {
                        0
                    },
                0,
                true,
            ) {
                built.fail(Step::ReadOnlyHost);
                return;
            }
            if self.no_private_tmp.is_none() {
                built.private_tmp = self.private_tmp(built);
            }
            built.private_dev = have_devices && private_dev(&devices);
            if !built.private_dev {
                built.fail(Step::PrivateDev);
            }
            if libc::access(c"/dev/shm".as_ptr(), libc::F_OK) == 0
                || (built.private_dev && libc::mkdir(c"/dev/shm".as_ptr(), 0o1777) == 0)
            {
                if tmpfs(c"/dev/shm", &self.tmpfs_options) {
                    built.private_shm = true;
                } else {
                    built.fail(Step::PrivateShm);
                }
            }
            if built.private_dev {
                // Nothing can be created in /dev itself.
                set_read_only(c"/dev", true, false);
            }
            for dir in &self.writable {
                if libc::mount(
                    dir.as_ptr(),
                    dir.as_ptr(),
                    none,
                    libc::MS_BIND | libc::MS_REC,
                    none.cast(),
                ) != 0
                    || !set_read_only(dir, false, false)
                {
                    built.fail(Step::WritableBind);
                    return;
                }
            }
            built.mounts = true;
            built.own_proc = own_proc();
            if !built.own_proc {
                built.fail(Step::OwnProc);
            }
        }
    }

    /// A tmpfs over `/tmp` holding, read-only, the entries of the host's `/tmp` the run needs.
    unsafe fn private_tmp(&mut self, built: &mut Built) -> bool {
        // SAFETY: as in build_mounts.
        unsafe {
            for (slot, (entry, _)) in self.tmp_fds.iter_mut().zip(&self.tmp_entries) {
                let fd = libc::syscall(
                    libc::SYS_open_tree,
                    libc::AT_FDCWD,
                    entry.as_ptr(),
                    (libc::OPEN_TREE_CLONE | libc::OPEN_TREE_CLOEXEC) as libc::c_uint
                        | libc::AT_RECURSIVE as libc::c_uint,
                );
                if fd < 0 {
                    built.fail(Step::KeepTmpEntry);
                    return false;
                }
                *slot = fd as RawFd;
            }
            if !tmpfs(c"/tmp", &self.tmpfs_options) {
                built.fail(Step::PrivateTmp);
                return false;
            }
            for (fd, (entry, is_dir)) in self.tmp_fds.iter().zip(&self.tmp_entries) {
                let made = if *is_dir {
                    libc::mkdir(entry.as_ptr(), 0o755) == 0
                } else {
                    let f = libc::open(
                        entry.as_ptr(),
                        libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
                        0o644,
                    );
                    f >= 0 && libc::close(f) == 0
                };
                if !made
                    || libc::syscall(
                        libc::SYS_move_mount,
                        *fd,
                        c"".as_ptr(),
                        libc::AT_FDCWD,
                        entry.as_ptr(),
                        libc::MOVE_MOUNT_F_EMPTY_PATH,
                    ) != 0
                {
                    built.fail(Step::KeepTmpEntry);
                    // Without its entries the run could not even find its workspace.
                    libc::umount2(c"/tmp".as_ptr(), libc::MNT_DETACH);
                    return false;
                }
                libc::close(*fd);
            }
            true
        }
    }

    /// In `B`, once the mounts are built: enters the workspace again (through the new mounts)
    /// and forks the script. Returns in `C`; `B` stays the init until the script ends.
    pub(crate) fn fork_script(&self, final_fd: Option<RawFd>) {
        // SAFETY: system calls only.
        unsafe {
            // The working directory still points into the mount tree as it was before.
            libc::chdir(self.cwd.as_ptr());
            let script = libc::fork();
            if script < 0 {
                if let Some(fd) = final_fd {
                    write_record(fd, TAG_END, 3, errno() as u32, 0);
                }
                libc::_exit(127);
            }
            if script > 0 {
                init(script, final_fd);
            }
        }
    }

    /// In `C`: cuts root's capabilities to a container's default set, so a script running as
    /// root cannot undo the mounts (no `CAP_SYS_ADMIN`), make device nodes, or reach the host's
    /// kernel settings.
    pub(crate) fn drop_capabilities(&self, built: &mut Built) {
        if !self.drop_capabilities {
            return;
        }
        // What Docker grants a container by default, less CAP_MKNOD: there is no device cgroup
        // here to make device nodes harmless.
        // SAFETY: prctl calls with integer arguments.
        unsafe {
            let mut ok = true;
            for cap in 0..64 {
                if ROOT_CAPABILITIES.contains(&cap) {
                    continue;
                }
                if libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno() != libc::EINVAL
                {
                    ok = false;
                }
            }
            libc::prctl(
                libc::PR_CAP_AMBIENT,
                libc::PR_CAP_AMBIENT_CLEAR_ALL,
                0,
                0,
                0,
            );
            built.capabilities_dropped = ok;
        }
    }
}

/// What Docker grants a container by default, less `CAP_MKNOD` (there is no device cgroup here to
/// make device nodes harmless): the capabilities a script running as root keeps.
pub(crate) const ROOT_CAPABILITIES: [libc::c_int; 13] =
    [0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 29, 31];

impl IdMaps {
    /// Maps the user and group onto themselves in the new user namespace.
    unsafe fn write(&self) -> bool {
        // SAFETY: open/write/close on static paths and buffers owned by the plan.
        unsafe {
            write_file(c"/proc/self/setgroups", b"deny")
                && write_file(c"/proc/self/uid_map", &self.uid_map)
                && write_file(c"/proc/self/gid_map", &self.gid_map)
        }
    }
}

unsafe fn write_file(path: &std::ffi::CStr, data: &[u8]) -> bool {
    // SAFETY: as above.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return false;
        }
        let ok = libc::write(fd, data.as_ptr().cast(), data.len()) == data.len() as isize;
        libc::close(fd);
        ok
    }
}

/// Sets (or clears) the read-only flag of the mount at `path`, and of the mounts below it when
/// `recursive`.
unsafe fn set_read_only(path: &std::ffi::CStr, read_only: bool, recursive: bool) -> bool {
    let (set, clear) = if read_only {
        (libc::MOUNT_ATTR_RDONLY, 0)
    } else {
        (0, libc::MOUNT_ATTR_RDONLY)
    };
    // SAFETY: as below.
    unsafe { set_attributes(path, set, clear, recursive) }
}

/// Sets and clears mount attributes (`MOUNT_ATTR_*`) of the mount at `path`, and of the mounts
/// below it when `recursive`.
unsafe fn set_attributes(path: &std::ffi::CStr, set: u64, clear: u64, recursive: bool) -> bool {
    let mut attr: libc::mount_attr = unsafe { std::mem::zeroed() };
    attr.attr_set = set;
    attr.attr_clr = clear;
    let flags = if recursive { libc::AT_RECURSIVE } else { 0 };
    // SAFETY: a valid path and a mount_attr owned by this frame.
    unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            libc::AT_FDCWD,
            path.as_ptr(),
            flags as libc::c_uint,
            &raw mut attr,
            std::mem::size_of::<libc::mount_attr>(),
        ) == 0
    }
}

/// The devices a run gets in its own `/dev`, with their names there.
const DEVICES: [(&std::ffi::CStr, &std::ffi::CStr); 5] = [
    (c"/dev/null", c"/dev/null"),
    (c"/dev/zero", c"/dev/zero"),
    (c"/dev/full", c"/dev/full"),
    (c"/dev/random", c"/dev/random"),
    (c"/dev/urandom", c"/dev/urandom"),
];

/// A `/dev` of the run's own: a small tmpfs holding the devices kept aside in `devices` (one
/// open tree each, in [`DEVICES`] order), a new `devpts` instance, and the usual links.
unsafe fn private_dev(devices: &[RawFd]) -> bool {
    // SAFETY: mount, mknod-free file creation, move_mount and symlink on static C strings.
    unsafe {
        if libc::mount(
            c"tmpfs".as_ptr(),
            c"/dev".as_ptr(),
            c"tmpfs".as_ptr(),
            libc::MS_NOSUID | libc::MS_NOEXEC,
            c"mode=755,size=1m".as_ptr().cast(),
        ) != 0
        {
            return false;
        }
        for (fd, (_, target)) in devices.iter().zip(DEVICES) {
            let f = libc::open(
                target.as_ptr(),
                libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
                0o666,
            );
            if f < 0 {
                return false;
            }
            libc::close(f);
            if libc::syscall(
                libc::SYS_move_mount,
                *fd,
                c"".as_ptr(),
                libc::AT_FDCWD,
                target.as_ptr(),
                libc::MOVE_MOUNT_F_EMPTY_PATH,
            ) != 0
            {
                return false;
            }
            libc::close(*fd);
        }
        // Terminals for scripts that open a pseudo-terminal; not essential.
        if libc::mkdir(c"/dev/pts".as_ptr(), 0o755) == 0
            && libc::mount(
                c"devpts".as_ptr(),
                c"/dev/pts".as_ptr(),
                c"devpts".as_ptr(),
                libc::MS_NOSUID | libc::MS_NOEXEC,
                c"newinstance,ptmxmode=0666,mode=0620".as_ptr().cast(),
            ) == 0
        {
            libc::symlink(c"pts/ptmx".as_ptr(), c"/dev/ptmx".as_ptr());
        }
        for (target, link) in [
            (c"/proc/self/fd", c"/dev/fd"),
            (c"/proc/self/fd/0", c"/dev/stdin"),
            (c"/proc/self/fd/1", c"/dev/stdout"),
            (c"/proc/self/fd/2", c"/dev/stderr"),
        ] {
            libc::symlink(target.as_ptr(), link.as_ptr());
        }
        true
    }
}

unsafe fn tmpfs(target: &std::ffi::CStr, options: &CString) -> bool {
    // SAFETY: C strings owned by the caller.
    unsafe {
        libc::mount(
            c"tmpfs".as_ptr(),
            target.as_ptr(),
            c"tmpfs".as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV,
            options.as_ptr().cast(),
        ) == 0
    }
}

/// A `/proc` of the new PID namespace, with the kernel's settings read-only.
unsafe fn own_proc() -> bool {
    // SAFETY: static C strings.
    unsafe {
        if libc::mount(
            c"proc".as_ptr(),
            c"/proc".as_ptr(),
            c"proc".as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
            std::ptr::null(),
        ) != 0
        {
            return false;
        }
        for path in [
            c"/proc/sys",
            c"/proc/sysrq-trigger",
            c"/proc/irq",
            c"/proc/bus",
        ] {
            if libc::access(path.as_ptr(), libc::F_OK) != 0 {
                continue;
            }
            if libc::mount(
                path.as_ptr(),
                path.as_ptr(),
                std::ptr::null(),
                libc::MS_BIND | libc::MS_REC,
                std::ptr::null(),
            ) != 0
                || !set_read_only(path, true, true)
            {
                return false;
            }
        }
        true
    }
}

/// `A` after forking `B`: holds nothing open, ignores every signal it can, waits for `B` and
/// ends the same way.
unsafe fn outside(init: libc::pid_t) -> ! {
    // SAFETY: system calls only.
    unsafe {
        // Stays dumpable: sf reads the run's mounts through /proc/A/root.
        libc::close_range(0, libc::c_uint::MAX, 0);
        for signal in 1..32 {
            if signal != libc::SIGKILL && signal != libc::SIGSTOP && signal != libc::SIGCHLD {
                libc::signal(signal, libc::SIG_IGN);
            }
        }
        let status = wait_for(init);
        exit_like(status)
    }
}

/// Waits for `pid`, retrying on EINTR; `None` when it cannot be waited for.
unsafe fn wait_for(pid: libc::pid_t) -> Option<libc::c_int> {
    let mut status = 0;
    loop {
        // SAFETY: a pointer to a local.
        let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
        if rc == pid {
            return Some(status);
        }
        if rc < 0 && errno() != libc::EINTR {
            return None;
        }
    }
}

unsafe fn exit_like(status: Option<libc::c_int>) -> ! {
    // SAFETY: system calls only.
    unsafe {
        match status {
            Some(s) if libc::WIFSIGNALED(s) => {
                let signal = libc::WTERMSIG(s);
                libc::signal(signal, libc::SIG_DFL);
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                libc::sigaddset(&mut set, signal);
                libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
                libc::kill(libc::getpid(), signal);
                libc::_exit(128 + signal)
            }
            Some(s) if libc::WIFEXITED(s) => libc::_exit(libc::WEXITSTATUS(s)),
            _ => libc::_exit(127),
        }
    }
}

/// `B` once the script runs: reaps every process of the run until the script ends, then kills
/// and reaps the rest, reports, and exits.
unsafe fn init(script: libc::pid_t, final_fd: Option<RawFd>) -> ! {
    // SAFETY: system calls on locals.
    unsafe {
        // Keep only the pipe to sf: the script's output pipes must close when the script's
        // processes close them.
        match final_fd {
            Some(fd) => {
                if fd > 0 {
                    libc::close_range(0, (fd - 1) as libc::c_uint, 0);
                }
                libc::close_range(fd as libc::c_uint + 1, libc::c_uint::MAX, 0);
            }
            None => {
                libc::close_range(0, libc::c_uint::MAX, 0);
            }
        }
        let mut script_status = None;
        let mut status = 0;
        loop {
            let rc = libc::waitpid(-1, &mut status, 0);
            if rc == script {
                script_status = Some(status);
                break;
            }
            if rc < 0 && errno() != libc::EINTR {
                break;
            }
        }
        // Processes that already ended are not strays.
        while libc::waitpid(-1, &mut status, libc::WNOHANG) > 0 {}
        libc::kill(-1, libc::SIGKILL);
        let mut strays = 0u32;
        loop {
            let rc = libc::waitpid(-1, &mut status, 0);
            if rc > 0 {
                strays += 1;
            } else if errno() != libc::EINTR {
                break;
            }
        }
        if let Some(fd) = final_fd {
            let (kind, value) = match script_status {
                Some(s) if libc::WIFSIGNALED(s) => (
                    if libc::WCOREDUMP(s) { 2 } else { 1 },
                    libc::WTERMSIG(s) as u32,
                ),
                Some(s) => (0, libc::WEXITSTATUS(s) as u32),
                None => (3, libc::ECHILD as u32),
            };
            write_record(fd, TAG_END, kind, value, strays);
        }
        match script_status {
            Some(s) if libc::WIFSIGNALED(s) => libc::_exit(128 + libc::WTERMSIG(s)),
            Some(s) => libc::_exit(libc::WEXITSTATUS(s)),
            None => libc::_exit(127),
        }
    }
}

/// Bytes used on the private tmpfs mounts (`/tmp`, `/dev/shm`) of a run whose outside process
/// is `pid`. A mount is counted only while it is the run's own (not the machine's, which a look
/// through `/proc/PID/root` finds once the run's mounts are gone).
pub(crate) fn tmpfs_used_bytes(pid: u32) -> u64 {
    use std::os::unix::fs::MetadataExt;
    ["/tmp", "/dev/shm"]
        .iter()
        .filter_map(|dir| {
            let path = format!("/proc/{pid}/root{dir}");
            let own = std::fs::metadata(&path).ok()?.dev();
            let machine = std::fs::metadata(dir).map(|m| m.dev()).ok();
            if machine == Some(own) {
                return None;
            }
            let stat = nix::sys::statvfs::statvfs(path.as_str()).ok()?;
            Some((stat.blocks() - stat.blocks_free()) * stat.fragment_size())
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_of_tmp_a_path_lies_in() {
        assert_eq!(
            tmp_entry(Path::new("/tmp/abc/def")),
            Ok(Some(PathBuf::from("/tmp/abc")))
        );
        assert_eq!(
            tmp_entry(Path::new("/tmp/abc")),
            Ok(Some("/tmp/abc".into()))
        );
        assert_eq!(tmp_entry(Path::new("/tmp")), Err(()));
        assert_eq!(tmp_entry(Path::new("/tmp/")), Err(()));
        assert_eq!(tmp_entry(Path::new("/tmpx/a")), Ok(None));
        assert_eq!(tmp_entry(Path::new("/work/tmp/a")), Ok(None));
        assert_eq!(tmp_entry(Path::new("tmp/a")), Ok(None));
    }

    #[test]
    fn only_a_needed_tmp_costs_the_private_tmp() {
        let dir = tempfile::tempdir_in("/tmp").unwrap();
        let needs = |cwd: &Path, env: Vec<(std::ffi::OsString, std::ffi::OsString)>| {
            let plan = ContainerPlan::new(&Needs {
                program: Path::new("/bin/sh"),
                args: &[],
                env: &env,
                cwd,
                writable: &[],
                mount_sources: Vec::new(),
                tmpfs_bytes: None,
                network_off: false,
            })
            .unwrap();
            (plan.no_private_tmp(), plan.tmp_entries.len())
        };
        // A variable that names /tmp (an inherited TMPDIR=/tmp) is no reason to give it up.
        let (why, entries) = needs(dir.path(), vec![("X".into(), "/tmp".into())]);
        assert_eq!(why, None);
        assert!(
            entries >= 1,
            "the workspace's entry of /tmp is brought back"
        );
        // A run whose working directory is /tmp itself keeps the machine's /tmp.
        assert!(needs(Path::new("/tmp"), Vec::new()).0.is_some());
    }

    #[test]
    fn built_survives_the_status_record() {
        let built = Built {
            namespaces: true,
            rootless: false,
            mounts: true,
            private_tmp: true,
            private_shm: false,
            private_dev: true,
            own_proc: true,
            capabilities_dropped: true,
            failed: Some((Step::PrivateShm, libc::EPERM)),
        };
        let (bits, step, errno) = built.to_bits();
        assert_eq!(Built::from_bits(bits, step, errno), built);
        assert!(built.failure().unwrap().contains("/dev/shm"));
    }
}
