//! What one run of one script produced, as the operating system and the adapter saw it.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How the script's process ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// The process exited by itself with this status.
    Exited {
        /// Exit status (0–255).
        code: i32,
    },
    /// The process was killed by a signal it did not catch (and not by sf's timeout).
    Signaled {
        /// Signal number.
        signal: i32,
        /// Conventional name, such as `SIGSEGV`.
        name: String,
        /// Whether the kernel reported a core dump.
        core_dumped: bool,
    },
    /// sf stopped the run at its timeout and killed the whole process group.
    TimedOut {
        /// The timeout that was exceeded.
        #[serde(with = "crate::serde_secs")]
        after: Duration,
    },
    /// sf killed the process group because its resident memory passed the limit.
    OutOfMemory {
        /// The limit, in bytes.
        limit_bytes: u64,
        /// The peak seen, in bytes.
        peak_bytes: u64,
    },
    /// sf itself was interrupted (Ctrl-C, SIGTERM) and stopped the script, or did not start it.
    Interrupted {
        /// The signal sf received, such as `SIGINT`.
        signal: String,
    },
    /// The process could not be started at all.
    SpawnFailed {
        /// Why, in words.
        message: String,
    },
}

impl Outcome {
    /// A short human phrase: `exited with status 3`, `killed by SIGSEGV`, `timed out after 2 s`.
    pub fn describe(&self) -> String {
        match self {
            Outcome::Exited { code } => format!("exited with status {code}"),
            Outcome::Signaled {
                name, core_dumped, ..
            } => {
                let core = if *core_dumped { " (core dumped)" } else { "" };
                format!("killed by {name}{core}")
            }
            Outcome::TimedOut { after } => {
                format!("timed out after {}", crate::format_duration(*after))
            }
            Outcome::OutOfMemory {
                limit_bytes,
                peak_bytes,
            } => format!(
                "out of memory (limit {} MB, peak {} MB)",
                limit_bytes >> 20,
                peak_bytes >> 20
            ),
            Outcome::Interrupted { signal } => {
                format!("interrupted: sf received {signal} and stopped it")
            }
            Outcome::SpawnFailed { message } => format!("failed to start: {message}"),
        }
    }
}

/// The kind of failure a language adapter recognised inside the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScriptErrorKind {
    /// The script file does not parse.
    SyntaxError,
    /// Importing the script failed because a module it imports is missing or broken.
    ImportError,
    /// The script ran code at import time that raised.
    ImportFailed,
    /// The script defines no callable `main`.
    NoMain,
    /// `main` cannot be called with the execution context.
    BadSignature,
    /// `main` raised an exception.
    Exception,
    /// `main` called `sys.exit` with a non-zero status.
    SystemExit,
}

/// An error reported by the adapter from inside the script's process (never scraped from stderr).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptError {
    /// What went wrong, classified.
    pub kind: ScriptErrorKind,
    /// Exception type name, such as `ZeroDivisionError`.
    pub exception_type: String,
    /// Exception message.
    pub message: String,
    /// Formatted traceback limited to the script's own frames, when there is one.
    pub traceback: Option<String>,
}

impl ScriptError {
    /// `Type: message`, the way Python prints an exception's last line.
    pub fn headline(&self) -> String {
        if self.message.is_empty() {
            self.exception_type.clone()
        } else {
            format!("{}: {}", self.exception_type, self.message)
        }
    }
}

/// One execution of one script in one workspace.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExecutionResult {
    /// How the process ended.
    pub outcome: Outcome,
    /// Wall-clock time from spawn to exit.
    #[serde(with = "crate::serde_secs")]
    pub wall_time: Duration,
    /// Peak resident memory of the script's whole process tree, in bytes: the larger of the
    /// kernel's `ru_maxrss` for the child and the peak of the sampled sum over its descendants.
    pub peak_memory_bytes: u64,
    /// The last bytes the script wrote to stdout (the full log is in the workspace).
    pub stdout_tail: String,
    /// The last bytes the script wrote to stderr (the full log is in the workspace).
    pub stderr_tail: String,
    /// Total bytes written to stdout and stderr.
    pub output_bytes: u64,
    /// True when a log file reached its size cap and later output was dropped.
    pub output_truncated: bool,
    /// Full stdout log.
    pub stdout_path: PathBuf,
    /// Full stderr log.
    pub stderr_path: PathBuf,
    /// The error the adapter reported from inside the script, if any.
    pub script_error: Option<ScriptError>,
    /// Set when the script finished without the adapter's report (for example `os._exit(0)`).
    pub report_missing: bool,
    /// Processes of the run that were still alive after the script's main process ended and
    /// were killed by sf.
    pub stray_processes_killed: usize,
    /// Which isolation was in force.
    #[serde(default)]
    pub sandbox: crate::run::sandbox::SandboxReport,
    /// The Python interpreter the script ran in, and the versions of the third-party modules it
    /// imported (python-main scripts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<PythonEnvironment>,
    /// What the script asked `pip` to install while it ran (sf's pip shim answered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installs: Option<InstallRequests>,
    /// What arrived on the report pipe (at most 1 MiB), when the invocation asked for one.
    #[serde(skip)]
    pub report: Option<Vec<u8>>,
    /// How the run was started: forked from a warm interpreter, or cold.
    #[serde(default)]
    pub start: crate::run::warm::Start,
}

/// What a script asked `pip` to install during its run, as sf's pip shim saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallRequests {
    /// `prepare`, `fail` or `skip` (`runtime_installs`).
    pub mode: String,
    /// Requirements the environment already satisfied.
    pub satisfied: Vec<String>,
    /// Requirements the environment lacked.
    pub missing: Vec<String>,
    /// Requirements sf prepared before running the script again (`prepare`).
    #[serde(default)]
    pub prepared: Vec<String>,
}

/// The Python environment a script ran in, as the runner saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PythonEnvironment {
    /// `sys.executable`.
    pub interpreter: String,
    /// The interpreter's version, such as `3.11.7`.
    pub version: String,
    /// Top-level module → the version it declares (`__version__`), for each third-party module
    /// the script imported.
    pub packages: std::collections::BTreeMap<String, String>,
}

impl ExecutionResult {
    /// Peak memory in mebibytes.
    pub fn peak_memory_mb(&self) -> f64 {
        self.peak_memory_bytes as f64 / (1024.0 * 1024.0)
    }
}
