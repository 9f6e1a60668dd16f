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
    /// The header is longer than sf reads.
    #[error("the header is longer than {limit} bytes")]
    HeaderTooLong {
        /// The limit.
        limit: usize,
    },
    /// The file holds more than sf reads to check it.
    #[error("more than {} GiB to read (after decompression); sf does not check files that large", limit >> 30)]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// A JSON Lines line holds more than one value.
    #[error("line {line}: more than one JSON value on the line")]
    TrailingData {
        /// 1-based.
        line: usize,
    },
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
pub(crate) enum Tabular {
    Delimited(u8),
    JsonLines,
}

pub(crate) fn tabular_format(path: &Path) -> Option<Tabular> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if name.ends_with(".csv") {
        Some(Tabular::Delimited(b','))
    } else if name.ends_with(".tsv") {
        Some(Tabular::Delimited(b'\t'))
    } else if name.ends_with(".jsonl")
        || name.ends_with(".ndjson")
        || (name.starts_with("part-") && name.ends_with(".json"))
    {
        // `part-00000.json`: the shards Spark and pandas write, one JSON object per line.
        Some(Tabular::JsonLines)
    } else {
        None
    }
}

/// Whether checks read `path` as a table (CSV, TSV, JSON Lines — `.jsonl`, `.ndjson`, or a
/// `part-*.json` shard — optionally `.gz`).
pub(crate) fn is_tabular(path: &Path) -> bool {
    tabular_format(path).is_some()
}

/// The most a header (or the first JSON Lines object's keys) may take; rows may be any length.
const HEADER_LIMIT: usize = 16 << 20;
/// The most sf reads of one file (after decompression) to check it: a sparse file of terabytes
/// or a gzip bomb fails the check instead of keeping sf busy for hours.
pub(crate) const READ_LIMIT: u64 = 4 << 30;

/// Column names and data-row count of a CSV, TSV or JSON Lines file (gzip-compressed when its
/// name ends in `.gz`). Streams the file: memory stays bounded whatever the length of its
/// fields or lines.
pub(crate) fn read_table_shape(path: &Path) -> Result<TableShape, TableError> {
    read_table_shape_within(path, READ_LIMIT)
}

fn read_table_shape_within(path: &Path, limit: u64) -> Result<TableShape, TableError> {
    let (format, reader) = open_table(path, limit)?;
    match format {
        Tabular::Delimited(delimiter) => delimited_shape(reader, delimiter),
        Tabular::JsonLines => json_lines_shape(reader),
    }
    .map_err(|e| over_budget(e, limit))
}

/// The tabular file at `path` (gunzipped when its name ends in `.gz`) as a buffered reader
/// that fails after `limit` bytes, and its format.
pub(crate) fn open_table(
    path: &Path,
    limit: u64,
) -> Result<(Tabular, impl BufRead + use<>), TableError> {
    let format = tabular_format(path).ok_or(TableError::NotTabular)?;
    let file = fs::File::open(path)?;
    let reader: Box<dyn io::Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let reader = io::BufReader::with_capacity(
        64 * 1024,
        Budget {
            inner: reader,
            left: limit,
        },
    );
    Ok((format, reader))
}

/// A read that stopped at the [`Budget`] of `limit` bytes, whichever reader met it, as
/// [`TableError::TooLarge`].
pub(crate) fn over_budget(e: TableError, limit: u64) -> TableError {
    let too_large = |kind: Option<io::ErrorKind>| kind == Some(io::ErrorKind::FileTooLarge);
    match e {
        TableError::Io(io) if too_large(Some(io.kind())) => TableError::TooLarge { limit },
        TableError::Json { source, .. } if too_large(source.io_error_kind()) => {
            TableError::TooLarge { limit }
        }
        TableError::Csv(c) if matches!(c.kind(), csv::ErrorKind::Io(io) if too_large(Some(io.kind()))) => {
            TableError::TooLarge { limit }
        }
        other => other,
    }
}

/// A reader that fails once it has given `left` bytes.
pub(crate) struct Budget<R> {
    pub(crate) inner: R,
    pub(crate) left: u64,
}

