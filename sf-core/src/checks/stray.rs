//! Writes a script made in its workspace outside its outputs: found by comparing the inputs
//! before and after the run.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::workspace::Workspace;

/// What the workspace looked like before the script ran, to tell what it changed outside its
/// outputs afterwards.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    inputs: BTreeMap<PathBuf, crate::tree::FileStamp>,
}

impl Snapshot {
    pub(crate) fn take(workspace: &Workspace) -> Snapshot {
        Snapshot {
            inputs: crate::tree::stamps(&workspace.inputs()),
        }
    }

    /// Entries (relative to the workspace) the script created at the top of its workspace,
    /// beside sf's own.
    pub(crate) fn stray_entries(&self, workspace: &Workspace) -> Vec<String> {
        let mut stray = BTreeSet::new();
        if let Ok(entries) = fs::read_dir(workspace.path()) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if !Workspace::is_own_entry(&name) && !name.starts_with(".sf-tmp-") {
                    stray.insert(name);
                }
            }
        }
        stray.into_iter().collect()
    }

    /// Input files (relative to the workspace) the script created, changed or deleted.
    pub(crate) fn input_changes(&self, workspace: &Workspace) -> Vec<String> {
        let mut changed = BTreeSet::new();
        let now = crate::tree::stamps(&workspace.inputs());
        let rel = |p: &Path| {
            p.strip_prefix(workspace.path())
                .unwrap_or(p)
                .display()
                .to_string()
        };
        for (path, meta) in &now {
            match self.inputs.get(path) {
                Some(before) if before == meta => {}
                Some(_) => {
                    changed.insert(format!("{} (modified)", rel(path)));
                }
                None => {
                    changed.insert(format!("{} (created)", rel(path)));
                }
            }
        }
        for path in self.inputs.keys().filter(|p| !now.contains_key(*p)) {
            changed.insert(format!("{} (deleted)", rel(path)));
        }
        changed.into_iter().collect()
    }
}
