//! The history of results: one JSON line per test per run in `sf-history.jsonl` of the
//! workspace root, appended under a lock and kept bounded, so a report can show how a test's
//! time and memory moved over its last runs and flag a regression.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::result::{Status, TestResult};

/// The history's file name, in the workspace root.
pub const HISTORY_FILE: &str = "sf-history.jsonl";
/// Lines kept per test: older ones go when the file is compacted.
pub const HISTORY_PER_TEST: usize = 100;
/// Lines kept in all: the oldest go first when the file is compacted.
pub const HISTORY_MAX_LINES: usize = 20_000;
/// Runs a report plots per test.
pub const HISTORY_PLOTTED: usize = 30;
/// Fewest earlier passing runs before a test is judged against its median.
pub const REGRESSION_MIN_RUNS: usize = 3;
/// A run is a regression when it is this much above the median of its earlier passing runs...
pub const REGRESSION_FACTOR: f64 = 1.5;
/// ...and slower by more than this many seconds...
pub const REGRESSION_SECONDS: f64 = 1.0;
/// ...or hungrier by more than this many MB.
pub const REGRESSION_MB: f64 = 100.0;

/// One test of one run, as the history keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRecord {
    /// When the run (of the whole suite) started: the same for every test of a run.
    pub run: DateTime<Utc>,
    /// The test's name.
    pub name: String,
    /// Its status.
    pub status: Status,
    /// Wall-clock seconds.
    pub execution_time: f64,
    /// Peak memory in MB (MiB).
    pub memory_usage: f64,
    /// The data seed.
    pub seed: u64,
    /// The sf version that ran it.
    pub sf_version: String,
}

