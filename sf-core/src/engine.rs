//! The engine: one [`TestSpec`] in, one [`TestResult`] out. Every front door (the attribute, the
//! harness, the CLI) calls [`run`].

use chrono::{DateTime, Utc};

use crate::atomic::write_json_atomic;
use crate::checks::recommendations::{Findings, recommend};
use crate::checks::{self, Snapshot};
use crate::result::{Status, TestResult};
use crate::run::adapter;
use crate::run::context::ExecutionContext;
use crate::run::runner::Runner;
use crate::script;
use crate::spec::{KeepWorkspace, TestSpec};
use crate::workspace::Workspace;
use sf_vocab::RuntimeInstalls;

/// Runs one script test: creates a workspace, lays out the input data, runs the script in its own
/// process, applies the checks, writes `result.json`, and returns the result.
///
/// Never panics on anything the script does, and never returns an error: a problem with the
/// script, its data or its interpreter is a FAIL result that says what happened.
pub fn run(spec: &TestSpec) -> TestResult {
    run_with(spec, None)
}

/// Runs one script test as [`run`] does; a python-main script is forked from `warm`'s
/// interpreter for it (started on first use) when there is one, as isolated as a cold run.
pub fn run_warm(spec: &TestSpec, warm: &crate::run::warm::WarmPool) -> TestResult {
    run_with(spec, Some(warm))
}

