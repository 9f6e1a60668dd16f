//! `sf.toml`: the scripts of a repository, their data, checks and pipelines, loaded and
//! validated into a [`Suite`](crate::suite::Suite). Loading only: running a suite is
//! [`crate::suite`]'s job.

mod build;
mod channel;
mod context;
mod discover;
mod error;
mod expect;
mod load;
mod outputs;
mod pipelines;
mod raw;
mod schema;
mod script;
mod words;

pub use error::ConfigError;
pub use load::{load, parse};

/// The conventional configuration file name.
pub const CONFIG_FILE: &str = "sf.toml";
/// The scripts discovered when `[discover] globs` is not given.
pub const DEFAULT_GLOB: &str = "scripts/*.py";