impl HistoryRecord {
    /// The record of `name`'s `result` in the run that started at `run`.
    pub fn of(run: DateTime<Utc>, name: &str, result: &TestResult) -> HistoryRecord {
        HistoryRecord {
            run,
            name: name.to_owned(),
            status: result.status,
            execution_time: result.execution_time,
            memory_usage: result.memory_usage,
            seed: result.seed,
            sf_version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

/// Reading or appending to the history failed.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The file (or its directory) could not be read, locked or written.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// `read`, `lock`, `append to`, `compact`.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
}

/// The history file of a workspace root.
#[derive(Debug, Clone)]
pub struct History {
    path: PathBuf,
}

impl History {
    /// The history kept in the workspace root `root`.
    pub fn in_root(root: &Path) -> History {
        History {
            path: root.join(HISTORY_FILE),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every readable record, oldest first. A line that does not parse (a partial last line of
    /// a writer that died, a line of another version) is skipped; a missing file is an empty
    /// history.
    pub fn read(&self) -> Result<Vec<HistoryRecord>, HistoryError> {
        let text = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(HistoryError::Io {
                    action: "read",
                    path: self.path.clone(),
                    source,
                });
            }
        };
        Ok(text
            .split(|b| *b == b'\n')
            .filter(|line| !line.is_empty())
            .filter_map(|line| serde_json::from_slice(line).ok())
            .collect())
    }

    /// Appends `records` in one write under an exclusive lock of the directory, so parallel
    /// runs (nextest's processes) neither interleave nor lose lines; then, when the file holds
    /// more than [`HISTORY_PER_TEST`] lines of a test or [`HISTORY_MAX_LINES`] in all, rewrites
    /// it atomically with the newest only.
    pub fn append(&self, records: &[HistoryRecord]) -> Result<(), HistoryError> {
        if records.is_empty() {
            return Ok(());
        }
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let io_err = |action, path: &Path| {
            let path = path.to_owned();
            move |source| HistoryError::Io {
                action,
                path,
                source,
            }
        };
        fs::create_dir_all(dir).map_err(io_err("create", dir))?;
        let handle = fs::File::open(dir).map_err(io_err("lock", dir))?;
        let _lock = nix::fcntl::Flock::lock(handle, nix::fcntl::FlockArg::LockExclusive)
            .map_err(|(_, errno)| io_err("lock", dir)(io::Error::from(errno)))?;
        let mut bytes = Vec::new();
        if ends_mid_line(&self.path) {
            // A writer died half way through its line: start ours on a line of its own.
            bytes.push(b'\n');
        }
        for r in records {
            // Serialising plain data into memory cannot fail.
            if serde_json::to_writer(&mut bytes, r).is_ok() {
                bytes.push(b'\n');
            }
        }
        let append = || -> io::Result<()> {
            let mut file = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            file.write_all(&bytes)?;
            file.sync_data()
        };
        append().map_err(io_err("append to", &self.path))?;
        let all = self.read()?;
        if let Some(kept) = bounded(&all) {
            let mut text = Vec::new();
            for r in &kept {
                if serde_json::to_writer(&mut text, r).is_ok() {
                    text.push(b'\n');
                }
            }
            crate::atomic::write_atomic(&self.path, &text)
                .map_err(io_err("compact", &self.path))?;
        }
        Ok(())
    }
}

/// True when `path` is a non-empty file whose last byte is not a newline.
fn ends_mid_line(path: &Path) -> bool {
    use std::os::unix::fs::FileExt;
    let Ok(file) = fs::File::open(path) else {
        return false;
    };
    let len = file.metadata().map_or(0, |m| m.len());
    let mut last = [0u8];
    len > 0 && file.read_at(&mut last, len - 1).is_ok() && last[0] != b'\n'
}

/// The records to keep when `all` is over a bound, oldest first; `None` when it is not.
fn bounded(all: &[HistoryRecord]) -> Option<Vec<HistoryRecord>> {
    let mut per_test: BTreeMap<&str, usize> = BTreeMap::new();
    for r in all {
        *per_test.entry(&r.name).or_default() += 1;
    }
    if all.len() <= HISTORY_MAX_LINES && per_test.values().all(|n| *n <= HISTORY_PER_TEST) {
        return None;
    }
    // Newest first: each test keeps its newest lines, and the file its newest in all.
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut kept: Vec<HistoryRecord> = all
        .iter()
        .rev()
        .filter(|r| {
            let n = seen.entry(&r.name).or_default();
            *n += 1;
            *n <= HISTORY_PER_TEST
        })
        .take(HISTORY_MAX_LINES)
        .cloned()
        .collect();
    kept.reverse();
    Some(kept)
}

/// What a run of a test did against its earlier runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Regression {
    /// Slower than the median of its earlier passing runs by [`REGRESSION_FACTOR`] and more
    /// than [`REGRESSION_SECONDS`].
    Slower {
        /// The median, in seconds.
        median: f64,
        /// This run, in seconds.
        now: f64,
    },
    /// More peak memory than the median of its earlier passing runs by
    /// [`REGRESSION_FACTOR`] and more than [`REGRESSION_MB`].
    Hungrier {
        /// The median, in MB.
        median: f64,
        /// This run, in MB.
        now: f64,
    },
}

impl Regression {
    /// `slower: 3.20 s against a median of 1.10 s over earlier runs`.
    pub fn describe(&self) -> String {
        match self {
            Regression::Slower { median, now } => format!(
                "slower: {now:.2} s against a median of {median:.2} s over its earlier passing runs"
            ),
            Regression::Hungrier { median, now } => format!(
                "hungrier: {now:.1} MB peak against a median of {median:.1} MB over its earlier passing runs"
            ),
        }
    }
}

/// How `current` compares with the `earlier` runs of the same test (oldest first): the
/// regressions it shows, judged only against passing runs and only once there are
/// [`REGRESSION_MIN_RUNS`] of them among the last [`HISTORY_PLOTTED`].
pub fn regressions(earlier: &[HistoryRecord], current: &HistoryRecord) -> Vec<Regression> {
    let start = earlier.len().saturating_sub(HISTORY_PLOTTED);
    let passing: Vec<&HistoryRecord> = earlier[start..]
        .iter()
        .filter(|r| r.status == Status::Pass)
        .collect();
    if passing.len() < REGRESSION_MIN_RUNS || current.status == Status::Skip {
        return Vec::new();
    }
    let mut found = Vec::new();
    let time = median(passing.iter().map(|r| r.execution_time));
    if current.execution_time > time * REGRESSION_FACTOR
        && current.execution_time - time > REGRESSION_SECONDS
    {
        found.push(Regression::Slower {
            median: time,
            now: current.execution_time,
        });
    }
    let memory = median(passing.iter().map(|r| r.memory_usage));
    if current.memory_usage > memory * REGRESSION_FACTOR
        && current.memory_usage - memory > REGRESSION_MB
    {
        found.push(Regression::Hungrier {
            median: memory,
            now: current.memory_usage,
        });
    }
    found
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, secs: f64, mb: f64, status: Status) -> HistoryRecord {
        HistoryRecord {
            run: Utc::now(),
            name: name.to_owned(),
            status,
            execution_time: secs,
            memory_usage: mb,
            seed: 42,
            sf_version: "0.1.0".to_owned(),
        }
    }

    #[test]
    fn appended_runs_read_back_in_order_and_a_torn_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::in_root(&dir.path().join("root"));
        history
            .append(&[record("a", 1.0, 10.0, Status::Pass)])
            .unwrap();
        history
            .append(&[
                record("a", 2.0, 10.0, Status::Fail),
                record("b", 3.0, 10.0, Status::Pass),
            ])
            .unwrap();
        // A writer that died half way through a line.
        let mut f = fs::OpenOptions::new()
            .append(true)
            .open(history.path())
            .unwrap();
        f.write_all(b"{\"run\":\"20").unwrap();
        history
            .append(&[record("c", 4.0, 10.0, Status::Pass)])
            .unwrap();
        let read = history.read().unwrap();
        let names: Vec<_> = read
            .iter()
            .map(|r| (r.name.as_str(), r.execution_time))
            .collect();
        assert_eq!(names, [("a", 1.0), ("a", 2.0), ("b", 3.0), ("c", 4.0)]);
    }

