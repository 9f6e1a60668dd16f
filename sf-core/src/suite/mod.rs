//! A suite: the owned entries of a configuration (script or pipeline tests, optionally in
//! property mode) and their typed outcomes. The harness and `sf test` run it; `config` only
//! loads it.

mod entry;
mod golden;
mod inputs;
mod run;

pub use entry::{Entry, EntryKind, NoSuchPipeline, ReportSettings, Suite};
pub(crate) use entry::{PIPELINE_PREFIX, replay_command};
pub use inputs::InputsError;
pub use run::{EntryOutcome, EntryRun};
