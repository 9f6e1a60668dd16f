//! Property runs, warm and cold side by side: cases per second against a stdlib-only Python
//! script, and how long finding and shrinking the example's planted bug takes. A third pair runs
//! a script that imports pandas and scikit-learn: from the interpreter `SF_BENCH_PYTHON` names,
//! else from a virtual environment the bench makes once under `target/bench-venv` with pip, with
//! pyarrow beside them as pandas users usually have it (skipped, with a message, when pip cannot
//! install them). Run: `cargo bench --bench property`.

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
    let heavy = dir.path().join("sklearn_fit.py");
    std::fs::write(
        &heavy,
        "import glob, os\nimport pandas as pd\nfrom sklearn.preprocessing import StandardScaler\n\n\
         def main(input_paths, output_paths, environ_vars, job_args):\n    \
         frames = [pd.read_csv(p) for p in glob.glob(os.path.join(input_paths['input'], '*.csv'))]\n    \
         df = pd.concat(frames) if frames else pd.DataFrame()\n    \
         n = len(df)\n    \
         if n:\n        StandardScaler().fit(df[['feature_0']].fillna(0).clip(-1e6, 1e6))\n    \
         open(os.path.join(output_paths['output'], 'n.txt'), 'w').write(str(n))\n",
    )
    .unwrap();
    let base = |script: &Path, profile| {
        TestSpec::new(script.to_string_lossy())
            .profile(profile)
            .workspace_root(dir.path().join("ws"))
    };
    let config = |cases, name: &str, warm| PropertyConfig {
        cases,
        warm,
        bundle_dir: dir.path().join(name),
        ..PropertyConfig::default()
    };

    println!("| property run | start | cases | shrink steps | time | per case |");
    println!("|---|---|---:|---:|---:|---:|");
    let row = |what: &str, spec: &TestSpec, cases, warm: bool, expect_failure: bool| {
        let start = Instant::now();
        let report = run_property(spec, &config(cases, &format!("{what}-{warm}"), warm));
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(
            report.failure.is_some(),
            expect_failure,
            "{what}: {:?}",
            report.failure.as_ref().map(|f| &f.result.error_message)
        );
        let runs = report.cases_run + report.shrink_steps;
        let shrunk = match &report.failure {
            Some(f) => format!(" → {:?}", f.minimal_rows),
            None => String::new(),
        };
        println!(
            "| {what}{shrunk} | {} | {} | {} | {secs:.2} s | {:.1} ms |",
            report.starts.describe(),
            report.cases_run,
            report.shrink_steps,
            secs * 1000.0 / f64::from(runs.max(1))
        );
        secs * 1000.0 / f64::from(runs.max(1))
    };
    let stdlib = base(&counting, Profile::Currency);
    let warm = row("stdlib script, every case passes", &stdlib, 64, true, false);
    let cold = row(
        "stdlib script, every case passes",
        &stdlib,
        64,
        false,
        false,
    );
    println!(
        "\nstdlib script: warm {warm:.1} ms / cold {cold:.1} ms per case ({:.1}×)\n",
        cold / warm
    );
    let planted = base(&scripts.join("amount_summary.py"), Profile::Currency);
    row(
        "amount_summary.py, planted bug: find and shrink",
        &planted,
        64,
        true,
        true,
    );
    row(
        "amount_summary.py, planted bug: find and shrink",
        &planted,
        64,
        false,
        true,
    );
    match heavy_python() {
        Ok(python) => {
            let spec = base(&heavy, Profile::Training).python(python);
            let warm = row("pandas + scikit-learn script", &spec, 16, true, false);
            let cold = row("pandas + scikit-learn script", &spec, 16, false, false);
            println!(
                "\npandas + scikit-learn, whole property runs (the warm one's start included): \
                 warm {warm:.1} ms / cold {cold:.1} ms per case ({:.1}×)",
                cold / warm
            );
            // One case at a time, once the interpreter is warm: the median of each.
            let pool = sf::WarmPool::new();
            let spec = spec.keep_workspace(sf::KeepWorkspace::OnFailure);
            let started = Instant::now();
            sf::run_warm(&spec, &pool);
            let warm_up = started.elapsed().as_secs_f64() * 1000.0;
            let median = |mut v: Vec<f64>| {
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            let time = |f: &dyn Fn() -> sf::TestResult| {
                let started = Instant::now();
                let r = f();
                assert!(r.is_successful(), "{:?}", r.error_message);
                started.elapsed().as_secs_f64() * 1000.0
            };
            let warm = median(
                (0..15)
                    .map(|_| time(&|| sf::run_warm(&spec, &pool)))
                    .collect(),
            );
            let cold = median((0..5).map(|_| time(&|| sf::run(&spec))).collect());
            println!(
                "pandas + scikit-learn, one case at a time (median): warm {warm:.1} ms / cold \
                 {cold:.1} ms ({:.1}×); the warm interpreter's start: {warm_up:.0} ms, once",
                cold / warm
            );
            // The same, with the warm interpreter not learning the submodules cases import
            // lazily (scikit-learn's fit imports some twenty).
            // SAFETY: the bench runs no other thread that reads the environment now.
            unsafe { std::env::set_var("SF_WARM_LEARN", "0") };
            let pool = sf::WarmPool::new();
            sf::run_warm(&spec, &pool);
            let unlearned = median(
                (0..15)
                    .map(|_| time(&|| sf::run_warm(&spec, &pool)))
                    .collect(),
            );
            // SAFETY: as above.
            unsafe { std::env::remove_var("SF_WARM_LEARN") };
            println!(
                "pandas + scikit-learn, one case at a time, lazy imports not learned \
                 (SF_WARM_LEARN=0): warm {unlearned:.1} ms ({:.1}× cold)",
                cold / unlearned
            );
        }
        Err(why) => println!(
            "\n(pandas + scikit-learn pair skipped: {why}; or set SF_BENCH_PYTHON to an interpreter that has them)"
        ),
    }
}

/// An interpreter with pandas and scikit-learn: `SF_BENCH_PYTHON`, or a virtual environment
/// made (once) under `target/bench-venv`.
fn heavy_python() -> Result<std::ffi::OsString, String> {
    if let Some(python) = std::env::var_os("SF_BENCH_PYTHON") {
        return Ok(python);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-venv");
    let python = venv.join("bin/python");
    let has_them = |python: &Path| {
        std::process::Command::new(python)
            .args(["-c", "import pandas, sklearn, pyarrow"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if has_them(&python) {
        return Ok(python.into_os_string());
    }
    println!(
        "\nmaking {} with pandas and scikit-learn (once)…",
        venv.display()
    );
    let run = |program: &Path, args: &[&str]| -> Result<(), String> {
        let out = std::process::Command::new(program)
            .args(args)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
            Err(format!(
                "{} {} failed: {}",
                program.display(),
                args.join(" "),
                tail.join(" / ")
            ))
        }
    };
    run(
        Path::new("python3"),
        &["-m", "venv", &venv.to_string_lossy()],
    )?;
    run(
        &python,
        &[
            "-m",
            "pip",
            "install",
            "--quiet",
            "pandas",
            "scikit-learn",
            "pyarrow",
        ],
    )?;
    if has_them(&python) {
        Ok(python.into_os_string())
    } else {
        Err(
            "pandas, scikit-learn and pyarrow still do not import after pip installed them"
                .to_owned(),
        )
    }
}
