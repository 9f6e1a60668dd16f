//! Pages rendered from results of every kind: statuses, a property failure with its dataset,
//! a pipeline with a skipped step and a failed edge, hostile text, a thousand tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};

use super::{HtmlReport, render_html};
use crate::checks::Check;
use crate::history::HistoryRecord;
use crate::pipeline::{ColumnsSeen, EdgeCheck, EdgeResult, PipelineResult, StepResult};
use crate::property::{PropertyFailure, PropertyReport, ShrinkEnd};
use crate::result::{Status, TestResult};
use crate::run::execution::{ExecutionResult, Outcome, ScriptError, ScriptErrorKind};
use crate::spec::Expectation;
use crate::suite::{EntryOutcome, EntryRun};

fn execution(stderr: &str, error: Option<ScriptError>) -> ExecutionResult {
    ExecutionResult {
        outcome: Outcome::Exited {
            code: if error.is_some() { 1 } else { 0 },
        },
        wall_time: Duration::from_millis(300),
        peak_memory_bytes: 40 << 20,
        stdout_tail: String::new(),
        stderr_tail: stderr.to_owned(),
        output_bytes: stderr.len() as u64,
        output_truncated: false,
        stdout_path: PathBuf::from("/ws/logs/stdout.log"),
        stderr_path: PathBuf::from("/ws/logs/stderr.log"),
        script_error: error,
        report_missing: false,
        stray_processes_killed: 0,
        sandbox: Default::default(),
        python: None,
        installs: None,
        report: None,
        start: Default::default(),
    }
}

fn result(name: &str, status: Status, secs: f64, mb: f64) -> TestResult {
    TestResult {
        execution_time: secs,
        memory_usage: mb,
        execution: Some(execution("", None)),
        ..TestResult::not_run(
            name,
            42,
            Expectation::Pass,
            status,
            PathBuf::from("/nonexistent/ws"),
            None,
        )
    }
}

fn run(name: &str, result: TestResult, outcome: EntryOutcome) -> EntryRun {
    EntryRun {
        name: name.to_owned(),
        replay: format!("sf test --config sf.toml --exact {name}"),
        result,
        outcome,
    }
}

fn failing(name: &str, message: &str, traceback: &str, stderr: &str) -> TestResult {
    let error = ScriptError {
        kind: ScriptErrorKind::Exception,
        exception_type: "ValueError".to_owned(),
        message: message.to_owned(),
        traceback: Some(traceback.to_owned()),
    };
    TestResult {
        error_message: Some(format!("ValueError: {message}")),
        recommendations: vec!["check the input's columns".to_owned()],
        execution: Some(execution(stderr, Some(error))),
        ..result(name, Status::Fail, 1.5, 80.0)
    }
}

fn page(runs: &[EntryRun], history: &[HistoryRecord]) -> String {
    let report = HtmlReport {
        title: "sf test sf.toml".to_owned(),
        runs,
        started: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
        wall_time: 12.5,
        history,
        interrupted: None,
    };
    render_html(&report).unwrap()
}

fn property_failure(bundle: &Path) -> EntryRun {
    std::fs::create_dir_all(bundle.join("inputs/input_data")).unwrap();
    std::fs::write(
        bundle.join("inputs/input_data/part-00000.csv"),
        "id,amount,label\n1,,\u{e9}t\u{e9}\n2,NaN,x\n",
    )
    .unwrap();
    let minimal = failing(
        "convert",
        "cannot convert",
        "File \"convert.py\", line 3",
        "",
    );
    let report = PropertyReport {
        test_name: "convert::proptest".to_owned(),
        cases_run: 7,
        shrink_steps: 5,
        replayed_bundles: Vec::new(),
        peak_memory_mb: 80.0,
        failure: Some(PropertyFailure {
            result: minimal.clone(),
            bundle: bundle.to_owned(),
            minimal_rows: BTreeMap::from([("input_data".to_owned(), 2)]),
            replay: format!("sf test-script convert --data-from {}", bundle.display()),
            from_saved_bundle: false,
            note: None,
        }),
        elapsed: Duration::from_secs(3),
        starts: Default::default(),
        shrink_end: Some(ShrinkEnd::Minimal),
        out_of_contract: 1,
        shrink_path: vec![120, 60, 30, 8, 2],
        kept_cases: Vec::new(),
    };
    run(
        "convert::proptest",
        minimal,
        EntryOutcome::ScriptProperty(Box::new(report)),
    )
}

