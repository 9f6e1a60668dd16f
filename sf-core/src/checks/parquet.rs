//! Parquet files as the checks read them (the `parquet` feature): columns from the schema in the
//! footer, rows through the crate's record reader. Index columns pandas adds
//! (`__index_level_0__`) are not columns of the table. Without the feature, every read is a
//! [`TableError::NoParquet`], so a check that needs the file's contents fails and says why.

use std::path::Path;

use super::rows::Cell;
use super::shape::{TableError, TableShape};

/// The columns and data rows of the Parquet file at `path`, read to its end.
pub(crate) fn shape(path: &Path, limit: u64) -> Result<TableShape, TableError> {
    let mut rows = 0usize;
    let columns = for_each_row(path, limit, |_, _, _| rows += 1)?;
    Ok(TableShape { columns, rows })
}

#[cfg(not(feature = "parquet"))]
pub(crate) fn for_each_row(
    _: &Path,
    _: u64,
    _: impl FnMut(&[String], usize, &[Cell]),
) -> Result<Vec<String>, TableError> {
    Err(TableError::NoParquet)
}

/// Calls `on_row(columns, row, cells)` for every row (from 1) and returns the columns. A file
/// larger than `limit`, or whose row groups say they hold more than `limit` bytes once
/// decompressed, is [`TableError::TooLarge`] before a page is read.
#[cfg(feature = "parquet")]
pub(crate) fn for_each_row(
    path: &Path,
    limit: u64,
    mut on_row: impl FnMut(&[String], usize, &[Cell]),
) -> Result<Vec<String>, TableError> {
    use parquet::file::reader::{FileReader, SerializedFileReader};

    let file = std::fs::File::open(path)?;
    if file.metadata()?.len() > limit {
        return Err(TableError::TooLarge { limit });
    }
    let reader = SerializedFileReader::new(file).map_err(parquet_error)?;
    let metadata = reader.metadata();
    let unpacked: i64 = metadata
        .row_groups()
        .iter()
        .map(|g| g.total_byte_size().max(0))
        .sum();
    if u64::try_from(unpacked).unwrap_or(u64::MAX) > limit {
        return Err(TableError::TooLarge { limit });
    }
    let declared = metadata.file_metadata().num_rows();
    if u64::try_from(declared).unwrap_or(u64::MAX) > MAX_ROWS {
        // Null runs take a few bytes: a small file can say it holds billions of rows.
        return Err(TableError::Parquet(format!(
            "the footer says {declared} rows, more than the {MAX_ROWS} sf reads of a Parquet file"
        )));
    }
    let fields = metadata
        .file_metadata()
        .schema_descr()
        .root_schema()
        .get_fields();
    let names: Vec<String> = fields.iter().map(|f| f.name().to_owned()).collect();
    let kept: Vec<bool> = names.iter().map(|n| !is_index_column(n)).collect();
    let columns: Vec<String> = names
        .iter()
        .zip(&kept)
        .filter(|(_, k)| **k)
        .map(|(n, _)| n.clone())
        .collect();
    let mut cells = Vec::with_capacity(columns.len());
    let mut row = 0usize;
    for record in reader.get_row_iter(None).map_err(parquet_error)? {
        let record = record.map_err(parquet_error)?;
        row += 1;
        cells.clear();
        cells.extend(
            record
                .get_column_iter()
                .zip(kept.iter().chain(std::iter::repeat(&true)))
                .filter(|(_, k)| **k)
                .map(|((_, field), _)| cell(field)),
        );
        cells.resize(columns.len(), Cell::Null);
        on_row(&columns, row, &cells);
    }
    if i64::try_from(row).unwrap_or(i64::MAX) != declared {
        return Err(TableError::Parquet(format!(
            "the footer says {declared} rows, the pages hold {row}"
        )));
    }
    Ok(columns)
}

/// The most rows sf reads of one Parquet file.
#[cfg_attr(not(feature = "parquet"), allow(dead_code))]
const MAX_ROWS: u64 = 100_000_000;

