//! What `#[script_test]` expands to calls: a string-typed spec builder (the attribute was validated
//! at compile time), the test runner that panics with an actionable message, and [`ScriptRun`].
//! Reached from generated code as `::sf::__private`; not a stable API.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sf_vocab::Vocabulary;

use crate::data::{Format, RowCount};
use crate::report::failure_message;
use crate::result::TestResult;
use crate::spec::Expectation;
use crate::spec::{KeepWorkspace, TestSpec};
use crate::workspace::{Workspace, remove_workspace};

/// A spec for `script` (relative to `manifest_dir`) named after the test function.
/// `target_tmpdir` is cargo's `CARGO_TARGET_TMPDIR` when the test is an integration test.
pub fn spec(
    manifest_dir: &str,
    target_tmpdir: Option<&str>,
    script: &str,
    test_name: &str,
) -> TestSpec {
    let root = Path::new(manifest_dir);
    let mut spec = TestSpec::new(root.join(script).to_string_lossy())
        .base_dir(root)
        .workspace_root(workspace_root(target_tmpdir))
        .keep_workspace(KeepWorkspace::Always);
    spec.variant = Some(test_name.to_owned());
    spec
}

/// Workspaces of attribute tests never go into the sources: `SF_WORKSPACE_DIR` when set, else
/// cargo's temporary directory for integration tests, else the system's temporary directory.
fn workspace_root(target_tmpdir: Option<&str>) -> PathBuf {
    if let Some(dir) = std::env::var_os("SF_WORKSPACE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    target_tmpdir
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join("sf-workspaces")
}

/// Sets the profile of every generated channel (the name was checked at compile time).
pub fn profile(spec: TestSpec, name: &str) -> TestSpec {
    spec.profile(vocabulary(name))
}

/// Sets a named size.
pub fn size(spec: TestSpec, name: &str) -> TestSpec {
    spec.rows(RowCount::Size(vocabulary(name)))
}

/// Sets an exact row count.
pub fn rows(spec: TestSpec, rows: usize) -> TestSpec {
    spec.rows(RowCount::Rows(rows))
}

/// Sets the file format.
pub fn format(spec: TestSpec, name: &str) -> TestSpec {
    spec.format(vocabulary::<Format>(name))
}

/// A name the attribute already checked, through the same parser.
fn vocabulary<V: Vocabulary>(name: &str) -> V {
    name.parse().unwrap_or_else(|err| panic!("{err}"))
}

/// Sets the data seed.
pub fn seed(spec: TestSpec, seed: u64) -> TestSpec {
    spec.seed(seed)
}

/// Sets an environment variable.
pub fn env(spec: TestSpec, key: &str, value: &str) -> TestSpec {
    spec.env(key, value)
}

/// Sets a job argument.
pub fn job_arg(spec: TestSpec, key: &str, value: serde_json::Value) -> TestSpec {
    spec.job_arg(key, value)
}

/// Sets the timeout in milliseconds.
pub fn timeout_ms(spec: TestSpec, ms: u64) -> TestSpec {
    spec.timeout(Duration::from_millis(ms))
}

/// Imports the script by its dotted name below `root` (relative to the manifest directory).
pub fn import_root(spec: TestSpec, root: &str) -> TestSpec {
    spec.import_root(root)
}

/// Adds requirements for the script's Python environment.
pub fn requirements(spec: TestSpec, specifiers: &[&str]) -> TestSpec {
    spec.requirements(specifiers.iter().copied())
}

/// Adds a requirements file (relative to the manifest directory).
pub fn requirements_file(spec: TestSpec, file: &str) -> TestSpec {
    spec.requirements_file(file)
}

/// Sets what `pip install` from inside the run does (a name the macro checked).
pub fn runtime_installs(mut spec: TestSpec, mode: &str) -> TestSpec {
    if let Ok(mode) = mode.parse() {
        spec.runtime_installs = mode;
    }
    spec
}

/// Compares every output channel with its golden copy in
/// `sf-golden/<module path>/<test>/<channel>/` of the manifest directory; `SF_ACCEPT=1` accepts
/// the run's outputs as the new copies (refused when `CI` is set), as `sf test --accept` does.
pub fn golden(mut spec: TestSpec, module_path: &str) -> TestSpec {
    let channels: Vec<String> = spec.outputs.keys().cloned().collect();
    for channel in channels {
        spec.golden
            .insert(channel, crate::checks::Golden::default());
    }
    let name = spec.variant.clone().unwrap_or_else(|| spec.script_name());
    spec.golden_dir = Some(
        module_path
            .split("::")
            .fold(spec.base_dir.join("sf-golden"), |dir, part| dir.join(part))
            .join(name),
    );
    if crate::checks::accept_from_env() {
        spec.golden_mode = crate::checks::GoldenMode::Accept;
    }
    spec
}

/// Expects the script to fail.
pub fn expect_fail(spec: TestSpec) -> TestSpec {
    spec.expect(Expectation::Fail)
}

/// Sets the input channel names.
pub fn inputs(spec: TestSpec, names: &[&str]) -> TestSpec {
    spec.inputs(names.iter().copied())
}

/// Sets the output channel names.
pub fn outputs(spec: TestSpec, names: &[&str]) -> TestSpec {
    spec.outputs(names.iter().copied())
}

/// A JSON string value for a job argument.
pub fn json_str(s: &str) -> serde_json::Value {
    serde_json::Value::String(s.to_owned())
}

/// A JSON number value for a job argument.
pub fn json_i64(n: i64) -> serde_json::Value {
    n.into()
}

/// A JSON number value for a job argument.
pub fn json_f64(n: f64) -> serde_json::Value {
    n.into()
}

/// A JSON boolean value for a job argument.
pub fn json_bool(b: bool) -> serde_json::Value {
    b.into()
}

/// Whether `SF_KEEP_WORKSPACE=1` asks to keep the workspaces of passing tests.
fn keep_passing() -> bool {
    matches!(
        std::env::var("SF_KEEP_WORKSPACE").as_deref(),
        Ok("1") | Ok("true") | Ok("yes")
    )
}

/// Runs a script test; panics with the report, the kept workspace and a replay command when it
/// does not pass. The returned [`ScriptRun`] removes the workspace when dropped, unless the test
/// body panicked or `SF_KEEP_WORKSPACE=1`.
#[track_caller]
pub fn run_script_test(spec: TestSpec) -> ScriptRun {
    let result = crate::engine::run(&spec);
    if !result.is_successful() {
        let replay = spec.replay_command(result.script_path.as_deref(), &result.workspace);
        panic!("script test failed\n{}", failure_message(&result, &replay));
    }
    ScriptRun::new(&spec, result)
}

/// Where the failure bundles of a property test live: `SF_REGRESSIONS_DIR` when set, else
/// `sf-regressions/<module path>/<test>` in the crate's manifest directory, next to the tests
/// (commit them, like proptest-regressions, so a fixed bug stays fixed).
pub fn bundle_dir(manifest_dir: &Path, module_path: &str, test_name: &str) -> PathBuf {
    let base = std::env::var_os("SF_REGRESSIONS_DIR")
        .filter(|d| !d.is_empty())
        .map_or_else(|| manifest_dir.join("sf-regressions"), PathBuf::from);
    module_path
        .split("::")
        .fold(base, |dir, part| dir.join(part))
        .join(test_name)
}

/// What `proptest(...)` of the attribute sets (its defaults filled in by the macro).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropertySettings {
    /// Generated datasets that must pass.
    pub cases: u32,
    /// Most script runs spent shrinking.
    pub max_shrink_iters: u32,
    /// Fewest rows of each generated table.
    pub min_rows: usize,
    /// Most rows of each generated table.
    pub max_rows: usize,
    /// Whether cases draw edge values.
    pub edge_values: bool,
    /// Whether python-main cases fork from a warm interpreter.
    pub warm: bool,
}

