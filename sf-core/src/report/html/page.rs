//! From typed results to what the page shows: every value made visible, plots drawn, the
//! history of each test looked up.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::dataset::{DataFile, read_dataset};
use super::plots::{self, Bar};
use super::visible::{tail, visible};
use crate::history::{HISTORY_PLOTTED, HistoryRecord, regressions};
use crate::pipeline::{PipelineResult, StepResult};
use crate::property::PropertyReport;
use crate::result::{Status, TestResult};
use crate::suite::{EntryOutcome, EntryRun};

/// Lines of a failing run's stderr the page shows.
const STDERR_LINES: usize = 30;
/// Tests in the time and memory bar charts.
const PLOTTED_TESTS: usize = 40;
/// Tests in the summary's slowest and most memory-hungry lists.
const TOP_TESTS: usize = 5;
/// Regressed tests given a history chart with axes.
const CHARTED_REGRESSIONS: usize = 20;

/// What an HTML report shows: the runs of one invocation of sf and the history they joined.
#[derive(Debug)]
pub struct HtmlReport<'a> {
    /// What ran, as the page's title says it (`sf test`, `sf test-script prep`).
    pub title: String,
    /// The runs, in the order the summary lists them.
    pub runs: &'a [EntryRun],
    /// When the invocation started (the history's run of these results).
    pub started: DateTime<Utc>,
    /// Wall-clock seconds of the whole invocation.
    pub wall_time: f64,
    /// The history of the workspace root, oldest first, this run's records included.
    pub history: &'a [HistoryRecord],
    /// Why the run stopped before every test ran (sf was interrupted), if it did.
    pub interrupted: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Page {
    title: String,
    generated: String,
    sf_version: &'static str,
    machine: Vec<(String, String)>,
    seeds: String,
    wall_time: String,
    counts: Counts,
    interrupted: Option<String>,
    sandbox: Vec<(String, String)>,
    slowest: Vec<(String, String, String)>,
    hungriest: Vec<(String, String, String)>,
    /// Test, regression, the test's element id.
    regressions: Vec<(String, String, String)>,
    time_plot: Option<String>,
    memory_plot: Option<String>,
    plotted_note: Option<String>,
    tests: Vec<TestView>,
}

#[derive(Debug, Default, Serialize)]
struct Counts {
    total: usize,
    pass: usize,
    fail: usize,
    skip: usize,
}

#[derive(Debug, Serialize)]
struct TestView {
    id: String,
    name: String,
    search: String,
    status: &'static str,
    class: &'static str,
    kind: &'static str,
    time: String,
    memory: String,
    start: String,
    seed: u64,
    open: bool,
    failure: Option<Failure>,
    property: Option<PropertyView>,
    pipeline: Option<PipelineView>,
    history: Option<HistoryView>,
}

/// What a failed (or skipped) test says so someone can act on it.
#[derive(Debug, Serialize)]
struct Failure {
    error: Option<String>,
    outcome: Option<String>,
    /// What main returned, unless `None`.
    returned: Option<String>,
    traceback: Option<String>,
    stderr: Option<String>,
    stderr_path: Option<String>,
    recommendations: Vec<String>,
    workspace: String,
    workspace_kept: bool,
    replay: String,
}

#[derive(Debug, Serialize)]
struct PropertyView {
    summary: String,
    cases_plot: Option<String>,
    shrink_plot: Option<String>,
    bundle: Option<String>,
    dataset: Vec<DataFile>,
}

#[derive(Debug, Serialize)]
struct PipelineView {
    dag: Option<String>,
    timeline: Option<String>,
    critical_path: String,
    error: Option<String>,
    steps: Vec<StepView>,
    edges: Vec<EdgeView>,
}

#[derive(Debug, Serialize)]
struct StepView {
    name: String,
    status: &'static str,
    class: &'static str,
    time: String,
    memory: String,
    note: Option<String>,
    traceback: Option<String>,
    stderr: Option<String>,
}

#[derive(Debug, Serialize)]
struct EdgeView {
    from: String,
    to: String,
    status: &'static str,
    class: &'static str,
    checks: String,
    message: Option<String>,
    columns: Option<ColumnsView>,
}

