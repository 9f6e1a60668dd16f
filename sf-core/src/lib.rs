//! The sf engine: run a data-pipeline script in its own process, in a fresh [`Workspace`], on
//! data laid out by a [`DataPlan`], and turn what happened into a typed [`TestResult`].
//!
//! ```text
//! TestSpec ─► Workspace ─► DataPlan::materialize ─► Runner::run ─► checks ─► TestResult ─► report
//! ```
//!
//! Users normally reach this crate through the `sf` facade; the attribute macro, the harness and
//! the command line all build a [`TestSpec`] and call [`engine::run`].
#![warn(missing_docs)]

mod atomic;
mod checks;
pub mod config;
pub mod data;
pub mod engine;
pub mod history;
#[doc(hidden)]
pub mod macro_support;
pub mod pipeline;
pub mod property;
mod replay;
pub mod report;
mod result;
mod run;
mod script;
mod spec;
mod store;
pub mod suite;
mod tree;
pub mod units;
mod workspace;

pub use data::strategy;
pub use run::adapter::environment;
pub use run::{interrupt, sagemaker, sandbox, warm};

pub use atomic::{write_atomic, write_json_atomic};
pub use checks::recommendations::{HIGH_MEMORY_BYTES, SLOW_RUN};
pub use checks::{
    ArchiveError, Bounds, ChannelChecks, Check, CheckFailure, ExpectationFailure, Expectations,
    FileDiff, GOLDEN_LIMIT, Golden, GoldenDiff, GoldenMode, GoldenStatus, JsonExpectation,
    PENDING_SUFFIX, Problem, RowsVsInput, Subject, TableError, accept_from_env, accept_pending,
    compare_pending, find_pending, in_ci, pending_diff, pending_dir, reject_pending,
    returns_pointer,
};
pub use config::ConfigError;
pub use data::{ChannelPlan, DataPlan, Format, GeneratedData, Profile, RowCount, Size};
pub use engine::run;
pub use macro_support::ScriptRun;
pub use pipeline::{Pipeline, PipelineError, PipelineResult, run_pipeline};
pub use property::{PropertyConfig, PropertyFailure, PropertyReport, run_property};
pub use replay::REPLAY_FILE;
pub use result::{Status, TestResult};
pub use run::adapter::environment::Requirements;
pub use run::adapter::{
    AdapterError, AdapterOptions, InterpreterError, PythonSource, channel_env_name, resolve_python,
};
pub use run::context::ExecutionContext;
pub use run::execution::{
    ExecutionResult, InstallRequests, Outcome, PythonEnvironment, ScriptError, ScriptErrorKind,
};
pub use run::runner::{
    Invocation, Limits, LogFiles, REPORT_FD_VAR, RUN_ID_VAR, Runner, shell_quote,
};
pub use run::sandbox::{Mechanism, SandboxOptions, SandboxReport};
pub use run::warm::{Start, StartKind, WarmPool};
pub use script::{
    AdapterKind, CONVENTIONAL_DIRS, Script, ScriptNotFound, ScriptRef, find as find_script,
};
pub use sf_vocab::{
    InvalidChannelName, RunLayout, RuntimeInstalls, UnknownName, Vocabulary, check_channel_name,
};
pub use spec::{
    DEFAULT_INPUT, DEFAULT_OUTPUT, DEFAULT_SEED, DEFAULT_WORKSPACE_ROOT, Expectation,
    KeepWorkspace, TestSpec,
};
pub use store::{Listing, StoredResult, list_results};
pub use suite::{
    Entry, EntryKind, EntryOutcome, EntryRun, InputsError, NoSuchPipeline, ReportSettings, Suite,
};
pub use workspace::{
    CleanReport, ROOT_LOG, ROOT_MARKER, WORKSPACE_MARKER, Workspace, WorkspaceError, clean_root,
    ensure_root, is_sf_root, is_workspace, remove_workspace, scan_root,
};

use std::time::Duration;

/// `850 ms`, `2.5 s`, `300 s`.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 1.0 {
        format!("{} ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{secs:.1} s")
    }
}

/// Serialises a `Duration` as fractional seconds.
pub(crate) mod serde_secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        Duration::try_from_secs_f64(secs).map_err(serde::de::Error::custom)
    }
}
