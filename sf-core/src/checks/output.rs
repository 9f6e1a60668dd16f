//! Checks: turn a run into a verdict (PASS / FAIL) and the one-line reason.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::result::{Expectation, Status};
use crate::run::execution::{ExecutionResult, Outcome, ScriptErrorKind};
use crate::script::AdapterKind;
use crate::spec::OutputChecks;
use crate::workspace::Workspace;

/// Entries sf itself puts at the top of a workspace.
const OWN_ENTRIES: [&str; 9] = [
    "inputs",
    "outputs",
    "logs",
    "tmp",
    "home",
    ".sf",
    "context.json",
    "result.json",
    crate::workspace::WORKSPACE_MARKER,
];

/// Why the script itself failed, in one line; `None` when it succeeded.
pub(crate) fn script_failure(execution: &ExecutionResult, adapter: AdapterKind) -> Option<String> {
    if let Some(err) = &execution.script_error {
        return Some(match err.kind {
            ScriptErrorKind::SyntaxError => format!("syntax error: {}", err.headline()),
            ScriptErrorKind::ImportError => format!("import error: {}", err.headline()),
            ScriptErrorKind::ImportFailed => {
                format!("the script raised while being imported: {}", err.headline())
            }
            ScriptErrorKind::NoMain => format!("no main function: {}", err.message),
            ScriptErrorKind::BadSignature => {
                format!("main has the wrong signature: {}", err.message)
            }
            ScriptErrorKind::SystemExit => err.message.clone(),
            ScriptErrorKind::Exception => err.headline(),
        });
    }
    match &execution.outcome {
        Outcome::Exited { code: 0 } if execution.report_missing => Some(
            "the interpreter exited with status 0 before sf's runner could report (os._exit() in the script?)"
                .to_owned(),
        ),
        Outcome::Exited { code: 0 } => None,
        Outcome::Exited { code } if adapter == AdapterKind::PythonMain && execution.report_missing => Some(format!(
            "the interpreter exited with status {code} before sf's runner could report (os._exit({code}) in the script?)"
        )),
        Outcome::Exited { code } => Some(format!("script exited with status {code}")),
        Outcome::Signaled { signal, name, .. } => Some(format!(
            "script was killed by {name}{}",
            signal_meaning(*signal).map(|m| format!(" ({m})")).unwrap_or_default()
        )),
        Outcome::TimedOut { .. } => Some(format!(
            "script {}; sf killed its whole process group",
            execution.outcome.describe()
        )),
        Outcome::OutOfMemory { .. } => Some(format!(
            "script ran {}; sf killed its whole process group",
            execution.outcome.describe()
        )),
        Outcome::Interrupted { signal } => Some(format!("run interrupted: sf received {signal} and stopped the script")),
        Outcome::SpawnFailed { message } => Some(format!("script could not be started: {message}")),
    }
}

fn signal_meaning(signal: i32) -> Option<&'static str> {
    Some(match signal {
        libc::SIGSEGV => "segmentation fault",
        libc::SIGKILL => "killed outright, often by the kernel's out-of-memory killer",
        libc::SIGABRT => "aborted",
        libc::SIGBUS => "bus error",
        libc::SIGFPE => "arithmetic error",
        libc::SIGTERM => "terminated",
        libc::SIGILL => "illegal instruction",
        _ => return None,
    })
}

/// The verdict for a run against what the test expected and the output checks.
pub(crate) fn verdict(
    execution: &ExecutionResult,
    adapter: AdapterKind,
    expect: Expectation,
    outputs: &BTreeMap<String, OutputChecks>,
    workspace: &Workspace,
) -> (Status, Option<String>) {
    let failure = script_failure(execution, adapter);
    match (expect, failure) {
        (Expectation::Pass, Some(reason)) => (Status::Fail, Some(reason)),
        (Expectation::Pass, None) => match failed_output_check(outputs, workspace) {
            Some(reason) => (Status::Fail, Some(reason)),
            None => (Status::Pass, None),
        },
        (Expectation::Fail, None) => (
            Status::Fail,
            Some("expected the script to fail, but it succeeded".to_owned()),
        ),
        (Expectation::Fail, Some(reason)) => match &execution.outcome {
            Outcome::TimedOut { .. }
            | Outcome::OutOfMemory { .. }
            | Outcome::Interrupted { .. }
            | Outcome::SpawnFailed { .. } => (
                Status::Fail,
                Some(format!("expected the script to fail, but: {reason}")),
            ),
            _ => (Status::Pass, None),
        },
    }
}

