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

use libtest_mimic::{Arguments, Failed, Trial};
use sf_core::config::CONFIG_FILE;
use sf_core::{KeepWorkspace, PipelineTest, Suite, SuiteItem, SuiteRun, SuiteTest, report};

use crate::exit_code;

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
    let suite = match Suite::load(&path) {
        Ok(suite) => suite,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(exit_code::USAGE);
        }
    };
    sf_core::interrupt::install();
    let conclusion = libtest_mimic::run(&args, trials(&suite));
    match sf_core::interrupt::interrupted() {
        Some(signal) => ExitCode::from(sf_core::interrupt::exit_status(signal)),
        None => conclusion.exit_code(),
    }
}

/// One trial per test of `suite`. Building them costs no script run: a trial runs its script
/// only when selected.
pub fn trials(suite: &Suite) -> Vec<Trial> {
    let keep = keep_policy();
    suite
        .items()
        .into_iter()
        .map(|item| {
            let replay = replay_command(suite, item.name());
            let (name, ignored) = (item.name().to_owned(), item.ignored());
            let config = suite.config.clone();
            // Trials must own what they run.
            let owned = match item {
                SuiteItem::Script(t) => Owned::Script(Box::new(t.clone())),
                SuiteItem::Pipeline(p) => Owned::Pipeline(Box::new(p.clone())),
            };
            Trial::test(name, move || {
                let item = match &owned {
                    Owned::Script(t) => SuiteItem::Script(t),
                    Owned::Pipeline(p) => SuiteItem::Pipeline(p),
                };
                let run = item.run(keep, &config);
                if run.result.is_successful() {
                    Ok(())
                } else {
                    Err(Failed::from(failure_text(&run, &replay)))
                }
            })
            .with_ignored_flag(ignored)
        })
        .collect()
}

enum Owned {
    Script(Box<SuiteTest>),
    Pipeline(Box<PipelineTest>),
}

/// The message of a failed test: a property run's summary, then the report and the replay
/// command (the bundle's, for a property failure).
pub fn failure_text(run: &SuiteRun, replay: &str) -> String {
    let mut text = run.summary.clone().map(|s| s + "\n").unwrap_or_default();
    text.push_str(&report::failure_message(
        &run.result,
        run.replay.as_deref().unwrap_or(replay),
    ));
    text
}

/// The command that runs exactly one test of a suite from the command line.
pub fn replay_command(suite: &Suite, name: &str) -> String {
    format!(
        "sf test --config {} --exact {}",
        sf_core::shell_quote(&suite.config.to_string_lossy()),
        sf_core::shell_quote(name)
    )
}
