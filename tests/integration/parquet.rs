//! Parquet between steps (the `parquet` feature): generated inputs, output checks and edge checks
//! of `.parquet` files, on stdlib-only scripts that copy them as they are.

use std::fs;

use crate::support::Sandbox;

/// Copies every file of its input to its output, untouched; `DROP` empties the output instead.
const COPY: &str = r#"
import os, shutil

DROP = False

def main(input_paths, output_paths, environ_vars, job_args):
    src = input_paths["data"]
    for name in sorted(os.listdir(src)):
        if DROP:
            open(os.path.join(output_paths["out"], name), "wb").close()
        else:
            shutil.copy(os.path.join(src, name), output_paths["out"])
"#;

fn sf_test(sandbox: &Sandbox, args: &[&str]) -> (i32, String) {
    let out = sandbox.sf().arg("test").args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// `copy` hands its Parquet input on; `emit` writes files of the same names with nothing in them.
fn repository(sandbox: &Sandbox) {
    let scripts = sandbox.path().join("scripts");
    fs::create_dir_all(&scripts).unwrap();
    fs::write(scripts.join("copy.py"), COPY).unwrap();
    fs::write(scripts.join("load.py"), COPY).unwrap();
    fs::write(
        scripts.join("emit.py"),
        COPY.replace("DROP = False", "DROP = True"),
    )
    .unwrap();
    fs::write(
        sandbox.path().join("sf.toml"),
        r#"workspace_dir = "runs"
[scripts.copy.inputs.data]
data = "training"
rows = 40
format = "parquet"
shards = 2
[scripts.copy.outputs.out]
files = "part-*.parquet"
min_rows = 40
columns = ["feature_0", "target"]
not_null = ["target"]
values = { target = [0, 1] }
[scripts.copy_more]
path = "scripts/copy.py"
[scripts.copy_more.inputs.data]
data = "training"
rows = 40
format = "parquet"
[scripts.copy_more.outputs.out]
min_rows = 41
[scripts.load.inputs.data]
data = "training"
rows = 3
format = "parquet"
[scripts.load.outputs.out]
files = "*.parquet"
[scripts.emit.inputs.data]
data = "training"
rows = 40
format = "parquet"
shards = 2
[scripts.emit.outputs.out]
[scripts.emit_checked]
path = "scripts/emit.py"
[scripts.emit_checked.inputs.data]
data = "training"
rows = 40
format = "parquet"
shards = 2
[scripts.emit_checked.outputs.out]
min_rows = 1
[pipelines.broken]
edges = ["emit.out -> load.data"]
[[pipelines.broken.steps]]
script = "emit"
[[pipelines.broken.steps]]
script = "load"
reads = { data = { files = "*.parquet", columns = ["feature_0", "target"] } }
[pipelines.handover]
edges = ["copy.out -> load.data"]
[[pipelines.handover.steps]]
script = "copy"
[[pipelines.handover.steps]]
script = "load"
reads = { data = { files = "*.parquet", columns = ["feature_0", "target"] } }
"#,
    )
    .unwrap();
}

#[test]
fn parquet_inputs_outputs_and_edges_are_generated_and_read() {
    let sandbox = Sandbox::new();
    repository(&sandbox);
    let (code, text) = sf_test(&sandbox, &["--exact", "copy::rows_40"]);
    assert_eq!(code, 0, "{text}");
    // The row count of a Parquet output is read, not assumed.
    let (code, text) = sf_test(&sandbox, &["--exact", "copy_more::rows_40"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("output channel `out` holds 40 data rows, fewer than the 41 required"),
        "{text}"
    );
    let (code, text) = sf_test(&sandbox, &["--exact", "pipeline::handover"]);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn an_empty_parquet_file_fails_its_output_and_edge_checks_naming_it() {
    let sandbox = Sandbox::new();
    repository(&sandbox);
    let (code, text) = sf_test(&sandbox, &["--exact", "emit_checked::rows_40"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(
            "output channel `out`: cannot read part-00000.parquet: not a Parquet file sf can read"
        ),
        "{text}"
    );
    let (code, text) = sf_test(&sandbox, &["--exact", "pipeline::broken"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("edge emit.out -> load.data: cannot read part-00000.parquet"),
        "{text}"
    );
}
