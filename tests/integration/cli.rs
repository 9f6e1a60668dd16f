//! The `sf test-script` contract: context passing, interpreter choice, usage errors, isolation of
//! the current directory, parallel runs.

use std::path::{Path, PathBuf};

use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

use crate::support::{Sandbox, entries, fixtures};
use crate::zoo::context_seen;

#[test]
fn the_execution_context_reaches_main_with_typed_job_args() {
    let sandbox = Sandbox::new();
    let (code, r) = sandbox.test_script(
        "echo_context",
        &[
            "--env",
            "LABEL_FIELD=target",
            "--job-arg",
            "job_type=training",
            "--job-arg",
            "epochs=3",
            "--job-arg",
            "cols=[\"a\",\"b\"]",
            "--input",
            "data",
            "--input",
            "signature",
            "--output",
            "output",
            "--data",
            "tabular",
        ],
    );
    assert_eq!(code, 0, "{r:#}");
    let seen = context_seen(&r);
    let ws = PathBuf::from(r["workspace"].as_str().unwrap());
    assert_eq!(seen["job_args_is_namespace"], true);
    assert_eq!(
        seen["job_args"],
        serde_json::json!({"job_type": "training", "epochs": 3, "cols": ["a", "b"]})
    );
    assert_eq!(
        seen["environ_vars"],
        serde_json::json!({"LABEL_FIELD": "target"})
    );
    assert_eq!(
        seen["env_label"], "target",
        "environ_vars are also in the process environment"
    );
    assert_eq!(
        seen["input_paths"]["data"],
        ws.join("inputs/data").to_str().unwrap()
    );
    assert_eq!(
        seen["input_paths"]["signature"],
        ws.join("inputs/signature").to_str().unwrap()
    );
    assert_eq!(seen["input_files"]["data"], serde_json::json!(["data.csv"]));
    assert_eq!(
        seen["output_paths"]["output"],
        ws.join("outputs/output").to_str().unwrap()
    );
    assert_eq!(seen["cwd"], ws.to_str().unwrap());
    assert_eq!(seen["home"], ws.join("home").to_str().unwrap());
    assert_eq!(seen["tmpdir"], ws.join("tmp").to_str().unwrap());
    assert_eq!(
        seen["sf_context"],
        ws.join("context.json").to_str().unwrap()
    );
    let context: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.join("context.json")).unwrap()).unwrap();
    assert_eq!(context["job_args"]["epochs"], 3);
}

#[test]
fn the_command_adapter_gets_channels_in_the_environment_and_job_args_as_flags() {
    let sandbox = Sandbox::new();
    let (code, r) = sandbox.test_script(
        "echo_env",
        &[
            "--job-arg",
            "job_type=training",
            "--job-arg",
            "n=5",
            "--env",
            "LABEL_FIELD=y",
        ],
    );
    assert_eq!(code, 0, "{r:#}");
    let ws = PathBuf::from(r["workspace"].as_str().unwrap());
    let env = std::fs::read_to_string(ws.join("outputs/output/env.txt")).unwrap();
    let w = ws.display();
    assert_eq!(
        env,
        format!(
            "args: --job_type training --n 5\ninput: {w}/inputs/input\noutput: {w}/outputs/output\n\
             context: {w}/context.json\nlabel: y\npwd: {w}\nhome: {w}/home\ntmpdir: {w}/tmp\n"
        )
    );
}

#[test]
fn an_unknown_data_source_is_a_usage_error_listing_the_supported_ones() {
    Sandbox::new()
        .sf()
        .args(["test-script", "x", "--data-source", "s3"])
        .assert()
        .code(2)
        .stderr(contains("invalid value 's3'").and(contains("synthetic")));
}

