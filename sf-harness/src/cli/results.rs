//! `sf list-results`.

use anyhow::Context;
use sf_core::report;

use super::args::{ListResultsArgs, OutputFormat};
use crate::exit_code;

pub(crate) fn run(args: ListResultsArgs) -> anyhow::Result<u8> {
    if !args.workspace_dir.exists() {
        match args.output_format {
            OutputFormat::Text => println!(
                "no results: {} does not exist",
                args.workspace_dir.display()
            ),
            OutputFormat::Json => println!("[]"),
        }
        return Ok(exit_code::PASS);
    }
    let listing = sf_core::list_results(&args.workspace_dir)
        .with_context(|| format!("cannot read {}", args.workspace_dir.display()))?;
    match args.output_format {
        OutputFormat::Text => {
            let color =
                anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
            if listing.results.is_empty() {
                println!("no results under {}", args.workspace_dir.display());
            } else {
                anstream::print!("{}", report::render_listing(&listing.results, color));
            }
        }
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&listing.results)?),
    }
    for (ws, why) in &listing.unreadable {
        tracing::warn!(workspace = %ws.display(), "{why}");
    }
    Ok(exit_code::PASS)
}
