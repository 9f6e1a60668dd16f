//! Helpers shared by the data module's tests.

use std::fs;
use std::path::{Path, PathBuf};

use super::{GeneratedData, MaterializedFile, Profile, RowCount};

/// `n` rows of the generic profile in one CSV file.
pub(super) fn rows(n: usize) -> GeneratedData {
    GeneratedData::new(Profile::Generic, RowCount::Rows(n))
}

/// The files' paths relative to `root`.
pub(super) fn names(files: &[MaterializedFile], root: &Path) -> Vec<String> {
    files
        .iter()
        .map(|f| {
            f.path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// The row count recorded for each file.
pub(super) fn row_counts(files: &[MaterializedFile]) -> Vec<Option<usize>> {
    files.iter().map(|f| f.rows).collect()
}

/// A fixture folder with a nested file, plus a link to a secret outside the fixture.
pub(super) fn fixture(root: &Path) -> PathBuf {
    let source = root.join("fixture");
    fs::create_dir_all(source.join("nested/deeper")).unwrap();
    fs::write(source.join("top.csv"), "a\n1\n").unwrap();
    fs::write(source.join("nested/inner.txt"), "inner").unwrap();
    fs::write(root.join("secret.txt"), "secret").unwrap();
    std::os::unix::fs::symlink(root.join("secret.txt"), source.join("leak.txt")).unwrap();
    std::os::unix::fs::symlink(root, source.join("up")).unwrap();
    source
}
