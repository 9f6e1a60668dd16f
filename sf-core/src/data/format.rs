//! File formats a table can be written in.

use std::io::{self, Write};

pub use sf_vocab::Format;

use super::table::{Column, Table};

/// Writes `table` to `out` in `format`.
pub fn write_table<W: Write>(table: &Table, format: Format, out: W) -> io::Result<()> {
    match format {
        Format::Csv => write_delimited(table, b',', out),
        Format::Tsv => write_delimited(table, b'\t', out),
        Format::Jsonl => write_jsonl(table, out),
        Format::Npy | Format::Npz => write_numpy(table, format, out),
        Format::Parquet => write_parquet(table, out),
    }
}

/// Whether this build reads and writes Parquet files (the `parquet` feature).
pub(crate) const PARQUET: bool = cfg!(feature = "parquet");

/// `table` as one Parquet row group: int64, double, boolean and UTF-8 string columns, all
/// optional (a missing value is a null), Snappy-compressed pages.
#[cfg(feature = "parquet")]
fn write_parquet<W: Write>(table: &Table, mut out: W) -> io::Result<()> {
    use std::sync::Arc;

    use parquet::basic::{Compression, LogicalType, Repetition, Type as Physical};
    use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::types::Type;

    /// The present values, and a definition level per row (1 present, 0 null).
    fn levels<T: Clone, U>(values: &[Option<T>], to: impl Fn(&T) -> U) -> (Vec<U>, Vec<i16>) {
        let present = values.iter().flatten().map(to).collect();
        let defs = values.iter().map(|v| i16::from(v.is_some())).collect();
        (present, defs)
    }
    let err = io::Error::other;
    let fields = table
        .names()
        .iter()
        .zip(table.columns())
        .map(|(name, column)| {
            let (physical, logical) = match column {
                Column::Int(_) => (Physical::INT64, None),
                Column::Float(_) => (Physical::DOUBLE, None),
                Column::Bool(_) => (Physical::BOOLEAN, None),
                Column::Text(_) => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
            };
            Type::primitive_type_builder(name, physical)
                .with_repetition(Repetition::OPTIONAL)
                .with_logical_type(logical)
                .build()
                .map(Arc::new)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    let schema = Type::group_type_builder("schema")
        .with_fields(fields)
        .build()
        .map_err(err)?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut bytes = Vec::new();
    let mut writer = SerializedFileWriter::new(&mut bytes, Arc::new(schema), Arc::new(properties))
        .map_err(err)?;
    let mut group = writer.next_row_group().map_err(err)?;
    for column in table.columns() {
        let mut writer = group.next_column().map_err(err)?.ok_or_else(|| {
            io::Error::other("the Parquet writer has fewer columns than the table")
        })?;
        match column {
            Column::Int(v) => {
                let (values, defs) = levels(v, |x| *x);
                writer
                    .typed::<Int64Type>()
                    .write_batch(&values, Some(&defs), None)
            }
            Column::Float(v) => {
                let (values, defs) = levels(v, |x| *x);
                writer
                    .typed::<DoubleType>()
                    .write_batch(&values, Some(&defs), None)
            }
            Column::Bool(v) => {
                let (values, defs) = levels(v, |x| *x);
                writer
                    .typed::<BoolType>()
                    .write_batch(&values, Some(&defs), None)
            }
            Column::Text(v) => {
                let (values, defs) = levels(v, |s| ByteArray::from(s.as_str()));
                writer
                    .typed::<ByteArrayType>()
                    .write_batch(&values, Some(&defs), None)
            }
        }
        .map_err(err)?;
        writer.close().map_err(err)?;
    }
    group.close().map_err(err)?;
    writer.close().map_err(err)?;
    out.write_all(&bytes)
}

#[cfg(not(feature = "parquet"))]
fn write_parquet<W: Write>(_: &Table, _: W) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "this sf was built without the `parquet` feature, so it cannot write `.parquet` files",
    ))
}

