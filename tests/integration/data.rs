//! Generated data through the command line: deterministic, in every format, with the right size.

use std::fs;
use std::path::PathBuf;

use predicates::str::contains;

use crate::support::Sandbox;

fn generate(sandbox: &Sandbox, out: &str, args: &[&str]) -> Vec<u8> {
    sandbox
        .sf()
        .args(["generate-data"])
        .args(args)
        .args(["--out", out])
        .assert()
        .success()
        .stdout(contains("wrote"));
    let dir = sandbox.path().join(out);
    let file = fs::read_dir(&dir).unwrap().next().unwrap().unwrap().path();
    fs::read(file).unwrap()
}

#[test]
fn the_same_seed_gives_byte_identical_files_and_another_seed_does_not() {
    let sandbox = Sandbox::new();
    for profile in ["currency", "tabular", "training", "generic"] {
        let a = generate(&sandbox, &format!("{profile}-a"), &[profile, "--seed", "7"]);
        let b = generate(&sandbox, &format!("{profile}-b"), &[profile, "--seed", "7"]);
        let c = generate(&sandbox, &format!("{profile}-c"), &[profile, "--seed", "8"]);
        assert_eq!(a, b, "{profile}");
        assert_ne!(a, c, "{profile}");
    }
}

#[test]
fn sizes_and_formats_give_the_documented_rows() {
    let sandbox = Sandbox::new();
    let csv = generate(&sandbox, "csv", &["training", "--size", "medium"]);
    assert_eq!(csv.iter().filter(|b| **b == b'\n').count(), 10_001);
    let tsv = String::from_utf8(generate(
        &sandbox,
        "tsv",
        &["generic", "--rows", "5", "--format", "tsv"],
    ))
    .unwrap();
    assert_eq!(tsv.lines().next().unwrap(), "id\tvalue\tcategory");
    assert_eq!(tsv.lines().count(), 6);
    let jsonl = String::from_utf8(generate(
        &sandbox,
        "jsonl",
        &["currency", "--rows", "3", "--format", "jsonl"],
    ))
    .unwrap();
    assert_eq!(jsonl.lines().count(), 3);
    for line in jsonl.lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_ne!(row["from_currency"], row["to_currency"]);
    }
    assert!(sandbox.path().join("jsonl/data.jsonl").is_file());
}

#[test]
fn test_script_inputs_are_reproducible_from_the_seed_in_the_result() {
    let sandbox = Sandbox::new();
    let input = |seed: &str| {
        let (_, r) = sandbox.test_script("currency_conversion", &["--seed", seed]);
        assert_eq!(r["seed"], seed.parse::<u64>().unwrap());
        fs::read(PathBuf::from(r["workspace"].as_str().unwrap()).join("inputs/input/data.csv"))
            .unwrap()
    };
    assert_eq!(input("11"), input("11"));
    assert_ne!(input("11"), input("12"));
}
