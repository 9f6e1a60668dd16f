//! Property-based runs: the script runs on many generated datasets, a failure shrinks to a
//! minimal dataset, and that dataset is saved as a failure bundle that later runs replay first.
//!
//! ```text
//! saved bundles ─► replay each ─► still failing? report it
//!                                  └─ all pass ─► proptest cases ─► failure? shrink ─► bundle
//! ```
//!
//! Every case is a plain [`engine::run`](crate::engine::run) in a fresh workspace, with the
//! generated channels written as files in their channel's layout and handed to the run as
//! fixtures; other channels are filled as the spec says, the same for every case.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proptest::strategy::BoxedStrategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use rand::{Rng as _, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::atomic::write_json_atomic;
use crate::data::{ChannelPlan, Format, GeneratedData, Table, channel_seed, write_table};
use crate::result::{Status, TestResult};
use crate::spec::{DEFAULT_SEED, KeepWorkspace, TestSpec};
use crate::workspace::{is_workspace, remove_workspace};

/// The file that marks a directory of the bundle folder as a saved failure.
pub const BUNDLE_MANIFEST: &str = "bundle.json";

/// How a property run explores and shrinks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyConfig {
    /// Generated datasets that must pass (64 by default). A spec without generated channels runs
    /// once, since every case would be the same.
    pub cases: u32,
    /// Most script runs spent shrinking a failure (256 by default).
    pub max_shrink_iters: u32,
    /// Shrinking starts no new run after this long (60 s by default); whatever is smallest by
    /// then is the minimal dataset.
    #[serde(with = "crate::serde_secs")]
    pub max_shrink_time: Duration,
    /// Most rows of each generated table (50 by default).
    pub max_rows: usize,
    /// Where failure bundles are saved and replayed from (`sf-regressions` by default, relative
    /// to the current directory).
    pub bundle_dir: PathBuf,
    /// Seed of the case generator: the same seed explores the same datasets.
    pub seed: u64,
}

impl PropertyConfig {
    /// proptest's runner for these settings: deterministic from the seed, shrinking bounded in
    /// steps and time, nothing persisted by proptest itself (bundles do that). Without generated
    /// data every case would be the same run, so there is one.
    pub(crate) fn test_runner(&self, has_generated_data: bool) -> TestRunner {
        let config = Config {
            cases: if has_generated_data { self.cases } else { 1 },
            max_shrink_iters: self.max_shrink_iters,
            // proptest checks this before every shrink step (0 would mean no limit).
            max_shrink_time: u32::try_from(self.max_shrink_time.as_millis())
                .unwrap_or(u32::MAX)
                .max(1),
            failure_persistence: None,
            rng_algorithm: RngAlgorithm::ChaCha,
            verbose: 0,
            ..Config::default()
        };
        TestRunner::new_with_rng(
            config,
            TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(self.seed)),
        )
    }
}

impl Default for PropertyConfig {
    fn default() -> Self {
        PropertyConfig {
            cases: 64,
            max_shrink_iters: 256,
            max_shrink_time: Duration::from_secs(60),
            max_rows: 50,
            bundle_dir: PathBuf::from("sf-regressions"),
            seed: DEFAULT_SEED,
        }
    }
}

/// What a property run did and found.
#[derive(Debug, Clone, Serialize)]
pub struct PropertyReport {
    /// The test's name ([`TestSpec::test_name`]).
    pub test_name: String,
    /// Generated cases run up to and including the first failure (all of them when none failed).
    pub cases_run: u32,
    /// Script runs spent shrinking after the first failure.
    pub shrink_steps: u32,
    /// Saved bundles replayed before any new case, in the order they ran.
    pub replayed_bundles: Vec<PathBuf>,
    /// The failure, if any.
    pub failure: Option<PropertyFailure>,
    /// Wall-clock time of the whole run.
    #[serde(with = "crate::serde_secs")]
    pub elapsed: Duration,
}

impl PropertyReport {
    /// True when no dataset, saved or generated, made the script fail.
    pub fn is_successful(&self) -> bool {
        self.failure.is_none()
    }
}