#[derive(Debug, Serialize)]
struct ColumnsView {
    file: String,
    /// Expected columns, each with whether the file has it.
    expected: Vec<(String, bool)>,
    /// The file's columns, each with whether the downstream reads it.
    found: Vec<(String, bool)>,
}

#[derive(Debug, Serialize)]
struct HistoryView {
    runs: usize,
    spark: Option<String>,
    chart: Option<String>,
    regressions: Vec<String>,
}

fn class(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Skip => "skip",
    }
}

fn secs(s: f64) -> String {
    format!("{s:.2} s")
}

fn mb(m: f64) -> String {
    format!("{m:.1} MB")
}

impl Page {
    pub(crate) fn build(report: &HtmlReport<'_>) -> Page {
        let mut counts = Counts::default();
        for run in report.runs {
            counts.total += 1;
            match run.result.status {
                Status::Pass => counts.pass += 1,
                Status::Fail => counts.fail += 1,
                Status::Skip => counts.skip += 1,
            }
        }
        let mut by_name: BTreeMap<&str, Vec<&HistoryRecord>> = BTreeMap::new();
        for r in report.history {
            by_name.entry(&r.name).or_default().push(r);
        }
        let mut regressed = Vec::new();
        let tests: Vec<TestView> = report
            .runs
            .iter()
            .enumerate()
            .map(|(i, run)| {
                let records = by_name
                    .get(run.name.as_str())
                    .map_or(&[][..], Vec::as_slice);
                let history = history_view(i, run, report.started, records, &mut regressed);
                test_view(i, run, history)
            })
            .collect();
        let ran: Vec<&EntryRun> = report
            .runs
            .iter()
            .filter(|r| r.result.status != Status::Skip || r.result.execution_time > 0.0)
            .collect();
        let mut by_time = ran.clone();
        by_time.sort_by(|a, b| b.result.execution_time.total_cmp(&a.result.execution_time));
        let mut by_memory = ran.clone();
        by_memory.sort_by(|a, b| b.result.memory_usage.total_cmp(&a.result.memory_usage));
        let top = |list: &[&EntryRun], value: &dyn Fn(&TestResult) -> String| {
            list.iter()
                .take(TOP_TESTS)
                .map(|r| (visible(&r.name), value(&r.result), anchor(report.runs, r)))
                .collect::<Vec<_>>()
        };
        let slowest = top(&by_time, &|r| secs(r.execution_time));
        let hungriest = top(&by_memory, &|r| mb(r.memory_usage));
        let bar_list = |list: &[&EntryRun], value: fn(&TestResult) -> f64| -> Vec<Bar> {
            list.iter()
                .take(PLOTTED_TESTS)
                .map(|r| Bar {
                    label: r.name.clone(),
                    value: value(&r.result),
                    status: r.result.status,
                })
                .collect()
        };
        let plotted_note = (ran.len() > PLOTTED_TESTS).then(|| {
            format!(
                "the plots show the {PLOTTED_TESTS} slowest and the {PLOTTED_TESTS} most memory-hungry of {} tests that ran",
                ran.len()
            )
        });
        let time_plot = plots::bars(
            "time per test",
            "seconds",
            &bar_list(&by_time, |r| r.execution_time),
        );
        let memory_plot = plots::bars(
            "peak memory per test",
            "MB (process tree)",
            &bar_list(&by_memory, |r| r.memory_usage),
        );
        Page {
            title: visible(&report.title),
            generated: report.started.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            sf_version: env!("CARGO_PKG_VERSION"),
            machine: machine(),
            seeds: seeds(report.runs),
            wall_time: secs(report.wall_time),
            counts,
            interrupted: report.interrupted.as_deref().map(visible),
            sandbox: sandbox(report.runs),
            slowest,
            hungriest,
            regressions: regressed,
            time_plot,
            memory_plot,
            plotted_note,
            tests,
        }
    }
}

/// The element id of a run's section.
fn anchor(runs: &[EntryRun], run: &EntryRun) -> String {
    let i = runs
        .iter()
        .position(|r| std::ptr::eq(r, run))
        .unwrap_or_default();
    format!("t{i}")
}

