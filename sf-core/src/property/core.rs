//! The one property driver: saved bundles first, then proptest's cases over the subject's
//! generated sources, shrinking, and the minimal failure saved as a bundle. A [`Subject`] says
//! how to run one case and what to put in a bundle; a script and a pipeline are the two.
//!
//! ```text
//! saved bundles ─► replay each ─► still failing? report it
//!                                  └─ all pass ─► proptest cases ─► failure? shrink ─► bundle
//! ```

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proptest::strategy::BoxedStrategy;
use proptest::test_runner::{TestCaseError, TestError};

use super::bundle::{Manifest, saved_bundles, write_bundle};
use super::config::PropertyConfig;
use super::outcome::{PropertyFailure, PropertyReport};
use crate::data::{Format, GeneratedData, Table, write_table};

/// One generated input of a subject: where its files go in a case (and a bundle), and how its
/// data is drawn and laid out.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    /// `channel`, or `step.channel` in a pipeline: how reports name it.
    pub(crate) label: String,
    /// The channel's directory relative to a case or bundle directory (`inputs/<channel>`).
    pub(crate) dir: PathBuf,
    pub(crate) data: GeneratedData,
}

/// What the property driver runs: a script or a pipeline.
pub(crate) trait Subject {
    /// The result of one run.
    type Result: Clone;

    /// The test's name, for reports and bundle manifests.
    fn test_name(&self) -> String;
    /// Fewest rows of a generated table when [`PropertyConfig::min_rows`] is not set.
    fn default_min_rows(&self) -> usize {
        0
    }
    /// How bundle directories of this subject start.
    fn bundle_prefix(&self) -> String;
    /// The generated sources; or, when no dataset can be drawn, the failing result that says
    /// why and a note for the report.
    fn sources(&self) -> Result<Vec<Source>, (Self::Result, Option<String>)>;
    /// Runs one case whose sources are laid out under `case_dir`.
    fn run_case(&self, case_dir: &Path) -> Self::Result;
    /// A failing result for a case whose data could not be laid out.
    fn case_not_laid_out(&self, reason: String) -> Self::Result;
    /// Whether the run passed.
    fn passed(result: &Self::Result) -> bool;
    /// Why a failing run does not count against the property: the generated data broke a
    /// contract the subject states itself (a pipeline's edge check). Such a case is discarded
    /// and counted, never the minimal failure.
    fn out_of_contract(&self, _result: &Self::Result) -> Option<String> {
        None
    }
    /// How the run was started, when the subject knows.
    fn start(_result: &Self::Result) -> Option<&crate::run::warm::Start> {
        None
    }
    /// The run's peak memory, in MB (MiB).
    fn memory_mb(result: &Self::Result) -> f64;
    /// Why the run failed, in one line.
    fn reason(result: &Self::Result) -> String;
    /// Removes the kept workspace of a failing run that is no longer the smallest.
    fn discard(result: &Self::Result);
    /// Runs on the saved bundle at `dir`; `None` when the bundle is not this subject's or
    /// cannot be read (it is skipped).
    fn replay(&self, dir: &Path, manifest: &Manifest) -> Option<Self::Result>;
    /// The command that runs the subject on the bundle at `dir` from the command line.
    fn replay_command(&self, result: &Self::Result, dir: &Path) -> String;
    /// What that command cannot reproduce, one sentence each (noted in the bundle's `replay`).
    fn replay_notes(&self) -> Vec<String> {
        Vec::new()
    }
    /// Writes the failing case's inputs and whatever else explains it into the bundle being
    /// built at `dir` (the manifest is written after).
    fn fill_bundle(
        &self,
        dir: &Path,
        sources: &[Source],
        tables: &[Table],
        result: &Self::Result,
    ) -> io::Result<()>;
    /// The subject's own fields of a bundle manifest (`script` or `pipeline`, `data_seed`).
    fn manifest(&self, result: &Self::Result) -> Manifest;
}

