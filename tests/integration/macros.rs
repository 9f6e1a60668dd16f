//! `#[script_test]` functions are ordinary tests: they list, filter, ignore and run like any other.

use std::process::Command;

use crate::support::examples_test_binary;

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::new(examples_test_binary("script_tests"))
        .args(args)
        .env_remove("SF_KEEP_WORKSPACE")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn attribute_tests_list_run_and_ignore_like_rust_tests() {
    let (code, listed) = run(&["--list", "--format", "terse", "--ignored"]);
    assert_eq!(
        (code, listed.as_str()),
        (0, "strict_loader_on_empty_input: test\n")
    );
    let (code, out) = run(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("test result: ok. 9 passed; 0 failed; 1 ignored"),
        "{out}"
    );
    let (code, out) = run(&["--exact", "tabular_preprocessing"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("running 1 test"), "{out}");
}

#[test]
fn an_ignored_attribute_test_fails_with_an_actionable_message_when_run() {
    let (code, out) = run(&["--ignored", "--exact", "strict_loader_on_empty_input"]);
    assert_eq!(code, 101, "{out}");
    for needle in [
        "script test failed",
        "FAIL strict_loader",
        "error: ValueError: no data rows in ",
        "strict_loader.py\", line 17, in main",
        "workspace is kept for inspection; data seed 42",
        "replay: sf test-script ",
        "--data-from ",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
    // The replay command reproduces the failure from the kept workspace.
    let replay = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: sf "))
        .unwrap();
    let args: Vec<&str> = replay.split(' ').collect();
    // Its workspace goes to a temporary directory, not into the repository.
    let workspaces = tempfile::tempdir().unwrap();
    let again = Command::new(env!("CARGO_BIN_EXE_sf"))
        .args(&args)
        .arg("--workspace-dir")
        .arg(workspaces.path())
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stdout).contains("ValueError: no data rows"));
}