fn pipeline_run() -> EntryRun {
    let step = |name: &str, status, started: f64, finished: f64| StepResult {
        name: name.to_owned(),
        status,
        result: (status != Status::Skip).then(|| result(name, status, finished - started, 30.0)),
        skipped_because: (status == Status::Skip)
            .then(|| "edge prep.out -> train.in failed".to_owned()),
        bound_inputs: BTreeMap::new(),
        started_at: started,
        finished_at: finished,
    };
    let p = PipelineResult {
        name: "demo".to_owned(),
        status: Status::Fail,
        steps: vec![
            step("prep", Status::Pass, 0.0, 1.0),
            step("features", Status::Pass, 1.0, 1.6),
            step("train", Status::Skip, 1.6, 1.6),
        ],
        edges: vec![
            EdgeResult {
                from: "prep.out".to_owned(),
                to: "features.in".to_owned(),
                status: Status::Pass,
                checks: vec![EdgeCheck {
                    check: Check::NonEmpty,
                    passed: true,
                    message: None,
                    columns: None,
                }],
            },
            EdgeResult {
                from: "features.out".to_owned(),
                to: "train.in".to_owned(),
                status: Status::Fail,
                checks: vec![EdgeCheck {
                    check: Check::Columns,
                    passed: false,
                    message: Some(
                        "edge features.out -> train.in: a.csv has no column `label`".to_owned(),
                    ),
                    columns: Some(ColumnsSeen {
                        file: "a.csv".to_owned(),
                        expected: vec!["id".to_owned(), "label".to_owned()],
                        found: vec!["id".to_owned(), "amount".to_owned()],
                    }),
                }],
            },
        ],
        wall_time: 1.7,
        critical_path: vec!["prep".to_owned(), "features".to_owned()],
        critical_path_time: 1.6,
        workspace: PathBuf::from("/nonexistent/pipeline"),
        timestamp: Utc::now(),
        error: None,
    };
    run(
        "pipeline::demo",
        p.summary_result(),
        EntryOutcome::Pipeline(Box::new(p)),
    )
}

fn count(page: &str, needle: &str) -> usize {
    page.matches(needle).count()
}

