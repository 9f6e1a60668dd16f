//! Running a pipeline: the scheduler, each step with what its edges hand over, and the critical
//! path.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

use chrono::Utc;

use super::edges::hand_over;
use super::{EdgeResult, Pipeline, PipelineError, PipelinePlan, PipelineResult, StepResult};
use crate::atomic::write_json_atomic;
use crate::checks::ChannelChecks;
use crate::data::ChannelPlan;
use crate::result::{Status, TestResult};
use crate::spec::KeepWorkspace;
use crate::tree;
use crate::workspace::{Workspace, file_name_component, remove_workspace};

/// How a pipeline runs.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// Most steps running at once (at least 1).
    pub jobs: usize,
    /// When the run directory is kept.
    pub keep: KeepWorkspace,
    /// Where python-main steps are forked from (a property run's warm interpreters); `None`
    /// starts every step cold.
    pub warm: Option<std::sync::Arc<crate::run::warm::WarmPool>>,
}

impl Default for PipelineOptions {
    /// As many jobs as cores; the run directory is always kept.
    fn default() -> Self {
        PipelineOptions {
            jobs: std::thread::available_parallelism().map_or(1, usize::from),
            keep: KeepWorkspace::Always,
            warm: None,
        }
    }
}

/// Where a run's steps go, when it started, and where python-main steps are forked from.
#[derive(Clone, Copy)]
struct Places<'a> {
    steps_root: &'a Path,
    edges_root: &'a Path,
    started: Instant,
    warm: Option<&'a crate::run::warm::WarmPool>,
}

/// What a worker hands back about one step.
struct StepDone {
    index: usize,
    status: Status,
    result: Option<TestResult>,
    skipped_because: Option<String>,
    started_at: f64,
    finished_at: f64,
    edges: Vec<EdgeResult>,
}

/// Runs the pipeline: steps in topological order, independent ones in parallel (up to
/// `options.jobs`), each in its own workspace under the run directory's `steps/`, every
/// upstream output handed over as a read-only copy under `edges/` after the edge checks.
///
/// A failed step, or a failed edge check, skips everything downstream; independent branches
/// still run. The run directory (itself an sf workspace under [`Pipeline::workspace_root`])
/// receives `pipeline.json` and `result.json`; it is removed after a passing run when
/// `options.keep` is [`KeepWorkspace::OnFailure`].
///
/// Errors only when the graph is invalid or the run directory cannot be created; anything a
/// script does is a FAIL in the result.
pub fn run_pipeline(
    p: &Pipeline,
    options: &PipelineOptions,
) -> Result<PipelineResult, PipelineError> {
    let plan = p.plan()?;
    let timestamp = Utc::now();
    let started = Instant::now();
    let _span = tracing::info_span!("pipeline", name = %p.name).entered();
    let run_dir = Workspace::create_run_dir(&p.workspace_root, &p.name)
        .map_err(|source| PipelineError::RunDir { source })?;
    let run_path = run_dir.path().to_owned();
    let steps_root = run_dir.steps();
    let edges_root = run_dir.edges();

    let done = schedule(p, &plan, options, &steps_root, &edges_root, started);
    // The copies only had to stay untouched while steps ran; writable again, a kept run
    // directory can be deleted by `sf clean-workspace` without root.
    if let Err(err) = tree::set_writable(&edges_root) {
        tracing::warn!(%err, "cannot make the edge copies writable again");
    }

    let mut steps = Vec::new();
    let mut edge_results: BTreeMap<(String, String), EdgeResult> = BTreeMap::new();
    for (index, name) in plan.order.iter().enumerate() {
        let d = &done[index];
        let bound_inputs = plan
            .bindings
            .iter()
            .filter(|b| &b.step == name)
            .map(|b| (b.input.clone(), b.source.describe()))
            .collect();
        steps.push(StepResult {
            name: name.clone(),
            status: d.status,
            result: d.result.clone(),
            skipped_because: d.skipped_because.clone(),
            bound_inputs,
            started_at: d.started_at,
            finished_at: d.finished_at,
        });
        for e in &d.edges {
            edge_results.insert((e.from.clone(), e.to.clone()), e.clone());
        }
    }
    let edges: Vec<EdgeResult> = plan
        .bindings
        .iter()
        .filter_map(|b| {
            let (from_step, from_output) = b.source.upstream()?;
            let from = format!("{from_step}.{from_output}");
            let to = format!("{}.{}", b.step, b.input);
            Some(
                edge_results
                    .remove(&(from.clone(), to.clone()))
                    .unwrap_or(EdgeResult {
                        from,
                        to,
                        status: Status::Skip,
                        checks: Vec::new(),
                    }),
            )
        })
        .collect();
    let status = if steps.iter().all(|s| s.status == Status::Pass)
        && edges.iter().all(|e| e.status == Status::Pass)
    {
        Status::Pass
    } else {
        Status::Fail
    };
    let (critical_path, critical_path_time) = critical_path(&plan, &steps);
    let result = PipelineResult {
        name: p.name.clone(),
        status,
        steps,
        edges,
        wall_time: started.elapsed().as_secs_f64(),
        critical_path,
        critical_path_time,
        workspace: run_path.clone(),
        timestamp,
        error: None,
    };
    for (file, written) in [
        (
            "pipeline.json",
            write_json_atomic(&run_dir.pipeline_file(), &result),
        ),
        (
            "result.json",
            write_json_atomic(&run_dir.result_file(), &result.summary_result()),
        ),
    ] {
        if let Err(err) = written {
            tracing::warn!(%err, file, "cannot write the pipeline's result");
        }
    }
    tracing::info!(status = %result.status, secs = result.wall_time, "pipeline finished");
    if result.is_successful()
        && options.keep == KeepWorkspace::OnFailure
        && let Err(err) = remove_workspace(&run_path)
    {
        tracing::warn!(err = %crate::engine::error_chain(&err), "cannot remove the run directory");
    }
    Ok(result)
}