/// Runs `subject` on saved failure bundles, then on generated datasets, and reports the first
/// failure with a minimal dataset saved as a bundle.
///
/// Saved bundles (directories of [`PropertyConfig::bundle_dir`] holding a `bundle.json`) run
/// first, in name order, each on exactly its saved inputs. One that still fails ends the run;
/// one that passes stays, so a fixed bug stays tested. Then proptest draws up to
/// [`PropertyConfig::cases`] datasets and runs the subject on each. The first failure shrinks
/// (bounded by [`PropertyConfig::max_shrink_iters`] and [`PropertyConfig::max_shrink_time`]) to
/// a minimal dataset, which is written into a new bundle.
pub(crate) fn run<S: Subject>(subject: &S, config: &PropertyConfig) -> PropertyReport<S::Result> {
    let started = Instant::now();
    let mut report = PropertyReport {
        test_name: subject.test_name(),
        cases_run: 0,
        shrink_steps: 0,
        replayed_bundles: Vec::new(),
        peak_memory_mb: 0.0,
        failure: None,
        elapsed: Duration::ZERO,
        starts: Default::default(),
        shrink_end: None,
        out_of_contract: 0,
        shrink_path: Vec::new(),
        kept_cases: Vec::new(),
    };
    for bundle in saved_bundles(&config.bundle_dir) {
        let manifest = Manifest::read(&bundle);
        let Some(result) = subject.replay(&bundle, &manifest) else {
            continue;
        };
        tracing::info!(bundle = %bundle.display(), passed = S::passed(&result), "replayed a saved failure");
        report.peak_memory_mb = report.peak_memory_mb.max(S::memory_mb(&result));
        report.starts.count(S::start(&result));
        report.replayed_bundles.push(bundle.clone());
        if !S::passed(&result) {
            report.failure = Some(PropertyFailure {
                replay: subject.replay_command(&result, &bundle),
                result,
                bundle,
                minimal_rows: manifest.minimal_rows,
                from_saved_bundle: true,
                note: None,
            });
            report.elapsed = started.elapsed();
            return report;
        }
    }
    explore(subject, config, &mut report);
    report.elapsed = started.elapsed();
    report
}

/// A failing case: its tables, their files as bytes (to recognise the case again), its result.
struct Failed<R> {
    tables: Vec<Table>,
    key: Vec<Vec<u8>>,
    result: R,
}

/// What the test closure records; proptest only hands back the minimal value.
struct Progress<R> {
    calls: u32,
    out_of_contract: u32,
    discarded_before_failure: u32,
    starts: super::outcome::Starts,
    /// When the first case failed: shrinking's time counts from here.
    failed_at: Option<Instant>,
    peak_memory_mb: f64,
    first_failure: Option<u32>,
    last_failure: Option<Failed<R>>,
    /// Total rows of each failing case, in the order they failed.
    failing_rows: Vec<usize>,
}

/// What a dataset already run came to.
enum Verdict {
    Pass,
    OutOfContract(String),
    Fail(String),
}