fn run_with(spec: &TestSpec, warm: Option<&crate::run::warm::WarmPool>) -> TestResult {
    let mut spec = spec.clone();
    let mut result = run_once(&spec, warm);
    // `pip install` of what the environment lacked, under runtime_installs = "prepare": prepare
    // it and run the script again in the environment that has it — a few times at most, for a
    // script that installs one package after another.
    let mut prepared: Vec<String> = Vec::new();
    for _ in 0..3 {
        if spec.runtime_installs != RuntimeInstalls::Prepare
            || crate::run::interrupt::interrupted().is_some()
        {
            break;
        }
        let Some(missing) = result
            .execution
            .as_ref()
            .and_then(|e| e.installs.as_ref())
            .map(|i| i.missing.clone())
            .filter(|m| !m.is_empty())
        else {
            break;
        };
        let (plain, other): (Vec<String>, Vec<String>) = missing
            .into_iter()
            .partition(|m| crate::run::adapter::environment::is_plain_requirement(m));
        let new: Vec<String> = plain
            .into_iter()
            .filter(|m| {
                !spec.requirements.specifiers.contains(m)
                    && !spec.requirements.asked_at_run.contains(m)
            })
            .collect();
        if !other.is_empty() {
            result.recommendations.push(format!(
                "The script asked pip to install {}: sf prepares only requirements by name and \
                 version (no paths, URLs, options or markers); declare what it needs with \
                 requirements = [...] or a requirements_file",
                other.join(", ")
            ));
        }
        if new.is_empty() {
            // Prepared, and still missing (a pin the installer resolved otherwise): no loop.
            break;
        }
        tracing::info!(requirements = %new.join(", "), "the script asked to install what its environment lacks: preparing it and running again");
        if let Err(err) = Workspace::at(&result.workspace).remove() {
            tracing::warn!(err = %error_chain(&err), "cannot remove the earlier run's workspace");
        }
        // Installed from wheels only: no code of the script's choosing runs outside the run's
        // container while it is installed.
        spec.requirements.asked_at_run.extend(new.iter().cloned());
        prepared.extend(new);
        result = run_once(&spec, warm);
    }
    if prepared.is_empty() {
        return result;
    }
    if let Some(execution) = result.execution.as_mut() {
        let installs =
            execution
                .installs
                .get_or_insert_with(|| crate::run::execution::InstallRequests {
                    mode: RuntimeInstalls::Prepare.name().to_owned(),
                    ..Default::default()
                });
        installs.prepared = prepared.clone();
    }
    result.recommendations.push(format!(
        "The script runs `pip install {}` while it runs: sf prepared it and ran the script again; \
         declare it (requirements = [{}] in sf.toml) so the environment is ready before the first run",
        prepared.join(" "),
        prepared
            .iter()
            .map(|m| format!("{m:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    result
}

/// One run of `spec`, with no second chance.
fn run_once(spec: &TestSpec, warm: Option<&crate::run::warm::WarmPool>) -> TestResult {
    let timestamp = Utc::now();
    let name = spec.script_name();
    let _span = tracing::info_span!("script", name = %name).entered();
    let workspace = match Workspace::create(&spec.workspace_root, &name) {
        Ok(ws) => ws,
        Err(err) => {
            let mut result = early_failure(
                spec,
                timestamp,
                spec.workspace_root.clone(),
                error_chain(&err),
            );
            result.recommendations.push(format!(
                "Choose a writable workspace directory (--workspace-dir); {} is not usable",
                spec.workspace_root.display()
            ));
            return result;
        }
    };
    tracing::debug!(workspace = %workspace.path().display(), "workspace created");
    let mut afresh = None;
    let result = run_in(spec, &workspace, timestamp, warm, &mut afresh);
    if let Some(reason) = afresh {
        // The warm interpreter failed part of the way through the case: what it left is no
        // one's, and the case runs again, cold, in a workspace of its own.
        if let Err(err) = workspace.remove() {
            tracing::warn!(err = %error_chain(&err), "cannot remove workspace");
        }
        let mut result = run_once(spec, None);
        if let Some(execution) = result.execution.as_mut() {
            execution.start = crate::run::warm::Start::cold(reason);
        }
        return result;
    }
    if spec.keep_workspace == KeepWorkspace::OnFailure && result.is_successful() {
        // Nobody will read the result.json of a workspace about to go.
        if let Err(err) = workspace.remove() {
            tracing::warn!(err = %error_chain(&err), "cannot remove workspace");
        }
        return result;
    }
    if let Err(err) = write_json_atomic(&workspace.result_file(), &result) {
        tracing::warn!(%err, path = %workspace.result_file().display(), "cannot write result.json");
    }
    if !result.is_successful() {
        let command = spec.replay_command(result.script_path.as_deref(), workspace.path());
        if let Err(err) =
            crate::replay::write_replay_file(workspace.path(), &command, &spec.replay_gaps())
        {
            tracing::warn!(%err, workspace = %workspace.path().display(), "cannot write the replay file");
        }
    }
    result
}

fn run_in(
    spec: &TestSpec,
    workspace: &Workspace,
    timestamp: DateTime<Utc>,
    warm: Option<&crate::run::warm::WarmPool>,
    afresh: &mut Option<String>,
) -> TestResult {
    let ws_path = workspace.path().to_owned();
    let script = match script::find(&spec.script, &spec.base_dir, &spec.scripts_dirs) {
        Ok(s) => s,
        Err(err) => {
            let mut r = early_failure(spec, timestamp, ws_path, err.to_string());
            r.recommendations.push(
                "Pass the script's path, or the directory holding it with --scripts-dir".to_owned(),
            );
            return r;
        }
    };
    let script = script::Script {
        adapter: spec.adapter.unwrap_or(script.adapter),
        ..script
    };
    tracing::debug!(path = %script.path.display(), adapter = script.adapter.name(), "script found");

    // Every front door checks names; a spec built in code must not write outside its workspace.
    let bad_name = spec
        .data
        .channels
        .keys()
        .chain(spec.outputs.keys())
        .find_map(|c| sf_vocab::check_channel_name(c).err());
    if let Some(err) = bad_name {
        return with_script(
            early_failure(spec, timestamp, ws_path, err.to_string()),
            &script,
        );
    }
    let files = match spec.data.materialize(spec.seed, |c| workspace.input(c)) {
        Ok(files) => files,
        Err(err) => {
            return with_script(
                early_failure(spec, timestamp, ws_path, error_chain(&err)),
                &script,
            );
        }
    };
    for (channel, file) in &files {
        tracing::debug!(
            channel,
            rows = file.rows,
            bytes = file.bytes,
            "input written"
        );
    }
    let mut context = ExecutionContext {
        environ_vars: spec.environ_vars.clone(),
        job_args: spec.job_args.clone(),
        ..ExecutionContext::default()
    };
    for channel in spec.data.channels.keys() {
        context
            .input_paths
            .insert(channel.clone(), workspace.input(channel));
    }
    for channel in spec.outputs.keys() {
        let dir = workspace.output(channel);
        if let Err(err) = std::fs::create_dir_all(&dir) {
            let msg = format!(
                "cannot create output channel directory {}: {err}",
                dir.display()
            );
            return with_script(early_failure(spec, timestamp, ws_path, msg), &script);
        }
        let path = match spec.output_files.get(channel) {
            Some(file) => dir.join(file),
            None => dir,
        };
        context.output_paths.insert(channel.clone(), path);
    }
    if let Err(err) = crate::atomic::write_json_scratch(&workspace.context_file(), &context) {
        let msg = format!("cannot write {}: {err}", workspace.context_file().display());
        return with_script(early_failure(spec, timestamp, ws_path, msg), &script);
    }

    let prepared = match adapter::prepare(&script, workspace, &context, &spec.adapter_options()) {
        Ok(p) => p,
        Err(err) => {
            let mut r = with_script(
                early_failure(spec, timestamp, ws_path, error_chain(&err)),
                &script,
            );
            if matches!(err, adapter::AdapterError::PythonNotFound { .. }) {
                r.recommendations.push(
                    "Install Python 3, or point --python or SF_PYTHON at an interpreter".to_owned(),
                );
            }
            return r;
        }
    };
    let snapshot = Snapshot::take(workspace);
    let mut execution = match warm {
        Some(pool) if script.adapter == crate::script::AdapterKind::PythonMain => {
            match pool.run(
                &prepared.invocation,
                &workspace.log_files(),
                &spec.limits,
                workspace.path(),
                &spec.workspace_root,
            ) {
                Ok(execution) => execution,
                Err(reason) => {
                    *afresh = Some(reason.clone());
                    return early_failure(spec, timestamp, ws_path, reason);
                }
            }
        }
        Some(_) => {
            let mut execution =
                Runner::new(spec.limits.clone()).run(&prepared.invocation, &workspace.log_files());
            execution.start =
                crate::run::warm::Start::cold("warm starts are for python-main scripts");
            execution
        }
        None => Runner::new(spec.limits.clone()).run(&prepared.invocation, &workspace.log_files()),
    };
    let returned = adapter::interpret(&prepared, &mut execution);
    execution.installs = adapter::read_installs(workspace, spec.runtime_installs);
    tracing::info!(outcome = %execution.outcome.describe(), secs = execution.wall_time.as_secs_f64(), "script finished");

    let input_changes = snapshot.input_changes(workspace);
    let (status, error_message) = checks::verdict(
        &execution,
        script.adapter,
        spec,
        returned.as_ref(),
        workspace,
        if spec.read_only_inputs {
            &input_changes
        } else {
            &[]
        },
    );
    // Golden copies are compared only once everything else holds: a failed run's outputs say
    // nothing against them, and must never become golden.
    let (golden, golden_failure) = if status == Status::Pass
        && spec.expect == crate::spec::Expectation::Pass
        && !spec.golden.is_empty()
    {
        checks::golden_verdict(spec, workspace)
    } else {
        (Vec::new(), None)
    };
    let (status, error_message) = match golden_failure {
        Some(reason) => (Status::Fail, Some(reason)),
        None => (status, error_message),
    };
    // So that a replay of a kept workspace gets what the script was given, not what it left; a
    // passing run whose workspace is about to go needs none.
    let kept = status != Status::Pass || spec.keep_workspace == KeepWorkspace::Always;
    if kept
        && !input_changes.is_empty()
        && let Err(err) = spec
            .data
            .materialize(spec.seed, |c| workspace.given_input(c))
    {
        tracing::warn!(err = %error_chain(&err), "cannot lay out the given inputs again");
    }
    let failure = checks::script_failure(&execution, script.adapter);
    let findings = Findings {
        execution: &execution,
        failure: failure.as_deref(),
        failure_expected: spec.expect == crate::spec::Expectation::Fail && status == Status::Pass,
        // An empty output only says something when the script claims success.
        empty_outputs: if failure.is_none() {
            spec.outputs
                .keys()
                .filter(|c| crate::tree::count_files(&workspace.output(c)) == 0)
                .cloned()
                .collect()
        } else {
            Vec::new()
        },
        archives: if failure.is_none() {
            spec.outputs
                .keys()
                .flat_map(|c| checks::members::archive_notes(c, &workspace.output(c)))
                .collect()
        } else {
            Vec::new()
        },
        returned_failure: if failure.is_none() && spec.returns.is_empty() {
            checks::failure_in(returned.as_ref())
        } else {
            None
        },
        stray_writes: snapshot.stray_entries(workspace),
        input_changes: if spec.read_only_inputs {
            Vec::new()
        } else {
            input_changes
        },
    };
    let mut recommendations = recommend(&findings);
    if let Some(layout) = spec.sagemaker.as_ref().filter(|_| status != Status::Pass) {
        let inputs: Vec<String> = spec.data.channels.keys().cloned().collect();
        let outputs: Vec<String> = spec.outputs.keys().cloned().collect();
        recommendations.extend(crate::run::sagemaker::unmounted_advice(
            layout,
            &script.path,
            &inputs,
            &outputs,
        ));
    }
    for accepted in golden
        .iter()
        .filter(|g| g.status == crate::checks::GoldenStatus::Accepted)
    {
        recommendations.push(format!(
            "Accepted the outputs of `{}` as its golden copy in {}: review and commit them",
            accepted.channel,
            accepted.golden.display()
        ));
    }
    // The mode is the test's, whatever the run's log says.
    let (status, error_message) = match execution.installs.as_ref() {
        Some(i) if !i.missing.is_empty() && spec.runtime_installs == RuntimeInstalls::Fail => (
            Status::Fail,
            Some(format!(
                "the script asked pip to install {}, which its environment lacks \
                 (runtime_installs = \"fail\"): declare it with requirements = [...] in sf.toml, \
                 #[script_test(requirements(...))] or --requirement",
                i.missing.join(", ")
            )),
        ),
        Some(i) if !i.missing.is_empty() && spec.runtime_installs == RuntimeInstalls::Skip => {
            recommendations.push(format!(
                "The script asked pip to install {}, which its environment lacks; the run went on \
                 without it (runtime_installs = \"skip\")",
                i.missing.join(", ")
            ));
            (status, error_message)
        }
        _ => (status, error_message),
    };
    TestResult {
        execution_time: execution.wall_time.as_secs_f64(),
        memory_usage: execution.peak_memory_mb(),
        recommendations,
        timestamp,
        script_path: Some(script.path.clone()),
        execution: Some(execution),
        golden,
        returned,
        ..TestResult::not_run(
            spec.script_name(),
            spec.seed,
            spec.expect,
            status,
            ws_path,
            error_message,
        )
    }
}

fn early_failure(
    spec: &TestSpec,
    timestamp: DateTime<Utc>,
    workspace: std::path::PathBuf,
    message: String,
) -> TestResult {
    tracing::info!(%message, "test failed before the script ran");
    TestResult {
        timestamp,
        ..TestResult::not_run(
            spec.script_name(),
            spec.seed,
            spec.expect,
            Status::Fail,
            workspace,
            Some(message),
        )
    }
}

fn with_script(mut result: TestResult, script: &script::Script) -> TestResult {
    result.script_path = Some(script.path.clone());
    result
}

/// An error and its causes, joined with `: `.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_of_a_workspace_gets_the_inputs_the_script_was_given() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("s.sh");
        std::fs::write(
            &script,
            "#!/bin/sh\nrm \"$SF_INPUT_INPUT\"/data.csv\nexit 1\n",
        )
        .unwrap();
        let spec = TestSpec::new(script.to_string_lossy()).workspace_root(dir.path().join("ws"));
        let result = run(&spec);
        assert_eq!(result.status, Status::Fail);
        assert!(!result.workspace.join("inputs/input/data.csv").exists());
        let replay = spec.clone().data_from(&result.workspace).unwrap();
        let crate::data::ChannelPlan::Fixture { source } = &replay.data.channels["input"] else {
            panic!("a replay reads fixtures");
        };
        assert_eq!(source, &result.workspace.join(".sf/given/inputs/input"));
        assert!(
            source.join("data.csv").is_file(),
            "the deleted file is given back"
        );
        // The replay runs on it, and the script meets the same data (and the same end).
        let again = run(&replay);
        assert_eq!(again.status, Status::Fail);
        assert!(
            again
                .workspace
                .join(".sf/given/inputs/input/data.csv")
                .is_file()
        );
    }

    #[test]
    fn a_channel_name_that_leaves_the_workspace_fails_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("s.sh");
        std::fs::write(&script, "#!/bin/sh\nexit 0\n").unwrap();
        let root = dir.path().join("ws");
        for (inputs, outputs) in [(["../escaped"], ["output"]), (["input"], ["../../out"])] {
            let spec = TestSpec::new(script.to_string_lossy())
                .workspace_root(&root)
                .inputs(inputs)
                .outputs(outputs);
            let result = run(&spec);
            assert_eq!(result.status, Status::Fail);
            let error = result.error_message.unwrap_or_default();
            assert!(error.contains("contains a path separator"), "{error}");
            assert!(result.execution.is_none(), "the script must not start");
        }
        let mut top: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        top.sort();
        assert_eq!(
            top,
            ["s.sh", "ws"],
            "nothing was written beside the workspaces"
        );
        assert!(!root.join("escaped").exists());
    }
}
