//! Script tests written in Rust with `#[script_test]`: `cargo test -p sf-examples --test script_tests`.

use sf::{ScriptRun, script_test};

// The script is named explicitly; the test passes when the script passes.
#[script_test(
    script = "scripts/currency_conversion.py",
    data = "currency",
    size = "small"
)]
fn currency_conversion_small() {}

// No `script`: the function's name is the script's name.
#[script_test(data = "currency", size = "medium", job_args(target_currency = "EUR"))]
fn currency_conversion(run: ScriptRun) {
    let converted = std::fs::read_to_string(run.output("output").join("converted.csv")).unwrap();
    assert_eq!(
        converted.lines().next(),
        Some("from_currency,to_currency,amount,date,amount_eur")
    );
    assert_eq!(converted.lines().count(), 1_001);
    assert!(run.stdout().contains("converted 1000 rows to EUR"));
}

// The body receives the run: result, inputs, outputs, logs.
#[script_test(
    data = "tabular",
    size = "medium",
    seed = 7,
    env(LABEL_FIELD = "target", SPLIT_SEED = "3"),
    job_args(job_type = "training"),
    timeout = "60s"
)]
fn tabular_preprocessing(run: ScriptRun) {
    assert!(run.output("output").join("train").exists());
    assert_eq!(run.result().seed, 7);
    assert!(run.result().memory_usage > 1.0);
    assert!(run.input("input").join("data.csv").is_file());
}

// A prefix of the function's name finds the script: this tests scripts/row_counter.sh.
#[script_test(
    data = "generic",
    rows = 17,
    format = "tsv",
    inputs("input"),
    outputs("output")
)]
fn row_counter_counts_tsv_rows(run: ScriptRun) {
    let counts = std::fs::read_to_string(run.output("output").join("counts.txt")).unwrap();
    assert_eq!(counts, "data.tsv 17\ntotal 17\n");
}

// Every profile and size reaches the script.
#[script_test(script = "row_counter", data = "training", size = "small")]
fn row_counter_training_small(run: ScriptRun) {
    assert!(run.stdout().contains("counted 1000 rows"));
}

#[script_test(
    script = "row_counter",
    data = "tabular",
    size = "large",
    format = "jsonl"
)]
fn row_counter_tabular_large_jsonl(run: ScriptRun) {
    // JSON Lines has no header, so the shell script's "minus one" undercounts by one.
    assert!(run.stdout().contains("counted 49999 rows"));
}

// A test that expects the script to fail on an empty input.
#[script_test(
    script = "scripts/strict_loader.py",
    data = "generic",
    rows = 0,
    expect = "fail"
)]
fn strict_loader_rejects_empty_input() {}

// Listed, run only with --ignored: strict_loader fails on an empty input.
#[script_test(
    script = "strict_loader",
    rows = 0,
    ignore = "fails on an empty input by design"
)]
fn strict_loader_on_empty_input() {}

// A script inside a package, with relative imports: imported by its dotted name from the folder
// that holds the package, as where it is deployed.
#[script_test(
    script = "packaged/acme/steps/scripts/relative_step.py",
    import_root = "packaged",
    data = "generic"
)]
fn relative_step_in_its_package(run: ScriptRun) {
    let tagged = std::fs::read_to_string(run.output("output").join("tagged.txt")).unwrap();
    assert_eq!(tagged, "acme.steps.scripts.relative_step-processed");
}

// The outputs must match the golden copy committed in sf-golden/script_tests/<test>/; accept a
// change with `SF_ACCEPT=1 cargo test` or `sf review`.
#[script_test(script = "row_counter", data = "generic", rows = 5, golden = true)]
fn row_counter_matches_its_golden_output() {}