fn explore<S: Subject>(
    subject: &S,
    config: &PropertyConfig,
    report: &mut PropertyReport<S::Result>,
) {
    let sources = match subject.sources() {
        Ok(sources) => sources,
        Err((result, note)) => {
            report.failure = Some(PropertyFailure {
                result,
                bundle: PathBuf::new(),
                minimal_rows: BTreeMap::new(),
                replay: String::new(),
                from_saved_bundle: false,
                note,
            });
            return;
        }
    };
    let cases = config.tables(subject.default_min_rows());
    let strategy: Vec<BoxedStrategy<Table>> =
        sources.iter().map(|s| s.data.strategy(&cases)).collect();
    let mut runner = config.test_runner(!sources.is_empty());
    let progress = RefCell::new(Progress {
        calls: 0,
        out_of_contract: 0,
        discarded_before_failure: 0,
        starts: Default::default(),
        failed_at: None,
        peak_memory_mb: 0.0,
        first_failure: None,
        last_failure: None,
        failing_rows: Vec::new(),
    });
    // A dataset is run once: shrinking steps back to datasets it already ran (the last failing
    // one, after every simplification that passed), and small tables repeat. proptest's own
    // result cache cannot be used: its cache hits do not count as cases, so a run whose data
    // has fewer distinct values than cases would never end.
    let verdicts: RefCell<HashMap<Vec<Vec<u8>>, Verdict>> = RefCell::new(HashMap::new());
    let kept = RefCell::new(KeptCases::default());
    let outcome = runner.run(&strategy, |tables: Vec<Table>| {
        let key = case_key(&tables);
        if let Some(verdict) = verdicts.borrow().get(&key) {
            // Counted as the case (or step) proptest asked for, though nothing ran.
            let mut p = progress.borrow_mut();
            p.calls += 1;
            return match verdict {
                Verdict::Pass => Ok(()),
                Verdict::OutOfContract(why) => {
                    p.out_of_contract += 1;
                    Err(TestCaseError::reject(why.clone()))
                }
                Verdict::Fail(reason) => Err(TestCaseError::fail(reason.clone())),
            };
        }
        let result = run_case(subject, &sources, &tables);
        let mut p = progress.borrow_mut();
        p.calls += 1;
        p.starts.count(S::start(&result));
        p.peak_memory_mb = p.peak_memory_mb.max(S::memory_mb(&result));
        if S::passed(&result) {
            verdicts.borrow_mut().insert(key, Verdict::Pass);
            if config.keep_cases {
                kept.borrow_mut()
                    .keep(subject, config, &sources, &tables, &result);
            }
            return Ok(());
        }
        if let Some(why) = subject.out_of_contract(&result) {
            p.out_of_contract += 1;
            S::discard(&result);
            let why = format!("out of the contract: {why}");
            verdicts
                .borrow_mut()
                .insert(key, Verdict::OutOfContract(why.clone()));
            return Err(TestCaseError::reject(why));
        }
        if p.first_failure.is_none() {
            p.first_failure = Some(p.calls);
            p.discarded_before_failure = p.out_of_contract;
            p.failed_at = Some(Instant::now());
            tracing::info!(case = p.calls, "a generated case failed; shrinking");
        }
        let reason = S::reason(&result);
        // Each newly failing dataset is a step of the shrink path (one run before returned above).
        p.failing_rows.push(tables.iter().map(Table::rows).sum());
        verdicts
            .borrow_mut()
            .insert(key.clone(), Verdict::Fail(reason.clone()));
        // Only the smallest failure so far is worth its workspace.
        if let Some(previous) = p.last_failure.replace(Failed {
            tables,
            key,
            result,
        }) {
            S::discard(&previous.result);
        }
        Err(TestCaseError::fail(reason))
    });
    let progress = progress.into_inner();
    report.kept_cases = kept.into_inner().dirs;
    report.peak_memory_mb = report.peak_memory_mb.max(progress.peak_memory_mb);
    let ran = progress.first_failure.unwrap_or(progress.calls);
    report.shrink_steps = progress.calls - ran;
    report.cases_run = match progress.first_failure {
        Some(_) => ran - progress.discarded_before_failure,
        None => ran - progress.out_of_contract,
    };
    report.out_of_contract = progress.out_of_contract;
    report.shrink_path.clone_from(&progress.failing_rows);
    report.starts.warm += progress.starts.warm;
    report.starts.cold += progress.starts.cold;
    if progress.starts.cold_note.is_some() {
        report
            .starts
            .cold_note
            .clone_from(&progress.starts.cold_note);
    }
    if let Some(at) = progress.failed_at {
        let out_of_steps = report.shrink_steps >= config.max_shrink_iters;
        let out_of_time = at.elapsed() >= config.max_shrink_time;
        report.shrink_end = Some(if out_of_steps || out_of_time {
            super::outcome::ShrinkEnd::BudgetReached
        } else {
            super::outcome::ShrinkEnd::Minimal
        });
    }
    let (failed, note) = match outcome {
        Ok(()) => {
            tracing::info!(cases = progress.calls, "every generated case passed");
            return;
        }
        Err(TestError::Fail(_, minimal)) => minimal_failure(subject, &sources, minimal, progress),
        Err(TestError::Abort(why)) => {
            // Nothing here filters cases, so this is not expected; say so rather than panic.
            let note = format!("proptest aborted the run: {why}");
            match progress.last_failure {
                Some(last) => (
                    last,
                    Some(format!("{note}; the last failing case was saved")),
                ),
                None => {
                    report.failure = Some(PropertyFailure {
                        result: subject.case_not_laid_out(note.clone()),
                        bundle: PathBuf::new(),
                        minimal_rows: BTreeMap::new(),
                        replay: String::new(),
                        from_saved_bundle: false,
                        note: Some(note),
                    });
                    return;
                }
            }
        }
    };
    report.failure = Some(finish(subject, config, &sources, failed, report, note));
}

