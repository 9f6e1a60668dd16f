//! Linux process control: reaping with resource usage, signalling a process group, and reading
//! the resident memory of a process tree from `/proc`.

use std::fs;
use std::io;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// How a reaped child ended, with the kernel's own peak-RSS figure for it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reaped {
    pub(crate) status: ExitStatus,
    /// `ru_maxrss` of the child and the descendants it waited for, in bytes.
    pub(crate) max_rss_bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    Exited(i32),
    Signaled { signal: i32, core_dumped: bool },
}

/// Blocks until `pid` has exited, leaving the zombie in place (`WNOWAIT`) so its process group id
/// stays reserved until the rest of the group has been signalled.
pub(crate) fn wait_exited(pid: u32) -> io::Result<()> {
    loop {
        // SAFETY: siginfo_t is plain old data; zeroed is a valid value for waitid to fill.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: valid pointer to a siginfo_t owned by this frame.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Reaps `pid` (blocking) and returns its status and peak RSS.
pub(crate) fn reap(pid: u32) -> io::Result<Reaped> {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid pointers to locals.
        let rc = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
        if rc == -1 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        break;
    }
    let status = if libc::WIFSIGNALED(status) {
        ExitStatus::Signaled {
            signal: libc::WTERMSIG(status),
            core_dumped: libc::WCOREDUMP(status),
        }
    } else {
        ExitStatus::Exited(libc::WEXITSTATUS(status))
    };
    // ru_maxrss is in kilobytes on Linux.
    let max_rss_bytes = u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024;
    Ok(Reaped {
        status,
        max_rss_bytes,
    })
}

/// Sends `signal` to every process in the group `pgid`. A group that no longer exists is not an
/// error.
pub(crate) fn signal_group(pgid: u32, signal: Signal) {
    let Ok(raw) = i32::try_from(pgid) else { return };
    match killpg(Pid::from_raw(raw), signal) {
        Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
        Err(err) => tracing::warn!(pgid, %signal, %err, "could not signal process group"),
    }
}

/// The conventional name of a signal number (`SIGSEGV`), or `signal N` when unknown.
pub(crate) fn signal_name(signal: i32) -> String {
    Signal::try_from(signal)
        .map(|s| s.as_str().to_owned())
        .unwrap_or_else(|_| format!("signal {signal}"))
}

pub(crate) use nix::sys::signal::Signal as Sig;

fn page_size() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(size).unwrap_or(4096)
}

/// `root` and every process descending from it (at most 100,000). Processes that vanish while
/// the tree is walked are simply not in it.
pub(crate) fn tree_members(root: u32) -> Vec<u32> {
    let mut members = Vec::new();
    let mut stack = vec![root];
    while let Some(pid) = stack.pop() {
        if members.len() >= 100_000 {
            break;
        }
        members.push(pid);
        push_children(pid, &mut stack);
    }
    members
}

/// The proportional share of memory of one process (its private pages, and each shared page
/// divided among the processes that map it: forked workers sharing their parent's pages are not
/// counted again and again), 0 when it is gone. Its resident memory where the kernel has no
/// `smaps_rollup` (before 4.14).
pub(crate) fn pss_bytes(pid: u32) -> u64 {
    match fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) {
        Ok(text) => text
            .lines()
            .find_map(|l| l.strip_prefix("Pss:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024),
        Err(err)
            if err.kind() == io::ErrorKind::NotFound
                && fs::metadata(format!("/proc/{pid}")).is_ok() =>
        {
            rss_bytes(pid)
        }
        Err(_) => 0,
    }
}

/// Memory held by the memfd files the processes `pids` have open (an anonymous file in memory
/// that no one needs to map), each file once.
pub(crate) fn memfd_bytes(pids: &[u32]) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut seen = std::collections::BTreeSet::new();
    let mut total = 0;
    for pid in pids {
        let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let is_memfd = fs::read_link(fd.path()).is_ok_and(|target| {
                target
                    .as_os_str()
                    .as_encoded_bytes()
                    .starts_with(b"/memfd:")
            });
            if !is_memfd {
                continue;
            }
            if let Ok(meta) = fs::metadata(fd.path())
                && seen.insert((meta.dev(), meta.ino()))
            {
                total += meta.blocks() * 512;
            }
        }
    }
    total
}

/// The resident memory of one process as the kernel reports it now, 0 when it is gone.
pub(crate) fn rss_bytes(pid: u32) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/statm"))
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * page_size())
}

fn push_children(pid: u32, out: &mut Vec<u32>) {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return;
    };
    for task in tasks.flatten() {
        let mut path = task.path();
        path.push("children");
        if let Ok(children) = fs::read_to_string(&path) {
            out.extend(
                children
                    .split_whitespace()
                    .filter_map(|c| c.parse::<u32>().ok()),
            );
        }
    }
}