/// Whether this build writes NumPy files (the `npy` feature).
pub(crate) const NUMPY: bool = cfg!(feature = "npy");

/// The numeric columns of `table` (numbers, and booleans as 0 / 1), with their names.
#[cfg_attr(not(feature = "npy"), allow(dead_code))]
fn numeric_columns(table: &Table) -> Vec<(&str, Vec<f64>)> {
    table
        .names()
        .iter()
        .zip(table.columns())
        .filter_map(|(name, column)| {
            let values: Vec<f64> = match column {
                Column::Int(v) => v.iter().map(|x| x.map_or(f64::NAN, |x| x as f64)).collect(),
                Column::Float(v) => v.iter().map(|x| x.unwrap_or(f64::NAN)).collect(),
                Column::Bool(v) => v
                    .iter()
                    .map(|x| x.map_or(f64::NAN, |b| f64::from(u8::from(b))))
                    .collect(),
                Column::Text(_) => return None,
            };
            Some((name.as_str(), values))
        })
        .collect()
}

#[cfg(feature = "npy")]
fn npy_bytes(shape: &[u64], values: impl IntoIterator<Item = f64>) -> io::Result<Vec<u8>> {
    use npyz::WriterBuilder as _;
    let mut buf = Vec::new();
    let mut writer = npyz::WriteOptions::<f64>::new()
        .default_dtype()
        .shape(shape)
        .writer(&mut buf)
        .begin_nd()?;
    writer.extend(values)?;
    writer.finish()?;
    Ok(buf)
}

#[cfg(feature = "npy")]
fn write_numpy<W: Write>(table: &Table, format: Format, mut out: W) -> io::Result<()> {
    let columns = numeric_columns(table);
    let rows = table.rows();
    // Row-major: row 0's values, then row 1's, …
    let data = npy_bytes(
        &[rows as u64, columns.len() as u64],
        (0..rows).flat_map(|r| columns.iter().map(move |(_, v)| v[r])),
    )?;
    if format == Format::Npy {
        return out.write_all(&data);
    }
    let mut zip = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut member = |name: &str, bytes: &[u8]| -> io::Result<()> {
        zip.start_file(format!("{name}.npy"), stored)
            .map_err(io::Error::other)?;
        zip.write_all(bytes)
    };
    member("data", &data)?;
    for (name, values) in &columns {
        if *name != "data" {
            member(name, &npy_bytes(&[rows as u64], values.iter().copied())?)?;
        }
    }
    let bytes = zip.finish().map_err(io::Error::other)?.into_inner();
    out.write_all(&bytes)
}

#[cfg(not(feature = "npy"))]
fn write_numpy<W: Write>(_: &Table, format: Format, _: W) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        format!(
            "this sf was built without the `npy` feature, so it cannot write `.{}` files",
            format.extension()
        ),
    ))
}

fn write_delimited<W: Write>(table: &Table, delimiter: u8, out: W) -> io::Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .buffer_capacity(1 << 16)
        .from_writer(out);
    writer.write_record(table.names())?;
    let mut record = csv::ByteRecord::with_capacity(256, table.columns().len());
    let mut floats = FloatBuf::default();
    let mut ints = itoa::Buffer::new();
    for row in 0..table.rows() {
        record.clear();
        for column in table.columns() {
            match column {
                Column::Int(v) => match v[row] {
                    Some(x) => record.push_field(ints.format(x).as_bytes()),
                    None => record.push_field(b""),
                },
                Column::Float(v) => match v[row] {
                    Some(x) => record.push_field(floats.format(x)),
                    None => record.push_field(b""),
                },
                Column::Text(v) => record.push_field(v[row].as_deref().unwrap_or("").as_bytes()),
                Column::Bool(v) => record.push_field(match v[row] {
                    Some(true) => b"true",
                    Some(false) => b"false",
                    None => b"",
                }),
            }
        }
        writer.write_byte_record(&record)?;
    }
    writer.flush()
}

