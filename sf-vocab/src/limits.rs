//! Bounds on what users may write, shared by the attribute, `sf.toml` and the command line.

use std::time::Duration;

/// The longest timeout sf takes (30 days): longer ones would overflow the clock arithmetic of a
/// run's deadline, and no test is meant to run that long.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(30 * 86_400);
