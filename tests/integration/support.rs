//! Shared helpers: a scratch current directory per test and the paths of fixtures and examples.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scripts")
}

pub(crate) fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scripts")
}

/// A scratch directory that serves as the current directory of `sf`.
pub(crate) struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    pub(crate) fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `sf` with this sandbox as its current directory and a clean logging environment.
    pub(crate) fn sf(&self) -> Command {
        Command::from_std(self.sf_std())
    }

    /// The same as [`Sandbox::sf`], as a std command (for running several at once).
    pub(crate) fn sf_std(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_sf"));
        cmd.current_dir(self.path())
            .env_remove("RUST_LOG")
            .env_remove("SF_PYTHON")
            .env("NO_COLOR", "1");
        cmd
    }

    /// Runs `sf test-script SCRIPT --output-format json ARGS...` with the fixtures directory on
    /// the search path; returns the exit code and the parsed result.
    pub(crate) fn test_script(&self, script: &str, args: &[&str]) -> (i32, Value) {
        let out = self
            .sf()
            .args([
                "test-script",
                script,
                "--output-format",
                "json",
                "--scripts-dir",
            ])
            .arg(fixtures())
            .arg("--scripts-dir")
            .arg(examples())
            .args(args)
            .output()
            .unwrap();
        json_result(&out)
    }
}

/// The exit code of an `sf … --output-format json` run and the result it printed.
pub(crate) fn json_result(out: &std::process::Output) -> (i32, Value) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "sf did not print a JSON result ({e}); stdout:\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

/// A test binary of the `sf-examples` package, built (if needed) by cargo.
pub(crate) fn examples_test_binary(target: &str) -> PathBuf {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "test",
            "-p",
            "sf-examples",
            "--test",
            target,
            "--no-run",
            "--message-format=json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|m| m["target"]["name"] == target && m["executable"].is_string())
        .map(|m| PathBuf::from(m["executable"].as_str().unwrap()))
        .expect("cargo reported the test executable")
}

/// Entries of `dir` by name, sorted.
pub(crate) fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