/// Formats floats as text that reads back to the same value, spelled the way pandas reads it.
#[derive(Default)]
struct FloatBuf {
    ryu: ryu::Buffer,
    fixed: [u8; 32],
}

impl FloatBuf {
    fn format(&mut self, x: f64) -> &[u8] {
        if x.is_nan() {
            b"NaN"
        } else if x == f64::INFINITY {
            b"inf"
        } else if x == f64::NEG_INFINITY {
            b"-inf"
        } else if let Some(len) = self.fixed6(x) {
            &self.fixed[..len]
        } else {
            self.ryu.format_finite(x).as_bytes()
        }
    }

    /// Plain decimal text (`-0.123457`, never `1e-6`) for values with at most six decimals,
    /// which is what the generators produce. It is exact: the decimal `scaled / 10^6` parses back
    /// to the nearest double, and the check below proves that double is `x`.
    fn fixed6(&mut self, x: f64) -> Option<usize> {
        if x.abs() >= 1e12 {
            return None;
        }
        let scaled = (x * 1e6).round();
        if scaled / 1e6 != x {
            return None;
        }
        let scaled = scaled as i64;
        let (int, frac) = (
            scaled.unsigned_abs() / 1_000_000,
            scaled.unsigned_abs() % 1_000_000,
        );
        let mut len = 0;
        let mut put = |bytes: &[u8]| {
            self.fixed[len..len + bytes.len()].copy_from_slice(bytes);
            len += bytes.len();
        };
        if x.is_sign_negative() && scaled != 0 {
            put(b"-");
        }
        put(itoa::Buffer::new().format(int).as_bytes());
        put(b".");
        let mut digits = [b'0'; 6];
        let mut rest = frac;
        for d in digits.iter_mut().rev() {
            *d = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        let keep = digits.iter().rposition(|d| *d != b'0').map_or(1, |i| i + 1);
        put(&digits[..keep]);
        Some(len)
    }
}

fn write_jsonl<W: Write>(table: &Table, out: W) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    // Keys are written by hand so that objects keep the table's column order.
    let keys: Vec<String> = table
        .names()
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<_, _>>()?;
    let mut floats = FloatBuf::default();
    for row in 0..table.rows() {
        out.write_all(b"{")?;
        for (i, (key, column)) in keys.iter().zip(table.columns()).enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            out.write_all(key.as_bytes())?;
            out.write_all(b":")?;
            match column {
                Column::Int(v) => serde_json::to_writer(&mut out, &v[row])?,
                // JSON has no NaN or infinity; they are written as the strings pandas accepts.
                Column::Float(v) => match v[row] {
                    Some(x) if !x.is_finite() => {
                        out.write_all(b"\"")?;
                        out.write_all(floats.format(x))?;
                        out.write_all(b"\"")?;
                    }
                    Some(x) => out.write_all(floats.format(x))?,
                    None => out.write_all(b"null")?,
                },
                Column::Text(v) => serde_json::to_writer(&mut out, &v[row])?,
                Column::Bool(v) => serde_json::to_writer(&mut out, &v[row])?,
            }
        }
        out.write_all(b"}\n")?;
    }
    out.flush()
}

#[cfg(all(test, feature = "npy"))]
mod numpy_tests {
    use super::*;

    fn table() -> Table {
        let mut t = Table::new();
        t.push("id", Column::Int(vec![Some(1), Some(2), None]));
        t.push("name", Column::Text(vec![Some("a".into()), None, None]));
        t.push("p", Column::Float(vec![Some(0.25), None, Some(-1.5)]));
        t.push("ok", Column::Bool(vec![Some(true), Some(false), None]));
        t
    }

    fn floats(bytes: &[u8]) -> (Vec<u64>, Vec<f64>) {
        let npy = npyz::NpyFile::new(bytes).unwrap();
        let shape = npy.shape().to_vec();
        let values: Vec<f64> = npy.into_vec().unwrap();
        (shape, values)
    }

