//! Checks that see what a script produced: the members of the archives it wrote, the value its
//! `main` returned, and output checks that belong to their test (a pipeline step's own), as
//! `sf test` runs them on stdlib-only Python scripts.

use std::fs;

use serde_json::Value;

use crate::support::Sandbox;

/// Packs the files named in `MEMBERS` (comma-separated; none by default) into `model.tar.gz`,
/// and the same into `bundle.zip`, deflated.
const PACK: &str = r#"
import io, os, tarfile, zipfile

def main(input_paths, output_paths, environ_vars, job_args):
    names = [n for n in environ_vars.get("MEMBERS", "").split(",") if n]
    with tarfile.open(os.path.join(output_paths["model"], "model.tar.gz"), "w:gz") as tar:
        for name in names:
            data = b"booster"
            info = tarfile.TarInfo("./" + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with zipfile.ZipFile(os.path.join(output_paths["bundle"], "bundle.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        for name in names:
            z.writestr(name, "booster " * 100)
"#;

/// Reports failure the way some real scripts do: by returning it.
const REPORT: &str = r#"
import csv, os

def main(input_paths, output_paths, environ_vars, job_args):
    with open(os.path.join(input_paths["input"], "data.csv")) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return {"status": "error", "message": "no rows to process"}
    with open(os.path.join(output_paths["output"], "out.csv"), "w") as f:
        f.write("id\n" + "".join(r["id"] + "\n" for r in rows))
    return {"status": "success", "metrics": {"rows": len(rows), "auc": float("nan")}}
"#;

/// Writes `ROWS` rows.
const ROWS: &str = r#"
import os

def main(input_paths, output_paths, environ_vars, job_args):
    n = int(environ_vars["ROWS"])
    with open(os.path.join(output_paths["output"], "rows.csv"), "w") as f:
        f.write("id\n" + "".join(f"{i}\n" for i in range(n)))
"#;

fn repo(sandbox: &Sandbox, scripts: &[(&str, &str)], config: &str) {
    // Not under scripts/, so that nothing is discovered: every test is a section below.
    let dir = sandbox.path().join("steps");
    fs::create_dir_all(&dir).unwrap();
    for (name, source) in scripts {
        fs::write(dir.join(format!("{name}.py")), source).unwrap();
    }
    fs::write(
        sandbox.path().join("sf.toml"),
        format!("workspace_dir = \"runs\"\n{config}"),
    )
    .unwrap();
}

/// `sf test ARGS --output-format json`: the exit code and each test's result by name.
fn sf_test(sandbox: &Sandbox, args: &[&str]) -> (i32, Vec<(String, Value)>) {
    let out = sandbox
        .sf()
        .arg("test")
        .args(args)
        .args(["--output-format", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let runs: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let runs = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap().to_owned(), r["result"].clone()))
        .collect();
    (out.status.code().unwrap_or(-1), runs)
}

fn result<'a>(runs: &'a [(String, Value)], name: &str) -> &'a Value {
    &runs
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no test {name} in {runs:?}"))
        .1
}

fn recommendations(result: &Value) -> Vec<String> {
    result["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn an_empty_model_archive_fails_a_members_check_and_is_flagged_without_one() {
    let sandbox = Sandbox::new();
    repo(
        &sandbox,
        &[("pack", PACK)],
        "[scripts.checked]\npath = \"steps/pack.py\"\n\
         outputs.model = { files = \"model.tar.gz\", members = [\"*.bst\", \"hyperparameters.json\"] }\n\
         outputs.bundle = {}\n\
         [scripts.unchecked]\npath = \"steps/pack.py\"\n\
         outputs.model = { files = \"model.tar.gz\" }\noutputs.bundle = {}\n\
         [scripts.packed]\npath = \"steps/pack.py\"\n\
         env = { MEMBERS = \"xgboost.bst,hyperparameters.json\" }\n\
         outputs.model = { files = \"model.tar.gz\", members = [\"*.bst\", \"hyperparameters.json\"] }\n\
         outputs.bundle = { members = [\"xgboost.bst\"], min_members = 2 }\n\
         [scripts.short]\npath = \"steps/pack.py\"\n\
         env = { MEMBERS = \"xgboost.bst\" }\n\
         outputs.model = {}\noutputs.bundle = { min_members = 2 }\n",
    );
    let (code, runs) = sf_test(&sandbox, &[]);
    assert_eq!(code, 1, "{runs:?}");

    let checked = result(&runs, "checked::small");
    assert_eq!(checked["status"], "FAIL");
    assert_eq!(
        checked["error_message"],
        "output channel `model`: model.tar.gz has no member matching `*.bst` (members: none: the archive is empty)"
    );

    // `files` alone passed an empty archive before; it still passes, with a recommendation.
    let unchecked = result(&runs, "unchecked::small");
    assert_eq!(unchecked["status"], "PASS", "{unchecked}");
    let said = recommendations(unchecked);
    assert!(
        said.iter().any(|r| r.contains(
            "Output channel `model`: model.tar.gz is an archive with no members: the script packed nothing"
        )),
        "{said:?}"
    );
    assert!(
        said.iter().any(
            |r| r.contains("Output channel `bundle`: bundle.zip is an archive with no members")
        ),
        "{said:?}"
    );

    // Members written with `./` in front, and a deflated zip, are read by name.
    let packed = result(&runs, "packed::small");
    assert_eq!(packed["status"], "PASS", "{packed}");
    assert!(
        !recommendations(packed)
            .iter()
            .any(|r| r.contains("archive")),
        "{packed}"
    );

    let short = result(&runs, "short::small");
    assert_eq!(
        short["error_message"],
        "output channel `bundle`: bundle.zip holds 1 member, fewer than the 2 required (members: xgboost.bst)"
    );
}

#[test]
fn a_returned_error_fails_a_returns_check_and_the_value_is_in_the_result() {
    let sandbox = Sandbox::new();
    let empty = "inputs.input = { text = \"id\\n\", file_name = \"data.csv\" }\n";
    let rows = "inputs.input = { text = \"id\\n1\\n2\\n\", file_name = \"data.csv\" }\n";
    repo(
        &sandbox,
        &[
            ("report", REPORT),
            (
                "silent",
                "def main(input_paths, output_paths, environ_vars, job_args):\n    pass\n",
            ),
            (
                "later",
                "async def main(input_paths, output_paths, environ_vars, job_args):\n    return {\"status\": \"success\"}\n",
            ),
        ],
        &format!(
            "[scripts.checked]\npath = \"steps/report.py\"\nreturns = {{ status = \"success\" }}\n{empty}\
             [scripts.unchecked]\npath = \"steps/report.py\"\n{empty}\
             [scripts.fine]\npath = \"steps/report.py\"\n\
             returns = {{ status = \"success\", \"/metrics/rows\" = [1, 10] }}\n{rows}\
             [scripts.pointer]\npath = \"steps/report.py\"\nreturns = {{ \"/metrics/rows\" = 5 }}\n{rows}\
             [scripts.silent]\npath = \"steps/silent.py\"\nreturns = {{ status = \"success\" }}\n\
             [scripts.later]\npath = \"steps/later.py\"\nreturns = {{ status = \"success\" }}\n"
        ),
    );
    let (code, runs) = sf_test(&sandbox, &[]);
    assert_eq!(code, 1, "{runs:?}");

    let checked = result(&runs, "checked::fixed");
    assert_eq!(checked["status"], "FAIL", "{checked}");
    assert_eq!(
        checked["error_message"],
        "main returned `status` = \"error\", expected = \"success\" (main returned {\"message\":\"no rows to process\",\"status\":\"error\"})"
    );
    assert_eq!(checked["returned"]["status"], "error");

    // Without a check the run passes, as before, and the recommendation says what it returned.
    let unchecked = result(&runs, "unchecked::fixed");
    assert_eq!(unchecked["status"], "PASS", "{unchecked}");
    assert!(
        recommendations(unchecked)
            .iter()
            .any(|r| r.starts_with("main returned {\"message\":\"no rows to process\",\"status\":\"error\"}, which reads as a failure")),
        "{unchecked}"
    );

    let fine = result(&runs, "fine::fixed");
    assert_eq!(fine["status"], "PASS", "{fine}");
    // NaN is not JSON: it is recorded as text.
    assert_eq!(fine["returned"]["metrics"]["auc"], "NaN");

    let pointer = result(&runs, "pointer::fixed");
    assert!(
        pointer["error_message"]
            .as_str()
            .unwrap()
            .starts_with("main returned `/metrics/rows` = 2, expected = 5"),
        "{pointer}"
    );

    let silent = result(&runs, "silent::small");
    assert_eq!(
        silent["error_message"],
        "main returned None; returns expects `status` = \"success\""
    );
    assert_eq!(silent["returned"], Value::Null);
    assert!(
        silent.as_object().unwrap().contains_key("returned"),
        "None is recorded as null: {silent}"
    );

    // An async main's value is what it awaited to.
    let later = result(&runs, "later::small");
    assert_eq!(later["status"], "PASS", "{later}");
    assert_eq!(later["returned"]["status"], "success");
}

#[test]
fn a_returns_check_holds_in_every_property_case_warm_or_cold() {
    let sandbox = Sandbox::new();
    repo(
        &sandbox,
        &[("report", REPORT)],
        "[scripts.report]\npath = \"steps/report.py\"\nreturns = { status = \"success\" }\n\
         proptest = { cases = 8, max_rows = 5, edge_values = false }\n\
         [scripts.report.inputs.input]\nfile_name = \"data.csv\"\nrows = 3\n\
         columns = [{ name = \"id\", type = \"id\" }]\n",
    );
    // Warm where namespaces allow it (forked from an interpreter that imported the script), and
    // cold.
    for extra in [&[][..], &["--cold"][..]] {
        let out = sandbox
            .sf()
            .args(["test", "--exact", "report::proptest"])
            .args(extra)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{text}");
        // The case with no rows makes main return its error; it is the minimal one.
        assert!(text.contains("to input: 0 row(s)"), "{text}");
        assert!(
            text.contains("main returned `status` = \"error\", expected = \"success\""),
            "{text}"
        );
        assert!(
            text.contains(
                "  returned: {\"message\":\"no rows to process\",\"status\":\"error\"}\n"
            ),
            "the text report shows what main returned: {text}"
        );
        // A bundle from the first run is replayed first by the second: remove it.
        let _ = fs::remove_dir_all(sandbox.path().join("sf-regressions"));
    }
}

#[test]
fn a_pipeline_step_overrides_its_scripts_min_rows() {
    let sandbox = Sandbox::new();
    repo(
        &sandbox,
        &[("rows", ROWS)],
        "[scripts.rows]\npath = \"steps/rows.py\"\nenv = { ROWS = \"20\" }\noutputs.output = { min_rows = 10, columns = [\"id\"] }\n\
         [pipelines.inherits]\n[[pipelines.inherits.steps]]\nscript = \"rows\"\nenv = { ROWS = \"3\" }\n\
         [pipelines.overrides]\n[[pipelines.overrides.steps]]\nscript = \"rows\"\nenv = { ROWS = \"3\" }\n\
         outputs.output = { min_rows = 1 }\n\
         [pipelines.drops]\n[[pipelines.drops.steps]]\nscript = \"rows\"\nenv = { ROWS = \"0\" }\n\
         outputs.output = {}\n",
    );
    let (code, runs) = sf_test(&sandbox, &[]);
    assert_eq!(code, 1, "{runs:?}");
    assert_eq!(result(&runs, "rows::small")["status"], "PASS");
    let inherits = result(&runs, "pipeline::inherits");
    assert_eq!(inherits["status"], "FAIL", "{inherits}");
    assert!(
        inherits["error_message"]
            .as_str()
            .unwrap()
            .contains("output channel `output` holds 3 data rows, fewer than the 10 required"),
        "{inherits}"
    );
    let overrides = result(&runs, "pipeline::overrides");
    assert_eq!(overrides["status"], "PASS", "{overrides}");
    let drops = result(&runs, "pipeline::drops");
    assert_eq!(drops["status"], "PASS", "{drops}");
}

#[test]
fn a_huge_return_value_is_summarized_within_its_bound() {
    let sandbox = Sandbox::new();
    repo(
        &sandbox,
        &[
            (
                "huge",
                "def main(input_paths, output_paths, environ_vars, job_args):\n    \
             return {\"rows\": list(range(100000)), \"text\": \"x\" * 100000, \
             \"model\": object(), \"nested\": [[[[[[[[[[1]]]]]]]]]], \"inf\": float(\"-inf\")}\n",
            ),
            (
                "exits",
                "import sys\n\ndef main(input_paths, output_paths, environ_vars, job_args):\n    sys.exit(0)\n",
            ),
        ],
        "[scripts.huge]\npath = \"steps/huge.py\"\n\
         [scripts.exits]\npath = \"steps/exits.py\"\nreturns = { status = \"success\" }\n",
    );
    let (code, runs) = sf_test(&sandbox, &[]);
    assert_eq!(code, 1, "{runs:?}");
    let huge = result(&runs, "huge::small");
    assert_eq!(huge["status"], "PASS", "{huge}");
    let returned = &huge["returned"];
    assert!(
        returned.to_string().len() <= 8 * 1024,
        "{} bytes",
        returned.to_string().len()
    );
    let rows = returned["rows"].as_array().unwrap();
    assert!(
        rows.last()
            .unwrap()
            .as_str()
            .unwrap()
            .ends_with("more items cut"),
        "{returned}"
    );
    assert!(
        returned["text"]
            .as_str()
            .unwrap()
            .ends_with("characters cut)"),
        "{returned}"
    );
    assert!(
        returned["model"]
            .as_str()
            .unwrap()
            .starts_with("<object object at"),
        "{returned}"
    );
    assert_eq!(returned["inf"], "-Infinity");
    // sys.exit(0) is a success with no value: a returns check cannot hold on it.
    let exits = result(&runs, "exits::small");
    assert_eq!(exits["status"], "FAIL", "{exits}");
    assert!(
        exits["error_message"]
            .as_str()
            .unwrap()
            .starts_with("no return value to check"),
        "{exits}"
    );
}

#[test]
fn a_step_that_reads_an_empty_archive_through_an_edge_does_not_run() {
    let sandbox = Sandbox::new();
    repo(
        &sandbox,
        &[
            ("pack", PACK),
            (
                "serve",
                "import os\n\ndef main(input_paths, output_paths, environ_vars, job_args):\n    \
                 open(os.path.join(output_paths[\"output\"], \"served\"), \"w\").write(\"ok\")\n",
            ),
        ],
        "[scripts.pack]\npath = \"steps/pack.py\"\noutputs.model = {}\noutputs.bundle = {}\n\
         [scripts.serve]\npath = \"steps/serve.py\"\ninputs.model = { empty = true }\n\
         [pipelines.deploy]\nedges = [\"pack.model -> serve.model\"]\n\
         [[pipelines.deploy.steps]]\nscript = \"pack\"\n\
         [[pipelines.deploy.steps]]\nscript = \"serve\"\n\
         reads.model = { members = [\"*.bst\"] }\n",
    );
    let (code, runs) = sf_test(&sandbox, &["--exact", "pipeline::deploy"]);
    assert_eq!(code, 1, "{runs:?}");
    let deploy = result(&runs, "pipeline::deploy");
    assert_eq!(
        deploy["error_message"],
        "step serve did not run: edge pack.model -> serve.model: model.tar.gz has no member matching `*.bst` (members: none: the archive is empty)"
    );
}
