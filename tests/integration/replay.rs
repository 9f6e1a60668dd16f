//! Replays run the whole test again: `sf test --config C --exact NAME --data-from DIR` (the
//! command a failure prints and the `replay` file of its workspace or bundle) keeps the test's
//! output checks, so a failure an output check found fails again.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::Sandbox;

/// Writes only the first two rows of its input, whatever it is given.
const TRUNCATES: &str = "import csv, glob, os\n\n\
def main(input_paths, output_paths, environ_vars, job_args):\n    \
    path = sorted(glob.glob(os.path.join(input_paths['input'], '*.csv')))[0]\n    \
    rows = list(csv.reader(open(path, newline='')))\n    \
    with open(os.path.join(output_paths['output'], 'out.csv'), 'w', newline='') as f:\n        \
        csv.writer(f).writerows(rows[:3])\n";

/// Copies its input, row for row.
const COPIES: &str = "import csv, glob, os\n\n\
def main(input_paths, output_paths, environ_vars, job_args):\n    \
    path = sorted(glob.glob(os.path.join(input_paths['input'], '*.csv')))[0]\n    \
    rows = list(csv.reader(open(path, newline='')))\n    \
    with open(os.path.join(output_paths['output'], 'out.csv'), 'w', newline='') as f:\n        \
        csv.writer(f).writerows(rows)\n";

/// A repository with one script and an sf.toml section `extra` for it.
fn repo(sandbox: &Sandbox, script: &str, extra: &str) -> PathBuf {
    std::fs::create_dir(sandbox.path().join("scripts")).unwrap();
    std::fs::write(sandbox.path().join("scripts/short.py"), script).unwrap();
    let config = sandbox.path().join("sf.toml");
    std::fs::write(
        &config,
        format!(
            "workspace_dir = \"runs\"\n\n[scripts.short]\npath = \"scripts/short.py\"\n{extra}\n\
             [scripts.short.inputs.input]\ndata = \"generic\"\nrows = 12\n\
             [scripts.short.outputs.output]\nfiles = \"out.csv\"\nmin_rows = 10\n"
        ),
    )
    .unwrap();
    config
}

/// Runs `sf test --config CONFIG ARGS --output-format json` and returns the exit code and the
/// one result.
fn sf_test_json(sandbox: &Sandbox, config: &Path, args: &[&str]) -> (i32, Value) {
    let out = sandbox
        .sf()
        .args(["test", "--config"])
        .arg(config)
        .args(args)
        .args(["--output-format", "json"])
        .output()
        .unwrap();
    let list: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list:#}");
    (out.status.code().unwrap_or(-1), list[0]["result"].clone())
}

/// The words of a printed command (single quotes removed; the paths here have no spaces).
fn words(command: &str) -> Vec<String> {
    command
        .split(' ')
        .map(|w| w.trim_matches('\'').to_owned())
        .collect()
}