/// The failure to report for proptest's minimal case: the last failing run when it was that
/// case, else the minimal case run once more (proptest's last step may have been a pass it
/// stepped back from).
fn minimal_failure<S: Subject>(
    subject: &S,
    sources: &[Source],
    minimal: Vec<Table>,
    progress: Progress<S::Result>,
) -> (Failed<S::Result>, Option<String>) {
    let key = case_key(&minimal);
    match progress.last_failure {
        Some(last) if last.key == key => (last, None),
        last => {
            let result = run_case(subject, sources, &minimal);
            if !S::passed(&result) {
                if let Some(last) = last {
                    S::discard(&last.result);
                }
                return (
                    Failed {
                        tables: minimal,
                        key,
                        result,
                    },
                    None,
                );
            }
            let note = Some(
                "the minimal case passed when run again (is the script flaky?); the last \
                 failing case was saved instead"
                    .to_owned(),
            );
            let failed = last.unwrap_or(Failed {
                tables: minimal,
                key,
                result,
            });
            (failed, note)
        }
    }
}

/// Writes the bundle of `failed` and turns it into the reported failure.
fn finish<S: Subject>(
    subject: &S,
    config: &PropertyConfig,
    sources: &[Source],
    failed: Failed<S::Result>,
    report: &PropertyReport<S::Result>,
    mut note: Option<String>,
) -> PropertyFailure<S::Result> {
    let minimal_rows: BTreeMap<String, usize> = sources
        .iter()
        .zip(&failed.tables)
        .map(|(s, t)| (s.label.clone(), t.rows()))
        .collect();
    let result = failed.result;
    let written = write_bundle(
        &config.bundle_dir,
        &subject.bundle_prefix(),
        |dir| subject.fill_bundle(dir, sources, &failed.tables, &result),
        |dir| Manifest {
            test_name: report.test_name.clone(),
            seed: config.seed,
            error_message: Some(S::reason(&result)),
            minimal_rows: minimal_rows.clone(),
            cases_run: report.cases_run,
            shrink_steps: report.shrink_steps,
            replay: subject.replay_command(&result, dir),
            replay_notes: subject.replay_notes(),
            sf_version: env!("CARGO_PKG_VERSION").to_owned(),
            ..subject.manifest(&result)
        },
    );
    let (bundle, replay) = match written {
        Ok(bundle) => {
            tracing::info!(bundle = %bundle.display(), "failure bundle written");
            let replay = subject.replay_command(&result, &bundle);
            (bundle, replay)
        }
        Err(err) => {
            let text = format!(
                "cannot write a failure bundle under {}: {err}",
                config.bundle_dir.display()
            );
            tracing::warn!("{text}");
            note = Some(match note {
                Some(n) => format!("{n}; {text}"),
                None => text,
            });
            (PathBuf::new(), String::new())
        }
    };
    PropertyFailure {
        result,
        bundle,
        minimal_rows,
        replay,
        from_saved_bundle: false,
        note,
    }
}