/// A dataset the script fails on.
#[derive(Debug, Clone, Serialize)]
pub struct PropertyFailure {
    /// The result of the run on the minimal (or saved) dataset.
    pub result: TestResult,
    /// The failure bundle holding that dataset; empty when it could not be written (see
    /// [`PropertyFailure::note`]).
    pub bundle: PathBuf,
    /// Data rows of each generated channel in the minimal dataset.
    pub minimal_rows: BTreeMap<String, usize>,
    /// The `sf test-script` command line that runs the script on the bundle again.
    pub replay: String,
    /// True when a saved bundle failed again, before any new case ran.
    pub from_saved_bundle: bool,
    /// Anything that went wrong around the failure, such as a bundle that could not be written.
    pub note: Option<String>,
}

/// The contents of `bundle.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    test_name: String,
    script: String,
    /// Seed of the case generator ([`PropertyConfig::seed`]).
    seed: u64,
    /// Seed of the channels that are not generated by the property run ([`TestSpec::seed`]).
    data_seed: u64,
    error_message: Option<String>,
    minimal_rows: BTreeMap<String, usize>,
    cases_run: u32,
    shrink_steps: u32,
    replay: String,
    sf_version: String,
}

/// Runs `spec`'s script on saved failure bundles, then on generated datasets, and reports the
/// first failure with a minimal dataset saved as a bundle.
///
/// Saved bundles (directories of [`PropertyConfig::bundle_dir`] holding a `bundle.json`) run
/// first, in name order, each on exactly its saved inputs. One that still fails ends the run; one
/// that passes stays, so a fixed bug stays tested. Then proptest draws up to
/// [`PropertyConfig::cases`] datasets (one [`strategy::table`](crate::data::strategy::table) per
/// generated channel) and runs the script on each in a fresh workspace. The first failure shrinks
/// (bounded by [`PropertyConfig::max_shrink_iters`] and [`PropertyConfig::max_shrink_time`]) to
/// a minimal dataset, which is written with the failing run's context and logs into a new bundle.
///
/// Never panics on anything the script does. Workspaces of passing runs are removed; the minimal
/// failing run keeps its workspace, as a failing plain run does.
pub fn run_property(spec: &TestSpec, config: &PropertyConfig) -> PropertyReport {
    let started = Instant::now();
    let test_name = spec.test_name();
    let _span = tracing::info_span!("property", test = %test_name).entered();
    let mut report = PropertyReport {
        test_name,
        cases_run: 0,
        shrink_steps: 0,
        replayed_bundles: Vec::new(),
        failure: None,
        elapsed: Duration::ZERO,
    };
    for bundle in saved_bundles(&config.bundle_dir) {
        let Some(outcome) = replay_bundle(spec, &bundle) else {
            continue;
        };
        report.replayed_bundles.push(bundle);
        if let Some(failure) = outcome {
            report.failure = Some(failure);
            report.elapsed = started.elapsed();
            return report;
        }
    }
    explore(spec, config, &mut report);
    report.elapsed = started.elapsed();
    report
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

/// Runs the script on a saved bundle: `None` when the bundle cannot be read (it is skipped),
/// `Some(None)` when the script passes, `Some(Some(failure))` when it still fails.
fn replay_bundle(spec: &TestSpec, bundle: &Path) -> Option<Option<PropertyFailure>> {
    let replay_spec = match spec.clone().data_from(bundle) {
        Ok(s) => s.keep_workspace(KeepWorkspace::OnFailure),
        Err(err) => {
            tracing::warn!(%err, bundle = %bundle.display(), "skipping an unreadable failure bundle");
            return None;
        }
    };
    let result = crate::engine::run(&replay_spec);
    tracing::info!(bundle = %bundle.display(), status = %result.status, "replayed a saved failure");
    if result.is_successful() {
        return Some(None);
    }
    let minimal_rows = fs::read(bundle.join(BUNDLE_MANIFEST))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Manifest>(&bytes).ok())
        .map(|m| m.minimal_rows)
        .unwrap_or_default();
    Some(Some(PropertyFailure {
        replay: spec.replay_command(result.script_path.as_deref(), bundle),
        result,
        bundle: bundle.to_owned(),
        minimal_rows,
        from_saved_bundle: true,
        note: None,
    }))
}

