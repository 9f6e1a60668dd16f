//! What must hold after a run: the script's own verdict, the checks of a channel's files (one
//! implementation for outputs and pipeline edges), stray writes, and the recommendations that
//! go with a result.

mod channel;
pub(crate) mod recommendations;
mod shape;
mod stray;
mod verdict;

pub(crate) use channel::glob_leaves_its_directory;
pub use channel::{ChannelChecks, Check, CheckFailure, Problem, Subject};
pub(crate) use recommendations::some_of;
pub use shape::TableError;
pub(crate) use stray::Snapshot;
pub(crate) use verdict::{script_failure, verdict};
