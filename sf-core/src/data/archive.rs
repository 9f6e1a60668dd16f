//! tar.gz channels: entries of text, JSON or files from disk, packed so that the same entries give
//! the same bytes.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};

use super::files::{at, pretty_json};

/// Content of a file inside a tar.gz channel entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryContent {
    /// Literal text.
    Text(String),
    /// A JSON document (written pretty-printed).
    Json(serde_json::Value),
    /// A file (or directory, added recursively) copied from disk.
    File(PathBuf),
}

/// One file inside a tar.gz.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TarEntry {
    /// Path inside the archive (relative, `/`-separated).
    pub path: String,
    /// What it holds.
    pub content: EntryContent,
}

/// Writes a gzip-compressed tar of `entries` to `path`, byte-identical for the same entries.
pub(super) fn write_tar_gz(path: &Path, entries: &[TarEntry]) -> io::Result<()> {
    let file = fs::File::create(path)?;
    let gz = GzEncoder::new(io::BufWriter::new(file), Compression::default());
    let mut tar = tar::Builder::new(gz);
    for entry in entries {
        let name = entry.path.trim_end_matches('/');
        match &entry.content {
            EntryContent::Text(text) => append_file(&mut tar, name, text.as_bytes())?,
            EntryContent::Json(value) => append_file(&mut tar, name, &pretty_json(value)?)?,
            EntryContent::File(source) => {
                if fs::metadata(source).map_err(at(source))?.is_dir() {
                    append_dir(&mut tar, name, source)?;
                } else {
                    append_file(&mut tar, name, &fs::read(source).map_err(at(source))?)?;
                }
            }
        }
    }
    tar.into_inner()?.finish()?.flush()
}

fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_size(size);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header
}

fn append_file<W: Write>(tar: &mut tar::Builder<W>, name: &str, data: &[u8]) -> io::Result<()> {
    let mut header = header(tar::EntryType::Regular, 0o644, data.len() as u64);
    tar.append_data(&mut header, name, data)
}

