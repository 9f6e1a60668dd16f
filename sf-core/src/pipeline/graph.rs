//! Validation, binding and ordering of a pipeline's steps.

use std::collections::{BTreeMap, BTreeSet};

use super::{Pipeline, PipelineError};
use crate::data::{ChannelPlan, RowCount, TableSource};

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
    let position: BTreeMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    // Stable: inputs stay in name order within a step.
    bindings.sort_by_key(|b| position.get(b.step.as_str()).copied());
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

#[cfg(test)]
mod tests {
    use super::super::support::{Scripts, TABLE, text};
    use super::super::{BindingSource, Pipeline, PipelineError};
    use crate::checks::ChannelChecks;

    fn needs() -> ChannelChecks {
        ChannelChecks::edge()
    }

    /// a → b → c by edges, plus an independent d.
    fn chain(s: &Scripts) -> Pipeline {
        s.pipeline("chain")
            .step("c", s.copy("c", "x", "out"))
            .step("b", s.copy("b", "x", "y"))
            .step("a", s.source("a", TABLE, "y"))
            .step("d", s.source("d", TABLE, "z"))
            .reads("b", "x", needs())
            .reads("c", "x", needs())
            .edge("a.y -> b.x")
            .edge("b.y -> c.x")
    }

    #[test]
    fn steps_are_ordered_topologically_with_ties_by_name() {
        let s = Scripts::new();
        let plan = chain(&s).plan().unwrap();
        assert_eq!(plan.order, ["a", "b", "c", "d"]);
        let bound = |step: &str, input: &str| {
            plan.bindings
                .iter()
                .find(|b| b.step == step && b.input == input)
                .map(|b| b.source.clone())
                .unwrap()
        };
        assert_eq!(
            bound("b", "x"),
            BindingSource::Edge {
                from_step: "a".into(),
                from_output: "y".into()
            }
        );
        assert_eq!(
            bound("a", "seed"),
            BindingSource::Data("text data.csv".into())
        );
    }

    #[test]
    fn an_edge_wins_over_the_steps_own_data_plan() {
        let s = Scripts::new();
        let mut b = s.copy("b", "x", "out");
        b.data = b.data.channel("x", text("id\n1\n"));
        let plan = s
            .pipeline("p")
            .step("a", s.source("a", TABLE, "y"))
            .step("b", b)
            .edge("a.y -> b.x")
            .plan()
            .unwrap();
        let x = plan.bindings.iter().find(|b| b.input == "x").unwrap();
        assert!(matches!(x.source, BindingSource::Edge { .. }), "{x:?}");
    }

    #[test]
    fn inputs_in_reads_bind_implicitly_by_name_and_by_alias() {
        let s = Scripts::new();
        let by_name = s
            .pipeline("p")
            .step("prep", s.source("prep", TABLE, "processed_data"))
            .step("train", s.copy("train", "processed_data", "model"))
            .reads("train", "processed_data", needs())
            .plan()
            .unwrap();
        assert_eq!(by_name.order, ["prep", "train"]);
        assert!(by_name.bindings.iter().any(|b| b.step == "train"
            && b.source
                == BindingSource::Implicit {
                    from_step: "prep".into(),
                    from_output: "processed_data".into()
                }));

        let by_alias = s
            .pipeline("p")
            .step("train", s.copy("train", "input_data", "model"))
            .step("prep", s.source("prep", TABLE, "processed_data"))
            .reads("train", "input_data", needs())
            .alias("input_data", "processed_data")
            .plan()
            .unwrap();
        assert_eq!(by_alias.order, ["prep", "train"]);
        let b = by_alias
            .bindings
            .iter()
            .find(|b| b.step == "train")
            .unwrap();
        assert_eq!(b.source.describe(), "prep.processed_data (implicit)");
    }

    #[test]
    fn inputs_only_in_the_data_plan_never_bind_implicitly() {
        let s = Scripts::new();
        let mut train = s.copy("train", "processed_data", "model");
        train.data = train.data.channel("processed_data", text(TABLE));
        let plan = s
            .pipeline("p")
            .step("prep", s.source("prep", TABLE, "processed_data"))
            .step("train", train)
            .plan()
            .unwrap();
        let b = plan.bindings.iter().find(|b| b.step == "train").unwrap();
        assert_eq!(b.source, BindingSource::Data("text data.csv".into()));
    }

    #[test]
    fn every_graph_error_names_what_is_wrong() {
        let s = Scripts::new();
        let base = || {
            s.pipeline("p")
                .step("a", s.source("a", TABLE, "y"))
                .step("b", s.copy("b", "x", "out"))
                .reads("b", "x", needs())
        };
        let err = |p: Pipeline| p.plan().unwrap_err();

        let e = err(base().edge("nope.y -> b.x"));
        assert!(matches!(&e, PipelineError::UnknownStep { step, .. } if step == "nope"));
        assert_eq!(e.to_string(), "edge `nope.y -> b.x`: no step `nope`");

        let e = err(base().edge("a.zz -> b.x"));
        assert!(matches!(&e, PipelineError::UnknownOutput { known, .. } if known == &["y"]));
        assert_eq!(
            e.to_string(),
            "edge `a.zz -> b.x`: step `a` has no output `zz` (outputs: y)"
        );

        let e = err(base().edge("a.y -> b.zz"));
        assert!(matches!(&e, PipelineError::UnknownInput { channel, .. } if channel == "zz"));
        assert!(e.to_string().contains("(inputs: x)"), "{e}");

        let e = err(base()
            .step("c", s.source("c", TABLE, "y2"))
            .edge("a.y -> b.x")
            .edge("c.y2 -> b.x"));
        assert!(
            matches!(&e, PipelineError::BoundTwice { sources, .. } if sources == &["a.y", "c.y2"]),
            "{e:?}"
        );

        let e = err(base().step("c", s.source("c", TABLE, "x")).alias("x", "y"));
        assert!(
            matches!(&e, PipelineError::AmbiguousImplicit { candidates, .. } if candidates == &["a.y", "c.x"]),
            "{e:?}"
        );
        assert!(e.to_string().contains("could come from a.y or c.x"), "{e}");

        let e = err(base().step("a", s.source("a", TABLE, "y")));
        assert!(matches!(&e, PipelineError::DuplicateStep { step } if step == "a"));

        assert!(matches!(err(s.pipeline("p")), PipelineError::Empty));
        assert_eq!(
            PipelineError::Empty.to_string(),
            "the pipeline has no steps"
        );

        let e = err(s
            .pipeline("p")
            .step("b", s.copy("b", "x", "out"))
            .reads("b", "x", needs()));
        assert!(matches!(&e, PipelineError::Unbound { input, .. } if input == "x"));
    }

    #[test]
    fn cycles_name_their_steps_in_order_even_through_implicit_bindings() {
        let s = Scripts::new();
        let p = s
            .pipeline("p")
            .step("a", s.source("a", TABLE, "y"))
            .step("b", s.copy("b", "x", "out"))
            .step("c", s.copy("c", "x", "w"))
            .step("tail", s.copy("tail", "x", "t"))
            .reads("b", "x", needs())
            .reads("c", "x", needs())
            .reads("a", "w", needs())
            .reads("tail", "x", needs())
            .edge("a.y -> b.x")
            .edge("b.out -> c.x")
            .edge("c.w -> tail.x");
        // a reads `w` implicitly from c: a -> b -> c -> a, with `tail` hanging below.
        let e = p.plan().unwrap_err();
        let PipelineError::Cycle { steps } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(steps, &["a", "b", "c"]);
        assert_eq!(e.to_string(), "the steps form a cycle: a -> b -> c -> a");
    }
}
