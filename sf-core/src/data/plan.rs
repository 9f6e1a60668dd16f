//! The data plan: how each input channel of a run is filled.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::format::{Format, write_table};
use super::profile::{Profile, RowCount};
use super::schema::Schema;
use super::table::Table;

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
}

/// Where generated rows come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableSource {
    /// A named profile.
    Profile(Profile),
    /// A column schema.
    Schema(Schema),
}

impl TableSource {
    /// Rows for a row count: named sizes resolve per profile (schemas: 100 / 1,000 / 10,000).
    pub fn rows(&self, rows: RowCount) -> usize {
        match self {
            TableSource::Profile(p) => rows.resolve(*p),
            TableSource::Schema(_) => match rows {
                RowCount::Size(size) => Schema::rows(size),
                RowCount::Rows(n) => n,
            },
        }
    }

    /// Generates `rows` rows with `seed`.
    pub fn generate(&self, rows: usize, seed: u64) -> Table {
        match self {
            TableSource::Profile(p) => p.generate(rows, seed),
            TableSource::Schema(s) => s.generate(rows, seed),
        }
    }
}

/// How generated rows are laid out as files in a channel directory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Layout {
    /// One file, named by [`GeneratedData::file_name`].
    #[default]
    Single,
    /// `count` files `part-00000.<ext>`, `part-00001.<ext>`, …, rows spread evenly (the first
    /// shards get one more row when the count does not divide evenly).
    Shards {
        /// Number of files (at least 1).
        count: usize,
    },
    /// One folder per split (`train/`, `test/`, `val/`), each holding one file named by
    /// `file_pattern` with `{split}` and `{ext}` replaced. Rows are divided by the ratios (which
    /// are normalised to sum to 1); the last split takes the rounding remainder.
    Splits {
        /// The splits in order.
        splits: Vec<Split>,
        /// File name pattern, for example `{split}_processed_data.{ext}`.
        file_pattern: String,
    },
}

impl Layout {
    /// `train/`, `test/`, `val/` at 70 / 15 / 15 with `{split}_processed_data.{ext}`.
    pub fn train_test_val() -> Layout {
        Layout::Splits {
            splits: vec![
                Split::new("train", 0.7),
                Split::new("test", 0.15),
                Split::new("val", 0.15),
            ],
            file_pattern: "{split}_processed_data.{ext}".to_owned(),
        }
    }
}

/// One split of a [`Layout::Splits`] layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Split {
    /// Folder name.
    pub name: String,
    /// Share of the rows (relative to the other splits).
    pub ratio: f64,
}

impl Split {
    /// A split called `name` with `ratio` of the rows.
    pub fn new(name: impl Into<String>, ratio: f64) -> Split {
        Split {
            name: name.into(),
            ratio,
        }
    }
}

/// Generated tabular data for one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratedData {
    /// Which generator.
    pub source: TableSource,
    /// How many rows (in total, across shards or splits).
    pub rows: RowCount,
    /// File format.
    pub format: Format,
    /// File name for the single-file layout; `data.<ext>` when not given.
    pub file_name: Option<String>,
    /// How the rows are laid out as files.
    pub layout: Layout,
    /// Compress every file with gzip (adding `.gz` to its name).
    pub gzip: bool,
}

impl GeneratedData {
    /// `profile` data of `rows` rows in one CSV file.
    pub fn new(profile: Profile, rows: RowCount) -> GeneratedData {
        GeneratedData::from_source(TableSource::Profile(profile), rows)
    }

    /// Data from `source` of `rows` rows in one CSV file.
    pub fn from_source(source: TableSource, rows: RowCount) -> GeneratedData {
        GeneratedData {
            source,
            rows,
            format: Format::Csv,
            file_name: None,
            layout: Layout::Single,
            gzip: false,
        }
    }

    /// The profile, when the rows come from one.
    pub fn profile(&self) -> Option<Profile> {
        match self.source {
            TableSource::Profile(p) => Some(p),
            TableSource::Schema(_) => None,
        }
    }

    /// The file name of the single-file layout.
    pub fn file_name(&self) -> String {
        self.file_name
            .clone()
            .unwrap_or_else(|| format!("data.{}", self.format.extension()))
    }

    /// Generates the table with `seed` and writes it into `dir` (created if missing) in the
    /// layout asked for.
    pub fn write_into(&self, dir: &Path, seed: u64) -> io::Result<Vec<MaterializedFile>> {
        fs::create_dir_all(dir)?;
        let rows = self.source.rows(self.rows);
        let table = self.source.generate(rows, seed);
        match &self.layout {
            Layout::Single => {
                let path = dir.join(self.file_name());
                let file = fs::File::create(&path)?;
                write_table(&table, self.format, file)?;
                let bytes = fs::metadata(&path)?.len();
                Ok(vec![MaterializedFile {
                    path,
                    rows: Some(rows),
                    bytes,
                }])
            }
            _ => Err(io::Error::other("layout not supported yet")),
        }
    }
}

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
    Fixture {
        /// The directory or file to copy (absolute).
        source: PathBuf,
    },
    /// A gzip-compressed tar archive built from entries, for example `model.tar.gz`.
    TarGz {
        /// File name in the channel.
        file_name: String,
        /// What goes inside.
        entries: Vec<TarEntry>,
    },
    /// Several of the above in one channel directory.
    Several(Vec<ChannelPlan>),
}

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

/// For each input channel, how it is filled. Same seed, same bytes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataPlan {
    /// Channel name → plan.
    pub channels: BTreeMap<String, ChannelPlan>,
}

impl DataPlan {
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
    pub fn materialize(
        &self,
        seed: u64,
        dir_of: impl Fn(&str) -> PathBuf,
    ) -> Result<Vec<(String, MaterializedFile)>, DataError> {
        let mut written = Vec::new();
        for (channel, plan) in &self.channels {
            let dir = dir_of(channel);
            let err = |source| DataError::Write {
                channel: channel.clone(),
                path: dir.clone(),
                source,
            };
            fs::create_dir_all(&dir).map_err(err)?;
            match plan {
                ChannelPlan::Generated(data) => {
                    let files = data
                        .write_into(&dir, channel_seed(seed, channel))
                        .map_err(err)?;
                    written.extend(files.into_iter().map(|f| (channel.clone(), f)));
                }
                ChannelPlan::Empty => {}
                _ => return Err(err(io::Error::other("channel kind not supported yet"))),
            }
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
    use super::*;
    use crate::data::Size;

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
}
