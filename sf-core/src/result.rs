//! The typed verdict of a script test.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::spec::Expectation;

use crate::run::execution::ExecutionResult;

/// The verdict of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    /// The script behaved as expected and every check held.
    Pass,
    /// The script failed, a check did not hold, or the run could not happen.
    Fail,
    /// The test did not run (for example: ignored, or an upstream step failed).
    Skip,
}

impl Status {
    /// `PASS`, `FAIL` or `SKIP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of one script test: status, time, memory, the error and what to do about it.
///
/// Serialised as the workspace's `result.json` and as `sf test-script --output-format json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestResult {
    /// The script's name (its file stem).
    pub script_name: String,
    /// PASS / FAIL / SKIP.
    pub status: Status,
    /// Wall-clock seconds the script ran.
    pub execution_time: f64,
    /// Peak memory of the script's process tree, in MB (MiB).
    pub memory_usage: f64,
    /// Why it failed, in one line (with the traceback in `execution`).
    pub error_message: Option<String>,
    /// What to do next.
    pub recommendations: Vec<String>,
    /// When the run started.
    pub timestamp: DateTime<Utc>,
    /// Seed of the generated data; the same seed gives the same bytes.
    pub seed: u64,
    /// The run's workspace directory.
    pub workspace: PathBuf,
    /// The script file that ran, when it was found.
    pub script_path: Option<PathBuf>,
    /// What the test expected.
    pub expected: Expectation,
    /// Process-level details, when the script was started.
    pub execution: Option<ExecutionResult>,
    /// How each golden output compared with its golden copy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub golden: Vec<crate::checks::GoldenDiff>,
    /// What a python-main script's `main` returned, as a bounded JSON summary (at most 8 KiB:
    /// long text, lists and maps cut with a note of what was cut, NaN and infinities as text,
    /// other objects as their `repr`); `null` when it returned `None`, absent when no value is
    /// known (another adapter, a failed run, `sys.exit(0)`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub returned: Option<serde_json::Value>,
}

/// A JSON value that is there, `null` included (`Some(Null)`, where `Option` would read `None`).
pub(crate) fn present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

impl TestResult {
    /// A result for a test whose script did not run (or, for a summary, ran many times): no
    /// time, no memory, no execution details. `name` is the script's (or `pipeline::NAME`).
    /// Every other result starts from this one and sets what it measured.
    pub fn not_run(
        name: impl Into<String>,
        seed: u64,
        expected: Expectation,
        status: Status,
        workspace: PathBuf,
        error_message: Option<String>,
    ) -> TestResult {
        TestResult {
            script_name: name.into(),
            status,
            execution_time: 0.0,
            memory_usage: 0.0,
            error_message,
            recommendations: Vec::new(),
            timestamp: chrono::Utc::now(),
            seed,
            workspace,
            script_path: None,
            expected,
            execution: None,
            golden: Vec::new(),
            returned: None,
        }
    }

    /// True when the status is PASS.
    pub fn is_successful(&self) -> bool {
        self.status == Status::Pass
    }
}
