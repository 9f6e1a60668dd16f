//! The machine-readable report of one result.

use crate::result::TestResult;

/// The result as pretty JSON (the same document as the workspace's `result.json`).
pub fn render_json(result: &TestResult) -> String {
    serde_json::to_string_pretty(result).expect("a TestResult always serialises")
}
