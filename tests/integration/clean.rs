//! `sf clean-workspace` deletes only what sf created, never follows links, and never hangs.

use std::fs;

use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

use crate::support::{Sandbox, entries};

#[test]
fn without_yes_and_without_a_terminal_it_refuses_instead_of_hanging() {
    let sandbox = Sandbox::new();
    sandbox.test_script("exit_0", &[]);
    sandbox
        .sf()
        .arg("clean-workspace")
        .assert()
        .code(2)
        .stderr(contains("pass --yes"));
    assert_eq!(
        entries(&sandbox.path().join("pipeline_testing")).len(),
        4,
        "marker, log, history of results, one workspace"
    );
}

#[test]
fn it_refuses_a_directory_sf_did_not_create() {
    let sandbox = Sandbox::new();
    let mine = sandbox.path().join("mine");
    fs::create_dir(&mine).unwrap();
    fs::write(mine.join("thesis.tex"), "years of work").unwrap();
    sandbox
        .sf()
        .args(["clean-workspace", "--yes", "--workspace-dir", "mine"])
        .assert()
        .code(2)
        .stderr(contains("was not created by sf"));
    assert_eq!(
        fs::read_to_string(mine.join("thesis.tex")).unwrap(),
        "years of work"
    );
}

#[test]
fn it_deletes_workspaces_only_and_never_follows_planted_links() {
    let sandbox = Sandbox::new();
    let (_, r) = sandbox.test_script("exit_0", &[]);
    let ws = std::path::PathBuf::from(r["workspace"].as_str().unwrap());
    let outside = sandbox.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("precious.csv"), "keep").unwrap();
    std::os::unix::fs::symlink(&outside, ws.join("outputs/output/link")).unwrap();
    let root = sandbox.path().join("pipeline_testing");
    fs::write(root.join("notes.txt"), "mine").unwrap();
    let unmarked = root.join("looks-like-a-workspace");
    fs::create_dir(&unmarked).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("link-to-outside")).unwrap();

    sandbox
        .sf()
        .args(["clean-workspace", "--yes"])
        .assert()
        .success()
        .stdout(contains("deleted 1 workspace(s)"));
    assert!(!ws.exists());
    assert_eq!(
        fs::read_to_string(outside.join("precious.csv")).unwrap(),
        "keep"
    );
    assert_eq!(
        entries(&root),
        [
            ".sf-root",
            "link-to-outside",
            "looks-like-a-workspace",
            "notes.txt",
            "sf-history.jsonl",
            "sf.log"
        ]
    );
}

#[test]
fn a_root_sf_created_goes_away_once_empty() {
    let sandbox = Sandbox::new();
    sandbox.test_script("exit_0", &[]);
    sandbox
        .sf()
        .args(["clean-workspace", "--yes"])
        .assert()
        .success();
    assert!(entries(sandbox.path()).is_empty());
}

#[test]
fn a_run_in_progress_keeps_its_workspace_and_the_rest_are_cleaned() {
    let sandbox = Sandbox::new();
    sandbox.test_script("exit_0", &[]);
    let root = sandbox.path().join("pipeline_testing");
    let finished = entries(&root);
    let running = sandbox
        .sf_std()
        .args([
            "test-script",
            "sleeps_forever",
            "--timeout",
            "8",
            "--output-format",
            "json",
        ])
        .arg("--scripts-dir")
        .arg(crate::support::fixtures())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the running script's workspace (its logs appear once the script started).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let busy = loop {
        let found = entries(&root)
            .into_iter()
            .find(|e| e.starts_with("sleeps_forever-"))
            .filter(|e| root.join(e).join("logs/stdout.log").exists());
        if let Some(found) = found {
            break root.join(found);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the run never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    sandbox
        .sf()
        .args(["clean-workspace", "--yes"])
        .assert()
        .success()
        .stdout(contains("deleted 1 workspace(s)").and(contains("(a run is using it)")));
    assert!(
        busy.join("inputs").is_dir(),
        "the running test's workspace is intact"
    );
    assert!(
        finished
            .iter()
            .filter(|e| e.starts_with("exit_0-"))
            .all(|e| !root.join(e).exists())
    );
    let out = running.wait_with_output().unwrap();
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        result["execution"]["outcome"]["kind"], "timed_out",
        "{result:#}"
    );
}
