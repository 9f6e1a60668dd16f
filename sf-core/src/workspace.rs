//! One directory per run, created by sf and marked as such, so that sf can clean up after itself
//! without ever touching what it did not create.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// File at the top of every workspace that says sf created it.
pub const WORKSPACE_MARKER: &str = ".sf-workspace";
/// File at the top of a workspace root (such as `./pipeline_testing`) that sf created.
pub const ROOT_MARKER: &str = ".sf-root";
/// sf's own log file at the top of a workspace root.
pub const ROOT_LOG: &str = "sf.log";

const MARKER_SIGNATURE: &str = "sf-workspace";

// The layout of a workspace; no other file spells these names.
const INPUTS: &str = "inputs";
const OUTPUTS: &str = "outputs";
const LOGS: &str = "logs";
const TMP: &str = "tmp";
const HOME: &str = "home";
const INTERNAL: &str = ".sf";
const CONTEXT_FILE: &str = "context.json";
const RESULT_FILE: &str = "result.json";
const STDOUT_LOG: &str = "stdout.log";
const STDERR_LOG: &str = "stderr.log";
// A pipeline's run directory.
const STEPS: &str = "steps";
const EDGES: &str = "edges";
const PIPELINE_FILE: &str = "pipeline.json";
// The inputs as a run was given them, laid out again when its script changed them.
const GIVEN: &str = "given";

/// The directories a script's workspace starts with.
const SCRIPT_DIRS: [&str; 6] = [INPUTS, OUTPUTS, LOGS, TMP, HOME, INTERNAL];

/// Errors creating or removing a workspace.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// The workspace root or one of its subdirectories could not be created.
    #[error("cannot create workspace under {root}")]
    Create {
        /// The workspace root.
        root: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A directory lacks sf's marker, so sf will not delete it.
    #[error("{path} was not created by sf (no {WORKSPACE_MARKER} marker); refusing to delete it")]
    NotOurs {
        /// The directory.
        path: PathBuf,
    },
    /// The path is a symbolic link; sf never follows links when deleting.
    #[error("{path} is a symbolic link; refusing to follow it")]
    SymbolicLink {
        /// The link.
        path: PathBuf,
    },
    /// Deleting failed part-way.
    #[error("cannot remove workspace {path}")]
    Remove {
        /// The workspace.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    created_by: String,
    sf_version: String,
    script: String,
}

/// The directory of one run: `inputs/<channel>/`, `outputs/<channel>/`, `logs/`, `tmp/`,
/// `home/`, `context.json`, `result.json`, and the `.sf-workspace` marker.
///
/// A workspace sf creates is *in use* while this value (or a clone) lives: a shared `flock` on
/// its directory, which `sf clean-workspace` respects, so a run in progress is never deleted
/// under it.
#[derive(Debug, Clone)]
pub struct Workspace {
    dir: PathBuf,
    _in_use: Option<std::sync::Arc<InUse>>,
}

/// The lock that says a workspace is in use.
struct InUse {
    _lock: nix::fcntl::Flock<fs::File>,
}

impl std::fmt::Debug for InUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InUse")
    }
}

/// Locks the directory `dir`: shared (a run uses it) or exclusive (it is being deleted), never
/// waiting. `Ok(None)` when someone else holds a conflicting lock.
fn lock_dir(dir: &Path, exclusive: bool) -> io::Result<Option<nix::fcntl::Flock<fs::File>>> {
    use nix::fcntl::{Flock, FlockArg};
    let file = fs::File::open(dir)?;
    let arg = if exclusive {
        FlockArg::LockExclusiveNonblock
    } else {
        FlockArg::LockSharedNonblock
    };
    match Flock::lock(file, arg) {
        Ok(lock) => Ok(Some(lock)),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(None),
        Err((_, errno)) => Err(io::Error::from(errno)),
    }
}

