//! Property-based runs: many generated datasets, a failure shrunk to a minimal dataset, saved as
//! a failure bundle that later runs replay first.

mod pipeline;
mod script;

pub use pipeline::{PipelinePropertyFailure, PipelinePropertyReport, run_pipeline_property};
pub use script::*;
