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
//! `outputs("b", ...)`, `timeout = "60s"`, `expect = "pass" | "fail"`, `import_root = "src"`,
//! `proptest(cases = N, max_shrink_iters = M, min_rows = A, max_rows = B, edge_values = false)`,
//! `ignore` or `ignore = "reason"`.
//! Every mistake is a compile error on the offending tokens. The body, when it takes one, gets a
//! [`ScriptRun`]: the [`TestResult`], the input and output folders, the logs.
//!
//! # Property mode
//!
//! With `proptest(...)`, the test runs the script on many generated datasets (see [`strategy`]),
//! each in a fresh workspace. A failure is shrunk to the smallest dataset that still fails and
//! saved as real files in a failure bundle under `sf-regressions/`, with the command that replays
//! it (`sf test-script SCRIPT --data-from BUNDLE`, also the bundle's executable `replay` file); a
//! test of `sf.toml` replays by name instead, with all its checks
//! (`sf test --config sf.toml --exact NAME --data-from BUNDLE`). Saved bundles are replayed first
//! next time.
//!
//! ```no_run
//! use sf::script_test;
//!
//! #[script_test(script = "examples/scripts/row_counter.sh", data = "generic", proptest(cases = 64))]
//! fn row_counter_never_crashes() {}
//!
//! // At least one row in every case, and only ordinary values: no NaN, no unicode, no unseen
//! // categories, missing values only where a column's null rate allows them.
//! #[script_test(script = "examples/scripts/row_counter.sh", data = "generic",
//!               proptest(min_rows = 1, max_rows = 20, edge_values = false))]
//! fn row_counter_counts_ordinary_rows() {}
//! ```
//!
//! `proptest(...)` takes `cases` (64), `max_shrink_iters` (256), `min_rows` (0) and `max_rows`
//! (50): every table has `min_rows..=max_rows` rows (`min_rows` above `max_rows` is a compile
//! error), and `edge_values` (true).
//!
//! **Declared facts are a contract; presets are loose.** The columns of a schema you write
//! (`columns = [...]` in `sf.toml`, or [`data::ColumnSpec`]s in Rust) declare facts, and every
//! generated case keeps them: values within `min`/`max` (edge values are the bounds, 0 and the
//! smallest negative step when inside the range, ±inf only on an open side of a `float`),
//! declared categories only, strings matching the `pattern`, dates within `start..end`, missing
//! values only in a column with a `null_rate` above 0. A case no real upstream could produce
//! would report bugs that are not there and hide those that are. A profile (`data = "currency"`)
//! declares only names and types, so its columns get what any upstream might send: NaN, ±inf,
//! 1e300, unicode, empty strings, unseen categories, a column missing in every row. Ids stay
//! their unique sequence and labels 0 or 1 either way. A column's `edge_values = false` keeps
//! it to ordinary values; `unique = true` makes each value appear at most once (in seeded data
//! too).
//!
//! The same run without the attribute is [`run_property`] with a [`PropertyConfig`]:
//!
//! ```no_run
//! use sf::{Profile, PropertyConfig, TestSpec, run_property};
//!
//! let spec = TestSpec::new("examples/scripts/row_counter.sh").profile(Profile::Generic);
//! let config = PropertyConfig { cases: 32, max_rows: 20, ..PropertyConfig::default() };
//! let report = run_property(&spec, &config);
//! assert!(report.is_successful(), "{:?}", report.failure);
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
//!
//! # A test spec by hand
//!
//! The attribute, the harness and the command line all build a [`TestSpec`] and hand it to
//! [`run`], which runs the script in its own process and never panics on what the script does:
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use sf::{Expectation, Outcome, Profile, RowCount, Size, Status, TestSpec};
//!
//! let spec = TestSpec::new("examples/scripts/strict_loader.py")
//!     .profile(Profile::Generic)
//!     .rows(RowCount::Rows(0))
//!     .expect(Expectation::Fail)
//!     .timeout(Duration::from_secs(60));
//! let result = sf::run(&spec);
//! assert_eq!(result.status, Status::Pass, "{:?}", result.error_message);
//! let execution = result.execution.as_ref().expect("the script ran");
//! assert!(matches!(execution.outcome, Outcome::Exited { code: 1 }));
//!
//! // Sizes are named per profile; `RowCount::Rows` asks for an exact count.
//! let large = TestSpec::new("examples/scripts/currency_conversion.py")
//!     .rows(RowCount::Size(Size::Large));
//! # let _ = large;
//! ```
//!
//! # Input data
//!
//! A [`DataPlan`] says, for each input channel, how it is filled: generated rows of a [`Profile`]
//! or a [`Schema`], in a [`Format`] and a layout, or literal content (text, JSON, a fixture
//! folder, a tar.gz). The same seed gives the same bytes. [`data`] holds the whole vocabulary.
//!
//! ```
//! use sf::data::Layout;
//! use sf::{ChannelPlan, DataPlan, Format, GeneratedData, Profile, RowCount};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let plan = DataPlan::new()
//!     .channel(
//!         "train",
//!         ChannelPlan::Generated(GeneratedData {
//!             format: Format::Jsonl,
//!             layout: Layout::shards(2),
//!             ..GeneratedData::new(Profile::Tabular, RowCount::Rows(10))
//!         }),
//!     )
//!     .channel(
//!         "signature",
//!         ChannelPlan::Text { file_name: "signature".into(), content: "id,target\n".into() },
//!     );
//! let dir = tempfile::tempdir()?;
//! let files = plan.materialize(7, |channel| dir.path().join(channel))?;
//! assert_eq!(files.len(), 3);
//!
//! // The tables themselves, without files.
//! let table = sf::Schema::preset(Profile::Currency).generate(5, 7);
//! assert_eq!(table.rows(), 5);
//! # Ok(())
//! # }
//! ```
//!
//! # Pipelines
//!
//! A [`Pipeline`] runs scripts as a graph: an edge copies an upstream output into a downstream
//! input and checks it on the way; a failed step skips everything downstream of it.
//! [`Pipeline::from_config`] reads one from `sf.toml`.
//!
//! ```no_run
//! use sf::{Pipeline, PipelineOptions, TestSpec, run_pipeline};
//!
//! # fn main() -> Result<(), sf::PipelineError> {
//! // row_counter.sh counts the lines of its input files; the second step counts the first's.
//! let count = TestSpec::new("examples/scripts/row_counter.sh");
//! let pipeline = Pipeline::new("count_twice")
//!     .step("count", count.clone())
//!     .step("recount", count)
//!     .edge("count.output -> recount.input");
//! let result = run_pipeline(&pipeline, &PipelineOptions::default())?;
//! assert!(result.is_successful(), "{:?}", result.first_failure());
//! # Ok(())
//! # }
//! ```
//!
//! # Expectations and golden outputs
//!
//! A script that writes every file it promises can still write the wrong values. A channel's
//! [`Expectations`] say what its tables and JSON files must hold (non-null and unique columns,
//! allowed values, ranges, means, row counts against an input, expressions, JSON pointers); a
//! [`Golden`] entry compares a channel with the copy accepted earlier, in
//! [`TestSpec::golden_root`]. `sf.toml` writes the same with `range = { prob = [0, 1] }` or
//! `golden = true` on an output, `#[script_test]` with `golden = true`.
//!
//! ```no_run
//! use std::collections::BTreeMap;
//! use sf::{Bounds, ChannelChecks, Expectations, Golden, TestSpec};
//!
//! let mut spec = TestSpec::new("examples/scripts/model_evaluation.py");
//! spec.outputs.insert(
//!     "eval_output".into(),
//!     ChannelChecks {
//!         expect: Expectations {
//!             not_null: vec!["id".into()],
//!             range: BTreeMap::from([("prob_class_1".into(), Bounds { min: 0.0, max: 1.0 })]),
//!             ..Expectations::default()
//!         },
//!         ..ChannelChecks::output()
//!     },
//! );
//! spec.golden.insert("metrics_output".into(), Golden { tolerance: 1e-6, ..Golden::default() });
//! let result = sf::run(&spec);
//! for diff in &result.golden {
//!     println!("{}: {diff}", diff.channel);
//! }
//! ```
//!
//! # What a script produced: archives and return values
//!
//! [`ChannelChecks::members`] are globs that must each match a member of every archive
//! (`.tar.gz`, `.tgz`, `.tar`, `.zip`) of a channel, read from the archive's headers without
//! extracting it, and [`ChannelChecks::min_members`] the fewest members each holds; an output
//! archive with no members earns a recommendation even without them. [`TestSpec::returns`]
//! checks what a python-main script's `main` returned (by JSON pointer, see [`returns_pointer`]),
//! which the result records as [`TestResult::returned`]. In `sf.toml`:
//! `members = ["*.bst"]` on an output, `returns = { status = "success" }` on a script.
//!
//! ```no_run
//! use sf::{ChannelChecks, JsonExpectation, TestSpec, returns_pointer};
//!
//! let mut spec = TestSpec::new("examples/scripts/xgboost_training.py");
//! spec.outputs.insert(
//!     "model_output".into(),
//!     ChannelChecks {
//!         members: vec!["*.bst".into()],
//!         ..ChannelChecks::output()
//!     },
//! );
//! spec.returns.insert(returns_pointer("status"), JsonExpectation::Equals("success".into()));
//! let result = sf::run(&spec);
//! println!("main returned {:?}", result.returned);
//! ```
//!
//! # Every test of `sf.toml` as a test case
//!
//! With the `harness` feature, [`harness::main`] is the `main` of a `harness = false` test target
//! that turns every test of `sf.toml` (a [`Suite`]) into a libtest trial, so `cargo test`,
//! `cargo nextest run`, `--list`, `--exact` and `--skip` work on scripts as on Rust tests.
//!
//! # Features
//!
//! - `cli` (default): the `sf` command line (`cargo install sf`, or `cargo run -- ARGS` in sf's
//!   own repository). Implies `harness`.
//! - `harness`: the [`harness`] module, for `harness = false` test targets (libtest-mimic).
//!
//! A repository that only writes `#[script_test]` tests needs neither, and builds without the
//! command line's dependencies (clap, indicatif, libtest-mimic, anyhow, toml_edit and more):
//!
//! ```toml
//! [dev-dependencies]
//! sf = { version = "0.1", default-features = false }
//! ```
//!
//! One that runs `sf.toml` through the harness asks for it, as `sf init` writes:
//! `sf = { version = "0.1", default-features = false, features = ["harness"] }`.
//!
//! The engine itself (workspaces, runners, reports) is the `sf-core` crate; this crate re-exports
//! what a test author writes.
#![warn(missing_docs)]
// The manual links to `harness`, which exists only with that feature.
#![cfg_attr(not(feature = "harness"), allow(rustdoc::broken_intra_doc_links))]