/// Runs a property test: saved failure bundles first, then `cases` generated datasets, each in a
/// fresh workspace; a failure is shrunk (at most `max_shrink_iters` runs) and saved as a bundle,
/// and the test panics with the minimal dataset's report and the command that replays it.
#[track_caller]
pub fn run_property_test(
    spec: TestSpec,
    settings: PropertySettings,
    module_path: &str,
    test_name: &str,
) {
    let config = crate::property::PropertyConfig {
        cases: settings.cases,
        max_shrink_iters: settings.max_shrink_iters,
        min_rows: Some(settings.min_rows),
        max_rows: settings.max_rows,
        edge_values: settings.edge_values,
        warm: settings.warm,
        bundle_dir: bundle_dir(&spec.base_dir, module_path, test_name),
        seed: spec.seed,
        ..crate::property::PropertyConfig::default()
    };
    let report = crate::property::run_property(&spec, &config);
    let Some(failure) = &report.failure else {
        // Shown by `cargo test -- --nocapture`.
        println!("{}", crate::report::property_summary(&report));
        return;
    };
    {
        // The summary's first line already says "property test failed after N case(s)".
        panic!(
            "{}\n{}",
            crate::report::property_summary(&report),
            failure_message(&failure.result, &failure.replay)
        );
    }
}

/// A finished script run, handed to the body of a `#[script_test]` function: the result and the
/// paths of its inputs, outputs and logs.
#[derive(Debug)]
pub struct ScriptRun {
    result: TestResult,
    inputs: BTreeMap<String, PathBuf>,
    outputs: BTreeMap<String, PathBuf>,
    keep: bool,
}

impl ScriptRun {
    fn new(spec: &TestSpec, result: TestResult) -> ScriptRun {
        let ws = Workspace::at(&result.workspace);
        ScriptRun {
            inputs: spec
                .data
                .channels
                .keys()
                .map(|c| (c.clone(), ws.input(c)))
                .collect(),
            outputs: spec
                .outputs
                .keys()
                .map(|c| (c.clone(), ws.output(c)))
                .collect(),
            keep: keep_passing(),
            result,
        }
    }

    /// The test result (status, time, memory, …).
    pub fn result(&self) -> &TestResult {
        &self.result
    }

