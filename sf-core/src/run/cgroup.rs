//! A cgroup per run, where one can be made: the kernel itself holds the run to its memory limit
//! (and says when it killed for it) and to a number of processes (a fork bomb stops there), and
//! lists every process of the run, wherever it moved itself.
//!
//! sf looks for a cgroup v2 hierarchy where its own cgroup hands the `memory` and `pids`
//! controllers down and is writable, else for writable cgroup v1 `memory` and `pids` hierarchies
//! (the hybrid layout, as root). The run's process joins the new cgroup before it makes its
//! container, so everything it starts is in it. Elsewhere the run goes ahead without one, the
//! memory limit is kept by sampling, and the result says why there was no cgroup.

use std::fs;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a run has no cgroup.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CgroupUnavailable {
    /// No hierarchy offers both controllers.
    #[error(
        "no cgroup hierarchy with the memory and pids controllers is available to sf (cgroup v2: {v2}; v1: {v1})"
    )]
    NoHierarchy { v2: String, v1: String },
    /// A hierarchy exists but sf may not make a cgroup in it.
    #[error("cannot make a cgroup in {}", path.display())]
    NotWritable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V2,
}

/// One run's cgroup (in v1, one directory per controller).
#[derive(Debug)]
pub(crate) struct RunCgroup {
    version: Version,
    memory_dir: PathBuf,
    pids_dir: PathBuf,
    /// `cgroup.procs` of each directory, open for the child to write its pid into.
    procs: Vec<OwnedFd>,
    memory_limit: Option<u64>,
    max_processes: u64,
}

/// Where sf's own process sits: the mount point of each hierarchy and sf's path in it.
#[derive(Debug, Default)]
struct Layout {
    v2: Option<PathBuf>,
    v1_memory: Option<PathBuf>,
    v1_pids: Option<PathBuf>,
}

fn layout() -> Layout {
    let cgroups = fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let path_in = |controller: &str| {
        cgroups.lines().find_map(|line| {
            let mut parts = line.splitn(3, ':');
            let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
            let matches = if controller.is_empty() {
                controllers.is_empty()
            } else {
                controllers.split(',').any(|c| c == controller)
            };
            matches.then(|| path.trim_start_matches('/').to_owned())
        })
    };
    // mountinfo: ... mount_point ... - fstype source super_options
    let mount_of = |fstype: &str, controller: &str| {
        mountinfo.lines().find_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let mut right = right.split(' ');
            let (fs, _, options) = (right.next()?, right.next()?, right.next()?);
            let point = left.split(' ').nth(4)?;
            (fs == fstype && (controller.is_empty() || options.split(',').any(|o| o == controller)))
                .then(|| PathBuf::from(point))
        })
    };
    Layout {
        v2: mount_of("cgroup2", "")
            .zip(path_in(""))
            .map(|(m, p)| m.join(p)),
        v1_memory: mount_of("cgroup", "memory")
            .zip(path_in("memory"))
            .map(|(m, p)| m.join(p)),
        v1_pids: mount_of("cgroup", "pids")
            .zip(path_in("pids"))
            .map(|(m, p)| m.join(p)),
    }
}

/// Runs started by this process, to name their cgroups.
static RUNS: AtomicU64 = AtomicU64::new(0);

