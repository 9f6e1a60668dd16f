//! Property runs in words: cases, shrinking, the minimal dataset and its bundle.

use crate::pipeline::{PipelinePropertyReport, PipelineResult};
use crate::property::PropertyReport;
use crate::result::TestResult;

/// One paragraph about a script's property run: cases, shrinking, the minimal dataset, its
/// bundle, and any note.
pub fn property_summary(report: &PropertyReport<TestResult>) -> String {
    summary("property test", report)
}

/// One paragraph about a pipeline property run that failed, then the failing run's steps and
/// edges; `None` when it passed.
pub fn pipeline_property_summary(report: &PipelinePropertyReport) -> Option<String> {
    let failure = report.failure.as_ref()?;
    Some(format!(
        "{}\n{}",
        summary::<PipelineResult>("pipeline property test", report),
        super::pipeline::render_text(&failure.result, false)
    ))
}

/// `what` names the subject (`property test`, `pipeline property test`).
fn summary<R>(what: &str, report: &PropertyReport<R>) -> String {
    let secs = report.elapsed.as_secs_f64();
    let mut replayed = match report.replayed_bundles.len() {
        0 => String::new(),
        n => format!(", after replaying {n} saved bundle(s)"),
    };
    if report.out_of_contract > 0 {
        replayed.push_str(&format!(
            ", {} case(s) discarded as out of the contract (an edge check failed on generated data)",
            report.out_of_contract
        ));
    }
    if let Some(first) = report.kept_cases.first() {
        let folder = first.parent().unwrap_or(first);
        replayed.push_str(&format!(
            ", {} passing case(s) kept in {}",
            report.kept_cases.len(),
            folder.display()
        ));
    }
    let Some(f) = &report.failure else {
        return format!(
            "{what} passed: {} cases in {secs:.2} s{replayed} (start: {})",
            report.cases_run,
            report.starts.describe()
        );
    };
    if f.from_saved_bundle {
        return format!(
            "a saved failure bundle still fails: {} (start: {})\n(fix the script, then the bundle passes and stays as a regression test)",
            f.bundle.display(),
            report.starts.describe()
        );
    }
    let rows = if f.minimal_rows.is_empty() {
        "no generated rows".to_owned()
    } else {
        f.minimal_rows
            .iter()
            .map(|(c, n)| format!("{c}: {n} row(s)"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let bundle = if f.bundle.as_os_str().is_empty() {
        "none".to_owned()
    } else {
        f.bundle.display().to_string()
    };
    let shrunk = match report.shrink_end {
        Some(crate::property::ShrinkEnd::BudgetReached) => {
            " (shrink budget reached: a smaller failing dataset may exist)"
        }
        Some(crate::property::ShrinkEnd::Minimal) => " (minimal)",
        None => "",
    };
    let mut text = format!(
        "{what} failed after {} case(s){replayed}; shrunk in {} step(s) to {rows}{shrunk} in {secs:.2} s (start: {})\nfailure bundle: {bundle}",
        report.cases_run,
        report.shrink_steps,
        report.starts.describe()
    );
    if let Some(note) = &f.note {
        text.push_str(&format!("\nnote: {note}"));
    }
    text
}