impl Workspace {
    /// Creates a fresh, uniquely named workspace for `script` under `root` (created if missing).
    /// Two runs, in one process or in several, never get the same directory.
    pub fn create(root: &Path, script: &str) -> Result<Workspace, WorkspaceError> {
        let ws = Workspace::create_empty(root, script)?;
        for sub in SCRIPT_DIRS {
            fs::create_dir_all(ws.dir.join(sub)).map_err(|source| WorkspaceError::Create {
                root: root.to_owned(),
                source,
            })?;
        }
        Ok(ws)
    }

    /// Creates a fresh, marked directory like [`Workspace::create`] without the script layout:
    /// a pipeline's run directory, which holds `steps/` and `edges/`.
    pub fn create_run_dir(root: &Path, pipeline: &str) -> Result<Workspace, WorkspaceError> {
        Workspace::create_empty(root, &format!("pipeline-{pipeline}"))
    }

    /// A workspace that already exists at `dir` (such as a result's `workspace`), to name its
    /// parts.
    pub fn at(dir: &Path) -> Workspace {
        Workspace {
            dir: dir.to_owned(),
            _in_use: None,
        }
    }

    fn create_empty(root: &Path, script: &str) -> Result<Workspace, WorkspaceError> {
        let err = |source| WorkspaceError::Create {
            root: root.to_owned(),
            source,
        };
        ensure_root(root).map_err(err)?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
        let prefix = format!("{}-{stamp}-", file_name_component(script, "script"));
        let dir = tempfile::Builder::new()
            .prefix(&prefix)
            .rand_bytes(6)
            .tempdir_in(root)
            .map_err(err)?
            .keep();
        let dir = fs::canonicalize(&dir).map_err(err)?;
        // In use before the marker makes it a workspace, so no cleaner ever sees it unlocked.
        // Where the filesystem has no flock (some network and FUSE mounts), the run goes on
        // unlocked: cleaning then cannot tell, as before locks existed.
        let lock = match lock_dir(&dir, false) {
            Ok(lock) => lock,
            Err(e) => {
                tracing::warn!(err = %e, dir = %dir.display(), "cannot lock the workspace; `sf clean-workspace` will not see that it is in use");
                None
            }
        };
        let ws = Workspace {
            dir,
            _in_use: lock.map(|lock| std::sync::Arc::new(InUse { _lock: lock })),
        };
        crate::atomic::write_json_scratch(
            &ws.dir.join(WORKSPACE_MARKER),
            &Marker {
                created_by: MARKER_SIGNATURE.to_owned(),
                sf_version: env!("CARGO_PKG_VERSION").to_owned(),
                script: script.to_owned(),
            },
        )
        .map_err(err)?;
        Ok(ws)
    }

    /// The workspace directory (absolute).
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Directory of input channel `name`.
    pub fn input(&self, name: &str) -> PathBuf {
        self.dir.join(INPUTS).join(name)
    }

    /// Directory of output channel `name`.
    pub fn output(&self, name: &str) -> PathBuf {
        self.dir.join(OUTPUTS).join(name)
    }

    /// The logs directory (`stdout.log`, `stderr.log`).
    pub fn logs(&self) -> PathBuf {
        self.dir.join(LOGS)
    }

    /// The run's private temporary directory (`TMPDIR`).
    pub fn tmp(&self) -> PathBuf {
        self.dir.join(TMP)
    }

    /// The run's `HOME`.
    pub fn home(&self) -> PathBuf {
        self.dir.join(HOME)
    }

    /// sf's own files for the run (the Python runner and its report).
    pub fn internal(&self) -> PathBuf {
        self.dir.join(INTERNAL)
    }

    /// `context.json`.
    pub fn context_file(&self) -> PathBuf {
        self.dir.join(CONTEXT_FILE)
    }

    /// `result.json`.
    pub fn result_file(&self) -> PathBuf {
        self.dir.join(RESULT_FILE)
    }

    /// The directory holding every input channel.
    pub fn inputs(&self) -> PathBuf {
        self.dir.join(INPUTS)
    }

