//! Turning a script and its context into an invocation, and the run's report back into a
//! result, for every adapter.

use std::ffi::OsString;
use std::path::PathBuf;

use super::python::{InterpreterError, PythonSource};
use super::{command, python};
use crate::run::context::ExecutionContext;
use crate::run::execution::ExecutionResult;
use crate::run::runner::Invocation;
use crate::script::{AdapterKind, Script};
use crate::workspace::Workspace;

/// Errors preparing a script's process.
#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    /// The Python interpreter could not be found or does not run.
    #[error("python interpreter `{interpreter}` ({source_of_choice}) is not usable")]
    PythonNotFound {
        /// What was asked for.
        interpreter: String,
        /// Where the choice came from.
        source_of_choice: PythonSource,
        /// What happened when sf tried it.
        #[source]
        reason: InterpreterError,
    },
    /// A command script is neither executable nor a shell script.
    #[error("{path} is not executable: run `chmod +x {}` or give it a .sh or .py extension", path.display())]
    NotExecutable {
        /// The script.
        path: PathBuf,
    },
    /// A command line is empty or names a channel that does not exist.
    #[error("bad command line: {0}")]
    BadArgv(String),
    /// `import_root` does not hold the script, or the path below it is no module name.
    #[error("{} cannot be imported from import_root {}: {reason}", script.display(), root.display())]
    ImportRoot {
        /// The script.
        script: PathBuf,
        /// The import root.
        root: PathBuf,
        /// What is wrong.
        reason: &'static str,
    },
    /// Two channels of the SageMaker layout have one container path, so one would hide the
    /// other.
    #[error(
        "channels `{first}` and `{second}` would both be mounted at {path} in the SageMaker \
         layout; give one another path with --container-path / sagemaker_paths"
    )]
    SharedContainerPath {
        /// The channel mounted first.
        first: String,
        /// The other channel.
        second: String,
        /// The container path of the first.
        path: String,
    },
    /// The Python environment for the script's requirements could not be had.
    #[error(transparent)]
    Environment(#[from] crate::run::adapter::environment::EnvironmentError),
    /// sf could not write its runner into the workspace.
    #[error("cannot prepare the run in {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// What the adapter needs beyond the script and its context.
#[derive(Debug, Clone, Default)]
pub struct AdapterOptions {
    /// Interpreter for python-main scripts (`--python`); `SF_PYTHON`, then `python3`, otherwise.
    pub python: Option<PathBuf>,
    /// The data seed, exported as `SF_SEED` (and `PYTHONHASHSEED` for Python).
    pub seed: u64,
    /// A command line replacing the script file as the program (see [`TestSpec::argv`]).
    ///
    /// [`TestSpec::argv`]: crate::TestSpec::argv
    pub argv: Option<Vec<String>>,
    /// The isolation asked for.
    pub sandbox: crate::run::sandbox::SandboxOptions,
    /// Run the script as a SageMaker Processing job would (its own `__main__`, `/opt/ml` paths).
    pub sagemaker: Option<crate::run::sagemaker::SageMakerLayout>,
    /// Keep the inputs out of the directories the script may write.
    pub read_only_inputs: bool,
    /// Import a Python script by its dotted name below this folder.
    pub import_root: Option<PathBuf>,
    /// What the script's Python environment must hold; sf prepares (and caches) it.
    pub requirements: crate::run::adapter::environment::Requirements,
    /// Use only environments already in the cache.
    pub offline: bool,
    /// What `pip install` from inside the run does.
    pub runtime_installs: sf_vocab::RuntimeInstalls,
}

/// A process ready to run, plus what the adapter needs to read the result.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub(crate) invocation: Invocation,
    /// The Python runner reports on the invocation's report pipe.
    runner_reports: bool,
}