impl<R: io::Read> io::Read for Budget<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // Reading never fails with EFBIG on its own: the kind marks the budget.
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                "read budget exhausted",
            ));
        }
        let max = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(out.len());
        let n = self.inner.read(&mut out[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// CSV or TSV through csv-core: the header's fields are kept (up to [`HEADER_LIMIT`]), the
/// other records only counted, with a fixed output buffer a long field merely overflows.
fn delimited_shape(mut reader: impl BufRead, delimiter: u8) -> Result<TableShape, TableError> {
    let mut csv = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    let mut field = vec![0u8; 64 * 1024];
    let mut ends = [0usize; 1024];
    let mut header: Vec<u8> = Vec::new();
    let mut header_ends: Vec<usize> = Vec::new();
    let mut in_header = true;
    let mut records = 0usize;
    loop {
        let input = reader.fill_buf()?;
        let at_end = input.is_empty();
        let (result, consumed, written, ended) = csv.read_record(input, &mut field, &mut ends);
        reader.consume(consumed);
        if in_header {
            header.extend_from_slice(&field[..written]);
            // csv-core counts a field's end from the start of its record, across calls.
            header_ends.extend_from_slice(&ends[..ended]);
            if header.len() > HEADER_LIMIT {
                return Err(TableError::HeaderTooLong {
                    limit: HEADER_LIMIT,
                });
            }
        }
        match result {
            csv_core::ReadRecordResult::InputEmpty if at_end => {}
            csv_core::ReadRecordResult::InputEmpty
            | csv_core::ReadRecordResult::OutputFull
            | csv_core::ReadRecordResult::OutputEndsFull => continue,
            csv_core::ReadRecordResult::Record => {
                if in_header {
                    in_header = false;
                } else {
                    records += 1;
                }
                continue;
            }
            csv_core::ReadRecordResult::End => {}
        }
        break;
    }
    let mut columns = Vec::with_capacity(header_ends.len());
    let mut start = 0;
    for end in header_ends {
        columns.push(String::from_utf8_lossy(&header[start..end]).into_owned());
        start = end;
    }
    Ok(TableShape {
        columns,
        rows: records,
    })
}

/// JSON Lines: each non-blank line is parsed as it streams by (its values are checked and
/// dropped), the first object's keys are the columns.
fn json_lines_shape(mut reader: impl BufRead) -> Result<TableShape, TableError> {
    let mut columns = Vec::new();
    let mut rows = 0;
    let mut line = 0;
    loop {
        line += 1;
        if !skip_blank_start(&mut reader)? {
            break;
        }
        if at_line_end(&mut reader)? {
            continue;
        }
        let one_line = OneLine {
            inner: &mut reader,
            done: false,
        };
        let json = |source| TableError::Json { line, source };
        if rows == 0 {
            columns = serde_json::from_reader::<_, Keys>(io::BufReader::new(one_line))
                .map_err(json)?
                .0;
        } else {
            serde_json::from_reader::<_, serde::de::IgnoredAny>(io::BufReader::new(one_line))
                .map_err(json)?;
        }
        rows += 1;
        finish_line(&mut reader, line)?;
    }
    Ok(TableShape { columns, rows })
}

/// Skips spaces, tabs and carriage returns; false at the end of the input.
fn skip_blank_start(reader: &mut impl BufRead) -> io::Result<bool> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(false);
        }
        let blank = buf
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t' | b'\r'))
            .count();
        let whole = blank == buf.len();
        reader.consume(blank);
        if !whole {
            return Ok(true);
        }
    }
}

/// Consumes a newline when one is next (a blank line); true when it did.
fn at_line_end(reader: &mut impl BufRead) -> io::Result<bool> {
    let next = reader.fill_buf()?.first().copied();
    if next == Some(b'\n') {
        reader.consume(1);
        return Ok(true);
    }
    Ok(false)
}

/// After a line's value: only blanks may follow before its newline.
fn finish_line(reader: &mut impl BufRead, line: usize) -> Result<(), TableError> {
    if !skip_blank_start(reader)? || at_line_end(reader)? {
        return Ok(());
    }
    Err(TableError::TrailingData { line })
}

/// Reads one line of `inner`, up to (not including) its newline, which stays in `inner`.
struct OneLine<'a, R: BufRead> {
    inner: &'a mut R,
    done: bool,
}

impl<R: BufRead> io::Read for OneLine<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.done || out.is_empty() {
            return Ok(0);
        }
        let buf = self.inner.fill_buf()?;
        let end = buf.iter().position(|b| *b == b'\n').unwrap_or(buf.len());
        if end == 0 {
            self.done = true;
            return Ok(0);
        }
        let n = end.min(out.len());
        out[..n].copy_from_slice(&buf[..n]);
        self.inner.consume(n);
        Ok(n)
    }
}

/// The keys of a JSON object, whatever its values (which are checked and dropped); no keys for
/// any other JSON value.
struct Keys(Vec<String>);

