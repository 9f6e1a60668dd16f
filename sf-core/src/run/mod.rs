//! Running one script: how it is invoked (adapters), the child process and its supervision
//! (runner), the per-run sandbox, the SageMaker layout, interrupts, and the operating system
//! beneath them.

pub(crate) mod adapter;
pub(crate) mod context;
pub(crate) mod execution;
pub mod interrupt;
pub(crate) mod runner;
pub mod sagemaker;
pub mod sandbox;
pub(crate) mod sys;