pub(crate) fn prepare(
    script: &Script,
    workspace: &Workspace,
    context: &ExecutionContext,
    options: &AdapterOptions,
) -> Result<Prepared, AdapterError> {
    let mut env = common_env(workspace, context, options.seed);
    if let Some(layout) = &options.sagemaker {
        // The paths the script's own text pairs with its channels are where it looks.
        let layout = layout.for_script(&crate::run::sagemaker::script_text(&script.path));
        return prepare_sagemaker(script, workspace, context, options, &layout, env);
    }
    let (program, args, runner_reports) = match script.adapter {
        AdapterKind::PythonMain => {
            let (program, args) = python::prepare(script, workspace, options, &mut env)?;
            (program, args, true)
        }
        AdapterKind::Command => {
            let (program, args) = match &options.argv {
                Some(argv) => command::expand_argv(argv, script, workspace, context)?,
                None => command::prepare(script, context)?,
            };
            (program, args, false)
        }
    };
    add_pip_shim(workspace, &mut env, script, &program, options)?;
    let mut invocation = invocation(workspace, options, program, args, env, None, Vec::new());
    invocation.report_pipe = runner_reports;
    Ok(Prepared {
        invocation,
        runner_reports,
    })
}

/// A run's process in `workspace`: current directory, isolation, the directories it may write,
/// and the run's marker (the workspace's unique name).
fn invocation(
    workspace: &Workspace,
    options: &AdapterOptions,
    program: PathBuf,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    mounts: Option<Vec<(PathBuf, PathBuf)>>,
    more_writable: Vec<PathBuf>,
) -> Invocation {
    Invocation {
        program,
        args,
        env,
        cwd: workspace.path().to_owned(),
        mounts,
        sandbox: options.sandbox,
        writable: workspace
            .writable_dirs()
            .into_iter()
            .chain((!options.read_only_inputs).then(|| workspace.inputs()))
            .chain(more_writable)
            .collect(),
        run_id: workspace
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        report_pipe: false,
    }
}

