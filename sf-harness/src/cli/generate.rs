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
    let file = data.write_into(&args.out, args.seed).with_context(|| {
        format!(
            "cannot write {} data into {}",
            args.profile,
            args.out.display()
        )
    })?;
    println!(
        "wrote {} ({} rows, {} bytes, {} profile, seed {}) in {:.1} ms",
        file.path.display(),
        file.rows,
        file.bytes,
        args.profile,
        args.seed,
        start.elapsed().as_secs_f64() * 1000.0
    );
    Ok(exit_code::PASS)
}
