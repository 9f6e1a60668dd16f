//! The libtest-mimic harness: every test `sf.toml` describes becomes a libtest trial, so
//! `cargo test`, `cargo nextest run` (including `--partition`), IDE run buttons, `--list`,
//! `--exact`, `--skip` and `--ignored` work on scripts as they do on Rust tests.
//!
//! ```toml
//! # Cargo.toml of a script repository
//! [[test]]
//! name = "scripts"
//! harness = false
//! ```
//! ```text
//! // tests/scripts.rs
//! fn main() -> std::process::ExitCode { sf::harness::main() }
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use libtest_mimic::{Arguments, Failed, Trial};
use sf_core::config::{self, CONFIG_FILE};
use sf_core::{EntryRun, KeepWorkspace, Suite, report};

use crate::exit_code;
use crate::publish::{Finished, publish};

/// The environment variable that names the HTML report's file (over `[report] html`).
pub const REPORT_HTML_ENV: &str = "SF_REPORT_HTML";

/// Where the harness writes the HTML report: `SF_REPORT_HTML`, else `[report] html` of the
/// configuration, else nowhere.
pub fn report_html_path(suite: &Suite) -> Option<PathBuf> {
    std::env::var_os(REPORT_HTML_ENV)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| suite.report.html.clone())
}

/// Where the harness looks for its configuration: `SF_CONFIG`, else `sf.toml` in the package's
/// manifest directory (`CARGO_MANIFEST_DIR`, set by cargo and nextest), else in the current
/// directory.
pub fn config_path() -> PathBuf {
    if let Some(path) = std::env::var_os("SF_CONFIG").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(CONFIG_FILE)
}

/// Whether `SF_KEEP_WORKSPACE=1` asks to keep the workspaces of passing tests too.
pub fn keep_policy() -> KeepWorkspace {
    match std::env::var("SF_KEEP_WORKSPACE").as_deref() {
        Ok("1") | Ok("true") | Ok("yes") => KeepWorkspace::Always,
        _ => KeepWorkspace::OnFailure,
    }
}

/// Runs the harness: parses libtest's command line, loads the configuration, and runs (or lists)
/// one trial per test. A configuration error is printed and ends the process with exit code 2
/// before any test runs.
pub fn main() -> ExitCode {
    let args = Arguments::from_args();
    let path = config_path();
    let mut suite = match config::load(&path) {
        Ok(suite) => suite,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(exit_code::USAGE);
        }
    };
    if sf_core::accept_from_env() {
        suite.golden(false, true);
    }
    sf_core::interrupt::install();
    let runs = Arc::new(Mutex::new(Vec::new()));
    let started = chrono::Utc::now();
    let clock = Instant::now();
    let conclusion = libtest_mimic::run(&args, recording_trials(&suite, Some(runs.clone())));
    let mut report_failed = false;
    if !args.list {
        let mut runs = runs.lock().map(|r| r.clone()).unwrap_or_default();
        runs.sort_by(|a: &EntryRun, b| a.name.cmp(&b.name));
        let mut html = report_html_path(&suite);
        // Each of nextest's processes runs one test: a page per process would keep only the
        // last; the history still gets every test.
        if html.is_some() && std::env::var_os("NEXTEST_RUN_ID").is_some() {
            html = None;
        }
        let finished = Finished {
            title: format!("cargo test: {}", suite.config.display()),
            runs: &runs,
            started,
            wall_time: clock.elapsed().as_secs_f64(),
            workspace_root: &suite.workspace_root,
        };
        if let Err(err) = publish(&finished, html.as_deref()) {
            eprintln!("error: {}", sf_core::engine::error_chain(&err));
            report_failed = true;
        } else if let Some(path) = &html {
            eprintln!("sf: HTML report written to {}", path.display());
        }
    }
    match sf_core::interrupt::interrupted() {
        Some(signal) => ExitCode::from(sf_core::interrupt::exit_status(signal)),
        None if report_failed => ExitCode::from(exit_code::FAIL),
        None => conclusion.exit_code(),
    }
}

/// One trial per entry of `suite`. Building them costs no script run: a trial runs its script
/// only when selected.
pub fn trials(suite: &Suite) -> Vec<Trial> {
    recording_trials(suite, None)
}

/// [`trials`], each also pushing its run into `sink` for the reports written after them.
fn recording_trials(suite: &Suite, sink: Option<Arc<Mutex<Vec<EntryRun>>>>) -> Vec<Trial> {
    let keep = keep_policy();
    suite
        .entries
        .iter()
        .map(|entry| {
            let entry = entry.clone();
            let config = suite.config.clone();
            let ignored = entry.ignored;
            let sink = sink.clone();
            Trial::test(entry.name.clone(), move || {
                let run = entry.run(keep, &config);
                let verdict = if run.is_successful() {
                    Ok(())
                } else {
                    Err(Failed::from(report::failure_text(&run)))
                };
                if let Some(sink) = &sink
                    && let Ok(mut runs) = sink.lock()
                {
                    runs.push(run);
                }
                verdict
            })
            .with_ignored_flag(ignored)
        })
        .collect()
}