#[test]
fn an_out_of_range_timeout_is_a_usage_error_not_a_panic() {
    for timeout in ["1e20", "100000000y"] {
        Sandbox::new()
            .sf()
            .args(["test-script", "x", "--timeout", timeout])
            .assert()
            .code(2)
            .stderr(contains("is longer than 30 days").and(contains("panicked").not()));
    }
    Sandbox::new()
        .sf()
        .args(["test-script", "x", "--timeout", "5x"])
        .assert()
        .code(2)
        .stderr(contains("is not a duration"));
}

#[test]
fn a_directory_given_as_the_script_is_named_as_a_directory() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.path().join("scripts")).unwrap();
    for script in ["scripts", "./scripts"] {
        let out = sandbox.sf().args(["test-script", script]).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("scripts is a directory; give one script file in it"),
            "{text}"
        );
    }
}

#[test]
fn a_size_without_its_unit_is_a_usage_error() {
    for flag in ["--log-limit", "--memory-limit"] {
        Sandbox::new()
            .sf()
            .args(["test-script", "x", flag, "10"])
            .assert()
            .code(2)
            .stderr(contains("`10` has no unit"));
    }
}

#[test]
fn help_says_what_sf_is() {
    Sandbox::new()
        .sf()
        .arg("--help")
        .assert()
        .success()
        .stdout(contains("sf tests data-pipeline scripts").and(contains("PASS, FAIL or SKIP")));
}

#[test]
fn a_seed_that_is_not_a_whole_number_says_what_a_seed_is() {
    for seed in ["-1", "abc", "1.5"] {
        Sandbox::new()
            .sf()
            .args(["test-script", "x", "--seed", seed])
            .assert()
            .code(2)
            .stderr(contains("a seed is a non-negative whole number"));
    }
}

#[test]
fn a_channel_name_that_is_a_path_is_a_usage_error() {
    for args in [["--input", "../x"], ["--output", "a/b"]] {
        Sandbox::new()
            .sf()
            .args(["test-script", "x"])
            .args(args)
            .assert()
            .code(2)
            .stderr(contains("contains a path separator"));
    }
}

#[test]
fn an_unknown_profile_or_size_is_a_usage_error() {
    Sandbox::new()
        .sf()
        .args(["test-script", "x", "--data", "images"])
        .assert()
        .code(2)
        .stderr(contains("currency, tabular, training, generic"));
    Sandbox::new()
        .sf()
        .args(["test-script", "x", "--data-size", "huge"])
        .assert()
        .code(2)
        .stderr(contains("small, medium, large"));
}

#[test]
fn a_missing_interpreter_is_a_clear_failure_naming_where_it_came_from() {
    let sandbox = Sandbox::new();
    let (code, r) = sandbox.test_script("raises", &["--python", "/nonexistent/python3"]);
    assert_eq!(code, 1);
    let error = r["error_message"].as_str().unwrap();
    assert!(
        error.contains(
            "python interpreter `/nonexistent/python3` (from --python) is not usable: not found"
        ),
        "{error}"
    );

    let out = sandbox
        .sf()
        .env("SF_PYTHON", "/nonexistent/py")
        .args([
            "test-script",
            "raises",
            "--output-format",
            "json",
            "--scripts-dir",
        ])
        .arg(fixtures())
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        r["error_message"]
            .as_str()
            .unwrap()
            .contains("(from SF_PYTHON)"),
        "{r:#}"
    );
}

