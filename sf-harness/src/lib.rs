//! The `sf` command line and the libtest-mimic harness that turns a suite into test trials.
#![warn(missing_docs)]

pub mod cli;
pub mod exit_code;
pub mod harness;