    #[test]
    fn npy_holds_the_numeric_columns_row_by_row_with_nan_for_missing() {
        let mut out = Vec::new();
        write_table(&table(), Format::Npy, &mut out).unwrap();
        let (shape, values) = floats(&out);
        assert_eq!(shape, [3, 3], "id, p, ok: text is left out");
        let nan_is = |v: f64, want: Option<f64>| want.map_or(v.is_nan(), |w| v == w);
        let want = [
            Some(1.0),
            Some(0.25),
            Some(1.0),
            Some(2.0),
            None,
            Some(0.0),
            None,
            Some(-1.5),
            None,
        ];
        for (v, w) in values.iter().zip(want) {
            assert!(nan_is(*v, w), "{values:?}");
        }
    }

    #[test]
    fn npz_holds_the_data_array_and_one_array_per_numeric_column() {
        use std::io::Read;
        let mut out = Vec::new();
        write_table(&table(), Format::Npz, &mut out).unwrap();
        let mut zip = zip::ZipArchive::new(io::Cursor::new(out)).unwrap();
        let mut names: Vec<String> = (0..zip.len())
            .map(|i| zip.by_index(i).unwrap().name().unwrap().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["data.npy", "id.npy", "ok.npy", "p.npy"]);
        let mut bytes = Vec::new();
        zip.by_name("p.npy")
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        let (shape, values) = floats(&bytes);
        assert_eq!(shape, [3]);
        assert_eq!(values[0], 0.25);
        assert!(values[1].is_nan());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        Table::new()
            .with("id", Column::Int(vec![Some(1), Some(2)]))
            .with("x", Column::Float(vec![Some(0.5), None]))
            .with(
                "name",
                Column::Text(vec![Some("a,b".into()), Some("c".into())]),
            )
            .with("flag", Column::Bool(vec![Some(true), None]))
    }

    fn render(format: Format) -> String {
        let mut out = Vec::new();
        write_table(&sample(), format, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_quotes_separators_and_leaves_missing_values_empty() {
        assert_eq!(
            render(Format::Csv),
            "id,x,name,flag\n1,0.5,\"a,b\",true\n2,,c,\n"
        );
    }

    #[test]
    fn tsv_uses_tabs() {
        assert_eq!(
            render(Format::Tsv),
            "id\tx\tname\tflag\n1\t0.5\ta,b\ttrue\n2\t\tc\t\n"
        );
    }

    #[test]
    fn json_lines_write_missing_values_as_null() {
        assert_eq!(
            render(Format::Jsonl),
            "{\"id\":1,\"x\":0.5,\"name\":\"a,b\",\"flag\":true}\n{\"id\":2,\"x\":null,\"name\":\"c\",\"flag\":null}\n"
        );
    }

    #[test]
    fn floats_read_back_to_the_same_value() {
        let mut buf = FloatBuf::default();
        for x in [
            0.0,
            -0.0,
            1.0,
            -1.5,
            0.000001,
            -0.000001,
            123456.654321,
            1e-7,
            0.1 + 0.2,
            1e300,
            -2.5e-300,
            f64::MAX,
            f64::MIN_POSITIVE,
            999_999_999_999.5,
        ] {
            let text = std::str::from_utf8(buf.format(x)).unwrap().to_owned();
            assert_eq!(text.parse::<f64>().unwrap(), x, "{x} written as {text}");
        }
        assert_eq!(buf.format(0.000001), b"0.000001");
        assert_eq!(buf.format(-2.5), b"-2.5");
        assert_eq!(buf.format(3.0), b"3.0");
        assert_eq!(buf.format(-0.0), b"0.0");
    }

    #[test]
    fn non_finite_floats_are_spelled_as_pandas_reads_them() {
        let t = Table::new().with(
            "v",
            Column::Float(vec![
                Some(f64::NAN),
                Some(f64::INFINITY),
                Some(f64::NEG_INFINITY),
            ]),
        );
        let mut out = Vec::new();
        write_table(&t, Format::Csv, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "v\nNaN\ninf\n-inf\n");
    }
}
