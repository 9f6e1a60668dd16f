//! Python environments sf prepares: a virtual environment per distinct requirement set and
//! interpreter, built once (with `uv` when it is installed, else `python -m venv` and pip) into a
//! cache shared by every run, test and process that uses the same cache directory.
//!
//! An environment sees the interpreter's own site-packages (`--system-site-packages`), so what
//! the interpreter already has stays importable and a requirement it already satisfies costs
//! nothing; what the requirements add goes into the environment only — the interpreter itself is
//! never modified.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a run asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirements {
    /// Requirement specifiers (`pandas>=2`, `xgboost==1.7.6`).
    pub specifiers: Vec<String>,
    /// Requirements files (`requirements.txt`), read by the installer.
    pub files: Vec<PathBuf>,
    /// What a script asked `pip` for while it ran (plain name-and-version requirements),
    /// installed after the rest and from wheels only, never built from source: installing it
    /// runs no code of the script's choosing outside the run's container.
    #[serde(default)]
    pub asked_at_run: Vec<String>,
}

impl Requirements {
    /// Whether nothing is asked for.
    pub fn is_empty(&self) -> bool {
        self.specifiers.is_empty() && self.files.is_empty() && self.asked_at_run.is_empty()
    }

    /// `pandas>=2, xgboost and requirements.txt`.
    pub fn describe(&self) -> String {
        let mut parts = self.specifiers.clone();
        parts.extend(self.asked_at_run.iter().cloned());
        parts.extend(self.files.iter().map(|f| f.display().to_string()));
        parts.join(", ")
    }
}

/// Whether `text` is a plain, name-based requirement (`pandas`, `xgboost==1.7.6`,
/// `scikit-learn[extra]>=1.2,<2`): no URL, path, option or marker. Only such requirements, asked
/// for by a script while it ran, are prepared for it; anything else could make the installer run
/// outside the run's container what the script chose.
pub fn is_plain_requirement(text: &str) -> bool {
    let text = text.trim();
    let name_end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || "._-".contains(c)))
        .unwrap_or(text.len());
    let (name, mut rest) = text.split_at(name_end);
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return false;
    }
    if let Some(extras) = rest.strip_prefix('[') {
        let Some((inside, after)) = extras.split_once(']') else {
            return false;
        };
        if !inside
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-, ".contains(c))
        {
            return false;
        }
        rest = after;
    }
    let rest = rest.trim();
    if rest.is_empty() {
        return true;
    }
    rest.split(',').all(|clause| {
        let clause = clause.trim();
        let op_len = ["===", "~=", "==", "!=", "<=", ">=", "<", ">"]
            .iter()
            .find(|op| clause.starts_with(*op))
            .map(|op| op.len());
        op_len.is_some_and(|n| {
            let version = clause[n..].trim();
            !version.is_empty()
                && version
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".*+!_-".contains(c))
        })
    })
}

/// Why an environment could not be had.
#[derive(Debug, thiserror::Error)]
pub enum EnvironmentError {
    /// `--offline`, and the environment is not in the cache.
    #[error(
        "the Python environment for {requirements} is not in the cache ({}) and --offline forbids building it; run once without --offline",
        cache.display()
    )]
    NotCached {
        /// What was asked for.
        requirements: String,
        /// The cache directory.
        cache: PathBuf,
    },
    /// The installer failed.
    #[error("cannot install {requirements} for {}: {reason}", interpreter.display())]
    InstallFailed {
        /// What was asked for.
        requirements: String,
        /// The interpreter.
        interpreter: PathBuf,
        /// The installer's last lines.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("cannot prepare the Python environment in {}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

/// A ready environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// Its interpreter (`…/bin/python`).
    pub python: PathBuf,
    /// Its folder in the cache.
    pub dir: PathBuf,
    /// Whether this call built it (rather than finding it in the cache).
    pub built: bool,
}

/// The cache directory: `SF_CACHE_DIR`, else `$XDG_CACHE_HOME/sf`, else `~/.cache/sf`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SF_CACHE_DIR").filter(|d| !d.is_empty()) {
        // A relative directory would mean another place for every run's working directory.
        return std::path::absolute(&dir).unwrap_or_else(|_| PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("sf");
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(home) => PathBuf::from(home).join(".cache/sf"),
        None => std::env::temp_dir().join("sf-cache"),
    }
}

