//! Golden outputs: an accepted copy of an output channel kept beside `sf.toml`
//! (`sf-golden/<test>/<channel>/`), and the comparison of a later run's files with it. Tables
//! row by row with a numeric tolerance, JSON value by value, other files byte for byte;
//! volatile columns (and JSON keys) are left out.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::rows::{Cell, Number, for_each_row};
use super::shape::is_tabular;

/// How one output channel is compared with its golden copy.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Golden {
    /// The largest difference between two numbers that still counts as equal (0: exact).
    pub tolerance: f64,
    /// Per column (or JSON key): a tolerance of its own.
    pub tolerances: BTreeMap<String, f64>,
    /// Columns (or JSON keys, or JSON pointers such as `/run/id`) left out of the comparison:
    /// timestamps, run ids.
    pub volatile: Vec<String>,
}

/// What a run does with golden outputs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GoldenMode {
    /// Compare with the golden copy; a difference (or no copy yet) fails, and the new files
    /// wait beside it for `sf review`.
    #[default]
    Compare,
    /// Take the run's outputs as the new golden copy (never when `CI` is set).
    Accept,
}

/// The most a golden channel may hold: golden copies are for small files.
pub const GOLDEN_LIMIT: u64 = 10 << 20;
/// How many differing rows (or values) a diff shows per file.
const SHOWN: usize = 5;
/// Marks a golden channel directory as sf's (sf replaces only what it made).
pub(crate) const GOLDEN_MARKER: &str = ".sf-golden";
/// Marks the new outputs that wait for review, beside the golden copy.
pub(crate) const PENDING_MARKER: &str = ".sf-pending";
/// The suffix of a channel's pending directory: `<channel>.new`.
pub const PENDING_SUFFIX: &str = ".new";

/// How a channel compared with its golden copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GoldenStatus {
    /// The files match.
    Matched,
    /// The run's files became the golden copy.
    Accepted,
    /// The files differ.
    Differs,
    /// There is no golden copy yet.
    Missing,
    /// The comparison could not be made (too large, not sf's, unreadable, CI refusing).
    Refused,
}

/// The comparison of one output channel with its golden copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoldenDiff {
    /// The output channel.
    pub channel: String,
    /// How it went.
    pub status: GoldenStatus,
    /// The golden copy's directory.
    pub golden: PathBuf,
    /// Where the new files wait for `sf review`, when they do.
    pub pending: Option<PathBuf>,
    /// Why, for a refusal or a missing copy.
    pub reason: Option<String>,
    /// The files that differ.
    pub files: Vec<FileDiff>,
}

/// How one file differs from its golden copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileDiff {
    /// The file, relative to the channel.
    pub file: String,
    /// In a few words: `123 of 600 rows differ`, `only in the golden copy`.
    pub summary: String,
    /// Per column (or JSON pointer): how many rows differ in it.
    pub columns: BTreeMap<String, usize>,
    /// The first differences: `row 4: label = 1 (golden 0)`.
    pub first: Vec<String>,
}

impl GoldenDiff {
    /// True when the run may pass.
    pub fn holds(&self) -> bool {
        matches!(self.status, GoldenStatus::Matched | GoldenStatus::Accepted)
    }
}

impl fmt::Display for GoldenDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            GoldenStatus::Matched => write!(f, "matches {}", self.golden.display())?,
            GoldenStatus::Accepted => write!(f, "accepted as {}", self.golden.display())?,
            GoldenStatus::Missing | GoldenStatus::Refused => {
                write!(f, "{}", self.reason.as_deref().unwrap_or("no golden copy"))?
            }
            GoldenStatus::Differs => {
                write!(f, "differs from its golden copy {}", self.golden.display())?;
                for file in &self.files {
                    write!(f, "; {}: {}", file.file, file.summary)?;
                    if !file.columns.is_empty() {
                        let per: Vec<String> = file
                            .columns
                            .iter()
                            .map(|(c, n)| format!("{c}: {n}"))
                            .collect();
                        write!(f, " ({})", per.join(", "))?;
                    }
                    if !file.first.is_empty() {
                        write!(f, ": {}", file.first.join("; "))?;
                    }
                }
            }
        }
        if let Some(p) = &self.pending {
            write!(
                f,
                "; the new files wait in {} (accept them with `sf review`, `sf test --accept`, or SF_ACCEPT=1 for #[script_test])",
                p.display()
            )?;
        }
        Ok(())
    }
}

