//! The rows of a tabular file, one at a time, as value expectations and golden comparisons read
//! them: CSV, TSV and JSON Lines, optionally gzip-compressed, and Parquet, within the same read
//! budget as the shape checks.

use std::fmt;
use std::io::{self, BufRead};
use std::path::Path;

use super::shape::{READ_LIMIT, TableError, Tabular, open_table, over_budget};

/// One value of a table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// An empty CSV field, a JSON `null`, or a missing JSON key.
    Null,
    /// A number (`NaN` counts as missing, as pandas writes and reads it).
    Number(f64),
    /// `true` / `false`.
    Bool(bool),
    /// Anything else, as written (a nested JSON value as its JSON text).
    Text(String),
}

impl Cell {
    /// A CSV or TSV field.
    pub(crate) fn from_field(field: &str) -> Cell {
        if field.is_empty() {
            return Cell::Null;
        }
        match field {
            "true" | "True" | "TRUE" => return Cell::Bool(true),
            "false" | "False" | "FALSE" => return Cell::Bool(false),
            _ => {}
        }
        // `f64`'s parser also takes `inf` and `NaN`, as pandas writes them; not `1_000` or ` 1`.
        match field.parse::<f64>() {
            Ok(x) => Cell::Number(x),
            Err(_) => Cell::Text(field.to_owned()),
        }
    }

    /// A JSON value.
    pub(crate) fn from_json(value: &serde_json::Value) -> Cell {
        match value {
            serde_json::Value::Null => Cell::Null,
            serde_json::Value::Bool(b) => Cell::Bool(*b),
            serde_json::Value::Number(n) => n.as_f64().map_or(Cell::Null, Cell::Number),
            serde_json::Value::String(s) => Cell::Text(s.clone()),
            other => Cell::Text(other.to_string()),
        }
    }

    /// Missing: null, empty, or NaN.
    pub(crate) fn is_null(&self) -> bool {
        match self {
            Cell::Null => true,
            Cell::Number(x) => x.is_nan(),
            _ => false,
        }
    }

    /// The value as a number: numbers, and booleans as 0 and 1.
    pub(crate) fn number(&self) -> Option<f64> {
        match self {
            Cell::Number(x) if !x.is_nan() => Some(*x),
            Cell::Bool(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        }
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Null => f.write_str("(missing)"),
            Cell::Number(x) => write!(f, "{}", Number(*x)),
            Cell::Bool(b) => write!(f, "{b}"),
            Cell::Text(s) => write!(f, "{s:?}"),
        }
    }
}

/// A number as people read it: whole numbers without `.0`.
pub(crate) struct Number(pub(crate) f64);

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 {
            write!(f, "{}", x as i64)
        } else {
            write!(f, "{x}")
        }
    }
}

/// Calls `on_row(columns, row, cells)` for every data row of the tabular file at `path` (`row`
/// counts data rows from 1; `cells[i]` is the value of `columns[i]`), and returns the columns.
/// JSON Lines columns are the keys of the rows in the order they first appear; a row without
/// one of them has it missing.
pub(crate) fn for_each_row(
    path: &Path,
    mut on_row: impl FnMut(&[String], usize, &[Cell]),
) -> Result<Vec<String>, TableError> {
    if super::shape::tabular_format(path) == Some(Tabular::Parquet) {
        return super::parquet::for_each_row(path, READ_LIMIT, on_row);
    }
    let (format, reader) = open_table(path, READ_LIMIT)?;
    match format {
        Tabular::Delimited(delimiter) => delimited_rows(reader, delimiter, &mut on_row),
        Tabular::JsonLines => json_lines_rows(reader, &mut on_row),
        Tabular::Parquet => Err(TableError::NotTabular),
    }
    .map_err(|e| over_budget(e, READ_LIMIT))
}

fn delimited_rows(
    reader: impl io::Read,
    delimiter: u8,
    on_row: &mut impl FnMut(&[String], usize, &[Cell]),
) -> Result<Vec<String>, TableError> {
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(reader);
    let columns: Vec<String> = csv.headers()?.iter().map(str::to_owned).collect();
    let mut record = csv::StringRecord::new();
    let mut cells = Vec::with_capacity(columns.len());
    let mut row = 0;
    while csv.read_record(&mut record)? {
        row += 1;
        cells.clear();
        cells
            .extend((0..columns.len()).map(|i| record.get(i).map_or(Cell::Null, Cell::from_field)));
        on_row(&columns, row, &cells);
    }
    Ok(columns)
}

fn json_lines_rows(
    reader: impl BufRead,
    on_row: &mut impl FnMut(&[String], usize, &[Cell]),
) -> Result<Vec<String>, TableError> {
    let mut columns: Vec<String> = Vec::new();
    let mut row = 0;
    let mut cells = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(&line).map_err(|source| {
            if source.classify() == serde_json::error::Category::Syntax
                && source.to_string().starts_with("trailing characters")
            {
                TableError::TrailingData { line: i + 1 }
            } else {
                TableError::Json {
                    line: i + 1,
                    source,
                }
            }
        })?;
        row += 1;
        cells.clear();
        match &value {
            serde_json::Value::Object(map) => {
                for key in map.keys() {
                    if !columns.contains(key) {
                        columns.push(key.clone());
                    }
                }
                cells.extend(
                    columns
                        .iter()
                        .map(|c| map.get(c).map_or(Cell::Null, Cell::from_json)),
                );
            }
            _ => cells.extend(columns.iter().map(|_| Cell::Null)),
        }
        on_row(&columns, row, &cells);
    }
    Ok(columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(name: &str, text: &str) -> (Vec<String>, Vec<Vec<Cell>>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let mut all = Vec::new();
        let columns = for_each_row(&path, |_, _, cells| all.push(cells.to_vec())).unwrap();
        (columns, all)
    }

    #[test]
    fn csv_fields_become_numbers_booleans_text_or_missing() {
        let (columns, all) = rows(
            "a.csv",
            "id,p,ok,name\n1,0.5,true,x\n2,,False,\n3,NaN,1,\"a,b\"\n",
        );
        assert_eq!(columns, ["id", "p", "ok", "name"]);
        assert_eq!(
            all[0],
            [
                Cell::Number(1.0),
                Cell::Number(0.5),
                Cell::Bool(true),
                Cell::Text("x".into())
            ]
        );
        assert!(all[1][1].is_null() && all[1][3].is_null());
        assert!(all[2][1].is_null());
        assert_eq!(all[2][3], Cell::Text("a,b".into()));
    }

    #[test]
    fn json_lines_columns_are_the_keys_in_order_of_appearance() {
        let (columns, all) = rows(
            "a.jsonl",
            "{\"b\": 1, \"a\": \"x\"}\n\n{\"a\": null, \"c\": [1]}\n",
        );
        assert_eq!(columns, ["a", "b", "c"]);
        assert_eq!(all[1], [Cell::Null, Cell::Null, Cell::Text("[1]".into())]);
        assert_eq!(Cell::Number(3.0).to_string(), "3");
        assert_eq!(Cell::Number(0.25).to_string(), "0.25");
    }
}