/// Runs the pipeline; one that cannot run at all (its run directory cannot be made) is a failing
/// result that says why.
pub(crate) fn run_or_report(p: &Pipeline, options: &PipelineOptions) -> PipelineResult {
    run_pipeline(p, options)
        .unwrap_or_else(|err| PipelineResult::not_run(p, crate::engine::error_chain(&err)))
}

/// Runs the steps and returns what happened to each, indexed like `plan.order`.
fn schedule(
    p: &Pipeline,
    plan: &PipelinePlan,
    options: &PipelineOptions,
    steps_root: &Path,
    edges_root: &Path,
    started: Instant,
) -> Vec<StepDone> {
    let index_of: BTreeMap<&str, usize> = plan
        .order
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let upstream: Vec<Vec<usize>> = plan
        .order
        .iter()
        .map(|s| {
            plan.upstream_of(s)
                .iter()
                .filter_map(|u| index_of.get(u.as_str()).copied())
                .collect()
        })
        .collect();
    let jobs = options.jobs.max(1);
    let mut slots: Vec<Option<StepDone>> = plan.order.iter().map(|_| None).collect();
    // For a step that did not pass: the step whose failure is to blame, and whether it failed
    // (rather than being stopped by an edge check).
    let mut blame: Vec<Option<(usize, bool)>> = plan.order.iter().map(|_| None).collect();
    let mut launched = vec![false; plan.order.len()];
    let elapsed = || started.elapsed().as_secs_f64();

    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<StepDone>();
        let mut running = 0;
        loop {
            // Topological order: a skip decided here is seen by the steps after it in this pass.
            for i in 0..plan.order.len() {
                if launched[i] {
                    continue;
                }
                if !upstream[i].iter().all(|u| slots[*u].is_some()) {
                    continue;
                }
                if let Some(&(cause, failed)) = upstream[i].iter().find_map(|u| blame[*u].as_ref())
                {
                    let name = &plan.order[cause];
                    let reason = if failed {
                        format!("upstream {name} failed")
                    } else {
                        format!("upstream {name} did not run")
                    };
                    let now = elapsed();
                    launched[i] = true;
                    blame[i] = Some((cause, failed));
                    slots[i] = Some(StepDone {
                        index: i,
                        status: Status::Skip,
                        result: None,
                        skipped_because: Some(reason),
                        started_at: now,
                        finished_at: now,
                        edges: Vec::new(),
                    });
                    continue;
                }
                if running >= jobs {
                    continue;
                }
                launched[i] = true;
                running += 1;
                let tx = tx.clone();
                let step_name = plan.order[i].clone();
                let warm = options.warm.as_deref();
                // Upstream workspaces are known: every upstream of a ready step has passed.
                let upstream_ws: BTreeMap<String, PathBuf> = upstream[i]
                    .iter()
                    .filter_map(|u| {
                        let ws = slots[*u].as_ref()?.result.as_ref()?.workspace.clone();
                        Some((plan.order[*u].clone(), ws))
                    })
                    .collect();
                scope.spawn(move || {
                    let work = std::panic::AssertUnwindSafe(|| {
                        run_step(
                            p,
                            plan,
                            &step_name,
                            &upstream_ws,
                            &Places {
                                steps_root,
                                edges_root,
                                started,
                                warm,
                            },
                        )
                    });
                    let done = std::panic::catch_unwind(work).unwrap_or_else(|_| {
                        let now = started.elapsed().as_secs_f64();
                        StepDone {
                            index: 0,
                            status: Status::Fail,
                            result: None,
                            skipped_because: Some("sf panicked while running the step".into()),
                            started_at: now,
                            finished_at: now,
                            edges: Vec::new(),
                        }
                    });
                    // The receiver outlives every worker of the scope.
                    let _ = tx.send(StepDone { index: i, ..done });
                });
            }
            if running == 0 {
                break;
            }
            let Ok(done) = rx.recv() else { break };
            running -= 1;
            let i = done.index;
            if done.status != Status::Pass {
                blame[i] = Some((i, done.status == Status::Fail));
            }
            slots[i] = Some(done);
        }
    });
    slots
        .into_iter()
        .enumerate()
        .map(|(index, s)| {
            s.unwrap_or(StepDone {
                index,
                status: Status::Skip,
                result: None,
                skipped_because: Some("never scheduled".to_owned()),
                started_at: 0.0,
                finished_at: 0.0,
                edges: Vec::new(),
            })
        })
        .collect()
}

