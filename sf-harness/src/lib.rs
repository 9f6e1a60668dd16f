//! The `sf` command line (and, later, the libtest-mimic harness).
#![warn(missing_docs)]

pub mod cli;
pub mod exit_code;
pub mod harness;
