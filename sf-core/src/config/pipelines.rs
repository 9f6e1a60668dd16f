//! `[pipelines.NAME]`: steps (scripts of this configuration, optionally renamed and with their own
//! inputs, env and job args), edges and aliases, validated as a graph when the file is read.

use std::collections::BTreeMap;
use std::path::Path;

use toml::Spanned;

use super::channel::build_channel;
use super::context::{Cx, Result};
use super::expect::build_expectations;
use super::outputs::{apply_step_outputs, build_property_outputs};
use super::raw::RawPipeline;
use super::script::{check_property_rows, property_config};
use crate::checks::ChannelChecks;
use crate::data::ChannelPlan;
use crate::pipeline::{BindingSource, Edge, Pipeline};
use crate::spec::{DEFAULT_SEED, TestSpec};
use crate::suite::{Entry, PIPELINE_PREFIX};

pub(super) fn build_pipelines(
    cx: &Cx<'_>,
    raw: &BTreeMap<String, Spanned<RawPipeline>>,
    scripts: &BTreeMap<String, TestSpec>,
    workspace_root: &Path,
) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    for (name, section) in raw {
        let key = format!("pipelines.{name}");
        let p = section.get_ref();
        let mut pipeline = Pipeline::new(name.clone());
        pipeline.workspace_root = workspace_root.to_owned();
        pipeline.config = Some(cx.file.to_owned());
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
                    cx.channel(&format!("{skey}.inputs.{channel}"), plan.span(), channel)?;
                    let built = build_channel(
                        cx,
                        &format!("{skey}.inputs.{channel}"),
                        plan,
                        &script,
                        &spec,
                    )?;
                    spec.data.channels.insert(channel.clone(), built);
                }
                if let Some(outputs) = &t.outputs {
                    apply_step_outputs(cx, &skey, step.span(), &script, &mut spec, outputs)?;
                }
                for (channel, r) in t.reads.iter().flatten() {
                    cx.channel(&format!("{skey}.reads.{channel}"), step.span(), channel)?;
                    if let Some(files) = &r.files {
                        cx.glob(format!("{skey}.reads.{channel}.files"), step.span(), files)?;
                    }
                    for (i, pattern) in r.members.iter().enumerate() {
                        if let Err(e) = glob::Pattern::new(pattern) {
                            return Err(cx.err(
                                format!("{skey}.reads.{channel}.members[{i}]"),
                                Some(step.span()),
                                format!("invalid glob `{pattern}`: {e}"),
                            ));
                        }
                    }
                    reads.insert(
                        channel.clone(),
                        ChannelChecks {
                            files: r.files.clone(),
                            columns: r.columns.clone(),
                            some_rows: !r.allow_empty,
                            members: r.members.clone(),
                            min_members: r.min_members,
                            expect: build_expectations(
                                cx,
                                &format!("{skey}.reads.{channel}"),
                                Some(step.span()),
                                r.into(),
                                None,
                            )?,
                            ..ChannelChecks::edge()
                        },
                    );
                }
            }
            spec.variant = Some(step_name.clone());
            if !spec.golden.is_empty() {
                spec.golden_dir = Some(crate::spec::golden_dir_for(
                    cx.root,
                    &format!("{PIPELINE_PREFIX}{name}::{step_name}"),
                ));
            }
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
        let plan = pipeline
            .plan()
            .map_err(|e| cx.err(&key, Some(section.span()), e.to_string()))?;
        let ignored = p.ignore.unwrap_or(false);
        if let Some(prop) = &p.proptest {
            let test_name = format!("{PIPELINE_PREFIX}{name}::proptest");
            let prop_key = format!("{key}.proptest");
            let mut config = property_config(cx, &prop_key, prop, &test_name, DEFAULT_SEED)?;
            config.outputs = build_property_outputs(cx, &prop_key, prop, &|name| {
                // A step's name may hold a dot itself: the longest that names a step wins.
                let found = name
                    .match_indices('.')
                    .rev()
                    .map(|(i, _)| (&name[..i], &name[i + 1..]))
                    .find_map(|(step, channel)| {
                        pipeline.find_step(step).map(|found| (step, channel, found))
                    });
                let Some((step, channel, found)) = found else {
                    return Err(match name.split_once('.') {
                        Some((step, _)) => {
                            format!("no step `{step}` (steps: {})", step_names(&pipeline))
                        }
                        None => format!(
                            "name an output as STEP.CHANNEL (steps: {})",
                            step_names(&pipeline)
                        ),
                    });
                };
                if !found.spec.outputs.contains_key(channel) {
                    return Err(format!(
                        "step `{step}` has no output `{channel}` (outputs: {})",
                        found
                            .spec
                            .outputs
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                Ok(found.spec.data.channels.keys().cloned().collect())
            })?;
            // The sources: generated inputs no upstream output is bound to.
            for b in &plan.bindings {
                if let BindingSource::Data(_) = b.source
                    && let Some(step) = pipeline.find_step(&b.step)
                    && let Some(ChannelPlan::Generated(data)) =
                        step.spec.data.channels.get(&b.input)
                {
                    let channel = format!("{}.{}", b.step, b.input);
                    check_property_rows(cx, &prop_key, prop, &channel, data, config.max_rows)?;
                }
            }
            let mut property = pipeline.clone();
            for step in &mut property.steps {
                step.spec.golden.clear();
            }
            out.push(Entry::pipeline(property, ignored, Some(config)));
        }
        out.push(Entry::pipeline(pipeline, ignored, None));
    }
    Ok(out)
}

fn step_names(p: &Pipeline) -> String {
    p.steps
        .iter()
        .map(|s| s.name.clone())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Pipeline {
    /// The pipeline `name` of the configuration at `path` (`[pipelines.NAME]`), validated.
    pub fn from_config(
        path: &Path,
        name: &str,
    ) -> std::result::Result<Pipeline, super::ConfigError> {
        let suite = super::load(path)?;
        suite
            .pipeline(name)
            .cloned()
            .map_err(|e| super::ConfigError::new(path, e.without_config()))
    }
}
