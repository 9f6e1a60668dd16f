//! A pipeline as written: its steps, edges and aliases, built in code or read from `sf.toml`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{Edge, PipelineError, PipelinePlan};
use crate::checks::ChannelChecks;
use crate::spec::{DEFAULT_WORKSPACE_ROOT, TestSpec};

/// Scripts as a DAG: steps, the edges between them, and where runs are kept.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The pipeline's name (reports call it `pipeline::NAME`).
    pub name: String,
    /// The steps, each with a unique name.
    pub steps: Vec<Step>,
    /// Explicit bindings of upstream outputs to downstream inputs.
    pub edges: Vec<Edge>,
    /// Input channel name → the output channel name it may be bound to implicitly
    /// (`input_data` → `processed_data`).
    pub aliases: BTreeMap<String, String>,
    /// Where each run's directory is created.
    pub workspace_root: PathBuf,
    /// The configuration the pipeline was read from, for replay commands (`None` for a
    /// pipeline built in code).
    pub config: Option<PathBuf>,
}

/// One script of a pipeline.
#[derive(Debug, Clone)]
pub struct Step {
    /// Unique in the pipeline (the same script may appear twice under two names, for example
    /// with other job arguments).
    pub name: String,
    /// The script test: `data` fills the inputs no upstream is bound to, `outputs` names the
    /// output channels and their checks.
    pub spec: TestSpec,
    /// For an input channel: what the step needs of whatever is bound to it. Naming an input here
    /// also lets it bind implicitly to an upstream output of the same name (or alias).
    pub reads: BTreeMap<String, ChannelChecks>,
}

impl Pipeline {
    /// An empty pipeline called `name`, with runs kept under `./pipeline_testing`.
    pub fn new(name: impl Into<String>) -> Pipeline {
        let base = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        Pipeline {
            name: name.into(),
            steps: Vec::new(),
            edges: Vec::new(),
            aliases: BTreeMap::new(),
            workspace_root: base.join(DEFAULT_WORKSPACE_ROOT),
            config: None,
        }
    }

    /// Adds a step running `spec`.
    pub fn step(mut self, name: impl Into<String>, spec: TestSpec) -> Pipeline {
        self.steps.push(Step {
            name: name.into(),
            spec,
            reads: BTreeMap::new(),
        });
        self
    }

    /// Says what `step` needs of the data bound to its input `input`.
    ///
    /// # Panics
    ///
    /// When no step is called `step` (yet): a pipeline built in code names its own steps.
    pub fn reads(mut self, step: &str, input: impl Into<String>, needs: ChannelChecks) -> Pipeline {
        let Some(s) = self.steps.iter_mut().find(|s| s.name == step) else {
            panic!("Pipeline::reads: no step `{step}` (add it with Pipeline::step first)");
        };
        s.reads.insert(input.into(), needs);
        self
    }

    /// The command that runs this pipeline on the data saved in `bundle` from the command line.
    pub fn replay_command(&self, bundle: &std::path::Path) -> String {
        use crate::run::runner::shell_quote as q;
        let config = self
            .config
            .as_ref()
            .map(|c| format!(" --config {}", q(&c.to_string_lossy())))
            .unwrap_or_default();
        format!(
            "sf test-pipeline {}{config} --data-from {}",
            q(&self.name),
            q(&bundle.to_string_lossy())
        )
    }

    /// Adds an edge written as `a.out -> b.in`.
    ///
    /// # Panics
    ///
    /// On a malformed edge: a pipeline built in code spells its own edges.
    pub fn edge(mut self, edge: &str) -> Pipeline {
        match Edge::parse(edge) {
            Ok(e) => self.edges.push(e),
            Err(err) => panic!("Pipeline::edge: {err}"),
        }
        self
    }

    /// Lets input channels called `input` bind implicitly to output channels called `output`.
    pub fn alias(mut self, input: impl Into<String>, output: impl Into<String>) -> Pipeline {
        self.aliases.insert(input.into(), output.into());
        self
    }

    /// Sets where run directories are created.
    pub fn workspace_root(mut self, dir: impl Into<PathBuf>) -> Pipeline {
        self.workspace_root = dir.into();
        self
    }

    /// Validates the graph, resolves where every input gets its data, and orders the steps.
    pub fn plan(&self) -> Result<PipelinePlan, PipelineError> {
        super::graph::plan(self)
    }

    /// The step called `name`.
    pub fn find_step(&self, name: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.name == name)
    }

    /// Replaces each step's source channels with the folders `inputs/<step>/<channel>/` of a
    /// failure bundle (or a kept property case), each copied as a fixture, to replay exactly the
    /// data of an earlier run. A folder for a step the pipeline does not have is an error.
    pub fn data_from(mut self, bundle_dir: &std::path::Path) -> std::io::Result<Pipeline> {
        let inputs = bundle_dir.join(crate::property::BUNDLE_INPUTS);
        for (step, dir) in sorted_dirs(&inputs)? {
            let Some(s) = self.steps.iter_mut().find(|s| s.name == step) else {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "{} holds data for step `{step}`, which pipeline `{}` does not have",
                        inputs.display(),
                        self.name
                    ),
                ));
            };
            for (channel, source) in sorted_dirs(&dir)? {
                s.spec
                    .data
                    .channels
                    .insert(channel, crate::data::ChannelPlan::Fixture { source });
            }
        }
        Ok(self)
    }
}

/// The subdirectories of `dir` by name, in name order.
fn sorted_dirs(dir: &std::path::Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        std::io::Error::new(e.kind(), format!("cannot read {}: {e}", dir.display()))
    })?;
    let mut dirs: Vec<(String, PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    dirs.sort();
    Ok(dirs)
}
