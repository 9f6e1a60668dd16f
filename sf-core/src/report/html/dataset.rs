//! The files of a minimal failing dataset as small tables: the first rows of each, with empty
//! strings, NaN, whitespace, unicode and undecodable bytes made visible.

use std::io::Read;
use std::path::Path;

use serde::Serialize;

use super::visible::{Cell, short};

/// Files shown per dataset.
const MAX_FILES: usize = 8;
/// Rows shown per file.
const MAX_ROWS: usize = 8;
/// Columns shown per file.
const MAX_COLUMNS: usize = 16;
/// Bytes read per file (after decompression): enough for the rows shown and a row count of a
/// small dataset, which a minimal one is.
const MAX_BYTES: u64 = 1 << 20;

/// One file of a dataset, as a small table.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DataFile {
    /// The path relative to the dataset's directory.
    pub(crate) path: String,
    pub(crate) columns: Vec<Cell>,
    pub(crate) rows: Vec<Vec<Cell>>,
    /// Data rows not shown (counted in the bytes read).
    pub(crate) more_rows: usize,
    /// What kind of file it is when it is not shown as a table, or why it is cut.
    pub(crate) note: Option<String>,
}

/// The files under `dir` (a failure bundle's `inputs/`), in name order, at most [`MAX_FILES`].
pub(crate) fn read_dataset(dir: &Path) -> Vec<DataFile> {
    let files: Vec<_> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .collect();
    let mut shown: Vec<DataFile> = files
        .iter()
        .take(MAX_FILES)
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap_or(e.path());
            read_file(e.path(), &rel.to_string_lossy())
        })
        .collect();
    if files.len() > MAX_FILES
        && let Some(last) = shown.last_mut()
    {
        let more = format!(
            "{} more file(s) in {}",
            files.len() - MAX_FILES,
            dir.display()
        );
        last.note = Some(match last.note.take() {
            Some(n) => format!("{n}; {more}"),
            None => more,
        });
    }
    shown
}

fn read_file(path: &Path, rel: &str) -> DataFile {
    let mut file = DataFile {
        path: short(rel, 120),
        columns: Vec::new(),
        rows: Vec::new(),
        more_rows: 0,
        note: None,
    };
    let (bytes, name) = match read_bytes(path) {
        Ok(read) => read,
        Err(err) => {
            file.note = Some(format!("cannot read it: {err}"));
            return file;
        }
    };
    if bytes.is_empty() {
        file.note = Some("empty file (0 bytes)".to_owned());
        return file;
    }
    let lower = name.to_ascii_lowercase();
    let delimiter = if lower.ends_with(".csv") {
        Some(b',')
    } else if lower.ends_with(".tsv") {
        Some(b'\t')
    } else {
        None
    };
    if let Some(d) = delimiter {
        delimited(&bytes, d, &mut file);
    } else if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") {
        json_lines(&bytes, &mut file);
    } else if std::str::from_utf8(&bytes).is_ok() || !bytes.contains(&0) {
        lines(&bytes, &mut file);
    } else {
        file.note = Some(format!("binary file, {} bytes", bytes.len()));
    }
    if bytes.len() as u64 >= MAX_BYTES {
        let cut = format!("only its first {} MiB read", MAX_BYTES >> 20);
        file.note = Some(match file.note.take() {
            Some(n) => format!("{n}; {cut}"),
            None => cut,
        });
    }
    file
}

/// The file's bytes (decompressed when it ends in `.gz`) and its name without `.gz`.
fn read_bytes(path: &Path) -> std::io::Result<(Vec<u8>, String)> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let raw = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    match name.strip_suffix(".gz") {
        Some(inner) => {
            flate2::read::GzDecoder::new(raw)
                .take(MAX_BYTES)
                .read_to_end(&mut bytes)?;
            Ok((bytes, inner.to_owned()))
        }
        None => {
            raw.take(MAX_BYTES).read_to_end(&mut bytes)?;
            Ok((bytes, name))
        }
    }
}

fn text(field: &[u8]) -> String {
    String::from_utf8_lossy(field).into_owned()
}

