//! The verdict of a run: did the script fail, and did the test expect that?

use std::collections::BTreeMap;

use super::channel::{ChannelChecks, CheckFailure, Problem, Subject};
use super::golden::{GoldenDiff, compare};
use super::returns::failed_returns_check;
use crate::result::Status;
use crate::run::execution::{ExecutionResult, Outcome, ScriptErrorKind};
use crate::script::AdapterKind;
use crate::spec::{Expectation, TestSpec};
use crate::workspace::Workspace;

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

/// The verdict for a run against what the test expected (`spec`: the expectation, the checks of
/// main's return value — `returned`, when one is known — and of the outputs), and the inputs
/// the script changed although they were read-only (`changed_read_only_inputs`: the sandbox
/// missing, or the script stepping around it, fails a test that otherwise passed).
pub(crate) fn verdict(
    execution: &ExecutionResult,
    adapter: AdapterKind,
    spec: &TestSpec,
    returned: Option<&serde_json::Value>,
    workspace: &Workspace,
    changed_read_only_inputs: &[String],
) -> (Status, Option<String>) {
    match verdict_of_run(execution, adapter, spec, returned, workspace) {
        (Status::Pass, _) if !changed_read_only_inputs.is_empty() => (
            Status::Fail,
            Some(format!(
                "the script changed its read-only inputs: {}",
                super::some_of(changed_read_only_inputs)
            )),
        ),
        verdict => verdict,
    }
}

fn verdict_of_run(
    execution: &ExecutionResult,
    adapter: AdapterKind,
    spec: &TestSpec,
    returned: Option<&serde_json::Value>,
    workspace: &Workspace,
) -> (Status, Option<String>) {
    let failure = script_failure(execution, adapter);
    match (spec.expect, failure) {
        (Expectation::Pass, Some(reason)) => (Status::Fail, Some(reason)),
        (Expectation::Pass, None) => {
            // What the script says of its own run comes before what its files say.
            match failed_returns_check(&spec.returns, returned)
                .or_else(|| failed_output_check(&spec.outputs, workspace))
            {
                Some(reason) => (Status::Fail, Some(reason)),
                None => (Status::Pass, None),
            }
        }
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
    outputs: &BTreeMap<String, ChannelChecks>,
    workspace: &Workspace,
) -> Option<String> {
    let input = |channel: &str| workspace.input(channel);
    outputs.iter().find_map(|(name, checks)| {
        checks
            .check_with_inputs(
                &Subject::Output(name.clone()),
                &workspace.output(name),
                Some(&input),
            )
            .err()
            .map(|failure| failure.to_string())
    })
}

/// Compares every golden output of a run that passed so far with its golden copy (or accepts
/// it); returns the comparisons and, when one does not hold, why the run fails.
pub(crate) fn golden_verdict(
    spec: &crate::spec::TestSpec,
    workspace: &Workspace,
) -> (Vec<GoldenDiff>, Option<String>) {
    let root = spec.golden_root();
    let mut failure = None;
    let diffs: Vec<GoldenDiff> = spec
        .golden
        .iter()
        .map(|(channel, settings)| {
            let diff = compare(
                channel,
                &workspace.output(channel),
                &root.join(channel),
                settings,
                spec.golden_mode,
            );
            if !diff.holds() && failure.is_none() {
                failure = Some(
                    CheckFailure {
                        subject: Subject::Output(channel.clone()),
                        problem: Box::new(Problem::Golden(Box::new(diff.clone()))),
                        held: Vec::new(),
                    }
                    .to_string(),
                );
            }
            diff
        })
        .collect();
    (diffs, failure)
}