// Script tests.
pub use sf_core::ScriptRun;
pub use sf_macros::script_test;

// A test spec and what it is made of.
pub use sf_core::sagemaker::SageMakerLayout;
pub use sf_core::sandbox::SandboxOptions;
pub use sf_core::{
    AdapterKind, ChannelChecks, Expectation, KeepWorkspace, Limits, ScriptRef, TestSpec,
};

// Running a spec, and what comes back.
pub use sf_core::engine::{run, run_warm};
pub use sf_core::sandbox::{Mechanism, SandboxReport};
pub use sf_core::{
    ExecutionResult, Outcome, PythonEnvironment, ScriptError, ScriptErrorKind, Status, TestResult,
};
pub use sf_core::{Start, StartKind, WarmPool};

// Input data.
pub use sf_core::data::{
    ChannelPlan, DataPlan, Format, GeneratedData, Profile, RowCount, Schema, Size, Table,
};
pub use sf_core::strategy;

// Property runs.
pub use sf_core::{PropertyConfig, PropertyFailure, PropertyReport, run_property};

// Pipelines.
pub use sf_core::pipeline::{
    EdgeCheck, EdgeResult, Pipeline, PipelineError, PipelineOptions, PipelinePropertyReport,
    PipelineResult, StepResult, run_pipeline, run_pipeline_property,
};