#[test]
fn a_page_of_every_status_shows_each_test_and_acts_on_the_failure() {
    let bundle = tempfile::tempdir().unwrap();
    let runs = vec![
        run(
            "ok::small",
            result("ok", Status::Pass, 0.4, 35.0),
            EntryOutcome::Script,
        ),
        run(
            "broken::small",
            failing(
                "broken",
                "no column amount",
                "File \"broken.py\", line 12, in main\n    df[\"amount\"]",
                "Traceback ...\nKeyError: amount\n",
            ),
            EntryOutcome::Script,
        ),
        run(
            "later::small",
            result("later", Status::Skip, 0.0, 0.0),
            EntryOutcome::NotRun,
        ),
        property_failure(bundle.path()),
        pipeline_run(),
    ];
    let html = page(&runs, &[]);
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..80]);
    assert_eq!(count(&html, "<details class=\"test "), 5);
    assert_eq!(
        count(&html, "data-status=\"fail\""),
        4,
        "two failures, a property one and a pipeline"
    );
    assert!(html.contains("<span class=\"badge fail\">3 FAIL</span>"));
    assert!(html.contains("<span class=\"badge pass\">1 PASS</span>"));
    assert!(html.contains("<span class=\"badge skip\">1 SKIP</span>"));
    // The failure: error, traceback, stderr, recommendation, workspace, replay with a button.
    assert!(html.contains("ValueError: no column amount"));
    assert!(html.contains("File &quot;broken.py&quot;, line 12, in main"));
    assert!(html.contains("KeyError: amount"));
    assert!(
        html.contains("check the input&#x27;s columns")
            || html.contains("check the input&#39;s columns"),
        "recommendation"
    );
    assert!(html.contains("data-copy=\"sf test --config sf.toml --exact broken::small\""));
    // Plots: time and memory bars, the property's cases and shrink path, the DAG and timeline.
    for id in ["plot-time", "plot-memory"] {
        assert!(html.contains(&format!("id=\"{id}\"><svg")), "{id}");
    }
    for class in ["plot cases", "plot shrink", "plot dag", "plot timeline"] {
        assert!(html.contains(&format!("class=\"{class}\"><svg")), "{class}");
    }
    // The minimal dataset as a table, its empty, NaN and unicode cells marked.
    assert!(html.contains("input_data&#x2f;part-00000.csv"));
    assert!(html.contains("<td class=\"empty\">(empty)</td>"));
    assert!(html.contains("<td class=\"special\">NaN</td>"));
    assert!(html.contains("<td class=\"unicode\" title=\"U+00E9 U+00E9\">\u{e9}t\u{e9}</td>"));
    // The edge: expected columns against those found, the missing one marked.
    assert!(html.contains("<span class=\"col missing\">label</span>"));
    assert!(html.contains("<span class=\"col extra\">amount</span>"));
    assert!(
        html.contains("edge prep.out -&gt; train.in failed"),
        "the skipped step says why"
    );
    // Self-contained: nothing is fetched.
    for external in ["src=\"http", "href=\"http", "<link", "@import", "url("] {
        assert!(!html.contains(external), "{external}");
    }
}

#[test]
fn text_a_script_produced_never_becomes_markup() {
    let hostile =
        "</script><script>alert(1)</script><img src=x onerror=alert(2)>\u{1b}[31mred\u{1b}[0m\0nul";
    let invalid = String::from_utf8_lossy(b"bad \xff\xfe bytes").into_owned();
    let bundle = tempfile::tempdir().unwrap();
    let property = property_failure(bundle.path());
    std::fs::write(
        bundle.path().join("inputs/input_data/z.csv"),
        b"</script><b>col</b>,x\n<img src=y>,\x00\xff\x1b[1m\n",
    )
    .unwrap();
    let mut pipeline = pipeline_run();
    if let EntryOutcome::Pipeline(p) = &mut pipeline.outcome {
        p.steps[0].name = "<svg onload=alert(3)>".to_owned();
        p.edges[1].checks[0].message = Some("</td></tr><script>alert(4)</script>".to_owned());
    }
    let runs = vec![
        property,
        pipeline,
        run(
            "evil</script>::small",
            TestResult {
                // What main returned is the script's text too.
                returned: Some(serde_json::json!({ "status": hostile })),
                ..failing(
                    "evil</script>",
                    hostile,
                    &format!("File \"x.py\", line 1\n{hostile}"),
                    &format!("{hostile}\n{invalid}"),
                )
            },
            EntryOutcome::Script,
        ),
    ];
    let html = page(&runs, &[]);
    assert!(html.contains("<h4>main returned</h4>"));
    // The page's only script is sf's own, at its end.
    assert_eq!(count(&html, "<script>"), 1);
    assert_eq!(count(&html, "</script>"), 1);
    assert!(!html.contains("<img"));
    assert!(!html.contains("<b>") && !html.contains("<svg onload"));
    assert!(
        html.contains("&lt;b&gt;col&lt;&#x2f;b&gt;"),
        "the file's header, escaped"
    );
    assert!(!html.contains('\0'));
    assert!(!html.contains('\u{1b}'));
    assert!(html.contains("&lt;&#x2f;script&gt;") || html.contains("&lt;/script&gt;"));
    assert!(html.contains("␀nul"));
    assert!(html.contains("bad \u{fffd}\u{fffd} bytes"));
}

