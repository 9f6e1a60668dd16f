//! The shape of a tabular file (columns and data rows), as output and edge checks read it.

use std::fs;
use std::io::{self, BufRead};
use std::path::Path;

/// Why a file's shape could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The file is not CSV, TSV or JSON Lines (by its name); it has no shape to check.
    #[error("not a tabular file")]
    NotTabular,
    /// Opening or reading failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// A CSV or TSV record could not be parsed.
    #[error(transparent)]
    Csv(#[from] csv::Error),
    /// A JSON Lines line is not JSON.
    #[error("line {line}: {source}")]
    Json {
        /// 1-based.
        line: usize,
        /// The parser's complaint.
        #[source]
        source: serde_json::Error,
    },
}

/// Column names (of the header, or of the first JSON object) and the number of data rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableShape {
    pub(crate) columns: Vec<String>,
    pub(crate) rows: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tabular {
    Delimited(u8),
    JsonLines,
}

fn tabular_format(path: &Path) -> Option<Tabular> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if name.ends_with(".csv") {
        Some(Tabular::Delimited(b','))
    } else if name.ends_with(".tsv") {
        Some(Tabular::Delimited(b'\t'))
    } else if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
        Some(Tabular::JsonLines)
    } else {
        None
    }
}

/// Whether checks read `path` as a table (CSV, TSV, JSON Lines, optionally `.gz`).
pub(crate) fn is_tabular(path: &Path) -> bool {
    tabular_format(path).is_some()
}

/// Column names and data-row count of a CSV, TSV or JSON Lines file (gzip-compressed when its
/// name ends in `.gz`).
pub(crate) fn read_table_shape(path: &Path) -> Result<TableShape, TableError> {
    let format = tabular_format(path).ok_or(TableError::NotTabular)?;
    let file = fs::File::open(path)?;
    let reader: Box<dyn io::Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    match format {
        Tabular::Delimited(delimiter) => {
            let mut csv = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .flexible(true)
                .from_reader(reader);
            let columns = csv.headers()?.iter().map(str::to_owned).collect();
            let mut rows = 0;
            let mut record = csv::ByteRecord::new();
            while csv.read_byte_record(&mut record)? {
                rows += 1;
            }
            Ok(TableShape { columns, rows })
        }
        Tabular::JsonLines => {
            let mut columns = Vec::new();
            let mut rows = 0;
            for (i, line) in io::BufReader::new(reader).lines().enumerate() {
                let line = line?;
                if line.trim().is_empty() {
                    continue;
                }
                let value: serde_json::Value =
                    serde_json::from_str(&line).map_err(|source| TableError::Json {
                        line: i + 1,
                        source,
                    })?;
                if rows == 0
                    && let Some(obj) = value.as_object()
                {
                    columns = obj.keys().cloned().collect();
                }
                rows += 1;
            }
            Ok(TableShape { columns, rows })
        }
    }
}
