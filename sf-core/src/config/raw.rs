//! `sf.toml` as written: serde structures that reject unknown keys.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub(crate) workspace_dir: Option<Spanned<String>>,
    pub(crate) discover: Option<Spanned<RawDiscover>>,
    #[serde(default)]
    pub(crate) defaults: Option<Spanned<RawScript>>,
    #[serde(default)]
    pub(crate) scripts: BTreeMap<String, Spanned<RawScript>>,
    #[serde(default)]
    pub(crate) pipelines: BTreeMap<String, Spanned<RawPipeline>>,
    pub(crate) report: Option<Spanned<RawReport>>,
}

/// `[report]`: reports every run of the suite writes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReport {
    /// The HTML report's file, relative to the configuration's directory.
    pub(crate) html: Option<Spanned<String>>,
}

/// `[pipelines.NAME]`: steps, edges, aliases.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPipeline {
    pub(crate) steps: Vec<Spanned<RawStep>>,
    #[serde(default)]
    pub(crate) edges: Vec<Spanned<String>>,
    #[serde(default)]
    pub(crate) aliases: BTreeMap<String, String>,
    pub(crate) ignore: Option<bool>,
    pub(crate) proptest: Option<Spanned<RawProptest>>,
}

/// A step: a script of the configuration, optionally renamed, with its own inputs, env, job args
/// and what it reads from upstream.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStep {
    pub(crate) script: String,
    pub(crate) name: Option<String>,
    pub(crate) env: Option<BTreeMap<String, String>>,
    pub(crate) job_args: Option<BTreeMap<String, toml::Value>>,
    pub(crate) inputs: Option<BTreeMap<String, Spanned<RawChannel>>>,
    pub(crate) outputs: Option<BTreeMap<String, Spanned<RawOutput>>>,
    pub(crate) reads: Option<BTreeMap<String, RawReads>>,
}

/// What a step needs of an input bound to an upstream output.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReads {
    pub(crate) files: Option<String>,
    #[serde(default)]
    pub(crate) columns: Vec<String>,
    #[serde(default)]
    pub(crate) allow_empty: bool,
    #[serde(default)]
    pub(crate) members: Vec<String>,
    pub(crate) min_members: Option<usize>,
    // Value expectations, as on an output.
    pub(crate) not_null: Option<Vec<String>>,
    pub(crate) unique: Option<Vec<String>>,
    pub(crate) values: Option<BTreeMap<String, Vec<toml::Value>>>,
    pub(crate) range: Option<BTreeMap<String, Vec<f64>>>,
    pub(crate) rows: Option<RawRows>,
    pub(crate) sum_to_one: Option<Vec<String>>,
    pub(crate) mean: Option<BTreeMap<String, Vec<f64>>>,
    pub(crate) expr: Option<RawStrings>,
    pub(crate) json: Option<BTreeMap<String, toml::Value>>,
}

/// `rows = { equal_to_input = "input_data" }` or `{ at_most_input = "input_data" }`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRows {
    pub(crate) equal_to_input: Option<String>,
    pub(crate) at_most_input: Option<String>,
}

/// One string or a list of them.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawStrings {
    One(String),
    Many(Vec<String>),
}

impl RawStrings {
    pub(crate) fn to_vec(&self) -> Vec<String> {
        match self {
            RawStrings::One(s) => vec![s.clone()],
            RawStrings::Many(v) => v.clone(),
        }
    }
}

/// `tolerance = 1e-6`, or per column: `tolerance = { prob = 1e-6, default = 0 }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawTolerance {
    All(f64),
    PerColumn(BTreeMap<String, f64>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDiscover {
    pub(crate) globs: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub(crate) exclude: Vec<Spanned<String>>,
}

/// A number of seconds, or a duration such as `"90s"`, `"2m"`, `"500ms"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawDuration {
    Seconds(f64),
    Text(String),
}

/// A number of MB, or a size such as `"512MB"`, `"2GiB"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawBytes {
    Megabytes(f64),
    Text(String),
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScript {
    pub(crate) path: Option<Spanned<String>>,
    pub(crate) adapter: Option<Spanned<String>>,
    pub(crate) argv: Option<Spanned<Vec<String>>>,
    pub(crate) env: Option<BTreeMap<String, String>>,
    pub(crate) job_args: Option<BTreeMap<String, toml::Value>>,
    pub(crate) timeout: Option<Spanned<RawDuration>>,
    pub(crate) memory_limit: Option<Spanned<RawBytes>>,
    pub(crate) log_limit: Option<Spanned<RawBytes>>,
    pub(crate) expect: Option<Spanned<String>>,
    pub(crate) ignore: Option<bool>,
    pub(crate) seed: Option<u64>,
    pub(crate) python: Option<String>,
    pub(crate) sandbox: Option<bool>,
    pub(crate) read_only_inputs: Option<bool>,
    pub(crate) import_root: Option<Spanned<String>>,
    pub(crate) requirements: Option<Vec<String>>,
    pub(crate) requirements_file: Option<Spanned<String>>,
    pub(crate) runtime_installs: Option<Spanned<String>>,
    pub(crate) layout: Option<Spanned<String>>,
    pub(crate) sagemaker_paths: Option<BTreeMap<String, String>>,
    pub(crate) network: Option<bool>,
    pub(crate) sizes: Option<Vec<Spanned<String>>>,
    pub(crate) profiles: Option<Vec<Spanned<String>>>,
    pub(crate) proptest: Option<Spanned<RawProptest>>,
    pub(crate) inputs: Option<BTreeMap<String, Spanned<RawChannel>>>,
    pub(crate) outputs: Option<BTreeMap<String, Spanned<RawOutput>>>,
    pub(crate) returns: Option<BTreeMap<String, Spanned<toml::Value>>>,
}

