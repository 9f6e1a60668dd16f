//! The data plan: how each input channel of a run is filled.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::format::{Format, write_table};
use super::profile::{Profile, RowCount};

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

/// Generated tabular data for one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratedData {
    /// Which generator.
    pub profile: Profile,
    /// How many rows.
    pub rows: RowCount,
    /// File format.
    pub format: Format,
    /// File name inside the channel directory; `data.<ext>` when not given.
    pub file_name: Option<String>,
}

impl GeneratedData {
    /// `profile` data of `rows` rows in CSV.
    pub fn new(profile: Profile, rows: RowCount) -> GeneratedData {
        GeneratedData {
            profile,
            rows,
            format: Format::Csv,
            file_name: None,
        }
    }

    /// The file name this data is written under.
    pub fn file_name(&self) -> String {
        self.file_name
            .clone()
            .unwrap_or_else(|| format!("data.{}", self.format.extension()))
    }

    /// Generates the table with `seed` and writes it into `dir` (created if missing).
    pub fn write_into(&self, dir: &Path, seed: u64) -> io::Result<MaterializedFile> {
        fs::create_dir_all(dir)?;
        let rows = self.rows.resolve(self.profile);
        let table = self.profile.generate(rows, seed);
        let path = dir.join(self.file_name());
        let file = fs::File::create(&path)?;
        write_table(&table, self.format, file)?;
        let bytes = fs::metadata(&path)?.len();
        Ok(MaterializedFile { path, rows, bytes })
    }
}

/// How one input channel is filled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChannelPlan {
    /// Synthetic rows from a profile.
    Generated(GeneratedData),
    /// An empty directory.
    Empty,
}

/// A file sf wrote into an input channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterializedFile {
    /// Where.
    pub path: PathBuf,
    /// Data rows (header excluded).
    pub rows: usize,
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
                    let file = data
                        .write_into(&dir, channel_seed(seed, channel))
                        .map_err(err)?;
                    written.push((channel.clone(), file));
                }
                ChannelPlan::Empty => {}
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
