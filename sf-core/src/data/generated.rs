//! Generated tabular data for one channel: where the rows come from, how many, in which format and
//! layout, compressed or not.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};

use super::files::{MaterializedFile, invalid, materialized};
use super::format::{Format, write_table};
use super::layout::Layout;
use super::profile::{Profile, RowCount};
use super::schema::Schema;
use super::table::Table;

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
            TableSource::Profile(p) => Schema::preset(*p).generate(rows, seed),
            TableSource::Schema(s) => s.generate(rows, seed),
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
    /// proptest's face of this channel: tables like those it generates, with row counts and
    /// edge values as `cases` says.
    pub fn strategy(
        &self,
        cases: &crate::data::strategy::Cases,
    ) -> proptest::strategy::BoxedStrategy<super::Table> {
        crate::data::strategy::table_cases(&self.source, cases)
    }

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
    /// layout asked for. One table is generated and cut into shards or splits, so no row is
    /// written twice. An invalid schema or layout (no shards, no splits, a split name that is not
    /// a plain folder name, …) is an [`io::ErrorKind::InvalidInput`] error, found before anything
    /// is written.
    pub fn write_into(&self, dir: &Path, seed: u64) -> io::Result<Vec<MaterializedFile>> {
        self.check()?;
        let table = self.source.generate(self.source.rows(self.rows), seed);
        self.write_table(&table, dir)
    }

    /// Writes a given `table` into `dir` (created if missing) the way
    /// [`GeneratedData::write_into`] writes a generated one: same layout, format, compression and
    /// file names, whatever the table's row count says (the configured row count is not looked
    /// at). Property runs use it to lay out the datasets their strategies draw. An invalid layout
    /// is an [`io::ErrorKind::InvalidInput`] error, found before anything is written.
    pub fn write_table(&self, table: &Table, dir: &Path) -> io::Result<Vec<MaterializedFile>> {
        self.check_layout()?;
        fs::create_dir_all(dir)?;
        self.layout
            .write(table, dir, &self.file_name(), self.format, |piece, path| {
                self.write_file(piece, path)
            })
    }

    /// Everything that would make [`GeneratedData::write_into`] fail before it writes a byte.
    pub(crate) fn check(&self) -> io::Result<()> {
        if let TableSource::Schema(schema) = &self.source {
            schema.validate().map_err(invalid)?;
            schema
                .check_rows(self.source.rows(self.rows))
                .map_err(invalid)?;
        }
        self.check_layout()
    }

    /// Everything about the files (not the rows) that would make writing fail.
    fn check_layout(&self) -> io::Result<()> {
        self.layout.check(&self.file_name(), self.format)
    }

    /// Writes `table` to `path` (plus `.gz` when compressing).
    fn write_file(&self, table: &Table, path: PathBuf) -> io::Result<MaterializedFile> {
        let path = if self.gzip { with_gz(path) } else { path };
        let file = fs::File::create(&path)?;
        if self.gzip {
            // `GzEncoder::new` writes no file name and mtime 0, so the bytes depend on the data
            // only.
            let mut gz = GzEncoder::new(io::BufWriter::new(file), Compression::default());
            write_table(table, self.format, &mut gz)?;
            gz.finish()?.flush()?;
        } else {
            write_table(table, self.format, file)?;
        }
        materialized(path, Some(table.rows()))
    }
}

