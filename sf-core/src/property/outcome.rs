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