    /// Where the runner writes the script's output.
    pub(crate) fn log_files(&self) -> crate::run::runner::LogFiles {
        crate::run::runner::LogFiles {
            stdout: self.stdout_log(),
            stderr: self.stderr_log(),
        }
    }

    /// What the script printed on stdout.
    pub fn stdout_log(&self) -> PathBuf {
        self.logs().join(STDOUT_LOG)
    }

    /// What the script printed on stderr.
    pub fn stderr_log(&self) -> PathBuf {
        self.logs().join(STDERR_LOG)
    }

    /// A pipeline run's step workspaces.
    pub fn steps(&self) -> PathBuf {
        self.dir.join(STEPS)
    }

    /// A pipeline run's edge copies.
    pub fn edges(&self) -> PathBuf {
        self.dir.join(EDGES)
    }

    /// A pipeline run's `pipeline.json`.
    pub fn pipeline_file(&self) -> PathBuf {
        self.dir.join(PIPELINE_FILE)
    }

    /// The directories a script may always write: its outputs, logs, temporary directory and
    /// home (its inputs too, unless they are read-only: the adapter decides). Never sf's own
    /// files (`.sf/`), which sf writes after the run.
    pub(crate) fn writable_dirs(&self) -> Vec<PathBuf> {
        [OUTPUTS, LOGS, TMP, HOME]
            .iter()
            .map(|d| self.dir.join(d))
            .collect()
    }

    /// Where the inputs as the run was given them are laid out again, when its script changed
    /// them (`.sf/given/inputs/<channel>/`): what a replay of the workspace reads.
    pub(crate) fn given(&self) -> PathBuf {
        self.internal().join(GIVEN)
    }

    /// Input channel `name` as the run was given it, laid out again (see [`Workspace::given`]).
    pub(crate) fn given_input(&self, name: &str) -> PathBuf {
        self.given().join(INPUTS).join(name)
    }

    /// The folder a replay reads inputs from: [`Workspace::given`] when there is one, else the
    /// workspace (or bundle) itself.
    pub(crate) fn replay_data(&self) -> PathBuf {
        let given = self.given();
        if given.join(INPUTS).is_dir() {
            given
        } else {
            self.dir.clone()
        }
    }

    /// Whether `name`, at the top of a workspace, is something sf put there.
    pub(crate) fn is_own_entry(name: &str) -> bool {
        SCRIPT_DIRS.contains(&name)
            || [
                CONTEXT_FILE,
                RESULT_FILE,
                WORKSPACE_MARKER,
                crate::replay::REPLAY_FILE,
            ]
            .contains(&name)
    }

    /// Removes the workspace, with the same checks as [`remove_workspace`].
    pub fn remove(self) -> Result<(), WorkspaceError> {
        remove_workspace(&self.dir)
    }
}

/// Creates the workspace root `root` (with sf's root marker) unless it exists.
pub fn ensure_root(root: &Path) -> io::Result<()> {
    if root.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(root)?;
    fs::write(root.join(ROOT_MARKER), "created by sf\n")
}

/// `name` as one file-name component: letters, digits, `-` and `_` (`::` becomes `-`, anything
/// else `_`), at most 80 characters, `fallback` when nothing is left.
pub(crate) fn file_name_component(name: &str, fallback: &str) -> String {
    let text: String = name
        .replace("::", "-")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    if text.is_empty() {
        fallback.to_owned()
    } else {
        text
    }
}

/// True when `dir` is a real directory (not a link) carrying a genuine sf marker file.
pub fn is_workspace(dir: &Path) -> bool {
    let Ok(meta) = fs::symlink_metadata(dir) else {
        return false;
    };
    if !meta.is_dir() {
        return false;
    }
    let marker = dir.join(WORKSPACE_MARKER);
    match fs::symlink_metadata(&marker) {
        Ok(m) if m.is_file() => {}
        _ => return false,
    }
    fs::read(&marker)
        .ok()
        .and_then(|b| serde_json::from_slice::<Marker>(&b).ok())
        .is_some_and(|m| m.created_by == MARKER_SIGNATURE)
}

