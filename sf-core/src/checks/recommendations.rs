//! Recommendations: what to do next, derived from the run.

use std::time::Duration;

use crate::run::execution::{ExecutionResult, Outcome, ScriptErrorKind};

/// Runs slower than this get a recommendation.
pub const SLOW_RUN: Duration = Duration::from_secs(60);
/// Peaks above this get a recommendation.
pub const HIGH_MEMORY_BYTES: u64 = 1024 * 1024 * 1024;

/// Facts about a run that recommendations are made from.
#[derive(Debug)]
pub(crate) struct Findings<'a> {
    pub(crate) execution: &'a ExecutionResult,
    pub(crate) failure: Option<&'a str>,
    /// The test expected the script to fail, and it did: its failure needs no fixing.
    pub(crate) failure_expected: bool,
    pub(crate) empty_outputs: Vec<String>,
    /// Archives in the outputs that hold no member or cannot be read.
    pub(crate) archives: Vec<super::members::ArchiveNote>,
    /// What `main` returned, when it says the script failed although it returned (and no
    /// `returns` check looked at it).
    pub(crate) returned_failure: Option<String>,
    pub(crate) stray_writes: Vec<String>,
    /// Input files the script changed, when inputs are writable copies.
    pub(crate) input_changes: Vec<String>,
}

pub(crate) fn recommend(f: &Findings<'_>) -> Vec<String> {
    let e = f.execution;
    let mut out = Vec::new();
    if let Some(failure) = f.failure
        && !f.failure_expected
    {
        out.push(format!("Address the error: {failure}"));
    }
    if let Some(err) = &e.script_error {
        match err.kind {
            // Python's own words for a relative import outside a package.
            ScriptErrorKind::ImportError if err.message.contains("relative import") => out.push(
                "The script lives in a package and imports relatively: set import_root to the folder \
                 that holds its top-level package (import_root = \"src\" in sf.toml, \
                 #[script_test(import_root = \"src\")], --import-root src)"
                    .to_owned(),
            ),
            ScriptErrorKind::ImportError => {
                let module = err
                    .message
                    .split('\'')
                    .nth(1)
                    .map_or_else(|| "the missing module".to_owned(), |m| format!("`{m}`"));
                out.push(format!(
                    "Install {module} into the interpreter sf runs (choose it with --python or SF_PYTHON)"
                ));
            }
            ScriptErrorKind::NoMain | ScriptErrorKind::BadSignature => out.push(
                "Define `def main(input_paths, output_paths, environ_vars, job_args)`, or test the script with the command adapter"
                    .to_owned(),
            ),
            ScriptErrorKind::SyntaxError => {
                out.push("Run `python -m py_compile` on the script to see the syntax error in context".to_owned());
            }
            _ => {}
        }
    }
    let enforced = |m: &crate::run::sandbox::Mechanism| {
        matches!(m, crate::run::sandbox::Mechanism::Enforced { .. })
    };
    if (enforced(&e.sandbox.filesystem) || enforced(&e.sandbox.mounts))
        && let Some(evidence) = denied_write(e)
    {
        let writable = if enforced(&e.sandbox.mounts) {
            "outputs, logs, /tmp, temp dir (TMPDIR) and home"
        } else {
            "outputs, logs, temp dir (TMPDIR) and home"
        };
        let denied =
            format!("filesystem sandbox denied a write outside the run's {writable} ({evidence})");
        let advice = "write under output_paths or TMPDIR, or switch the sandbox off \
                      (--no-sandbox, sandbox = false)";
        out.push(if f.failure.is_none() {
            format!(
                "The script passed, but the {denied}: it may have taken another path than in \
                 production; {advice}"
            )
        } else {
            format!("The {denied}: {advice}")
        });
    }
    if e.report_missing {
        out.push("Do not call os._exit() inside main: return, or raise an exception, so the result is known".to_owned());
    }
    match &e.outcome {
        Outcome::TimedOut { .. } => out.push(
            "Raise the timeout (--timeout) if the script needs longer, or look for an endless loop or a read from stdin"
                .to_owned(),
        ),
        Outcome::OutOfMemory { .. } => out.push(
            "Raise the memory limit if the script needs more, or read the data in chunks".to_owned(),
        ),
        Outcome::Signaled { signal, .. } if *signal == libc::SIGKILL => out.push(
            "SIGKILL usually means the kernel ran out of memory: check the peak memory and the data size".to_owned(),
        ),
        Outcome::Signaled { signal, .. } if *signal == libc::SIGSEGV => out.push(
            "A native extension or the interpreter crashed: check the versions of compiled packages (numpy, pandas, xgboost)"
                .to_owned(),
        ),
        Outcome::Exited { code } if *code != 0 && e.script_error.is_none() && e.stderr_tail.trim().is_empty() => {
            out.push(format!(
                "The script exited with status {code} and wrote nothing to stderr: log why before exiting"
            ));
        }
        _ => {}
    }
    if e.wall_time > SLOW_RUN {
        out.push(format!(
            "The run took {:.1} s (over {} s): profile the script, or start with a smaller data size",
            e.wall_time.as_secs_f64(),
            SLOW_RUN.as_secs()
        ));
    }
    if e.peak_memory_bytes > HIGH_MEMORY_BYTES {
        out.push(format!(
            "Peak memory was {:.0} MB (over 1 GiB): read the data in chunks or use narrower dtypes",
            e.peak_memory_mb()
        ));
    }
    for channel in &f.empty_outputs {
        out.push(format!(
            "Output channel `{channel}` is empty: the script wrote nothing under output_paths[\"{channel}\"]"
        ));
    }
    for note in &f.archives {
        out.push(match &note.unreadable {
            None => format!(
                "Output channel `{}`: {} is an archive with no members: the script packed \
                 nothing (members = [\"...\"] or min_members on the output makes this a failure)",
                note.channel, note.file
            ),
            Some(why) => format!(
                "Output channel `{}`: the members of {} cannot be read ({why}): the archive is \
                 corrupt, cut short or not an archive",
                note.channel, note.file
            ),
        });
    }
    if let Some(returned) = &f.returned_failure {
        out.push(format!(
            "main returned {returned}, which reads as a failure that sf does not check: make it \
             a check with returns = {{ status = \"success\" }} (or the key the script reports)"
        ));
    }
    if !f.stray_writes.is_empty() {
        out.push(format!(
            "The script wrote outside its output channels ({}): write only under output_paths",
            some_of(&f.stray_writes)
        ));
    }
    if !f.input_changes.is_empty() {
        out.push(format!(
            "The script changed its inputs ({}): it works on copies here, as in a Processing \
             container, but an upstream step or a re-run may not expect it; make the inputs \
             read-only (read_only_inputs = true, --read-only-inputs) to fail such a test",
            some_of(&f.input_changes)
        ));
    }
    if e.stray_processes_killed > 0 {
        out.push(format!(
            "The script left {} background process(es) running; sf killed them. Wait for child processes before returning",
            e.stray_processes_killed
        ));
    }
    if e.output_truncated {
        out.push("The script's output exceeded the log cap and was truncated: log less, or raise the cap".to_owned());
    }
    out
}

