//! Logging through tracing: `-v` / `-q` or `RUST_LOG` on stderr, and a debug log in the
//! workspace root.

use std::path::Path;
use std::str::FromStr;

use tracing::level_filters::LevelFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub(crate) fn init(verbose: u8, quiet: bool, workspace_root: Option<&Path>) {
    let level = match (quiet, verbose) {
        (true, _) => LevelFilter::ERROR,
        (false, 0) => LevelFilter::WARN,
        (false, 1) => LevelFilter::INFO,
        (false, 2) => LevelFilter::DEBUG,
        (false, _) => LevelFilter::TRACE,
    };
    let stderr_filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| Targets::from_str(&v).ok())
        .filter(|_| verbose == 0 && !quiet)
        .unwrap_or_else(|| Targets::new().with_default(level));
    // Colours only for a terminal, and never with NO_COLOR set (https://no-color.org).
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .without_time()
        .with_filter(stderr_filter);
    let file = workspace_root.and_then(|root| {
        sf_core::ensure_root(root).ok()?;
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(root.join(sf_core::ROOT_LOG))
            .ok()?;
        Some(
            tracing_subscriber::fmt::layer()
                .with_writer(std::sync::Mutex::new(f))
                .with_ansi(false)
                .with_filter(Targets::new().with_default(LevelFilter::DEBUG)),
        )
    });
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
}