/// The SageMaker layout: the script runs as its own `__main__` with job arguments as flags, its
/// channels, its directory and the job's configuration mounted under `/opt/ml`.
fn prepare_sagemaker(
    script: &Script,
    workspace: &Workspace,
    context: &ExecutionContext,
    options: &AdapterOptions,
    layout: &crate::run::sagemaker::SageMakerLayout,
    mut env: Vec<(OsString, OsString)>,
) -> Result<Prepared, AdapterError> {
    use std::path::Path;
    let io = |path: PathBuf| move |source| AdapterError::Io { path, source };
    let code = Path::new(crate::run::sagemaker::CODE_DIR).to_owned();
    let file_name = script
        .path
        .file_name()
        .map(PathBuf::from)
        .unwrap_or_default();
    let container_script = code.join(&file_name);
    let flags = command::job_args_as_flags(context);
    let (program, mut args) = match script.adapter {
        AdapterKind::PythonMain => {
            env.push(("PYTHONDONTWRITEBYTECODE".into(), "1".into()));
            env.push(("PYTHONUNBUFFERED".into(), "1".into()));
            (
                python::interpreter(options)?,
                vec![container_script.clone().into_os_string()],
            )
        }
        AdapterKind::Command if script.path.extension().is_some_and(|e| e == "sh") => (
            PathBuf::from("sh"),
            vec![container_script.clone().into_os_string()],
        ),
        AdapterKind::Command => (container_script.clone(), Vec::new()),
    };
    args.extend(flags.clone());
    add_pip_shim(workspace, &mut env, script, &program, options)?;

    let placed: Vec<(&String, String)> = context
        .input_paths
        .keys()
        .map(|c| (c, layout.input_path(c)))
        .chain(
            context
                .output_paths
                .keys()
                .map(|c| (c, layout.output_path(c))),
        )
        .collect();
    for (i, (first, path)) in placed.iter().enumerate() {
        if let Some((second, _)) = placed[i + 1..].iter().find(|(_, other)| other == path) {
            return Err(AdapterError::SharedContainerPath {
                first: (*first).clone(),
                second: (*second).clone(),
                path: path.clone(),
            });
        }
    }
    let mut mounts: Vec<(PathBuf, PathBuf)> = Vec::new();
    if let Some(dir) = script.path.parent() {
        mounts.push((code.clone(), dir.to_owned()));
    }
    for (name, path) in &context.input_paths {
        let target = PathBuf::from(layout.input_path(name));
        env.push((
            channel_env_name("SF_INPUT_", name).into(),
            target.clone().into(),
        ));
        mounts.push((target, path.clone()));
    }
    for (name, path) in &context.output_paths {
        let target = PathBuf::from(layout.output_path(name));
        // A file output: the channel's folder is mounted, the variable names the file in it.
        let folder = workspace.output(name);
        let seen = match path.strip_prefix(&folder) {
            Ok(file) if !file.as_os_str().is_empty() => target.join(file),
            _ => target.clone(),
        };
        env.push((channel_env_name("SF_OUTPUT_", name).into(), seen.into()));
        mounts.push((target, folder));
    }
    let config_dir = workspace.internal().join("ml-config");
    std::fs::create_dir_all(&config_dir).map_err(io(config_dir.clone()))?;
    let entrypoint: Vec<String> = std::iter::once(program.to_string_lossy().into_owned())
        .chain(args.iter().map(|a| a.to_string_lossy().into_owned()))
        .collect();
    let (processing, resource) = crate::run::sagemaker::job_config(
        &script.name,
        layout,
        &context.input_paths.keys().cloned().collect::<Vec<_>>(),
        &context.output_paths.keys().cloned().collect::<Vec<_>>(),
        &entrypoint,
        &context.environ_vars,
    );
    for (name, value) in [
        ("processingjobconfig.json", processing),
        ("resourceconfig.json", resource),
    ] {
        let path = config_dir.join(name);
        crate::atomic::write_json_atomic(&path, &value).map_err(io(path.clone()))?;
    }
    mounts.push((PathBuf::from("/opt/ml/config"), config_dir));
    // A folder is mounted before the folders inside it, which would be hidden otherwise.
    mounts.sort_by_key(|(target, _)| target.components().count());
    Ok(Prepared {
        // A bind-mounted channel's path never passes through `outputs/` on its way up, so
        // Landlock needs each output channel itself.
        invocation: invocation(
            workspace,
            options,
            program,
            args,
            env,
            Some(mounts),
            context
                .output_paths
                .keys()
                .map(|name| workspace.output(name))
                .collect(),
        ),
        runner_reports: false,
    })
}

/// Fills in what only the adapter knows: the script's own error, or that its report is missing;
/// returns what main returned, when the adapter knows.
pub(crate) fn interpret(
    prepared: &Prepared,
    result: &mut ExecutionResult,
) -> Option<serde_json::Value> {
    if prepared.runner_reports {
        python::interpret(result)
    } else {
        None
    }
}

/// `SF_INPUT_<NAME>` / `SF_OUTPUT_<NAME>` spelling of a channel name.
pub fn channel_env_name(prefix: &str, channel: &str) -> String {
    let upper: String = channel
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{prefix}{upper}")
}

/// What the run's pip shim recorded (`None` when the script never ran `pip install`).
pub(crate) fn read_installs(
    workspace: &Workspace,
    mode: sf_vocab::RuntimeInstalls,
) -> Option<crate::run::execution::InstallRequests> {
    #[derive(serde::Deserialize)]
    struct Line {
        requirement: String,
        satisfied: bool,
    }
    let text = std::fs::read_to_string(installs_log(workspace)).ok()?;
    // The log is in a folder the script writes: it says what was asked, never how sf acts.
    let mut seen = crate::run::execution::InstallRequests {
        mode: mode.name().to_owned(),
        ..Default::default()
    };
    for line in text.lines().take(10_000) {
        let Ok(l) = serde_json::from_str::<Line>(line) else {
            continue;
        };
        let list = if l.satisfied {
            &mut seen.satisfied
        } else {
            &mut seen.missing
        };
        if !list.contains(&l.requirement) {
            list.push(l.requirement);
        }
    }
    (!seen.satisfied.is_empty() || !seen.missing.is_empty()).then_some(seen)
}