/// The columns pandas writes for a DataFrame's index.
#[cfg_attr(not(feature = "parquet"), allow(dead_code))]
fn is_index_column(name: &str) -> bool {
    name.strip_prefix("__index_level_")
        .and_then(|rest| rest.strip_suffix("__"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(feature = "parquet")]
fn parquet_error(e: parquet::errors::ParquetError) -> TableError {
    match e {
        parquet::errors::ParquetError::External(inner) => {
            match inner.downcast::<std::io::Error>() {
                Ok(io) => TableError::Io(*io),
                Err(other) => TableError::Parquet(other.to_string()),
            }
        }
        other => TableError::Parquet(other.to_string()),
    }
}

/// A Parquet value as the checks compare it: numbers (integers of every width, floats, decimals),
/// booleans, strings; dates, times and nested values as their text.
#[cfg(feature = "parquet")]
fn cell(field: &parquet::record::Field) -> Cell {
    use parquet::record::Field;
    match field {
        Field::Null => Cell::Null,
        Field::Bool(b) => Cell::Bool(*b),
        Field::Byte(x) => Cell::Number(f64::from(*x)),
        Field::Short(x) => Cell::Number(f64::from(*x)),
        Field::Int(x) => Cell::Number(f64::from(*x)),
        Field::Long(x) => Cell::Number(*x as f64),
        Field::UByte(x) => Cell::Number(f64::from(*x)),
        Field::UShort(x) => Cell::Number(f64::from(*x)),
        Field::UInt(x) => Cell::Number(f64::from(*x)),
        Field::ULong(x) => Cell::Number(*x as f64),
        Field::Float16(x) => Cell::Number(f64::from(*x)),
        Field::Float(x) => Cell::Number(f64::from(*x)),
        Field::Double(x) => Cell::Number(*x),
        Field::Str(s) => Cell::Text(s.clone()),
        Field::Decimal(_) => {
            let text = field.to_string();
            text.parse().map_or(Cell::Text(text), Cell::Number)
        }
        other => Cell::Text(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pandas_index_columns_are_not_columns() {
        assert!(is_index_column("__index_level_0__"));
        assert!(is_index_column("__index_level_12__"));
        assert!(!is_index_column("__index_level___"));
        assert!(!is_index_column("index"));
    }

    #[cfg(not(feature = "parquet"))]
    #[test]
    fn without_the_feature_a_parquet_file_cannot_be_read_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part-0.parquet");
        std::fs::write(&path, b"PAR1").unwrap();
        let err = shape(&path, 1 << 20).unwrap_err().to_string();
        assert!(err.contains("`parquet` feature"), "{err}");
    }

    #[cfg(feature = "parquet")]
    mod with_the_feature {
        use super::super::*;
        use crate::data::{Column, Format, Table, write_table};

        fn written(table: &Table) -> (tempfile::TempDir, std::path::PathBuf) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("t.parquet");
            let mut bytes = Vec::new();
            write_table(table, Format::Parquet, &mut bytes).unwrap();
            std::fs::write(&path, bytes).unwrap();
            (dir, path)
        }

        #[test]
        fn what_sf_writes_it_reads_back_value_for_value() {
            let table = Table::new()
                .with("id", Column::Int(vec![Some(1), Some(2), None]))
                .with("p", Column::Float(vec![Some(0.5), None, Some(f64::NAN)]))
                .with("ok", Column::Bool(vec![Some(true), Some(false), None]))
                .with(
                    "name",
                    Column::Text(vec![Some("a,b".into()), None, Some(String::new())]),
                );
            let (_dir, path) = written(&table);
            let mut rows = Vec::new();
            let columns =
                for_each_row(&path, 1 << 30, |_, _, cells| rows.push(cells.to_vec())).unwrap();
            assert_eq!(columns, ["id", "p", "ok", "name"]);
            assert_eq!(
                rows[0],
                [
                    Cell::Number(1.0),
                    Cell::Number(0.5),
                    Cell::Bool(true),
                    Cell::Text("a,b".into())
                ]
            );
            assert!(rows[1][1].is_null() && rows[1][3].is_null());
            assert!(rows[2][0].is_null() && rows[2][1].is_null() && rows[2][2].is_null());
            assert_eq!(rows[2][3], Cell::Text(String::new()));
            assert_eq!(
                shape(&path, 1 << 30).unwrap(),
                TableShape { columns, rows: 3 }
            );
        }

        #[test]
        fn a_file_that_is_not_parquet_or_too_large_is_an_error() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("x.parquet");
            std::fs::write(&path, b"id,name\n1,a\n").unwrap();
            let err = shape(&path, 1 << 30).unwrap_err();
            assert!(matches!(err, TableError::Parquet(_)), "{err}");
            let table = Table::new().with("id", Column::Int((0..1000).map(Some).collect()));
            let (_dir, path) = written(&table);
            assert!(matches!(
                shape(&path, 100).unwrap_err(),
                TableError::TooLarge { limit: 100 }
            ));
        }
    }
}
