//! Reports: every renderer, for people and for machines, reading typed results: a script's
//! result, a suite, a pipeline, a property run (text, JSON, JUnit, Mermaid, DOT).

mod junit;
pub mod pipeline;
mod property;
mod suite;
mod text;

pub use junit::{NamedResult, render_junit};
pub use property::{pipeline_property_summary, property_summary};
pub use suite::failure_text;
pub(crate) use text::{paint, status_style};
pub use text::{render_listing, render_summary, render_text};

use crate::result::TestResult;

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

/// The result as pretty JSON (the same document as the workspace's `result.json`).
pub fn render_json(result: &TestResult) -> String {
    serde_json::to_string_pretty(result).expect("a TestResult always serialises")
}
