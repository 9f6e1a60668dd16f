//! Listing speed: a repository of 1,000 discovered scripts, from sf.toml to the list of trials.
//!
//! Run: `cargo bench --bench list`.

use std::process::Command;
use std::time::Instant;

const SCRIPTS: usize = 1_000;
const REPEAT: usize = 15;

fn median_ms(mut f: impl FnMut()) -> (f64, f64) {
    f();
    let mut times: Vec<f64> = (0..REPEAT)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (times[REPEAT / 2], times[0])
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("scripts")).unwrap();
    for i in 0..SCRIPTS {
        std::fs::write(
            dir.path().join(format!("scripts/step_{i:04}.py")),
            "def main(input_paths, output_paths, environ_vars, job_args):\n    pass\n",
        )
        .unwrap();
    }
    let config = dir.path().join("sf.toml");
    std::fs::write(&config, "[defaults]\ntimeout = \"60s\"\n").unwrap();

    println!("| what ({SCRIPTS} scripts) | median | best |");
    println!("|---|---:|---:|");
    let (m, b) = median_ms(|| {
        let suite = sf::config::load(&config).unwrap();
        assert_eq!(suite.entries.len(), SCRIPTS);
        std::hint::black_box(sf::harness::trials(&suite));
    });
    println!("| load sf.toml, discover, build every trial (in process) | {m:.1} ms | {b:.1} ms |");
    let (m, b) = median_ms(|| {
        let out = Command::new(env!("CARGO_BIN_EXE_sf"))
            .args(["test", "--list", "--config"])
            .arg(&config)
            .output()
            .unwrap();
        assert_eq!(out.stdout.iter().filter(|b| **b == b'\n').count(), SCRIPTS);
    });
    println!("| `sf test --list` (a whole process) | {m:.1} ms | {b:.1} ms |");
}