/// Up to 10 items joined with commas, then how many more there are: a script that creates a
/// million files must not make a result of megabytes.
pub(crate) fn some_of(items: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        text.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    text
}

/// The first sign that a write was denied: the script's error, else a line of its stderr or
/// stdout tail (a script that caught the error and went on still printed it, or not: then
/// nothing is known).
fn denied_write(e: &ExecutionResult) -> Option<String> {
    // Landlock refuses writes with EACCES; EPERM comes from other refusals (a signal, a
    // process group) that are not about files.
    const SIGNS: [&str; 3] = ["Permission denied", "Read-only file system", "[Errno 13]"];
    let denied = |line: &str| SIGNS.iter().any(|sign| line.contains(sign));
    if let Some(err) = &e.script_error
        && denied(&err.message)
    {
        return Some(err.message.clone());
    }
    e.stderr_tail
        .lines()
        .chain(e.stdout_tail.lines())
        .find(|line| denied(line))
        .map(|line| line.trim().chars().take(200).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_show_ten_items_and_a_count() {
        let items: Vec<String> = (0..25).map(|i| format!("f{i}")).collect();
        let text = some_of(&items);
        assert!(text.starts_with("f0, f1,"), "{text}");
        assert!(text.ends_with("f9 and 15 more"), "{text}");
        assert_eq!(some_of(&items[..2]), "f0, f1");
    }
}
