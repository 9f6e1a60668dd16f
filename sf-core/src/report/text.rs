//! The human-readable report.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use crate::result::{Status, TestResult};
use crate::store::StoredResult;

const STDERR_LINES: usize = 15;

/// `text` in `style` when `color`, else as it is.
pub(crate) fn paint(text: &str, style: Style, color: bool) -> String {
    if color {
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_owned()
    }
}

/// Green PASS, red FAIL, yellow SKIP, bold.
pub(crate) fn status_style(status: Status) -> Style {
    let c = match status {
        Status::Pass => AnsiColor::Green,
        Status::Fail => AnsiColor::Red,
        Status::Skip => AnsiColor::Yellow,
    };
    Style::new().fg_color(Some(c.into())).bold()
}

/// One result for a terminal: status, time, memory, seed, then the error, traceback, stderr
/// tail, workspace and recommendations. `color` adds ANSI styles.
pub fn render_text(result: &TestResult, color: bool) -> String {
    let dim = Style::new().dimmed();
    let label = Style::new().bold();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {}  {:.2} s  {:.1} MB  seed {}",
        paint(result.status.as_str(), status_style(result.status), color),
        paint(&result.script_name, label, color),
        result.execution_time,
        result.memory_usage,
        result.seed,
    );
    if let Some(error) = &result.error_message {
        let red = Style::new().fg_color(Some(AnsiColor::Red.into()));
        let error = error.replace('\n', "\n    ");
        let _ = writeln!(
            out,
            "  {} {}",
            paint("error:", label, color),
            paint(&error, red, color)
        );
    }
    // `None`, what most scripts return, is no news.
    if let Some(returned) = result.returned.as_ref().filter(|v| !v.is_null()) {
        let _ = writeln!(
            out,
            "  {} {}",
            paint("returned:", label, color),
            sanitize_line(&crate::checks::shown_value(returned))
        );
    }
    for diff in result.golden.iter().filter(|d| !d.holds()) {
        let _ = writeln!(
            out,
            "  {} `{}` against {}",
            paint("golden:", label, color),
            diff.channel,
            diff.golden.display()
        );
        if let Some(reason) = &diff.reason {
            let _ = writeln!(out, "    {}", sanitize_line(reason));
        }
        for file in &diff.files {
            let _ = writeln!(out, "    {}: {}", sanitize_line(&file.file), file.summary);
            if !file.columns.is_empty() {
                let per: Vec<String> = file
                    .columns
                    .iter()
                    .map(|(c, n)| format!("{}: {n}", sanitize_line(c)))
                    .collect();
                let _ = writeln!(
                    out,
                    "      {} {}",
                    paint("per column:", dim, color),
                    per.join(", ")
                );
            }
            for line in &file.first {
                let _ = writeln!(out, "      {}", sanitize_line(line));
            }
        }
        if let Some(pending) = &diff.pending {
            let _ = writeln!(
                out,
                "    {} {} (`sf review` or `sf test --accept`)",
                paint("new files:", dim, color),
                pending.display()
            );
        }
    }
    if let Some(exec) = &result.execution {
        if let Some(tb) = exec
            .script_error
            .as_ref()
            .and_then(|e| e.traceback.as_deref())
        {
            let _ = writeln!(out, "  {}", paint("traceback:", label, color));
            for line in tb.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
        if !result.is_successful() && !exec.stderr_tail.trim().is_empty() {
            let lines: Vec<&str> = exec.stderr_tail.lines().collect();
            let shown = &lines[lines.len().saturating_sub(STDERR_LINES)..];
            let _ = writeln!(
                out,
                "  {} {}",
                paint("stderr", label, color),
                paint(
                    &format!(
                        "(last {} lines, full log {}):",
                        shown.len(),
                        exec.stderr_path.display()
                    ),
                    dim,
                    color
                )
            );
            for line in shown {
                let _ = writeln!(out, "    {}", sanitize_line(line));
            }
        }
    }
    if let Some(exec) = &result.execution {
        let _ = writeln!(
            out,
            "  {} filesystem {}, network {}",
            paint("sandbox:", label, color),
            exec.sandbox.filesystem.describe(),
            match &exec.sandbox.network {
                crate::run::sandbox::Mechanism::Off => "allowed".to_owned(),
                other => other.describe(),
            }
        );
        if exec.sandbox.processes != crate::run::sandbox::Mechanism::Off
            || exec.sandbox.mounts != crate::run::sandbox::Mechanism::Off
        {
            let _ = writeln!(
                out,
                "  {} processes {}; mounts {}; cgroup {}",
                paint("container:", label, color),
                exec.sandbox.processes.describe(),
                exec.sandbox.mounts.describe(),
                exec.sandbox.cgroup.describe()
            );
        }
        if exec.start.kind == crate::run::warm::StartKind::Warm || exec.start.note.is_some() {
            let _ = writeln!(
                out,
                "  {} {}{}",
                paint("start:", label, color),
                exec.start.kind,
                exec.start
                    .note
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            );
        }
        if let Some(python) = &exec.python {
            let packages: Vec<String> = python
                .packages
                .iter()
                .map(|(name, version)| format!("{name} {version}"))
                .collect();
            let _ = writeln!(
                out,
                "  {} {} ({}){}",
                paint("python:", label, color),
                python.version,
                python.interpreter,
                if packages.is_empty() {
                    String::new()
                } else {
                    format!("; imported {}", crate::checks::some_of(&packages))
                }
            );
        }
        if exec.sandbox.layout != crate::run::sandbox::Mechanism::Off {
            let _ = writeln!(
                out,
                "  {} sagemaker {}",
                paint("layout:", label, color),
                exec.sandbox.layout.describe()
            );
        }
    }
    let _ = writeln!(
        out,
        "  {} {}",
        paint("workspace:", label, color),
        result.workspace.display()
    );
    if !result.recommendations.is_empty() {
        let yellow = Style::new().fg_color(Some(AnsiColor::Yellow.into()));
        let _ = writeln!(out, "  {}", paint("recommendations:", label, color));
        for r in &result.recommendations {
            let _ = writeln!(out, "    {} {r}", paint("-", yellow, color));
        }
    }
    out
}

