//! How generated rows are laid out as files in a channel directory: one file, `part-NNNNN`
//! shards, or one folder per split.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::{MaterializedFile, invalid, is_plain_name, plain_relative};
use super::format::Format;
use super::table::Table;

/// How generated rows are laid out as files in a channel directory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Layout {
    /// One file, named by [`GeneratedData::file_name`](crate::data::GeneratedData::file_name).
    #[default]
    Single,
    /// `count` files `part-00000.<ext>`, `part-00001.<ext>`, … (or as `file_pattern` names
    /// them), rows spread evenly (the first shards get one more row when the count does not
    /// divide evenly).
    Shards {
        /// Number of files (at least 1).
        count: usize,
        /// File name pattern: `{n}` is the shard's number, five digits from `00000`, and `{ext}`
        /// the format's extension; [`SHARD_PATTERN`] (`part-{n}.{ext}`) by default. Readers that
        /// glob `part-*.json` want `part-{n}.json` for JSON Lines.
        #[serde(default = "shard_pattern")]
        file_pattern: String,
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

/// The default name of a shard: `part-00000.csv`, `part-00001.csv`, …
pub const SHARD_PATTERN: &str = "part-{n}.{ext}";

fn shard_pattern() -> String {
    SHARD_PATTERN.to_owned()
}

impl Layout {
    /// `count` shards named `part-00000.<ext>`, `part-00001.<ext>`, …
    pub fn shards(count: usize) -> Layout {
        Layout::Shards {
            count,
            file_pattern: shard_pattern(),
        }
    }

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

    /// Cuts `table` into the files of this layout under `dir` (`file_name` names the file of the
    /// single-file layout) and has `write` write each piece to its path. One table is cut, so no
    /// row is written twice.
    pub(super) fn write(
        &self,
        table: &Table,
        dir: &Path,
        file_name: &str,
        format: Format,
        mut write: impl FnMut(&Table, PathBuf) -> io::Result<MaterializedFile>,
    ) -> io::Result<Vec<MaterializedFile>> {
        let rows = table.rows();
        match self {
            Layout::Single => Ok(vec![write(table, dir.join(file_name))?]),
            Layout::Shards {
                count,
                file_pattern,
            } => shard_ranges(rows, *count)
                .enumerate()
                .map(|(i, range)| {
                    let name = shard_file_name(file_pattern, i, format);
                    write(&table.slice(range), dir.join(name))
                })
                .collect(),
            Layout::Splits {
                splits,
                file_pattern,
            } => {
                let ratios: Vec<f64> = splits.iter().map(|s| s.ratio).collect();
                splits
                    .iter()
                    .zip(split_ranges(rows, &ratios))
                    .map(|(split, range)| {
                        let folder = dir.join(&split.name);
                        fs::create_dir_all(&folder)?;
                        let name = split_file_name(file_pattern, &split.name, format);
                        write(&table.slice(range), folder.join(name))
                    })
                    .collect()
            }
        }
    }

    /// Everything about the files (not the rows) that would make writing fail.
    pub(super) fn check(&self, file_name: &str, format: Format) -> io::Result<()> {
        match self {
            Layout::Single => {
                plain_relative(file_name)?;
            }
            Layout::Shards {
                count,
                file_pattern,
            } => {
                if *count == 0 {
                    return Err(invalid("a sharded layout needs at least one shard, not 0"));
                }
                if !file_pattern.contains("{n}") {
                    return Err(invalid(format!(
                        "shard file pattern `{file_pattern}` has no `{{n}}`: every shard would \
                         have the same name"
                    )));
                }
                let name = shard_file_name(file_pattern, 0, format);
                if !is_plain_name(&name) {
                    return Err(invalid(format!(
                        "shard file pattern `{file_pattern}` gives `{name}`, not a plain file name"
                    )));
                }
            }
            Layout::Splits {
                splits,
                file_pattern,
            } => {
                if splits.is_empty() {
                    return Err(invalid("a split layout needs at least one split"));
                }
                let mut names = BTreeSet::new();
                for split in splits {
                    if !is_plain_name(&split.name) {
                        return Err(invalid(format!(
                            "split name `{}` is not a plain folder name",
                            split.name
                        )));
                    }
                    if !names.insert(split.name.as_str()) {
                        return Err(invalid(format!("split `{}` appears twice", split.name)));
                    }
                    if !(split.ratio.is_finite() && split.ratio >= 0.0) {
                        return Err(invalid(format!(
                            "split `{}` has ratio {}, not a finite, non-negative number",
                            split.name, split.ratio
                        )));
                    }
                    let name = split_file_name(file_pattern, &split.name, format);
                    if !is_plain_name(&name) {
                        return Err(invalid(format!(
                            "file pattern `{file_pattern}` gives `{name}` for split `{}`, not a \
                             plain file name",
                            split.name
                        )));
                    }
                }
                let total: f64 = splits.iter().map(|s| s.ratio).sum();
                if !(total > 0.0 && total.is_finite()) {
                    return Err(invalid(
                        "split ratios must add up to a positive, finite total",
                    ));
                }
            }
        }
        Ok(())
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

/// `count` contiguous ranges covering `0..rows`; the first `rows % count` get one extra row.
fn shard_ranges(rows: usize, count: usize) -> impl Iterator<Item = Range<usize>> {
    let base = rows.checked_div(count).unwrap_or(0);
    let extra = rows.checked_rem(count).unwrap_or(0);
    let mut start = 0;
    (0..count).map(move |i| {
        let len = base + usize::from(i < extra);
        let range = start..start + len;
        start += len;
        range
    })
}

/// Contiguous ranges covering `0..rows` in proportion to `ratios` (normalised to sum to 1):
/// each split but the last gets its share rounded, the last whatever remains.
fn split_ranges(rows: usize, ratios: &[f64]) -> Vec<Range<usize>> {
    let total: f64 = ratios.iter().sum();
    let mut start = 0;
    ratios
        .iter()
        .enumerate()
        .map(|(i, ratio)| {
            let len = if i + 1 == ratios.len() {
                rows - start
            } else {
                // The float-to-int cast saturates, and the `min` keeps later splits in bounds.
                ((rows as f64 * ratio / total).round() as usize).min(rows - start)
            };
            let range = start..start + len;
            start += len;
            range
        })
        .collect()
}

fn shard_file_name(pattern: &str, index: usize, format: Format) -> String {
    pattern
        .replace("{n}", &format!("{index:05}"))
        .replace("{ext}", format.extension())
}

fn split_file_name(pattern: &str, split: &str, format: Format) -> String {
    pattern
        .replace("{split}", split)
        .replace("{ext}", format.extension())
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::path::Path;

    use super::*;
    use crate::data::GeneratedData;
    use crate::data::testing::{names, row_counts, rows};

    fn ids_in(path: &Path) -> Vec<i64> {
        let mut reader = csv::Reader::from_path(path).unwrap();
        reader
            .records()
            .map(|r| r.unwrap()[0].parse().unwrap())
            .collect()
    }

    #[test]
    fn shards_spread_rows_evenly_with_the_extra_rows_first() {
        let dir = tempfile::tempdir().unwrap();
        let data = GeneratedData {
            layout: Layout::shards(3),
            ..rows(10)
        };
        let files = data.write_into(dir.path(), 1).unwrap();
        assert_eq!(
            names(&files, dir.path()),
            ["part-00000.csv", "part-00001.csv", "part-00002.csv"]
        );
        assert_eq!(row_counts(&files), [Some(4), Some(3), Some(3)]);
        let ids: Vec<i64> = files.iter().flat_map(|f| ids_in(&f.path)).collect();
        assert_eq!(ids, (1..=10).collect::<Vec<_>>());
        for f in &files {
            assert_eq!(f.bytes, fs::metadata(&f.path).unwrap().len());
        }

        let files = GeneratedData {
            layout: Layout::shards(4),
            format: Format::Jsonl,
            ..rows(2)
        }
        .write_into(&dir.path().join("few"), 1)
        .unwrap();
        assert_eq!(row_counts(&files), [Some(1), Some(1), Some(0), Some(0)]);
        assert!(files[3].path.ends_with("part-00003.jsonl"));
    }

    #[test]
    fn shards_take_their_names_from_a_pattern() {
        let dir = tempfile::tempdir().unwrap();
        let files = GeneratedData {
            layout: Layout::Shards {
                count: 2,
                file_pattern: "part-{n}.json".into(),
            },
            format: Format::Jsonl,
            ..rows(3)
        }
        .write_into(dir.path(), 1)
        .unwrap();
        assert_eq!(
            names(&files, dir.path()),
            ["part-00000.json", "part-00001.json"]
        );
        assert_eq!(row_counts(&files), [Some(2), Some(1)]);
        for (pattern, complaint) in [
            ("part.json", "has no `{n}`"),
            ("../part-{n}.{ext}", "not a plain file name"),
        ] {
            let err = GeneratedData {
                layout: Layout::Shards {
                    count: 2,
                    file_pattern: pattern.into(),
                },
                ..rows(3)
            }
            .write_into(&dir.path().join("bad"), 1)
            .unwrap_err();
            assert!(err.to_string().contains(complaint), "{pattern}: {err}");
        }
    }

    #[test]
    fn zero_shards_is_an_error_that_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let err = GeneratedData {
            layout: Layout::shards(0),
            ..rows(10)
        }
        .write_into(dir.path(), 1)
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("at least one shard"), "{err}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn default_splits_are_train_test_val_folders_of_one_table() {
        let dir = tempfile::tempdir().unwrap();
        let files = GeneratedData {
            layout: Layout::train_test_val(),
            ..rows(100)
        }
        .write_into(dir.path(), 3)
        .unwrap();
        assert_eq!(
            names(&files, dir.path()),
            [
                "train/train_processed_data.csv",
                "test/test_processed_data.csv",
                "val/val_processed_data.csv"
            ]
        );
        assert_eq!(row_counts(&files), [Some(70), Some(15), Some(15)]);
        // One table cut in three: ids run on across splits, never repeating.
        let ids: Vec<i64> = files.iter().flat_map(|f| ids_in(&f.path)).collect();
        assert_eq!(ids, (1..=100).collect::<Vec<_>>());
    }

    #[test]
    fn custom_splits_normalise_ratios_and_the_last_takes_the_remainder() {
        let dir = tempfile::tempdir().unwrap();
        let files = GeneratedData {
            layout: Layout::Splits {
                splits: vec![Split::new("fit", 2.0), Split::new("holdout", 1.0)],
                file_pattern: "{split}-part.{ext}".into(),
            },
            format: Format::Tsv,
            ..rows(10)
        }
        .write_into(dir.path(), 3)
        .unwrap();
        assert_eq!(
            names(&files, dir.path()),
            ["fit/fit-part.tsv", "holdout/holdout-part.tsv"]
        );
        assert_eq!(row_counts(&files), [Some(7), Some(3)]);
        assert_eq!(split_ranges(10, &[1.0, 1.0, 1.0]), [0..3, 3..6, 6..10]);
        assert_eq!(split_ranges(3, &[0.5, 0.5, 0.0]), [0..2, 2..3, 3..3]);
        assert_eq!(split_ranges(0, &[0.7, 0.3]), [0..0, 0..0]);
    }

    #[test]
    fn bad_split_layouts_are_refused_before_writing() {
        let dir = tempfile::tempdir().unwrap();
        let layouts = [
            (vec![], "{split}.{ext}", "at least one split"),
            (
                vec![Split::new("../up", 1.0)],
                "{split}.{ext}",
                "plain folder name",
            ),
            (
                vec![Split::new("a", 1.0), Split::new("a", 1.0)],
                "{split}.{ext}",
                "appears twice",
            ),
            (vec![Split::new("a", -1.0)], "{split}.{ext}", "ratio -1"),
            (
                vec![Split::new("a", 0.0)],
                "{split}.{ext}",
                "positive, finite total",
            ),
            (
                vec![Split::new("a", 1.0)],
                "x/{split}.{ext}",
                "plain file name",
            ),
        ];
        for (splits, pattern, message) in layouts {
            let err = GeneratedData {
                layout: Layout::Splits {
                    splits,
                    file_pattern: pattern.into(),
                },
                ..rows(10)
            }
            .write_into(dir.path(), 1)
            .unwrap_err();
            assert!(err.to_string().contains(message), "{err}");
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
