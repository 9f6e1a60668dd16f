//! `sf test`: what the harness would run, from the command line.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::Context;
use sf_core::report::{self, NamedResult};
use sf_core::{Entry, EntryRun, Status, Suite, config};

use super::args::{SuiteFormat, TestArgs};
use crate::exit_code;
use crate::harness::keep_policy;
use crate::publish::{Finished, publish};

/// Tests selected by the filters, with whether each is to be run (ignored ones are listed but not
/// run unless asked for) — libtest's rules.
fn select<'a>(suite: &'a Suite, args: &TestArgs) -> Vec<(&'a Entry, bool)> {
    suite
        .entries
        .iter()
        .filter(|t| {
            args.filters.is_empty()
                || args.filters.iter().any(|f| {
                    if args.exact {
                        &t.name == f
                    } else {
                        t.name.contains(f.as_str())
                    }
                })
        })
        .filter(|t| !args.skip.iter().any(|s| t.name.contains(s.as_str())))
        .filter(|t| !args.ignored || t.ignored)
        .map(|t| {
            let run = !t.ignored || args.ignored || args.include_ignored;
            (t, run)
        })
        .collect()
}

/// The one test `--data-from` replays (run even when ignored: it is named on purpose), or
/// why the filters do not name one.
fn only_one<'a>(
    suite: &Suite,
    selected: &[(&'a Entry, bool)],
    args: &TestArgs,
) -> Result<&'a Entry, String> {
    let filters = if args.filters.is_empty() {
        "no filter".to_owned()
    } else {
        args.filters
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(" or ")
    };
    match selected {
        [(entry, _)] => Ok(*entry),
        [] => Err(format!(
            "--data-from replays one test, and {filters} matches none of {}; its tests: {}",
            suite.config.display(),
            suite
                .entries
                .iter()
                .map(|e| e.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        many => Err(format!(
            "--data-from replays one test, but {filters} matches {} of {}: {}; name one with \
             --exact NAME",
            many.len(),
            suite.config.display(),
            many.iter()
                .map(|(e, _)| e.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

pub(crate) fn run(args: TestArgs) -> anyhow::Result<u8> {
    let mut suite = match config::load(&args.config) {
        Ok(s) => s,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(exit_code::USAGE);
        }
    };
    if args.offline {
        for entry in &mut suite.entries {
            if let sf_core::EntryKind::Script(spec) = &mut entry.kind {
                spec.offline = true;
            }
        }
    }
    if args.golden || args.accept {
        suite.golden(args.golden, args.accept);
    }
    if args.cold {
        for entry in &mut suite.entries {
            if let Some(property) = &mut entry.property {
                property.warm = false;
            }
        }
    }
    let selected = select(&suite, &args);
    if args.list {
        for (t, _) in &selected {
            println!("{}: test", t.name);
        }
        if args.format.as_deref() != Some("terse") {
            let n = selected.len();
            println!("\n{n} {}", if n == 1 { "test" } else { "tests" });
        }
        return Ok(exit_code::PASS);
    }
    if selected.is_empty() && !args.filters.is_empty() && args.data_from.is_none() {
        // A filter that selects nothing is a mistake, not a pass: CI would go green without
        // running a test (`cargo nextest` refuses it the same way).
        let known: Vec<&str> = suite.entries.iter().map(|e| e.name.as_str()).collect();
        eprintln!(
            "error: no test matches {}; the tests are: {}{} (sf test --list)",
            args.filters
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(" or "),
            known
                .iter()
                .take(20)
                .copied()
                .collect::<Vec<_>>()
                .join(", "),
            if known.len() > 20 { ", …" } else { "" }
        );
        return Ok(exit_code::USAGE);
    }
    let replayed: Entry;
    let (selected, to_run): (Vec<(&Entry, bool)>, Vec<&Entry>) = match &args.data_from {
        Some(dir) => {
            let entry = match only_one(&suite, &selected, &args) {
                Ok(entry) => entry,
                Err(message) => {
                    eprintln!("error: {message}");
                    return Ok(exit_code::USAGE);
                }
            };
            let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
            replayed = entry
                .with_data_from(&dir)
                .with_context(|| format!("cannot use the data of {}", dir.display()))?;
            (vec![(&replayed, true)], vec![&replayed])
        }
        None => {
            let to_run = selected
                .iter()
                .filter(|(_, run)| *run)
                .map(|(t, _)| *t)
                .collect();
            (selected, to_run)
        }
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1);
    let progress = (to_run.len() > 3 && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(to_run.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let keep = keep_policy();
    let started = chrono::Utc::now();
    let start = Instant::now();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<EntryRun>>> = Mutex::new(vec![None; to_run.len()]);
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(to_run.len()) {
            scope.spawn(|| {
                loop {
                    // After Ctrl-C, no new test starts; the summary shows what completed.
                    if sf_core::interrupt::interrupted().is_some() {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(test) = to_run.get(i) else { break };
                    let run = test.run(keep, &suite.config);
                    if let Some(bar) = &progress {
                        bar.set_message(format!("{} {}", run.result.status, test.name));
                        bar.inc(1);
                    }
                    if let Ok(mut r) = results.lock() {
                        r[i] = Some(run);
                    }
                }
            });
        }
    });
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let wall = start.elapsed().as_secs_f64();
    let mut runs = results.into_inner().unwrap_or_default().into_iter();
    let mut details: Vec<EntryRun> = Vec::new();
    let entries: Vec<NamedResult> = selected
        .iter()
        .map(|(t, run)| {
            let done = if *run {
                // A test left unrun by an interruption is a SKIP that says so.
                runs.next().flatten().or_else(|| {
                    Some(t.not_run(Status::Skip, "not run: sf was interrupted", &suite.config))
                })
            } else {
                None
            };
            let result = done.as_ref().map(|d| d.result.clone());
            details.extend(done);
            NamedResult {
                name: t.name.clone(),
                result,
            }
        })
        .collect();
    let failed = entries.iter().any(|e| {
        e.result
            .as_ref()
            .is_some_and(|r| !r.is_successful() && r.status != Status::Skip)
    });

    let rendered = match args.output_format {
        SuiteFormat::Text => {
            let color =
                anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
            let mut text = String::new();
            for run in details.iter().filter(|r| !r.is_successful()) {
                text.push_str(&format!("--- {} ---\n", run.name));
                text.push_str(&report::failure_text(run));
                text.push('\n');
            }
            text.push_str(&report::render_summary(&entries, wall, color));
            text
        }
        SuiteFormat::Json => {
            let list: Vec<_> = entries
                .iter()
                .map(|e| {
                    // A passing test's workspace is removed unless kept (SF_KEEP_WORKSPACE=1).
                    let removed = e.result.as_ref().map(|r| !r.workspace.exists());
                    serde_json::json!({
                        "name": e.name,
                        "ignored": e.result.is_none(),
                        "workspace_removed": removed,
                        "result": e.result,
                    })
                })
                .collect();
            format!("{}\n", serde_json::to_string_pretty(&list)?)
        }
        SuiteFormat::Junit => report::render_junit("sf", &entries),
    };
    anstream::print!("{rendered}");
    if let Some(path) = &args.report {
        let plain = anstream::adapter::strip_str(&rendered).to_string();
        sf_core::write_atomic(path, plain.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let html = args
        .report_html
        .clone()
        .or_else(|| suite.report.html.clone());
    let finished = Finished {
        title: format!("sf test: {}", suite.config.display()),
        runs: &details,
        started,
        wall_time: wall,
        workspace_root: &suite.workspace_root,
    };
    if let Err(err) = publish(&finished, html.as_deref()) {
        // The tests ran and their outcome is printed; the page the run was asked for is not.
        eprintln!("error: {}", sf_core::engine::error_chain(&err));
        return Ok(exit_code::FAIL);
    }
    if let Some(path) = &html {
        eprintln!("HTML report: {}", path.display());
    }
    for run in &details {
        let kept = match &run.outcome {
            sf_core::EntryOutcome::ScriptProperty(r) => &r.kept_cases,
            sf_core::EntryOutcome::PipelineProperty(r) => &r.kept_cases,
            _ => continue,
        };
        if let Some(folder) = kept.first().and_then(|c| c.parent()) {
            eprintln!(
                "{}: kept the data of {} passing case(s) in {}",
                run.name,
                kept.len(),
                folder.display()
            );
        }
    }
    if selected.is_empty() {
        eprintln!(
            "warning: no test matches{}",
            if args.filters.is_empty() {
                String::new()
            } else {
                format!(
                    " {}",
                    args.filters
                        .iter()
                        .map(|f| format!("`{f}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                )
            }
        );
    }
    Ok(if failed {
        exit_code::FAIL
    } else {
        exit_code::PASS
    })
}
