//! Exit codes of the `sf` command line.

/// Every test passed (or the command succeeded).
pub const PASS: u8 = 0;
/// At least one test failed.
pub const FAIL: u8 = 1;
/// The command line or the configuration is wrong; nothing ran.
pub const USAGE: u8 = 2;
/// sf was interrupted (Ctrl-C: 130; SIGTERM: 143); running scripts were stopped and the results
/// that completed were still written.
pub const INTERRUPTED: u8 = 130;
