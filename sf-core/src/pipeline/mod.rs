//! Pipelines: scripts as a DAG. An edge binds an upstream step's output channel to a downstream
//! step's input channel; steps run in topological order, independent ones in parallel, each in
//! its own workspace on a read-only copy of what its upstreams produced.
//!
//! ```text
//! Pipeline ─► plan (validate, bind, order) ─► run steps ─► edge checks ─► PipelineResult ─► render
//! ```
//!
//! This module is the data-flow manager: [`Pipeline::plan`] validates the graph and binds every
//! input, [`run_pipeline`] schedules and runs the steps and checks the edges.
//!
//! How an input channel of a step gets its data, in order of precedence:
//!
//! 1. an explicit [`Edge`] into it (the step's own data plan for that channel is then unused);
//! 2. an implicit binding, for inputs named in the step's [`Step::reads`] only: the one other
//!    step with an output of the same name, or of the name [`Pipeline::aliases`] maps the input
//!    to (two or more such outputs are [`PipelineError::AmbiguousImplicit`]);
//! 3. the step's own data plan (`spec.data`).
//!
//! An input only in the data plan never binds implicitly: the plan is what the author asked for,
//! and the default plan of [`TestSpec::new`] (generated data in `input`) would otherwise bind to
//! any step that happens to have an output called `input`. An input named in `reads` that none of
//! the three fills is [`PipelineError::Unbound`].

mod graph;
pub(crate) mod run;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::checks::ChannelChecks;
use crate::spec::{DEFAULT_WORKSPACE_ROOT, TestSpec};

pub use crate::property::{PipelinePropertyFailure, PipelinePropertyReport, run_pipeline_property};
pub use crate::report::pipeline::{render_dot, render_junit, render_mermaid, render_text};
pub use run::{EdgeCheck, EdgeResult, PipelineOptions, PipelineResult, StepResult, run_pipeline};

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

/// An explicit binding: `from_step.from_output -> to_step.to_input`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    /// The upstream step.
    pub from_step: String,
    /// Its output channel.
    pub from_output: String,
    /// The downstream step.
    pub to_step: String,
    /// Its input channel.
    pub to_input: String,
}

/// An edge that is not written as `step.output -> step.input`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid edge `{text}`: expected `step.output -> step.input`")]
pub struct EdgeParseError {
    /// The edge as written.
    pub text: String,
}

impl Edge {
    /// Parses `a.processed_data -> b.input_data` (spaces optional). Step names may contain dots;
    /// the channel is what follows the last one.
    pub fn parse(text: &str) -> Result<Edge, EdgeParseError> {
        let bad = || EdgeParseError {
            text: text.to_owned(),
        };
        let (from, to) = text.split_once("->").ok_or_else(bad)?;
        let end = |side: &str| -> Result<(String, String), EdgeParseError> {
            let (step, channel) = side.trim().rsplit_once('.').ok_or_else(bad)?;
            let (step, channel) = (step.trim(), channel.trim());
            let plain = |s: &str| !s.is_empty() && !s.chars().any(char::is_whitespace);
            if !plain(step) || !plain(channel) {
                return Err(bad());
            }
            Ok((step.to_owned(), channel.to_owned()))
        };
        let (from_step, from_output) = end(from)?;
        let (to_step, to_input) = end(to)?;
        Ok(Edge {
            from_step,
            from_output,
            to_step,
            to_input,
        })
    }

    /// `from_step.from_output`.
    pub fn from_label(&self) -> String {
        format!("{}.{}", self.from_step, self.from_output)
    }

    /// `to_step.to_input`.
    pub fn to_label(&self) -> String {
        format!("{}.{}", self.to_step, self.to_input)
    }
}

impl std::fmt::Display for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} -> {}", self.from_label(), self.to_label())
    }
}