#[test]
fn sf_python_chooses_the_interpreter() {
    let sandbox = Sandbox::new();
    let python = which("python3");
    let out = sandbox
        .sf()
        .env("SF_PYTHON", &python)
        .args([
            "test-script",
            "exit_0",
            "--output-format",
            "json",
            "--scripts-dir",
        ])
        .arg(fixtures())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn nothing_is_written_to_the_current_directory_but_the_workspace_root() {
    let sandbox = Sandbox::new();
    let (code, _) = sandbox.test_script("currency_conversion", &[]);
    assert_eq!(code, 0);
    assert_eq!(entries(sandbox.path()), vec!["pipeline_testing"]);
    // No __pycache__ appears next to the script either.
    assert!(!fixtures().join("__pycache__").exists());
    assert!(!crate::support::examples().join("__pycache__").exists());
}

#[test]
fn a_custom_workspace_dir_holds_the_run_and_its_log() {
    let sandbox = Sandbox::new();
    let (code, r) = sandbox.test_script("currency_conversion", &["--workspace-dir", "runs/here"]);
    assert_eq!(code, 0);
    let ws = PathBuf::from(r["workspace"].as_str().unwrap());
    assert_eq!(
        ws.parent().unwrap(),
        sandbox.path().join("runs/here").canonicalize().unwrap()
    );
    for file in [
        "context.json",
        "result.json",
        ".sf-workspace",
        "logs/stdout.log",
        "logs/stderr.log",
    ] {
        assert!(ws.join(file).is_file(), "{file} missing");
    }
    let log = std::fs::read_to_string(sandbox.path().join("runs/here/sf.log")).unwrap();
    assert!(log.contains("script finished"), "{log}");
}

#[test]
fn parallel_runs_of_one_script_never_share_a_workspace() {
    let sandbox = Sandbox::new();
    let children: Vec<_> = (0..4)
        .map(|_| {
            sandbox
                .sf_std()
                .args([
                    "test-script",
                    "currency_conversion",
                    "--output-format",
                    "json",
                    "--scripts-dir",
                ])
                .arg(crate::support::examples())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut workspaces = std::collections::BTreeSet::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        workspaces.insert(r["workspace"].as_str().unwrap().to_owned());
    }
    assert_eq!(workspaces.len(), 4);
}

#[test]
fn expect_fail_passes_when_the_script_fails() {
    let sandbox = Sandbox::new();
    let (code, r) = sandbox.test_script("raises", &["--expect", "fail"]);
    assert_eq!((code, r["status"].as_str()), (0, Some("PASS")), "{r:#}");
    assert!(
        !r["recommendations"]
            .to_string()
            .contains("Address the error"),
        "an expected failure needs no fixing: {r:#}"
    );
    let (code, r) = sandbox.test_script("exit_0", &["--expect", "fail"]);
    assert_eq!(code, 1);
    assert_eq!(
        r["error_message"],
        "expected the script to fail, but it succeeded"
    );
}

#[test]
fn verbose_logging_goes_to_stderr_without_colours_when_it_is_not_a_terminal() {
    Sandbox::new()
        .sf()
        .args(["-v", "test-script", "exit_0", "--scripts-dir"])
        .arg(fixtures())
        .env_remove("NO_COLOR")
        .assert()
        .success()
        .stderr(contains("script finished").and(contains("\u{1b}[").not()));
}

fn which(program: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap();
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| Path::new(program).to_owned())
}

#[test]
fn data_from_reruns_a_script_on_the_exact_inputs_of_an_earlier_run() {
    let sandbox = Sandbox::new();
    let (code, first) = sandbox.test_script("strict_loader", &["--rows", "0", "--seed", "9"]);
    assert_eq!(code, 1);
    let ws = PathBuf::from(first["workspace"].as_str().unwrap());
    let (code, again) =
        sandbox.test_script("strict_loader", &["--data-from", ws.to_str().unwrap()]);
    assert_eq!(code, 1, "{again:#}");
    let ws2 = PathBuf::from(again["workspace"].as_str().unwrap());
    assert_eq!(
        std::fs::read(ws.join("inputs/input/data.csv")).unwrap(),
        std::fs::read(ws2.join("inputs/input/data.csv")).unwrap()
    );
    assert!(
        again["error_message"]
            .as_str()
            .unwrap()
            .starts_with("ValueError: no data rows")
    );
    Sandbox::new()
        .sf()
        .args(["test-script", "x", "--data-from", "nowhere"])
        .assert()
        .code(2)
        .stderr(contains("cannot read nowhere/inputs"));
}