fn test_view(i: usize, run: &EntryRun, history: Option<HistoryView>) -> TestView {
    let r = &run.result;
    let (kind, start) = match &run.outcome {
        EntryOutcome::Script => ("script", start_of(r)),
        EntryOutcome::ScriptProperty(p) => ("property", p.starts.describe()),
        EntryOutcome::Pipeline(_) => ("pipeline", String::new()),
        EntryOutcome::PipelineProperty(p) => ("pipeline property", p.starts.describe()),
        EntryOutcome::NotRun => ("not run", String::new()),
    };
    let failure = (r.status != Status::Pass).then(|| failure(r, &run.replay, &run.outcome));
    let property = match &run.outcome {
        EntryOutcome::ScriptProperty(p) => {
            Some(property_view(p, super::super::property_summary(p)))
        }
        EntryOutcome::PipelineProperty(p) => Some(property_view(
            p,
            super::super::pipeline_property_summary(p).unwrap_or_else(|| {
                format!(
                    "pipeline property test passed: {} cases in {:.2} s (start: {})",
                    p.cases_run,
                    p.elapsed.as_secs_f64(),
                    p.starts.describe()
                )
            }),
        )),
        _ => None,
    };
    let pipeline = match &run.outcome {
        EntryOutcome::Pipeline(p) => Some(pipeline_view(p)),
        EntryOutcome::PipelineProperty(p) => p.failure.as_ref().map(|f| pipeline_view(&f.result)),
        _ => None,
    };
    TestView {
        id: format!("t{i}"),
        name: visible(&run.name),
        search: visible(&run.name).to_lowercase(),
        status: r.status.as_str(),
        class: class(r.status),
        kind,
        time: secs(r.execution_time),
        memory: mb(r.memory_usage),
        start,
        seed: r.seed,
        open: r.status == Status::Fail,
        failure,
        property,
        pipeline,
        history,
    }
}

fn start_of(r: &TestResult) -> String {
    r.execution
        .as_ref()
        .map(|e| match &e.start.note {
            Some(note) => format!("{} ({note})", start_word(e.start.kind)),
            None => start_word(e.start.kind).to_owned(),
        })
        .map(|s| visible(&s))
        .unwrap_or_default()
}

fn start_word(kind: crate::run::warm::StartKind) -> &'static str {
    match kind {
        crate::run::warm::StartKind::Warm => "warm",
        crate::run::warm::StartKind::Cold => "cold",
    }
}

fn failure(r: &TestResult, replay: &str, outcome: &EntryOutcome) -> Failure {
    let exec = r.execution.as_ref();
    let stderr = exec
        .map(|e| tail(&e.stderr_tail, STDERR_LINES))
        .filter(|s| !s.trim().is_empty())
        .map(|s| visible(&s));
    Failure {
        error: r.error_message.as_deref().map(visible),
        outcome: exec.map(|e| visible(&e.outcome.describe())),
        returned: r
            .returned
            .as_ref()
            .filter(|v| !v.is_null())
            .map(|v| visible(&crate::checks::shown_value(v))),
        traceback: exec
            .and_then(|e| e.script_error.as_ref())
            .and_then(|e| e.traceback.as_deref())
            .map(visible),
        stderr_path: stderr
            .as_ref()
            .and(exec)
            .map(|e| visible(&e.stderr_path.to_string_lossy())),
        stderr,
        recommendations: r.recommendations.iter().map(|s| visible(s)).collect(),
        workspace: visible(&r.workspace.to_string_lossy()),
        workspace_kept: r.workspace.exists(),
        replay: if matches!(outcome, EntryOutcome::NotRun) {
            String::new()
        } else {
            visible(replay)
        },
    }
}