/// Whether `SF_ACCEPT` (`1`, `true`, `yes`) asks to accept the run's outputs as golden copies:
/// the `--accept` of `cargo test` (attribute tests and the harness).
pub fn accept_from_env() -> bool {
    matches!(
        std::env::var("SF_ACCEPT").as_deref(),
        Ok("1") | Ok("true") | Ok("yes")
    )
}

/// Whether this is a CI run, where golden outputs are never accepted or written.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// Compares the output channel at `output` with its golden copy at `golden` (or accepts it as
/// one), writing the new files beside the copy for review when they differ (not in CI).
pub(crate) fn compare(
    channel: &str,
    output: &Path,
    golden: &Path,
    settings: &Golden,
    mode: GoldenMode,
) -> GoldenDiff {
    compare_with(channel, output, golden, settings, mode, in_ci())
}

fn compare_with(
    channel: &str,
    output: &Path,
    golden: &Path,
    settings: &Golden,
    mode: GoldenMode,
    ci: bool,
) -> GoldenDiff {
    let mut diff = GoldenDiff {
        channel: channel.to_owned(),
        status: GoldenStatus::Refused,
        golden: golden.to_owned(),
        pending: None,
        reason: None,
        files: Vec::new(),
    };
    let size = tree_size(output);
    if size > GOLDEN_LIMIT {
        diff.reason = Some(format!(
            "golden outputs are for small files: `{channel}` holds {:.1} MiB, more than the {} MiB limit; \
             compare a sample, or check the channel with expectations instead",
            size as f64 / (1u64 << 20) as f64,
            GOLDEN_LIMIT >> 20
        ));
        return diff;
    }
    if mode == GoldenMode::Accept {
        if ci {
            diff.reason = Some(format!(
                "CI is set: sf never accepts golden outputs in CI; accept `{channel}` on a \
                 developer machine and commit {}",
                golden.display()
            ));
            return diff;
        }
        return match replace_dir(output, golden, GOLDEN_MARKER) {
            Ok(()) => GoldenDiff {
                status: GoldenStatus::Accepted,
                ..diff
            },
            Err(e) => GoldenDiff {
                reason: Some(format!("cannot write {}: {e}", golden.display())),
                ..diff
            },
        };
    }
    if !golden.join(GOLDEN_MARKER).is_file() {
        diff.status = GoldenStatus::Missing;
        diff.reason = Some(if golden.exists() {
            format!(
                "{} exists but is not a golden copy sf made; sf does not read or replace it",
                golden.display()
            )
        } else {
            format!("has no golden copy yet at {}", golden.display())
        });
        if golden.exists() {
            diff.status = GoldenStatus::Refused;
            return diff;
        }
    } else {
        diff.files = compare_dirs(output, golden, settings);
        if diff.files.is_empty() {
            diff.status = GoldenStatus::Matched;
            return diff;
        }
        diff.status = GoldenStatus::Differs;
    }
    if ci {
        diff.reason = diff
            .reason
            .map(|r| format!("{r} (CI is set: sf writes no golden files in CI)"));
    } else {
        let pending = pending_dir(golden);
        match replace_dir(output, &pending, PENDING_MARKER) {
            Ok(()) => {
                diff.pending = Some(pending.clone());
                // The marker says what differs, as this run's settings saw it, for `sf review`.
                if let Err(e) =
                    crate::atomic::write_json_atomic(&pending.join(PENDING_MARKER), &diff)
                {
                    tracing::warn!(err = %e, path = %pending.display(), "cannot record the difference for review");
                }
            }
            Err(e) => {
                tracing::warn!(err = %e, path = %pending.display(), "cannot keep the new outputs for review")
            }
        }
    }
    diff
}