/// The pip shim's source (`python -m pip` and `pip` inside a run).
const PIP_SHIM: &str = include_str!("pip_shim.py");

/// The shim package's `__init__.py`: the real pip's package, with the shim's `__main__` in front,
/// so `import pip`, `pip.__version__` and `pip._internal` are the real ones.
const PIP_SHIM_INIT: &str = r#""""sf's pip: the real pip package, whose `python -m pip` reaches sf's shim first."""
import importlib.machinery as _machinery
import os as _os
import sys as _sys

_here = _os.path.dirname(_os.path.abspath(__file__))
_root = _os.path.dirname(_here)
_spec = _machinery.PathFinder.find_spec(
    "pip", [p for p in _sys.path if _os.path.abspath(p or ".") != _root]
)
if _spec is not None and _spec.submodule_search_locations and _spec.origin:
    __path__ = [_here] + list(_spec.submodule_search_locations)
    with open(_spec.origin, encoding="utf-8") as _f:
        exec(compile(_f.read(), _spec.origin, "exec"), globals())
"#;

/// Where a run's `pip install` requests are recorded (a JSON line each).
pub(crate) fn installs_log(workspace: &Workspace) -> PathBuf {
    workspace.logs().join("sf-installs.jsonl")
}

/// Puts sf's pip in front of the real one for the run: a `pip` package first on `PYTHONPATH`
/// (for `python -m pip`) and `pip`/`pip3` first on `PATH`; see `pip_shim.py`.
fn add_pip_shim(
    workspace: &Workspace,
    env: &mut Vec<(OsString, OsString)>,
    script: &Script,
    program: &std::path::Path,
    options: &AdapterOptions,
) -> Result<(), AdapterError> {
    // The run's interpreter; a command script with requirements gets the prepared environment
    // first on its PATH.
    let interpreter = match script.adapter {
        AdapterKind::PythonMain => Some(program.to_owned()),
        AdapterKind::Command if !options.requirements.is_empty() => {
            Some(python::interpreter(options)?)
        }
        AdapterKind::Command => None,
    };
    let interpreter = interpreter.as_deref();
    let mode = options.runtime_installs;
    let python = interpreter.map_or_else(
        || "python3".to_owned(),
        |p| crate::run::runner::shell_quote(&p.to_string_lossy()),
    );
    // The shim's files depend on the interpreter only: made once in sf's cache and shared
    // (read-only to a sandboxed script), else in the workspace.
    let shim = match shared_shim(&python) {
        Some(shim) => shim,
        None => {
            let shim = workspace.internal().join("shim");
            write_shim(&shim, &python)
                .map_err(|(path, source)| AdapterError::Io { path, source })?;
            shim
        }
    };
    let bin = shim.join("bin");
    let prepend = |name: &str, first: &std::path::Path, env: &mut Vec<(OsString, OsString)>| {
        let current = env
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| std::env::var_os(name))
            .filter(|v| !v.is_empty());
        let mut value = first.as_os_str().to_owned();
        if let Some(rest) = current {
            value.push(":");
            value.push(rest);
        }
        env.push((name.into(), value));
    };
    prepend("PYTHONPATH", &shim, env);
    // A prepared environment's programs (its `python3`, its console scripts) come right after
    // the shim, for shell scripts and `subprocess` calls alike.
    if let Some(venv) = interpreter
        .and_then(|p| p.parent())
        .and_then(|bin| bin.parent())
        .filter(|dir| dir.join("pyvenv.cfg").is_file())
    {
        prepend("PATH", &venv.join("bin"), env);
        env.push(("VIRTUAL_ENV".into(), venv.into()));
    }
    prepend("PATH", &bin, env);
    env.push(("SF_RUNTIME_INSTALLS".into(), mode.name().into()));
    env.push(("SF_INSTALLS_LOG".into(), installs_log(workspace).into()));
    Ok(())
}