fn property_view<R>(p: &PropertyReport<R>, summary: String) -> PropertyView {
    let mut counts = vec![Bar {
        label: "cases run".to_owned(),
        value: f64::from(p.cases_run),
        status: if p.failure.is_some() {
            Status::Fail
        } else {
            Status::Pass
        },
    }];
    if p.out_of_contract > 0 {
        counts.push(Bar {
            label: "out of the contract".to_owned(),
            value: f64::from(p.out_of_contract),
            status: Status::Skip,
        });
    }
    if p.shrink_steps > 0 {
        counts.push(Bar {
            label: "shrink steps".to_owned(),
            value: f64::from(p.shrink_steps),
            status: Status::Skip,
        });
    }
    if !p.replayed_bundles.is_empty() {
        counts.push(Bar {
            label: "saved bundles replayed".to_owned(),
            value: p.replayed_bundles.len() as f64,
            status: Status::Skip,
        });
    }
    let bundle = p
        .failure
        .as_ref()
        .map(|f| f.bundle.as_path())
        .filter(|b| !b.as_os_str().is_empty());
    PropertyView {
        summary: visible(&summary),
        cases_plot: plots::bars("cases", "runs", &counts),
        shrink_plot: plots::shrink_path(&p.shrink_path),
        bundle: bundle.map(|b| visible(&b.to_string_lossy())),
        dataset: bundle.map(dataset_of).unwrap_or_default(),
    }
}

/// The minimal dataset: the bundle's `inputs/` (its channels, or its steps' channels).
fn dataset_of(bundle: &Path) -> Vec<DataFile> {
    let inputs = bundle.join(crate::property::BUNDLE_INPUTS);
    read_dataset(&inputs)
}

fn pipeline_view(p: &PipelineResult) -> PipelineView {
    PipelineView {
        dag: plots::dag(p),
        timeline: plots::timeline(p),
        critical_path: visible(&format!(
            "{} ({:.2} s)",
            p.critical_path.join(" → "),
            p.critical_path_time
        )),
        error: p.error.as_deref().map(visible),
        steps: p.steps.iter().map(step_view).collect(),
        edges: p
            .edges
            .iter()
            .map(|e| {
                let failed = e.checks.iter().find(|c| !c.passed);
                EdgeView {
                    from: visible(&e.from),
                    to: visible(&e.to),
                    status: e.status.as_str(),
                    class: class(e.status),
                    checks: e
                        .checks
                        .iter()
                        .map(|c| format!("{}{}", c.check, if c.passed { " ✓" } else { " ✗" }))
                        .collect::<Vec<_>>()
                        .join(", "),
                    message: failed.and_then(|c| c.message.as_deref()).map(visible),
                    columns: failed
                        .and_then(|c| c.columns.as_ref())
                        .map(|c| ColumnsView {
                            file: visible(&c.file),
                            expected: c
                                .expected
                                .iter()
                                .map(|x| (visible(x), c.found.contains(x)))
                                .collect(),
                            found: c
                                .found
                                .iter()
                                .map(|x| (visible(x), c.expected.contains(x)))
                                .collect(),
                        }),
                }
            })
            .collect(),
    }
}

fn step_view(s: &StepResult) -> StepView {
    let r = s.result.as_ref();
    let exec = r.and_then(|r| r.execution.as_ref());
    let failed = s.status == Status::Fail;
    StepView {
        name: visible(&s.name),
        status: s.status.as_str(),
        class: class(s.status),
        time: secs(s.wall_time()),
        memory: r.map(|r| mb(r.memory_usage)).unwrap_or_default(),
        note: match s.status {
            Status::Skip => s.skipped_because.as_deref().map(visible),
            _ => r.and_then(|r| r.error_message.as_deref()).map(visible),
        },
        traceback: exec
            .filter(|_| failed)
            .and_then(|e| e.script_error.as_ref())
            .and_then(|e| e.traceback.as_deref())
            .map(visible),
        stderr: exec
            .filter(|_| failed)
            .map(|e| tail(&e.stderr_tail, STDERR_LINES))
            .filter(|t| !t.trim().is_empty())
            .map(|t| visible(&t)),
    }
}