impl RunCgroup {
    /// Makes the cgroup of one run, `name` naming it, with its limits written.
    pub(crate) fn create(
        name: &str,
        memory_limit: Option<u64>,
        max_processes: u64,
    ) -> Result<RunCgroup, CgroupUnavailable> {
        let layout = layout();
        let leaf = format!(
            "sf-{}-{}-{}",
            std::process::id(),
            RUNS.fetch_add(1, Ordering::Relaxed),
            name.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .take(64)
                .collect::<String>()
        );
        let v2 = match &layout.v2 {
            Some(dir) => {
                let delegated =
                    fs::read_to_string(dir.join("cgroup.subtree_control")).unwrap_or_default();
                let has = |c: &str| delegated.split_whitespace().any(|d| d == c);
                if has("memory") && has("pids") {
                    return Self::make(Version::V2, dir, dir, &leaf, memory_limit, max_processes);
                }
                format!(
                    "{} does not hand the memory and pids controllers down",
                    dir.display()
                )
            }
            None => "not mounted".to_owned(),
        };
        match (&layout.v1_memory, &layout.v1_pids) {
            (Some(memory), Some(pids)) => Self::make(
                Version::V1,
                memory,
                pids,
                &leaf,
                memory_limit,
                max_processes,
            ),
            _ => Err(CgroupUnavailable::NoHierarchy {
                v2,
                v1: "no memory and pids hierarchies".to_owned(),
            }),
        }
    }

    fn make(
        version: Version,
        memory_parent: &Path,
        pids_parent: &Path,
        leaf: &str,
        memory_limit: Option<u64>,
        max_processes: u64,
    ) -> Result<RunCgroup, CgroupUnavailable> {
        let memory_dir = memory_parent.join(leaf);
        let pids_dir = pids_parent.join(leaf);
        let mut dirs = vec![memory_dir.clone()];
        if pids_dir != memory_dir {
            dirs.push(pids_dir.clone());
        }
        let mut made = Vec::new();
        let result = (|| {
            for dir in &dirs {
                fs::create_dir(dir).map_err(|source| CgroupUnavailable::NotWritable {
                    path: dir.clone(),
                    source,
                })?;
                made.push(dir.clone());
            }
            let write = |dir: &Path, file: &str, value: String| {
                fs::write(dir.join(file), value).map_err(|source| CgroupUnavailable::NotWritable {
                    path: dir.join(file),
                    source,
                })
            };
            match version {
                Version::V2 => {
                    if let Some(limit) = memory_limit {
                        write(&memory_dir, "memory.max", limit.to_string())?;
                        // No swapping out of the limit.
                        let _ = write(&memory_dir, "memory.swap.max", "0".to_owned());
                    }
                }
                Version::V1 => {
                    if let Some(limit) = memory_limit {
                        write(&memory_dir, "memory.limit_in_bytes", limit.to_string())?;
                    }
                }
            }
            write(&pids_dir, "pids.max", max_processes.to_string())?;
            let procs = dirs
                .iter()
                .map(|dir| {
                    let path = dir.join("cgroup.procs");
                    fs::OpenOptions::new()
                        .write(true)
                        .open(&path)
                        .map(OwnedFd::from)
                        .map_err(|source| CgroupUnavailable::NotWritable { path, source })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(procs)
        })();
        match result {
            Ok(procs) => Ok(RunCgroup {
                version,
                memory_dir,
                pids_dir,
                procs,
                memory_limit,
                max_processes,
            }),
            Err(err) => {
                for dir in made.iter().rev() {
                    let _ = fs::remove_dir(dir);
                }
                Err(err)
            }
        }
    }

    /// In the child after fork: moves the calling process into the cgroup. Only system calls.
    pub(crate) fn join_in_child(&self) -> bool {
        // The pid in decimal, written without allocating.
        // SAFETY: getpid has no preconditions.
        let mut pid = unsafe { libc::getpid() } as u32;
        let mut digits = [0u8; 10];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (pid % 10) as u8;
            pid /= 10;
            if pid == 0 {
                break;
            }
        }
        let text = &digits[start..];
        self.procs.iter().all(|fd| {
            // SAFETY: writing a local buffer to an open file.
            let written = unsafe { libc::write(fd.as_raw_fd(), text.as_ptr().cast(), text.len()) };
            written == text.len() as isize
        })
    }

    /// `cgroup v1 (memory, pids): memory limit 200 MB, at most 16384 processes`.
    pub(crate) fn describe(&self) -> String {
        let version = match self.version {
            Version::V1 => "cgroup v1 (memory, pids)",
            Version::V2 => "cgroup v2",
        };
        match self.memory_limit {
            Some(limit) => format!(
                "{version}: memory limit {} MB, at most {} processes",
                limit >> 20,
                self.max_processes
            ),
            None => format!("{version}: at most {} processes", self.max_processes),
        }
    }

    /// Whether the kernel killed a process of the run for passing the memory limit.
    pub(crate) fn oom_killed(&self) -> bool {
        self.oom_kills() > 0
    }

    /// How many processes of the run the kernel has killed for passing the memory limit.
    pub(crate) fn oom_kills(&self) -> u64 {
        let file = match self.version {
            Version::V1 => "memory.oom_control",
            Version::V2 => "memory.events",
        };
        fs::read_to_string(self.memory_dir.join(file))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.strip_prefix("oom_kill "))
            .map(|n| n.trim().parse::<u64>().unwrap_or(0))
            .sum()
    }

