//! `TestSpec`: everything one script test needs. The macro, the harness and the CLI build one and
//! hand it to [`engine::run`](crate::engine::run).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
/// What the test expects of the script: that it passes (the default) or that it fails.
pub use sf_vocab::Expectation;

use crate::checks::ChannelChecks;
use crate::data::{ChannelPlan, DataPlan, Format, GeneratedData, Profile, RowCount};
use crate::run::adapter::AdapterOptions;
use crate::run::runner::Limits;
use crate::script::{AdapterKind, ScriptRef};

/// The default seed of generated data.
pub const DEFAULT_SEED: u64 = 42;
/// The input channel used when a test declares none.
pub const DEFAULT_INPUT: &str = "input";
/// The output channel used when a test declares none.
pub const DEFAULT_OUTPUT: &str = "output";
/// The default workspace root, relative to the current directory.
pub const DEFAULT_WORKSPACE_ROOT: &str = "pipeline_testing";

/// `sf-golden/<name parts>/` under `root`: the parts of a test name (`a::b`) as folders.
pub(crate) fn golden_dir_for(root: &std::path::Path, test_name: &str) -> PathBuf {
    test_name
        .split("::")
        .fold(root.join("sf-golden"), |d, part| d.join(part))
}

/// When a run's workspace is kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeepWorkspace {
    /// Always keep it (the CLI's choice: `sf list-results` reads them).
    #[default]
    Always,
    /// Keep it only when the test does not pass.
    OnFailure,
}

/// A complete description of one script test.
#[derive(Debug, Clone)]
pub struct TestSpec {
    /// The script to run.
    pub script: ScriptRef,
    /// How each input channel is filled.
    pub data: DataPlan,
    /// Output channels and their checks.
    pub outputs: BTreeMap<String, ChannelChecks>,
    /// Output channels that are one file rather than a folder: channel → file name. The
    /// script's `output_paths[channel]` is then `outputs/<channel>/<file>`, and the channel's
    /// checks require that file.
    pub output_files: BTreeMap<String, String>,
    /// Environment variables for the script.
    pub environ_vars: BTreeMap<String, String>,
    /// Job arguments for the script.
    pub job_args: BTreeMap<String, serde_json::Value>,
    /// Seed of generated data.
    pub seed: u64,
    /// Whether the script must pass or fail.
    pub expect: Expectation,
    /// Timeout and output bounds.
    pub limits: Limits,
    /// Interpreter choice.
    pub python: Option<PathBuf>,
    /// Directory that script names and relative paths are resolved against.
    pub base_dir: PathBuf,
    /// More directories to look for script names in, after the conventional ones.
    pub scripts_dirs: Vec<PathBuf>,
    /// Where workspaces are created.
    pub workspace_root: PathBuf,
    /// When the workspace is kept.
    pub keep_workspace: KeepWorkspace,
    /// The adapter, when not chosen from the file extension.
    pub adapter: Option<AdapterKind>,
    /// A command line for the `command` adapter instead of running the script file itself.
    /// Placeholders: `{script}`, `{workspace}`, `{input:NAME}`, `{output:NAME}`, and `{job_args}`
    /// (an argument of its own, replaced by the job arguments as `--key value` flags).
    pub argv: Option<Vec<String>>,
    /// Isolation: the filesystem sandbox (on by default) and the network (allowed by default).
    pub sandbox: crate::run::sandbox::SandboxOptions,
    /// Run as a SageMaker Processing job would: the script's own `__main__`, channels under
    /// `/opt/ml/processing` (through a private mount namespace).
    pub sagemaker: Option<crate::run::sagemaker::SageMakerLayout>,
    /// Input channels the script may not change. By default inputs are writable copies, as in a
    /// Processing container, and a change is only reported; with this, it fails the test.
    pub read_only_inputs: bool,
    /// For a Python script inside a package: the folder that holds its top-level package. The
    /// script is then imported by its dotted name (`cursus.steps.scripts.train`) with this folder
    /// on `sys.path`, so its relative imports work, as they do where it is deployed.
    pub import_root: Option<PathBuf>,
    /// What the script's Python environment must hold: sf builds a virtual environment for the
    /// set once, caches it (`SF_CACHE_DIR`), and runs the script in it.
    pub requirements: crate::run::adapter::environment::Requirements,
    /// Use only Python environments already in the cache; a missing one is a failure that says
    /// what is missing.
    pub offline: bool,
    /// What `pip install …` from inside the run does: prepare the missing requirements and run
    /// again (the default), fail the test, or skip the install and warn.
    pub runtime_installs: sf_vocab::RuntimeInstalls,
    /// The configuration file the test was read from (absolute), when it comes from one: its
    /// replay command then runs the test by name (`sf test --config C --exact NAME`), with every
    /// check, environment variable, job argument and layout the configuration gives it.
    pub config: Option<PathBuf>,
    /// The test's own name, before `::variant`: the `[scripts.NAME]` section it comes from, so
    /// two sections of one script are two tests. The script's file stem when unset.
    pub name: Option<String>,
    /// Distinguishes tests of the same script (for example `small`, `large`); see
    /// [`TestSpec::test_name`].
    pub variant: Option<String>,
    /// Output channels compared with a golden copy, and how.
    pub golden: BTreeMap<String, crate::checks::Golden>,
    /// Where the golden copies of this test live (`<channel>/` each); by default
    /// `sf-golden/<test name parts>/` under `base_dir`.
    pub golden_dir: Option<PathBuf>,
    /// Compare with the golden copies, or accept the run's outputs as the new ones.
    pub golden_mode: crate::checks::GoldenMode,
    /// What `main`'s return value must hold (python-main scripts), by JSON pointer
    /// (`/status`, `/metrics/auc`; see [`returns_pointer`](crate::returns_pointer)).
    /// A run whose main returns `None`, or no value sf can see, fails these.
    pub returns: BTreeMap<String, crate::checks::JsonExpectation>,
}