/// Writes the pip shim for `python` into `shim`: the `pip` package and the console scripts.
fn write_shim(shim: &std::path::Path, python: &str) -> Result<(), (PathBuf, std::io::Error)> {
    use std::os::unix::fs::PermissionsExt;
    let package = shim.join("pip");
    let bin = shim.join("bin");
    for dir in [&package, &bin] {
        std::fs::create_dir_all(dir).map_err(|e| (dir.clone(), e))?;
    }
    for (file, text) in [("__init__.py", PIP_SHIM_INIT), ("__main__.py", PIP_SHIM)] {
        let path = package.join(file);
        std::fs::write(&path, text).map_err(|e| (path, e))?;
    }
    // Every name a pip console script goes by (`pip3.11` too), so none reaches the real pip.
    let names = ["pip", "pip3"]
        .into_iter()
        .map(str::to_owned)
        .chain((6..=20).map(|minor| format!("pip3.{minor}")));
    for name in names {
        let path = bin.join(&name);
        std::fs::write(&path, format!("#!/bin/sh\nexec {python} -m pip \"$@\"\n"))
            .and_then(|()| std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)))
            .map_err(|e| (path, e))?;
    }
    Ok(())
}

/// The pip shim for `python` in sf's cache (`shims/<hash>`), made on first use: built beside
/// its name and renamed, so a run sees all of it or none. `None` when the cache cannot hold it.
fn shared_shim(python: &str) -> Option<PathBuf> {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for part in [PIP_SHIM_INIT, PIP_SHIM, python] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    let digest: String = hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let shims = super::environment::cache_dir().join("shims");
    let dir = shims.join(digest);
    if dir.join("pip/__main__.py").is_file() {
        return Some(dir);
    }
    std::fs::create_dir_all(&shims).ok()?;
    let building = tempfile::Builder::new()
        .prefix(".building-")
        .tempdir_in(&shims)
        .ok()?;
    write_shim(building.path(), python).ok()?;
    let built = building.keep();
    match std::fs::rename(&built, &dir) {
        Ok(()) => {}
        // Another run made it first.
        Err(_) if dir.join("pip/__main__.py").is_file() => {
            let _ = std::fs::remove_dir_all(&built);
        }
        Err(_) => {
            let _ = std::fs::remove_dir_all(&built);
            return None;
        }
    }
    // Readable by the script whoever runs it; written by no one.
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755));
    Some(dir)
}

fn common_env(
    workspace: &Workspace,
    context: &ExecutionContext,
    seed: u64,
) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = Vec::new();
    let mut set = |k: String, v: OsString| env.push((k.into(), v));
    set("HOME".into(), workspace.home().into());
    for tmp in ["TMPDIR", "TMP", "TEMP"] {
        set(tmp.into(), workspace.tmp().into());
    }
    set("SF_WORKSPACE".into(), workspace.path().into());
    set("SF_CONTEXT".into(), workspace.context_file().into());
    set("SF_SEED".into(), seed.to_string().into());
    for (name, path) in &context.input_paths {
        set(channel_env_name("SF_INPUT_", name), path.into());
    }
    for (name, path) in &context.output_paths {
        set(channel_env_name("SF_OUTPUT_", name), path.into());
    }
    for (k, v) in &context.environ_vars {
        set(k.clone(), v.into());
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_become_upper_case_variable_names() {
        assert_eq!(
            channel_env_name("SF_INPUT_", "input_data"),
            "SF_INPUT_INPUT_DATA"
        );
        assert_eq!(
            channel_env_name("SF_OUTPUT_", "model-artifacts.v2"),
            "SF_OUTPUT_MODEL_ARTIFACTS_V2"
        );
    }
}