fn with_gz(path: PathBuf) -> PathBuf {
    let mut name = path.into_os_string();
    name.push(".gz");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::GzDecoder;

    use super::*;
    use crate::data::testing::{names, row_counts, rows};

    #[test]
    fn a_given_table_is_written_like_a_generated_one() {
        let dir = tempfile::tempdir().unwrap();
        let data = GeneratedData {
            layout: Layout::train_test_val(),
            gzip: true,
            ..rows(20)
        };
        let generated = data.write_into(&dir.path().join("a"), 5).unwrap();
        let table = data.source.generate(20, 5);
        let given = data.write_table(&table, &dir.path().join("b")).unwrap();
        assert_eq!(
            names(&generated, &dir.path().join("a")),
            names(&given, &dir.path().join("b"))
        );
        assert_eq!(row_counts(&generated), row_counts(&given));
        for (a, b) in generated.iter().zip(&given) {
            assert_eq!(fs::read(&a.path).unwrap(), fs::read(&b.path).unwrap());
        }

        // The table's own row count wins over the configured one; no rows is a header only.
        let empty = GeneratedData {
            layout: Layout::shards(2),
            ..rows(20)
        };
        let files = empty
            .write_table(&table.slice(0..0), &dir.path().join("c"))
            .unwrap();
        assert_eq!(row_counts(&files), [Some(0), Some(0)]);
        assert_eq!(
            fs::read_to_string(&files[0].path).unwrap(),
            "id,value,category\n"
        );

        // An invalid layout is refused before anything is written.
        let err = GeneratedData {
            layout: Layout::shards(0),
            ..rows(1)
        }
        .write_table(&table, &dir.path().join("d"))
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(!dir.path().join("d").exists());
    }

    #[test]
    fn a_unique_column_with_fewer_values_than_rows_is_refused_before_writing() {
        let dir = tempfile::tempdir().unwrap();
        let schema = |values: usize| {
            TableSource::Schema(crate::data::Schema {
                columns: vec![crate::data::ColumnSpec {
                    unique: true,
                    ..crate::data::ColumnSpec::new(
                        "code",
                        crate::data::ColumnKind::Category {
                            values: (0..values).map(|i| format!("c{i}")).collect(),
                            weights: None,
                        },
                    )
                }],
                label: None,
            })
        };
        let data = GeneratedData::from_source(schema(3), RowCount::Rows(4));
        let err = data.write_into(&dir.path().join("a"), 1).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(
            err.to_string(),
            "column `code`: unique needs 4 distinct values, but the column has only 3"
        );
        assert!(!dir.path().join("a").exists());
        let data = GeneratedData::from_source(schema(4), RowCount::Rows(4));
        let files = data.write_into(&dir.path().join("b"), 1).unwrap();
        let text = fs::read_to_string(&files[0].path).unwrap();
        let mut codes: Vec<&str> = text.lines().skip(1).collect();
        codes.sort();
        assert_eq!(codes, ["c0", "c1", "c2", "c3"]);
    }

    fn gunzip(path: &Path) -> Vec<u8> {
        let mut out = Vec::new();
        GzDecoder::new(fs::File::open(path).unwrap())
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn gzip_round_trips_to_the_uncompressed_bytes() {
        let dir = tempfile::tempdir().unwrap();
        for layout in [Layout::Single, Layout::shards(2), Layout::train_test_val()] {
            let plain = GeneratedData {
                layout: layout.clone(),
                ..rows(300)
            };
            let zipped = GeneratedData {
                gzip: true,
                ..plain.clone()
            };
            let a = plain.write_into(&dir.path().join("plain"), 5).unwrap();
            let b = zipped.write_into(&dir.path().join("gz"), 5).unwrap();
            assert_eq!(a.len(), b.len());
            for (a, b) in a.iter().zip(&b) {
                let name = b.path.file_name().unwrap().to_string_lossy();
                assert_eq!(
                    format!("{}.gz", a.path.file_name().unwrap().to_string_lossy()),
                    name
                );
                assert_eq!(a.rows, b.rows);
                assert_eq!(gunzip(&b.path), fs::read(&a.path).unwrap(), "{name}");
                assert!(b.bytes < a.bytes, "{name} did not shrink");
            }
        }
        let named = GeneratedData {
            gzip: true,
            file_name: Some("rates.csv".into()),
            ..rows(3)
        }
        .write_into(&dir.path().join("named"), 5)
        .unwrap();
        assert!(named[0].path.ends_with("rates.csv.gz"));
    }
}
