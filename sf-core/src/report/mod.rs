//! Reports: a test result (or many) rendered for people and for machines.

mod text;

pub use text::{render_listing, render_text};

use crate::result::TestResult;

/// The result as pretty JSON (the same document as the workspace's `result.json`).
pub fn render_json(result: &TestResult) -> String {
    serde_json::to_string_pretty(result).expect("a TestResult always serialises")
}
