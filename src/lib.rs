//! sf tests data-pipeline scripts: each script runs in its own process, in a fresh workspace, on
//! generated input data, and comes back as a typed [`TestResult`].
//!
//! # Script tests in Rust
//!
//! `#[script_test]` turns a function into an ordinary `#[test]` that runs a script:
//!
//! ```no_run
//! use sf::{ScriptRun, script_test};
//!
//! // Runs scripts/currency_conversion.py on small synthetic currency data; the test passes when
//! // the script passes. Paths are relative to the crate's manifest directory.
//! #[script_test(script = "examples/scripts/currency_conversion.py", data = "currency", size = "small")]
//! fn currency_conversion() {}
//!
//! // The body receives the run and asserts on it.
//! #[script_test(script = "examples/scripts/tabular_preprocessing.py", data = "tabular", seed = 7,
//!               env(LABEL_FIELD = "target"), job_args(job_type = "training"), timeout = "60s")]
//! fn tabular_preprocessing(run: ScriptRun) {
//!     assert!(run.output("output").join("train").exists());
//! }
//!
//! // A script that must fail on a header-only file.
//! #[script_test(script = "examples/scripts/strict_loader.py", data = "generic", rows = 0, expect = "fail")]
//! fn strict_loader_rejects_empty_input() {}
//! ```
//!
//! Arguments: `script` (a path relative to the manifest directory, or a name looked up in
//! `src/cursus/steps/scripts`, `cursus/steps/scripts` and `scripts`; without it, the function's
//! name or its longest prefix that names a script), `data` (profile), `size` or `rows`, `seed`,
//! `format`, `env(K = "v", ...)`, `job_args(k = "v" | 1 | 1.5 | true, ...)`, `inputs("a", ...)`,
//! `outputs("b", ...)`, `timeout = "60s"`, `expect = "pass" | "fail"`,
//! `proptest(cases = N, max_shrink_iters = M, max_rows = R)`, `ignore` or `ignore = "reason"`.
//! Every mistake is a compile error on the offending tokens.
//!
//! # Property mode
//!
//! With `proptest(...)`, the test runs the script on many generated datasets (see [`strategy`]),
//! each in a fresh workspace. A failure is shrunk to the smallest dataset that still fails and
//! saved as real files in a failure bundle under `sf-regressions/`, with the command that replays
//! it (`sf test-script SCRIPT --data-from BUNDLE`); saved bundles are replayed first next time.
//!
//! ```no_run
//! use sf::script_test;
//!
//! #[script_test(script = "examples/scripts/row_counter.sh", data = "generic", proptest(cases = 64))]
//! fn row_counter_never_crashes() {}
//! ```
//!
//! The strategies are public, for `proptest!` tests of your own over whole datasets:
//!
//! ```
//! use proptest::prelude::*;
//!
//! proptest!(|(table in sf::strategy::tabular())| {
//!     prop_assert_eq!(table.names()[0].as_str(), "id");
//! });
//! ```
#![warn(missing_docs)]

pub use sf_core::*;
pub use sf_macros::script_test;

/// The libtest-mimic harness: `fn main() -> std::process::ExitCode { sf::harness::main() }` in a
/// `harness = false` test target turns every script of `sf.toml` into a test case.
pub mod harness {
    pub use sf_harness::harness::{config_path, main, trials};
}

/// What `#[script_test]` expands to calls. Not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use sf_core::macro_support::*;
}