/// Why a pipeline cannot be planned or run.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// An edge names a step the pipeline does not have.
    #[error("edge `{edge}`: no step `{step}`")]
    UnknownStep {
        /// The missing step.
        step: String,
        /// The edge, as text.
        edge: String,
    },
    /// An edge names an output channel its upstream step does not have.
    #[error("edge `{edge}`: step `{step}` has no output `{channel}` (outputs: {})", known.join(", "))]
    UnknownOutput {
        /// The upstream step.
        step: String,
        /// The missing channel.
        channel: String,
        /// The step's output channels.
        known: Vec<String>,
        /// The edge, as text.
        edge: String,
    },
    /// An edge names an input channel its downstream step does not have (in its data plan or
    /// its `reads`).
    #[error("edge `{edge}`: step `{step}` has no input `{channel}` (inputs: {})", known.join(", "))]
    UnknownInput {
        /// The downstream step.
        step: String,
        /// The missing channel.
        channel: String,
        /// The step's input channels.
        known: Vec<String>,
        /// The edge, as text.
        edge: String,
    },
    /// The bindings (explicit or implicit) form a cycle.
    #[error("the steps form a cycle: {}", cycle_text(steps))]
    Cycle {
        /// The steps on one cycle, in order (each feeds the next, the last feeds the first).
        steps: Vec<String>,
    },
    /// Two edges bind the same input.
    #[error("input `{input}` of step `{step}` is bound twice: by {}", sources.join(" and by "))]
    BoundTwice {
        /// The downstream step.
        step: String,
        /// Its input channel.
        input: String,
        /// The upstream outputs bound to it (`a.out`).
        sources: Vec<String>,
    },
    /// An input could bind implicitly to more than one upstream output.
    #[error(
        "input `{input}` of step `{step}` could come from {}; add an edge to choose one",
        candidates.join(" or ")
    )]
    AmbiguousImplicit {
        /// The downstream step.
        step: String,
        /// Its input channel.
        input: String,
        /// The upstream outputs it could bind to (`a.out`).
        candidates: Vec<String>,
    },
    /// An input named in `reads` has no edge, no implicit upstream and no data plan.
    #[error(
        "input `{input}` of step `{step}` is read but nothing fills it: no edge, no upstream \
         output of that name, no data plan"
    )]
    Unbound {
        /// The step.
        step: String,
        /// Its input channel.
        input: String,
    },
    /// Two steps share a name.
    #[error("two steps are called `{step}`")]
    DuplicateStep {
        /// The name.
        step: String,
    },
    /// The pipeline has no steps.
    #[error("the pipeline has no steps")]
    Empty,
    /// The run directory could not be created.
    #[error("cannot create the pipeline's run directory")]
    RunDir {
        /// The cause.
        #[source]
        source: crate::workspace::WorkspaceError,
    },
}

fn cycle_text(steps: &[String]) -> String {
    let mut text = steps.join(" -> ");
    if let Some(first) = steps.first() {
        text.push_str(" -> ");
        text.push_str(first);
    }
    text
}

/// A validated pipeline: the order steps run in and where every input gets its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelinePlan {
    /// Step names in topological order (ties broken by name).
    pub order: Vec<String>,
    /// Every input of every step, in `order` then by input name.
    pub bindings: Vec<Bound>,
}

impl PipelinePlan {
    /// The steps `step` takes data from, in name order.
    pub fn upstream_of(&self, step: &str) -> Vec<String> {
        let mut ups: Vec<String> = self
            .bindings
            .iter()
            .filter(|b| b.step == step)
            .filter_map(|b| b.source.upstream().map(|(s, _)| s.to_owned()))
            .collect();
        ups.sort();
        ups.dedup();
        ups
    }
}

/// Where one input of one step gets its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    /// The step.
    pub step: String,
    /// Its input channel.
    pub input: String,
    /// The source.
    pub source: BindingSource,
}

/// The source of an input channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindingSource {
    /// An explicit edge.
    Edge {
        /// The upstream step.
        from_step: String,
        /// Its output channel.
        from_output: String,
    },
    /// The one upstream output of the same name, or of the input's alias.
    Implicit {
        /// The upstream step.
        from_step: String,
        /// Its output channel.
        from_output: String,
    },
    /// The step's own data plan, described (`generated tabular small`, `fixture /data/x`,
    /// `text signature`, …).
    Data(String),
}

impl BindingSource {
    /// The upstream step and output, unless the data comes from the step's own plan.
    pub fn upstream(&self) -> Option<(&str, &str)> {
        match self {
            BindingSource::Edge {
                from_step,
                from_output,
            }
            | BindingSource::Implicit {
                from_step,
                from_output,
            } => Some((from_step, from_output)),
            BindingSource::Data(_) => None,
        }
    }