// Checks of a channel's files: shape, value expectations, golden copies.
pub use sf_core::{
    ArchiveError, Bounds, Check, CheckFailure, ExpectationFailure, Expectations, FileDiff, Golden,
    GoldenDiff, GoldenMode, GoldenStatus, JsonExpectation, Problem, RowsVsInput, Subject,
    returns_pointer,
};

// `sf.toml`, and running what it describes.
pub use sf_core::{ConfigError, Entry, EntryKind, EntryOutcome, EntryRun, Suite};

/// Reports of runs: the self-contained HTML page of a set of [`EntryRun`]s and the history of
/// results it plots (`sf-history.jsonl` in the workspace root).
///
/// ```
/// use sf::report::{HtmlReport, render_html};
///
/// let result = sf::TestResult::not_run(
///     "prep",
///     42,
///     sf::Expectation::Pass,
///     sf::Status::Skip,
///     "pipeline_testing".into(),
///     Some("not run: <ignored>".into()),
/// );
/// let started = result.timestamp;
/// let runs = [sf::EntryRun {
///     name: "prep::small".into(),
///     result,
///     outcome: sf::EntryOutcome::NotRun,
///     replay: String::new(),
/// }];
/// let page = render_html(&HtmlReport {
///     title: "nightly".into(),
///     runs: &runs,
///     started,
///     wall_time: 0.0,
///     history: &[],
///     interrupted: None,
/// })
/// .unwrap();
/// assert!(page.contains("prep::small") && page.contains("not run: &lt;ignored&gt;"));
/// ```
pub mod report {
    pub use sf_core::history::{
        HISTORY_FILE, History, HistoryError, HistoryRecord, Regression, regressions,
    };
    pub use sf_core::report::{HtmlError, HtmlReport, render_html, write_html};
}

