//! The `python-main` adapter: a fresh interpreter runs sf's runner, which imports the script and
//! calls its `main` with the execution context, then reports the outcome through a JSON file.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::{Arc, Mutex, OnceLock};

use serde::Deserialize;

use super::{AdapterError, AdapterOptions};
use crate::run::execution::{ExecutionResult, Outcome, ScriptError, ScriptErrorKind};
use crate::script::Script;
use crate::workspace::Workspace;

/// The runner shipped inside sf; written into each workspace's `.sf/` directory.
pub(crate) const RUNNER_SOURCE: &str = include_str!("runner.py");

/// Where the interpreter choice came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PythonSource {
    /// `--python` (or the API's explicit choice).
    Flag,
    /// The `SF_PYTHON` environment variable.
    Env,
    /// The default, `python3` on `PATH`.
    Default,
}

impl fmt::Display for PythonSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PythonSource::Flag => "from --python",
            PythonSource::Env => "from SF_PYTHON",
            PythonSource::Default => "the default, python3 on PATH",
        })
    }
}

/// Why an interpreter cannot be used, from asking it for `sys.executable`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum InterpreterError {
    /// Nothing by that name on `PATH` or at that path.
    #[error("not found")]
    NotFound,
    /// It exists but cannot be started.
    #[error(transparent)]
    Spawn(Arc<std::io::Error>),
    /// It started and failed.
    #[error("it {status}: {stderr}")]
    Failed {
        /// How it ended.
        status: ExitStatus,
        /// The last line of its stderr.
        stderr: String,
    },
    /// It ran but printed no path.
    #[error("it did not report sys.executable")]
    NoExecutable,
}

/// Picks the interpreter (`explicit`, then `SF_PYTHON`, then `python3`) and resolves it to the
/// real executable by asking it for `sys.executable`, once per process. Resolving matters: a
/// version-manager shim may need the caller's `HOME`, which the script's process does not get.
pub fn resolve_python(explicit: Option<&Path>) -> Result<PathBuf, AdapterError> {
    let (interpreter, source) = match (explicit, std::env::var_os("SF_PYTHON")) {
        (Some(p), _) => (p.as_os_str().to_owned(), PythonSource::Flag),
        (None, Some(p)) if !p.is_empty() => (p, PythonSource::Env),
        _ => (OsString::from("python3"), PythonSource::Default),
    };
    type Resolved = Result<PathBuf, InterpreterError>;
    static CACHE: OnceLock<Mutex<HashMap<OsString, Resolved>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let cached = cache.lock().ok().and_then(|c| c.get(&interpreter).cloned());
    let resolved = match cached {
        Some(r) => r,
        None => {
            let r = ask_executable(&interpreter);
            if let Ok(mut c) = cache.lock() {
                c.insert(interpreter.clone(), r.clone());
            }
            r
        }
    };
    resolved.map_err(|reason| AdapterError::PythonNotFound {
        interpreter: interpreter.to_string_lossy().into_owned(),
        source_of_choice: source,
        reason,
    })
}

fn ask_executable(interpreter: &OsString) -> Result<PathBuf, InterpreterError> {
    let output = Command::new(interpreter)
        .args(["-c", "import sys; print(sys.executable)"])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => InterpreterError::NotFound,
            _ => InterpreterError::Spawn(Arc::new(e)),
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(InterpreterError::Failed {
            status: output.status,
            stderr: stderr.lines().last().unwrap_or("").trim().to_owned(),
        });
    }
    let path = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if path.is_empty() {
        return Err(InterpreterError::NoExecutable);
    }
    Ok(PathBuf::from(path))
}

pub(super) fn prepare(
    script: &Script,
    workspace: &Workspace,
    options: &AdapterOptions,
    env: &mut Vec<(OsString, OsString)>,
) -> Result<(PathBuf, Vec<OsString>), AdapterError> {
    let python = interpreter(options)?;
    let runner = workspace.internal().join("runner.py");
    std::fs::write(&runner, RUNNER_SOURCE).map_err(|source| AdapterError::Io {
        path: runner.clone(),
        source,
    })?;
    // Importing the script must not write __pycache__ into the user's repository.
    env.push(("PYTHONDONTWRITEBYTECODE".into(), "1".into()));
    env.push(("PYTHONUNBUFFERED".into(), "1".into()));
    env.push((
        "PYTHONHASHSEED".into(),
        (options.seed % u64::from(u32::MAX)).to_string().into(),
    ));
    let mut args = vec![
        runner.into_os_string(),
        script.path.clone().into_os_string(),
        workspace.context_file().into_os_string(),
    ];
    if let Some(root) = &options.import_root {
        let module = dotted_name(&script.path, root)?;
        args.push(module.into());
        args.push(root.clone().into_os_string());
    }
    Ok((python, args))
}

