//! What a property run did and found, for a script ([`TestResult`]) or a pipeline
//! ([`PipelineResult`](crate::pipeline::PipelineResult)).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::result::TestResult;

/// What a property run did and found. `R` is the result of one run of the subject: a
/// [`TestResult`] for a script, a [`PipelineResult`](crate::pipeline::PipelineResult) for a
/// pipeline.
#[derive(Debug, Clone, Serialize)]
pub struct PropertyReport<R = TestResult> {
    /// The test's name ([`TestSpec::test_name`](crate::TestSpec::test_name), or
    /// `pipeline::NAME`).
    pub test_name: String,
    /// Generated cases run up to and including the first failure (all of them when none failed).
    pub cases_run: u32,
    /// Runs spent shrinking after the first failure.
    pub shrink_steps: u32,
    /// Saved bundles replayed before any new case, in the order they ran.
    pub replayed_bundles: Vec<PathBuf>,
    /// The largest peak memory of any run, in MB (MiB).
    pub peak_memory_mb: f64,
    /// The failure, if any.
    pub failure: Option<PropertyFailure<R>>,
    /// Wall-clock time of the whole run.
    #[serde(with = "crate::serde_secs")]
    pub elapsed: Duration,
    /// How the runs were started: forked warm, or cold (and why).
    pub starts: Starts,
    /// How shrinking ended, when a generated case failed.
    pub shrink_end: Option<ShrinkEnd>,
    /// Generated cases discarded because their data broke a contract of the subject's own (a
    /// pipeline's edge check), counted apart from the cases run.
    pub out_of_contract: u32,
    /// Data rows of the failing dataset (every generated channel together): at the first
    /// failure, then after each shrink step that still failed; empty when no generated case
    /// failed.
    #[serde(default)]
    pub shrink_path: Vec<usize>,
    /// With [`PropertyConfig::keep_cases`](super::PropertyConfig::keep_cases): the folders
    /// holding the data of passing cases, in the order they ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept_cases: Vec<PathBuf>,
}

/// How many runs of a property run were started warm and cold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Starts {
    /// Runs forked from a warm interpreter.
    pub warm: u32,
    /// Runs started cold.
    pub cold: u32,
    /// Why the last cold run was not warm.
    pub cold_note: Option<String>,
}

impl Starts {
    pub(crate) fn count(&mut self, start: Option<&crate::run::warm::Start>) {
        match start {
            Some(s) if s.kind == crate::run::warm::StartKind::Warm => self.warm += 1,
            Some(s) => {
                self.cold += 1;
                if s.note.is_some() {
                    self.cold_note.clone_from(&s.note);
                }
            }
            None => self.cold += 1,
        }
    }

    /// `start: warm (N)`, `start: cold (why)`, or both.
    pub fn describe(&self) -> String {
        let cold = match &self.cold_note {
            Some(note) => format!("cold {} ({note})", self.cold),
            None => format!("cold {}", self.cold),
        };
        match (self.warm, self.cold) {
            (0, _) => cold,
            (w, 0) => format!("warm {w}"),
            (w, _) => format!("warm {w}, {cold}"),
        }
    }
}

/// Why shrinking stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShrinkEnd {
    /// No smaller dataset still failed: the dataset is minimal.
    Minimal,
    /// The shrink budget (steps or time) ran out first: a smaller failing dataset may exist.
    BudgetReached,
}

impl<R> PropertyReport<R> {
    /// True when no dataset, saved or generated, made the subject fail.
    pub fn is_successful(&self) -> bool {
        self.failure.is_none()
    }
}

/// A dataset the subject fails on.
#[derive(Debug, Clone, Serialize)]
pub struct PropertyFailure<R = TestResult> {
    /// The run on the minimal (or saved) dataset.
    pub result: R,
    /// The failure bundle holding that dataset; empty when it could not be written (see
    /// [`PropertyFailure::note`]).
    pub bundle: PathBuf,
    /// Data rows of each generated channel (`channel`, or `step.channel` in a pipeline) in the
    /// minimal dataset.
    pub minimal_rows: BTreeMap<String, usize>,
    /// The command line that runs the subject on the bundle again; empty without a bundle.
    pub replay: String,
    /// True when a saved bundle failed again, before any new case ran.
    pub from_saved_bundle: bool,
    /// Anything that went wrong around the failure, such as a bundle that could not be written.
    pub note: Option<String>,
}
