//! File trees: walking, copying and setting permissions under a directory, the one place sf
//! does these. Symbolic links are never followed: a link inside a channel must not lead a check
//! or a copy to files outside it.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use walkdir::WalkDir;

/// What tells whether a file changed: size, modification time, and the ones a script cannot set
/// back (inode change time, inode number, device, mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
    ctime: (i64, i64),
    ino: u64,
    dev: u64,
    mode: u32,
}

/// Every regular file under `dir`, in path order, symbolic links not followed. A missing or
/// unreadable directory has none.
pub(crate) fn files(dir: &Path) -> Vec<PathBuf> {
    walk(dir)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .collect()
}

/// The number of regular files under `dir`.
pub(crate) fn count_files(dir: &Path) -> usize {
    walk(dir).filter(|e| e.file_type().is_file()).count()
}

/// Every entry under `dir` that is not a directory (files, links, special files), with its
/// stamp.
pub(crate) fn stamps(dir: &Path) -> BTreeMap<PathBuf, FileStamp> {
    walk(dir)
        .filter(|e| !e.file_type().is_dir())
        .filter_map(|e| {
            use std::os::unix::fs::MetadataExt;
            let meta = e.metadata().ok()?;
            let stamp = FileStamp {
                len: meta.len(),
                modified: meta.modified().ok(),
                ctime: (meta.ctime(), meta.ctime_nsec()),
                ino: meta.ino(),
                dev: meta.dev(),
                mode: meta.mode(),
            };
            Some((e.into_path(), stamp))
        })
        .collect()
}

/// Up to five files of `dir`, relative to it, for a message (`a.csv, b.csv and 3 more`).
pub(crate) fn listing(dir: &Path) -> String {
    let files = files(dir);
    let mut names: Vec<String> = files
        .iter()
        .take(5)
        .map(|f| f.strip_prefix(dir).unwrap_or(f).display().to_string())
        .collect();
    if files.len() > 5 {
        names.push(format!("and {} more", files.len() - 5));
    }
    names.join(", ")
}

/// What a tree entry is; symbolic links count as `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Dir,
    File,
    Other,
}

/// One entry under a directory.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) path: PathBuf,
    /// Relative to the walked directory.
    pub(crate) rel: PathBuf,
    pub(crate) kind: Kind,
}

/// Every entry under `dir`, depth first in name order (a directory before its contents), links
/// not followed. An unreadable directory is an error naming it.
pub(crate) fn entries(dir: &Path) -> io::Result<Vec<Entry>> {
    let mut out = Vec::new();
    for entry in walker(dir).min_depth(1).sort_by_file_name() {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(dir).to_owned();
            io::Error::other(format!("cannot read {}: {e}", path.display()))
        })?;
        let t = entry.file_type();
        let kind = if t.is_dir() {
            Kind::Dir
        } else if t.is_file() {
            Kind::File
        } else {
            Kind::Other
        };
        out.push(Entry {
            rel: entry
                .path()
                .strip_prefix(dir)
                .unwrap_or(entry.path())
                .to_owned(),
            path: entry.into_path(),
            kind,
        });
    }
    Ok(out)
}

/// Logs that a link or special file was left out of a copy or an archive.
pub(crate) fn skip_warning(entry: &Entry) {
    if fs::symlink_metadata(&entry.path).is_ok_and(|m| m.file_type().is_symlink()) {
        tracing::warn!(path = %entry.path.display(), "skipping a symbolic link: links are not copied");
    } else {
        tracing::warn!(path = %entry.path.display(), "skipping a special file: only files and folders are copied");
    }
}

/// Copies the contents of directory `from` into `to` (created when missing) and returns the
/// files written, in path order. Symbolic links and special files are skipped with a warning;
/// a directory that is `to` itself (a channel inside its own fixture) is not copied into itself.
pub(crate) fn copy(from: &Path, to: &Path) -> io::Result<Vec<PathBuf>> {
    fs::create_dir_all(to)?;
    let target_dir = fs::canonicalize(to)?;
    let mut written = Vec::new();
    let mut inside_target: Option<PathBuf> = None;
    for entry in entries(from)? {
        if inside_target
            .as_ref()
            .is_some_and(|t| entry.rel.starts_with(t))
        {
            continue;
        }
        let target = to.join(&entry.rel);
        match entry.kind {
            Kind::Dir => {
                if fs::canonicalize(&entry.path).is_ok_and(|p| p == target_dir) {
                    inside_target = Some(entry.rel);
                    continue;
                }
                fs::create_dir_all(&target)?;
            }
            Kind::File => {
                fs::copy(&entry.path, &target).map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("cannot copy {}: {e}", entry.path.display()),
                    )
                })?;
                // A copy is the copier's to change (an edge's read-only files become writable
                // inputs downstream), whatever the source's mode said.
                let mode = fs::metadata(&target)?.permissions().mode();
                if mode & 0o200 == 0 {
                    fs::set_permissions(&target, fs::Permissions::from_mode(mode | 0o200))?;
                }
                written.push(target);
            }
            Kind::Other => skip_warning(&entry),
        }
    }
    Ok(written)
}

