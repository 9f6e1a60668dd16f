//! Running an entry of a suite: a script, a pipeline, or either in property mode, into a typed
//! [`EntryRun`].

use std::path::Path;

use serde::Serialize;

use super::entry::{Entry, EntryKind, replay_command};
use crate::pipeline::run_or_report;
use crate::pipeline::{
    PipelineOptions, PipelinePropertyReport, PipelineResult, run_pipeline_property,
};
use crate::property::{PropertyConfig, PropertyReport, run_property};
use crate::result::{Status, TestResult};
use crate::spec::Expectation;
use crate::spec::{DEFAULT_SEED, KeepWorkspace};
use crate::workspace::is_workspace;

/// What running one [`Entry`] gave.
#[derive(Debug, Clone, Serialize)]
pub struct EntryRun {
    /// The entry's name.
    pub name: String,
    /// The result as one row of a suite report: of the single run, of the minimal failing
    /// dataset of a property run (a passing property run gives a PASS with its total time), or
    /// of the whole pipeline.
    pub result: TestResult,
    /// What ran, with its own details.
    pub outcome: EntryOutcome,
    /// The command that replays the failure from the command line: the test by name, or a
    /// property failure on its bundle.
    pub replay: String,
}

/// The details of an [`EntryRun`], by kind of entry.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryOutcome {
    /// A single script run; [`EntryRun::result`] is its result.
    Script,
    /// A property run of a script.
    ScriptProperty(Box<PropertyReport>),
    /// A pipeline run.
    Pipeline(Box<PipelineResult>),
    /// A property run of a pipeline.
    PipelineProperty(Box<PipelinePropertyReport>),
    /// The entry did not run (for example: sf was interrupted first).
    NotRun,
}

impl EntryRun {
    /// True when the result is a PASS.
    pub fn is_successful(&self) -> bool {
        self.result.is_successful()
    }
}

impl Entry {
    /// Runs the entry with the given workspace policy; `config` names the configuration file in
    /// replay commands. Never panics on anything a script does.
    pub fn run(&self, keep: KeepWorkspace, config: &Path) -> EntryRun {
        let by_name = replay_command(config, &self.name);
        match (&self.kind, &self.property) {
            (EntryKind::Script(spec), None) => {
                let spec = (**spec).clone().keep_workspace(keep);
                let result = crate::engine::run(&spec);
                // A kept workspace holds the very inputs of this run: the replay reads them.
                let replay = if !result.is_successful() && is_workspace(&result.workspace) {
                    spec.replay_command(result.script_path.as_deref(), &result.workspace)
                } else {
                    by_name
                };
                self.done(result, EntryOutcome::Script, replay)
            }
            (EntryKind::Script(spec), Some(property)) => {
                let spec = (**spec).clone().keep_workspace(keep);
                let report = run_property(&spec, property);
                let (result, replay) =
                    self.property_row(&report, TestResult::clone, property, by_name);
                self.done(
                    result,
                    EntryOutcome::ScriptProperty(Box::new(report)),
                    replay,
                )
            }
            (EntryKind::Pipeline(pipeline), None) => {
                let options = PipelineOptions {
                    keep,
                    ..PipelineOptions::default()
                };
                let result = run_or_report(pipeline, &options);
                self.done(
                    result.summary_result(),
                    EntryOutcome::Pipeline(Box::new(result)),
                    by_name,
                )
            }
            (EntryKind::Pipeline(pipeline), Some(property)) => {
                let options = PipelineOptions {
                    keep,
                    ..PipelineOptions::default()
                };
                let report = run_pipeline_property(pipeline, property, &options);
                let (result, replay) =
                    self.property_row(&report, PipelineResult::summary_result, property, by_name);
                self.done(
                    result,
                    EntryOutcome::PipelineProperty(Box::new(report)),
                    replay,
                )
            }
        }
    }

    /// This test on the data of an earlier run (`sf test --exact NAME --data-from DIR`): a
    /// script test's input channels are filled from the folders under `dir/inputs/` (a kept
    /// workspace or a failure bundle; see [`TestSpec::inputs_from`](crate::TestSpec::inputs_from)), a pipeline's source
    /// channels from the folders `dir/inputs/<step>/<channel>/` of its bundle. Checks, environment, job arguments, layout, command line and limits stay.
    /// A property test runs once, on that data, as one of its cases: with the output checks its
    /// cases keep.
    pub fn with_data_from(&self, dir: &Path) -> std::io::Result<Entry> {
        let kind = match (&self.kind, &self.property) {
            (EntryKind::Script(spec), property) => {
                let mut spec = (**spec).clone().inputs_from(dir)?;
                if let Some(property) = property {
                    property.case_checks(&mut spec);
                }
                EntryKind::Script(Box::new(spec))
            }
            (EntryKind::Pipeline(pipeline), property) => {
                let mut pipeline = (**pipeline).clone().data_from(dir)?;
                if let Some(property) = property {
                    property.case_pipeline(&mut pipeline);
                }
                EntryKind::Pipeline(Box::new(pipeline))
            }
        };
        Ok(Entry {
            name: self.name.clone(),
            kind,
            ignored: self.ignored,
            property: None,
        })
    }

    /// A property run as one row and its replay command: the minimal failure's result and the
    /// command that replays its bundle, or a PASS with the run's total time.
    fn property_row<R>(
        &self,
        report: &PropertyReport<R>,
        row: impl Fn(&R) -> TestResult,
        property: &PropertyConfig,
        by_name: String,
    ) -> (TestResult, String) {
        match &report.failure {
            Some(f) if f.replay.is_empty() => (row(&f.result), by_name),
            Some(f) => (row(&f.result), f.replay.clone()),
            None => (
                TestResult {
                    execution_time: report.elapsed.as_secs_f64(),
                    memory_usage: report.peak_memory_mb,
                    workspace: property.bundle_dir.clone(),
                    ..self.not_run_result(Status::Pass, None)
                },
                by_name,
            ),
        }
    }

    /// The run of an entry that did not run, with `status` and the reason.
    pub fn not_run(&self, status: Status, reason: &str, config: &Path) -> EntryRun {
        self.done(
            self.not_run_result(status, Some(reason.to_owned())),
            EntryOutcome::NotRun,
            replay_command(config, &self.name),
        )
    }

    fn not_run_result(&self, status: Status, reason: Option<String>) -> TestResult {
        match &self.kind {
            EntryKind::Script(spec) => TestResult::not_run(
                spec.script_name(),
                spec.seed,
                spec.expect,
                status,
                spec.workspace_root.clone(),
                reason,
            ),
            EntryKind::Pipeline(p) => TestResult::not_run(
                self.name.clone(),
                p.steps.first().map_or(DEFAULT_SEED, |s| s.spec.seed),
                Expectation::Pass,
                status,
                p.workspace_root.clone(),
                reason,
            ),
        }
    }

    fn done(&self, result: TestResult, outcome: EntryOutcome, replay: String) -> EntryRun {
        EntryRun {
            name: self.name.clone(),
            result,
            outcome,
            replay,
        }
    }
}