/// The environment's key: the requirement set (specifiers, and each file's content) and the
/// interpreter (its path, size and modification time, so an upgrade makes a new one).
fn key(interpreter: &Path, requirements: &Requirements) -> Result<String, EnvironmentError> {
    let mut hash = Sha256::new();
    let meta = fs::metadata(interpreter).map_err(|source| EnvironmentError::Io {
        path: interpreter.to_owned(),
        source,
    })?;
    hash.update(interpreter.as_os_str().as_encoded_bytes());
    hash.update(meta.len().to_le_bytes());
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    hash.update(modified.to_le_bytes());
    let mut specifiers = requirements.specifiers.clone();
    specifiers.sort();
    for s in &specifiers {
        hash.update(b"\0spec\0");
        hash.update(s.as_bytes());
    }
    let mut asked = requirements.asked_at_run.clone();
    asked.sort();
    for s in &asked {
        hash.update(b"\0asked\0");
        hash.update(s.as_bytes());
    }
    // Each file, and the files it includes (`-r`, `-c`), by content and by place: a relative
    // entry (`-e .`, `./pkg`) means something else in another folder.
    let mut pending: Vec<PathBuf> = requirements.files.clone();
    let mut seen = BTreeSet::new();
    while let Some(file) = pending.pop() {
        let file = std::path::absolute(&file).unwrap_or(file);
        if !seen.insert(file.clone()) || seen.len() > 100 {
            continue;
        }
        let text = fs::read_to_string(&file).map_err(|source| EnvironmentError::Io {
            path: file.clone(),
            source,
        })?;
        hash.update(b"\0file\0");
        hash.update(file.as_os_str().as_encoded_bytes());
        hash.update(text.as_bytes());
        for line in text.lines() {
            let line = line.trim();
            for prefix in ["-r ", "--requirement ", "-c ", "--constraint "] {
                if let Some(nested) = line.strip_prefix(prefix) {
                    let dir = file.parent().unwrap_or(Path::new("."));
                    pending.push(dir.join(nested.trim()));
                }
            }
        }
    }
    Ok(hash
        .finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The file whose presence says an environment is complete.
const READY: &str = "sf-environment.json";

/// The environment for `requirements` on `interpreter`, from the cache or built now (one
/// builder at a time per environment; others wait for it). `offline` (or `SF_OFFLINE=1`): never
/// build.
pub fn prepare(
    interpreter: &Path,
    requirements: &Requirements,
    cache: &Path,
    offline: bool,
) -> Result<Environment, EnvironmentError> {
    let io_err = |path: &Path| {
        let path = path.to_owned();
        move |source| EnvironmentError::Io { path, source }
    };
    let envs = cache.join("envs");
    fs::create_dir_all(&envs).map_err(io_err(&envs))?;
    let key = key(interpreter, requirements)?;
    let dir = envs.join(&key);
    let python = dir.join("bin/python");
    let ready = || dir.join(READY).is_file() && python.exists();
    if ready() {
        return Ok(Environment {
            python,
            dir,
            built: false,
        });
    }
    let offline_env = std::env::var("SF_OFFLINE").is_ok_and(|v| {
        !matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "" | "0" | "false" | "no"
        )
    });
    if offline || offline_env {
        return Err(EnvironmentError::NotCached {
            requirements: requirements.describe(),
            cache: cache.to_owned(),
        });
    }
    let lock_path = envs.join(format!("{key}.lock"));
    let lock_file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io_err(&lock_path))?;
    let _lock = nix::fcntl::Flock::lock(lock_file, nix::fcntl::FlockArg::LockExclusive).map_err(
        |(_, errno)| EnvironmentError::Io {
            path: lock_path.clone(),
            source: errno.into(),
        },
    )?;
    // Another process may have built it while this one waited.
    if ready() {
        return Ok(Environment {
            python,
            dir,
            built: false,
        });
    }
    tracing::info!(requirements = %requirements.describe(), dir = %dir.display(), "preparing a Python environment (once; cached)");
    // Built in place, under the lock: scripts an environment installs name its own
    // interpreter in their first line, so it cannot be moved once built. The ready file, written
    // last, says it is complete; a folder without it is what an interrupted build left.
    if dir.exists() {
        fs::remove_dir_all(&dir).map_err(io_err(&dir))?;
    }
    let spinner = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(format!(
            "sf: preparing a Python environment for {} (once; cached in {})",
            requirements.describe(),
            cache.display()
        ));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    });
    let result = build(interpreter, requirements, &dir);
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    if let Err(err) = result {
        let _ = fs::remove_dir_all(&dir);
        return Err(err);
    }
    let record = serde_json::json!({
        "interpreter": interpreter,
        "requirements": requirements,
        "installer": if uv().is_some() { "uv" } else { "pip" },
    });
    let ready_file = dir.join(READY);
    crate::write_atomic(&ready_file, record.to_string().as_bytes()).map_err(io_err(&ready_file))?;
    Ok(Environment {
        python,
        dir,
        built: true,
    })
}

/// `uv` on the PATH, if there is one.
fn uv() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("uv"))
        .find(|p| p.is_file())
}