/// Live (not zombie) processes whose process group is `pgid` (a full scan of `/proc`).
pub(crate) fn live_group_members(pgid: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| matches!(stat_of(*pid), Some((state, group)) if group == pgid && state != 'Z' && state != 'X'))
        .collect()
}

/// State letter and process group of `pid`, read from `/proc/PID/stat`.
fn stat_of(pid: u32) -> Option<(char, u32)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = fields.next()?.chars().next()?;
    let pgrp = fields.nth(1)?.parse().ok()?;
    Some((state, pgrp))
}

/// Live processes whose environment holds `name=value` exactly: descendants of a run keep the
/// run's marker even after they leave its process group or session (`setsid`, double fork).
pub(crate) fn processes_with_env(name: &str, value: &str) -> Vec<u32> {
    let needle = format!("{name}={value}");
    let me = std::process::id();
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != me)
        .filter(|pid| matches!(stat_of(*pid), Some((state, _)) if state != 'Z' && state != 'X'))
        .filter(|pid| {
            fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == needle.as_bytes()))
        })
        .collect()
}

/// Sends `signal` to one process; a process that is already gone is not an error.
pub(crate) fn signal_process(pid: u32, signal: Signal) {
    let Ok(raw) = i32::try_from(pid) else { return };
    let _ = nix::sys::signal::kill(Pid::from_raw(raw), signal);
}

/// A seccomp filter that refuses `setpgid(_, pgid)` (a script that joined sf's own process group
/// would leave the group sf kills at the timeout), the kernel keyrings (`add_key`, `keyctl`,
/// `request_key`: keys outlive the run and are shared with the machine's user), and system calls
/// of another ABI (32-bit `int 0x80`, x32), which would slip past the numbers checked here.
#[derive(Debug, Clone)]
pub(crate) struct KeepOutOfGroup {
    program: Vec<SockFilter>,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
struct SockFilter {
    code: u16,
    jt: u8,
    jf: u8,
    k: u32,
}

#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const SockFilter,
}

impl KeepOutOfGroup {
    /// The filter for sf's process group `pgid` (built before fork: it allocates).
    pub(crate) fn new(pgid: u32) -> KeepOutOfGroup {
        #[cfg(target_arch = "x86_64")]
        const ARCH: u32 = 0xC000_003E; // AUDIT_ARCH_X86_64
        #[cfg(target_arch = "aarch64")]
        const ARCH: u32 = 0xC000_00B7; // AUDIT_ARCH_AARCH64
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        const ARCH: u32 = 0;
        const LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
        const JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
        const JGE_K: u16 = 0x35; // BPF_JMP | BPF_JGE | BPF_K
        const RET_K: u16 = 0x06; // BPF_RET | BPF_K
        const RET_ALLOW: u32 = 0x7fff_0000; // SECCOMP_RET_ALLOW
        const X32_BIT: u32 = 0x4000_0000; // __X32_SYSCALL_BIT
        let ret_eperm = libc::SECCOMP_RET_ERRNO | libc::EPERM as u32;
        let ret_enosys = libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32;
        // struct seccomp_data: nr at 0, arch at 4, args from 16 (8 bytes each, low half first).
        let insn = |code, jt, jf, k| SockFilter { code, jt, jf, k };
        let program = vec![
            insn(LD_W_ABS, 0, 0, 4),
            insn(JEQ_K, 1, 0, ARCH),
            insn(RET_K, 0, 0, ret_enosys),
            insn(LD_W_ABS, 0, 0, 0),
            insn(JGE_K, 0, 1, X32_BIT),
            insn(RET_K, 0, 0, ret_enosys),
            insn(JEQ_K, 0, 1, libc::SYS_add_key as u32),
            insn(RET_K, 0, 0, ret_eperm),
            insn(JEQ_K, 0, 1, libc::SYS_keyctl as u32),
            insn(RET_K, 0, 0, ret_eperm),
            insn(JEQ_K, 0, 1, libc::SYS_request_key as u32),
            insn(RET_K, 0, 0, ret_eperm),
            insn(JEQ_K, 1, 0, libc::SYS_setpgid as u32),
            insn(RET_K, 0, 0, RET_ALLOW),
            insn(LD_W_ABS, 0, 0, 16 + 8),
            insn(JEQ_K, 0, 1, pgid),
            insn(RET_K, 0, 0, ret_eperm),
            insn(RET_K, 0, 0, RET_ALLOW),
        ];
        KeepOutOfGroup { program }
    }

    /// Installs the filter in the calling process (after fork, before exec). Needs
    /// `no_new_privs`, which it sets. Only system calls.
    pub(crate) fn install(&self) -> bool {
        let prog = SockFprog {
            len: self.program.len() as u16,
            filter: self.program.as_ptr(),
        };
        // SAFETY: prctl with a valid, live filter program.
        unsafe {
            libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
                && libc::prctl(
                    libc::PR_SET_SECCOMP,
                    libc::SECCOMP_MODE_FILTER,
                    &raw const prog,
                    0,
                    0,
                ) == 0
        }
    }
}