/// The passing cases a run keeps ([`PropertyConfig::keep_cases`]): each case's sources in its
/// own folder under one folder of the run's.
#[derive(Default)]
struct KeptCases {
    /// `<bundle_dir>/cases-<time>-<random>`, made at the first case kept.
    root: Option<PathBuf>,
    dirs: Vec<PathBuf>,
    /// Set once keeping failed: the run goes on, without more attempts.
    failed: bool,
}

impl KeptCases {
    /// Keeps one passing case, unless [`MAX_KEPT_CASES`](super::config::MAX_KEPT_CASES) are
    /// kept already. A case that cannot be written is logged, never a failure of the property.
    fn keep<S: Subject>(
        &mut self,
        subject: &S,
        config: &PropertyConfig,
        sources: &[Source],
        tables: &[Table],
        result: &S::Result,
    ) {
        if self.failed || self.dirs.len() >= super::config::MAX_KEPT_CASES as usize {
            return;
        }
        if let Err(err) = self.write(subject, config, sources, tables, result) {
            tracing::warn!(%err, bundle_dir = %config.bundle_dir.display(), "cannot keep a passing case");
            self.failed = true;
        }
    }

    fn write<S: Subject>(
        &mut self,
        subject: &S,
        config: &PropertyConfig,
        sources: &[Source],
        tables: &[Table],
        result: &S::Result,
    ) -> io::Result<()> {
        let root = match &self.root {
            Some(root) => root.clone(),
            None => {
                std::fs::create_dir_all(&config.bundle_dir)?;
                let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
                let dir = tempfile::Builder::new()
                    .prefix(&format!("cases-{stamp}-"))
                    .rand_bytes(6)
                    .tempdir_in(&config.bundle_dir)?
                    .keep();
                std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))?;
                self.root = Some(dir.clone());
                dir
            }
        };
        let path = root.join(format!("case-{:04}", self.dirs.len() + 1));
        // Written aside, then renamed: a case folder is whole or absent.
        let building = tempfile::Builder::new()
            .prefix(".sf-case-")
            .tempdir_in(&root)?;
        write_sources(building.path(), sources, tables)?;
        crate::replay::write_replay_file(
            building.path(),
            &subject.replay_command(result, &path),
            &subject.replay_notes(),
        )?;
        std::fs::set_permissions(building.path(), std::fs::Permissions::from_mode(0o755))?;
        let built = building.keep();
        if let Err(err) = std::fs::rename(&built, &path) {
            // Best effort: the error is what matters.
            let _ = std::fs::remove_dir_all(&built);
            return Err(err);
        }
        self.dirs.push(path);
        Ok(())
    }
}

/// Runs the subject on one drawn dataset: the tables are written into a temporary case
/// directory, which lives until the run has copied them into its workspaces.
fn run_case<S: Subject>(subject: &S, sources: &[Source], tables: &[Table]) -> S::Result {
    let prepared = tempfile::Builder::new()
        .prefix("sf-case-")
        .tempdir()
        .and_then(|dir| write_sources(dir.path(), sources, tables).map(|()| dir));
    match prepared {
        Ok(dir) => subject.run_case(dir.path()),
        Err(err) => subject.case_not_laid_out(format!("cannot lay out the case's data: {err}")),
    }
}

/// Writes each drawn table in its source's layout under `dir`.
pub(crate) fn write_sources(dir: &Path, sources: &[Source], tables: &[Table]) -> io::Result<()> {
    for (s, table) in sources.iter().zip(tables) {
        let target = dir.join(&s.dir);
        s.data.write_table(table, &target).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot write {} to {}: {e}", s.label, target.display()),
            )
        })?;
    }
    Ok(())
}

/// The drawn tables as CSV bytes: equal keys, equal source files.
fn case_key(tables: &[Table]) -> Vec<Vec<u8>> {
    tables
        .iter()
        .map(|table| {
            let mut bytes = Vec::new();
            // Writing into memory only fails on a bug in the writer; an empty key then merely
            // costs one more run of the minimal case.
            if write_table(table, Format::Csv, &mut bytes).is_err() {
                bytes.clear();
            }
            bytes
        })
        .collect()
}
