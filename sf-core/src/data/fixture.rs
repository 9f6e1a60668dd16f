//! Fixture channels: a folder's contents (or one file) copied into the channel; links inside it
//! are skipped, never followed.

use std::fs;
use std::io;
use std::path::Path;

use super::files::{MaterializedFile, at, invalid, materialized};

/// Copies the fixture at `source` (a directory's contents, or one file) into `dir`.
pub(super) fn copy_fixture(source: &Path, dir: &Path) -> io::Result<Vec<MaterializedFile>> {
    let copied = if fs::metadata(source).map_err(at(source))?.is_dir() {
        crate::tree::copy(source, dir)?
    } else {
        let name = source
            .file_name()
            .ok_or_else(|| invalid(format!("fixture {} has no file name", source.display())))?;
        let to = dir.join(name);
        fs::copy(source, &to).map_err(at(source))?;
        vec![to]
    };
    copied.into_iter().map(|p| materialized(p, None)).collect()
}

#[cfg(test)]
mod tests {
    use std::fs;

    use crate::data::testing::{fixture, names};
    use crate::data::{ChannelPlan, DataError, DataPlan, MaterializedFile};

    #[test]
    fn fixtures_are_copied_recursively_without_following_links() {
        let root = tempfile::tempdir().unwrap();
        let source = fixture(root.path());
        let out = root.path().join("out");
        let plan = DataPlan::new().channel("fx", ChannelPlan::Fixture { source });
        let files = plan.materialize(1, |c| out.join(c)).unwrap();
        let files: Vec<MaterializedFile> = files.into_iter().map(|(_, f)| f).collect();
        assert_eq!(
            names(&files, &out.join("fx")),
            ["nested/inner.txt", "top.csv"]
        );
        assert_eq!(
            fs::read_to_string(out.join("fx/nested/inner.txt")).unwrap(),
            "inner"
        );
        assert!(out.join("fx/nested/deeper").is_dir());
        assert!(fs::symlink_metadata(out.join("fx/leak.txt")).is_err());
        assert!(fs::symlink_metadata(out.join("fx/up")).is_err());
        assert!(files.iter().all(|f| f.rows.is_none() && f.bytes > 0));
    }

    #[test]
    fn a_single_file_fixture_is_copied_into_the_channel() {
        let root = tempfile::tempdir().unwrap();
        let source = fixture(root.path()).join("top.csv");
        let files = ChannelPlan::Fixture { source }
            .write_into(&root.path().join("ch"), 1)
            .unwrap();
        assert_eq!(files[0].path, root.path().join("ch/top.csv"));
        assert_eq!(files[0].bytes, 4);
    }

    #[test]
    fn a_fixture_holding_its_channel_is_not_copied_into_itself() {
        let root = tempfile::tempdir().unwrap();
        let source = fixture(root.path());
        let files = ChannelPlan::Fixture {
            source: source.clone(),
        }
        .write_into(&source.join("nested/channel"), 1)
        .unwrap();
        assert_eq!(files.len(), 2);
        assert!(!source.join("nested/channel/nested/channel").exists());
    }

    #[test]
    fn a_missing_fixture_errors_naming_the_channel_and_path() {
        let root = tempfile::tempdir().unwrap();
        let missing = root.path().join("no-such-fixture");
        let plan = DataPlan::new().channel(
            "models",
            ChannelPlan::Fixture {
                source: missing.clone(),
            },
        );
        let err = plan.materialize(1, |c| root.path().join(c)).unwrap_err();
        assert!(matches!(&err, DataError::Read { channel, path, .. }
            if channel == "models" && *path == missing));
        assert_eq!(
            err.to_string(),
            format!("input channel `models`: cannot read {}", missing.display())
        );
        assert!(!root.path().join("models").exists());
    }
}
