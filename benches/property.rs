//! Property runs: cases per second against a stdlib-only Python script, and how long shrinking a
//! failure takes. Run: `cargo bench --bench property`.

use std::path::Path;
use std::time::Instant;

use sf::{Profile, PropertyConfig, TestSpec, run_property};

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scripts");
    let counting = dir.path().join("count_rows.py");
    std::fs::write(
        &counting,
        "import csv, glob, os\n\ndef main(input_paths, output_paths, environ_vars, job_args):\n    \
         n = sum(1 for p in glob.glob(os.path.join(input_paths['input'], '*.csv')) for _ in csv.reader(open(p, newline='')))\n    \
         open(os.path.join(output_paths['output'], 'n.txt'), 'w').write(str(n))\n",
    )
    .unwrap();
    let base = |script: &Path| {
        TestSpec::new(script.to_string_lossy())
            .profile(Profile::Currency)
            .workspace_root(dir.path().join("ws"))
    };
    let config = |cases, name: &str| PropertyConfig {
        cases,
        bundle_dir: dir.path().join(name),
        ..PropertyConfig::default()
    };

    println!("| property run | cases | shrink steps | time | per second |");
    println!("|---|---:|---:|---:|---:|");
    let start = Instant::now();
    let report = run_property(&base(&counting), &config(64, "passing"));
    let secs = start.elapsed().as_secs_f64();
    assert!(report.failure.is_none());
    println!(
        "| stdlib Python script, every case passes | {} | 0 | {secs:.2} s | {:.1} cases/s |",
        report.cases_run,
        f64::from(report.cases_run) / secs
    );

    let start = Instant::now();
    let report = run_property(
        &base(&scripts.join("amount_summary.py")),
        &config(64, "failing"),
    );
    let secs = start.elapsed().as_secs_f64();
    let failure = report.failure.expect("the planted bug is found");
    println!(
        "| amount_summary.py (planted bug): find and shrink to {:?} | {} | {} | {secs:.2} s | {:.1} runs/s |",
        failure.minimal_rows,
        report.cases_run,
        report.shrink_steps,
        f64::from(report.cases_run + report.shrink_steps) / secs
    );
}
