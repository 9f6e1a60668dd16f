//! Running one script: how it is invoked (adapters, and the Python environments they prepare),
//! the child process and its supervision (the runner: spawn, supervise, sweep, collect, with
//! bounded output capture), the per-run container, cgroup and sandbox, the SageMaker layout,
//! interrupts, and the operating system beneath them.

pub(crate) mod adapter;
mod capture;
mod cgroup;
mod collect;
pub(crate) mod container;
pub(crate) mod context;
pub(crate) mod execution;
pub mod interrupt;
pub(crate) mod runner;
pub mod sagemaker;
pub mod sandbox;
mod spawn;
mod supervise;
mod sweep;
pub(crate) mod sys;
pub mod warm;
