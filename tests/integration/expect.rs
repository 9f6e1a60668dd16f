//! Checks on what the data says: value expectations on outputs and edges, golden outputs and
//! their review, as `sf test` runs them on stdlib-only Python scripts.

use std::fs;
use std::path::Path;

use crate::support::Sandbox;

/// Rules in the order the user wrote them: the first that matches labels the row.
const RULES: &str = r#"
import json, os

def main(input_paths, output_paths, environ_vars, job_args):
    rules = [
        {"min_amount": 100, "label": "high"},
        {"min_amount": 50, "label": "medium"},
        {"min_amount": 0, "label": "low"},
    ]
    with open(os.path.join(output_paths["rules"], "rules.json"), "w") as f:
        json.dump(rules, f)
"#;

/// Applies the rules to every row; `SORT` re-orders them first (the "optimisation" that
/// mislabels rows).
const LABEL: &str = r#"
import csv, json, os

SORT = False

def main(input_paths, output_paths, environ_vars, job_args):
    with open(os.path.join(input_paths["rules"], "rules.json")) as f:
        rules = json.load(f)
    if SORT:
        rules.sort(key=lambda r: r["min_amount"])
    with open(os.path.join(input_paths["data"], "data.csv")) as f:
        rows = list(csv.DictReader(f))
    with open(os.path.join(output_paths["labels"], "labels.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "amount", "label"])
        for r in rows:
            amount = float(r["amount"])
            label = next(x["label"] for x in rules if amount >= x["min_amount"])
            w.writerow([r["id"], r["amount"], label])
"#;

fn labelling(sandbox: &Sandbox, sort: bool) {
    let scripts = sandbox.path().join("scripts");
    fs::create_dir_all(&scripts).unwrap();
    fs::write(scripts.join("rules.py"), RULES).unwrap();
    let label = if sort {
        LABEL.replace("SORT = False", "SORT = True")
    } else {
        LABEL.to_owned()
    };
    fs::write(scripts.join("label.py"), label).unwrap();
    let data: String = (1..=12)
        .map(|i| format!("{i},{}\\n", i * 10))
        .collect::<Vec<_>>()
        .concat();
    fs::write(
        sandbox.path().join("sf.toml"),
        format!(
            "workspace_dir = \"runs\"\n[discover]\nglobs = [\"scripts/*.py\"]\n\
             [scripts.rules.outputs.rules]\nnon_empty = true\n\
             [scripts.label.inputs.data]\ntext = \"id,amount\\n{data}\"\nfile_name = \"data.csv\"\n\
             [scripts.label.inputs.rules]\njson = []\nfile_name = \"rules.json\"\n\
             [scripts.label.outputs.labels]\ngolden = true\nnot_null = [\"label\"]\n\
             values = {{ label = [\"low\", \"medium\", \"high\"] }}\n\
             rows = {{ equal_to_input = \"data\" }}\n\
             [pipelines.labelling]\nedges = [\"rules.rules -> label.rules\"]\n\
             [[pipelines.labelling.steps]]\nscript = \"rules\"\n\
             [[pipelines.labelling.steps]]\nscript = \"label\"\n"
        ),
    )
    .unwrap();
}

fn sf_test(sandbox: &Sandbox, args: &[&str]) -> (i32, String) {
    let out = sandbox
        .sf()
        .arg("test")
        .args(args)
        .env_remove("CI")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn a_pipeline_step_that_mislabels_rows_fails_its_golden_comparison_naming_the_rows() {
    let sandbox = Sandbox::new();
    labelling(&sandbox, false);
    let golden = sandbox
        .path()
        .join("sf-golden/pipeline/labelling/label/labels");

    // No golden copy yet: the run fails, and its outputs wait for review.
    let (code, text) = sf_test(&sandbox, &["--exact", "pipeline::labelling"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("has no golden copy yet"), "{text}");
    assert!(!golden.exists());
    assert!(golden.with_file_name("labels.new/labels.csv").is_file());

    // Accepted: the copy is golden, the pending files are gone, and the next run passes.
    let out = sandbox
        .sf()
        .args(["review", "--accept"])
        .env_remove("CI")
        .output()
        .unwrap();
    let review = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{review}");
    assert!(review.contains("1 accepted"), "{review}");
    assert!(golden.join("labels.csv").is_file());
    assert!(!golden.with_file_name("labels.new").exists());
    let (code, text) = sf_test(&sandbox, &["--exact", "pipeline::labelling"]);
    assert_eq!(code, 0, "{text}");

    // The re-ordered rules label rows 5 to 9 (amounts 50-90) and 10-12 wrong; every value is
    // still allowed, so only the golden copy sees it.
    labelling(&sandbox, true);
    let (code, text) = sf_test(&sandbox, &["--exact", "pipeline::labelling"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("differs from its golden copy"), "{text}");
    assert!(text.contains("labels.csv: 8 of 12 rows differ"), "{text}");
    assert!(text.contains("label: 8"), "{text}");
    assert!(
        text.contains("row 5: label = \"low\" (golden \"medium\")"),
        "{text}"
    );
    assert!(text.contains("sf review"), "{text}");

    // Rejected: the new files go, the golden copy stays.
    let pending = golden.with_file_name("labels.new");
    assert!(pending.join("labels.csv").is_file());
    let out = sandbox
        .sf()
        .args(["review", "--reject", "labelling"])
        .env_remove("CI")
        .output()
        .unwrap();
    let review = String::from_utf8_lossy(&out.stdout);
    assert!(review.contains("8 of 12 rows differ"), "{review}");
    assert!(review.contains("1 discarded"), "{review}");
    assert!(!pending.exists());
    assert!(golden.join("labels.csv").is_file());

    // JSON says the same, typed, in the step's result.
    let out = sandbox
        .sf()
        .args(["test-pipeline", "labelling", "--output-format", "json"])
        .env_remove("CI")
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = json.to_string();
    assert!(text.contains("\"status\":\"differs\""), "{text}");
    assert!(
        text.contains("\"summary\":\"8 of 12 rows differ\""),
        "{text}"
    );

    // CI never accepts.
    let out = sandbox
        .sf()
        .args(["test", "--exact", "pipeline::labelling", "--accept"])
        .env("CI", "true")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("never accepts golden outputs in CI"),
        "{text}"
    );
    let out = sandbox
        .sf()
        .args(["review", "--accept"])
        .env("CI", "true")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        fs::read_to_string(golden.join("labels.csv"))
            .unwrap()
            .contains("5,50,medium")
    );

    // --accept takes the new outputs as golden (here: wrongly, as a user may), and it passes.
    let (code, text) = sf_test(&sandbox, &["--exact", "pipeline::labelling", "--accept"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        fs::read_to_string(golden.join("labels.csv"))
            .unwrap()
            .contains("5,50,low")
    );
}

const METRICS: &str = r#"
import csv, json, os

def main(input_paths, output_paths, environ_vars, job_args):
    # Computed from a column the input lacks: a constant that means nothing.
    auc = 0.104
    with open(os.path.join(output_paths["metrics"], "metrics.json"), "w") as f:
        json.dump({"auc_roc_class_0": auc, "n": 10}, f)
"#;

#[test]
fn an_out_of_range_metric_fails_its_expectation_naming_file_and_pointer() {
    let sandbox = Sandbox::new();
    fs::create_dir_all(sandbox.path().join("scripts")).unwrap();
    fs::write(sandbox.path().join("scripts/metrics.py"), METRICS).unwrap();
    fs::write(
        sandbox.path().join("sf.toml"),
        "workspace_dir = \"runs\"\n[discover]\nglobs = [\"scripts/*.py\"]\n\
         [scripts.metrics.outputs.metrics]\njson = { \"/auc_roc_class_0\" = [0.5, 1] }\n",
    )
    .unwrap();
    let (code, text) = sf_test(&sandbox, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(
            "output channel `metrics`: metrics.json: `/auc_roc_class_0` fails range [0.5, 1]: found 0.104"
        ),
        "{text}"
    );
    // The same as an expression over the file's values.
    fs::write(
        sandbox.path().join("sf.toml"),
        "workspace_dir = \"runs\"\n[discover]\nglobs = [\"scripts/*.py\"]\n\
         [scripts.metrics.outputs.metrics]\nexpr = \"auc_roc_class_0 >= 0.5 && n > 0\"\n",
    )
    .unwrap();
    let (code, text) = sf_test(&sandbox, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("auc_roc_class_0 = 0.104, n = 10"), "{text}");
}

/// Writes `prob = amount / 100`: out of [0, 1] as soon as an amount passes 100.
const SCORE: &str = r#"
import csv, os

def main(input_paths, output_paths, environ_vars, job_args):
    src = input_paths["input"]
    name = [n for n in os.listdir(src) if n.endswith(".csv")][0]
    with open(os.path.join(src, name)) as f:
        rows = list(csv.DictReader(f))
    with open(os.path.join(output_paths["scores"], "scores.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "prob"])
        for r in rows:
            w.writerow([r["id"], float(r["amount"]) / 100])
"#;

#[test]
fn a_property_run_shrinks_a_failing_expectation_to_a_minimal_dataset() {
    let sandbox = Sandbox::new();
    fs::create_dir_all(sandbox.path().join("scripts")).unwrap();
    fs::write(sandbox.path().join("scripts/score.py"), SCORE).unwrap();
    fs::write(
        sandbox.path().join("sf.toml"),
        "workspace_dir = \"runs\"\n[discover]\nglobs = [\"scripts/*.py\"]\n\
         [scripts.score]\nproptest = { cases = 64, max_rows = 30, edge_values = false }\n\
         [scripts.score.inputs.input]\nrows = 5\ncolumns = [\n\
           { name = \"id\", type = \"id\" },\n\
           { name = \"amount\", type = \"int\", min = 0, max = 1000 },\n]\n\
         [scripts.score.outputs.scores]\nrange = { prob = [0, 1] }\nunique = [\"id\"]\n",
    )
    .unwrap();
    let (code, text) = sf_test(&sandbox, &["--exact", "score::proptest"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("property test failed after"), "{text}");
    assert!(text.contains("to input: 1 row(s)"), "{text}");
    assert!(
        text.contains("`prob` fails range [0, 1] in 1 of 1 rows"),
        "{text}"
    );
}

/// A score that moves in its ninth decimal from run to run, and a timestamp.
const NOISY: &str = r#"
import csv, os, random, time

def main(input_paths, output_paths, environ_vars, job_args):
    with open(os.path.join(output_paths["output"], "scores.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "score", "written_at"])
        for i in range(3):
            w.writerow([i, 0.5 + i / 10 + random.random() * 1e-9, time.time_ns()])
"#;

#[test]
fn volatile_columns_are_ignored_and_tolerance_is_honoured() {
    let sandbox = Sandbox::new();
    fs::create_dir_all(sandbox.path().join("scripts")).unwrap();
    fs::write(sandbox.path().join("scripts/noisy.py"), NOISY).unwrap();
    let config = |extra: &str| {
        fs::write(
            sandbox.path().join("sf.toml"),
            format!(
                "workspace_dir = \"runs\"\n[discover]\nglobs = [\"scripts/*.py\"]\n\
                 [scripts.noisy.outputs.output]\ngolden = true\n{extra}"
            ),
        )
        .unwrap();
    };
    config("tolerance = 1e-6\nvolatile = [\"written_at\"]\n");
    let (code, text) = sf_test(&sandbox, &["--accept"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        sandbox
            .path()
            .join("sf-golden/noisy/small/output/scores.csv")
            .is_file(),
        "{text}"
    );
    let (code, text) = sf_test(&sandbox, &[]);
    assert_eq!(code, 0, "{text}");
    // Without the tolerance, the ninth decimal is a difference; without `volatile`, the time.
    config("volatile = [\"written_at\"]\n");
    let (code, text) = sf_test(&sandbox, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("(score: 3)"), "{text}");
    config("tolerance = { score = 1e-6 }\n");
    let (code, text) = sf_test(&sandbox, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("(written_at: 3)"), "{text}");
}

#[test]
fn expectation_mistakes_in_sf_toml_name_the_file_and_the_key() {
    let sandbox = Sandbox::new();
    fs::create_dir_all(sandbox.path().join("scripts")).unwrap();
    fs::write(sandbox.path().join("scripts/metrics.py"), METRICS).unwrap();
    for (output, key, message) in [
        (
            "range = { prob = [1] }",
            "scripts.metrics.outputs.metrics.range.prob",
            "two numbers",
        ),
        (
            "rows = { equal_to_input = \"nope\" }",
            "scripts.metrics.outputs.metrics.rows",
            "no input channel `nope`",
        ),
        (
            "tolerance = 1e-6",
            "scripts.metrics.outputs.metrics.tolerance",
            "golden = true",
        ),
        (
            "expr = \"(auc > 0.5\"",
            "scripts.metrics.outputs.metrics.expr[0]",
            "cannot read",
        ),
        (
            "json = { auc = [0, 1] }",
            "scripts.metrics.outputs.metrics.json",
            "starts with `/`",
        ),
        (
            "not_nul = [\"id\"]",
            "scripts.metrics.outputs.metrics.not_nul",
            "did you mean `not_null`?",
        ),
    ] {
        fs::write(
            sandbox.path().join("sf.toml"),
            format!(
                "[discover]\nglobs = [\"scripts/*.py\"]\n[scripts.metrics.outputs.metrics]\n{output}\n"
            ),
        )
        .unwrap();
        let (code, text) = sf_test(&sandbox, &["--list"]);
        assert_eq!(code, 2, "{output}: {text}");
        assert!(text.contains("sf.toml"), "{output}: {text}");
        assert!(text.contains(key), "{output}: {text}");
        assert!(text.contains(message), "{output}: {text}");
    }
    // A golden copy is of a passing run.
    fs::write(
        sandbox.path().join("sf.toml"),
        "[discover]\nglobs = [\"scripts/*.py\"]\n[scripts.metrics]\nexpect = \"fail\"\n\
         [scripts.metrics.outputs.metrics]\ngolden = true\n",
    )
    .unwrap();
    let (code, text) = sf_test(&sandbox, &["--list"]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains(
            "`scripts.metrics.outputs.metrics.golden`: a golden copy is of a passing run's outputs"
        ),
        "{text}"
    );
}

#[test]
fn an_edge_expectation_stops_the_downstream_step_naming_the_rows() {
    let sandbox = Sandbox::new();
    labelling(&sandbox, false);
    let toml = fs::read_to_string(sandbox.path().join("sf.toml")).unwrap();
    // The rules file is JSON: the edge expects its first rule to be `high`.
    let toml = toml.replace(
        "[[pipelines.labelling.steps]]\nscript = \"label\"\n",
        "[[pipelines.labelling.steps]]\nscript = \"label\"\n\
         reads = { rules = { json = { \"/0/label\" = \"low\" } } }\n",
    );
    fs::write(sandbox.path().join("sf.toml"), toml).unwrap();
    let (code, text) = sf_test(&sandbox, &["--exact", "pipeline::labelling"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(
            "edge rules.rules -> label.rules: rules.json: `/0/label` fails = \"low\": found \"high\""
        ),
        "{text}"
    );
    assert!(
        Path::new(&sandbox.path().join("sf-golden"))
            .read_dir()
            .is_err()
    );
}

const EVALUATE: &str = r#"
import csv, json, os

def main(input_paths, output_paths, environ_vars, job_args):
    src = input_paths["eval_data"]
    name = [n for n in os.listdir(src) if n.endswith(".csv")][0]
    with open(os.path.join(src, name)) as f:
        rows = list(csv.DictReader(f))
    with open(os.path.join(output_paths["predictions"], "pred.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "label", "prob_class_0", "prob_class_1"])
        for i, r in enumerate(rows):
            p = 0.25 if i % 2 else 0.75
            w.writerow([r["id"], i % 2, 1 - p, p])
    with open(os.path.join(output_paths["metrics"], "metrics.json"), "w") as f:
        json.dump({"auc_roc": 0.8, "model": {"name": "xgboost"}, "metrics": {"f1": 0.7}}, f)
"#;

#[test]
fn a_script_that_meets_every_kind_of_expectation_passes() {
    let sandbox = Sandbox::new();
    fs::create_dir_all(sandbox.path().join("scripts")).unwrap();
    fs::write(sandbox.path().join("scripts/evaluate.py"), EVALUATE).unwrap();
    let write = |prob_range: &str| {
        fs::write(
            sandbox.path().join("sf.toml"),
            format!(
                "workspace_dir = \"runs\"\n[discover]\nglobs = [\"scripts/*.py\"]\n\
                 [scripts.evaluate.inputs.eval_data]\nrows = 20\ncolumns = [{{ name = \"id\", type = \"id\" }}]\n\
                 [scripts.evaluate.outputs.predictions]\n\
                 not_null = [\"id\", \"label\"]\nunique = [\"id\"]\nvalues = {{ label = [0, 1] }}\n\
                 range = {{ prob_class_1 = {prob_range} }}\nsum_to_one = [\"prob_class_0\", \"prob_class_1\"]\n\
                 mean = {{ label = [0.1, 0.9] }}\nrows = {{ equal_to_input = \"eval_data\" }}\n\
                 expr = [\"label == 0 || prob_class_1 < 0.5\", \"rows == 20 && max.prob_class_1 <= 1\"]\n\
                 [scripts.evaluate.outputs.metrics]\n\
                 json = {{ \"/auc_roc\" = [0.5, 1], \"/model/name\" = \"xgboost\" }}\n\
                 expr = \"auc_roc >= 0.5 && metrics.f1 > 0\"\n"
            ),
        )
        .unwrap();
    };
    write("[0, 1]");
    let (code, text) = sf_test(&sandbox, &[]);
    assert_eq!(code, 0, "{text}");
    // The same run against a tighter range: the check is live.
    write("[0, 0.5]");
    let (code, text) = sf_test(&sandbox, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(
            "`prob_class_1` fails range [0, 0.5] in 10 of 20 rows: row 1: prob_class_1 = 0.75"
        ),
        "{text}"
    );
}

#[test]
fn golden_turns_on_for_every_output_from_the_command_line() {
    let sandbox = Sandbox::new();
    fs::create_dir_all(sandbox.path().join("scripts")).unwrap();
    fs::write(sandbox.path().join("scripts/metrics.py"), METRICS).unwrap();
    fs::write(
        sandbox.path().join("sf.toml"),
        "workspace_dir = \"runs\"\n[discover]\nglobs = [\"scripts/*.py\"]\n\
         [scripts.metrics.outputs.metrics]\nnon_empty = true\n",
    )
    .unwrap();
    let (code, text) = sf_test(&sandbox, &[]);
    assert_eq!(code, 0, "{text}");
    let (code, text) = sf_test(&sandbox, &["--golden"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("has no golden copy yet"), "{text}");
    let (code, text) = sf_test(
        &sandbox,
        &["--golden", "--accept", "--output-format", "json"],
    );
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("Accepted the outputs of `metrics`"), "{text}");
    let (code, text) = sf_test(&sandbox, &["--golden"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        sandbox
            .path()
            .join("sf-golden/metrics/small/metrics/metrics.json")
            .is_file()
    );
    // `sf test-script --golden` keeps its copies under the current directory.
    let script = sandbox.path().join("scripts/metrics.py");
    let run = |args: &[&str]| {
        sandbox
            .sf()
            .arg("test-script")
            .arg(&script)
            .args(["--output", "metrics", "--workspace-dir", "runs"])
            .args(args)
            .env_remove("CI")
            .output()
            .unwrap()
    };
    assert_eq!(run(&["--golden"]).status.code(), Some(0));
    fs::write(&script, METRICS.replace("0.104", "0.105")).unwrap();
    let out = run(&["--golden"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "metrics.json: 1 value differs (/auc_roc_class_0: 1): /auc_roc_class_0: 0.105 (golden 0.104)"
        ),
        "{text}"
    );
    assert_eq!(run(&["--golden", "--accept"]).status.code(), Some(0));
    let out = run(&["--golden"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
}