/// A failing case: its tables, their files as bytes (to recognise the case again), its result.
struct Failed {
    tables: Vec<Table>,
    key: Vec<Vec<u8>>,
    result: TestResult,
}

/// What the test closure records; proptest only hands back the minimal value.
#[derive(Default)]
struct Progress {
    calls: u32,
    first_failure: Option<u32>,
    last_failure: Option<Failed>,
}

fn explore(spec: &TestSpec, config: &PropertyConfig, report: &mut PropertyReport) {
    let generated: Vec<(String, GeneratedData)> = spec
        .data
        .channels
        .iter()
        .filter_map(|(name, plan)| match plan {
            ChannelPlan::Generated(g) => Some((name.clone(), g.clone())),
            _ => None,
        })
        .collect();
    if let Some((channel, err)) = generated
        .iter()
        .find_map(|(c, g)| g.check().err().map(|e| (c, e)))
    {
        // No dataset can be laid out; the plain run says why, in the usual words.
        let result = crate::engine::run(&spec.clone().keep_workspace(KeepWorkspace::OnFailure));
        report.failure = Some(PropertyFailure {
            replay: String::new(),
            result,
            bundle: PathBuf::new(),
            minimal_rows: BTreeMap::new(),
            from_saved_bundle: false,
            note: Some(format!(
                "no bundle written: input channel `{channel}` cannot be generated: {err}"
            )),
        });
        return;
    }

    let strategy: Vec<BoxedStrategy<Table>> = generated
        .iter()
        .map(|(_, g)| crate::data::strategy::table_with(&g.source, 0..=config.max_rows))
        .collect();
    let mut runner = config.test_runner(!generated.is_empty());
    let progress = RefCell::new(Progress::default());
    let outcome = runner.run(&strategy, |tables: Vec<Table>| {
        let result = run_case(spec, &generated, &tables);
        let mut p = progress.borrow_mut();
        p.calls += 1;
        if result.is_successful() {
            return Ok(());
        }
        if p.first_failure.is_none() {
            p.first_failure = Some(p.calls);
            tracing::info!(case = p.calls, "a generated case failed; shrinking");
        }
        let reason = result
            .error_message
            .clone()
            .unwrap_or_else(|| format!("the test ended {}", result.status));
        let key = case_key(&generated, &tables);
        // Only the smallest failure so far is worth its workspace.
        if let Some(previous) = p.last_failure.replace(Failed {
            tables,
            key,
            result,
        }) {
            discard_workspace(&previous.result);
        }
        Err(TestCaseError::fail(reason))
    });
    let progress = progress.into_inner();
    report.cases_run = progress.first_failure.unwrap_or(progress.calls);
    report.shrink_steps = progress.calls - report.cases_run;
    let minimal = match outcome {
        Ok(()) => {
            tracing::info!(cases = progress.calls, "every generated case passed");
            return;
        }
        Err(TestError::Fail(_, minimal)) => minimal,
        Err(TestError::Abort(why)) => {
            // Nothing here filters cases, so this is not expected; say so rather than panic.
            let mut note = format!("proptest aborted the run: {why}");
            let failure = match progress.last_failure {
                Some(last) => last,
                None => {
                    report.failure = Some(PropertyFailure {
                        result: TestResult::not_run(
                            spec.script_name(),
                            spec.seed,
                            spec.expect,
                            Status::Fail,
                            spec.workspace_root.clone(),
                            Some(note.clone()),
                        ),
                        bundle: PathBuf::new(),
                        minimal_rows: BTreeMap::new(),
                        replay: String::new(),
                        from_saved_bundle: false,
                        note: Some(note),
                    });
                    return;
                }
            };
            note.push_str("; the last failing case was saved");
            report.failure = Some(finish(
                spec,
                config,
                &generated,
                failure,
                report,
                Some(note),
            ));
            return;
        }
    };

    let key = case_key(&generated, &minimal);
    let mut note = None;
    let failed = match progress.last_failure {
        Some(last) if last.key == key => last,
        last => {
            // The last failing run was not the minimal case (proptest's last step may have been
            // a pass it stepped back from), so the minimal case runs once more for its result.
            let result = run_case(spec, &generated, &minimal);
            if !result.is_successful() {
                if let Some(last) = last {
                    discard_workspace(&last.result);
                }
                Failed {
                    tables: minimal,
                    key,
                    result,
                }
            } else {
                note = Some(
                    "the minimal case passed when run again (is the script flaky?); the last \
                     failing case was saved instead"
                        .to_owned(),
                );
                match last {
                    Some(last) => last,
                    None => Failed {
                        tables: minimal,
                        key,
                        result,
                    },
                }
            }
        }
    };
    report.failure = Some(finish(spec, config, &generated, failed, report, note));
}

