//! Property mode finds the planted bug of examples/scripts/amount_summary.py, shrinks it to a
//! handful of rows saved as real files, and the replay command reproduces it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::examples_test_binary;

fn run_property_test(regressions: &Path) -> (i32, String) {
    let out = Command::new(examples_test_binary("properties"))
        .args(["--ignored", "--exact", "amount_summary_handles_any_amount"])
        .env("SF_REGRESSIONS_DIR", regressions)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_planted_bug_is_found_shrunk_saved_and_replayed() {
    let regressions = tempfile::tempdir().unwrap();
    let (code, out) = run_property_test(regressions.path());
    assert_eq!(code, 101, "{out}");
    let summary = out
        .lines()
        .find(|l| l.starts_with("property test failed after"))
        .unwrap();
    let rows: usize = summary
        .split(" to input: ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no minimal row count in {summary}"));
    assert!(rows <= 2, "shrunk only to {rows} rows: {summary}");
    assert_eq!(
        out.matches("property test failed").count(),
        1,
        "said once: {out}"
    );
    // The panic points at the user's test, not into sf.
    let location = out
        .lines()
        .find_map(|l| l.split("panicked at ").nth(1))
        .unwrap_or_else(|| panic!("no panic location in {out}"));
    assert!(location.contains("tests/properties.rs"), "{location}");

    // The bundle holds the minimal dataset as a real CSV file.
    let bundle = PathBuf::from(
        out.lines()
            .find_map(|l| l.strip_prefix("failure bundle: "))
            .unwrap(),
    );
    let csv = std::fs::read_dir(bundle.join("inputs/input"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), rows + 1, "{text}");
    assert!(
        text.starts_with("from_currency,to_currency,amount,date\n"),
        "{text}"
    );
    assert!(bundle.join("bundle.json").is_file() && bundle.join("context.json").is_file());

    // The replay command reproduces the failure from the command line.
    let replay = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: sf "))
        .unwrap();
    // Its workspace goes to a temporary directory, not into the repository.
    let workspaces = tempfile::tempdir().unwrap();
    let again = Command::new(env!("CARGO_BIN_EXE_sf"))
        .args(replay.split(' '))
        .arg("--workspace-dir")
        .arg(workspaces.path())
        .arg("--output-format")
        .arg("json")
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    let result: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    let error = result["error_message"].as_str().unwrap();
    assert!(
        error.starts_with("ValueError") || error.starts_with("OverflowError"),
        "{error}"
    );

    // Next time the saved bundle is replayed first, without generating new cases.
    let (code, out) = run_property_test(regressions.path());
    assert_eq!(code, 101);
    assert!(
        out.contains(&format!(
            "a saved failure bundle still fails: {}",
            bundle.display()
        )),
        "{out}"
    );
}
