//! `[pipelines.NAME]`: steps (scripts of this configuration, optionally renamed and with their own
//! inputs, env and job args), edges and aliases, validated as a graph when the file is read.

use std::collections::BTreeMap;
use std::path::Path;

use toml::Spanned;

use super::build::{Cx, Result, build_channel, property_config};
use super::raw::RawPipeline;
use crate::pipeline::{Edge, InputNeeds, Pipeline};
use crate::spec::TestSpec;

/// One pipeline test of a suite.
#[derive(Debug, Clone)]
pub struct PipelineTest {
    /// `pipeline::NAME` (or `pipeline::NAME::proptest`).
    pub name: String,
    /// The pipeline.
    pub pipeline: Pipeline,
    /// `ignore = true`.
    pub ignored: bool,
    /// Property mode: generated data enters at the sources of the pipeline.
    pub property: Option<crate::property::PropertyConfig>,
}

pub(super) fn build_pipelines(
    cx: &Cx<'_>,
    raw: &BTreeMap<String, Spanned<RawPipeline>>,
    scripts: &BTreeMap<String, TestSpec>,
    workspace_root: &Path,
) -> Result<Vec<PipelineTest>> {
    let mut out = Vec::new();
    for (name, section) in raw {
        let key = format!("pipelines.{name}");
        let p = section.get_ref();
        let mut pipeline = Pipeline::new(name.clone());
        pipeline.workspace_root = workspace_root.to_owned();
        for (i, step) in p.steps.iter().enumerate() {
            let skey = format!("{key}.steps[{i}]");
            let table = Some(step.get_ref());
            let script = step.get_ref().script.clone();
            let Some(base) = scripts.get(&script) else {
                return Err(cx.err(
                    &skey,
                    Some(step.span()),
                    format!(
                        "no script `{script}` in this configuration (scripts: {})",
                        scripts.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                ));
            };
            let mut spec = base.clone();
            let step_name = table
                .and_then(|t| t.name.clone())
                .unwrap_or_else(|| script.clone());
            let mut reads = BTreeMap::new();
            if let Some(t) = table {
                for (k, v) in t.env.iter().flatten() {
                    spec = spec.env(k, v);
                }
                for (k, v) in t.job_args.iter().flatten() {
                    let json = serde_json::to_value(v).map_err(|e| {
                        cx.err(
                            format!("{skey}.job_args.{k}"),
                            Some(step.span()),
                            e.to_string(),
                        )
                    })?;
                    spec = spec.job_arg(k, json);
                }
                for (channel, plan) in t.inputs.iter().flatten() {
                    let built = build_channel(
                        cx,
                        &format!("{skey}.inputs.{channel}"),
                        plan,
                        &script,
                        &spec,
                    )?;
                    spec.data.channels.insert(channel.clone(), built);
                }
                for (channel, r) in t.reads.iter().flatten() {
                    if let Some(files) = &r.files
                        && let Err(e) = glob::Pattern::new(files)
                    {
                        return Err(cx.err(
                            format!("{skey}.reads.{channel}.files"),
                            Some(step.span()),
                            format!("invalid glob `{files}`: {e}"),
                        ));
                    }
                    reads.insert(
                        channel.clone(),
                        InputNeeds {
                            files: r.files.clone(),
                            columns: r.columns.clone(),
                            allow_empty: r.allow_empty,
                        },
                    );
                }
            }
            spec.variant = Some(step_name.clone());
            pipeline = pipeline.step(step_name.clone(), spec);
            for (channel, needs) in reads {
                pipeline = pipeline.reads(&step_name, &channel, needs);
            }
        }
        for edge in &p.edges {
            let parsed = Edge::parse(edge.get_ref())
                .map_err(|e| cx.err(format!("{key}.edges"), Some(edge.span()), e.to_string()))?;
            pipeline.edges.push(parsed);
        }
        for (input, output) in &p.aliases {
            pipeline = pipeline.alias(input, output);
        }
        pipeline
            .plan()
            .map_err(|e| cx.err(&key, Some(section.span()), e.to_string()))?;
        let ignored = p.ignore.unwrap_or(false);
        out.push(PipelineTest {
            name: format!("pipeline::{name}"),
            pipeline: pipeline.clone(),
            ignored,
            property: None,
        });
        if let Some(prop) = &p.proptest {
            let test_name = format!("pipeline::{name}::proptest");
            out.push(PipelineTest {
                property: Some(property_config(cx, prop.get_ref(), &test_name, 42)),
                name: test_name,
                pipeline,
                ignored,
            });
        }
    }
    Ok(out)
}

impl PipelineTest {
    /// The spec a summary result is named after when the pipeline could not run at all.
    fn first_spec(&self) -> Option<&TestSpec> {
        self.pipeline.steps.first().map(|s| &s.spec)
    }

    /// A result for this pipeline that did not run, with `message`.
    pub(crate) fn not_run(
        &self,
        status: crate::result::Status,
        message: String,
    ) -> crate::result::TestResult {
        let mut result = match self.first_spec() {
            Some(spec) => crate::result::TestResult::not_run(
                spec,
                status,
                self.pipeline.workspace_root.clone(),
                Some(message),
            ),
            None => crate::result::TestResult::not_run(
                &TestSpec::new(&self.name),
                status,
                self.pipeline.workspace_root.clone(),
                Some(message),
            ),
        };
        result.script_name = self.name.clone();
        result
    }

    /// Runs the pipeline (or its property mode). `config` names the configuration file in replay
    /// commands.
    pub fn run(&self, keep: crate::spec::KeepWorkspace, config: &Path) -> super::SuiteRun {
        use crate::pipeline::{PipelineOptions, render_text, run_pipeline, run_pipeline_property};
        use crate::run::runner::shell_quote as q;
        let options = PipelineOptions {
            keep,
            ..PipelineOptions::default()
        };
        let name = self
            .name
            .trim_start_matches("pipeline::")
            .trim_end_matches("::proptest");
        let replay_base = format!(
            "sf test-pipeline {} --config {}",
            q(name),
            q(&config.to_string_lossy())
        );
        let Some(property) = &self.property else {
            return match run_pipeline(&self.pipeline, &options) {
                Ok(result) => super::SuiteRun {
                    summary: (!result.is_successful()).then(|| render_text(&result, false)),
                    result: result.summary_result(),
                    replay: None,
                },
                Err(err) => super::SuiteRun {
                    result: self.not_run(crate::result::Status::Fail, err.to_string()),
                    summary: None,
                    replay: None,
                },
            };
        };
        let report = run_pipeline_property(&self.pipeline, property, &options);
        let secs = report.elapsed.as_secs_f64();
        match report.failure {
            None => super::SuiteRun {
                result: crate::result::TestResult {
                    execution_time: secs,
                    ..self.not_run(crate::result::Status::Pass, String::new())
                },
                summary: None,
                replay: None,
            }
            .without_message(),
            Some(f) => {
                let head = if f.from_saved_bundle {
                    format!("a saved failure bundle still fails: {}", f.bundle.display())
                } else {
                    crate::property::failure_headline(
                        "pipeline property test",
                        report.cases_run,
                        "",
                        report.shrink_steps,
                        &f.minimal_rows,
                        secs,
                        &f.bundle,
                    )
                };
                super::SuiteRun {
                    summary: Some(format!("{head}\n{}", render_text(&f.result, false))),
                    result: f.result.summary_result(),
                    replay: Some(format!(
                        "{replay_base} --data-from {}",
                        q(&f.bundle.to_string_lossy())
                    )),
                }
            }
        }
    }
}

impl Pipeline {
    /// The pipeline `name` of the configuration at `path` (`[pipelines.NAME]`), validated.
    pub fn from_config(
        path: &Path,
        name: &str,
    ) -> std::result::Result<Pipeline, super::ConfigError> {
        let suite = super::Suite::load(path)?;
        let wanted = format!("pipeline::{name}");
        suite
            .pipelines
            .into_iter()
            .find(|p| p.name == wanted)
            .map(|p| p.pipeline)
            .ok_or_else(|| super::ConfigError::new(path, format!("no pipeline `{name}`")))
    }
}
