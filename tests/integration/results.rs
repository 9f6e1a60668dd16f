//! `sf list-results` reads `result.json`, newest first.

use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

use crate::support::Sandbox;

#[test]
fn results_are_listed_newest_first_from_result_json() {
    let sandbox = Sandbox::new();
    sandbox.test_script("exit_0", &[]);
    sandbox.test_script("raises", &[]);
    // Folder names do not matter: the listing reads result.json.
    let root = sandbox.path().join("pipeline_testing");
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let renamed = path.with_file_name(format!(
                "renamed-{}",
                path.file_name().unwrap().to_string_lossy()
            ));
            std::fs::rename(&path, renamed).unwrap();
        }
    }
    let out = sandbox
        .sf()
        .args(["list-results", "--output-format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&out);
    assert_eq!(
        text.matches("\"workspace\"").count(),
        2,
        "one workspace key per result: {text}"
    );
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
    for r in &list {
        assert!(
            std::path::Path::new(r["workspace"].as_str().unwrap()).is_dir(),
            "the workspace is where the result is now: {r:#}"
        );
    }
    let names: Vec<_> = list
        .iter()
        .map(|r| r["script_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["raises", "exit_0"]);
    assert_eq!(list[0]["status"], "FAIL");
    assert_eq!(list[1]["status"], "PASS");

    sandbox.sf().arg("list-results").assert().success().stdout(
        contains("STATUS")
            .and(contains("raises"))
            .and(contains("exit_0")),
    );
}

#[test]
fn listing_a_missing_root_says_so() {
    Sandbox::new()
        .sf()
        .args(["list-results", "--workspace-dir", "nowhere"])
        .assert()
        .success()
        .stdout(contains("does not exist"));
}

#[test]
fn attribute_test_results_are_listed_with_the_others_by_default() {
    let sandbox = Sandbox::new();
    sandbox.test_script("exit_0", &[]);
    // Where a crate's #[script_test] functions keep their workspaces.
    sandbox
        .sf()
        .args([
            "test-script",
            "raises",
            "--workspace-dir",
            "target/tmp/sf-workspaces",
        ])
        .arg("--scripts-dir")
        .arg(crate::support::fixtures())
        .assert()
        .code(1);
    let listed = |args: &[&str]| {
        let out = sandbox
            .sf()
            .args(["list-results", "--output-format", "json"])
            .args(args)
            .output()
            .unwrap();
        let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        list.iter()
            .map(|r| r["script_name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        listed(&[]),
        ["raises", "exit_0"],
        "newest first, both places"
    );
    assert_eq!(
        listed(&["--workspace-dir", "pipeline_testing"]),
        ["exit_0"],
        "a chosen place only"
    );
}
