//! Integration tests: the `sf` binary run as users run it, on the examples and on a zoo of broken
//! scripts under `tests/fixtures/`.

mod clean;
mod cli;
mod data;
mod examples;
mod expect;
mod harness;
mod html;
mod init;
mod macros;
mod memory;
mod packages;
#[cfg(feature = "parquet")]
mod parquet;
mod pipeline;
mod property;
mod replay;
mod results;
mod rootless;
mod sagemaker;
mod suite;
mod support;
mod ui;
mod verdict;
mod zoo;