/// Removes control characters (terminal escapes) a script may have printed.
fn sanitize_line(line: &str) -> String {
    line.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                '�'
            } else {
                c
            }
        })
        .collect()
}

/// A suite's results as a table (test, status, time, memory) and a closing count line:
/// `3 passed, 1 failed, 0 skipped` (with `; N ignored` when some were).
pub fn render_summary(
    entries: &[crate::report::NamedResult],
    wall_secs: f64,
    color: bool,
) -> String {
    let width = entries
        .iter()
        .map(|e| e.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = String::new();
    let header = format!(
        "{:<7} {:<width$}  {:>9}  {:>10}",
        "STATUS", "TEST", "TIME", "MEMORY"
    );
    let _ = writeln!(out, "{}", paint(&header, Style::new().bold(), color));
    let (mut passed, mut failed, mut skipped, mut ignored) = (0, 0, 0, 0);
    for e in entries {
        match &e.result {
            None => {
                ignored += 1;
                let _ = writeln!(
                    out,
                    "{} {:<width$}",
                    paint(&format!("{:<7}", "IGNORED"), Style::new().dimmed(), color),
                    e.name
                );
            }
            Some(r) => {
                match r.status {
                    Status::Pass => passed += 1,
                    Status::Fail => failed += 1,
                    Status::Skip => skipped += 1,
                }
                // A failure the test asked for is a PASS, and the table says which kind.
                let expected_fail =
                    r.status == Status::Pass && r.expected == crate::spec::Expectation::Fail;
                let _ = writeln!(
                    out,
                    "{} {:<width$}  {:>7.2} s  {:>7.1} MB{}",
                    paint(
                        &format!("{:<7}", r.status.as_str()),
                        status_style(r.status),
                        color
                    ),
                    e.name,
                    r.execution_time,
                    r.memory_usage,
                    if expected_fail {
                        "  (expected fail)"
                    } else {
                        ""
                    }
                );
            }
        }
    }
    let ignored = if ignored > 0 {
        format!("; {ignored} ignored")
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "\n{passed} passed, {failed} failed, {skipped} skipped{ignored} (in {wall_secs:.2} s)"
    );
    out
}

/// Stored results as a table, newest first.
pub fn render_listing(results: &[StoredResult], color: bool) -> String {
    let width = results
        .iter()
        .map(|r| r.result.script_name.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut out = String::new();
    let header = format!(
        "{:<6}  {:<width$}  {:>9}  {:>10}  {}",
        "STATUS", "SCRIPT", "TIME", "MEMORY", "WHEN"
    );
    let _ = writeln!(out, "{}", paint(&header, Style::new().bold(), color));
    for r in results {
        let status = r.result.status;
        let _ = writeln!(
            out,
            "{}  {:<width$}  {:>7.2} s  {:>7.1} MB  {}",
            paint(
                &format!("{:<6}", status.as_str()),
                status_style(status),
                color
            ),
            r.result.script_name,
            r.result.execution_time,
            r.result.memory_usage,
            r.result.timestamp.format("%Y-%m-%d %H:%M:%S UTC"),
        );
    }
    out
}
