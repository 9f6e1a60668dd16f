//! Adapters: how a script is invoked and how its ending is read.

mod command;
pub mod environment;
mod prepare;
mod python;

pub use prepare::{AdapterError, AdapterOptions, channel_env_name};
pub(crate) use prepare::{interpret, prepare, read_installs};
pub(crate) use python::RUNNER_SOURCE;
pub use python::{InterpreterError, PythonSource, resolve_python};