    /// `a.processed_data (edge)`, `a.processed_data (implicit)` or the data plan's description.
    pub fn describe(&self) -> String {
        match self {
            BindingSource::Edge {
                from_step,
                from_output,
            } => format!("{from_step}.{from_output} (edge)"),
            BindingSource::Implicit {
                from_step,
                from_output,
            } => format!("{from_step}.{from_output} (implicit)"),
            BindingSource::Data(text) => text.clone(),
        }
    }
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
        graph::plan(self)
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

/// Shell-script steps for the pipeline tests: channels arrive as `SF_INPUT_<NAME>` and
/// `SF_OUTPUT_<NAME>`.
#[cfg(test)]
pub(crate) mod support {
    use std::path::PathBuf;

    use super::Pipeline;
    use crate::data::{ChannelPlan, DataPlan};
    use crate::spec::TestSpec;

    /// A small table with a header and two rows.
    pub(crate) const TABLE: &str = "id,feature_1,target\n1,0.5,0\n2,0.7,1\n";

    pub(crate) struct Scripts {
        pub(crate) dir: tempfile::TempDir,
    }

    impl Scripts {
        pub(crate) fn new() -> Scripts {
            Scripts {
                dir: tempfile::tempdir().unwrap(),
            }
        }

        /// A step running `body` under `sh -e`, with these outputs and no inputs of its own.
        pub(crate) fn spec(&self, name: &str, body: &str, outputs: &[&str]) -> TestSpec {
            let path = self.dir.path().join(format!("{name}.sh"));
            std::fs::write(&path, format!("set -e\n{body}\n")).unwrap();
            let mut spec = TestSpec::new(path.to_string_lossy())
                .base_dir(self.dir.path())
                .outputs(outputs.iter().copied());
            spec.data = DataPlan::new();
            spec
        }

        /// A source step: its input `seed` holds `content` as `data.csv`, copied to `out`.
        pub(crate) fn source(&self, name: &str, content: &str, out: &str) -> TestSpec {
            let mut spec = self.spec(
                name,
                &format!(
                    "cp -R \"$SF_INPUT_SEED\"/. \"$SF_OUTPUT_{}\"/",
                    out.to_uppercase()
                ),
                &[out],
            );
            spec.data = DataPlan::new().channel("seed", text(content));
            spec
        }

        /// A step copying input `input` to output `out`.
        pub(crate) fn copy(&self, name: &str, input: &str, out: &str) -> TestSpec {
            self.spec(
                name,
                &format!(
                    "cp -R \"$SF_INPUT_{}\"/. \"$SF_OUTPUT_{}\"/",
                    input.to_uppercase(),
                    out.to_uppercase()
                ),
                &[out],
            )
        }

        pub(crate) fn root(&self) -> PathBuf {
            self.dir.path().join("runs")
        }

        pub(crate) fn pipeline(&self, name: &str) -> Pipeline {
            Pipeline::new(name).workspace_root(self.root())
        }
    }

    /// `data.csv` holding `content`.
    pub(crate) fn text(content: &str) -> ChannelPlan {
        ChannelPlan::Text {
            file_name: "data.csv".to_owned(),
            content: content.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_parse_with_or_without_spaces() {
        let e = Edge::parse("a.processed_data -> b.input_data").unwrap();
        assert_eq!(
            (e.from_step.as_str(), e.from_output.as_str()),
            ("a", "processed_data")
        );
        assert_eq!(
            (e.to_step.as_str(), e.to_input.as_str()),
            ("b", "input_data")
        );
        assert_eq!(Edge::parse("a.x->b.y").unwrap().to_string(), "a.x -> b.y");
        assert_eq!(Edge::parse("v1.2.x -> b.y").unwrap().from_step, "v1.2");
    }

    #[test]
    fn a_malformed_edge_says_the_expected_form() {
        for bad in [
            "a.x b.y",
            "a -> b.y",
            "a.x -> ",
            ".x -> b.y",
            "a.x -> b.y z",
        ] {
            let err = Edge::parse(bad).unwrap_err();
            assert_eq!(err.text, bad);
            assert!(
                err.to_string()
                    .contains("expected `step.output -> step.input`"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    #[should_panic(expected = "invalid edge")]
    fn the_builder_panics_on_a_malformed_edge() {
        let _ = Pipeline::new("p").edge("nonsense");
    }
}