    /// The run's memory now: its anonymous memory and its shared memory (tmpfs, `/dev/shm`,
    /// memfd), each page once; not the page cache of the files it reads and writes.
    pub(crate) fn memory_bytes(&self) -> Option<u64> {
        let stat = fs::read_to_string(self.memory_dir.join("memory.stat")).ok()?;
        let field = |name: &str| {
            stat.lines().find_map(|l| {
                let (key, value) = l.split_once(' ')?;
                (key == name).then(|| value.trim().parse::<u64>().ok())?
            })
        };
        match self.version {
            Version::V1 => Some(field("rss")? + field("shmem")?),
            Version::V2 => Some(field("anon")? + field("shmem")?),
        }
    }

    /// The highest memory the kernel charged to the run (page cache included), for a run it
    /// stopped at the limit.
    pub(crate) fn charged_peak_bytes(&self) -> Option<u64> {
        let file = match self.version {
            Version::V1 => "memory.max_usage_in_bytes",
            Version::V2 => "memory.peak",
        };
        fs::read_to_string(self.memory_dir.join(file))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// Live processes of the run, wherever they moved in the process tree.
    pub(crate) fn members(&self) -> Vec<u32> {
        fs::read_to_string(self.pids_dir.join("cgroup.procs"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }
}

impl Drop for RunCgroup {
    /// Kills what is left of the run and removes its cgroup directories.
    fn drop(&mut self) {
        let dirs = if self.pids_dir == self.memory_dir {
            vec![self.memory_dir.clone()]
        } else {
            vec![self.memory_dir.clone(), self.pids_dir.clone()]
        };
        for attempt in 0..200 {
            let left = self.members();
            for pid in &left {
                crate::run::sys::signal_process(*pid, nix::sys::signal::Signal::SIGKILL);
            }
            if left.is_empty() || attempt == 199 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        for dir in dirs {
            // Removal fails while a killed process is still on its way out: try a little longer.
            for _ in 0..100 {
                match fs::remove_dir(&dir) {
                    Err(err) if err.raw_os_error() == Some(libc::EBUSY) => {
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                    Err(err) if err.kind() != io::ErrorKind::NotFound => {
                        tracing::warn!(dir = %dir.display(), %err, "cannot remove the run's cgroup");
                        break;
                    }
                    _ => break,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pid_is_written_in_decimal() {
        // join_in_child's formatting, checked through a pipe.
        let (r, w) = nix::unistd::pipe().unwrap();
        let cgroup = RunCgroup {
            version: Version::V1,
            memory_dir: PathBuf::from("/nonexistent-a"),
            pids_dir: PathBuf::from("/nonexistent-a"),
            procs: vec![w],
            memory_limit: None,
            max_processes: 1,
        };
        assert!(cgroup.join_in_child());
        drop(cgroup);
        let mut text = String::new();
        io::Read::read_to_string(&mut fs::File::from(r), &mut text).unwrap();
        assert_eq!(text, std::process::id().to_string());
    }
}
