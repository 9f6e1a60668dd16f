//! How a property run explores and shrinks.

use std::path::PathBuf;
use std::time::Duration;

use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use rand::{Rng as _, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::spec::DEFAULT_SEED;

/// How a property run explores and shrinks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyConfig {
    /// Generated datasets that must pass (64 by default). A spec without generated channels runs
    /// once, since every case would be the same.
    pub cases: u32,
    /// Most script runs spent shrinking a failure (no limit by default: shrinking goes on until
    /// no smaller dataset fails, or [`PropertyConfig::max_shrink_time`]).
    pub max_shrink_iters: u32,
    /// Shrinking starts no new run after this long (5 minutes by default); whatever is smallest
    /// by then is reported, as "budget reached".
    #[serde(with = "crate::serde_secs")]
    pub max_shrink_time: Duration,
    /// Fewest rows of each generated table. `None` (the default) lets the subject choose: a
    /// script's tables may be empty (0), a pipeline's sources hold at least one row (1), since
    /// an empty source only tells that every step downstream sees nothing.
    #[serde(default)]
    pub min_rows: Option<usize>,
    /// Most rows of each generated table (50 by default). Below a `min_rows` that is set, the
    /// minimum wins.
    pub max_rows: usize,
    /// Whether cases draw edge values (true by default); `false` keeps every column to
    /// ordinary values and its null rate, as [`ColumnSpec::edge_values`] does for one column.
    ///
    /// [`ColumnSpec::edge_values`]: crate::data::ColumnSpec::edge_values
    #[serde(default = "yes")]
    pub edge_values: bool,
    /// Where failure bundles are saved and replayed from (`sf-regressions` by default, relative
    /// to the current directory).
    pub bundle_dir: PathBuf,
    /// Seed of the case generator: the same seed explores the same datasets.
    pub seed: u64,
    /// Fork python-main cases from a warm interpreter that loaded the script's imports once
    /// (true by default); false starts every case cold.
    #[serde(default = "yes")]
    pub warm: bool,
    /// Which of the seeded run's output checks every case must also pass (`shape` by
    /// default: files and columns, not row counts, which depend on the rows a case was given).
    #[serde(default)]
    pub output_checks: OutputChecks,
    /// Whether a failed edge check of a pipeline case fails the property (false by default:
    /// generated data that breaks an edge's contract is out of the contract, and the case is
    /// discarded and counted).
    #[serde(default)]
    pub edge_checks: bool,
    /// Keep the input data of passing cases too (false by default), each as
    /// `<bundle_dir>/cases-<time>-<random>/case-NNNN/inputs/...`, a folder `--data-from` reads:
    /// at most [`MAX_KEPT_CASES`] of them per run.
    #[serde(default)]
    pub keep_cases: bool,
    /// Output checks of the property cases' own, each replacing the seeded run's checks of one
    /// output (whatever [`PropertyConfig::output_checks`] says): by channel for a script, by
    /// `STEP.CHANNEL` for a pipeline. Empty checks leave that output unchecked.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub outputs: std::collections::BTreeMap<String, crate::checks::ChannelChecks>,
}

/// The most passing cases one property run keeps with [`PropertyConfig::keep_cases`].
pub const MAX_KEPT_CASES: u32 = 256;

impl PropertyConfig {
    /// `spec`'s output checks as its property cases keep them: an output's own checks from
    /// [`PropertyConfig::outputs`], else the seeded run's cut down by
    /// [`PropertyConfig::output_checks`]; no golden copies (they are of the seeded data).
    pub(crate) fn case_checks(&self, spec: &mut crate::spec::TestSpec) {
        self.case_checks_as(spec, |channel| channel.to_owned());
    }

    /// The same for every step of a pipeline, whose own checks are keyed `STEP.CHANNEL`.
    pub(crate) fn case_pipeline(&self, p: &mut crate::pipeline::Pipeline) {
        for step in &mut p.steps {
            let name = step.name.clone();
            self.case_checks_as(&mut step.spec, |channel| format!("{name}.{channel}"));
        }
    }

    fn case_checks_as(&self, spec: &mut crate::spec::TestSpec, key: impl Fn(&str) -> String) {
        for (channel, checks) in spec.outputs.iter_mut() {
            match self.outputs.get(&key(channel)) {
                Some(own) => *checks = own.clone(),
                None => self.output_checks.apply(checks),
            }
        }
        spec.golden.clear();
    }
}