/// Runs a `replay` file with the `sf` under test first on the PATH.
fn run_replay_file(file: &Path, args: &[&str]) -> std::process::Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_sf")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    std::process::Command::new(file)
        .args(args)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn the_replay_of_an_output_check_failure_fails_with_the_same_check() {
    let sandbox = Sandbox::new();
    let config = repo(&sandbox, TRUNCATES, "");
    let (code, result) = sf_test_json(&sandbox, &config, &[]);
    assert_eq!(code, 1, "{result:#}");
    let error = result["error_message"].as_str().unwrap().to_owned();
    assert!(
        error.contains("holds 2 data rows, fewer than the 10 required"),
        "{error}"
    );

    // The printed replay runs the test by name on the kept workspace's inputs.
    let out = sandbox
        .sf()
        .args(["test", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let replay = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: "))
        .unwrap_or_else(|| panic!("no replay line in\n{text}"));
    assert!(
        replay.starts_with("sf test --config ")
            && replay.contains(" --exact short::rows_12 --data-from "),
        "{replay}"
    );
    let args = words(replay);
    let again = sandbox
        .sf()
        .args(&args[1..])
        .args(["--output-format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        again.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    let list: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(list[0]["name"], "short::rows_12");
    assert_eq!(list[0]["result"]["status"], "FAIL");
    assert_eq!(list[0]["result"]["error_message"].as_str(), Some(&*error));

    // The kept workspace holds the same command as an executable `replay` file.
    let workspace = PathBuf::from(result["workspace"].as_str().unwrap());
    let file = workspace.join("replay");
    let script = std::fs::read_to_string(&file).unwrap();
    assert!(script.starts_with("#!/bin/sh\n"), "{script}");
    assert!(script.contains("sf test --config "), "{script}");
    let out = run_replay_file(&file, &["--output-format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["result"]["error_message"].as_str(), Some(&*error));

    // The same data with a script that keeps every row passes: the replay tests the script.
    std::fs::write(sandbox.path().join("scripts/short.py"), COPIES).unwrap();
    let out = run_replay_file(&file, &["--output-format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_property_bundle_replays_with_the_checks_its_cases_keep() {
    // Every case's output is checked in full, or with the property's own check of the output:
    // either way an input of fewer than 10 rows fails `min_rows`, and so does its replay.
    for proptest in [
        "proptest = { cases = 16, max_rows = 20, output_checks = \"all\" }",
        "proptest = { cases = 16, max_rows = 20, outputs = { output = { min_rows = 10 } } }",
    ] {
        property_bundle_replays(proptest);
    }
}

fn property_bundle_replays(proptest: &str) {
    let sandbox = Sandbox::new();
    let config = repo(&sandbox, COPIES, proptest);
    let (code, result) = sf_test_json(&sandbox, &config, &["--exact", "short::proptest"]);
    assert_eq!(code, 1, "{result:#}");
    let error = result["error_message"].as_str().unwrap().to_owned();
    assert!(error.contains("fewer than the 10 required"), "{error}");
    let regressions = sandbox.path().join("sf-regressions/short/proptest");
    let bundle = std::fs::read_dir(&regressions)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join("bundle.json").is_file())
        .unwrap_or_else(|| panic!("no bundle in {}", regressions.display()));
    let file = bundle.join("replay");
    let script = std::fs::read_to_string(&file).unwrap();
    assert!(
        script.contains(" --exact short::proptest --data-from "),
        "{script}"
    );
    let out = run_replay_file(&file, &["--output-format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["result"]["error_message"].as_str(), Some(&*error));
}

#[test]
fn a_property_run_keeps_its_passing_cases_on_request() {
    let sandbox = Sandbox::new();
    let config = repo(
        &sandbox,
        COPIES,
        "proptest = { cases = 8, min_rows = 10, max_rows = 20, output_checks = \"all\", keep_cases = true }",
    );
    let out = sandbox
        .sf()
        .args(["test", "--config"])
        .arg(&config)
        .args(["--exact", "short::proptest"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let regressions = sandbox.path().join("sf-regressions/short/proptest");
    let cases_root = std::fs::read_dir(&regressions)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("cases-")
        })
        .unwrap_or_else(|| panic!("no kept cases in {}", regressions.display()));
    let kept = std::fs::read_dir(&cases_root).unwrap().count();
    assert!((1..=8).contains(&kept), "{kept}");
    // The run says where they are.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let folder = std::fs::canonicalize(&cases_root).unwrap();
    assert!(
        [folder.as_path(), cases_root.as_path()]
            .iter()
            .any(|f| stderr.contains(&format!(
                "short::proptest: kept the data of {kept} passing case(s) in {}",
                f.display()
            ))),
        "{stderr}"
    );
    // Each case is a folder `--data-from` reads, with the rows the case was given.
    let case = cases_root.join("case-0001");
    let csv: Vec<PathBuf> = std::fs::read_dir(case.join("inputs/input"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(csv.len(), 1, "{csv:?}");
    let rows = std::fs::read_to_string(&csv[0]).unwrap().lines().count() - 1;
    assert!((10..=20).contains(&rows), "{rows}");
    assert!(case.join("replay").is_file());
    // A truncating script fails on exactly that case.
    std::fs::write(sandbox.path().join("scripts/short.py"), TRUNCATES).unwrap();
    let (code, again) = sf_test_json(
        &sandbox,
        &config,
        &[
            "--exact",
            "short::proptest",
            "--data-from",
            case.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{again:#}");
    // A second run keeps its cases apart from the first run's.
    std::fs::write(sandbox.path().join("scripts/short.py"), COPIES).unwrap();
    let (code, _) = sf_test_json(&sandbox, &config, &["--exact", "short::proptest"]);
    assert_eq!(code, 0);
    let runs = std::fs::read_dir(&regressions)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("cases-"))
        .count();
    assert_eq!(runs, 2);
}

#[test]
fn data_from_needs_exactly_one_test() {
    let sandbox = Sandbox::new();
    let config = repo(&sandbox, COPIES, "sizes = [\"small\", \"medium\"]");
    let bundle = sandbox.path().join("bundle/inputs/input");
    std::fs::create_dir_all(&bundle).unwrap();
    let out = sandbox
        .sf()
        .args(["test", "--config"])
        .arg(&config)
        .args(["short", "--data-from", "bundle"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--data-from replays one test, but `short` matches 2 of ")
            && stderr.contains("short::medium, short::small; name one with --exact NAME"),
        "{stderr}"
    );
    let out = sandbox
        .sf()
        .args(["test", "--config"])
        .arg(&config)
        .args(["--exact", "nope", "--data-from", "bundle"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`nope` matches none of") && stderr.contains("its tests: short::medium"),
        "{stderr}"
    );
}

#[test]
fn generate_data_writes_what_a_test_feeds_its_script() {
    let sandbox = Sandbox::new();
    let config = repo(&sandbox, COPIES, "");
    let out = sandbox
        .sf()
        .args(["generate-data", "--config"])
        .arg(&config)
        .args(["--test", "short::rows_12", "--out", "look"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written: Vec<PathBuf> = std::fs::read_dir(sandbox.path().join("look/input"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    let generated = std::fs::read(&written[0]).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&generated).lines().count(),
        13,
        "12 rows and a header"
    );
    // The bytes are the ones the test's run is given.
    let (_, result) = {
        std::fs::write(sandbox.path().join("scripts/short.py"), TRUNCATES).unwrap();
        sf_test_json(&sandbox, &config, &[])
    };
    let workspace = PathBuf::from(result["workspace"].as_str().unwrap());
    let name = written[0].file_name().unwrap();
    assert_eq!(
        std::fs::read(workspace.join("inputs/input").join(name)).unwrap(),
        generated
    );
    // A folder that holds files already is not written into.
    let again = sandbox
        .sf()
        .args(["generate-data", "--config"])
        .arg(&config)
        .args(["--test", "short::rows_12", "--out", "look"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds files"));
    // --config belongs to --test.
    let stray = sandbox
        .sf()
        .args(["generate-data", "generic", "--out", "other", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(stray.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&stray.stderr)
            .contains("--config names the configuration of --test NAME")
    );
    // An unknown test is named, with the ones there are.
    let unknown = sandbox
        .sf()
        .args(["generate-data", "--config"])
        .arg(&config)
        .args(["--test", "short", "--out", "other"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("has no test `short`; its tests: short::rows_12"),
        "{stderr}"
    );
}

#[test]
fn a_pipeline_runs_on_the_sources_generate_data_wrote() {
    let sandbox = Sandbox::new();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sf.toml");
    let out = sandbox
        .sf()
        .args(["generate-data", "--config"])
        .arg(&config)
        .args(["--test", "pipeline::training", "--out", "bundle/inputs"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Each step's source channels, and none an upstream step feeds.
    let inputs = sandbox.path().join("bundle/inputs");
    assert!(inputs.join("tabular_preprocessing/input").is_dir());
    assert!(inputs.join("xgboost_training/signature").is_dir());
    assert!(!inputs.join("xgboost_training/input_data").exists());
    let out = sandbox
        .sf()
        .args(["test", "--config"])
        .arg(&config)
        .args(["--exact", "pipeline::training", "--data-from", "bundle"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("1 passed, 0 failed, 0 skipped"), "{text}");
    // Data for a step the pipeline does not have is refused, naming it.
    std::fs::create_dir_all(inputs.join("no_such_step/input")).unwrap();
    let out = sandbox
        .sf()
        .args(["test", "--config"])
        .arg(&config)
        .args(["--exact", "pipeline::training", "--data-from", "bundle"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("data for step `no_such_step`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
