//! Data generation speed: every profile at its large size, written as CSV, and the `training`
//! profile side by side with the pandas/numpy way of doing the same.
//!
//! Run: `cargo bench -p sf-core --bench generate`. The pandas comparison runs when the
//! interpreter in `SF_BENCH_PYTHON` (default `python3`) has numpy and pandas.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use sf_core::data::{Schema, write_table};
use sf_core::{Format, Profile, RowCount, Size};

const REPEAT: usize = 15;

fn time_ms(mut f: impl FnMut(usize)) -> (f64, f64) {
    f(usize::MAX); // warm-up
    let mut times: Vec<f64> = (0..REPEAT)
        .map(|i| {
            let start = Instant::now();
            f(i);
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (times[REPEAT / 2], times[0])
}

fn write_csv(profile: Profile, rows: usize, seed: u64, path: &Path) {
    let table = Schema::preset(profile).generate(rows, seed);
    let file = BufWriter::new(File::create(path).unwrap());
    write_table(&table, Format::Csv, file).unwrap();
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is accepted and ignored.
    let dir = tempfile::tempdir().unwrap();
    println!("| what | rows | median | best |");
    println!("|---|---:|---:|---:|");
    for profile in Profile::ALL {
        let rows = RowCount::Size(Size::Large).resolve(profile);
        let path = dir.path().join(format!("{profile}.csv"));
        let (median, best) = time_ms(|i| write_csv(profile, rows, 42 + i as u64, &path));
        println!("| sf `{profile}` large → CSV | {rows} | {median:.1} ms | {best:.1} ms |");
    }
    let rows = RowCount::Size(Size::Large).resolve(Profile::Training);
    let (gen_median, gen_best) = time_ms(|i| {
        std::hint::black_box(Schema::preset(Profile::Training).generate(rows, 42 + i as u64));
    });
    println!(
        "| sf `training` large, in memory only | {rows} | {gen_median:.1} ms | {gen_best:.1} ms |"
    );

    let path = dir.path().join("training.csv");
    let (sf_median, sf_best) =
        time_ms(|i| write_csv(Profile::Training, rows, 42 + i as u64, &path));
    let python = std::env::var("SF_BENCH_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/pandas_generate.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(rows.to_string())
        .arg(REPEAT.to_string())
        .arg(dir.path())
        .output();
    match out {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let mut nums = text.split_whitespace().map(|n| n.parse::<f64>().unwrap());
            let (pd_median, pd_best) = (nums.next().unwrap(), nums.next().unwrap());
            println!(
                "| pandas/numpy `training` large → CSV | {rows} | {pd_median:.1} ms | {pd_best:.1} ms |"
            );
            println!();
            println!(
                "sf `training` large → CSV: {sf_median:.1} ms median vs pandas/numpy {pd_median:.1} ms: \
                 {:.1}× faster (best {sf_best:.1} vs {pd_best:.1} ms)",
                pd_median / sf_median
            );
        }
        Ok(out) => println!(
            "\npandas comparison skipped: `{python}` lacks numpy/pandas ({}); set SF_BENCH_PYTHON",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
                .trim()
        ),
        Err(err) => println!("\npandas comparison skipped: cannot run `{python}`: {err}"),
    }
}