fn failed_output_check(
    outputs: &BTreeMap<String, OutputChecks>,
    workspace: &Workspace,
) -> Option<String> {
    outputs
        .iter()
        .find_map(|(name, checks)| check_output(name, checks, &workspace.output(name)).err())
}

/// Applies one channel's checks; the error names the channel, the file and what is missing.
pub(crate) fn check_output(name: &str, checks: &OutputChecks, dir: &Path) -> Result<(), String> {
    if checks.non_empty && crate::tree::count_files(dir) == 0 {
        return Err(format!("output channel `{name}` is empty"));
    }
    let wants_tables = checks.min_rows.is_some() || !checks.columns.is_empty();
    if checks.files.is_none() && !wants_tables {
        return Ok(());
    }
    let files = match &checks.files {
        Some(pattern) => {
            let matched = glob_files(dir, pattern)?;
            if matched.is_empty() {
                return Err(format!(
                    "output channel `{name}` has no file matching `{pattern}`"
                ));
            }
            matched
        }
        None => crate::tree::files(dir),
    };
    if !wants_tables {
        return Ok(());
    }
    let mut total = 0;
    let mut tables = 0;
    for file in files.iter().filter(|f| tabular_format(f).is_some()) {
        tables += 1;
        let shown = file.strip_prefix(dir).unwrap_or(file).display().to_string();
        let (columns, rows) = read_table_shape(file)
            .map_err(|e| format!("output channel `{name}`: cannot read {shown}: {e}"))?;
        if let Some(missing) = checks.columns.iter().find(|c| !columns.contains(c)) {
            return Err(format!(
                "output channel `{name}`: {shown} has no column `{missing}` (columns: {})",
                columns.join(", ")
            ));
        }
        total += rows;
    }
    if tables == 0 {
        return Err(format!(
            "output channel `{name}` holds no CSV, TSV or JSON Lines file to check"
        ));
    }
    if let Some(min) = checks.min_rows
        && total < min
    {
        return Err(format!(
            "output channel `{name}` holds {total} data rows, fewer than the {min} required"
        ));
    }
    Ok(())
}

/// Regular files of `dir` matching `pattern` (relative to `dir`), sorted.
pub(crate) fn glob_files(dir: &Path, pattern: &str) -> Result<Vec<PathBuf>, String> {
    let full = format!(
        "{}/{pattern}",
        glob::Pattern::escape(&dir.to_string_lossy())
    );
    let paths = glob::glob(&full).map_err(|e| format!("invalid glob `{pattern}`: {e}"))?;
    let mut files: Vec<PathBuf> = paths.flatten().filter(|p| p.is_file()).collect();
    files.sort();
    Ok(files)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tabular {
    Delimited(u8),
    JsonLines,
}

fn tabular_format(path: &Path) -> Option<Tabular> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if name.ends_with(".csv") {
        Some(Tabular::Delimited(b','))
    } else if name.ends_with(".tsv") {
        Some(Tabular::Delimited(b'\t'))
    } else if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
        Some(Tabular::JsonLines)
    } else {
        None
    }
}

/// Column names and data-row count of a CSV, TSV or JSON Lines file (gzip-compressed when its
/// name ends in `.gz`).
pub(crate) fn read_table_shape(path: &Path) -> Result<(Vec<String>, usize), String> {
    let format = tabular_format(path).ok_or("not a tabular file")?;
    let file = fs::File::open(path).map_err(|e| e.to_string())?;
    let reader: Box<dyn std::io::Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    match format {
        Tabular::Delimited(delimiter) => {
            let mut csv = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .flexible(true)
                .from_reader(reader);
            let columns = csv
                .headers()
                .map_err(|e| e.to_string())?
                .iter()
                .map(str::to_owned)
                .collect();
            let mut rows = 0;
            let mut record = csv::ByteRecord::new();
            while csv
                .read_byte_record(&mut record)
                .map_err(|e| e.to_string())?
            {
                rows += 1;
            }
            Ok((columns, rows))
        }
        Tabular::JsonLines => {
            use std::io::BufRead;
            let mut columns = Vec::new();
            let mut rows = 0;
            for (i, line) in std::io::BufReader::new(reader).lines().enumerate() {
                let line = line.map_err(|e| e.to_string())?;
                if line.trim().is_empty() {
                    continue;
                }
                let value: serde_json::Value =
                    serde_json::from_str(&line).map_err(|e| format!("line {}: {e}", i + 1))?;
                if rows == 0
                    && let Some(obj) = value.as_object()
                {
                    columns = obj.keys().cloned().collect();
                }
                rows += 1;
            }
            Ok((columns, rows))
        }
    }
}