/// `proptest = { cases = 32, max_shrink_iters = 100, min_rows = 1, max_rows = 50,
/// edge_values = false }`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProptest {
    pub(crate) cases: Option<u32>,
    pub(crate) max_shrink_iters: Option<u32>,
    pub(crate) min_rows: Option<usize>,
    pub(crate) max_rows: Option<usize>,
    pub(crate) edge_values: Option<bool>,
    pub(crate) max_shrink_time: Option<RawDuration>,
    pub(crate) warm: Option<bool>,
    pub(crate) output_checks: Option<String>,
    pub(crate) edge_checks: Option<bool>,
    pub(crate) keep_cases: Option<bool>,
    pub(crate) outputs: Option<BTreeMap<String, Spanned<RawOutput>>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChannel {
    // Generated tables.
    pub(crate) data: Option<Spanned<String>>,
    pub(crate) columns: Option<Vec<Spanned<RawColumn>>>,
    pub(crate) label: Option<Spanned<RawLabel>>,
    pub(crate) size: Option<Spanned<String>>,
    pub(crate) rows: Option<usize>,
    pub(crate) format: Option<Spanned<String>>,
    pub(crate) layout: Option<Spanned<String>>,
    pub(crate) shards: Option<usize>,
    pub(crate) splits: Option<Vec<String>>,
    pub(crate) ratios: Option<Spanned<Vec<f64>>>,
    pub(crate) file_pattern: Option<String>,
    pub(crate) gzip: Option<bool>,
    pub(crate) file_name: Option<String>,
    // Literal content.
    pub(crate) text: Option<String>,
    pub(crate) json: Option<toml::Value>,
    pub(crate) fixture: Option<Spanned<String>>,
    pub(crate) tar_gz: Option<String>,
    pub(crate) entries: Option<Vec<Spanned<RawTarEntry>>>,
    pub(crate) empty: Option<bool>,
    pub(crate) several: Option<Vec<Spanned<RawChannel>>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTarEntry {
    pub(crate) path: String,
    pub(crate) text: Option<String>,
    pub(crate) json: Option<toml::Value>,
    pub(crate) file: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawColumn {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) kind: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) null_rate: f64,
    pub(crate) expr: Option<String>,
    pub(crate) min: Option<toml::Value>,
    pub(crate) max: Option<toml::Value>,
    pub(crate) mean: Option<f64>,
    pub(crate) std: Option<f64>,
    pub(crate) values: Option<Vec<String>>,
    pub(crate) weights: Option<Vec<f64>>,
    pub(crate) p_true: Option<f64>,
    pub(crate) start: Option<toml::Value>,
    pub(crate) end: Option<toml::Value>,
    pub(crate) step: Option<i64>,
    pub(crate) prefix: Option<String>,
    pub(crate) format: Option<String>,
    pub(crate) pattern: Option<String>,
    pub(crate) edge_values: Option<bool>,
    pub(crate) unique: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLabel {
    pub(crate) name: String,
    pub(crate) weights: BTreeMap<String, f64>,
    #[serde(default = "default_noise")]
    pub(crate) noise: f64,
    #[serde(default)]
    pub(crate) threshold: f64,
}

fn default_noise() -> f64 {
    0.5
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOutput {
    #[serde(default)]
    pub(crate) non_empty: bool,
    pub(crate) files: Option<Spanned<String>>,
    pub(crate) file: Option<Spanned<String>>,
    pub(crate) min_rows: Option<usize>,
    pub(crate) columns: Option<Vec<String>>,
    // Archive members.
    pub(crate) members: Option<Vec<String>>,
    pub(crate) min_members: Option<usize>,
    // Value expectations.
    pub(crate) not_null: Option<Vec<String>>,
    pub(crate) unique: Option<Vec<String>>,
    pub(crate) values: Option<BTreeMap<String, Vec<toml::Value>>>,
    pub(crate) range: Option<BTreeMap<String, Vec<f64>>>,
    pub(crate) rows: Option<RawRows>,
    pub(crate) sum_to_one: Option<Vec<String>>,
    pub(crate) mean: Option<BTreeMap<String, Vec<f64>>>,
    pub(crate) expr: Option<RawStrings>,
    pub(crate) json: Option<BTreeMap<String, toml::Value>>,
    // Golden outputs.
    pub(crate) golden: Option<bool>,
    pub(crate) tolerance: Option<RawTolerance>,
    pub(crate) volatile: Option<Vec<String>>,
}