    #[test]
    fn the_history_keeps_only_the_newest_lines_of_each_test() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::in_root(dir.path());
        for i in 0..HISTORY_PER_TEST + 5 {
            history
                .append(&[record("a", i as f64, 1.0, Status::Pass)])
                .unwrap();
        }
        history
            .append(&[record("b", 0.5, 1.0, Status::Pass)])
            .unwrap();
        let read = history.read().unwrap();
        let a: Vec<f64> = read
            .iter()
            .filter(|r| r.name == "a")
            .map(|r| r.execution_time)
            .collect();
        assert_eq!(a.len(), HISTORY_PER_TEST);
        assert_eq!(a[0], 5.0);
        assert_eq!(*a.last().unwrap(), (HISTORY_PER_TEST + 4) as f64);
        assert_eq!(read.iter().filter(|r| r.name == "b").count(), 1);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [std::ffi::OsString::from(HISTORY_FILE)]);
    }

    #[test]
    fn parallel_appends_lose_no_line() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::in_root(dir.path());
        std::thread::scope(|s| {
            for t in 0..8 {
                let history = history.clone();
                s.spawn(move || {
                    for i in 0..10 {
                        history
                            .append(&[record(&format!("t{t}"), i as f64, 1.0, Status::Pass)])
                            .unwrap();
                    }
                });
            }
        });
        assert_eq!(history.read().unwrap().len(), 80);
    }

    #[test]
    fn a_run_much_slower_than_its_median_is_a_regression_and_a_small_wobble_is_not() {
        let earlier: Vec<_> = [1.0, 1.2, 0.9, 1.1]
            .iter()
            .map(|s| record("a", *s, 50.0, Status::Pass))
            .collect();
        let slow = record("a", 3.0, 50.0, Status::Pass);
        assert_eq!(
            regressions(&earlier, &slow),
            [Regression::Slower {
                median: 1.05,
                now: 3.0
            }]
        );
        // 50% slower but only 0.6 s: not flagged.
        assert!(regressions(&earlier, &record("a", 1.65, 50.0, Status::Pass)).is_empty());
        let hungry = record("a", 1.0, 400.0, Status::Pass);
        assert!(matches!(
            regressions(&earlier, &hungry)[..],
            [Regression::Hungrier { .. }]
        ));
        // Too few earlier passing runs to judge.
        assert!(regressions(&earlier[..2], &slow).is_empty());
    }
}