/// Adds `source` as the folder `name`, then its files and folders (in name order) below it.
fn append_dir<W: Write>(tar: &mut tar::Builder<W>, name: &str, source: &Path) -> io::Result<()> {
    let mut dir_header = header(tar::EntryType::Directory, 0o755, 0);
    tar.append_data(&mut dir_header, format!("{name}/"), io::empty())?;
    for entry in crate::tree::entries(source)? {
        let Some(rel) = entry.rel.to_str() else {
            tracing::warn!(path = %entry.path.display(), "skipping a file whose name is not UTF-8");
            continue;
        };
        let child_name = format!("{name}/{rel}");
        match entry.kind {
            crate::tree::Kind::Dir => {
                tar.append_data(
                    &mut dir_header.clone(),
                    format!("{child_name}/"),
                    io::empty(),
                )?;
            }
            crate::tree::Kind::File => {
                let data = fs::read(&entry.path).map_err(at(&entry.path))?;
                append_file(tar, &child_name, &data)?;
            }
            crate::tree::Kind::Other => crate::tree::skip_warning(&entry),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::io::Read;
    use std::path::Path;

    use flate2::read::GzDecoder;

    use super::*;
    use crate::data::testing::fixture;
    use crate::data::{ChannelPlan, DataPlan};

    fn tar_plan(root: &Path) -> ChannelPlan {
        let source = fixture(root);
        ChannelPlan::TarGz {
            file_name: "model.tar.gz".into(),
            entries: vec![
                TarEntry {
                    path: "model/version.txt".into(),
                    content: EntryContent::Text("3".into()),
                },
                TarEntry {
                    path: "meta.json".into(),
                    content: EntryContent::Json(serde_json::json!({"k": [1]})),
                },
                TarEntry {
                    path: "weights.csv".into(),
                    content: EntryContent::File(source.join("top.csv")),
                },
                TarEntry {
                    path: "assets".into(),
                    content: EntryContent::File(source),
                },
                TarEntry {
                    path: format!("{}/long.txt", "d".repeat(120)),
                    content: EntryContent::Text("long".into()),
                },
            ],
        }
    }

    fn read_tar(path: &Path) -> Vec<(String, tar::EntryType, u32, String)> {
        let mut archive = tar::Archive::new(GzDecoder::new(fs::File::open(path).unwrap()));
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let name = e.path().unwrap().to_string_lossy().into_owned();
                let header = e.header();
                assert_eq!(header.mtime().unwrap(), 0);
                assert_eq!((header.uid().unwrap(), header.gid().unwrap()), (0, 0));
                let (kind, mode) = (header.entry_type(), header.mode().unwrap());
                let mut content = String::new();
                e.read_to_string(&mut content).unwrap();
                (name, kind, mode, content)
            })
            .collect()
    }

    #[test]
    fn tar_gz_channels_hold_their_entries_in_order() {
        let root = tempfile::tempdir().unwrap();
        let plan = DataPlan::new().channel("model", tar_plan(root.path()));
        let files = plan.materialize(1, |c| root.path().join(c)).unwrap();
        assert_eq!(files.len(), 1);
        let file = &files[0].1;
        assert_eq!(file.path, root.path().join("model/model.tar.gz"));
        assert_eq!(file.rows, None);
        let entries = read_tar(&file.path);
        let regular = tar::EntryType::Regular;
        let dir = tar::EntryType::Directory;
        let expected = [
            ("model/version.txt", regular, 0o644, "3"),
            (
                "meta.json",
                regular,
                0o644,
                "{\n  \"k\": [\n    1\n  ]\n}\n",
            ),
            ("weights.csv", regular, 0o644, "a\n1\n"),
            ("assets/", dir, 0o755, ""),
            ("assets/nested/", dir, 0o755, ""),
            ("assets/nested/deeper/", dir, 0o755, ""),
            ("assets/nested/inner.txt", regular, 0o644, "inner"),
            ("assets/top.csv", regular, 0o644, "a\n1\n"),
        ];
        for (got, want) in entries.iter().zip(expected) {
            assert_eq!(
                (got.0.trim_end_matches('/'), got.1, got.2, got.3.as_str()),
                (want.0.trim_end_matches('/'), want.1, want.2, want.3)
            );
        }
        assert_eq!(entries.len(), expected.len() + 1);
        let long = entries.last().unwrap();
        assert_eq!(long.0, format!("{}/long.txt", "d".repeat(120)));
        assert_eq!(long.3, "long");
        // The links planted in the fixture stay out of the archive.
        assert!(
            !entries
                .iter()
                .any(|e| e.0.contains("leak") || e.0.contains("up"))
        );
    }

    #[test]
    fn two_materializations_give_byte_identical_tar_gz() {
        let root = tempfile::tempdir().unwrap();
        let plan = tar_plan(root.path());
        let a = plan.write_into(&root.path().join("a"), 1).unwrap();
        // Another seed, and fresh files with new mtimes: still the same bytes.
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(root.path().join("fixture/top.csv"), "a\n1\n").unwrap();
        let b = plan.write_into(&root.path().join("b"), 2).unwrap();
        assert_eq!(fs::read(&a[0].path).unwrap(), fs::read(&b[0].path).unwrap());
    }

    #[test]
    fn a_missing_tar_entry_file_errors_naming_the_channel() {
        let root = tempfile::tempdir().unwrap();
        let missing = root.path().join("gone.bin");
        let plan = DataPlan::new().channel(
            "model",
            ChannelPlan::TarGz {
                file_name: "model.tar.gz".into(),
                entries: vec![TarEntry {
                    path: "gone.bin".into(),
                    content: EntryContent::File(missing.clone()),
                }],
            },
        );
        let err = plan.materialize(1, |c| root.path().join(c)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("input channel `model`: cannot read {}", missing.display())
        );
    }
}
