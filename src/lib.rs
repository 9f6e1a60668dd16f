//! sf tests data-pipeline scripts: each script runs in its own process, in a fresh workspace, on
//! generated input data, and comes back as a typed [`TestResult`].
#![warn(missing_docs)]

pub use sf_core::*;

/// The libtest-mimic harness: `fn main() -> std::process::ExitCode { sf::harness::main() }` in a
/// `harness = false` test target turns every script of `sf.toml` into a test case.
pub mod harness {
    pub use sf_harness::harness::{config_path, main, trials};
}
