//! The data plan: how each input channel of a run is filled.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::archive::{EntryContent, TarEntry, write_tar_gz};
use super::files::{
    MaterializedFile, create_parent, materialized, plain_relative, pretty_json, write_file,
};
use super::fixture::copy_fixture;
use super::generated::{GeneratedData, TableSource};
use super::schema::SchemaError;

/// Errors writing a channel's data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// Writing a generated or copied file failed.
    #[error("cannot write data for input channel `{channel}` to {path}")]
    Write {
        /// The channel.
        channel: String,
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A fixture or a file meant for a tar.gz entry cannot be read (most often: it is missing).
    #[error("input channel `{channel}`: cannot read {path}")]
    Read {
        /// The channel.
        channel: String,
        /// The file or directory that was asked for.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A column schema cannot generate data.
    #[error("input channel `{channel}`: invalid schema")]
    Schema {
        /// The channel.
        channel: String,
        /// What is wrong with the schema.
        #[source]
        source: SchemaError,
    },
}

/// How one input channel is filled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChannelPlan {
    /// Synthetic rows from a profile or a schema.
    Generated(GeneratedData),
    /// An empty directory.
    Empty,
    /// A small text file, for example a `signature` file holding one header line.
    Text {
        /// File name in the channel.
        file_name: String,
        /// Its content, written as given.
        content: String,
    },
    /// A JSON document, for example `hyperparameters.json`.
    Json {
        /// File name in the channel.
        file_name: String,
        /// The document (written pretty-printed).
        value: serde_json::Value,
    },
    /// The contents of a fixture directory (or a single file), copied recursively.
    ///
    /// The source itself may be a symbolic link, but links inside it are skipped (and logged),
    /// never followed or recreated: a fixture cannot pull in, or point the script at, files from
    /// outside it.
    Fixture {
        /// The directory or file to copy (absolute).
        source: PathBuf,
    },
    /// A gzip-compressed tar archive built from entries, for example `model.tar.gz`.
    ///
    /// The same entries give the same bytes: entries keep their order (directories are walked in
    /// name order), and every header has mtime 0, uid and gid 0, and mode 0644 (0755 for
    /// directories, so that they can be entered once extracted). Symbolic links inside a
    /// directory entry are skipped, as in fixtures.
    TarGz {
        /// File name in the channel.
        file_name: String,
        /// What goes inside.
        entries: Vec<TarEntry>,
    },
    /// Several of the above in one channel directory, written in order (a later file of the same
    /// name replaces an earlier one). The first plan gets the channel's seed; the others get
    /// seeds mixed with their position, so two identical generators still write different rows.
    Several(Vec<ChannelPlan>),
}

/// Why a plan cannot be written, found before writing anything.
enum Problem {
    Schema(SchemaError),
    Unreadable(PathBuf, io::Error),
    Invalid(io::Error),
}

impl ChannelPlan {
    /// Everything that can be checked before writing: schemas, layouts, file names, and that
    /// fixtures and files for tar entries exist.
    fn check(&self) -> Result<(), Problem> {
        let exists = |path: &Path| {
            fs::metadata(path)
                .map(drop)
                .map_err(|err| Problem::Unreadable(path.to_owned(), err))
        };
        match self {
            ChannelPlan::Generated(data) => {
                if let TableSource::Schema(schema) = &data.source {
                    schema.validate().map_err(Problem::Schema)?;
                }
                data.check().map_err(Problem::Invalid)
            }
            ChannelPlan::Empty => Ok(()),
            ChannelPlan::Text { file_name, .. } | ChannelPlan::Json { file_name, .. } => {
                plain_relative(file_name)
                    .map(drop)
                    .map_err(Problem::Invalid)
            }
            ChannelPlan::Fixture { source } => exists(source),
            ChannelPlan::TarGz { file_name, entries } => {
                plain_relative(file_name).map_err(Problem::Invalid)?;
                for entry in entries {
                    plain_relative(&entry.path).map_err(Problem::Invalid)?;
                    if let EntryContent::File(path) = &entry.content {
                        exists(path)?;
                    }
                }
                Ok(())
            }
            ChannelPlan::Several(plans) => plans.iter().try_for_each(ChannelPlan::check),
        }
    }

