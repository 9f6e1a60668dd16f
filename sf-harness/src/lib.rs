//! The libtest-mimic harness over `sf.toml` and, with the `cli` feature (on by default), the `sf`
//! command line.
#![warn(missing_docs)]

#[cfg(feature = "cli")]
pub mod cli;
pub mod exit_code;
pub mod harness;
mod publish;
