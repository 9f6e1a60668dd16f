//! `sf list-results`.

use anyhow::Context;
use sf_core::report;

use super::args::{ListResultsArgs, OutputFormat};
use crate::exit_code;

/// Where `#[script_test]` functions of the crate in the current directory keep their workspaces
/// (cargo's temporary directory for integration tests).
const ATTRIBUTE_TESTS_ROOT: &str = "target/tmp/sf-workspaces";

pub(crate) fn run(args: ListResultsArgs) -> anyhow::Result<u8> {
    let chosen = args.workspace_dir.is_some() || args.config.is_some();
    let workspace_dir = super::workspace_root(args.workspace_dir, args.config.as_deref())?;
    // Without a choice, the attribute tests' results are listed too: one place for all.
    let attribute_tests = std::path::Path::new(ATTRIBUTE_TESTS_ROOT);
    if !chosen && attribute_tests.is_dir() && attribute_tests != workspace_dir {
        let mut listing = if workspace_dir.exists() {
            sf_core::list_results(&workspace_dir)
                .with_context(|| format!("cannot read {}", workspace_dir.display()))?
        } else {
            sf_core::Listing::default()
        };
        let more = sf_core::list_results(attribute_tests)
            .with_context(|| format!("cannot read {}", attribute_tests.display()))?;
        listing.results.extend(more.results);
        listing.unreadable.extend(more.unreadable);
        listing
            .results
            .sort_by_key(|r| std::cmp::Reverse(r.result.timestamp));
        return print(listing, &args.output_format, &workspace_dir);
    }
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
    print(listing, &args.output_format, &workspace_dir)
}

fn print(
    listing: sf_core::Listing,
    format: &OutputFormat,
    workspace_dir: &std::path::Path,
) -> anyhow::Result<u8> {
    match format {
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