impl TestSpec {
    /// A spec for `script` (a name or a path) with the defaults: one input channel `input`
    /// holding small data of the profile guessed from the script's name, one output channel
    /// `output`, seed 42, a 300 s timeout, workspaces under `./pipeline_testing`.
    pub fn new(script: impl AsRef<str>) -> TestSpec {
        let script = ScriptRef::parse(script.as_ref());
        let profile = Profile::guess(&script.name());
        let base_dir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        TestSpec {
            data: DataPlan::new().channel(
                DEFAULT_INPUT,
                ChannelPlan::Generated(GeneratedData::new(profile, RowCount::default())),
            ),
            outputs: BTreeMap::from([(DEFAULT_OUTPUT.to_owned(), ChannelChecks::output())]),
            output_files: BTreeMap::new(),
            script,
            environ_vars: BTreeMap::new(),
            job_args: BTreeMap::new(),
            seed: DEFAULT_SEED,
            expect: Expectation::Pass,
            limits: Limits::default(),
            python: None,
            workspace_root: base_dir.join(DEFAULT_WORKSPACE_ROOT),
            base_dir,
            scripts_dirs: Vec::new(),
            keep_workspace: KeepWorkspace::Always,
            adapter: None,
            argv: None,
            sandbox: crate::run::sandbox::SandboxOptions::default(),
            sagemaker: None,
            read_only_inputs: false,
            import_root: None,
            requirements: Default::default(),
            offline: false,
            runtime_installs: sf_vocab::RuntimeInstalls::default(),
            config: None,
            name: None,
            variant: None,
            golden: BTreeMap::new(),
            golden_dir: None,
            golden_mode: crate::checks::GoldenMode::Compare,
            returns: BTreeMap::new(),
        }
    }

    /// The directory of the golden copies of this test's outputs.
    pub fn golden_root(&self) -> PathBuf {
        self.golden_dir
            .clone()
            .unwrap_or_else(|| golden_dir_for(&self.base_dir, &self.test_name()))
    }