    /// The directory of input channel `name`. Panics, listing the channels, when there is none.
    pub fn input(&self, name: &str) -> &Path {
        self.inputs.get(name).unwrap_or_else(|| {
            panic!(
                "no input channel `{name}`; the test has {:?}",
                self.inputs.keys()
            )
        })
    }

    /// The directory of output channel `name`. Panics, listing the channels, when there is none.
    pub fn output(&self, name: &str) -> &Path {
        self.outputs.get(name).unwrap_or_else(|| {
            panic!(
                "no output channel `{name}`; the test has {:?}",
                self.outputs.keys()
            )
        })
    }

    /// The run's logs directory (`stdout.log`, `stderr.log`).
    pub fn logs(&self) -> PathBuf {
        Workspace::at(&self.result.workspace).logs()
    }

    /// What the script printed on stdout (the whole log).
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(Workspace::at(&self.result.workspace).stdout_log())
            .unwrap_or_default()
    }

    /// The workspace directory.
    pub fn workspace(&self) -> &Path {
        &self.result.workspace
    }

    /// Keeps the workspace after the test (as `SF_KEEP_WORKSPACE=1` does).
    pub fn keep_workspace(&mut self) {
        self.keep = true;
    }
}

impl Drop for ScriptRun {
    fn drop(&mut self) {
        // A failing assertion in the body keeps the evidence.
        if self.keep || std::thread::panicking() {
            return;
        }
        let _ = remove_workspace(&self.result.workspace);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(dir: &Path, name: &str, body: &str) {
        std::fs::create_dir_all(dir.join("scripts")).unwrap();
        std::fs::write(dir.join("scripts").join(name), body).unwrap();
    }

    fn under(dir: &Path) -> TestSpec {
        // Explicit workspace root: tests must not depend on the environment.
        spec(&dir.to_string_lossy(), None, "scripts/s.sh", "t").workspace_root(dir.join("ws"))
    }

    #[test]
    fn a_passing_run_hands_over_its_paths_and_cleans_up_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        script(
            dir.path(),
            "s.sh",
            "#!/bin/sh\necho hi > \"$SF_OUTPUT_OUTPUT/o.txt\"\necho done\n",
        );
        let run = run_script_test(under(dir.path()));
        assert!(run.output("output").join("o.txt").is_file());
        assert!(run.input("input").join("data.csv").is_file());
        assert_eq!(run.stdout(), "done\n");
        let ws = run.workspace().to_owned();
        drop(run);
        assert!(!ws.exists());
    }

    #[test]
    fn a_failing_run_panics_with_the_report_and_keeps_the_workspace() {
        let dir = tempfile::tempdir().unwrap();
        script(dir.path(), "s.sh", "#!/bin/sh\necho broken >&2\nexit 3\n");
        let spec = under(dir.path());
        let panic = std::panic::catch_unwind(|| run_script_test(spec)).unwrap_err();
        let message = panic.downcast_ref::<String>().unwrap();
        assert!(message.contains("script exited with status 3"), "{message}");
        assert!(message.contains("broken"), "stderr tail missing: {message}");
        assert!(
            message.contains("workspace is kept for inspection; data seed 42"),
            "{message}"
        );
        assert!(message.contains("replay: sf test-script "), "{message}");
        let ws = message
            .lines()
            .find_map(|l| l.trim().strip_prefix("workspace: "))
            .unwrap();
        assert!(Path::new(ws).join("inputs/input/data.csv").is_file());
    }

    #[test]
    fn golden_outputs_of_an_attribute_test_live_under_its_module_and_name() {
        let dir = tempfile::tempdir().unwrap();
        script(
            dir.path(),
            "s.sh",
            "#!/bin/sh\necho \"${WORD:-hi}\" > \"$SF_OUTPUT_OUTPUT/o.txt\"\n",
        );
        let spec = golden(under(dir.path()), "crate_tests::unit");
        let root = dir.path().join("sf-golden/crate_tests/unit/t");
        assert_eq!(spec.golden_root(), root);
        assert_eq!(spec.golden.keys().collect::<Vec<_>>(), ["output"]);
        std::fs::create_dir_all(root.join("output")).unwrap();
        std::fs::write(root.join("output/o.txt"), "hi\n").unwrap();
        std::fs::write(root.join("output").join(crate::checks::GOLDEN_MARKER), "").unwrap();
        drop(run_script_test(spec.clone()));
        let changed = spec.env("WORD", "ho");
        let panic = std::panic::catch_unwind(|| run_script_test(changed)).unwrap_err();
        let message = panic.downcast_ref::<String>().unwrap();
        assert!(
            message.contains("o.txt: contents differ (3 bytes, golden 3 bytes)"),
            "{message}"
        );
    }

    #[test]
    fn a_panicking_body_keeps_the_workspace() {
        let dir = tempfile::tempdir().unwrap();
        script(dir.path(), "s.sh", "#!/bin/sh\nexit 0\n");
        let run = run_script_test(under(dir.path()));
        let ws = run.workspace().to_owned();
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let _run = run;
            panic!("assertion in the body");
        }));
        assert!(ws.exists());
    }
}