/// Copies and checks every edge into the step, then runs it.
fn run_step(
    p: &Pipeline,
    plan: &PipelinePlan,
    name: &str,
    upstream_ws: &BTreeMap<String, PathBuf>,
    places: &Places<'_>,
) -> StepDone {
    let Places {
        steps_root,
        edges_root,
        started,
        warm,
    } = *places;
    let started_at = started.elapsed().as_secs_f64();
    let _span = tracing::info_span!("step", name).entered();
    let finish = |status, result, skipped_because, edges| StepDone {
        index: 0,
        status,
        result,
        skipped_because,
        started_at,
        finished_at: started.elapsed().as_secs_f64(),
        edges,
    };
    let Some(step) = p.find_step(name) else {
        return finish(
            Status::Skip,
            None,
            Some(format!("no step `{name}`")),
            Vec::new(),
        );
    };
    let mut spec = step.spec.clone();
    spec.workspace_root = steps_root.to_owned();
    spec.keep_workspace = KeepWorkspace::Always;
    let mut edges = Vec::new();
    let mut stopped = None;
    for b in plan.bindings.iter().filter(|b| b.step == name) {
        let Some((from_step, from_output)) = b.source.upstream() else {
            continue;
        };
        let Some(ws) = upstream_ws.get(from_step) else {
            continue;
        };
        let needs = step
            .reads
            .get(&b.input)
            .cloned()
            .unwrap_or_else(ChannelChecks::edge);
        let source = Workspace::at(ws).output(from_output);
        let copy = edges_root.join(format!(
            "{}.{}--{}.{}",
            file_name_component(from_step, "step"),
            file_name_component(from_output, "output"),
            file_name_component(name, "step"),
            file_name_component(&b.input, "input"),
        ));
        let upstream_inputs = Workspace::at(ws).inputs();
        let (edge, ok) = hand_over(b, &needs, &source, &upstream_inputs, &copy);
        if !ok && stopped.is_none() {
            stopped = edge
                .checks
                .iter()
                .find_map(|c| c.message.clone())
                .or_else(|| Some(format!("edge {} -> {} failed", edge.from, edge.to)));
        }
        edges.push(edge);
        spec.data
            .channels
            .insert(b.input.clone(), ChannelPlan::Fixture { source: copy });
    }
    if let Some(reason) = stopped {
        tracing::info!(%reason, "step not run: an edge check failed");
        return finish(Status::Skip, None, Some(reason), edges);
    }
    let result = match warm {
        Some(pool) => crate::engine::run_warm(&spec, pool),
        None => crate::engine::run(&spec),
    };
    finish(result.status, Some(result), None, edges)
}