/// Deletes a workspace directory. Refuses a symbolic link and any directory without sf's marker;
/// links inside the workspace are removed as links, never followed.
pub fn remove_workspace(dir: &Path) -> Result<(), WorkspaceError> {
    if fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(WorkspaceError::SymbolicLink {
            path: dir.to_owned(),
        });
    }
    if !is_workspace(dir) {
        return Err(WorkspaceError::NotOurs {
            path: dir.to_owned(),
        });
    }
    // std's remove_dir_all removes symbolic links without following them.
    fs::remove_dir_all(dir).map_err(|source| WorkspaceError::Remove {
        path: dir.to_owned(),
        source,
    })
}

/// What [`clean_root`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CleanReport {
    /// Workspaces deleted.
    pub removed: Vec<PathBuf>,
    /// Entries left alone because sf did not create them (or they are links).
    pub left: Vec<PathBuf>,
    /// Whether the root directory itself was removed (only when sf created it and it ended up
    /// empty).
    pub root_removed: bool,
    /// Workspaces of runs still in progress, left alone.
    pub in_use: Vec<PathBuf>,
    /// Workspaces that could not be deleted, and why.
    pub failed: Vec<(PathBuf, String)>,
}

/// The entries of a workspace root, split into sf workspaces and everything else.
pub fn scan_root(root: &Path) -> io::Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let mut ours = Vec::new();
    let mut other = Vec::new();
    for entry in fs::read_dir(root)? {
        let path = entry?.path();
        if path
            .file_name()
            .is_some_and(|n| n == ROOT_MARKER || n == ROOT_LOG || n == crate::history::HISTORY_FILE)
        {
            continue;
        }
        if is_workspace(&path) {
            ours.push(path);
        } else {
            other.push(path);
        }
    }
    ours.sort();
    other.sort();
    Ok((ours, other))
}

/// True when `root` carries the marker sf writes when it creates a workspace root.
pub fn is_sf_root(root: &Path) -> bool {
    fs::symlink_metadata(root.join(ROOT_MARKER)).is_ok_and(|m| m.is_file())
}

