//! Peak memory is the operating system's figure for the script's whole process tree.

use crate::support::Sandbox;

#[test]
fn a_script_holding_300_mb_is_reported_within_ten_percent() {
    let sandbox = Sandbox::new();
    let (code, r) = sandbox.test_script("holds_300mb", &[]);
    assert_eq!(code, 0, "{r:#}");
    let mb = r["memory_usage"].as_f64().unwrap();
    assert!(
        (270.0..=330.0).contains(&mb),
        "reported {mb} MB for a 300 MB script"
    );
}

#[test]
fn memory_of_child_processes_is_summed_across_the_tree() {
    let sandbox = Sandbox::new();
    let (code, r) = sandbox.test_script("tree_memory", &[]);
    assert_eq!(code, 0, "{r:#}");
    let mb = r["memory_usage"].as_f64().unwrap();
    // Three children hold 100 MB each at once; no single process exceeds ~115 MB.
    assert!(
        mb >= 280.0,
        "reported only {mb} MB for three 100 MB children"
    );
}

#[test]
fn an_orphaned_grandchild_counts_and_meets_the_memory_limit() {
    let sandbox = Sandbox::new();
    let started = std::time::Instant::now();
    let (code, r) = sandbox.test_script("orphan_memory", &["--memory-limit", "200MB"]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(r["execution"]["outcome"]["kind"], "out_of_memory", "{r:#}");
    assert!(
        r["memory_usage"].as_f64().unwrap() >= 200.0,
        "the orphan's memory is the run's: {r:#}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "the limit stopped the run, it did not run to its end"
    );
    let (code, r) = sandbox.test_script("orphan_memory", &[]);
    assert_eq!(code, 0, "{r:#}");
    assert!(r["memory_usage"].as_f64().unwrap() >= 380.0, "{r:#}");
}