/// Files 0444, directories 0555: the tree says it is not to be changed (root is not stopped).
pub(crate) fn set_read_only(dir: &Path) -> io::Result<()> {
    // Children before their directory: a read-only directory's entries cannot be changed by a
    // non-root user any more.
    set_modes(walker(dir).contents_first(true), 0o444, 0o555)
}

/// Files 0644, directories 0755: undoes [`set_read_only`] so the tree can be changed or deleted.
pub(crate) fn set_writable(dir: &Path) -> io::Result<()> {
    if fs::symlink_metadata(dir).is_err() {
        return Ok(());
    }
    // Directories before their children, so their entries can be reached and changed.
    set_modes(walker(dir), 0o644, 0o755)
}

fn set_modes(walk: WalkDir, file_mode: u32, dir_mode: u32) -> io::Result<()> {
    let mut result = Ok(());
    for entry in walk.into_iter().flatten() {
        let kind = entry.file_type();
        let mode = if kind.is_dir() {
            dir_mode
        } else if kind.is_file() {
            file_mode
        } else {
            continue;
        };
        if let Err(err) = fs::set_permissions(entry.path(), fs::Permissions::from_mode(mode))
            && result.is_ok()
        {
            result = Err(err);
        }
    }
    result
}

/// A walk of `dir` that does not follow `dir` itself when it is a symbolic link (walkdir does by
/// default): a channel replaced by a link has no files of its own.
fn walker(dir: &Path) -> WalkDir {
    WalkDir::new(dir).follow_root_links(false)
}

fn walk(dir: &Path) -> impl Iterator<Item = walkdir::DirEntry> {
    walker(dir)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("a/b")).unwrap();
        fs::write(dir.path().join("a/b/2.csv"), "x\n").unwrap();
        fs::write(dir.path().join("a/1.csv"), "y\n").unwrap();
        fs::write(dir.path().join("top.txt"), "z").unwrap();
        std::os::unix::fs::symlink("/etc", dir.path().join("a/out")).unwrap();
        dir
    }

    #[test]
    fn files_are_listed_in_path_order_without_following_links() {
        let dir = tree();
        let rel: Vec<_> = files(dir.path())
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(rel, ["a/1.csv", "a/b/2.csv", "top.txt"]);
        assert_eq!(count_files(dir.path()), 3);
        assert_eq!(listing(dir.path()), "a/1.csv, a/b/2.csv, top.txt");
    }

    #[test]
    fn a_copy_has_the_files_but_not_the_links() {
        let dir = tree();
        let to = tempfile::tempdir().unwrap();
        let written = copy(dir.path(), &to.path().join("copy")).unwrap();
        assert_eq!(written.len(), 3);
        assert_eq!(
            fs::read_to_string(to.path().join("copy/a/b/2.csv")).unwrap(),
            "x\n"
        );
        assert!(fs::symlink_metadata(to.path().join("copy/a/out")).is_err());
        // A read-only source (an edge's copy) gives files the copier may change.
        set_read_only(dir.path()).unwrap();
        let again = copy(dir.path(), &to.path().join("again")).unwrap();
        let mode = fs::metadata(&again[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o200, 0o200);
        set_writable(dir.path()).unwrap();
    }

    #[test]
    fn edge_copies_are_read_only_until_made_writable_again() {
        let dir = tree();
        set_read_only(dir.path()).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("a/b/2.csv")), 0o444);
        assert_eq!(mode(&dir.path().join("a/b")), 0o555);
        assert_eq!(mode(dir.path()), 0o555);
        set_writable(dir.path()).unwrap();
        assert_eq!(mode(&dir.path().join("a/b/2.csv")), 0o644);
        assert_eq!(mode(&dir.path().join("a")), 0o755);
    }
}
