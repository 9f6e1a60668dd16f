//! The example scripts pass, through both adapters, and produce what they promise.

use std::fs;
use std::path::PathBuf;

use crate::support::Sandbox;

#[test]
fn currency_conversion_passes_with_time_memory_and_its_output() {
    let sandbox = Sandbox::new();
    let (code, result) = sandbox.test_script("currency_conversion", &[]);
    assert_eq!(code, 0, "{result:#}");
    assert_eq!(result["status"], "PASS");
    assert_eq!(result["script_name"], "currency_conversion");
    assert!(result["execution_time"].as_f64().unwrap() > 0.0);
    assert!(result["memory_usage"].as_f64().unwrap() > 1.0);
    assert_eq!(result["seed"], 42);
    assert!(result["timestamp"].is_string());
    assert!(
        result["recommendations"].as_array().unwrap().is_empty(),
        "{result:#}"
    );
    let ws = PathBuf::from(result["workspace"].as_str().unwrap());
    let converted = fs::read_to_string(ws.join("outputs/output/converted.csv")).unwrap();
    assert_eq!(
        converted.lines().next(),
        Some("from_currency,to_currency,amount,date,amount_usd")
    );
    assert_eq!(
        converted.lines().count(),
        101,
        "100 small currency rows plus a header"
    );
}

#[test]
fn tabular_preprocessing_writes_train_test_val_splits() {
    let sandbox = Sandbox::new();
    let (code, result) = sandbox.test_script("tabular_preprocessing", &["--data-size", "medium"]);
    assert_eq!(code, 0, "{result:#}");
    let ws = PathBuf::from(result["workspace"].as_str().unwrap());
    let mut rows = 0;
    for split in ["train", "test", "val"] {
        let file = ws.join(format!("outputs/output/{split}/{split}_processed_data.csv"));
        rows += fs::read_to_string(&file).unwrap().lines().count() - 1;
    }
    assert_eq!(rows, 5_000);
}

#[test]
fn the_command_adapter_runs_a_shell_script() {
    let sandbox = Sandbox::new();
    let (code, result) = sandbox.test_script("row_counter", &["--data", "generic", "--rows", "17"]);
    assert_eq!(code, 0, "{result:#}");
    let ws = PathBuf::from(result["workspace"].as_str().unwrap());
    let counts = fs::read_to_string(ws.join("outputs/output/counts.txt")).unwrap();
    assert_eq!(counts, "data.csv 17\ntotal 17\n");
}

#[test]
fn text_output_shows_status_time_memory_and_workspace() {
    let sandbox = Sandbox::new();
    let out = sandbox
        .sf()
        .args(["test-script", "currency_conversion", "--scripts-dir"])
        .arg(crate::support::examples())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("PASS currency_conversion  "), "{text}");
    assert!(
        first.contains(" s  ") && first.contains(" MB  seed 42"),
        "{text}"
    );
    assert!(text.contains("workspace: "), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "no color escapes when NO_COLOR is set: {text:?}"
    );
}

#[test]
fn strict_loader_fails_on_a_header_only_input_with_its_traceback() {
    let sandbox = Sandbox::new();
    let (code, result) = sandbox.test_script("strict_loader", &["--rows", "0"]);
    assert_eq!(code, 1);
    assert_eq!(result["status"], "FAIL");
    let error = result["error_message"].as_str().unwrap();
    assert!(error.starts_with("ValueError: no data rows in "), "{error}");
    let tb = result["execution"]["script_error"]["traceback"]
        .as_str()
        .unwrap();
    assert!(tb.contains("strict_loader.py\", line 17, in main"), "{tb}");
    let (code, _) = sandbox.test_script("strict_loader", &["--rows", "1"]);
    assert_eq!(code, 0);
}
