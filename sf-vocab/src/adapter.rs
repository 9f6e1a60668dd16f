//! How a script is invoked.

use std::path::Path;

vocabulary! {
    /// How a script is invoked.
    pub enum AdapterKind("adapter") {
        /// A `.py` file with `main(input_paths, output_paths, environ_vars, job_args)`, called by
        /// sf's runner in a fresh interpreter.
        PythonMain = "python-main",
        /// Any executable; the context arrives through `SF_*` environment variables and
        /// `--key value` arguments, and success is exit status 0.
        Command = "command",
    }
}

impl AdapterKind {
    /// The adapter sf picks for a file: `python-main` for `.py`, `command` for anything else.
    pub fn for_path(path: &Path) -> AdapterKind {
        if path.extension().is_some_and(|e| e == "py") {
            AdapterKind::PythonMain
        } else {
            AdapterKind::Command
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_files_get_the_python_adapter_and_everything_else_the_command() {
        assert_eq!(
            AdapterKind::for_path(Path::new("a/b.py")),
            AdapterKind::PythonMain
        );
        assert_eq!(
            AdapterKind::for_path(Path::new("run.sh")),
            AdapterKind::Command
        );
        assert_eq!(
            AdapterKind::for_path(Path::new("bin")),
            AdapterKind::Command
        );
    }
}
