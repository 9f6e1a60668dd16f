//! `sf init` takes a folder of scripts to a tested repository in one command.

use std::fs;

use predicates::str::contains;

use crate::support::Sandbox;

const SCRIPT: &str = r#"import argparse
import os


def main(input_paths, output_paths, environ_vars, job_args):
    label = environ_vars.get("LABEL_FIELD", "label")
    bins = job_args.n_bins if hasattr(job_args, "n_bins") else 10
    rows = open(os.path.join(input_paths["input_data"], "data.csv")).read().count("\n")
    sig = input_paths.get('signature')
    with open(os.path.join(output_paths["processed_data"], "rows.txt"), "w") as f:
        f.write(str(rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--job-type", type=str, required=True)
    parser.add_argument("--n-bins", type=int, default=10)
"#;

#[test]
fn init_scaffolds_config_harness_and_manifest_that_then_pass() {
    let sandbox = Sandbox::new();
    fs::create_dir(sandbox.path().join("scripts")).unwrap();
    fs::write(sandbox.path().join("scripts/risk_preprocessing.py"), SCRIPT).unwrap();
    sandbox
        .sf()
        .arg("init")
        .assert()
        .success()
        .stdout(contains("wrote sf.toml (1 script(s))"));

    let config = fs::read_to_string(sandbox.path().join("sf.toml")).unwrap();
    assert!(
        config.contains("[scripts.risk_preprocessing.inputs.input_data]\ndata = \"tabular\""),
        "{config}"
    );
    assert!(
        config.contains("[scripts.risk_preprocessing.inputs.signature]"),
        "{config}"
    );
    assert!(
        config.contains("[scripts.risk_preprocessing.outputs.processed_data]\nnon_empty = true"),
        "{config}"
    );
    // What else the script reads is written as placeholders to fill in.
    assert!(
        config.contains("# env = { LABEL_FIELD = \"\" }"),
        "{config}"
    );
    assert!(
        config.contains("# job_args = { job_type = \"\", n_bins = \"\" }"),
        "{config}"
    );
    let harness = fs::read_to_string(sandbox.path().join("tests/scripts.rs")).unwrap();
    assert!(harness.contains("sf::harness::main()"));
    let manifest = fs::read_to_string(sandbox.path().join("Cargo.toml")).unwrap();
    let doc: toml::Table = toml::from_str(&manifest).unwrap();
    let sf = doc["dev-dependencies"]["sf"].as_table().expect(&manifest);
    // A path relative to the repository: it works on a teammate's machine with the same layout,
    // never an absolute path of this one.
    let path = sf["path"].as_str().expect(&manifest);
    assert!(std::path::Path::new(path).is_relative(), "{manifest}");
    assert!(
        sandbox.path().join(path).join("src/lib.rs").is_file(),
        "{manifest}"
    );
    // What cargo and sf's runs write stays out of version control.
    let ignore = fs::read_to_string(sandbox.path().join(".gitignore")).unwrap();
    assert!(
        ignore.lines().any(|l| l == "target/") && ignore.lines().any(|l| l == "pipeline_testing/"),
        "{ignore}"
    );
    // The harness, without the command line's dependencies.
    assert_eq!(sf["default-features"].as_bool(), Some(false), "{manifest}");
    assert_eq!(
        sf["features"].as_array().map(|f| f.as_slice()),
        Some(&[toml::Value::from("harness")][..]),
        "{manifest}"
    );
    assert_eq!(doc["test"][0]["name"].as_str(), Some("scripts"));
    assert_eq!(doc["test"][0]["harness"].as_bool(), Some(false));

    // The scaffolded configuration runs as it is.
    sandbox
        .sf()
        .args(["test"])
        .assert()
        .success()
        .stdout(contains("1 passed, 0 failed"));
}

#[test]
fn init_never_overwrites_without_force_and_keeps_an_existing_manifest() {
    let sandbox = Sandbox::new();
    fs::create_dir(sandbox.path().join("scripts")).unwrap();
    fs::write(sandbox.path().join("scripts/a.py"), SCRIPT).unwrap();
    fs::write(sandbox.path().join("sf.toml"), "# mine\n").unwrap();
    fs::write(
        sandbox.path().join("Cargo.toml"),
        "[package]\nname = \"mine\"\nversion = \"1.0.0\"\n\n[dev-dependencies]\nserde = \"1\" # keep me\n",
    )
    .unwrap();
    sandbox
        .sf()
        .arg("init")
        .assert()
        .code(2)
        .stderr(contains("already exist"));
    assert_eq!(
        fs::read_to_string(sandbox.path().join("sf.toml")).unwrap(),
        "# mine\n"
    );

    sandbox.sf().args(["init", "--force"]).assert().success();
    assert!(
        fs::read_to_string(sandbox.path().join("sf.toml"))
            .unwrap()
            .contains("[scripts.a]")
    );
    let manifest = fs::read_to_string(sandbox.path().join("Cargo.toml")).unwrap();
    assert!(manifest.contains("serde = \"1\" # keep me"), "{manifest}");
    assert!(manifest.contains("name = \"mine\""), "{manifest}");
}
