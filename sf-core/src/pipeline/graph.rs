//! Validation, binding and ordering of a pipeline's steps.

use std::collections::{BTreeMap, BTreeSet};

use super::{BindingSource, Bound, Pipeline, PipelineError, PipelinePlan};
use crate::data::{ChannelPlan, RowCount, TableSource};

pub(super) fn plan(p: &Pipeline) -> Result<PipelinePlan, PipelineError> {
    if p.steps.is_empty() {
        return Err(PipelineError::Empty);
    }
    let mut names = BTreeSet::new();
    for s in &p.steps {
        if !names.insert(s.name.as_str()) {
            return Err(PipelineError::DuplicateStep {
                step: s.name.clone(),
            });
        }
    }
    let step = |name: &str| p.steps.iter().find(|s| s.name == name);

    // Explicit edges: every end must exist, and no input may be bound twice.
    let mut explicit: BTreeMap<(&str, &str), Vec<&super::Edge>> = BTreeMap::new();
    for edge in &p.edges {
        let text = edge.to_string();
        let unknown = |name: &str| PipelineError::UnknownStep {
            step: name.to_owned(),
            edge: text.clone(),
        };
        let from = step(&edge.from_step).ok_or_else(|| unknown(&edge.from_step))?;
        let to = step(&edge.to_step).ok_or_else(|| unknown(&edge.to_step))?;
        if !from.spec.outputs.contains_key(&edge.from_output) {
            return Err(PipelineError::UnknownOutput {
                step: from.name.clone(),
                channel: edge.from_output.clone(),
                known: from.spec.outputs.keys().cloned().collect(),
                edge: text,
            });
        }
        let inputs = inputs_of(to);
        if !inputs.contains(edge.to_input.as_str()) {
            return Err(PipelineError::UnknownInput {
                step: to.name.clone(),
                channel: edge.to_input.clone(),
                known: inputs.into_iter().map(str::to_owned).collect(),
                edge: text,
            });
        }
        explicit
            .entry((&edge.to_step, &edge.to_input))
            .or_default()
            .push(edge);
    }
    if let Some(((s, i), edges)) = explicit.iter().find(|(_, e)| e.len() > 1) {
        return Err(PipelineError::BoundTwice {
            step: (*s).to_owned(),
            input: (*i).to_owned(),
            sources: edges.iter().map(|e| e.from_label()).collect(),
        });
    }

    let mut bindings = Vec::new();
    for s in &p.steps {
        for input in inputs_of(s) {
            let source = if let Some(edges) = explicit.get(&(s.name.as_str(), input)) {
                BindingSource::Edge {
                    from_step: edges[0].from_step.clone(),
                    from_output: edges[0].from_output.clone(),
                }
            } else if let Some((from_step, from_output)) = implicit(p, s, input)? {
                BindingSource::Implicit {
                    from_step,
                    from_output,
                }
            } else if let Some(plan) = s.spec.data.channels.get(input) {
                BindingSource::Data(describe(plan))
            } else {
                return Err(PipelineError::Unbound {
                    step: s.name.clone(),
                    input: input.to_owned(),
                });
            };
            bindings.push(Bound {
                step: s.name.clone(),
                input: input.to_owned(),
                source,
            });
        }
    }
    let order = topological(p, &bindings)?;
    Ok(PipelinePlan { order, bindings })
}

/// The input channels a step knows: those of its data plan and those it `reads`, in name order.
pub(super) fn inputs_of(step: &super::Step) -> BTreeSet<&str> {
    step.spec
        .data
        .channels
        .keys()
        .chain(step.reads.keys())
        .map(String::as_str)
        .collect()
}

/// The one other step's output an input named in `reads` binds to by name or alias.
fn implicit(
    p: &Pipeline,
    step: &super::Step,
    input: &str,
) -> Result<Option<(String, String)>, PipelineError> {
    if !step.reads.contains_key(input) {
        return Ok(None);
    }
    let mut wanted = vec![input];
    if let Some(alias) = p.aliases.get(input)
        && alias != input
    {
        wanted.push(alias);
    }
    let candidates: Vec<(String, String)> = p
        .steps
        .iter()
        .filter(|other| other.name != step.name)
        .flat_map(|other| {
            wanted
                .iter()
                .filter(|w| other.spec.outputs.contains_key(**w))
                .map(|w| (other.name.clone(), (*w).to_owned()))
        })
        .collect();
    match candidates.len() {
        0 => Ok(None),
        1 => Ok(candidates.into_iter().next()),
        _ => Err(PipelineError::AmbiguousImplicit {
            step: step.name.clone(),
            input: input.to_owned(),
            candidates: candidates
                .into_iter()
                .map(|(s, o)| format!("{s}.{o}"))
                .collect(),
        }),
    }
}

