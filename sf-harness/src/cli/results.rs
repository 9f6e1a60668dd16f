//! `sf list-results`.

use anyhow::Context;
use sf_core::report;

use super::args::{ListResultsArgs, OutputFormat};
use crate::exit_code;

pub(crate) fn run(args: ListResultsArgs) -> anyhow::Result<u8> {
    let workspace_dir = super::workspace_root(args.workspace_dir, args.config.as_deref())?;
    if !workspace_dir.exists() {
        match args.output_format {
            OutputFormat::Text => {
                println!("no results: {} does not exist", workspace_dir.display())
            }
            OutputFormat::Json => println!("[]"),
        }
        return Ok(exit_code::PASS);
    }
    let listing = sf_core::list_results(&workspace_dir)
        .with_context(|| format!("cannot read {}", workspace_dir.display()))?;
    match args.output_format {
        OutputFormat::Text => {
            let color =
                anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
            if listing.results.is_empty() {
                println!("no results under {}", workspace_dir.display());
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