/// Deletes every sf workspace directly under `root` and nothing else, skipping workspaces of
/// runs in progress and going on past any that cannot be deleted (both are in the report). The
/// root itself goes only when sf created it and nothing else is left in it.
pub fn clean_root(root: &Path) -> Result<CleanReport, WorkspaceError> {
    let (ours, left) = scan_root(root).map_err(|source| WorkspaceError::Remove {
        path: root.to_owned(),
        source,
    })?;
    let mut report = CleanReport {
        left,
        ..CleanReport::default()
    };
    for ws in ours {
        // Held until the directory is gone, so no run can start using it meanwhile.
        let removed = match lock_dir(&ws, true) {
            Ok(None) => {
                report.in_use.push(ws);
                continue;
            }
            Ok(Some(_lock)) => remove_workspace(&ws),
            Err(e) => {
                // No flock on this filesystem: runs could not lock either.
                tracing::warn!(err = %e, workspace = %ws.display(), "cannot lock the workspace to delete it; deleting it anyway");
                remove_workspace(&ws)
            }
        };
        match removed {
            Ok(()) => report.removed.push(ws),
            Err(err) => {
                let reason = crate::engine::error_chain(&err);
                report.failed.push((ws, reason));
            }
        }
    }
    if report.left.is_empty()
        && report.in_use.is_empty()
        && report.failed.is_empty()
        && is_sf_root(root)
    {
        let _ = fs::remove_file(root.join(ROOT_LOG));
        // The history of results goes with the workspaces it recorded.
        let _ = fs::remove_file(root.join(crate::history::HISTORY_FILE));
        let _ = fs::remove_file(root.join(ROOT_MARKER));
        report.root_removed = fs::remove_dir(root).is_ok();
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_workspaces_for_the_same_script_never_share_a_directory() {
        let root = tempfile::tempdir().unwrap();
        let a = Workspace::create(root.path(), "same").unwrap();
        let b = Workspace::create(root.path(), "same").unwrap();
        assert_ne!(a.path(), b.path());
        assert!(is_workspace(a.path()) && is_workspace(b.path()));
        for sub in ["inputs", "outputs", "logs", "tmp", "home"] {
            assert!(a.path().join(sub).is_dir(), "{sub} missing");
        }
    }

    #[test]
    fn cleaning_skips_workspaces_in_use_and_removes_the_rest() {
        let root = tempfile::tempdir().unwrap();
        let busy = Workspace::create(root.path(), "busy").unwrap();
        let done = Workspace::create(root.path(), "done").unwrap();
        let done_path = done.path().to_owned();
        drop(done);
        let report = clean_root(root.path()).unwrap();
        assert_eq!(report.removed, [done_path]);
        assert_eq!(report.in_use, [busy.path().to_owned()]);
        assert!(report.failed.is_empty());
        assert!(
            busy.path().join("inputs").is_dir(),
            "a run in progress keeps its workspace"
        );
        assert!(!report.root_removed);
        let busy_path = busy.path().to_owned();
        drop(busy);
        let report = clean_root(root.path()).unwrap();
        assert_eq!(report.removed, [busy_path]);
    }

    #[test]
    fn removal_refuses_a_directory_without_the_marker() {
        let root = tempfile::tempdir().unwrap();
        let plain = root.path().join("plain");
        fs::create_dir(&plain).unwrap();
        fs::write(plain.join("keep.txt"), "mine").unwrap();
        let err = remove_workspace(&plain).unwrap_err();
        assert!(matches!(err, WorkspaceError::NotOurs { .. }), "{err}");
        assert!(plain.join("keep.txt").exists());
    }

    #[test]
    fn a_forged_marker_with_other_content_is_not_trusted() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("forged");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join(WORKSPACE_MARKER), "hello").unwrap();
        assert!(!is_workspace(&dir));
    }

    #[test]
    fn removal_does_not_follow_links_planted_inside_the_workspace() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("precious.txt"), "data").unwrap();
        let ws = Workspace::create(root.path(), "linker").unwrap();
        std::os::unix::fs::symlink(outside.path(), ws.output("escape")).unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("precious.txt"),
            ws.path().join("file-link"),
        )
        .unwrap();
        let dir = ws.path().to_owned();
        ws.remove().unwrap();
        assert!(!dir.exists());
        assert_eq!(
            fs::read_to_string(outside.path().join("precious.txt")).unwrap(),
            "data"
        );
    }

    #[test]
    fn removal_refuses_a_symbolic_link_to_a_workspace() {
        let root = tempfile::tempdir().unwrap();
        let ws = Workspace::create(root.path(), "target").unwrap();
        let link = root.path().join("link");
        std::os::unix::fs::symlink(ws.path(), &link).unwrap();
        assert!(matches!(
            remove_workspace(&link),
            Err(WorkspaceError::SymbolicLink { .. })
        ));
        assert!(ws.path().exists());
    }

    #[test]
    fn clean_root_removes_only_workspaces_and_keeps_foreign_entries() {
        let parent = tempfile::tempdir().unwrap();
        let root = parent.path().join("pipeline_testing");
        // Dropped: the run that used it is over.
        let ws = Workspace::create(&root, "s").unwrap().path().to_owned();
        fs::write(root.join("notes.txt"), "mine").unwrap();
        let report = clean_root(&root).unwrap();
        assert_eq!(report.removed, vec![ws]);
        assert_eq!(report.left, vec![root.join("notes.txt")]);
        assert!(!report.root_removed);
        assert!(root.join("notes.txt").exists());
    }

    #[test]
    fn clean_root_removes_a_root_it_created_once_empty() {
        let parent = tempfile::tempdir().unwrap();
        let root = parent.path().join("pipeline_testing");
        Workspace::create(&root, "s").unwrap();
        let report = clean_root(&root).unwrap();
        assert!(report.root_removed);
        assert!(!root.exists());
    }
}