/// `<golden>.new`, where a channel's new files wait for review.
pub fn pending_dir(golden: &Path) -> PathBuf {
    let mut name = golden.file_name().unwrap_or_default().to_owned();
    name.push(PENDING_SUFFIX);
    golden.with_file_name(name)
}

/// Accepts the pending files at `pending` (a `<channel>.new` directory sf made) as the golden
/// copy beside it.
pub fn accept_pending(pending: &Path) -> io::Result<PathBuf> {
    if !pending.join(PENDING_MARKER).is_file() {
        return Err(io::Error::other(format!(
            "{} is not a directory of new outputs sf made",
            pending.display()
        )));
    }
    let name = pending.file_name().unwrap_or_default().to_string_lossy();
    let golden = pending.with_file_name(name.strip_suffix(PENDING_SUFFIX).unwrap_or(&name));
    replace_dir(pending, &golden, GOLDEN_MARKER)?;
    remove_marked(pending, PENDING_MARKER)?;
    Ok(golden)
}

/// Removes the pending files at `pending`, if sf made them.
pub fn reject_pending(pending: &Path) -> io::Result<()> {
    remove_marked(pending, PENDING_MARKER)
}

/// Pending directories under `root` (an `sf-golden` folder), in path order.
pub fn find_pending(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.file_name() == PENDING_MARKER)
        .filter_map(|e| e.path().parent().map(Path::to_owned))
        .collect();
    out.sort();
    out
}

/// What the run that left the new files at `pending` found different, as it recorded it.
pub fn pending_diff(pending: &Path) -> Option<GoldenDiff> {
    serde_json::from_slice(&fs::read(pending.join(PENDING_MARKER)).ok()?).ok()
}

/// Compares a pending tree with the golden copy beside it, for `sf review`.
pub fn compare_pending(pending: &Path, settings: &Golden) -> Vec<FileDiff> {
    let name = pending.file_name().unwrap_or_default().to_string_lossy();
    let golden = pending.with_file_name(name.strip_suffix(PENDING_SUFFIX).unwrap_or(&name));
    if !golden.join(GOLDEN_MARKER).is_file() {
        return vec![FileDiff {
            file: ".".into(),
            summary: "new: no golden copy yet".into(),
            columns: BTreeMap::new(),
            first: crate::tree::files(pending)
                .iter()
                .filter(|f| !is_marker(f))
                .take(SHOWN)
                .map(|f| f.strip_prefix(pending).unwrap_or(f).display().to_string())
                .collect(),
        }];
    }
    compare_dirs(pending, &golden, settings)
}

fn remove_marked(dir: &Path, marker: &str) -> io::Result<()> {
    if dir.join(marker).is_file() {
        fs::remove_dir_all(dir)?;
    }
    Ok(())
}

fn is_marker(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n == GOLDEN_MARKER || n == PENDING_MARKER)
}

fn tree_size(dir: &Path) -> u64 {
    crate::tree::files(dir)
        .iter()
        .filter_map(|f| fs::metadata(f).ok())
        .map(|m| m.len())
        .sum()
}

/// Puts a copy of `from` (less sf's markers) at `to`, marked with `marker`: built beside `to`
/// and swapped in with one rename, so a reader sees the old copy or the new one. A `to` that sf
/// did not make is left alone.
fn replace_dir(from: &Path, to: &Path, marker: &str) -> io::Result<()> {
    if to.exists() && !to.join(marker).is_file() {
        return Err(io::Error::other(format!(
            "{} exists and is not sf's; sf does not replace it",
            to.display()
        )));
    }
    let parent = to.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent)?;
    let tmp = tempfile::Builder::new()
        .prefix(".sf-tmp-")
        .tempdir_in(parent)?;
    crate::tree::copy(from, tmp.path())?;
    for stale in [GOLDEN_MARKER, PENDING_MARKER] {
        let _ = fs::remove_file(tmp.path().join(stale));
    }
    fs::write(tmp.path().join(marker), b"made by sf\n")?;
    if to.exists() {
        exchange(tmp.path(), to)?;
        // `tmp` now holds the old copy, removed when it drops.
    } else {
        fs::rename(tmp.path(), to)?;
        // Already moved: nothing is left for the guard to remove.
        let _ = tmp.keep();
    }
    Ok(())
}

