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
use sf_core::config::{self, CONFIG_FILE};
use sf_core::{KeepWorkspace, Suite, report};

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
    let conclusion = libtest_mimic::run(&args, trials(&suite));
    match sf_core::interrupt::interrupted() {
        Some(signal) => ExitCode::from(sf_core::interrupt::exit_status(signal)),
        None => conclusion.exit_code(),
    }
}

/// One trial per entry of `suite`. Building them costs no script run: a trial runs its script
/// only when selected.
pub fn trials(suite: &Suite) -> Vec<Trial> {
    let keep = keep_policy();
    suite
        .entries
        .iter()
        .map(|entry| {
            let entry = entry.clone();
            let config = suite.config.clone();
            let ignored = entry.ignored;
            Trial::test(entry.name.clone(), move || {
                let run = entry.run(keep, &config);
                if run.is_successful() {
                    Ok(())
                } else {
                    Err(Failed::from(report::failure_text(&run)))
                }
            })
            .with_ignored_flag(ignored)
        })
        .collect()
}
