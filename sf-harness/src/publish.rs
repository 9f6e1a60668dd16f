//! What a run leaves besides what it prints: its lines in the history of results and, when
//! asked, the HTML report.

use std::path::Path;

use chrono::{DateTime, Utc};
use sf_core::history::{History, HistoryRecord};
use sf_core::report::{HtmlError, HtmlReport, write_html};
use sf_core::{EntryOutcome, EntryRun};

/// The runs of one invocation, finished (or stopped by an interruption).
pub(crate) struct Finished<'a> {
    /// What ran, for the page's title.
    pub(crate) title: String,
    pub(crate) runs: &'a [EntryRun],
    pub(crate) started: DateTime<Utc>,
    pub(crate) wall_time: f64,
    /// Where the history is kept.
    pub(crate) workspace_root: &'a Path,
}

/// Appends the runs that happened to the history of the workspace root (a history that cannot
/// be written is a warning: no test fails for it) and, when `html` is given, writes the page of
/// these runs and their history. Only writing the page can fail.
pub(crate) fn publish(finished: &Finished<'_>, html: Option<&Path>) -> Result<(), HtmlError> {
    let records: Vec<HistoryRecord> = finished
        .runs
        .iter()
        .filter(|r| !matches!(r.outcome, EntryOutcome::NotRun))
        .map(|r| HistoryRecord::of(finished.started, &r.name, &r.result))
        .collect();
    let history = History::in_root(finished.workspace_root);
    if let Err(err) = history.append(&records) {
        eprintln!("warning: {}", sf_core::engine::error_chain(&err));
    }
    let Some(path) = html else {
        return Ok(());
    };
    let all = history.read().unwrap_or_else(|err| {
        eprintln!("warning: {}", sf_core::engine::error_chain(&err));
        Vec::new()
    });
    let interrupted = sf_core::interrupt::interrupted_by().map(|signal| {
        format!(
            "sf received {signal} and stopped: this page shows the tests that completed; the \
             others are SKIP, not run"
        )
    });
    write_html(
        path,
        &HtmlReport {
            title: finished.title.clone(),
            runs: finished.runs,
            started: finished.started,
            wall_time: finished.wall_time,
            history: &all,
            interrupted,
        },
    )
}