/// Which output checks of a test's seeded run apply to its property cases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputChecks {
    /// The files, columns and archive members the outputs must have, and their value
    /// expectations; no row counts (`min_rows`, rows present).
    #[default]
    Shape,
    /// Every output check of the seeded run, row counts included.
    All,
    /// None (value expectations included): a case passes when the script succeeds.
    None,
}

impl OutputChecks {
    /// The value named `name` in configuration files.
    pub fn from_name(name: &str) -> Option<OutputChecks> {
        match name {
            "shape" => Some(OutputChecks::Shape),
            "all" => Some(OutputChecks::All),
            "none" => Some(OutputChecks::None),
            _ => None,
        }
    }

    /// The accepted names.
    pub const NAMES: [&'static str; 3] = ["shape", "all", "none"];

    /// `checks` as a property case applies them.
    pub fn apply(self, checks: &mut crate::checks::ChannelChecks) {
        match self {
            OutputChecks::All => {}
            OutputChecks::Shape => {
                checks.min_rows = None;
                checks.some_rows = false;
            }
            OutputChecks::None => {
                checks.non_empty = false;
                checks.files = None;
                checks.min_rows = None;
                checks.some_rows = false;
                checks.readable = false;
                checks.columns.clear();
                checks.members.clear();
                checks.min_members = None;
                checks.expect = crate::checks::Expectations::default();
            }
        }
    }
}

fn yes() -> bool {
    true
}

/// The environment variable that starts every property case cold (any value but `0`).
pub(crate) const COLD_VAR: &str = "SF_COLD";

/// Why a property run's cases start cold, when they do.
pub(crate) fn cold_reason(config: &PropertyConfig) -> Option<&'static str> {
    if !config.warm {
        return Some("warm = false");
    }
    match std::env::var_os(COLD_VAR) {
        Some(v) if !v.is_empty() && v != "0" => Some("SF_COLD is set"),
        _ => None,
    }
}

impl PropertyConfig {
    /// What the tables of a run share, for a subject whose tables hold at least `min_rows`
    /// rows unless [`PropertyConfig::min_rows`] says otherwise (a subject's default gives way
    /// to a lower `max_rows`; a minimum set here does not).
    pub(crate) fn tables(&self, min_rows: usize) -> crate::data::strategy::Cases {
        let min_rows = self.min_rows.unwrap_or(min_rows.min(self.max_rows));
        crate::data::strategy::Cases {
            rows: min_rows..=self.max_rows,
            edge_values: self.edge_values,
        }
    }

    /// proptest's runner for these settings: deterministic from the seed, shrinking bounded in
    /// steps and time, nothing persisted by proptest itself (bundles do that). Without generated
    /// data every case would be the same run, so there is one.
    pub(crate) fn test_runner(&self, has_generated_data: bool) -> TestRunner {
        let config = Config {
            cases: if has_generated_data { self.cases } else { 1 },
            // proptest reads u32::MAX as "four times the cases"; one less is no limit.
            max_shrink_iters: self.max_shrink_iters.min(u32::MAX - 1),
            // proptest checks this before every shrink step (0 would mean no limit).
            max_shrink_time: u32::try_from(self.max_shrink_time.as_millis())
                .unwrap_or(u32::MAX)
                .max(1),
            failure_persistence: None,
            rng_algorithm: RngAlgorithm::ChaCha,
            verbose: 0,
            ..Config::default()
        };
        TestRunner::new_with_rng(
            config,
            TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(self.seed)),
        )
    }
}

impl Default for PropertyConfig {
    fn default() -> Self {
        PropertyConfig {
            cases: 64,
            max_shrink_iters: u32::MAX,
            max_shrink_time: Duration::from_secs(300),
            min_rows: None,
            max_rows: 50,
            edge_values: true,
            bundle_dir: PathBuf::from("sf-regressions"),
            seed: DEFAULT_SEED,
            warm: true,
            output_checks: OutputChecks::Shape,
            edge_checks: false,
            keep_cases: false,
            outputs: std::collections::BTreeMap::new(),
        }
    }
}

/// 32 seed bytes for proptest's ChaCha generator, spread from `seed`.
fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut bytes = [0_u8; 32];
    rand_chacha::ChaCha8Rng::seed_from_u64(seed).fill_bytes(&mut bytes);
    bytes
}
