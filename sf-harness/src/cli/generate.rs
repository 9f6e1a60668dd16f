//! `sf generate-data`.

use std::time::Instant;

use anyhow::Context;
use sf_core::{GeneratedData, RowCount, config};

use super::args::GenerateDataArgs;
use crate::exit_code;

pub(crate) fn run(args: GenerateDataArgs) -> anyhow::Result<u8> {
    if let Some(test) = &args.test {
        return write_test_inputs(&args, test);
    }
    if args.config.is_some() {
        anyhow::bail!(
            "--config names the configuration of --test NAME; with a profile it has no use"
        );
    }
    let Some(profile) = args.profile else {
        anyhow::bail!("name a profile, or a test with --test NAME");
    };
    let rows = args.rows.map_or(RowCount::Size(args.size), RowCount::Rows);
    let data = GeneratedData {
        format: args.format,
        file_name: args.file_name.clone(),
        ..GeneratedData::new(profile, rows)
    };
    let start = Instant::now();
    let files = data
        .write_into(&args.out, args.seed)
        .with_context(|| format!("cannot write {profile} data into {}", args.out.display()))?;
    let elapsed = start.elapsed().as_secs_f64() * 1000.0;
    for file in files {
        println!(
            "wrote {} ({} rows, {} bytes, {profile} profile, seed {}) in {elapsed:.1} ms",
            file.path.display(),
            file.rows.unwrap_or(0),
            file.bytes,
            args.seed,
        );
    }
    Ok(exit_code::PASS)
}

/// `--test NAME`: every input channel of that test of the configuration.
fn write_test_inputs(args: &GenerateDataArgs, test: &str) -> anyhow::Result<u8> {
    let path = args
        .config
        .clone()
        .unwrap_or_else(|| config::CONFIG_FILE.into());
    let suite = match config::load(&path) {
        Ok(s) => s,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(exit_code::USAGE);
        }
    };
    let Some(entry) = suite.entry(test) else {
        let known: Vec<&str> = suite.entries.iter().map(|e| e.name.as_str()).collect();
        eprintln!(
            "error: {} has no test `{test}`; its tests: {}",
            suite.config.display(),
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        );
        return Ok(exit_code::USAGE);
    };
    let start = Instant::now();
    let files = entry.write_inputs(&args.out).with_context(|| {
        format!(
            "cannot write the inputs of `{test}` into {}",
            args.out.display()
        )
    })?;
    let elapsed = start.elapsed().as_secs_f64() * 1000.0;
    for (channel, file) in &files {
        let rows = file.rows.map(|r| format!("{r} rows, ")).unwrap_or_default();
        println!(
            "wrote {} (channel {channel}, {rows}{} bytes)",
            file.path.display(),
            file.bytes
        );
    }
    println!(
        "{} file(s) of test `{test}` in {elapsed:.1} ms",
        files.len()
    );
    Ok(exit_code::PASS)
}