/// Swaps two directories atomically (`renameat2(RENAME_EXCHANGE)`).
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let a = std::ffi::CString::new(a.as_os_str().as_bytes()).map_err(io::Error::other)?;
    let b = std::ffi::CString::new(b.as_os_str().as_bytes()).map_err(io::Error::other)?;
    // SAFETY: both paths are NUL-terminated strings that live across the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn relative_files(dir: &Path) -> BTreeMap<String, PathBuf> {
    crate::tree::files(dir)
        .into_iter()
        .filter(|f| !is_marker(f))
        .map(|f| (f.strip_prefix(dir).unwrap_or(&f).display().to_string(), f))
        .collect()
}

/// The files of `new` that differ from those of `golden`, in path order.
pub(crate) fn compare_dirs(new: &Path, golden: &Path, settings: &Golden) -> Vec<FileDiff> {
    let new_files = relative_files(new);
    let golden_files = relative_files(golden);
    let mut out = Vec::new();
    let names: std::collections::BTreeSet<&String> =
        new_files.keys().chain(golden_files.keys()).collect();
    for name in names {
        let only = |summary: &str| FileDiff {
            file: name.clone(),
            summary: summary.to_owned(),
            columns: BTreeMap::new(),
            first: Vec::new(),
        };
        match (new_files.get(name), golden_files.get(name)) {
            (Some(_), None) => out.push(only("only in the new output")),
            (None, Some(_)) => out.push(only("only in the golden copy")),
            (Some(n), Some(g)) => {
                if let Some(d) = compare_file(name, n, g, settings) {
                    out.push(d);
                }
            }
            (None, None) => {}
        }
    }
    out
}

fn compare_file(name: &str, new: &Path, golden: &Path, settings: &Golden) -> Option<FileDiff> {
    if is_tabular(new) {
        return compare_tables(name, new, golden, settings);
    }
    if new
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        let parse = |p: &Path| -> Option<serde_json::Value> {
            serde_json::from_slice(&fs::read(p).ok()?).ok()
        };
        if let (Some(a), Some(b)) = (parse(new), parse(golden)) {
            return compare_json(name, &a, &b, settings);
        }
    }
    let (a, b) = (fs::read(new).ok()?, fs::read(golden).ok()?);
    (a != b).then(|| FileDiff {
        file: name.to_owned(),
        summary: format!(
            "contents differ ({} bytes, golden {} bytes)",
            a.len(),
            b.len()
        ),
        columns: BTreeMap::new(),
        first: Vec::new(),
    })
}

type Rows = (Vec<String>, Vec<Vec<Cell>>);

fn read_rows(path: &Path) -> Result<Rows, String> {
    let mut rows = Vec::new();
    let columns =
        for_each_row(path, |_, _, cells| rows.push(cells.to_vec())).map_err(|e| e.to_string())?;
    Ok((columns, rows))
}

impl Golden {
    fn tolerance_of(&self, column: &str) -> f64 {
        self.tolerances
            .get(column)
            .copied()
            .unwrap_or(self.tolerance)
    }

    fn is_volatile(&self, name: &str, pointer: &str) -> bool {
        self.volatile.iter().any(|v| v == name || v == pointer)
    }

    fn same(&self, column: &str, a: &Cell, b: &Cell) -> bool {
        match (a.number(), b.number()) {
            (Some(x), Some(y)) => x == y || (x - y).abs() <= self.tolerance_of(column),
            _ => (a.is_null() && b.is_null()) || a == b,
        }
    }
}