/// A data plan in a few words: `generated tabular small`, `fixture /data/x`, `text signature`.
pub(super) fn describe(plan: &ChannelPlan) -> String {
    match plan {
        ChannelPlan::Generated(g) => {
            let source = match &g.source {
                TableSource::Profile(p) => p.name(),
                TableSource::Schema(_) => "schema",
            };
            let rows = match g.rows {
                RowCount::Size(size) => size.name().to_owned(),
                RowCount::Rows(n) => format!("{n} rows"),
            };
            format!("generated {source} {rows}")
        }
        ChannelPlan::Empty => "empty".to_owned(),
        ChannelPlan::Text { file_name, .. } => format!("text {file_name}"),
        ChannelPlan::Json { file_name, .. } => format!("json {file_name}"),
        ChannelPlan::Fixture { source } => format!("fixture {}", source.display()),
        ChannelPlan::TarGz { file_name, .. } => format!("tar.gz {file_name}"),
        ChannelPlan::Several(plans) => plans.iter().map(describe).collect::<Vec<_>>().join(" + "),
    }
}

/// Kahn's algorithm, taking the ready step with the smallest name first; a cycle is reported with
/// the steps on it.
fn topological(p: &Pipeline, bindings: &[Bound]) -> Result<Vec<String>, PipelineError> {
    let mut downstream: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut indegree: BTreeMap<&str, usize> =
        p.steps.iter().map(|s| (s.name.as_str(), 0)).collect();
    for b in bindings {
        if let Some((from, _)) = b.source.upstream()
            && downstream.entry(from).or_default().insert(&b.step)
        {
            *indegree.entry(&b.step).or_default() += 1;
        }
    }
    let mut ready: BTreeSet<&str> = indegree
        .iter()
        .filter(|(_, d)| **d == 0)
        .map(|(s, _)| *s)
        .collect();
    let mut order = Vec::new();
    while let Some(next) = ready.pop_first() {
        order.push(next.to_owned());
        for down in downstream.get(next).into_iter().flatten() {
            if let Some(d) = indegree.get_mut(down) {
                *d -= 1;
                if *d == 0 {
                    ready.insert(down);
                }
            }
        }
    }
    if order.len() == p.steps.len() {
        return Ok(order);
    }
    let left: BTreeSet<&str> = indegree
        .iter()
        .filter(|(_, d)| **d > 0)
        .map(|(s, _)| *s)
        .collect();
    Err(PipelineError::Cycle {
        steps: find_cycle(&left, &downstream),
    })
}

/// One cycle among `left` (steps Kahn's algorithm could not order), in downstream order,
/// starting at its smallest-named step.
fn find_cycle(left: &BTreeSet<&str>, downstream: &BTreeMap<&str, BTreeSet<&str>>) -> Vec<String> {
    // Every step left still waits for an upstream that is left too, so walking upstream from any
    // of them must come back to a step already seen; a downstream walk could dead-end in a step
    // that merely hangs below a cycle.
    let upstream_in_left = |step: &str| {
        downstream
            .iter()
            .find(|(from, downs)| left.contains(*from) && downs.contains(step))
            .map(|(from, _)| *from)
    };
    let Some(start) = left.first() else {
        return Vec::new();
    };
    let mut path: Vec<&str> = vec![start];
    while let Some(up) = upstream_in_left(path[path.len() - 1]) {
        if let Some(pos) = path.iter().position(|s| *s == up) {
            let mut cycle: Vec<String> =
                path[pos..].iter().rev().map(|s| (*s).to_owned()).collect();
            let min = cycle
                .iter()
                .enumerate()
                .min_by(|a, b| a.1.cmp(b.1))
                .map_or(0, |(i, _)| i);
            cycle.rotate_left(min);
            return cycle;
        }
        path.push(up);
    }
    path.into_iter().map(str::to_owned).collect()
}