impl<'de> serde::Deserialize<'de> for Keys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Keys, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Keys;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                let mut bytes = 0;
                while let Some((key, serde::de::IgnoredAny)) = map.next_entry::<String, _>()? {
                    bytes += key.len();
                    if bytes > HEADER_LIMIT {
                        return Err(serde::de::Error::custom(format!(
                            "the first row's keys take more than {HEADER_LIMIT} bytes"
                        )));
                    }
                    keys.push(key);
                }
                keys.sort();
                keys.dedup();
                Ok(Keys(keys))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Keys, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Keys(Vec::new()))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Keys, E> {
                Ok(Keys(Vec::new()))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Keys, E> {
                Ok(Keys(Vec::new()))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Keys, E> {
                Ok(Keys(Vec::new()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Keys, E> {
                Ok(Keys(Vec::new()))
            }
            fn visit_str<E>(self, _: &str) -> Result<Keys, E> {
                Ok(Keys(Vec::new()))
            }
            fn visit_unit<E>(self) -> Result<Keys, E> {
                Ok(Keys(Vec::new()))
            }
        }
        d.deserialize_any(Visit)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The shape as the csv crate and serde_json read a whole file in memory: what the streaming
    /// readers must agree with.
    fn reference(bytes: &[u8], format: Tabular) -> Option<TableShape> {
        match format {
            Tabular::Delimited(delimiter) => {
                let mut csv = csv::ReaderBuilder::new()
                    .delimiter(delimiter)
                    .flexible(true)
                    .from_reader(bytes);
                let columns = csv.headers().ok()?.iter().map(str::to_owned).collect();
                let mut rows = 0;
                let mut record = csv::ByteRecord::new();
                while csv.read_byte_record(&mut record).ok()? {
                    rows += 1;
                }
                Some(TableShape { columns, rows })
            }
            Tabular::JsonLines => {
                let mut columns = Vec::new();
                let mut rows = 0;
                for line in std::str::from_utf8(bytes).ok()?.split('\n') {
                    if line.trim().is_empty() {
                        continue;
                    }
                    let value: serde_json::Value = serde_json::from_str(line).ok()?;
                    if rows == 0
                        && let Some(obj) = value.as_object()
                    {
                        columns = obj.keys().cloned().collect();
                    }
                    rows += 1;
                }
                Some(TableShape { columns, rows })
            }
        }
    }

    fn streamed(bytes: &[u8], format: Tabular) -> Option<TableShape> {
        let reader = io::BufReader::with_capacity(7, bytes);
        match format {
            Tabular::Delimited(d) => delimited_shape(reader, d).ok(),
            Tabular::JsonLines => json_lines_shape(reader).ok(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn streaming_csv_counts_what_the_csv_crate_counts(
            text in proptest::collection::vec(
                proptest::sample::select(vec!["a", "b1", ",", "\t", "\n", "\r\n", "\"", "\"x,\ny\"", " ", "\n\n"]),
                0..40,
            )
        ) {
            let bytes = text.concat().into_bytes();
            for format in [Tabular::Delimited(b','), Tabular::Delimited(b'\t')] {
                prop_assert_eq!(streamed(&bytes, format), reference(&bytes, format), "{:?}", text.concat());
            }
        }

        #[test]
        fn streaming_json_lines_agree_with_parsing_each_line(
            lines in proptest::collection::vec(
                proptest::sample::select(vec!["{\"a\":1,\"b\":[1,{\"c\":null}]}", "{\"z\":\"x\\ny\"}", "[1,2]", "3", "\"s\"", "", "  ", "{\"a\":", "1 2", "{} ", "\r"]),
                0..12,
            )
        ) {
            let bytes = lines.join("\n").into_bytes();
            let streamed = streamed(&bytes, Tabular::JsonLines);
            let reference = reference(&bytes, Tabular::JsonLines);
            prop_assert_eq!(streamed, reference, "{:?}", lines);
        }
    }

    #[test]
    fn a_file_beyond_the_read_budget_fails_instead_of_being_read_to_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("big.csv");
        std::fs::write(&plain, format!("id\n{}", "1\n".repeat(10_000))).unwrap();
        let shape = read_table_shape_within(&plain, 1 << 20).unwrap();
        assert_eq!(shape.rows, 10_000);
        let err = read_table_shape_within(&plain, 1024).unwrap_err();
        assert!(
            matches!(err, TableError::TooLarge { limit: 1024 }),
            "{err:?}"
        );
        // A small gzip that expands past the budget: counted after decompression.
        let bomb = dir.path().join("bomb.jsonl.gz");
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&bomb).unwrap(),
            flate2::Compression::best(),
        );
        for _ in 0..20_000 {
            io::Write::write_all(&mut gz, b"{\"a\": 1}\n").unwrap();
        }
        gz.finish().unwrap();
        assert!(std::fs::metadata(&bomb).unwrap().len() < 4096);
        let err = read_table_shape_within(&bomb, 64 * 1024).unwrap_err();
        assert!(matches!(err, TableError::TooLarge { .. }), "{err:?}");
        assert!(err.to_string().starts_with("more than "), "{err}");
    }

    #[test]
    fn a_field_of_many_megabytes_is_counted_without_holding_it() {
        let mut big = b"id,text\n1,".to_vec();
        big.extend(std::iter::repeat_n(b'x', 8 << 20));
        big.extend(b"\n2,short\n");
        let shape = delimited_shape(io::BufReader::new(&big[..]), b',').unwrap();
        assert_eq!(
            shape,
            TableShape {
                columns: vec!["id".into(), "text".into()],
                rows: 2
            }
        );
        let mut line = b"{\"id\": 1}\n{\"text\": \"".to_vec();
        line.extend(std::iter::repeat_n(b'y', 8 << 20));
        line.extend(b"\"}\n");
        let shape = json_lines_shape(io::BufReader::new(&line[..])).unwrap();
        assert_eq!(
            shape,
            TableShape {
                columns: vec!["id".into()],
                rows: 2
            }
        );
    }
}