fn compare_tables(name: &str, new: &Path, golden: &Path, settings: &Golden) -> Option<FileDiff> {
    let mut diff = FileDiff {
        file: name.to_owned(),
        summary: String::new(),
        columns: BTreeMap::new(),
        first: Vec::new(),
    };
    let (new_columns, new_rows) = match read_rows(new) {
        Ok(r) => r,
        Err(e) => {
            diff.summary = format!("cannot read the new file: {e}");
            return Some(diff);
        }
    };
    let (golden_columns, golden_rows) = match read_rows(golden) {
        Ok(r) => r,
        Err(e) => {
            diff.summary = format!("cannot read the golden file: {e}");
            return Some(diff);
        }
    };
    let kept = |columns: &[String]| -> Vec<String> {
        columns
            .iter()
            .filter(|c| !settings.is_volatile(c, c))
            .cloned()
            .collect()
    };
    let (a_cols, b_cols) = (kept(&new_columns), kept(&golden_columns));
    if a_cols != b_cols {
        let missing: Vec<&String> = b_cols.iter().filter(|c| !a_cols.contains(c)).collect();
        let extra: Vec<&String> = a_cols.iter().filter(|c| !b_cols.contains(c)).collect();
        diff.summary = if missing.is_empty() && extra.is_empty() {
            format!(
                "the columns are in another order: {} (golden {})",
                a_cols.join(", "),
                b_cols.join(", ")
            )
        } else {
            let list = |v: &[&String]| {
                v.iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            match (missing.is_empty(), extra.is_empty()) {
                (false, false) => format!(
                    "columns {} are gone, {} are new",
                    list(&missing),
                    list(&extra)
                ),
                (false, true) => format!("columns {} are gone", list(&missing)),
                _ => format!("columns {} are new", list(&extra)),
            }
        };
        return Some(diff);
    }
    let index = |columns: &[String], c: &str| columns.iter().position(|x| x == c).expect("kept");
    let pairs: Vec<(usize, usize, &String)> = a_cols
        .iter()
        .map(|c| (index(&new_columns, c), index(&golden_columns, c), c))
        .collect();
    let mut differing = 0;
    for (row, (a, b)) in new_rows.iter().zip(&golden_rows).enumerate() {
        let mut cells = Vec::new();
        for &(i, j, c) in &pairs {
            let (x, y) = (
                a.get(i).unwrap_or(&Cell::Null),
                b.get(j).unwrap_or(&Cell::Null),
            );
            if !settings.same(c, x, y) {
                *diff.columns.entry(c.clone()).or_default() += 1;
                cells.push(format!("{c} = {x} (golden {y})"));
            }
        }
        if !cells.is_empty() {
            differing += 1;
            if diff.first.len() < SHOWN {
                diff.first
                    .push(format!("row {}: {}", row + 1, cells.join(", ")));
            }
        }
    }
    let (n, g) = (new_rows.len(), golden_rows.len());
    if differing == 0 && n == g {
        return None;
    }
    let mut parts = Vec::new();
    if differing > 0 {
        parts.push(format!("{differing} of {} rows differ", n.min(g)));
    }
    if n != g {
        parts.push(format!("{n} rows, golden {g}"));
    }
    diff.summary = parts.join("; ");
    Some(diff)
}

fn compare_json(
    name: &str,
    new: &serde_json::Value,
    golden: &serde_json::Value,
    settings: &Golden,
) -> Option<FileDiff> {
    let mut found = Vec::new();
    json_differences("", "", new, golden, settings, &mut found);
    if found.is_empty() {
        return None;
    }
    let mut diff = FileDiff {
        file: name.to_owned(),
        summary: format!(
            "{} value{} differ{}",
            found.len(),
            if found.len() == 1 { "" } else { "s" },
            if found.len() == 1 { "s" } else { "" }
        ),
        columns: BTreeMap::new(),
        first: Vec::new(),
    };
    for (pointer, what) in found {
        if diff.first.len() < SHOWN {
            diff.first.push(format!("{pointer}: {what}"));
        }
        *diff.columns.entry(pointer).or_default() += 1;
    }
    Some(diff)
}

fn json_differences(
    pointer: &str,
    key: &str,
    a: &serde_json::Value,
    b: &serde_json::Value,
    settings: &Golden,
    out: &mut Vec<(String, String)>,
) {
    use serde_json::Value;
    let shown = if pointer.is_empty() { "/" } else { pointer };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                if settings.is_volatile(k, &p) {
                    continue;
                }
                match (x.get(k), y.get(k)) {
                    (Some(v), Some(w)) => json_differences(&p, k, v, w, settings, out),
                    (Some(v), None) => out.push((p, format!("{v} (not in the golden copy)"))),
                    (None, Some(w)) => out.push((p, format!("gone (golden {w})"))),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                out.push((
                    shown.to_owned(),
                    format!("{} items (golden {})", x.len(), y.len()),
                ));
            }
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                json_differences(&format!("{pointer}/{i}"), key, v, w, settings, out);
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            if !(x == y || (x - y).abs() <= settings.tolerance_of(key)) {
                out.push((
                    shown.to_owned(),
                    format!("{} (golden {})", Number(x), Number(y)),
                ));
            }
        }
        _ if a == b => {}
        _ => out.push((shown.to_owned(), format!("{a} (golden {b})"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn tables_differ_row_by_row_with_a_per_column_summary() {
        let new = dir_with(&[("labels.csv", "id,label\n1,0\n2,1\n3,1\n4,0\n")]);
        let golden = dir_with(&[("labels.csv", "id,label\n1,0\n2,0\n3,0\n4,0\n")]);
        let diff = compare_dirs(new.path(), golden.path(), &Golden::default());
        assert_eq!(diff.len(), 1);
        assert_eq!(diff[0].summary, "2 of 4 rows differ");
        assert_eq!(diff[0].columns, BTreeMap::from([("label".to_owned(), 2)]));
        assert_eq!(
            diff[0].first,
            ["row 2: label = 1 (golden 0)", "row 3: label = 1 (golden 0)"]
        );
    }

    #[test]
    fn tolerance_and_volatile_columns_are_honoured() {
        let new = dir_with(&[
            ("p.csv", "id,p,at\n1,0.5000004,2026-01-02\n"),
            ("m.json", "{\"auc\": 0.9000001, \"run\": {\"id\": \"b\"}}"),
        ]);
        let golden = dir_with(&[
            ("p.csv", "id,p,at\n1,0.5,2025-12-31\n"),
            ("m.json", "{\"auc\": 0.9, \"run\": {\"id\": \"a\"}}"),
        ]);
        let strict = compare_dirs(new.path(), golden.path(), &Golden::default());
        assert_eq!(strict.len(), 2, "{strict:?}");
        assert_eq!(strict[0].file, "m.json");
        assert_eq!(
            strict[0].first,
            [
                "/auc: 0.9000001 (golden 0.9)",
                "/run/id: \"b\" (golden \"a\")"
            ]
        );
        assert_eq!(strict[1].columns.keys().collect::<Vec<_>>(), ["at", "p"]);
        let lenient = Golden {
            tolerance: 1e-6,
            tolerances: BTreeMap::new(),
            volatile: vec!["at".into(), "/run/id".into()],
        };
        assert!(compare_dirs(new.path(), golden.path(), &lenient).is_empty());
        let too_tight = Golden {
            tolerances: BTreeMap::from([("p".to_owned(), 1e-9)]),
            ..lenient
        };
        let diff = compare_dirs(new.path(), golden.path(), &too_tight);
        assert_eq!(diff.len(), 1);
        assert_eq!(diff[0].first, ["row 1: p = 0.5000004 (golden 0.5)"]);
    }

    #[test]
    fn files_and_columns_that_come_or_go_are_named() {
        let new = dir_with(&[("a.csv", "id,x\n1,2\n"), ("new.txt", "n")]);
        let golden = dir_with(&[("a.csv", "id,y\n1,2\n"), ("old.bin", "o")]);
        let diff = compare_dirs(new.path(), golden.path(), &Golden::default());
        let shown: Vec<(String, String)> = diff.into_iter().map(|d| (d.file, d.summary)).collect();
        assert_eq!(
            shown,
            [
                (
                    "a.csv".to_owned(),
                    "columns `y` are gone, `x` are new".to_owned()
                ),
                ("new.txt".to_owned(), "only in the new output".to_owned()),
                ("old.bin".to_owned(), "only in the golden copy".to_owned()),
            ]
        );
    }

    #[test]
    fn a_missing_copy_waits_for_review_and_accepting_makes_it_golden() {
        let out = dir_with(&[("a.csv", "id\n1\n")]);
        let root = tempfile::tempdir().unwrap();
        let golden = root.path().join("t/out");
        let first = compare_with(
            "out",
            out.path(),
            &golden,
            &Golden::default(),
            GoldenMode::Compare,
            false,
        );
        assert_eq!(first.status, GoldenStatus::Missing);
        let pending = first.pending.clone().unwrap();
        assert_eq!(find_pending(root.path()), std::slice::from_ref(&pending));
        assert!(
            first.to_string().contains("has no golden copy yet"),
            "{first}"
        );
        accept_pending(&pending).unwrap();
        assert!(!pending.exists());
        let again = compare_with(
            "out",
            out.path(),
            &golden,
            &Golden::default(),
            GoldenMode::Compare,
            false,
        );
        assert_eq!(again.status, GoldenStatus::Matched, "{again}");
        // A second accept swaps the copy in place and leaves no temporary behind.
        fs::write(out.path().join("a.csv"), "id\n2\n").unwrap();
        let accepted = compare_with(
            "out",
            out.path(),
            &golden,
            &Golden::default(),
            GoldenMode::Accept,
            false,
        );
        assert_eq!(accepted.status, GoldenStatus::Accepted);
        assert_eq!(fs::read_to_string(golden.join("a.csv")).unwrap(), "id\n2\n");
        let names: Vec<_> = fs::read_dir(golden.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["out"]);
    }

    #[test]
    fn a_channel_too_large_for_a_golden_copy_fails_saying_so() {
        let out = tempfile::tempdir().unwrap();
        fs::write(
            out.path().join("big.bin"),
            vec![0u8; GOLDEN_LIMIT as usize + 1],
        )
        .unwrap();
        let root = tempfile::tempdir().unwrap();
        let golden = root.path().join("t/out");
        for mode in [GoldenMode::Compare, GoldenMode::Accept] {
            let diff = compare_with("out", out.path(), &golden, &Golden::default(), mode, false);
            assert_eq!(diff.status, GoldenStatus::Refused);
            assert!(
                diff.to_string().starts_with(
                    "golden outputs are for small files: `out` holds 10.0 MiB, more than the 10 MiB limit"
                ),
                "{diff}"
            );
        }
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 0);
    }

    #[test]
    fn ci_never_accepts_nor_writes_golden_files() {
        let out = dir_with(&[("a.csv", "id\n1\n")]);
        let root = tempfile::tempdir().unwrap();
        let golden = root.path().join("t/out");
        for mode in [GoldenMode::Compare, GoldenMode::Accept] {
            let diff = compare_with("out", out.path(), &golden, &Golden::default(), mode, true);
            assert!(!diff.holds());
            assert!(diff.to_string().contains("CI is set"), "{diff}");
            assert!(diff.pending.is_none());
        }
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_directory_sf_did_not_make_is_neither_read_nor_replaced() {
        let out = dir_with(&[("a.csv", "id\n1\n")]);
        let root = dir_with(&[("t/out/mine.txt", "keep me")]);
        let golden = root.path().join("t/out");
        for mode in [GoldenMode::Compare, GoldenMode::Accept] {
            let diff = compare_with("out", out.path(), &golden, &Golden::default(), mode, false);
            assert!(!diff.holds(), "{diff}");
        }
        assert_eq!(
            fs::read_to_string(golden.join("mine.txt")).unwrap(),
            "keep me"
        );
        assert!(!golden.join("a.csv").exists());
    }
}