fn delimited(bytes: &[u8], delimiter: u8, file: &mut DataFile) {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(bytes);
    match reader.byte_headers() {
        Ok(h) => {
            file.columns = h
                .iter()
                .take(MAX_COLUMNS)
                .map(|c| Cell::of(&text(c)))
                .collect();
            if h.len() > MAX_COLUMNS {
                file.note = Some(format!("{} of {} columns shown", MAX_COLUMNS, h.len()));
            }
        }
        Err(err) => {
            file.note = Some(format!("not a readable table: {err}"));
            return;
        }
    }
    let mut total = 0;
    for record in reader.byte_records() {
        match record {
            Ok(r) => {
                total += 1;
                if file.rows.len() < MAX_ROWS {
                    file.rows.push(
                        r.iter()
                            .take(MAX_COLUMNS)
                            .map(|c| Cell::of(&text(c)))
                            .collect(),
                    );
                }
            }
            Err(err) => {
                file.note = Some(format!("stops being a readable table: {err}"));
                break;
            }
        }
    }
    file.more_rows = total - file.rows.len();
    if total == 0 && file.note.is_none() {
        file.note = Some("header only, no data rows".to_owned());
    }
}

fn json_lines(bytes: &[u8], file: &mut DataFile) {
    let mut columns: Vec<String> = Vec::new();
    let mut rows: Vec<serde_json::Map<String, serde_json::Value>> = Vec::new();
    let mut total = 0;
    for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        total += 1;
        if rows.len() >= MAX_ROWS {
            continue;
        }
        match serde_json::from_slice::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(map)) => {
                for k in map.keys() {
                    if !columns.contains(k) && columns.len() < MAX_COLUMNS {
                        columns.push(k.clone());
                    }
                }
                rows.push(map);
            }
            _ => {
                let mut map = serde_json::Map::new();
                map.insert("(line)".to_owned(), text(line).into());
                if !columns.iter().any(|c| c == "(line)") {
                    columns.push("(line)".to_owned());
                }
                rows.push(map);
            }
        }
    }
    file.rows = rows
        .iter()
        .map(|row| {
            columns
                .iter()
                .map(|c| match row.get(c) {
                    None => Cell {
                        text: "(absent)".to_owned(),
                        class: "empty",
                        title: None,
                    },
                    Some(serde_json::Value::String(s)) => Cell::of(s),
                    Some(serde_json::Value::Null) => Cell {
                        text: "null".to_owned(),
                        class: "special",
                        title: None,
                    },
                    Some(v) => Cell::of(&v.to_string()),
                })
                .collect()
        })
        .collect();
    file.columns = columns.iter().map(|c| Cell::of(c)).collect();
    file.more_rows = total - file.rows.len();
}

fn lines(bytes: &[u8], file: &mut DataFile) {
    let all: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    file.columns = vec![Cell::of("(line)")];
    file.rows = all
        .iter()
        .take(MAX_ROWS)
        .map(|l| vec![Cell::of(&text(l))])
        .collect();
    file.more_rows = all.len() - file.rows.len();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dataset_reads_as_small_tables_with_odd_values_marked() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(data.join("a.csv"), b"id,name\n1,\n2,NaN\n3,\xff\xfe\n").unwrap();
        std::fs::write(data.join("b.csv"), b"id,name\n").unwrap();
        std::fs::write(data.join("c.csv"), b"").unwrap();
        std::fs::write(data.join("d.jsonl"), "{\"x\":1}\n{\"y\":\"é\"}\n").unwrap();
        let files = read_dataset(dir.path());
        let paths: Vec<_> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            ["data/a.csv", "data/b.csv", "data/c.csv", "data/d.jsonl"]
        );
        let a = &files[0];
        assert_eq!(a.columns.len(), 2);
        assert_eq!(a.rows.len(), 3);
        assert_eq!(a.rows[0][1].class, "empty");
        assert_eq!(a.rows[1][1].class, "special");
        assert_eq!(a.rows[2][1].class, "invalid");
        assert_eq!(files[1].note.as_deref(), Some("header only, no data rows"));
        assert_eq!(files[2].note.as_deref(), Some("empty file (0 bytes)"));
        let d = &files[3];
        assert_eq!(d.rows[0][1].class, "empty");
        assert_eq!(d.rows[1][1].class, "unicode");
    }
}
