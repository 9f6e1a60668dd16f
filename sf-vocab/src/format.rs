//! File formats a table can be written in.

vocabulary! {
    /// A tabular file format. Names are read in any case; `json-lines`, `jsonlines` and `ndjson`
    /// are accepted for `jsonl`.
    #[derive(Default)]
    pub enum Format("format", ignore_case) {
        /// Comma-separated values with a header row (the default).
        #[default]
        Csv = "csv",
        /// Tab-separated values with a header row.
        Tsv = "tsv",
        /// One JSON object per line.
        Jsonl = "jsonl" | "json-lines" | "jsonlines" | "ndjson",
        /// A NumPy array (`np.load`): the numeric columns as a 2-D float64 array, a missing
        /// value as NaN (needs sf's `npy` feature).
        Npy = "npy",
        /// NumPy arrays in one file (`np.load(...)["data"]`): `data` as for `npy`, and each
        /// numeric column as its own 1-D array (needs sf's `npy` feature).
        Npz = "npz",
        /// Apache Parquet: every column typed (64-bit integer, double, boolean, UTF-8 string),
        /// a missing value as a null, Snappy-compressed pages (needs sf's `parquet` feature).
        Parquet = "parquet",
    }
}

impl Format {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        self.name()
    }

    /// Whether files of this format hold text rows (and can be gzipped).
    pub fn is_text(self) -> bool {
        !matches!(self, Format::Npy | Format::Npz | Format::Parquet)
    }
}
