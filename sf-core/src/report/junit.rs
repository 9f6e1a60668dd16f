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
    document(
        suite,
        entries.iter().map(|entry| match &entry.result {
            None => bare_case(&entry.name, None, Status::Skip, Some("ignored")),
            Some(r) => result_case(&entry.name, r),
        }),
    )
}

/// One `<testsuite>` of `cases` as a document.
pub(crate) fn document(suite: &str, cases: impl IntoIterator<Item = TestCase>) -> String {
    let mut report = Report::new("sf");
    let mut ts = TestSuite::new(suite);
    for case in cases {
        ts.add_test_case(case);
    }
    report.add_test_suite(ts);
    report
        .to_string()
        .unwrap_or_else(|e| format!("<!-- cannot render JUnit: {e} -->\n"))
}

/// A case with no result to show, only a status and why: an ignored test, a skipped step, a
/// step sf could not run.
pub(crate) fn bare_case(
    name: &str,
    classname: Option<&str>,
    status: Status,
    message: Option<&str>,
) -> TestCase {
    let mut case_status = match status {
        Status::Pass => TestCaseStatus::success(),
        Status::Skip => TestCaseStatus::skipped(),
        Status::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
    };
    match (message, status) {
        (Some(m), _) => case_status.set_message(clean(m)),
        (None, Status::Fail) => case_status.set_message("failed"),
        (None, _) => &mut case_status,
    };
    let mut case = TestCase::new(name, case_status);
    if let Some(c) = classname {
        case.set_classname(c);
    }
    case
}

/// A case for a result: its status, error, report, time and output tails.
pub(crate) fn result_case(name: &str, r: &TestResult) -> TestCase {
    let status = match r.status {
        Status::Pass => TestCaseStatus::success(),
        Status::Skip => {
            return bare_case(
                name,
                Some(&r.script_name),
                Status::Skip,
                r.error_message.as_deref(),
            );
        }
        Status::Fail => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(clean(r.error_message.as_deref().unwrap_or("failed")));
            s.set_description(clean(&super::render_text(r, false)));
            s
        }
    };
    let mut case = TestCase::new(name, status);
    case.set_classname(r.script_name.as_str());
    case.set_time(Duration::from_secs_f64(r.execution_time.max(0.0)));
    if let Some(e) = &r.execution {
        case.add_property(quick_junit::Property::new(
            "start",
            e.start.kind.to_string(),
        ));
        case.set_system_out(clean(&e.stdout_tail));
        case.set_system_err(clean(&e.stderr_tail));
    }
    case
}

/// Removes characters XML 1.0 cannot carry at all (control characters other than tab and line
/// breaks); the writer escapes the rest.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .collect()
}