fn build(
    interpreter: &Path,
    requirements: &Requirements,
    dir: &Path,
) -> Result<(), EnvironmentError> {
    let python = dir.join("bin/python");
    let uv_tool = uv();
    // The environment, then what the configuration asks for (files, then specifiers after `--`,
    // so none is read as an option), then what the script asked for, from wheels only.
    let mut declared: Vec<String> = Vec::new();
    for file in &requirements.files {
        declared.push("-r".to_owned());
        declared.push(file.display().to_string());
    }
    if !requirements.specifiers.is_empty() {
        declared.push("--".to_owned());
        declared.extend(requirements.specifiers.iter().cloned());
    }
    let mut asked: Vec<String> = Vec::new();
    if !requirements.asked_at_run.is_empty() {
        asked.push(
            if uv_tool.is_some() {
                "--no-build"
            } else {
                "--only-binary=:all:"
            }
            .to_owned(),
        );
        asked.push("--".to_owned());
        asked.extend(requirements.asked_at_run.iter().cloned());
    }
    let install = |args: &[String]| -> Command {
        match &uv_tool {
            Some(uv) => {
                let mut c = Command::new(uv);
                c.args(["pip", "install", "--quiet", "--python"])
                    .arg(&python)
                    .args(args);
                c
            }
            None => {
                let mut c = Command::new(&python);
                c.args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--no-input",
                ])
                .args(args);
                c
            }
        }
    };
    let venv = match &uv_tool {
        Some(uv) => {
            let mut c = Command::new(uv);
            c.args(["venv", "--quiet", "--system-site-packages", "--python"])
                .arg(interpreter)
                .arg(dir);
            c
        }
        None => {
            let mut c = Command::new(interpreter);
            c.args(["-m", "venv", "--system-site-packages"]).arg(dir);
            c
        }
    };
    let steps: Vec<Command> = std::iter::once(venv)
        .chain(
            [&declared, &asked]
                .into_iter()
                .filter(|a| !a.is_empty())
                .map(|a| install(a)),
        )
        .collect();
    for mut step in steps {
        let out = step
            .stdin(Stdio::null())
            .output()
            .map_err(|source| EnvironmentError::Io {
                path: PathBuf::from(step.get_program()),
                source,
            })?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = stderr
                .lines()
                .filter(|l| !l.trim().is_empty())
                .rev()
                .take(6)
                .collect();
            return Err(EnvironmentError::InstallFailed {
                requirements: requirements.describe(),
                interpreter: interpreter.to_owned(),
                reason: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_follows_the_set_not_its_order_and_the_files_content() {
        let dir = tempfile::tempdir().unwrap();
        let interpreter = dir.path().join("python");
        fs::write(&interpreter, "").unwrap();
        let a = Requirements {
            specifiers: vec!["b".into(), "a>=1".into()],
            files: vec![],
            ..Default::default()
        };
        let b = Requirements {
            specifiers: vec!["a>=1".into(), "b".into()],
            files: vec![],
            ..Default::default()
        };
        assert_eq!(
            key(&interpreter, &a).unwrap(),
            key(&interpreter, &b).unwrap()
        );
        let file = dir.path().join("requirements.txt");
        fs::write(&file, "x==1\n").unwrap();
        let with_file = Requirements {
            specifiers: vec![],
            files: vec![file.clone()],
            ..Default::default()
        };
        let first = key(&interpreter, &with_file).unwrap();
        fs::write(&file, "x==2\n").unwrap();
        assert_ne!(first, key(&interpreter, &with_file).unwrap());
    }

    #[test]
    fn only_plain_requirements_are_prepared_for_a_script() {
        for ok in [
            "pandas",
            "xgboost==1.7.6",
            "scikit-learn[a,b]>=1.2, <2",
            "numpy~=1.26.0",
            "x==1.*",
        ] {
            assert!(is_plain_requirement(ok), "{ok}");
        }
        for bad in [
            "--target=/tmp/x",
            "-e .",
            "git+https://example.invalid/x.git",
            "./local/pkg",
            "x==1; python_version<'3'",
            "x @ https://example.invalid/x.whl",
            "x==1 --index-url http://evil",
            "",
        ] {
            assert!(!is_plain_requirement(bad), "{bad}");
        }
    }

    #[test]
    fn offline_without_a_cached_environment_says_what_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let interpreter = dir.path().join("python");
        fs::write(&interpreter, "").unwrap();
        let req = Requirements {
            specifiers: vec!["pandas>=2".into()],
            files: vec![],
            ..Default::default()
        };
        let err = prepare(&interpreter, &req, dir.path(), true).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("pandas>=2") && text.contains("--offline"),
            "{text}"
        );
    }
}
