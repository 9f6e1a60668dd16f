//! Property-based runs: many generated datasets, a failure shrunk to a minimal dataset, saved as
//! a failure bundle that later runs replay first. One driver ([`core`]) over two subjects: a
//! script and a pipeline.

mod bundle;
mod config;
mod core;
mod outcome;
mod pipeline;
mod script;

pub(crate) use bundle::BUNDLE_INPUTS;
pub use bundle::BUNDLE_MANIFEST;
pub use config::{MAX_KEPT_CASES, OutputChecks, PropertyConfig};
pub use outcome::{PropertyFailure, PropertyReport, ShrinkEnd, Starts};
pub use pipeline::{PipelinePropertyFailure, PipelinePropertyReport, run_pipeline_property};
pub use script::run_property;
