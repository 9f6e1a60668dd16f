//! Stored results: the `result.json` of every workspace under a root.

use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::result::TestResult;
use crate::workspace::scan_root;

/// A result read back from a workspace.
#[derive(Debug, Clone, Serialize)]
pub struct StoredResult {
    /// The workspace it came from (also the result's `workspace`, which is where the JSON form
    /// says it: one key).
    #[serde(skip)]
    pub workspace: PathBuf,
    /// What `result.json` holds.
    #[serde(flatten)]
    pub result: TestResult,
}

/// What [`list_results`] found.
#[derive(Debug, Default)]
pub struct Listing {
    /// Readable results, newest first.
    pub results: Vec<StoredResult>,
    /// Workspaces whose `result.json` is missing (a run in progress or interrupted) or unreadable,
    /// with the reason.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// Reads the `result.json` of every sf workspace directly under `root`, newest first.
pub fn list_results(root: &Path) -> io::Result<Listing> {
    let (workspaces, _) = scan_root(root)?;
    let mut listing = Listing::default();
    for ws in workspaces {
        let file = crate::workspace::Workspace::at(&ws).result_file();
        match std::fs::read(&file) {
            Ok(bytes) => match serde_json::from_slice::<TestResult>(&bytes) {
                Ok(mut result) => {
                    // Where it is now, even if the folder was moved or renamed since.
                    let ws = std::path::absolute(&ws).unwrap_or(ws);
                    result.workspace = ws.clone();
                    listing.results.push(StoredResult {
                        workspace: ws,
                        result,
                    });
                }
                Err(err) => listing
                    .unreadable
                    .push((ws, format!("{}: {err}", file.display()))),
            },
            Err(err) if err.kind() == io::ErrorKind::NotFound => listing.unreadable.push((
                ws,
                "no result.json (run in progress or interrupted)".to_owned(),
            )),
            Err(err) => listing
                .unreadable
                .push((ws, format!("{}: {err}", file.display()))),
        }
    }
    listing
        .results
        .sort_by_key(|r| std::cmp::Reverse(r.result.timestamp));
    Ok(listing)
}
