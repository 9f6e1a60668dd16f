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
mod pipeline;
mod property;
mod results;
mod rootless;
mod suite;
mod support;
mod ui;
mod verdict;
mod zoo;
