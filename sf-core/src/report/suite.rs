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
/// An entry that never ran (sf was interrupted first) has no workspace or run to replay: its
/// status and reason only.
pub fn failure_text(run: &EntryRun) -> String {
    if matches!(run.outcome, EntryOutcome::NotRun) {
        return render_text(&run.result, false);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::Status;
    use crate::spec::TestSpec;
    use crate::suite::{Entry, EntryKind};

    #[test]
    fn an_entry_that_never_ran_has_no_workspace_or_replay_lines() {
        let entry = Entry {
            name: "a::small".into(),
            kind: EntryKind::Script(Box::new(TestSpec::new("a"))),
            ignored: false,
            property: None,
        };
        let run = entry.not_run(
            Status::Skip,
            "not run: sf was interrupted",
            std::path::Path::new("sf.toml"),
        );
        let text = failure_text(&run);
        assert!(text.contains("SKIP"), "{text}");
        assert!(text.contains("not run: sf was interrupted"), "{text}");
        assert!(!text.contains("replay:"), "{text}");
        assert!(!text.contains("workspace is"), "{text}");
    }
}