/// The test's last runs from the history, with the regressions of this run; `regressed`
/// collects them for the summary.
fn history_view(
    index: usize,
    run: &EntryRun,
    started: DateTime<Utc>,
    records: &[&HistoryRecord],
    regressed: &mut Vec<(String, String, String)>,
) -> Option<HistoryView> {
    let current_at = records.iter().rposition(|r| r.run == started);
    let current = match current_at {
        Some(i) => records[i].clone(),
        None => HistoryRecord::of(started, &run.name, &run.result),
    };
    let earlier: Vec<HistoryRecord> = records[..current_at.unwrap_or(records.len())]
        .iter()
        .map(|r| (*r).clone())
        .collect();
    let found = regressions(&earlier, &current);
    let mut last: Vec<&HistoryRecord> = earlier.iter().collect();
    last.push(&current);
    let last = &last[last.len().saturating_sub(HISTORY_PLOTTED)..];
    if last.len() < 2 {
        return None;
    }
    let times: Vec<f64> = last.iter().map(|r| r.execution_time).collect();
    let memory: Vec<f64> = last.iter().map(|r| r.memory_usage).collect();
    let words: Vec<String> = found.iter().map(|f| f.describe()).collect();
    let chart = (!found.is_empty() && regressed.len() < CHARTED_REGRESSIONS)
        .then(|| plots::history(&times, &memory))
        .flatten();
    for w in &words {
        regressed.push((visible(&run.name), w.clone(), format!("t{index}")));
    }
    Some(HistoryView {
        runs: last.len(),
        spark: plots::sparkline(&times, &memory),
        chart,
        regressions: words,
    })
}

/// Each isolation mechanism and what was in force, over every run that started: one line per
/// state, with how many runs had it.
fn sandbox(runs: &[EntryRun]) -> Vec<(String, String)> {
    let mut seen: BTreeMap<&'static str, BTreeMap<String, usize>> = BTreeMap::new();
    let mut count = |r: &TestResult| {
        if let Some(e) = &r.execution {
            let s = &e.sandbox;
            for (name, m) in [
                ("filesystem", &s.filesystem),
                ("network", &s.network),
                ("processes", &s.processes),
                ("mounts", &s.mounts),
                ("cgroup", &s.cgroup),
                ("layout", &s.layout),
            ] {
                *seen
                    .entry(name)
                    .or_default()
                    .entry(m.describe())
                    .or_default() += 1;
            }
        }
    };
    for run in runs {
        match &run.outcome {
            EntryOutcome::Pipeline(p) => p
                .steps
                .iter()
                .filter_map(|s| s.result.as_ref())
                .for_each(&mut count),
            EntryOutcome::PipelineProperty(p) => {
                if let Some(f) = &p.failure {
                    f.result
                        .steps
                        .iter()
                        .filter_map(|s| s.result.as_ref())
                        .for_each(&mut count);
                }
            }
            _ => count(&run.result),
        }
    }
    seen.into_iter()
        .map(|(name, states)| {
            let total: usize = states.values().sum();
            let text = states
                .into_iter()
                .map(|(state, n)| {
                    if n == total {
                        state
                    } else {
                        format!("{state} ({n} of {total} runs)")
                    }
                })
                .collect::<Vec<_>>()
                .join("; ");
            (name.to_owned(), visible(&text))
        })
        .collect()
}

fn seeds(runs: &[EntryRun]) -> String {
    let mut seeds: Vec<u64> = runs.iter().map(|r| r.result.seed).collect();
    seeds.sort_unstable();
    seeds.dedup();
    match seeds.len() {
        0 => "none".to_owned(),
        1..=4 => seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        n => format!("{n} different seeds"),
    }
}

/// Host, kernel, system and CPUs, as far as they can be read.
fn machine() -> Vec<(String, String)> {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let mut out = Vec::new();
    if let Some(host) = read("/proc/sys/kernel/hostname") {
        out.push(("host".to_owned(), visible(&host)));
    }
    if let Some(kernel) = read("/proc/sys/kernel/osrelease") {
        out.push(("kernel".to_owned(), visible(&kernel)));
    }
    if let Some(os) = read("/etc/os-release").and_then(|t| {
        t.lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|v| v.trim_matches('"').to_owned())
    }) {
        out.push(("system".to_owned(), visible(&os)));
    }
    out.push((
        "CPUs".to_owned(),
        std::thread::available_parallelism().map_or_else(|_| "?".to_owned(), |n| n.to_string()),
    ));
    out
}
