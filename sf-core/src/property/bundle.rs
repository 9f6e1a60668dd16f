//! Failure bundles: a minimal failing dataset saved as real files with a manifest, written
//! atomically, and found again by the next run.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic::write_json_atomic;

/// The file that marks a directory of the bundle folder as a saved failure.
pub const BUNDLE_MANIFEST: &str = "bundle.json";

/// Where a bundle (and a case directory) keeps its inputs: `inputs/<channel>/` for a script,
/// `inputs/<step>/<channel>/` for a pipeline, as `data_from` reads them.
pub(crate) const BUNDLE_INPUTS: &str = "inputs";
/// A script bundle's copy of the failing run's `context.json` and logs.
pub(crate) const BUNDLE_CONTEXT: &str = "context.json";
pub(crate) const BUNDLE_STDOUT: &str = "stdout.log";
pub(crate) const BUNDLE_STDERR: &str = "stderr.log";

/// The contents of `bundle.json`, for a script's bundle and a pipeline's alike.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Manifest {
    #[serde(default)]
    pub(crate) test_name: String,
    /// The script that failed (a script's bundle).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) script: Option<String>,
    /// The pipeline that failed (a pipeline's bundle); its replay only takes bundles of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pipeline: Option<String>,
    /// Seed of the case generator ([`PropertyConfig::seed`](super::PropertyConfig::seed)).
    pub(crate) seed: u64,
    /// Seed of the channels the property run does not generate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) data_seed: Option<u64>,
    #[serde(default, alias = "first_failure")]
    pub(crate) error_message: Option<String>,
    #[serde(default)]
    pub(crate) minimal_rows: BTreeMap<String, usize>,
    #[serde(default)]
    pub(crate) cases_run: u32,
    #[serde(default)]
    pub(crate) shrink_steps: u32,
    #[serde(default)]
    pub(crate) replay: String,
    /// What the replay command cannot reproduce (see [`TestSpec::replay_gaps`]).
    ///
    /// [`TestSpec::replay_gaps`]: crate::spec::TestSpec::replay_gaps
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) replay_notes: Vec<String>,
    #[serde(default)]
    pub(crate) sf_version: String,
}

impl Manifest {
    /// The manifest of the bundle at `dir`. What cannot be read is left at its default (and
    /// logged): the bundle's inputs are what a replay needs, and a bundle is never skipped for
    /// a manifest it does not need.
    pub(crate) fn read(dir: &Path) -> Manifest {
        let path = dir.join(BUNDLE_MANIFEST);
        let parsed = fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()));
        parsed.unwrap_or_else(|err| {
            tracing::warn!(%err, manifest = %path.display(), "reading a failure bundle without its manifest");
            Manifest::default()
        })
    }
}

/// The saved bundles under `dir`, in name order. Hidden directories are bundles being written.
pub(crate) fn saved_bundles(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut bundles: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.join(BUNDLE_MANIFEST).is_file())
        .collect();
    bundles.sort();
    bundles
}

/// Writes a bundle under `root`, named `<prefix>-<time>-<random>`: `fill` writes its files
/// into a hidden directory, then the `replay` file of the manifest's command, then `manifest` (which may name the final directory, for example in
/// its replay command) is written, and the directory is renamed onto a name reserved
/// beforehand, so a reader (or the next run's replay) never sees half a bundle.
pub(crate) fn write_bundle(
    root: &Path,
    prefix: &str,
    fill: impl FnOnce(&Path) -> io::Result<()>,
    manifest: impl FnOnce(&Path) -> Manifest,
) -> io::Result<PathBuf> {
    fs::create_dir_all(root)?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    // An empty directory reserves the unique name; the finished bundle replaces it.
    let reserved = tempfile::Builder::new()
        .prefix(&format!("{prefix}-{stamp}-"))
        .rand_bytes(6)
        .tempdir_in(root)?;
    let final_path = fs::canonicalize(reserved.path())?;
    let building = tempfile::Builder::new()
        .prefix(".sf-bundle-")
        .tempdir_in(root)?;
    fill(building.path())?;
    let manifest = manifest(&final_path);
    if !manifest.replay.is_empty() {
        crate::replay::write_replay_file(
            building.path(),
            &manifest.replay,
            &manifest.replay_notes,
        )?;
    }
    write_json_atomic(&building.path().join(BUNDLE_MANIFEST), &manifest)?;
    // Temporary directories are private (0700); a bundle is meant to be shared and committed.
    fs::set_permissions(building.path(), fs::Permissions::from_mode(0o755))?;
    let reserved = reserved.keep();
    let built = building.keep();
    // Renaming a directory onto an empty one replaces it in one step.
    if let Err(err) = fs::rename(&built, &reserved) {
        // Best effort: the error below is what matters.
        let _ = fs::remove_dir_all(&built);
        let _ = fs::remove_dir(&reserved);
        return Err(err);
    }
    Ok(final_path)
}