/// The interpreter a run uses: the one chosen (`--python`, `SF_PYTHON`, `python3`), or, when the
/// script has requirements, the environment sf prepared for them on it.
pub(super) fn interpreter(options: &AdapterOptions) -> Result<PathBuf, AdapterError> {
    let base = resolve_python(options.python.as_deref())?;
    if options.requirements.is_empty() {
        return Ok(base);
    }
    let env = super::environment::prepare(
        &base,
        &options.requirements,
        &super::environment::cache_dir(),
        options.offline,
    )?;
    Ok(env.python)
}

/// The dotted module name of `script` below `root` (`cursus.steps.scripts.train` for
/// `root/cursus/steps/scripts/train.py`).
pub(super) fn dotted_name(script: &Path, root: &Path) -> Result<String, AdapterError> {
    let fail = |reason| AdapterError::ImportRoot {
        script: script.to_owned(),
        root: root.to_owned(),
        reason,
    };
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
    let (script_abs, root_abs) = (canonical(script), canonical(root));
    let relative = script_abs
        .strip_prefix(&root_abs)
        .map_err(|_| fail("the script is not inside it"))?;
    let relative = relative.with_extension("");
    let parts: Vec<&str> = relative
        .components()
        .map(|c| c.as_os_str().to_str().unwrap_or(""))
        .collect();
    let identifier = |p: &&str| {
        let mut chars = p.chars();
        chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
            && chars.all(|c| c.is_alphanumeric() || c == '_')
    };
    if parts.is_empty() || !parts.iter().all(identifier) {
        return Err(fail(
            "every folder below it and the file name must be Python identifiers",
        ));
    }
    Ok(parts.join("."))
}

#[derive(Debug, Deserialize)]
struct Report {
    status: String,
    kind: Option<ScriptErrorKind>,
    #[serde(rename = "type")]
    type_name: Option<String>,
    message: Option<String>,
    traceback: Option<String>,
    environment: Option<ReportedEnvironment>,
    /// What main returned (`null`: `None`); absent when main did not return.
    #[serde(default, deserialize_with = "crate::result::present")]
    returned: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct ReportedEnvironment {
    python: String,
    version: String,
    #[serde(default)]
    packages: std::collections::BTreeMap<String, String>,
}

/// Reads the runner's report from what arrived on the report pipe; returns what main returned,
/// when it returned. A report that is missing, cut short or not the runner's shape is no report,
/// and so never a PASS.
pub(super) fn interpret(result: &mut ExecutionResult) -> Option<serde_json::Value> {
    let report = result
        .report
        .as_deref()
        .and_then(|b| serde_json::from_slice::<Report>(b).ok());
    if let Some(env) = report.as_ref().and_then(|r| r.environment.as_ref()) {
        result.python = Some(crate::run::execution::PythonEnvironment {
            interpreter: env.python.clone(),
            version: env.version.clone(),
            packages: env.packages.clone(),
        });
    }
    match report {
        Some(r) if r.status == "ok" => r.returned,
        Some(r) => {
            result.script_error = Some(ScriptError {
                kind: r.kind.unwrap_or(ScriptErrorKind::Exception),
                exception_type: r.type_name.unwrap_or_else(|| "Error".to_owned()),
                message: r.message.unwrap_or_default(),
                traceback: r.traceback.filter(|t| !t.trim().is_empty()),
            });
            None
        }
        None => {
            result.report_missing = matches!(result.outcome, Outcome::Exited { .. });
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_below_its_import_root_has_a_dotted_name() {
        let root = tempfile::tempdir().unwrap();
        let script = root.path().join("acme/steps/train.py");
        std::fs::create_dir_all(script.parent().unwrap()).unwrap();
        std::fs::write(&script, "").unwrap();
        assert_eq!(
            dotted_name(&script, root.path()).unwrap(),
            "acme.steps.train"
        );
        let elsewhere = tempfile::tempdir().unwrap();
        let err = dotted_name(&script, elsewhere.path()).unwrap_err();
        assert!(err.to_string().contains("not inside it"), "{err}");
        let dashed = root.path().join("my-pkg/train.py");
        std::fs::create_dir_all(dashed.parent().unwrap()).unwrap();
        std::fs::write(&dashed, "").unwrap();
        let err = dotted_name(&dashed, root.path()).unwrap_err();
        assert!(err.to_string().contains("Python identifiers"), "{err}");
    }

    #[test]
    fn a_missing_interpreter_says_where_the_choice_came_from_and_what_went_wrong() {
        let err = resolve_python(Some(Path::new("/nonexistent/python3"))).unwrap_err();
        assert!(
            matches!(
                &err,
                AdapterError::PythonNotFound {
                    source_of_choice: PythonSource::Flag,
                    reason: InterpreterError::NotFound,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            crate::engine::error_chain(&err),
            "python interpreter `/nonexistent/python3` (from --python) is not usable: not found"
        );
    }

    #[test]
    fn an_interpreter_that_fails_reports_its_last_line_of_stderr() {
        let err = ask_executable(&OsString::from("false")).unwrap_err();
        assert!(matches!(&err, InterpreterError::Failed { .. }), "{err:?}");
        assert!(err.to_string().starts_with("it exit status: 1"), "{err}");
    }
}