#[test]
fn a_test_much_slower_than_its_history_is_flagged_and_plotted() {
    let started = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    let mut history: Vec<HistoryRecord> = (0..6)
        .map(|i| HistoryRecord {
            run: started - chrono::Duration::hours(6 - i),
            ..HistoryRecord::of(
                started,
                "slow::small",
                &result("slow", Status::Pass, 1.0, 50.0),
            )
        })
        .collect();
    let now = result("slow", Status::Pass, 4.0, 50.0);
    history.push(HistoryRecord::of(started, "slow::small", &now));
    let runs = vec![run("slow::small", now, EntryOutcome::Script)];
    let html = page(&runs, &history);
    assert!(html.contains("id=\"regressions\""), "the summary lists it");
    assert!(html.contains("<a href=\"#t0\"><strong>slow::small</strong></a>"));
    assert!(html.contains("slower: 4.00 s against a median of 1.00 s"));
    assert!(html.contains("class=\"plot history\"><svg"));
    assert!(html.contains("title=\"last 7 runs"));
    // Without history, nothing is flagged.
    let html = page(&runs, &[]);
    assert!(!html.contains("id=\"regressions\""));
}

#[test]
fn a_thousand_tests_make_a_page_of_a_few_megabytes_quickly() {
    let mut runs: Vec<EntryRun> = (0..1000)
        .map(|i| {
            let status = match i % 10 {
                0 => Status::Fail,
                1 => Status::Skip,
                _ => Status::Pass,
            };
            let name = format!("script_{i:04}::small");
            let mut r = result(
                &name,
                status,
                0.1 + (i % 37) as f64 / 10.0,
                20.0 + (i % 53) as f64,
            );
            if status == Status::Fail {
                r = failing(
                    &name,
                    "boom",
                    "File \"s.py\", line 1",
                    &"a line of stderr\n".repeat(40),
                );
            }
            run(&name, r, EntryOutcome::Script)
        })
        .collect();
    runs.push(pipeline_run());
    let started = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    let history: Vec<HistoryRecord> = (0..5)
        .flat_map(|k| {
            runs.iter().map(move |r| HistoryRecord {
                run: started - chrono::Duration::hours(5 - k),
                ..HistoryRecord::of(started, &r.name, &r.result)
            })
        })
        .collect();
    let report = HtmlReport {
        title: "sf test".to_owned(),
        runs: &runs,
        started,
        wall_time: 100.0,
        history: &history,
        interrupted: None,
    };
    let at = Instant::now();
    let html = render_html(&report).unwrap();
    let took = at.elapsed();
    eprintln!("1,001 tests: {} bytes in {took:?}", html.len());
    assert_eq!(count(&html, "<details class=\"test "), 1001);
    assert!(html.len() < 4 << 20, "{} bytes", html.len());
    // Unoptimised, on a busy machine: generous, but a quadratic page would not make it.
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn an_interrupted_run_says_so() {
    let runs = vec![run(
        "later::small",
        TestResult::not_run(
            "later",
            42,
            Expectation::Pass,
            Status::Skip,
            PathBuf::from("/x"),
            Some("not run: sf was interrupted".to_owned()),
        ),
        EntryOutcome::NotRun,
    )];
    let report = HtmlReport {
        title: "sf test".to_owned(),
        runs: &runs,
        started: Utc::now(),
        wall_time: 1.0,
        history: &[],
        interrupted: Some("sf received SIGINT: the page shows what completed".to_owned()),
    };
    let html = render_html(&report).unwrap();
    assert!(html.contains("id=\"interrupted\">sf received SIGINT"));
    assert!(html.contains("not run: sf was interrupted"));
    assert!(
        !html.contains("data-copy="),
        "a test that never ran has nothing to replay"
    );
}