    /// Writes this plan into `dir` (created if missing) with `seed` and lists the files written.
    pub(crate) fn write_into(&self, dir: &Path, seed: u64) -> io::Result<Vec<MaterializedFile>> {
        fs::create_dir_all(dir)?;
        match self {
            ChannelPlan::Generated(data) => data.write_into(dir, seed),
            ChannelPlan::Empty => Ok(Vec::new()),
            ChannelPlan::Text { file_name, content } => {
                Ok(vec![write_file(dir, file_name, content.as_bytes())?])
            }
            ChannelPlan::Json { file_name, value } => {
                Ok(vec![write_file(dir, file_name, &pretty_json(value)?)?])
            }
            ChannelPlan::Fixture { source } => copy_fixture(source, dir),
            ChannelPlan::TarGz { file_name, entries } => {
                let path = dir.join(plain_relative(file_name)?);
                create_parent(&path)?;
                write_tar_gz(&path, entries)?;
                Ok(vec![materialized(path, None)?])
            }
            ChannelPlan::Several(plans) => {
                let mut written = Vec::new();
                for (i, plan) in plans.iter().enumerate() {
                    let seed = seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                    written.extend(plan.write_into(dir, seed)?);
                }
                Ok(written)
            }
        }
    }
}

/// For each input channel, how it is filled. Same seed, same bytes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataPlan {
    /// Channel name → plan.
    pub channels: BTreeMap<String, ChannelPlan>,
}

impl DataPlan {
    /// The plan's other face (beside [`DataPlan::materialize`]): a proptest strategy over
    /// datasets, one table per generated channel, by channel name. Channels of fixed content
    /// (fixtures, text, archives) are the same in every dataset and are not part of it.
    pub fn strategy(
        &self,
        cases: &crate::data::strategy::Cases,
    ) -> proptest::strategy::BoxedStrategy<BTreeMap<String, super::Table>> {
        use proptest::strategy::Strategy as _;
        let (names, strategies): (Vec<String>, Vec<_>) = self
            .channels
            .iter()
            .filter_map(|(name, plan)| match plan {
                ChannelPlan::Generated(data) => Some((name.clone(), data.strategy(cases))),
                _ => None,
            })
            .unzip();
        strategies
            .prop_map(move |tables| names.iter().cloned().zip(tables).collect())
            .boxed()
    }

    /// A plan with no input channels.
    pub fn new() -> DataPlan {
        DataPlan::default()
    }

    /// Adds (or replaces) a channel.
    pub fn channel(mut self, name: impl Into<String>, plan: ChannelPlan) -> DataPlan {
        self.channels.insert(name.into(), plan);
        self
    }

    /// Writes every channel into `dir_of(channel)`, each channel with its own seed derived from
    /// `seed` and the channel name (so adding a channel never changes another channel's bytes).
    ///
    /// Every channel is checked first (schemas, layouts, file names, fixture and tar entry
    /// sources), so a plan that cannot be written fails before writing anything.
    pub fn materialize(
        &self,
        seed: u64,
        dir_of: impl Fn(&str) -> PathBuf,
    ) -> Result<Vec<(String, MaterializedFile)>, DataError> {
        for (channel, plan) in &self.channels {
            plan.check().map_err(|problem| match problem {
                Problem::Schema(source) => DataError::Schema {
                    channel: channel.clone(),
                    source,
                },
                Problem::Unreadable(path, source) => DataError::Read {
                    channel: channel.clone(),
                    path,
                    source,
                },
                Problem::Invalid(source) => DataError::Write {
                    channel: channel.clone(),
                    path: dir_of(channel),
                    source,
                },
            })?;
        }
        let mut written = Vec::new();
        for (channel, plan) in &self.channels {
            let dir = dir_of(channel);
            let files = plan
                .write_into(&dir, channel_seed(seed, channel))
                .map_err(|source| DataError::Write {
                    channel: channel.clone(),
                    path: dir.clone(),
                    source,
                })?;
            written.extend(files.into_iter().map(|f| (channel.clone(), f)));
        }
        Ok(written)
    }
}

