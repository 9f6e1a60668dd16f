//! What a pipeline run did: its steps, its edges and their checks, as `pipeline.json` holds them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Pipeline;
use crate::checks::{Check, CheckFailure, Problem};
use crate::result::{Status, TestResult};
use crate::spec::DEFAULT_SEED;
use crate::spec::Expectation;
use crate::suite::PIPELINE_PREFIX;

/// What a pipeline run did: every step, every binding between steps, the time and the critical
/// path. Written as the run directory's `pipeline.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PipelineResult {
    /// The pipeline's name.
    pub name: String,
    /// PASS when every step passed and every edge check held.
    pub status: Status,
    /// The steps, in the order they were planned (topological).
    pub steps: Vec<StepResult>,
    /// Every binding of an upstream output to a downstream input, explicit or implicit.
    pub edges: Vec<EdgeResult>,
    /// Wall-clock seconds of the whole run.
    pub wall_time: f64,
    /// The chain of dependent steps with the largest sum of step wall times.
    pub critical_path: Vec<String>,
    /// That sum, in seconds.
    pub critical_path_time: f64,
    /// The run directory (removed after a passing run when only failures are kept).
    pub workspace: PathBuf,
    /// When the run started.
    pub timestamp: DateTime<Utc>,
    /// Why the pipeline could not run at all (property mode: an invalid graph); `None` otherwise.
    #[serde(default)]
    pub error: Option<String>,
}

/// One step of a pipeline run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepResult {
    /// The step's name.
    pub name: String,
    /// PASS, FAIL, or SKIP when it did not run.
    pub status: Status,
    /// The script test's result, when the step ran.
    pub result: Option<TestResult>,
    /// Why the step did not run.
    pub skipped_because: Option<String>,
    /// Input channel → where its data came from (`prep.processed_data (edge)`,
    /// `generated tabular small`).
    pub bound_inputs: BTreeMap<String, String>,
    /// Seconds since the pipeline started, when the step started (or was skipped).
    pub started_at: f64,
    /// Seconds since the pipeline started, when the step finished (or was skipped).
    pub finished_at: f64,
}

impl StepResult {
    /// Seconds from start to finish.
    pub fn wall_time(&self) -> f64 {
        (self.finished_at - self.started_at).max(0.0)
    }
}

/// One binding of an upstream output to a downstream input, and its checks.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EdgeResult {
    /// `step.output`.
    pub from: String,
    /// `step.input`.
    pub to: String,
    /// PASS when every check held, FAIL when one did not, SKIP when the upstream did not pass.
    pub status: Status,
    /// The checks, in the order they ran (they stop at the first that fails).
    pub checks: Vec<EdgeCheck>,
}

/// One check of the data crossing an edge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeCheck {
    /// `non_empty`, `files`, `columns` or `rows`.
    pub check: Check,
    /// Whether it held.
    pub passed: bool,
    /// Why it did not, naming both ends, the file and the column.
    pub message: Option<String>,
    /// For a `columns` check that did not hold: the columns the downstream reads and those the
    /// file has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<ColumnsSeen>,
}

/// The columns an edge's `columns` check expected and those it found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnsSeen {
    /// The file, relative to the channel.
    pub file: String,
    /// The columns the downstream step reads (`reads.columns`).
    pub expected: Vec<String>,
    /// The columns the file has.
    pub found: Vec<String>,
}

impl EdgeCheck {
    pub(super) fn held(check: Check) -> EdgeCheck {
        EdgeCheck {
            check,
            passed: true,
            message: None,
            columns: None,
        }
    }

    /// `expected` are the columns the downstream reads.
    pub(super) fn failed(failure: &CheckFailure, expected: &[String]) -> EdgeCheck {
        let columns = match &*failure.problem {
            Problem::MissingColumn { file, present, .. } => Some(ColumnsSeen {
                file: file.clone(),
                expected: expected.to_vec(),
                found: present.clone(),
            }),
            _ => None,
        };
        EdgeCheck {
            check: failure.check(),
            passed: false,
            message: Some(failure.to_string()),
            columns,
        }
    }
}

impl PipelineResult {
    /// True when the status is PASS.
    pub fn is_successful(&self) -> bool {
        self.status == Status::Pass
    }

    /// The step called `name`.
    pub fn step(&self, name: &str) -> Option<&StepResult> {
        self.steps.iter().find(|s| s.name == name)
    }

    /// The first reason the pipeline failed, in step order.
    pub fn first_failure(&self) -> Option<String> {
        if let Some(e) = &self.error {
            return Some(e.clone());
        }
        self.steps
            .iter()
            .find_map(|s| match s.status {
                Status::Pass => None,
                Status::Fail => Some(format!(
                    "step {} failed: {}",
                    s.name,
                    s.result
                        .as_ref()
                        .and_then(|r| r.error_message.clone())
                        .unwrap_or_else(|| "no reason given".to_owned())
                )),
                Status::Skip => Some(format!(
                    "step {} did not run: {}",
                    s.name,
                    s.skipped_because.as_deref().unwrap_or("skipped")
                )),
            })
            .or_else(|| (!self.is_successful()).then(|| "the pipeline failed".to_owned()))
    }

    /// A failing result for a pipeline that could not run at all, saying why.
    pub(crate) fn not_run(p: &Pipeline, error: String) -> PipelineResult {
        PipelineResult {
            name: p.name.clone(),
            status: Status::Fail,
            steps: Vec::new(),
            edges: Vec::new(),
            wall_time: 0.0,
            critical_path: Vec::new(),
            critical_path_time: 0.0,
            workspace: p.workspace_root.clone(),
            timestamp: Utc::now(),
            error: Some(error),
        }
    }

    /// The whole run as one test result (the run directory's `result.json`, which
    /// `sf list-results` reads): `pipeline::NAME`, the status, the wall time, the largest peak
    /// memory of any step, the first failure and the run directory.
    pub fn summary_result(&self) -> TestResult {
        let ran = || self.steps.iter().filter_map(|s| s.result.as_ref());
        TestResult {
            execution_time: self.wall_time,
            memory_usage: ran().map(|r| r.memory_usage).fold(0.0, f64::max),
            timestamp: self.timestamp,
            ..TestResult::not_run(
                format!("{PIPELINE_PREFIX}{}", self.name),
                ran().next().map_or(DEFAULT_SEED, |r| r.seed),
                Expectation::Pass,
                self.status,
                self.workspace.clone(),
                self.first_failure(),
            )
        }
    }
}
