//! A suite: every test a configuration describes, each an owned [`Entry`].

use std::path::{Path, PathBuf};

use crate::pipeline::Pipeline;
use crate::property::PropertyConfig;
use crate::run::runner::shell_quote;
use crate::spec::TestSpec;

/// The prefix of every pipeline test's name.
pub(crate) const PIPELINE_PREFIX: &str = "pipeline::";

/// Every test a configuration describes, sorted by name.
#[derive(Debug, Clone)]
pub struct Suite {
    /// The configuration file (absolute).
    pub config: PathBuf,
    /// Its directory: scripts, fixtures and the workspace root are relative to it.
    pub root: PathBuf,
    /// Where its tests' workspaces go (`workspace_dir`, else `pipeline_testing` beside it).
    pub workspace_root: PathBuf,
    /// The tests, scripts and pipelines, sorted by name.
    pub entries: Vec<Entry>,
    /// What `[report]` asks every run of the suite to write.
    pub report: ReportSettings,
}

/// `[report]` of a configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportSettings {
    /// `html = "PATH"`: the HTML report's file (absolute, resolved against the configuration's
    /// directory).
    pub html: Option<PathBuf>,
}

/// One test of a suite: what runs, whether it is ignored, and property settings.
#[derive(Debug, Clone)]
pub struct Entry {
    /// `script::variant` ([`TestSpec::test_name`]), or `pipeline::NAME` (`::proptest` for its
    /// property mode).
    pub name: String,
    /// The script or the pipeline.
    pub kind: EntryKind,
    /// `ignore = true`: listed, run only with `--ignored` / `--include-ignored`.
    pub ignored: bool,
    /// Property mode (`proptest = {...}`): many generated datasets instead of one.
    pub property: Option<PropertyConfig>,
}

/// What an [`Entry`] runs.
#[derive(Debug, Clone)]
pub enum EntryKind {
    /// A script test.
    Script(Box<TestSpec>),
    /// A pipeline test.
    Pipeline(Box<Pipeline>),
}

/// `sf test-pipeline NAME` named a pipeline the configuration does not have.
#[derive(Debug, thiserror::Error)]
#[error("{} has {}", config.display(), self.without_config())]
pub struct NoSuchPipeline {
    /// The configuration file.
    pub config: PathBuf,
    /// The name asked for.
    pub name: String,
    /// The pipelines it has.
    pub known: Vec<String>,
}

impl NoSuchPipeline {
    /// The message without the configuration's path, for errors that name it already:
    /// ``no pipeline `x`; its pipelines: a, b``.
    pub fn without_config(&self) -> String {
        let known = if self.known.is_empty() {
            "none".to_owned()
        } else {
            self.known.join(", ")
        };
        format!("no pipeline `{}`; its pipelines: {known}", self.name)
    }
}

impl Suite {
    /// A suite of `entries` read from `config`, sorted by name.
    pub(crate) fn new(
        config: PathBuf,
        root: PathBuf,
        workspace_root: PathBuf,
        mut entries: Vec<Entry>,
    ) -> Suite {
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Suite {
            config,
            root,
            workspace_root,
            entries,
            report: ReportSettings::default(),
        }
    }

    /// The test called exactly `name`.
    pub fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// The pipeline `[pipelines.NAME]`, as a single run (not its property mode): the lookup the
    /// harness, `sf test-pipeline` and [`Pipeline::from_config`] share.
    pub fn pipeline(&self, name: &str) -> Result<&Pipeline, NoSuchPipeline> {
        let wanted = format!("{PIPELINE_PREFIX}{name}");
        self.entries
            .iter()
            .filter(|e| e.property.is_none())
            .find_map(|e| match &e.kind {
                EntryKind::Pipeline(p) if e.name == wanted => Some(&**p),
                _ => None,
            })
            .ok_or_else(|| NoSuchPipeline {
                config: self.config.clone(),
                name: name.to_owned(),
                known: self
                    .entries
                    .iter()
                    .filter(|e| e.property.is_none())
                    .filter_map(|e| match &e.kind {
                        EntryKind::Pipeline(p) => Some(p.name.clone()),
                        EntryKind::Script(_) => None,
                    })
                    .collect(),
            })
    }

    /// The command that runs exactly the test `name` from the command line.
    pub fn replay_command(&self, name: &str) -> String {
        replay_command(&self.config, name)
    }
}

/// `sf test --config CONFIG --exact NAME`.
pub(crate) fn replay_command(config: &Path, name: &str) -> String {
    format!(
        "sf test --config {} --exact {}",
        shell_quote(&config.to_string_lossy()),
        shell_quote(name)
    )
}

impl Entry {
    /// A script test named after its spec.
    pub(crate) fn script(spec: TestSpec, ignored: bool, property: Option<PropertyConfig>) -> Entry {
        Entry {
            name: spec.test_name(),
            kind: EntryKind::Script(Box::new(spec)),
            ignored,
            property,
        }
    }

    /// A pipeline test: `pipeline::NAME`, or `pipeline::NAME::proptest` in property mode.
    pub(crate) fn pipeline(
        pipeline: Pipeline,
        ignored: bool,
        property: Option<PropertyConfig>,
    ) -> Entry {
        let suffix = if property.is_some() { "::proptest" } else { "" };
        Entry {
            name: format!("{PIPELINE_PREFIX}{}{suffix}", pipeline.name),
            kind: EntryKind::Pipeline(Box::new(pipeline)),
            ignored,
            property,
        }
    }
}
