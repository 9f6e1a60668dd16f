//! Scripts under test and how sf finds them.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use sf_vocab::AdapterKind;
use sf_vocab::script_file_names;

/// Which script a test runs: a name to discover, or a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScriptRef {
    /// A name such as `currency_conversion`, looked up in the conventional places.
    Name(String),
    /// A file path (relative paths are relative to the discovery base directory).
    Path(PathBuf),
}

impl ScriptRef {
    /// A path when the text looks like one (it has a `/` or a file extension), else a name.
    pub fn parse(text: &str) -> ScriptRef {
        let p = Path::new(text);
        if text.contains('/') || p.extension().is_some() {
            ScriptRef::Path(p.to_owned())
        } else {
            ScriptRef::Name(text.to_owned())
        }
    }

    /// The script's name: the file stem of a path, or the name itself.
    pub fn name(&self) -> String {
        match self {
            ScriptRef::Name(n) => n.clone(),
            ScriptRef::Path(p) => p.file_stem().map_or_else(
                || p.display().to_string(),
                |s| s.to_string_lossy().into_owned(),
            ),
        }
    }
}

/// A script that exists on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Script {
    /// File stem.
    pub name: String,
    /// Absolute path.
    pub path: PathBuf,
    /// How it is invoked.
    pub adapter: AdapterKind,
}

/// The script was not found; lists every place sf looked, or says that the path given is a
/// directory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe_not_found(self))]
pub struct ScriptNotFound {
    /// What was asked for.
    pub name: String,
    /// Every path tried, in order.
    pub searched: Vec<PathBuf>,
    /// The path given, when it is a directory rather than a script.
    pub directory: Option<PathBuf>,
}

fn describe_not_found(e: &ScriptNotFound) -> String {
    match &e.directory {
        Some(dir) => format!(
            "{} is a directory; give one script file in it (such as {}/NAME.py), or the script's \
             name with the directory as --scripts-dir",
            dir.display(),
            dir.display()
        ),
        None => format!(
            "script `{}` not found; looked in:{}",
            e.name,
            e.searched
                .iter()
                .map(|p| format!("\n  {}", p.display()))
                .collect::<String>()
        ),
    }
}

/// Directories searched for a script name, relative to the base directory, before any
/// `--scripts-dir`.
pub use sf_vocab::CONVENTIONAL_SCRIPT_DIRS as CONVENTIONAL_DIRS;

/// Finds the script `script` refers to. Names are looked up in [`CONVENTIONAL_DIRS`] under
/// `base`, then in each of `extra_dirs`, trying `NAME.py`, `NAME.sh` and `NAME` in each.
pub fn find(
    script: &ScriptRef,
    base: &Path,
    extra_dirs: &[PathBuf],
) -> Result<Script, ScriptNotFound> {
    let mut searched = Vec::new();
    let found = match script {
        ScriptRef::Path(p) => {
            let path = if p.is_absolute() {
                p.clone()
            } else {
                base.join(p)
            };
            searched.push(path.clone());
            path.is_file().then_some(path)
        }
        ScriptRef::Name(name) => {
            let dirs = CONVENTIONAL_DIRS
                .iter()
                .map(|d| base.join(d))
                .chain(extra_dirs.iter().map(|d| {
                    if d.is_absolute() {
                        d.clone()
                    } else {
                        base.join(d)
                    }
                }));
            let mut hit = None;
            'dirs: for dir in dirs {
                for file in script_file_names(name) {
                    let path = dir.join(file);
                    searched.push(path.clone());
                    if path.is_file() {
                        hit = Some(path);
                        break 'dirs;
                    }
                }
            }
            hit
        }
    };
    let Some(path) = found else {
        let directory = match script {
            ScriptRef::Path(_) => searched.first().filter(|p| p.is_dir()).cloned(),
            ScriptRef::Name(name) => Some(base.join(name)).filter(|p| p.is_dir()),
        };
        return Err(ScriptNotFound {
            name: script.name(),
            searched,
            directory,
        });
    };
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    Ok(Script {
        name: script.name(),
        adapter: AdapterKind::for_path(&path),
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn names_are_found_in_the_conventional_places_in_order() {
        let base = tempfile::tempdir().unwrap();
        fs::create_dir_all(base.path().join("scripts")).unwrap();
        fs::create_dir_all(base.path().join("cursus/steps/scripts")).unwrap();
        fs::write(base.path().join("scripts/s.py"), "").unwrap();
        fs::write(base.path().join("cursus/steps/scripts/s.py"), "").unwrap();
        let found = find(&ScriptRef::parse("s"), base.path(), &[]).unwrap();
        assert!(
            found.path.ends_with("cursus/steps/scripts/s.py"),
            "{:?}",
            found.path
        );
        assert_eq!(found.adapter, AdapterKind::PythonMain);
    }

    #[test]
    fn extra_directories_are_searched_after_the_conventional_ones() {
        let base = tempfile::tempdir().unwrap();
        let extra = tempfile::tempdir().unwrap();
        fs::write(extra.path().join("run.sh"), "").unwrap();
        let found = find(
            &ScriptRef::parse("run"),
            base.path(),
            &[extra.path().to_owned()],
        )
        .unwrap();
        assert_eq!(found.adapter, AdapterKind::Command);
        assert_eq!(found.name, "run");
    }

    #[test]
    fn not_found_lists_every_place_it_looked() {
        let base = tempfile::tempdir().unwrap();
        let err = find(
            &ScriptRef::parse("ghost"),
            base.path(),
            &[PathBuf::from("more")],
        )
        .unwrap_err();
        assert_eq!(err.searched.len(), 12);
        let text = err.to_string();
        for dir in CONVENTIONAL_DIRS.iter().chain(&["more"]) {
            assert!(text.contains(&format!("{dir}/ghost.py")), "{text}");
        }
    }

    #[test]
    fn a_path_is_taken_as_given() {
        let base = tempfile::tempdir().unwrap();
        fs::write(base.path().join("x.py"), "").unwrap();
        assert!(find(&ScriptRef::parse("x.py"), base.path(), &[]).is_ok());
        let err = find(&ScriptRef::parse("nope/y.py"), base.path(), &[]).unwrap_err();
        assert_eq!(err.name, "y");
        assert_eq!(err.searched, vec![base.path().join("nope/y.py")]);
    }
}
