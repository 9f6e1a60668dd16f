//! `sf generate-data`.

use std::time::Instant;

use anyhow::Context;
use sf_core::{GeneratedData, RowCount};

use super::args::GenerateDataArgs;
use crate::exit_code;

pub(crate) fn run(args: GenerateDataArgs) -> anyhow::Result<u8> {
    let rows = args.rows.map_or(RowCount::Size(args.size), RowCount::Rows);
    let data = GeneratedData {
        format: args.format,
        file_name: args.file_name,
        ..GeneratedData::new(args.profile, rows)
    };
    let start = Instant::now();
    let files = data.write_into(&args.out, args.seed).with_context(|| {
        format!(
            "cannot write {} data into {}",
            args.profile,
            args.out.display()
        )
    })?;
    let elapsed = start.elapsed().as_secs_f64() * 1000.0;
    for file in files {
        println!(
            "wrote {} ({} rows, {} bytes, {} profile, seed {}) in {elapsed:.1} ms",
            file.path.display(),
            file.rows.unwrap_or(0),
            file.bytes,
            args.profile,
            args.seed,
        );
    }
    Ok(exit_code::PASS)
}