/// Writes the bundle of `failed` and turns it into the reported failure.
fn finish(
    spec: &TestSpec,
    config: &PropertyConfig,
    generated: &[(String, GeneratedData)],
    failed: Failed,
    report: &PropertyReport,
    mut note: Option<String>,
) -> PropertyFailure {
    let minimal_rows: BTreeMap<String, usize> = generated
        .iter()
        .zip(&failed.tables)
        .map(|((name, _), table)| (name.clone(), table.rows()))
        .collect();
    let result = failed.result;
    let written = write_bundle(
        spec,
        config,
        generated,
        &failed.tables,
        &result,
        &minimal_rows,
        report,
    );
    let (bundle, replay) = match written {
        Ok((bundle, replay)) => {
            tracing::info!(bundle = %bundle.display(), "failure bundle written");
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

/// Runs the script on one drawn dataset: the generated channels are written into a temporary
/// case directory and handed to a plain run as fixtures.
fn run_case(
    spec: &TestSpec,
    generated: &[(String, GeneratedData)],
    tables: &[Table],
) -> TestResult {
    let case_dir = match tempfile::Builder::new().prefix("sf-case-").tempdir() {
        Ok(dir) => dir,
        Err(err) => {
            let message = format!("cannot create a case directory: {err}");
            return TestResult::not_run(
                spec.script_name(),
                spec.seed,
                spec.expect,
                Status::Fail,
                spec.workspace_root.clone(),
                Some(message),
            );
        }
    };
    let mut case_spec = spec.clone().keep_workspace(KeepWorkspace::OnFailure);
    for ((channel, data), table) in generated.iter().zip(tables) {
        let dir = case_dir.path().join("inputs").join(channel);
        if let Err(err) = data.write_table(table, &dir) {
            let message = format!(
                "cannot write data for input channel `{channel}` to {}: {err}",
                dir.display()
            );
            return TestResult::not_run(
                spec.script_name(),
                spec.seed,
                spec.expect,
                Status::Fail,
                spec.workspace_root.clone(),
                Some(message),
            );
        }
        case_spec
            .data
            .channels
            .insert(channel.clone(), ChannelPlan::Fixture { source: dir });
    }
    crate::engine::run(&case_spec)
}

/// The case's generated channels as CSV bytes: equal keys, equal input files.
fn case_key(generated: &[(String, GeneratedData)], tables: &[Table]) -> Vec<Vec<u8>> {
    generated
        .iter()
        .zip(tables)
        .map(|(_, table)| {
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

/// Removes the kept workspace of a failing case that is no longer the smallest.
fn discard_workspace(result: &TestResult) {
    // An early failure names the workspace root instead, which the marker check leaves alone.
    if is_workspace(&result.workspace)
        && let Err(err) = remove_workspace(&result.workspace)
    {
        tracing::warn!(%err, workspace = %result.workspace.display(), "cannot remove workspace");
    }
}

/// 32 seed bytes for proptest's ChaCha generator, spread from `seed`.
fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut bytes = [0_u8; 32];
    rand_chacha::ChaCha8Rng::seed_from_u64(seed).fill_bytes(&mut bytes);
    bytes
}

/// Writes the bundle of a failing case and returns its directory and replay command.
///
/// The bundle is built in a hidden directory inside the bundle folder and renamed onto a name
/// reserved beforehand, so a reader (or the next run's replay) never sees half a bundle.
fn write_bundle(
    spec: &TestSpec,
    config: &PropertyConfig,
    generated: &[(String, GeneratedData)],
    tables: &[Table],
    result: &TestResult,
    minimal_rows: &BTreeMap<String, usize>,
    report: &PropertyReport,
) -> io::Result<(PathBuf, String)> {
    let root = &config.bundle_dir;
    fs::create_dir_all(root)?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    let prefix = format!(
        "{}-{stamp}-",
        crate::workspace::file_name_component(&report.test_name, "property")
    );
    // An empty directory reserves the unique name; the finished bundle replaces it.
    let reserved = tempfile::Builder::new()
        .prefix(&prefix)
        .rand_bytes(6)
        .tempdir_in(root)?;
    let final_path = fs::canonicalize(reserved.path())?;
    let building = tempfile::Builder::new()
        .prefix(".sf-bundle-")
        .tempdir_in(root)?;
    let replay = spec.replay_command(result.script_path.as_deref(), &final_path);
    fill_bundle(
        building.path(),
        spec,
        generated,
        tables,
        result,
        &Manifest {
            test_name: report.test_name.clone(),
            script: result
                .script_path
                .as_ref()
                .map_or_else(|| spec.script_name(), |p| p.display().to_string()),
            seed: config.seed,
            data_seed: spec.seed,
            error_message: result.error_message.clone(),
            minimal_rows: minimal_rows.clone(),
            cases_run: report.cases_run,
            shrink_steps: report.shrink_steps,
            replay: replay.clone(),
            sf_version: env!("CARGO_PKG_VERSION").to_owned(),
        },
    )?;
    // Temporary directories are private (0700); a bundle is meant to be shared and committed.
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(building.path(), fs::Permissions::from_mode(0o755))?;
    }
    let reserved = reserved.keep();
    let built = building.keep();
    // Renaming a directory onto an empty one replaces it in one step.
    if let Err(err) = fs::rename(&built, &reserved) {
        // Best effort: the error below is what matters.
        let _ = fs::remove_dir_all(&built);
        let _ = fs::remove_dir(&reserved);
        return Err(err);
    }
    Ok((final_path, replay))
}

fn fill_bundle(
    dir: &Path,
    spec: &TestSpec,
    generated: &[(String, GeneratedData)],
    tables: &[Table],
    result: &TestResult,
    manifest: &Manifest,
) -> io::Result<()> {
    let inputs = dir.join("inputs");
    fs::create_dir_all(&inputs)?;
    let workspace = is_workspace(&result.workspace).then_some(result.workspace.as_path());
    for (channel, plan) in &spec.data.channels {
        let target = inputs.join(channel);
        let copied = workspace
            .map(|ws| ws.join("inputs").join(channel))
            .filter(|p| p.is_dir());
        if let Some(source) = copied {
            // Exactly the files the failing run read.
            ChannelPlan::Fixture { source }.write_into(&target, 0)?;
        } else if let Some(i) = generated.iter().position(|(c, _)| c == channel) {
            generated[i].1.write_table(&tables[i], &target)?;
        } else {
            plan.write_into(&target, channel_seed(spec.seed, channel))?;
        }
    }
    for (from, to) in [
        ("context.json", "context.json"),
        ("logs/stdout.log", "stdout.log"),
        ("logs/stderr.log", "stderr.log"),
    ] {
        let source = workspace.map(|ws| ws.join(from)).filter(|p| p.is_file());
        match source {
            Some(source) => {
                fs::copy(&source, dir.join(to)).map_err(|e| {
                    io::Error::new(e.kind(), format!("cannot copy {}: {e}", source.display()))
                })?;
            }
            // The script never started (or left no file): an empty file keeps the layout.
            None => fs::write(dir.join(to), b"")?,
        }
    }
    write_json_atomic(&dir.join(BUNDLE_MANIFEST), manifest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ColumnKind, ColumnSpec, Profile, Schema, TableSource};
    use crate::workspace::scan_root;

    /// Reads the `input` channel's CSV with the standard library and calls `check(rows)`.
    fn python(check: &str) -> String {
        format!(
            r#"import csv, os

def main(input_paths, output_paths, environ_vars, job_args):
    with open(os.path.join(input_paths["input"], "data.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    amounts = [float(r["amount"]) if r["amount"] else 0.0 for r in rows]
{check}
    with open(os.path.join(output_paths["output"], "summary.csv"), "w") as f:
        f.write("rows\n%d\n" % len(rows))
"#
        )
    }

    const PASSES: &str = "    pass";
    const NEGATIVE_BUG: &str = "    for a in amounts:\n        if a < 0:\n            \
                                raise ValueError('negative amount %r' % a)";
    const MEAN_BUG: &str = "    mean = sum(amounts) / len(rows)";

    struct Setup {
        dir: tempfile::TempDir,
        script: PathBuf,
    }

    impl Setup {
        fn new(body: &str) -> Setup {
            let dir = tempfile::tempdir().unwrap();
            let script = dir.path().join("convert.py");
            fs::write(&script, body).unwrap();
            Setup { dir, script }
        }

        fn spec(&self) -> TestSpec {
            TestSpec::new(self.script.to_string_lossy())
                .base_dir(self.dir.path())
                .profile(Profile::Currency)
        }

        fn config(&self, cases: u32) -> PropertyConfig {
            PropertyConfig {
                cases,
                bundle_dir: self.dir.path().join("sf-regressions"),
                seed: 7,
                ..PropertyConfig::default()
            }
        }

        fn workspaces(&self) -> usize {
            scan_root(&self.dir.path().join("pipeline_testing"))
                .map(|(ours, _)| ours.len())
                .unwrap_or(0)
        }
    }

    fn bundles(dir: &Path) -> Vec<PathBuf> {
        saved_bundles(dir)
    }

    #[test]
    fn a_script_that_handles_every_dataset_passes_every_case() {
        let setup = Setup::new(&python(PASSES));
        let report = run_property(&setup.spec(), &setup.config(16));
        assert!(report.is_successful(), "{:?}", report.failure);
        assert_eq!(report.cases_run, 16);
        assert_eq!(report.shrink_steps, 0);
        assert!(report.replayed_bundles.is_empty());
        assert_eq!(report.test_name, "convert::small");
        eprintln!(
            "16 passing cases in {:?}: {:.1} cases/s",
            report.elapsed,
            16.0 / report.elapsed.as_secs_f64()
        );
        // Passing runs leave no workspace and no bundle behind.
        assert_eq!(setup.workspaces(), 0);
        assert!(!setup.dir.path().join("sf-regressions").exists());
    }

    #[test]
    fn a_planted_bug_is_shrunk_saved_replayed_and_retired_once_fixed() {
        let setup = Setup::new(&python(NEGATIVE_BUG));
        // A second channel that is not generated travels into the bundle as it was.
        let spec = setup.spec().inputs(["input"]);
        let mut spec = spec;
        spec.data = spec.data.channel(
            "settings",
            ChannelPlan::Text {
                file_name: "rates.txt".into(),
                content: "USD=1.0\n".into(),
            },
        );
        let config = setup.config(16);
        let report = run_property(&spec, &config);
        let failure = report.failure.as_ref().expect("the bug is found");
        eprintln!(
            "found after {} cases, shrunk to {:?} in {} steps, {:?} in all",
            report.cases_run, failure.minimal_rows, report.shrink_steps, report.elapsed
        );
        assert!(!failure.from_saved_bundle);
        assert_eq!(failure.note, None);
        assert!(
            failure.minimal_rows["input"] <= 2,
            "{:?}",
            failure.minimal_rows
        );
        assert_eq!(failure.result.status, Status::Fail);
        let message = failure.result.error_message.clone().unwrap_or_default();
        assert!(message.contains("negative amount"), "{message}");
        assert!(report.cases_run >= 1 && report.cases_run <= 16);
        assert!(report.shrink_steps >= 1);

        // The bundle: real files, the context, the logs and a manifest.
        let bundle = &failure.bundle;
        assert_eq!(bundles(&config.bundle_dir), std::slice::from_ref(bundle));
        let name = bundle.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("convert-small-2"), "{name}");
        assert_eq!(name.len(), "convert-small-".len() + 15 + 1 + 6, "{name}");
        let csv = fs::read_to_string(bundle.join("inputs/input/data.csv")).unwrap();
        assert!(
            csv.starts_with("from_currency,to_currency,amount,date\n"),
            "{csv}"
        );
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let amounts: Vec<f64> = reader
            .records()
            .map(|r| r.unwrap()[2].parse().unwrap_or(0.0))
            .collect();
        assert_eq!(amounts.len(), failure.minimal_rows["input"]);
        assert!(amounts.iter().any(|a| *a < 0.0), "{csv}");
        assert_eq!(
            fs::read_to_string(bundle.join("inputs/settings/rates.txt")).unwrap(),
            "USD=1.0\n"
        );
        assert!(bundle.join("context.json").is_file());
        assert!(bundle.join("stdout.log").is_file());
        // The Python adapter reports the traceback in the result rather than on stderr.
        assert!(bundle.join("stderr.log").is_file());
        let manifest: Manifest =
            serde_json::from_slice(&fs::read(bundle.join(BUNDLE_MANIFEST)).unwrap()).unwrap();
        assert_eq!(manifest.test_name, "convert::small");
        assert_eq!(manifest.minimal_rows, failure.minimal_rows);
        assert_eq!(manifest.cases_run, report.cases_run);
        assert_eq!(manifest.shrink_steps, report.shrink_steps);
        assert_eq!(manifest.seed, 7);
        assert_eq!(manifest.replay, failure.replay);
        assert!(failure.replay.contains("--data-from"), "{}", failure.replay);
        assert!(failure.replay.contains(&*bundle.to_string_lossy()));
        // Only the minimal failing run keeps its workspace.
        assert_eq!(setup.workspaces(), 1);
        assert!(
            failure
                .result
                .workspace
                .join("inputs/input/data.csv")
                .is_file()
        );

        // A plain run on the bundle reproduces the failure.
        let plain = crate::engine::run(&spec.clone().data_from(bundle).unwrap());
        assert_eq!(plain.status, Status::Fail);
        assert!(
            plain
                .error_message
                .unwrap_or_default()
                .contains("negative amount")
        );

        // The next property run replays the bundle first and stops there.
        let again = run_property(&spec, &config);
        assert_eq!(again.replayed_bundles, std::slice::from_ref(bundle));
        assert_eq!(again.cases_run, 0);
        let replayed = again.failure.expect("still failing");
        assert!(replayed.from_saved_bundle);
        assert_eq!(&replayed.bundle, bundle);
        assert_eq!(replayed.minimal_rows, failure.minimal_rows);
        assert_eq!(bundles(&config.bundle_dir).len(), 1);

        // Once fixed, the saved bundle passes, stays, and generated cases run.
        fs::write(&setup.script, python(PASSES)).unwrap();
        let fixed = run_property(&spec, &config);
        assert!(fixed.is_successful(), "{:?}", fixed.failure);
        assert_eq!(fixed.replayed_bundles, std::slice::from_ref(bundle));
        assert_eq!(fixed.cases_run, 16);
        assert_eq!(bundles(&config.bundle_dir), std::slice::from_ref(bundle));
    }

    #[test]
    fn a_division_by_the_row_count_shrinks_to_a_header_only_file() {
        let setup = Setup::new(&python(MEAN_BUG));
        let config = setup.config(32);
        let report = run_property(&setup.spec(), &config);
        let failure = report.failure.expect("the empty file is found");
        eprintln!(
            "found after {} cases, shrunk in {} steps, {:?} in all",
            report.cases_run, report.shrink_steps, report.elapsed
        );
        assert_eq!(failure.minimal_rows["input"], 0);
        let message = failure.result.error_message.unwrap_or_default();
        assert!(message.contains("ZeroDivisionError"), "{message}");
        assert_eq!(
            fs::read_to_string(failure.bundle.join("inputs/input/data.csv")).unwrap(),
            "from_currency,to_currency,amount,date\n"
        );
    }

    #[test]
    fn shrinking_stops_at_its_iteration_budget() {
        let setup = Setup::new(&python(NEGATIVE_BUG));
        let config = PropertyConfig {
            max_shrink_iters: 3,
            ..setup.config(16)
        };
        let report = run_property(&setup.spec(), &config);
        assert!(report.failure.is_some());
        assert!(report.shrink_steps <= 3, "{}", report.shrink_steps);
        let without = PropertyConfig {
            max_shrink_iters: 0,
            bundle_dir: setup.dir.path().join("other"),
            ..config
        };
        let report = run_property(&setup.spec(), &without);
        assert_eq!(report.shrink_steps, 0);
        assert!(
            report
                .failure
                .unwrap()
                .bundle
                .join(BUNDLE_MANIFEST)
                .is_file()
        );
    }

    #[test]
    fn an_invalid_schema_is_reported_without_a_bundle() {
        let setup = Setup::new(&python(PASSES));
        let schema = Schema {
            columns: vec![ColumnSpec {
                name: "age".into(),
                kind: ColumnKind::Int { min: 9, max: 1 },
                null_rate: 0.0,
            }],
            label: None,
        };
        let mut spec = setup.spec();
        spec.data = crate::data::DataPlan::new().channel(
            "input",
            ChannelPlan::Generated(GeneratedData::from_source(
                TableSource::Schema(schema),
                crate::data::RowCount::Rows(5),
            )),
        );
        let report = run_property(&spec, &setup.config(4));
        let failure = report.failure.unwrap();
        assert_eq!(failure.bundle, PathBuf::new());
        let note = failure.note.unwrap();
        assert!(note.contains("min 9 is greater than max 1"), "{note}");
        assert!(
            failure
                .result
                .error_message
                .unwrap()
                .contains("invalid schema")
        );
        assert_eq!(report.cases_run, 0);
    }

    #[test]
    fn a_bundle_that_cannot_be_written_is_a_note_not_a_panic() {
        let setup = Setup::new(&python(MEAN_BUG));
        let blocker = setup.dir.path().join("blocked");
        fs::write(&blocker, "a file where the bundle folder should be").unwrap();
        let config = PropertyConfig {
            bundle_dir: blocker,
            ..setup.config(32)
        };
        let report = run_property(&setup.spec(), &config);
        let failure = report.failure.unwrap();
        assert_eq!(failure.bundle, PathBuf::new());
        assert!(
            failure
                .note
                .unwrap()
                .contains("cannot write a failure bundle")
        );
        assert_eq!(failure.minimal_rows["input"], 0);
    }

    #[test]
    fn saved_bundles_are_folders_with_a_manifest_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b", "a", ".sf-bundle-x", "no-manifest"] {
            fs::create_dir_all(dir.path().join(name)).unwrap();
        }
        for name in ["b", "a", ".sf-bundle-x"] {
            fs::write(dir.path().join(name).join(BUNDLE_MANIFEST), "{}").unwrap();
        }
        fs::write(dir.path().join("c"), "a file").unwrap();
        assert_eq!(
            saved_bundles(dir.path()),
            [dir.path().join("a"), dir.path().join("b")]
        );
        assert!(saved_bundles(&dir.path().join("missing")).is_empty());
    }

    #[test]
    fn bundle_names_are_plain_file_names() {
        assert_eq!(
            crate::workspace::file_name_component("convert::small", "property"),
            "convert-small"
        );
        assert_eq!(
            crate::workspace::file_name_component("a b/c::rows_5", "property"),
            "a_b_c-rows_5"
        );
        assert_eq!(
            crate::workspace::file_name_component("", "property"),
            "property"
        );
    }

    #[test]
    fn the_default_configuration_is_the_documented_one() {
        let c = PropertyConfig::default();
        assert_eq!((c.cases, c.max_shrink_iters, c.max_rows), (64, 256, 50));
        assert_eq!(c.max_shrink_time, Duration::from_secs(60));
        assert_eq!(c.bundle_dir, PathBuf::from("sf-regressions"));
    }
}