/// The seed of one channel: `seed` mixed with a stable (FNV-1a) hash of the channel name.
pub fn channel_seed(seed: u64, channel: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in channel.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    seed ^ hash
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_strategy_draws_one_table_per_generated_channel() {
        use proptest::strategy::{Strategy as _, ValueTree as _};
        let plan = DataPlan::new()
            .channel(
                "train",
                ChannelPlan::Generated(GeneratedData::new(
                    crate::data::Profile::Training,
                    crate::data::RowCount::Rows(5),
                )),
            )
            .channel(
                "rates",
                ChannelPlan::Text {
                    file_name: "rates.txt".into(),
                    content: "USD=1\n".into(),
                },
            )
            .channel(
                "test",
                ChannelPlan::Generated(GeneratedData::new(
                    crate::data::Profile::Generic,
                    crate::data::RowCount::Rows(5),
                )),
            );
        let cases = crate::data::strategy::Cases {
            rows: 2..=4,
            edge_values: true,
        };
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        for _ in 0..20 {
            let dataset = plan
                .strategy(&cases)
                .new_tree(&mut runner)
                .unwrap()
                .current();
            assert_eq!(dataset.keys().collect::<Vec<_>>(), ["test", "train"]);
            assert!(dataset.values().all(|t| (2..=4).contains(&t.rows())));
            assert_eq!(dataset["train"].names().len(), 11);
        }
    }

    use std::io;

    use super::*;
    use crate::data::testing::{names, row_counts, rows};
    use crate::data::{ColumnKind, ColumnSpec, Format, Profile, RowCount, Schema, Size};

    fn plan() -> DataPlan {
        DataPlan::new()
            .channel(
                "a",
                ChannelPlan::Generated(GeneratedData::new(
                    Profile::Generic,
                    RowCount::Size(Size::Small),
                )),
            )
            .channel(
                "b",
                ChannelPlan::Generated(GeneratedData {
                    format: Format::Jsonl,
                    ..GeneratedData::new(Profile::Currency, RowCount::Rows(7))
                }),
            )
            .channel("c", ChannelPlan::Empty)
    }

    #[test]
    fn materialize_writes_every_channel_byte_identically_for_the_same_seed() {
        let one = tempfile::tempdir().unwrap();
        let two = tempfile::tempdir().unwrap();
        let a = plan().materialize(42, |c| one.path().join(c)).unwrap();
        plan().materialize(42, |c| two.path().join(c)).unwrap();
        assert_eq!(a.len(), 2);
        for rel in ["a/data.csv", "b/data.jsonl"] {
            assert_eq!(
                fs::read(one.path().join(rel)).unwrap(),
                fs::read(two.path().join(rel)).unwrap(),
                "{rel}"
            );
        }
        assert!(one.path().join("c").is_dir());
        let b = fs::read_to_string(one.path().join("b/data.jsonl")).unwrap();
        assert_eq!(b.lines().count(), 7);
    }

    #[test]
    fn channels_get_different_data_from_one_seed() {
        assert_ne!(channel_seed(42, "a"), channel_seed(42, "b"));
    }

    #[test]
    fn schema_channels_generate_their_columns() {
        let dir = tempfile::tempdir().unwrap();
        let schema = Schema {
            columns: vec![ColumnSpec::new(
                "code",
                ColumnKind::Pattern {
                    pattern: "AB-##".into(),
                },
            )],
            label: None,
        };
        let plan = DataPlan::new().channel(
            "in",
            ChannelPlan::Generated(GeneratedData::from_source(
                TableSource::Schema(schema),
                RowCount::Size(Size::Small),
            )),
        );
        let files = plan.materialize(1, |c| dir.path().join(c)).unwrap();
        assert_eq!(files[0].1.rows, Some(100));
        let text = fs::read_to_string(dir.path().join("in/data.csv")).unwrap();
        assert_eq!(text.lines().next(), Some("code"));
        assert!(
            text.lines()
                .skip(1)
                .all(|l| l.len() == 5 && l.starts_with("AB-"))
        );
    }

    #[test]
    fn an_invalid_schema_fails_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let schema = Schema {
            columns: vec![ColumnSpec::new("age", ColumnKind::Int { min: 10, max: 5 })],
            label: None,
        };
        let plan = plan().channel(
            "z",
            ChannelPlan::Generated(GeneratedData::from_source(
                TableSource::Schema(schema.clone()),
                RowCount::Rows(5),
            )),
        );
        let err = plan.materialize(1, |c| dir.path().join(c)).unwrap_err();
        assert_eq!(err.to_string(), "input channel `z`: invalid schema");
        let source = std::error::Error::source(&err).unwrap().to_string();
        assert_eq!(source, "column `age`: min 10 is greater than max 5");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);

        // Called directly, the generator refuses it too.
        let err = GeneratedData::from_source(TableSource::Schema(schema), RowCount::Rows(5))
            .write_into(dir.path(), 1)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn text_and_json_channels_write_their_content() {
        let dir = tempfile::tempdir().unwrap();
        let plan = DataPlan::new()
            .channel(
                "sig",
                ChannelPlan::Text {
                    file_name: "signature".into(),
                    content: "a,b,c".into(),
                },
            )
            .channel(
                "hp",
                ChannelPlan::Json {
                    file_name: "config/hyperparameters.json".into(),
                    value: serde_json::json!({"eta": 0.1, "depth": [1, 2]}),
                },
            );
        let files = plan.materialize(1, |c| dir.path().join(c)).unwrap();
        assert_eq!(files.len(), 2);
        assert!(files.iter().all(|(_, f)| f.rows.is_none()));
        assert_eq!(
            fs::read_to_string(dir.path().join("sig/signature")).unwrap(),
            "a,b,c"
        );
        let json = fs::read_to_string(dir.path().join("hp/config/hyperparameters.json")).unwrap();
        assert_eq!(
            json,
            "{\n  \"depth\": [\n    1,\n    2\n  ],\n  \"eta\": 0.1\n}\n"
        );
        let (_, hp) = files.iter().find(|(c, _)| c == "hp").unwrap();
        assert_eq!(hp.bytes, json.len() as u64);
    }

    #[test]
    fn file_names_cannot_leave_the_channel() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["../escape", "/abs", "", "a/../../b"] {
            let plan = DataPlan::new().channel(
                "c",
                ChannelPlan::Text {
                    file_name: name.into(),
                    content: "x".into(),
                },
            );
            let err = plan.materialize(1, |c| dir.path().join(c)).unwrap_err();
            let cause = std::error::Error::source(&err).unwrap().to_string();
            assert!(
                cause.contains("not a relative path inside the channel"),
                "{cause}"
            );
        }
    }

    #[test]
    fn several_plans_share_one_channel_directory() {
        let root = tempfile::tempdir().unwrap();
        let several = ChannelPlan::Several(vec![
            ChannelPlan::Generated(rows(5)),
            ChannelPlan::Generated(GeneratedData {
                file_name: Some("more.csv".into()),
                ..rows(5)
            }),
            ChannelPlan::Text {
                file_name: "signature".into(),
                content: "id,value,category\n".into(),
            },
            ChannelPlan::Empty,
            ChannelPlan::Several(vec![ChannelPlan::Json {
                file_name: "hp.json".into(),
                value: serde_json::json!(1),
            }]),
        ]);
        let plan = DataPlan::new().channel("train", several.clone());
        let files = plan.materialize(9, |c| root.path().join(c)).unwrap();
        let files: Vec<MaterializedFile> = files.into_iter().map(|(_, f)| f).collect();
        let dir = root.path().join("train");
        assert_eq!(
            names(&files, &dir),
            ["data.csv", "more.csv", "signature", "hp.json"]
        );
        assert_eq!(row_counts(&files), [Some(5), Some(5), None, None]);
        // Same generator twice in one channel: different rows.
        assert_ne!(
            fs::read(dir.join("data.csv")).unwrap(),
            fs::read(dir.join("more.csv")).unwrap()
        );
        // The first plan of several writes what it would write alone.
        let alone = DataPlan::new().channel("train", ChannelPlan::Generated(rows(5)));
        alone
            .materialize(9, |c| root.path().join("alone").join(c))
            .unwrap();
        assert_eq!(
            fs::read(dir.join("data.csv")).unwrap(),
            fs::read(root.path().join("alone/train/data.csv")).unwrap()
        );
        // And the whole channel is reproducible.
        let again = root.path().join("again");
        DataPlan::new()
            .channel("train", several)
            .materialize(9, |c| again.join(c))
            .unwrap();
        for f in &files {
            let rel = f.path.strip_prefix(root.path()).unwrap();
            assert_eq!(
                fs::read(&f.path).unwrap(),
                fs::read(again.join(rel)).unwrap()
            );
        }
    }

    #[test]
    fn an_empty_channel_is_an_empty_directory() {
        let root = tempfile::tempdir().unwrap();
        let files = DataPlan::new()
            .channel("nothing", ChannelPlan::Empty)
            .materialize(1, |c| root.path().join(c))
            .unwrap();
        assert!(files.is_empty());
        assert_eq!(
            fs::read_dir(root.path().join("nothing")).unwrap().count(),
            0
        );
    }
}
