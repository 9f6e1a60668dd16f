//! The files a data plan writes into a channel directory: names that cannot leave it, the record
//! of each file written, and I/O errors that say which path failed.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A file sf wrote into an input channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterializedFile {
    /// Where.
    pub path: PathBuf,
    /// Data rows (header excluded) of a generated table; `None` for other files.
    pub rows: Option<usize>,
    /// Size on disk.
    pub bytes: u64,
}

/// The record of a file just written at `path`.
pub(super) fn materialized(path: PathBuf, rows: Option<usize>) -> io::Result<MaterializedFile> {
    let bytes = fs::metadata(&path)?.len();
    Ok(MaterializedFile { path, rows, bytes })
}

/// Writes `content` to `dir/name` (`name` may hold subfolders, created as needed).
pub(super) fn write_file(dir: &Path, name: &str, content: &[u8]) -> io::Result<MaterializedFile> {
    let path = dir.join(plain_relative(name)?);
    create_parent(&path)?;
    fs::write(&path, content)?;
    materialized(path, None)
}

pub(super) fn create_parent(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(parent) => fs::create_dir_all(parent),
        None => Ok(()),
    }
}

pub(super) fn pretty_json(value: &serde_json::Value) -> io::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// One path component that stays where it is put: not empty, `.`, `..` or containing a
/// separator.
pub(super) fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/') && !name.contains('\\')
}

/// `name` as a relative path that cannot leave the directory it is joined to.
pub(super) fn plain_relative(name: &str) -> io::Result<&Path> {
    let path = Path::new(name);
    let plain = !name.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)));
    if plain {
        Ok(path)
    } else {
        Err(invalid(format!(
            "file name `{name}` is not a relative path inside the channel"
        )))
    }
}

pub(super) fn invalid(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, error)
}

/// Adds the path that failed to an I/O error, which otherwise only says what went wrong.
pub(super) fn at(path: &Path) -> impl FnOnce(io::Error) -> io::Error + '_ {
    move |err| io::Error::new(err.kind(), format!("{}: {err}", path.display()))
}
