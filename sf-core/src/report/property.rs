//! Property runs in words: cases, shrinking, the minimal dataset and its bundle.

use std::collections::BTreeMap;
use std::path::Path;

use crate::pipeline::PipelinePropertyReport;
use crate::property::PropertyReport;

/// One paragraph about a property run: cases, shrinking, the minimal dataset and its bundle.
pub fn property_summary(report: &PropertyReport) -> String {
    let secs = report.elapsed.as_secs_f64();
    let replayed = match report.replayed_bundles.len() {
        0 => String::new(),
        n => format!(", after replaying {n} saved bundle(s)"),
    };
    match &report.failure {
        None => format!(
            "property test passed: {} cases in {secs:.2} s{replayed}",
            report.cases_run
        ),
        Some(f) if f.from_saved_bundle => format!(
            "a saved failure bundle still fails: {}\n(fix the script, then the bundle passes and stays as a regression test)",
            f.bundle.display()
        ),
        Some(f) => {
            let mut text = failure_headline(
                "property test",
                report.cases_run,
                &replayed,
                report.shrink_steps,
                &f.minimal_rows,
                secs,
                &f.bundle,
            );
            if let Some(note) = &f.note {
                text.push_str(&format!("\nnote: {note}"));
            }
            text
        }
    }
}

/// One paragraph about a pipeline property run that failed, followed by the pipeline's report;
/// `None` when it passed.
pub fn pipeline_property_summary(report: &PipelinePropertyReport) -> Option<String> {
    let f = report.failure.as_ref()?;
    let head = if f.from_saved_bundle {
        format!("a saved failure bundle still fails: {}", f.bundle.display())
    } else {
        failure_headline(
            "pipeline property test",
            report.cases_run,
            "",
            report.shrink_steps,
            &f.minimal_rows,
            report.elapsed.as_secs_f64(),
            &f.bundle,
        )
    };
    Some(format!(
        "{head}\n{}",
        super::pipeline::render_text(&f.result, false)
    ))
}

/// The first line of a property failure: cases, shrink steps, the minimal dataset, the time, and
/// the bundle. `what` names the subject (`property test`, `pipeline property test`).
fn failure_headline(
    what: &str,
    cases_run: u32,
    replayed: &str,
    shrink_steps: u32,
    minimal_rows: &BTreeMap<String, usize>,
    secs: f64,
    bundle: &Path,
) -> String {
    let rows = if minimal_rows.is_empty() {
        "no generated rows".to_owned()
    } else {
        minimal_rows
            .iter()
            .map(|(c, n)| format!("{c}: {n} row(s)"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "{what} failed after {cases_run} case(s){replayed}; shrunk in {shrink_steps} step(s) to {rows} in {secs:.2} s\nfailure bundle: {}",
        bundle.display()
    )
}
