//! Pipelines from sf.toml: data flowing from step to step, checks on every edge, skips downstream
//! of a failure, and the reports.

use std::path::{Path, PathBuf};

use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

use crate::support::Sandbox;

fn config(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

#[test]
fn the_example_pipeline_passes_and_says_how_each_input_was_bound() {
    Sandbox::new()
        .sf()
        .args(["test-pipeline", "training", "--config"])
        .arg(config("sf.toml"))
        .assert()
        .code(0)
        .stdout(
            contains("PASS pipeline::training")
                .and(contains("input_data ← tabular_preprocessing.output (edge)"))
                .and(contains("signature ← text signature"))
                .and(contains(
                    "critical path: tabular_preprocessing → xgboost_training → model_evaluation",
                ))
                .and(contains("```mermaid")),
        );
}

#[test]
fn the_json_result_has_steps_edges_and_the_critical_path() {
    let out = Sandbox::new()
        .sf()
        .args([
            "test-pipeline",
            "training",
            "--output-format",
            "json",
            "--config",
        ])
        .arg(config("sf.toml"))
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["status"], "PASS");
    let steps: Vec<_> = r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "tabular_preprocessing",
            "xgboost_training",
            "model_evaluation"
        ]
    );
    for step in r["steps"].as_array().unwrap() {
        assert!(step["finished_at"].as_f64().unwrap() >= step["started_at"].as_f64().unwrap());
        assert_eq!(step["result"]["status"], "PASS");
    }
    assert_eq!(r["edges"].as_array().unwrap().len(), 3);
    assert!(r["critical_path_time"].as_f64().unwrap() > 0.0);
    // Persisted like single results: list-results shows the pipeline.
    let ws = PathBuf::from(r["workspace"].as_str().unwrap());
    assert!(ws.join("pipeline.json").is_file());
    let listed = Sandbox::new()
        .sf()
        .args(["list-results", "--output-format", "json", "--workspace-dir"])
        .arg(ws.parent().unwrap())
        .output()
        .unwrap();
    let list: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout).unwrap();
    assert!(
        list.iter()
            .any(|e| e["script_name"] == "pipeline::training" && e["workspace"] == r["workspace"])
    );
}

#[test]
fn a_dropped_column_fails_the_edge_naming_both_ends_the_file_and_the_column() {
    Sandbox::new()
        .sf()
        .args(["test-pipeline", "dropped_column", "--config"])
        .arg(config("broken.toml"))
        .assert()
        .code(1)
        .stdout(contains("FAIL pipeline::dropped_column").and(contains(
            "edge tabular_preprocessing.output -> xgboost_training.input_data: \
                 train/train_processed_data.csv has no column `target`",
        )));
}

#[test]
fn a_failing_upstream_skips_everything_downstream() {
    let out = Sandbox::new()
        .sf()
        .args([
            "test-pipeline",
            "failing_upstream",
            "--output-format",
            "json",
            "--config",
        ])
        .arg(config("broken.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["status"], "FAIL");
    assert_eq!(r["steps"][0]["status"], "FAIL");
    assert_eq!(r["steps"][1]["status"], "SKIP");
    assert_eq!(
        r["steps"][1]["skipped_because"],
        "upstream tabular_preprocessing failed"
    );
    assert!(
        r["steps"][1]["result"].is_null(),
        "nothing downstream runs on missing data"
    );
}

#[test]
fn dot_output_colors_nodes_by_status() {
    Sandbox::new()
        .sf()
        .args([
            "test-pipeline",
            "failing_upstream",
            "--output-format",
            "dot",
            "--config",
        ])
        .arg(config("broken.toml"))
        .assert()
        .code(1)
        .stdout(
            contains("digraph")
                .and(contains("tabular_preprocessing"))
                .and(contains("fillcolor")),
        );
}

#[test]
fn an_unknown_pipeline_or_graph_mistake_is_a_usage_error() {
    Sandbox::new()
        .sf()
        .args(["test-pipeline", "nope", "--config"])
        .arg(config("broken.toml"))
        .assert()
        .code(2)
        .stderr(contains(
            "has no pipeline `nope`; its pipelines: dropped_column, failing_upstream",
        ));
    let sandbox = Sandbox::new();
    std::fs::create_dir(sandbox.path().join("scripts")).unwrap();
    std::fs::write(sandbox.path().join("scripts/a.sh"), "#!/bin/sh\n").unwrap();
    std::fs::write(
        sandbox.path().join("sf.toml"),
        "[discover]\nglobs = [\"scripts/*.sh\"]\n[pipelines.loop]\nsteps = [{ script = \"a\", name = \"x\", reads = { input = {} } }, \
         { script = \"a\", name = \"y\", reads = { input = {} } }]\nedges = [\"x.output -> y.input\", \"y.output -> x.input\"]\n",
    )
    .unwrap();
    sandbox
        .sf()
        .args(["test-pipeline", "loop"])
        .assert()
        .code(2)
        .stderr(contains("sf.toml:3:1: `pipelines.loop`: ").and(contains("cycle")));
}

#[test]
fn pipeline_property_mode_shrinks_the_source_data_that_breaks_a_downstream_step() {
    let sandbox = Sandbox::new();
    let scripts = sandbox.path().join("scripts");
    std::fs::create_dir(&scripts).unwrap();
    // `copy` passes its input on; `strict` fails on any NaN it receives from upstream.
    std::fs::write(
        scripts.join("copy.sh"),
        "#!/bin/sh\ncp -r \"$SF_INPUT_INPUT\"/. \"$SF_OUTPUT_OUTPUT\"/\n",
    )
    .unwrap();
    std::fs::write(
        scripts.join("strict.sh"),
        "#!/bin/sh\nif grep -rq NaN \"$SF_INPUT_DATA\"; then echo 'NaN in input' >&2; exit 1; fi\n",
    )
    .unwrap();
    std::fs::write(
        sandbox.path().join("sf.toml"),
        "workspace_dir = \"runs\"\n[discover]\nglobs = [\"scripts/*.sh\"]\n\
         [scripts.copy.inputs.input]\ndata = \"generic\"\n\
         [pipelines.flow]\nedges = [\"copy.output -> strict.data\"]\nproptest = { cases = 32, max_rows = 20 }\n\
         [[pipelines.flow.steps]]\nscript = \"copy\"\n\
         [[pipelines.flow.steps]]\nscript = \"strict\"\nreads = { data = { allow_empty = true } }\n",
    )
    .unwrap();
    let out = sandbox
        .sf()
        .args(["test", "pipeline::flow::proptest"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("pipeline property test failed after"),
        "{text}"
    );
    assert!(text.contains("to copy.input: 1 row(s)"), "{text}");
    let bundle = text
        .lines()
        .find_map(|l| l.strip_prefix("failure bundle: "))
        .unwrap();
    assert!(
        Path::new(bundle).join("inputs/copy/input").is_dir(),
        "{bundle}"
    );
    assert!(
        text.contains("replay: sf test-pipeline flow --config"),
        "{text}"
    );
}