/// The chain of dependent steps with the largest sum of step wall times, and that sum.
pub(super) fn critical_path(plan: &PipelinePlan, steps: &[StepResult]) -> (Vec<String>, f64) {
    let time: BTreeMap<&str, f64> = steps
        .iter()
        .map(|s| (s.name.as_str(), s.wall_time()))
        .collect();
    // Longest path ending at each step, in topological order.
    let mut best: BTreeMap<&str, (f64, Option<&str>)> = BTreeMap::new();
    for name in &plan.order {
        let ups = plan.upstream_of(name);
        let before = ups
            .iter()
            .filter_map(|u| best.get_key_value(u.as_str()).map(|(k, v)| (*k, v.0)))
            .fold(None, |acc: Option<(&str, f64)>, (k, t)| match acc {
                Some((_, a)) if a >= t => acc,
                _ => Some((k, t)),
            });
        let own = time.get(name.as_str()).copied().unwrap_or(0.0);
        best.insert(
            name,
            (own + before.map_or(0.0, |b| b.1), before.map(|b| b.0)),
        );
    }
    let end = plan.order.iter().fold(None, |acc: Option<(&str, f64)>, n| {
        let t = best.get(n.as_str()).map_or(0.0, |b| b.0);
        match acc {
            Some((_, a)) if a >= t => acc,
            _ => Some((n.as_str(), t)),
        }
    });
    let Some((end, total)) = end else {
        return (Vec::new(), 0.0);
    };
    let mut path = vec![end.to_owned()];
    let mut at = end;
    while let Some(prev) = best.get(at).and_then(|b| b.1) {
        path.push(prev.to_owned());
        at = prev;
    }
    path.reverse();
    (path, total)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::super::Pipeline;
    use super::super::support::{Scripts, TABLE};
    use super::*;

    fn needs() -> ChannelChecks {
        ChannelChecks::edge()
    }

    fn run(p: &Pipeline) -> PipelineResult {
        run_pipeline(
            p,
            &PipelineOptions {
                jobs: 2,
                keep: KeepWorkspace::Always,
                warm: None,
            },
        )
        .unwrap()
    }

    fn assert_after_upstreams(p: &Pipeline, r: &PipelineResult) {
        let plan = p.plan().unwrap();
        for s in &r.steps {
            assert!(s.started_at <= s.finished_at, "{s:?}");
            for up in plan.upstream_of(&s.name) {
                let up = r.step(&up).unwrap();
                assert!(
                    up.finished_at <= s.started_at,
                    "{} ran before {}",
                    s.name,
                    up.name
                );
            }
        }
    }

    /// src → left, right → join.
    fn diamond(s: &Scripts) -> Pipeline {
        let join = s.spec(
            "join",
            "cat \"$SF_INPUT_L\"/data.csv \"$SF_INPUT_R\"/data.csv > \"$SF_OUTPUT_OUT\"/all.csv",
            &["out"],
        );
        s.pipeline("diamond")
            .step("join", join)
            .step("right", s.copy("right", "data", "r"))
            .step("left", s.copy("left", "data", "l"))
            .step("src", s.source("src", TABLE, "data"))
            .reads("left", "data", needs())
            .reads("right", "data", needs())
            .reads("join", "l", needs())
            .reads("join", "r", needs())
    }

    #[test]
    fn a_chain_and_a_diamond_run_in_topological_order() {
        let s = Scripts::new();
        let chain = s
            .pipeline("chain")
            .step("c", s.copy("c", "x", "out"))
            .step("b", s.copy("b", "x", "y"))
            .step("a", s.source("a", TABLE, "y"))
            .reads("b", "x", needs())
            .reads("c", "x", needs())
            .edge("a.y -> b.x")
            .edge("b.y -> c.x");
        let r = run(&chain);
        assert!(
            r.is_successful(),
            "{}",
            crate::report::pipeline::render_text(&r, false)
        );
        let names: Vec<&str> = r.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_after_upstreams(&chain, &r);
        assert_eq!(r.step("b").unwrap().bound_inputs["x"], "a.y (edge)");
        assert_eq!(r.step("a").unwrap().bound_inputs["seed"], "text data.csv");

        let p = diamond(&s);
        let r = run(&p);
        assert!(
            r.is_successful(),
            "{}",
            crate::report::pipeline::render_text(&r, false)
        );
        let names: Vec<&str> = r.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["src", "left", "right", "join"]);
        assert_after_upstreams(&p, &r);
        assert_eq!(r.edges.len(), 4);
        assert!(r.edges.iter().all(|e| e.status == Status::Pass));
        let join = r.step("join").unwrap().result.as_ref().unwrap();
        let all = fs::read_to_string(join.workspace.join("outputs/out/all.csv")).unwrap();
        assert_eq!(all, format!("{TABLE}{TABLE}"));
    }

    #[test]
    fn independent_steps_run_in_parallel() {
        let s = Scripts::new();
        let sleeper =
            |name: &str| s.spec(name, "sleep 0.5; echo x > \"$SF_OUTPUT_OUT\"/x", &["out"]);
        let p = s
            .pipeline("parallel")
            .step("one", sleeper("one"))
            .step("two", sleeper("two"));
        let r = run(&p);
        assert!(r.is_successful());
        let (one, two) = (r.step("one").unwrap(), r.step("two").unwrap());
        assert!(
            one.started_at < two.finished_at && two.started_at < one.finished_at,
            "the steps did not overlap: {one:?} {two:?}"
        );
    }

    #[test]
    fn a_failed_step_skips_everything_downstream_but_not_independent_branches() {
        let s = Scripts::new();
        let p = s
            .pipeline("skips")
            .step("src", s.source("src", TABLE, "data"))
            .step("bad", s.spec("bad", "echo broken >&2; exit 3", &["mid"]))
            .step("after", s.copy("after", "mid", "late"))
            .step("last", s.copy("last", "late", "end"))
            .step("good", s.copy("good", "data", "fine"))
            .reads("after", "mid", needs())
            .reads("last", "late", needs())
            .reads("good", "data", needs());
        let r = run(&p);
        assert_eq!(r.status, Status::Fail);
        assert_eq!(r.step("bad").unwrap().status, Status::Fail);
        assert_eq!(r.step("good").unwrap().status, Status::Pass);
        for name in ["after", "last"] {
            let step = r.step(name).unwrap();
            assert_eq!(step.status, Status::Skip);
            assert!(step.result.is_none());
            assert_eq!(step.skipped_because.as_deref(), Some("upstream bad failed"));
        }
        assert!(
            r.edges
                .iter()
                .filter(|e| e.from == "bad.mid" || e.from == "after.late")
                .all(|e| e.status == Status::Skip)
        );
        let summary = r.summary_result();
        assert_eq!(summary.script_name, "pipeline::skips");
        assert!(
            summary
                .error_message
                .as_deref()
                .unwrap()
                .starts_with("step bad failed: script exited with status 3")
        );
    }

    /// `up` runs `body` into output `data`; `down` reads it with `needs`.
    fn edge_run(body: &str, needs: ChannelChecks) -> PipelineResult {
        let s = Scripts::new();
        let p = s
            .pipeline("edges")
            .step("up", s.spec("up", body, &["data"]))
            .step("down", s.copy("down", "data", "out"))
            .reads("down", "data", needs);
        run(&p)
    }

    fn edge_failure(r: &PipelineResult) -> (String, String) {
        assert_eq!(r.status, Status::Fail);
        let down = r.step("down").unwrap();
        assert_eq!(down.status, Status::Skip);
        assert!(down.result.is_none());
        let edge = &r.edges[0];
        assert_eq!(edge.status, Status::Fail);
        let failed = edge.checks.iter().find(|c| !c.passed).unwrap();
        let message = failed.message.clone().unwrap();
        assert_eq!(down.skipped_because.as_deref(), Some(message.as_str()));
        assert!(
            message.starts_with("edge up.data -> down.data"),
            "{message}"
        );
        (failed.check.as_str().to_owned(), message)
    }

    #[test]
    fn an_upstream_output_replaced_by_a_link_fails_the_upstream_and_is_not_handed_over() {
        let body = "d=\"$TMPDIR/elsewhere\"; mkdir -p \"$d\"; printf 'id\\n1\\n' > \"$d/a.csv\"; \
                    rm -rf \"$SF_OUTPUT_DATA\"; ln -s \"$d\" \"$SF_OUTPUT_DATA\"";
        let r = edge_run(body, needs());
        assert_eq!(r.status, Status::Fail);
        let up = r.step("up").unwrap();
        assert_eq!(up.status, Status::Fail);
        let error = up.result.as_ref().unwrap().error_message.clone().unwrap();
        assert!(error.contains("is a symbolic link"), "{error}");
        assert_eq!(r.step("down").unwrap().status, Status::Skip);
    }

    #[test]
    fn edge_checks_stop_the_downstream_and_say_why() {
        let (check, msg) = edge_failure(&edge_run("true", needs()));
        assert_eq!(check, "non_empty");
        assert_eq!(msg, "edge up.data -> down.data is empty");

        let write = "mkdir -p \"$SF_OUTPUT_DATA\"/train; printf 'id,feature_1,target\\n1,2,3\\n' > \"$SF_OUTPUT_DATA\"/train/train_processed_data.csv";
        let glob = ChannelChecks {
            files: Some("test/*.csv".into()),
            ..needs()
        };
        let (check, msg) = edge_failure(&edge_run(write, glob));
        assert_eq!(check, "files");
        assert_eq!(
            msg,
            "edge up.data -> down.data has no file matching `test/*.csv` (files: train/train_processed_data.csv)"
        );

        let columns = ChannelChecks {
            files: Some("train/*.csv".into()),
            columns: vec!["id".into(), "label".into()],
            ..needs()
        };
        let r = edge_run(write, columns);
        let (check, msg) = edge_failure(&r);
        assert_eq!(check, "columns");
        let ran: Vec<(&str, bool)> = r.edges[0]
            .checks
            .iter()
            .map(|c| (c.check.as_str(), c.passed))
            .collect();
        assert_eq!(
            ran,
            [("non_empty", true), ("files", true), ("columns", false)]
        );
        assert_eq!(
            msg,
            "edge up.data -> down.data: train/train_processed_data.csv has no column `label` (columns: id, feature_1, target)"
        );

        let header_only = "printf 'id,target\\n' > \"$SF_OUTPUT_DATA\"/data.csv";
        let (check, msg) = edge_failure(&edge_run(header_only, needs()));
        assert_eq!(check, "rows");
        assert_eq!(
            msg,
            "edge up.data -> down.data: data.csv holds no data rows"
        );

        let allowed = edge_run(
            header_only,
            ChannelChecks {
                some_rows: false,
                columns: vec!["target".into()],
                ..needs()
            },
        );
        assert!(
            allowed.is_successful(),
            "{}",
            crate::report::pipeline::render_text(&allowed, false)
        );
        let checks: Vec<&str> = allowed.edges[0]
            .checks
            .iter()
            .map(|c| c.check.as_str())
            .collect();
        assert_eq!(checks, ["non_empty", "columns"]);
    }

    #[test]
    fn a_downstream_cannot_change_its_upstreams_output() {
        let s = Scripts::new();
        let mut vandal = s.spec(
            "vandal",
            "chmod -R u+w \"$SF_INPUT_DATA\" 2>/dev/null || true\n\
             echo 99,9,9 >> \"$SF_INPUT_DATA\"/data.csv\n\
             rm -f \"$SF_INPUT_DATA\"/data.csv\n\
             echo done > \"$SF_OUTPUT_OUT\"/x",
            &["out"],
        );
        // The copy alone must protect the upstream, even where no filesystem sandbox is in force.
        vandal.sandbox.filesystem = false;
        let p = s
            .pipeline("readonly")
            .step("src", s.source("src", TABLE, "data"))
            .step("vandal", vandal)
            .reads("vandal", "data", needs());
        let r = run(&p);
        assert!(
            r.is_successful(),
            "{}",
            crate::report::pipeline::render_text(&r, false)
        );
        let src = r.step("src").unwrap().result.as_ref().unwrap();
        let produced = fs::read_to_string(src.workspace.join("outputs/data/data.csv")).unwrap();
        assert_eq!(produced, TABLE);
        let copy = r.workspace.join("edges/src.data--vandal.data/data.csv");
        assert_eq!(fs::read_to_string(&copy).unwrap(), TABLE);
    }

    #[test]
    fn results_are_written_and_a_passing_run_is_removed_when_only_failures_are_kept() {
        let s = Scripts::new();
        let options = |keep| PipelineOptions {
            jobs: 2,
            keep,
            warm: None,
        };
        let p = diamond(&s);
        let kept = run_pipeline(&p, &options(KeepWorkspace::Always)).unwrap();
        let stored: PipelineResult =
            serde_json::from_slice(&fs::read(kept.workspace.join("pipeline.json")).unwrap())
                .unwrap();
        assert_eq!(stored.steps.len(), 4);
        let summary: TestResult =
            serde_json::from_slice(&fs::read(kept.workspace.join("result.json")).unwrap()).unwrap();
        assert_eq!(summary.script_name, "pipeline::diamond");
        assert_eq!(summary.status, Status::Pass);
        assert!(crate::workspace::is_workspace(&kept.workspace));
        assert!(kept.workspace.join("steps").is_dir());
        let listing = crate::store::list_results(&s.root()).unwrap();
        assert!(
            listing
                .results
                .iter()
                .any(|r| r.result.script_name == "pipeline::diamond")
        );

        let removed = run_pipeline(&p, &options(KeepWorkspace::OnFailure)).unwrap();
        assert!(removed.is_successful());
        assert!(!removed.workspace.exists());

        let failing = s
            .pipeline("failing")
            .step("bad", s.spec("bad", "exit 1", &["out"]));
        let r = run_pipeline(&failing, &options(KeepWorkspace::OnFailure)).unwrap();
        assert!(!r.is_successful());
        assert!(r.workspace.join("pipeline.json").is_file());
    }

    #[test]
    fn the_result_serialises_with_its_documented_keys() {
        let s = Scripts::new();
        let r = run(&diamond(&s));
        let json = serde_json::to_value(&r).unwrap();
        let keys = |v: &serde_json::Value| -> Vec<String> {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(
            keys(&json),
            [
                "critical_path",
                "critical_path_time",
                "edges",
                "error",
                "name",
                "status",
                "steps",
                "timestamp",
                "wall_time",
                "workspace"
            ]
        );
        assert_eq!(
            keys(&json["steps"][0]),
            [
                "bound_inputs",
                "finished_at",
                "name",
                "result",
                "skipped_because",
                "started_at",
                "status"
            ]
        );
        assert_eq!(keys(&json["edges"][0]), ["checks", "from", "status", "to"]);
        assert_eq!(
            keys(&json["edges"][0]["checks"][0]),
            ["check", "message", "passed"]
        );
        assert_eq!(json["status"], "PASS");
        assert_eq!(json["edges"][0]["from"], "src.data");
    }

    #[test]
    fn the_critical_path_of_a_diamond_follows_the_slow_branch() {
        let s = Scripts::new();
        let plan = diamond(&s).plan().unwrap();
        let step = |name: &str, started_at: f64, finished_at: f64| StepResult {
            name: name.to_owned(),
            status: Status::Pass,
            result: None,
            skipped_because: None,
            bound_inputs: BTreeMap::new(),
            started_at,
            finished_at,
        };
        let steps = [
            step("src", 0.0, 1.0),
            step("left", 1.0, 2.0),
            step("right", 1.0, 4.0),
            step("join", 4.0, 4.5),
        ];
        let (path, time) = critical_path(&plan, &steps);
        assert_eq!(path, ["src", "right", "join"]);
        assert!((time - 4.5).abs() < 1e-9, "{time}");
    }
}