/// Loading `sf.toml`: [`config::load`] reads and validates a configuration into a [`Suite`];
/// every mistake is a [`ConfigError`] naming the file, the line and the key.
///
/// ```no_run
/// let suite = sf::config::load(std::path::Path::new("sf.toml")).expect("a valid sf.toml");
/// for entry in &suite.entries {
///     println!("{}", entry.name);
/// }
/// ```
pub mod config {
    pub use sf_core::config::{CONFIG_FILE, ConfigError, load, parse};
}

/// The data vocabulary: how input channels are filled ([`DataPlan`], [`ChannelPlan`],
/// [`GeneratedData`], [`Layout`](data::Layout), tar.gz entries), what generated rows look like ([`Profile`],
/// [`Schema`] and its columns, [`Size`], [`RowCount`]), and the tables and files that come out.
pub mod data {
    pub use sf_core::data::{
        ChannelPlan, Column, ColumnKind, ColumnProblem, ColumnSpec, Contract, DataError, DataPlan,
        EntryContent, Format, GeneratedData, LabelSpec, Layout, MaterializedFile, Profile,
        RowCount, Schema, SchemaError, Size, Split, Table, TableSource, TarEntry, write_table,
    };
}

/// The libtest-mimic harness (feature `harness`): every test of `sf.toml` becomes a test case.
///
/// ```toml
/// # Cargo.toml of a script repository
/// [dev-dependencies]
/// sf = { version = "0.1", default-features = false, features = ["harness"] }
///
/// [[test]]
/// name = "scripts"
/// harness = false
/// ```
///
/// ```no_run
/// // tests/scripts.rs
/// fn main() -> std::process::ExitCode {
///     sf::harness::main()
/// }
/// ```
///
/// [`trials`](harness::trials) gives the trials themselves, for a `main` of your own:
///
/// ```no_run
/// let suite = sf::config::load(&sf::harness::config_path()).expect("a valid sf.toml");
/// let trials = sf::harness::trials(&suite);
/// println!("{} tests", trials.len());
/// ```
#[cfg(feature = "harness")]
pub mod harness {
    pub use sf_harness::harness::{config_path, main, trials};
}

/// What `#[script_test]` expands to calls. Not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use sf_core::macro_support::*;
}
