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
    }
}

impl Format {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        self.name()
    }
}
