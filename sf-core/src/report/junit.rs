//! JUnit XML, the report format CI systems read.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::result::{Status, TestResult};

/// One named entry of a suite report: a result, or `None` for a test that was not run (ignored).
#[derive(Debug, Clone)]
pub struct NamedResult {
    /// The test name (`script::variant`).
    pub name: String,
    /// What happened; `None` when the test was ignored.
    pub result: Option<TestResult>,
}

/// A JUnit XML document with one `<testsuite name="suite">` and one test case per entry. Script
/// output is escaped by the XML writer and stripped of ANSI escapes, so nothing a script prints can
/// break the document.
pub fn render_junit(suite: &str, entries: &[NamedResult]) -> String {
    let mut report = Report::new("sf");
    let mut ts = TestSuite::new(suite);
    for entry in entries {
        let case = match &entry.result {
            None => {
                let mut status = TestCaseStatus::skipped();
                status.set_message("ignored");
                TestCase::new(entry.name.as_str(), status)
            }
            Some(r) => {
                let status = match r.status {
                    Status::Pass => TestCaseStatus::success(),
                    Status::Skip => {
                        let mut s = TestCaseStatus::skipped();
                        if let Some(m) = &r.error_message {
                            s.set_message(clean(m));
                        }
                        s
                    }
                    Status::Fail => {
                        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                        s.set_message(clean(r.error_message.as_deref().unwrap_or("failed")));
                        s.set_description(clean(&super::render_text(r, false)));
                        s
                    }
                };
                let mut case = TestCase::new(entry.name.as_str(), status);
                case.set_classname(r.script_name.as_str());
                case.set_time(Duration::from_secs_f64(r.execution_time.max(0.0)));
                if let Some(e) = &r.execution {
                    case.set_system_out(clean(&e.stdout_tail));
                    case.set_system_err(clean(&e.stderr_tail));
                }
                case
            }
        };
        ts.add_test_case(case);
    }
    report.add_test_suite(ts);
    report
        .to_string()
        .unwrap_or_else(|e| format!("<!-- cannot render JUnit: {e} -->\n"))
}

/// Removes characters XML 1.0 cannot carry at all (control characters other than tab and line
/// breaks); the writer escapes the rest.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .collect()
}