/// What the workspace looked like before the script ran, to tell what it changed outside its
/// outputs afterwards.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    inputs: BTreeMap<PathBuf, crate::tree::FileStamp>,
}

impl Snapshot {
    pub(crate) fn take(workspace: &Workspace) -> Snapshot {
        Snapshot {
            inputs: crate::tree::stamps(&workspace.path().join("inputs")),
        }
    }

    /// Paths (relative to the workspace) the script created, changed or deleted outside its
    /// outputs, logs, temp dir and home.
    pub(crate) fn stray_writes(&self, workspace: &Workspace) -> Vec<String> {
        let mut stray = BTreeSet::new();
        if let Ok(entries) = fs::read_dir(workspace.path()) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if !OWN_ENTRIES.contains(&name.as_str()) && !name.starts_with(".sf-tmp-") {
                    stray.insert(name);
                }
            }
        }
        let now = crate::tree::stamps(&workspace.path().join("inputs"));
        let rel = |p: &Path| {
            p.strip_prefix(workspace.path())
                .unwrap_or(p)
                .display()
                .to_string()
        };
        for (path, meta) in &now {
            match self.inputs.get(path) {
                Some(before) if before == meta => {}
                Some(_) => {
                    stray.insert(format!("{} (modified)", rel(path)));
                }
                None => {
                    stray.insert(format!("{} (created)", rel(path)));
                }
            }
        }
        for path in self.inputs.keys().filter(|p| !now.contains_key(*p)) {
            stray.insert(format!("{} (deleted)", rel(path)));
        }
        stray.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("train")).unwrap();
        fs::write(dir.path().join("train/a.csv"), "id,target\n1,0\n2,1\n").unwrap();
        fs::write(dir.path().join("train/b.tsv"), "id\ttarget\n3\t1\n").unwrap();
        fs::write(
            dir.path().join("rows.jsonl"),
            "{\"id\":1,\"target\":0}\n{\"id\":2,\"target\":1}\n",
        )
        .unwrap();
        let mut gz = flate2::write::GzEncoder::new(
            fs::File::create(dir.path().join("train/c.csv.gz")).unwrap(),
            flate2::Compression::default(),
        );
        std::io::Write::write_all(&mut gz, b"id,target\n4,0\n").unwrap();
        gz.finish().unwrap();
        fs::write(dir.path().join("notes.txt"), "not a table").unwrap();
        dir
    }

    fn checks(files: Option<&str>, min_rows: Option<usize>, columns: &[&str]) -> OutputChecks {
        OutputChecks {
            non_empty: true,
            files: files.map(str::to_owned),
            min_rows,
            columns: columns.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn rows_are_counted_across_csv_tsv_gzip_and_json_lines() {
        let dir = channel();
        assert_eq!(
            check_output("out", &checks(None, Some(6), &["id", "target"]), dir.path()),
            Ok(())
        );
        assert_eq!(
            check_output("out", &checks(None, Some(7), &[]), dir.path()),
            Err("output channel `out` holds 6 data rows, fewer than the 7 required".into())
        );
        assert_eq!(
            check_output("out", &checks(Some("train/*"), Some(4), &[]), dir.path()),
            Ok(())
        );
    }

    #[test]
    fn a_missing_column_names_the_channel_file_and_column() {
        let dir = channel();
        assert_eq!(
            check_output(
                "out",
                &checks(Some("train/*.csv"), None, &["id", "label"]),
                dir.path()
            ),
            Err(
                "output channel `out`: train/a.csv has no column `label` (columns: id, target)"
                    .into()
            )
        );
    }

    #[test]
    fn a_glob_that_matches_nothing_and_an_empty_channel_fail() {
        let dir = channel();
        assert_eq!(
            check_output("out", &checks(Some("val/*.csv"), None, &[]), dir.path()),
            Err("output channel `out` has no file matching `val/*.csv`".into())
        );
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(
            check_output("out", &checks(None, None, &[]), empty.path()),
            Err("output channel `out` is empty".into())
        );
        assert_eq!(
            check_output("out", &checks(Some("notes.txt"), Some(1), &[]), dir.path()),
            Err("output channel `out` holds no CSV, TSV or JSON Lines file to check".into())
        );
    }
}
