//! What must hold after a run: the script's own verdict, the checks of a channel's files (one
//! implementation for outputs and pipeline edges), stray writes, and the recommendations that
//! go with a result.

mod channel;
mod expect;
mod golden;
pub(crate) mod members;
mod parquet;
#[cfg(test)]
pub(crate) use golden::GOLDEN_MARKER;
pub(crate) mod recommendations;
mod returns;
mod rows;
mod shape;
mod stray;
mod verdict;

pub(crate) use channel::glob_leaves_its_directory;
pub use channel::{ChannelChecks, Check, CheckFailure, Problem, Subject};
pub use expect::{Bounds, ExpectationFailure, Expectations, JsonExpectation, RowsVsInput};
pub use golden::{
    FileDiff, GOLDEN_LIMIT, Golden, GoldenDiff, GoldenMode, GoldenStatus, PENDING_SUFFIX,
    accept_from_env, accept_pending, compare_pending, find_pending, in_ci, pending_diff,
    pending_dir, reject_pending,
};
pub use members::ArchiveError;
pub(crate) use recommendations::some_of;
pub use returns::returns_pointer;
pub(crate) use returns::{failure_in, shown_value};
pub use shape::TableError;
pub(crate) use stray::Snapshot;
pub(crate) use verdict::{golden_verdict, script_failure, verdict};
