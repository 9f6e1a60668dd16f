//! Pipelines: scripts as a DAG. An edge binds an upstream step's output channel to a downstream
//! step's input channel; steps run in topological order, independent ones in parallel, each in
//! its own workspace on a read-only copy of what its upstreams produced.
//!
//! ```text
//! Pipeline ─► plan (validate, bind, order) ─► run steps ─► edge checks ─► PipelineResult ─► render
//! ```
//!
//! This module is the data-flow manager: [`Pipeline::plan`] validates the graph and binds every
//! input, [`run_pipeline`] schedules and runs the steps and checks the edges.
//!
//! How an input channel of a step gets its data, in order of precedence:
//!
//! 1. an explicit [`Edge`] into it (the step's own data plan for that channel is then unused);
//! 2. an implicit binding, for inputs named in the step's [`Step::reads`] only: the one other
//!    step with an output of the same name, or of the name [`Pipeline::aliases`] maps the input
//!    to (two or more such outputs are [`PipelineError::AmbiguousImplicit`]);
//! 3. the step's own data plan (`spec.data`).
//!
//! An input only in the data plan never binds implicitly: the plan is what the author asked for,
//! and the default plan of [`TestSpec::new`] (generated data in `input`) would otherwise bind to
//! any step that happens to have an output called `input`. An input named in `reads` that none of
//! the three fills is [`PipelineError::Unbound`].

mod definition;
mod edge;
mod edges;
mod error;
mod graph;
mod result;
mod run;
#[cfg(test)]
pub(crate) mod support;

pub use crate::property::{PipelinePropertyFailure, PipelinePropertyReport, run_pipeline_property};
pub use crate::report::pipeline::{render_dot, render_junit, render_mermaid, render_text};
pub use definition::{Pipeline, Step};
pub use edge::{Edge, EdgeParseError};
pub use error::PipelineError;
pub use graph::{BindingSource, Bound, PipelinePlan};
pub use result::{ColumnsSeen, EdgeCheck, EdgeResult, PipelineResult, StepResult};
pub(crate) use run::run_or_report;
pub use run::{PipelineOptions, run_pipeline};
