//! The libtest-mimic harness, run as cargo and nextest run it: as a child process.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The examples' harness binary, built (if needed) by cargo.
fn harness_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| crate::support::examples_test_binary("scripts"))
}

fn harness(args: &[&str], config: Option<&Path>) -> Output {
    let mut cmd = Command::new(harness_binary());
    cmd.args(args)
        .current_dir(root().join("examples"))
        .env("CARGO_MANIFEST_DIR", root().join("examples"))
        .env_remove("SF_KEEP_WORKSPACE");
    match config {
        Some(c) => cmd.env("SF_CONFIG", c),
        None => cmd.env_remove("SF_CONFIG"),
    };
    cmd.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const ALL: [&str; 10] = [
    "amount_summary::small",
    "currency_conversion::medium",
    "currency_conversion::small",
    "model_evaluation::rows_200",
    "pipeline::training",
    "row_counter::proptest",
    "row_counter::rows_17",
    "strict_loader::rows_0",
    "tabular_preprocessing::medium",
    "xgboost_training::rows_600",
];

#[test]
fn list_terse_prints_one_name_test_line_per_trial_and_nothing_else() {
    let out = harness(&["--list", "--format", "terse"], None);
    assert!(out.status.success());
    insta::assert_snapshot!(stdout(&out), @r"
    amount_summary::small: test
    currency_conversion::medium: test
    currency_conversion::small: test
    model_evaluation::rows_200: test
    pipeline::training: test
    row_counter::proptest: test
    row_counter::rows_17: test
    strict_loader::rows_0: test
    tabular_preprocessing::medium: test
    xgboost_training::rows_600: test
    ");
}

#[test]
fn exact_runs_exactly_one_trial() {
    let out = harness(&["--exact", "currency_conversion::small"], None);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("running 1 test"), "{text}");
    assert!(
        text.contains("test currency_conversion::small ... ok"),
        "{text}"
    );
}

#[test]
fn filters_and_skips_behave_like_libtest() {
    let text = stdout(&harness(&["currency", "--list", "--format", "terse"], None));
    assert_eq!(text.lines().count(), 2, "{text}");
    let text = stdout(&harness(
        &["--skip", "currency", "--list", "--format", "terse"],
        None,
    ));
    assert_eq!(text.lines().count(), 8, "{text}");
}

/// A scratch repository with its own sf.toml, for configurations the examples do not have.
fn scratch(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("scripts")).unwrap();
    for s in ["raises.py", "exit_0.py"] {
        std::fs::copy(
            root().join("tests/fixtures/scripts").join(s),
            dir.path().join("scripts").join(s),
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("sf.toml"), config).unwrap();
    dir
}

#[test]
fn ignored_trials_are_listed_with_ignored_and_skipped_otherwise() {
    let dir = scratch("[scripts.raises]\nignore = true\n");
    let config = dir.path().join("sf.toml");
    let listed = stdout(&harness(
        &["--list", "--format", "terse", "--ignored"],
        Some(&config),
    ));
    assert_eq!(listed, "raises::small: test\n");
    let out = harness(&[], Some(&config));
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("test raises::small ... ignored"), "{text}");
    assert!(text.contains("1 passed; 0 failed; 1 ignored"), "{text}");
}

#[test]
fn a_failing_trial_says_what_happened_and_how_to_replay_it() {
    let dir = scratch("");
    let config = dir.path().join("sf.toml");
    let out = harness(&["--exact", "raises::small"], Some(&config));
    assert_eq!(out.status.code(), Some(101));
    let text = stdout(&out);
    for needle in [
        "FAIL raises",
        "error: ZeroDivisionError: division by zero",
        "raises.py\", line 2, in average",
        "workspace is kept for inspection; data seed 42",
        "replay: sf test --config ",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    let workspace = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("workspace: "))
        .unwrap();
    assert!(Path::new(workspace).join("result.json").is_file());

    // The replay command reproduces the failure from the command line.
    let replay = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: sf "))
        .unwrap();
    let args: Vec<String> = replay
        .split(' ')
        .map(|a| a.trim_matches('\'').to_owned())
        .collect();
    let again = Command::new(env!("CARGO_BIN_EXE_sf"))
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1), "{}", stdout(&again));
    assert!(stdout(&again).contains("ZeroDivisionError"));
}

#[test]
fn passing_trials_remove_their_workspace_unless_asked_to_keep_it() {
    let dir = scratch("workspace_dir = \"runs\"\n");
    let config = dir.path().join("sf.toml");
    assert!(
        harness(&["--exact", "exit_0::small"], Some(&config))
            .status
            .success()
    );
    let count = || {
        std::fs::read_dir(dir.path().join("runs"))
            .unwrap()
            .flatten()
            .filter(|e| e.path().is_dir())
            .count()
    };
    assert_eq!(count(), 0);
    let out = Command::new(harness_binary())
        .args(["--exact", "exit_0::small"])
        .env("SF_CONFIG", &config)
        .env("SF_KEEP_WORKSPACE", "1")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(count(), 1);
}

#[test]
fn configuration_mistakes_fail_loudly_naming_file_line_and_key() {
    for (config, expected) in [
        (
            "[scripts.raises]\ntimeout = 5\ntimout = 6\n",
            "sf.toml:3:1: `scripts.raises.timout`: unknown key `timout`: did you mean `timeout`?",
        ),
        (
            "[discover]\nglobs = [\"nothing/*.py\"]\n",
            "sf.toml:2:10: `discover.globs`: no scripts found: scanned",
        ),
        (
            "[scripts.ghost]\npath = \"scripts/ghost.py\"\n",
            "sf.toml:2:8: `scripts.ghost.path`: scripts/ghost.py does not exist",
        ),
    ] {
        let dir = scratch(config);
        let out = harness(&["--list"], Some(&dir.path().join("sf.toml")));
        assert_eq!(out.status.code(), Some(2), "{config}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "for\n{config}\ngot: {stderr}");
        assert!(
            stdout(&out).is_empty(),
            "nothing is listed after a configuration error"
        );
    }
}

/// Tests that a nextest run reports as passed.
fn nextest_passed(partition: &str) -> BTreeSet<String> {
    let out = Command::new(env!("CARGO"))
        .args([
            "nextest",
            "run",
            "-p",
            "sf-examples",
            "--partition",
            partition,
            "--no-fail-fast",
            "--color",
            "never",
        ])
        .current_dir(root())
        .env_remove("SF_CONFIG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "cargo nextest failed:\n{stderr}");
    stderr
        .lines()
        .filter(|l| l.trim_start().starts_with("PASS"))
        .filter_map(|l| l.split("sf-examples::scripts ").nth(1))
        .map(|n| n.trim().to_owned())
        .collect()
}

#[test]
fn cargo_nextest_partitions_run_every_test_exactly_once() {
    let one = nextest_passed("hash:1/2");
    let two = nextest_passed("hash:2/2");
    assert!(one.is_disjoint(&two), "{one:?} and {two:?} overlap");
    let all: BTreeSet<String> = one.union(&two).cloned().collect();
    assert_eq!(all, ALL.iter().map(|s| s.to_string()).collect());
}