    /// The test's name: `name::variant`, where the name is [`TestSpec::name`] (the sf.toml
    /// section) or else the script's file stem, and the variant is the one set explicitly or else
    /// derived from the data: the size of the first generated channel (`small`), its row count
    /// (`rows_100`), or `fixed` when no channel is generated. The harness, the macro and the CLI
    /// all name tests this way, so `cargo test NAME`, `--exact` and nextest filters agree.
    pub fn test_name(&self) -> String {
        let name = self.name.clone().unwrap_or_else(|| self.script_name());
        format!("{name}::{}", self.variant_label())
    }

    fn variant_label(&self) -> String {
        if let Some(v) = &self.variant {
            return v.clone();
        }
        let generated = self.data.channels.values().find_map(|p| match p {
            ChannelPlan::Generated(g) => Some(g.rows),
            _ => None,
        });
        match generated {
            Some(RowCount::Size(size)) => size.name().to_owned(),
            Some(RowCount::Rows(n)) => format!("rows_{n}"),
            None => "fixed".to_owned(),
        }
    }

    /// The script's name (file stem).
    pub fn script_name(&self) -> String {
        self.script.name()
    }

    /// Fills every generated input channel from `profile` instead of the guessed one.
    pub fn profile(mut self, profile: Profile) -> TestSpec {
        self.for_generated(|g| g.source = crate::data::TableSource::Profile(profile));
        self
    }

    /// Sets the row count of every generated input channel.
    pub fn rows(mut self, rows: RowCount) -> TestSpec {
        self.for_generated(|g| g.rows = rows);
        self
    }

    /// Sets the file format of every generated input channel.
    pub fn format(mut self, format: Format) -> TestSpec {
        self.for_generated(|g| g.format = format);
        self
    }

    fn for_generated(&mut self, mut f: impl FnMut(&mut GeneratedData)) {
        for plan in self.data.channels.values_mut() {
            if let ChannelPlan::Generated(g) = plan {
                f(g);
            }
        }
    }

