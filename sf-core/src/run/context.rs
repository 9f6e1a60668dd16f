//! The execution context: the four things a script's `main` receives.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// What a script is called with: `main(input_paths, output_paths, environ_vars, job_args)`.
///
/// Every map is keyed by logical channel (or variable, or argument) name. Paths are absolute and
/// point into the run's [`Workspace`](crate::Workspace). The same value is written to the
/// workspace's `context.json` and handed to command scripts through `SF_CONTEXT`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExecutionContext {
    /// Input channel name → directory holding that channel's data.
    pub input_paths: BTreeMap<String, PathBuf>,
    /// Output channel name → directory the script is expected to write into.
    pub output_paths: BTreeMap<String, PathBuf>,
    /// Environment variables the script expects (also set in its process environment).
    pub environ_vars: BTreeMap<String, String>,
    /// Job arguments, typed: strings, numbers, booleans, lists. The Python adapter passes them as
    /// an `argparse.Namespace`; the command adapter as `--key value`.
    pub job_args: BTreeMap<String, serde_json::Value>,
}
