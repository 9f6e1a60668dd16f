//! A suite's entries in words: the message of a failed entry, for the harness and `sf test`.

use super::render_text;
use crate::result::TestResult;
use crate::suite::{EntryOutcome, EntryRun};

/// What the details of a run add before its report: a property run's summary, or a failed
/// pipeline's steps and edges.
fn details(run: &EntryRun) -> Option<String> {
    match &run.outcome {
        EntryOutcome::ScriptProperty(report) => Some(super::property_summary(report)),
        EntryOutcome::Pipeline(result) if !result.is_successful() => {
            Some(super::pipeline::render_text(result, false))
        }
        EntryOutcome::PipelineProperty(report) => super::pipeline_property_summary(report),
        EntryOutcome::Script | EntryOutcome::Pipeline(_) | EntryOutcome::NotRun => None,
    }
}

/// The message of a failed entry: its details, then the report and the command that replays it.
pub fn failure_text(run: &EntryRun) -> String {
    let mut text = details(run).map(|s| s + "\n").unwrap_or_default();
    text.push_str(&failure_message(&run.result, &run.replay));
    text
}

/// The message of a failing test in a test harness: the full text report (status, error,
/// traceback, stderr tail, workspace), the seed, and the command that replays the test.
pub fn failure_message(result: &TestResult, replay: &str) -> String {
    let mut text = render_text(result, false);
    let kept = if result.workspace.exists() {
        "kept for inspection"
    } else {
        "removed"
    };
    text.push_str(&format!(
        "  workspace is {kept}; data seed {}\n  replay: {replay}\n",
        result.seed
    ));
    text
}