    /// Replaces the input channels with `names`, each filled like the current first generated
    /// channel (or like the default).
    pub fn inputs<I, S>(mut self, names: I) -> TestSpec
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let template = self
            .data
            .channels
            .values()
            .find(|p| matches!(p, ChannelPlan::Generated(_)))
            .cloned()
            .unwrap_or_else(|| {
                ChannelPlan::Generated(GeneratedData::new(
                    Profile::guess(&self.script_name()),
                    RowCount::default(),
                ))
            });
        self.data = names
            .into_iter()
            .fold(DataPlan::new(), |plan, n| plan.channel(n, template.clone()));
        self
    }

    /// Replaces the output channels with `names`, without checks.
    pub fn outputs<I, S>(mut self, names: I) -> TestSpec
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.outputs = names
            .into_iter()
            .map(|n| (n.into(), ChannelChecks::output()))
            .collect();
        self
    }

    /// Makes output channel `channel` one file named `file` (see [`TestSpec::output_files`]);
    /// the channel is added when missing, and must then hold that file.
    pub fn output_file(mut self, channel: impl Into<String>, file: impl Into<String>) -> TestSpec {
        let (channel, file) = (channel.into(), file.into());
        let checks = self
            .outputs
            .entry(channel.clone())
            .or_insert_with(ChannelChecks::output);
        if checks.files.is_none() {
            checks.files = Some(glob::Pattern::escape(&file));
        }
        self.output_files.insert(channel, file);
        self
    }

    /// Sets an environment variable for the script.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> TestSpec {
        self.environ_vars.insert(key.into(), value.into());
        self
    }

    /// Sets a job argument.
    pub fn job_arg(
        mut self,
        key: impl Into<String>,
        value: impl Into<serde_json::Value>,
    ) -> TestSpec {
        self.job_args.insert(key.into(), value.into());
        self
    }

    /// Sets the data seed.
    pub fn seed(mut self, seed: u64) -> TestSpec {
        self.seed = seed;
        self
    }

    /// Sets the expected outcome.
    pub fn expect(mut self, expect: Expectation) -> TestSpec {
        self.expect = expect;
        self
    }

    /// Sets the timeout.
    pub fn timeout(mut self, timeout: Duration) -> TestSpec {
        self.limits.timeout = timeout;
        self
    }

    /// Sets the Python interpreter.
    pub fn python(mut self, python: impl Into<PathBuf>) -> TestSpec {
        self.python = Some(python.into());
        self
    }

    /// Sets the directory names and relative paths are resolved against; the workspace root
    /// moves with it unless it was set explicitly afterwards.
    pub fn base_dir(mut self, dir: impl Into<PathBuf>) -> TestSpec {
        self.base_dir = dir.into();
        self.workspace_root = self.base_dir.join(DEFAULT_WORKSPACE_ROOT);
        self
    }

    /// Adds a directory to look for script names in.
    pub fn scripts_dir(mut self, dir: impl Into<PathBuf>) -> TestSpec {
        self.scripts_dirs.push(dir.into());
        self
    }

    /// Sets where workspaces are created.
    pub fn workspace_root(mut self, dir: impl Into<PathBuf>) -> TestSpec {
        self.workspace_root = dir.into();
        self
    }

    /// Makes the inputs read-only: a script that changes one fails (see
    /// [`TestSpec::read_only_inputs`]).
    pub fn read_only_inputs(mut self, read_only: bool) -> TestSpec {
        self.read_only_inputs = read_only;
        self
    }

    /// Adds requirements the script's Python environment must hold (see
    /// [`TestSpec::requirements`]).
    pub fn requirements<I, S>(mut self, specifiers: I) -> TestSpec
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.requirements
            .specifiers
            .extend(specifiers.into_iter().map(Into::into));
        self
    }

    /// Adds a requirements file (relative to the base directory, or absolute).
    pub fn requirements_file(mut self, file: impl Into<PathBuf>) -> TestSpec {
        let file = file.into();
        self.requirements.files.push(if file.is_absolute() {
            file
        } else {
            self.base_dir.join(file)
        });
        self
    }

    /// Imports the (Python) script by its dotted name below `root`, a path relative to the base
    /// directory or absolute (see [`TestSpec::import_root`]).
    pub fn import_root(mut self, root: impl Into<PathBuf>) -> TestSpec {
        let root = root.into();
        self.import_root = Some(if root.is_absolute() {
            root
        } else {
            self.base_dir.join(root)
        });
        self
    }

    /// Sets the memory limit of the whole process tree, in bytes.
    pub fn memory_limit(mut self, bytes: u64) -> TestSpec {
        self.limits.memory_limit = Some(bytes);
        self
    }

    /// Sets when the workspace is kept.
    pub fn keep_workspace(mut self, keep: KeepWorkspace) -> TestSpec {
        self.keep_workspace = keep;
        self
    }

    /// Replaces the input channels with the folders under `dir/inputs/` (a kept workspace or a
    /// failure bundle), each copied as a fixture: the exact data of an earlier run. Every folder
    /// becomes a channel and no other channel stays. The test is then called `NAME::replay`.
    pub fn data_from(mut self, dir: &std::path::Path) -> std::io::Result<TestSpec> {
        let (inputs, names) = input_folders(dir)?;
        self.data = names.into_iter().fold(DataPlan::new(), |plan, name| {
            let source = inputs.join(&name);
            plan.channel(name, ChannelPlan::Fixture { source })
        });
        self.variant = Some("replay".to_owned());
        Ok(self)
    }

    /// This test on the data of an earlier run, keeping its name (and so its golden copies):
    /// each input channel with a folder under `dir/inputs/` (a kept workspace or a failure
    /// bundle) is filled from it, as a fixture; a channel without one keeps its own data. A
    /// folder for a channel the test does not have is an error naming it.
    pub fn inputs_from(mut self, dir: &std::path::Path) -> std::io::Result<TestSpec> {
        let (inputs, names) = input_folders(dir)?;
        if let Some(extra) = names.iter().find(|n| !self.data.channels.contains_key(*n)) {
            let known: Vec<&str> = self.data.channels.keys().map(String::as_str).collect();
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{} is no input channel of test `{}` (its inputs: {})",
                    inputs.join(extra).display(),
                    self.test_name(),
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            ));
        }
        // The name is the one the data gave it, fixed before the data changes.
        self.variant = Some(self.variant_label());
        for name in names {
            let source = inputs.join(&name);
            self.data
                .channels
                .insert(name, ChannelPlan::Fixture { source });
        }
        Ok(self)
    }

    /// The command line that runs this test again on the data in `data_dir` (a kept workspace
    /// or a failure bundle). A test read from a configuration runs by name,
    /// `sf test --config C --exact NAME --data-from DIR`, with everything the configuration
    /// gives it. Any other test becomes an `sf test-script` line with the same outputs,
    /// environment, job arguments, timeout, memory limit, interpreter, layout and expectation;
    /// what that line cannot express is listed by [`TestSpec::replay_gaps`]. `script` is the
    /// script's resolved path when known.
    pub fn replay_command(
        &self,
        script: Option<&std::path::Path>,
        data_dir: &std::path::Path,
    ) -> String {
        use crate::run::runner::shell_quote as q;
        if let (Some(config), Some(_)) = (&self.config, &self.name) {
            return format!(
                "{} --data-from {}",
                crate::suite::replay_command(config, &self.test_name()),
                q(&data_dir.to_string_lossy())
            );
        }
        let script = match (script, &self.script) {
            (Some(p), _) => p.display().to_string(),
            (None, ScriptRef::Path(p)) => self.base_dir.join(p).display().to_string(),
            (None, ScriptRef::Name(n)) => n.clone(),
        };
        let mut cmd = format!(
            "sf test-script {} --data-from {}",
            q(&script),
            q(&data_dir.to_string_lossy())
        );
        for output in self.outputs.keys() {
            cmd.push_str(&format!(" --output {}", q(output)));
        }
        for (k, v) in &self.environ_vars {
            cmd.push_str(&format!(" --env {}", q(&format!("{k}={v}"))));
        }
        for (k, v) in &self.job_args {
            // Strings that would read as JSON are passed as JSON strings, so they stay strings.
            let text = match v {
                serde_json::Value::String(s)
                    if serde_json::from_str::<serde_json::Value>(s).is_err() =>
                {
                    s.clone()
                }
                other => other.to_string(),
            };
            cmd.push_str(&format!(" --job-arg {}", q(&format!("{k}={text}"))));
        }
        if self.limits.timeout != Limits::default().timeout {
            cmd.push_str(&format!(" --timeout {}", self.limits.timeout.as_secs_f64()));
        }
        if let Some(limit) = self.limits.memory_limit {
            cmd.push_str(&format!(" --memory-limit {}MB", limit >> 20));
        }
        if let Some(python) = &self.python {
            cmd.push_str(&format!(" --python {}", q(&python.to_string_lossy())));
        }
        if !self.sandbox.filesystem {
            cmd.push_str(" --no-sandbox");
        }
        if !self.sandbox.network {
            cmd.push_str(" --no-network");
        }
        if let Some(layout) = &self.sagemaker {
            cmd.push_str(" --layout sagemaker");
            for (channel, path) in &layout.paths {
                cmd.push_str(&format!(
                    " --container-path {}",
                    q(&format!("{channel}={path}"))
                ));
            }
        }
        if self.expect == Expectation::Fail {
            cmd.push_str(" --expect fail");
        }
        if self.read_only_inputs {
            cmd.push_str(" --read-only-inputs");
        }
        if let Some(root) = &self.import_root {
            cmd.push_str(&format!(" --import-root {}", q(&root.to_string_lossy())));
        }
        for r in &self.requirements.specifiers {
            cmd.push_str(&format!(" --requirement {}", q(r)));
        }
        for f in &self.requirements.files {
            cmd.push_str(&format!(" --requirements-file {}", q(&f.to_string_lossy())));
        }
        if self.runtime_installs != sf_vocab::RuntimeInstalls::default() {
            cmd.push_str(&format!(
                " --runtime-installs {}",
                self.runtime_installs.name()
            ));
        }
        cmd
    }

    /// What the `sf test-script` replay line of [`TestSpec::replay_command`] cannot carry, one
    /// sentence each: output checks beyond "exists and is not empty", file outputs, golden
    /// copies, a command line of its own, an adapter chosen explicitly. Empty for a test read from a configuration,
    /// whose replay runs it by name.
    pub fn replay_gaps(&self) -> Vec<String> {
        if self.config.is_some() && self.name.is_some() {
            return Vec::new();
        }
        let mut gaps = Vec::new();
        let plain = ChannelChecks::output();
        for (channel, checks) in &self.outputs {
            if *checks != plain && !self.output_files.contains_key(channel) {
                gaps.push(format!(
                    "the checks of output `{channel}` (rows, columns, file patterns, values) are \
                     not part of this command: it checks only that the output is not empty"
                ));
            }
        }
        for (channel, file) in &self.output_files {
            gaps.push(format!(
                "output `{channel}` is the file `{file}` in the test; this command gives the \
                 script a folder"
            ));
        }
        if !self.golden.is_empty() {
            gaps.push(
                "the test compares its outputs with golden copies, which this command does not \
                 (a replay is named `NAME::replay`, whose golden copies would be other ones)"
                    .into(),
            );
        }
        if self.argv.is_some() {
            gaps.push(
                "the test runs its own command line (argv), which this command does not".into(),
            );
        }
        if !self.returns.is_empty() {
            gaps.push(format!(
                "the test checks what main returns ({}), which this command does not",
                self.returns.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        // A name is looked up with its extension, which sf then reads as the CLI would.
        let by_extension = match &self.script {
            ScriptRef::Path(p) => Some(AdapterKind::for_path(p)),
            ScriptRef::Name(_) => None,
        };
        if let Some(adapter) = self
            .adapter
            .filter(|a| by_extension.is_some_and(|e| e != *a))
        {
            gaps.push(format!(
                "the test chooses the {} adapter; this command chooses it from the file extension",
                adapter.name()
            ));
        }
        gaps
    }

    pub(crate) fn adapter_options(&self) -> AdapterOptions {
        AdapterOptions {
            python: self.python.clone(),
            seed: self.seed,
            argv: self.argv.clone(),
            sandbox: self.sandbox,
            sagemaker: self.sagemaker.clone(),
            read_only_inputs: self.read_only_inputs,
            import_root: self.import_root.clone(),
            requirements: self.requirements.clone(),
            offline: self.offline,
            runtime_installs: self.runtime_installs,
        }
    }
}

/// The folder holding the inputs of a kept workspace or bundle at `dir` and its channel
/// folders, by name. A kept workspace whose script changed its inputs gives the inputs it was
/// given.
fn input_folders(dir: &std::path::Path) -> std::io::Result<(PathBuf, Vec<String>)> {
    let inputs = crate::workspace::Workspace::at(dir)
        .replay_data()
        .join(crate::property::BUNDLE_INPUTS);
    let mut names: Vec<String> = std::fs::read_dir(&inputs)
        .map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot read {}: {e}", inputs.display()))
        })?
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok((inputs, names))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_script_name() {
        let spec = TestSpec::new("currency_conversion");
        let Some(ChannelPlan::Generated(g)) = spec.data.channels.get(DEFAULT_INPUT) else {
            panic!("{:?}", spec.data)
        };
        assert_eq!(g.profile(), Some(Profile::Currency));
        assert_eq!(spec.seed, 42);
        assert!(spec.outputs.contains_key(DEFAULT_OUTPUT));
    }

    #[test]
    fn test_names_come_from_the_data_unless_a_variant_is_set() {
        assert_eq!(TestSpec::new("a").test_name(), "a::small");
        assert_eq!(
            TestSpec::new("a").rows(RowCount::Rows(5)).test_name(),
            "a::rows_5"
        );
        let mut spec = TestSpec::new("scripts/b.py");
        spec.data = DataPlan::new();
        assert_eq!(spec.test_name(), "b::fixed");
        spec.variant = Some("large".into());
        assert_eq!(spec.test_name(), "b::large");
    }

    #[test]
    fn the_replay_command_carries_everything_the_cli_can_express() {
        let spec = TestSpec::new("scripts/s.py")
            .base_dir("/repo")
            .outputs(["processed_data"])
            .env("LABEL", "a b")
            .job_arg("job_type", "training")
            .job_arg("n", 3)
            .job_arg("code", "3")
            .timeout(Duration::from_secs(60))
            .memory_limit(512 << 20)
            .expect(Expectation::Fail)
            .read_only_inputs(true);
        assert_eq!(
            spec.replay_command(None, std::path::Path::new("/tmp/bundle 1")),
            "sf test-script /repo/scripts/s.py --data-from '/tmp/bundle 1' --output processed_data \
             --env 'LABEL=a b' --job-arg 'code=\"3\"' --job-arg job_type=training --job-arg n=3 \
             --timeout 60 --memory-limit 512MB --expect fail --read-only-inputs"
        );
    }

    #[test]
    fn a_test_of_a_configuration_replays_by_name_with_nothing_left_out() {
        let mut spec = TestSpec::new("scripts/s.py").base_dir("/repo");
        spec.outputs.get_mut(DEFAULT_OUTPUT).unwrap().min_rows = Some(10);
        spec.name = Some("s".into());
        // Without a configuration, the command line cannot carry the row count, and says so.
        assert_eq!(spec.replay_gaps().len(), 1, "{:?}", spec.replay_gaps());
        assert!(spec.replay_gaps()[0].contains("output `output`"));
        // Nor what main must return.
        spec.returns.insert(
            "/status".into(),
            crate::checks::JsonExpectation::Equals("success".into()),
        );
        assert!(
            spec.replay_gaps()
                .iter()
                .any(|g| g.contains("what main returns (/status)")),
            "{:?}",
            spec.replay_gaps()
        );
        spec.config = Some("/repo/sf.toml".into());
        assert_eq!(
            spec.replay_command(None, std::path::Path::new("/tmp/ws 1")),
            "sf test --config /repo/sf.toml --exact s::small --data-from '/tmp/ws 1'"
        );
        assert!(spec.replay_gaps().is_empty());
    }

    #[test]
    fn inputs_from_keeps_the_name_and_data_from_marks_a_replay() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("inputs/a")).unwrap();
        let spec = TestSpec::new("x")
            .rows(RowCount::Rows(5))
            .inputs(["a", "b"]);
        let same = spec.clone().inputs_from(dir.path()).unwrap();
        assert_eq!(same.test_name(), "x::rows_5");
        assert!(matches!(
            same.data.channels.get("a"),
            Some(ChannelPlan::Fixture { .. })
        ));
        // A channel the folder does not hold keeps its own data.
        assert!(matches!(
            same.data.channels.get("b"),
            Some(ChannelPlan::Generated(_))
        ));
        let replay = spec.clone().data_from(dir.path()).unwrap();
        assert_eq!(replay.test_name(), "x::replay");
        assert_eq!(replay.data.channels.len(), 1);
        // A folder for a channel the test does not have is named.
        std::fs::create_dir_all(dir.path().join("inputs/zzz")).unwrap();
        let err = spec.inputs_from(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("inputs/zzz is no input channel of test `x::rows_5` (its inputs: a, b)"),
            "{err}"
        );
    }

    #[test]
    fn renamed_inputs_keep_the_chosen_profile() {
        let spec = TestSpec::new("x")
            .profile(Profile::Training)
            .inputs(["a", "b"]);
        assert_eq!(spec.data.channels.len(), 2);
        for plan in spec.data.channels.values() {
            assert!(
                matches!(plan, ChannelPlan::Generated(g) if g.profile() == Some(Profile::Training))
            );
        }
    }
}
