//! Property mode for pipelines: generated data enters at the sources, the whole pipeline runs on
//! each drawn dataset, a failing case shrinks to a minimal dataset saved as a failure bundle, and
//! saved bundles replay first.
//!
//! The sources are every [`ChannelPlan::Generated`] input of every step that no upstream output
//! is bound to. Each case writes the drawn tables into `inputs/<step>/<channel>/` of a case
//! directory and runs the pipeline with those folders as fixtures; a bundle keeps the same layout
//! so [`Pipeline::data_from`] replays it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proptest::strategy::BoxedStrategy;
use proptest::test_runner::{TestCaseError, TestError};
use serde::{Deserialize, Serialize};

use crate::atomic::write_json_atomic;
use crate::data::{ChannelPlan, Format, GeneratedData, Table, write_table};
use crate::pipeline::{BindingSource, Pipeline, PipelineOptions, PipelineResult, run_pipeline};
use crate::property::{BUNDLE_MANIFEST, PropertyConfig, saved_bundles};
use crate::spec::KeepWorkspace;
use crate::workspace::{is_workspace, remove_workspace};

/// What a pipeline property run did and found.
#[derive(Debug, Clone, Serialize)]
pub struct PipelinePropertyReport {
    /// The pipeline's name.
    pub pipeline: String,
    /// Generated cases run up to and including the first failure (all of them when none failed).
    pub cases_run: u32,
    /// Pipeline runs spent shrinking after the first failure.
    pub shrink_steps: u32,
    /// Saved bundles of this pipeline replayed before any new case, in the order they ran.
    pub replayed_bundles: Vec<PathBuf>,
    /// The failure, if any.
    pub failure: Option<PipelinePropertyFailure>,
    /// Wall-clock time of the whole run.
    #[serde(with = "crate::serde_secs")]
    pub elapsed: Duration,
}

impl PipelinePropertyReport {
    /// True when no dataset, saved or generated, made the pipeline fail.
    pub fn is_successful(&self) -> bool {
        self.failure.is_none()
    }
}

/// A dataset the pipeline fails on.
#[derive(Debug, Clone, Serialize)]
pub struct PipelinePropertyFailure {
    /// The run on the minimal (or saved) dataset.
    pub result: PipelineResult,
    /// The failure bundle holding that dataset; empty when none could be written.
    pub bundle: PathBuf,
    /// Data rows of each source channel (`step.channel`) in the minimal dataset.
    pub minimal_rows: BTreeMap<String, usize>,
    /// True when a saved bundle failed again, before any new case ran.
    pub from_saved_bundle: bool,
}

/// The contents of a pipeline bundle's `bundle.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    pipeline: String,
    seed: u64,
    cases_run: u32,
    shrink_steps: u32,
    minimal_rows: BTreeMap<String, usize>,
    first_failure: Option<String>,
    sf_version: String,
}

/// One source channel: the step, the channel, how its data is laid out.
struct Source {
    step: String,
    channel: String,
    data: GeneratedData,
}

impl Source {
    fn label(&self) -> String {
        format!("{}.{}", self.step, self.channel)
    }
}

/// Replays the saved bundles of this pipeline, then runs it on generated datasets drawn for its
/// source channels, and reports the first failure with a minimal dataset saved as a bundle.
///
/// Bounded like [`run_property`](crate::property::run_property): [`PropertyConfig::cases`]
/// datasets, shrinking limited by [`PropertyConfig::max_shrink_iters`] and
/// [`PropertyConfig::max_shrink_time`], the case generator seeded by [`PropertyConfig::seed`].
/// Run directories of passing cases are removed; the minimal failing run's is kept. An invalid
/// graph is a failure whose result carries the error (and no bundle).
pub fn run_pipeline_property(
    p: &Pipeline,
    config: &PropertyConfig,
    options: &PipelineOptions,
) -> PipelinePropertyReport {
    let started = Instant::now();
    let _span = tracing::info_span!("pipeline_property", name = %p.name).entered();
    let options = PipelineOptions {
        keep: KeepWorkspace::OnFailure,
        ..*options
    };
    let mut report = PipelinePropertyReport {
        pipeline: p.name.clone(),
        cases_run: 0,
        shrink_steps: 0,
        replayed_bundles: Vec::new(),
        failure: None,
        elapsed: Duration::ZERO,
    };
    for bundle in saved_bundles(&config.bundle_dir) {
        let Some(outcome) = replay_bundle(p, &bundle, &options) else {
            continue;
        };
        report.replayed_bundles.push(bundle);
        if let Some(failure) = outcome {
            report.failure = Some(failure);
            report.elapsed = started.elapsed();
            return report;
        }
    }
    explore(p, config, &options, &mut report);
    report.elapsed = started.elapsed();
    report
}

/// `None` when the bundle is not one of this pipeline's (or unreadable), `Some(None)` when the
/// pipeline passes on it, `Some(Some(failure))` when it still fails.
fn replay_bundle(
    p: &Pipeline,
    bundle: &Path,
    options: &PipelineOptions,
) -> Option<Option<PipelinePropertyFailure>> {
    let manifest: Manifest = fs::read(bundle.join(BUNDLE_MANIFEST))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())?;
    if manifest.pipeline != p.name {
        return None;
    }
    let replay = match p.clone().data_from(bundle) {
        Ok(r) => r,
        Err(err) => {
            tracing::warn!(%err, bundle = %bundle.display(), "skipping an unreadable failure bundle");
            return None;
        }
    };
    let result = run_or_error(&replay, options);
    tracing::info!(bundle = %bundle.display(), status = %result.status, "replayed a saved pipeline failure");
    if result.is_successful() {
        return Some(None);
    }
    Some(Some(PipelinePropertyFailure {
        result,
        bundle: bundle.to_owned(),
        minimal_rows: manifest.minimal_rows,
        from_saved_bundle: true,
    }))
}

/// Runs the pipeline; a pipeline that cannot run is a failing result that says why.
fn run_or_error(p: &Pipeline, options: &PipelineOptions) -> PipelineResult {
    run_pipeline(p, options)
        .unwrap_or_else(|err| PipelineResult::not_run(p, crate::engine::error_chain(&err)))
}

struct Failed {
    tables: Vec<Table>,
    key: Vec<Vec<u8>>,
    result: PipelineResult,
}

#[derive(Default)]
struct Progress {
    calls: u32,
    first_failure: Option<u32>,
    last_failure: Option<Failed>,
}

fn explore(
    p: &Pipeline,
    config: &PropertyConfig,
    options: &PipelineOptions,
    report: &mut PipelinePropertyReport,
) {
    let plan = match p.plan() {
        Ok(plan) => plan,
        Err(_) => {
            report.failure = Some(PipelinePropertyFailure {
                result: run_or_error(p, options),
                bundle: PathBuf::new(),
                minimal_rows: BTreeMap::new(),
                from_saved_bundle: false,
            });
            return;
        }
    };
    let sources: Vec<Source> = plan
        .bindings
        .iter()
        .filter(|b| matches!(b.source, BindingSource::Data(_)))
        .filter_map(|b| {
            let step = p.find_step(&b.step)?;
            match step.spec.data.channels.get(&b.input)? {
                ChannelPlan::Generated(g) => Some(Source {
                    step: b.step.clone(),
                    channel: b.input.clone(),
                    data: g.clone(),
                }),
                _ => None,
            }
        })
        .collect();
    let strategy: Vec<BoxedStrategy<Table>> = sources
        .iter()
        .map(|s| crate::data::strategy::table_with(&s.data.source, 0..=config.max_rows))
        .collect();
    let mut runner = config.test_runner(!sources.is_empty());
    let progress = RefCell::new(Progress::default());
    let outcome = runner.run(&strategy, |tables: Vec<Table>| {
        let result = run_case(p, &sources, &tables, options);
        let mut pr = progress.borrow_mut();
        pr.calls += 1;
        if result.is_successful() {
            return Ok(());
        }
        if pr.first_failure.is_none() {
            pr.first_failure = Some(pr.calls);
            tracing::info!(
                case = pr.calls,
                "a generated case broke the pipeline; shrinking"
            );
        }
        let reason = result
            .first_failure()
            .unwrap_or_else(|| "the pipeline failed".to_owned());
        let key = case_key(&tables);
        // Only the smallest failure so far is worth its run directory.
        if let Some(previous) = pr.last_failure.replace(Failed {
            tables,
            key,
            result,
        }) {
            discard(&previous.result);
        }
        Err(TestCaseError::fail(reason))
    });
    let progress = progress.into_inner();
    report.cases_run = progress.first_failure.unwrap_or(progress.calls);
    report.shrink_steps = progress.calls - report.cases_run;
    let failed = match outcome {
        Ok(()) => {
            tracing::info!(cases = progress.calls, "every generated case passed");
            return;
        }
        Err(TestError::Fail(_, minimal)) => {
            let key = case_key(&minimal);
            match progress.last_failure {
                Some(last) if last.key == key => last,
                last => {
                    // proptest's last run may have been a pass it stepped back from: run the
                    // minimal case once more for its result, unless it (flakily) passes.
                    let result = run_case(p, &sources, &minimal, options);
                    match last {
                        Some(last) if result.is_successful() => last,
                        last => {
                            if let Some(last) = last {
                                discard(&last.result);
                            }
                            Failed {
                                tables: minimal,
                                key,
                                result,
                            }
                        }
                    }
                }
            }
        }
        // Nothing filters cases, so proptest has no reason to abort; keep what failed last.
        Err(TestError::Abort(why)) => match progress.last_failure {
            Some(last) => last,
            None => {
                tracing::warn!(%why, "proptest aborted the pipeline property run");
                return;
            }
        },
    };
    let minimal_rows: BTreeMap<String, usize> = sources
        .iter()
        .zip(&failed.tables)
        .map(|(s, t)| (s.label(), t.rows()))
        .collect();
    let bundle = match write_bundle(p, config, &sources, &failed, &minimal_rows, report) {
        Ok(dir) => {
            tracing::info!(bundle = %dir.display(), "pipeline failure bundle written");
            dir
        }
        Err(err) => {
            tracing::warn!(%err, dir = %config.bundle_dir.display(), "cannot write a pipeline failure bundle");
            PathBuf::new()
        }
    };
    report.failure = Some(PipelinePropertyFailure {
        result: failed.result,
        bundle,
        minimal_rows,
        from_saved_bundle: false,
    });
}

/// Writes the drawn tables of each source into `dir/inputs/<step>/<channel>/`.
fn write_inputs(dir: &Path, sources: &[Source], tables: &[Table]) -> io::Result<()> {
    for (s, table) in sources.iter().zip(tables) {
        let target = dir.join("inputs").join(&s.step).join(&s.channel);
        s.data.write_table(table, &target).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot write {} to {}: {e}", s.label(), target.display()),
            )
        })?;
    }
    Ok(())
}

/// Runs the pipeline once with the drawn tables as its source channels.
fn run_case(
    p: &Pipeline,
    sources: &[Source],
    tables: &[Table],
    options: &PipelineOptions,
) -> PipelineResult {
    let prepared = tempfile::Builder::new()
        .prefix("sf-pipeline-case-")
        .tempdir()
        .and_then(|dir| write_inputs(dir.path(), sources, tables).map(|()| dir))
        .and_then(|dir| p.clone().data_from(dir.path()).map(|case| (dir, case)));
    match prepared {
        // The case directory lives until the run has copied the fixtures into its workspaces.
        Ok((_dir, case)) => run_or_error(&case, options),
        Err(err) => PipelineResult::not_run(p, format!("cannot lay out the case's data: {err}")),
    }
}

/// The drawn tables as CSV bytes: equal keys, equal source files.
fn case_key(tables: &[Table]) -> Vec<Vec<u8>> {
    tables
        .iter()
        .map(|t| {
            let mut bytes = Vec::new();
            // Writing into memory only fails on a bug in the writer; an empty key then merely
            // costs one more run of the minimal case.
            if write_table(t, Format::Csv, &mut bytes).is_err() {
                bytes.clear();
            }
            bytes
        })
        .collect()
}

/// Removes the kept run directory of a failing case that is no longer the smallest.
fn discard(result: &PipelineResult) {
    if is_workspace(&result.workspace) {
        let _ = crate::tree::set_writable(&result.workspace.join("edges"));
        if let Err(err) = remove_workspace(&result.workspace) {
            tracing::warn!(%err, dir = %result.workspace.display(), "cannot remove run directory");
        }
    }
}

/// Builds the bundle in a hidden directory and renames it onto a name reserved beforehand, so
/// a reader (or the next run's replay) never sees half a bundle.
fn write_bundle(
    p: &Pipeline,
    config: &PropertyConfig,
    sources: &[Source],
    failed: &Failed,
    minimal_rows: &BTreeMap<String, usize>,
    report: &PipelinePropertyReport,
) -> io::Result<PathBuf> {
    let root = &config.bundle_dir;
    fs::create_dir_all(root)?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    let prefix = format!(
        "pipeline-{}-{stamp}-",
        crate::workspace::file_name_component(&p.name, "pipeline")
    );
    let reserved = tempfile::Builder::new()
        .prefix(&prefix)
        .rand_bytes(6)
        .tempdir_in(root)?;
    let final_path = fs::canonicalize(reserved.path())?;
    let building = tempfile::Builder::new()
        .prefix(".sf-bundle-")
        .tempdir_in(root)?;
    write_inputs(building.path(), sources, &failed.tables)?;
    write_json_atomic(&building.path().join("pipeline.json"), &failed.result)?;
    write_json_atomic(
        &building.path().join(BUNDLE_MANIFEST),
        &Manifest {
            pipeline: p.name.clone(),
            seed: config.seed,
            cases_run: report.cases_run,
            shrink_steps: report.shrink_steps,
            minimal_rows: minimal_rows.clone(),
            first_failure: failed.result.first_failure(),
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
        let _ = fs::remove_dir_all(&built);
        let _ = fs::remove_dir(&reserved);
        return Err(err);
    }
    Ok(final_path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::ChannelChecks;
    use crate::data::{Profile, RowCount};
    use crate::pipeline::Pipeline;
    use crate::pipeline::support::Scripts;
    use crate::result::Status;

    /// `prep` passes generated currency rows on; `convert` fails on any negative number.
    fn pipeline(s: &Scripts) -> Pipeline {
        let mut prep = s.spec(
            "prep",
            "cp -R \"$SF_INPUT_INPUT\"/. \"$SF_OUTPUT_CLEAN\"/",
            &["clean"],
        );
        prep.data = crate::data::DataPlan::new().channel(
            "input",
            ChannelPlan::Generated(GeneratedData::new(Profile::Currency, RowCount::Rows(5))),
        );
        let convert = s.spec(
            "convert",
            "if grep -q ',-[0-9]' \"$SF_INPUT_CLEAN\"/data.csv; then echo negative >&2; exit 1; fi\n\
             echo ok > \"$SF_OUTPUT_OUT\"/ok",
            &["out"],
        );
        s.pipeline("currency")
            .step("prep", prep)
            .step("convert", convert)
            // Zero rows are a legitimate case here, not an edge failure.
            .reads(
                "convert",
                "clean",
                ChannelChecks {
                    some_rows: false,
                    ..ChannelChecks::edge()
                },
            )
    }

    #[test]
    fn a_source_value_that_breaks_a_downstream_step_is_found_shrunk_saved_and_replayed() {
        let s = Scripts::new();
        let p = pipeline(&s);
        let config = PropertyConfig {
            cases: 16,
            max_shrink_iters: 40,
            max_shrink_time: Duration::from_secs(20),
            max_rows: 8,
            bundle_dir: s.dir.path().join("bundles"),
            seed: 7,
        };
        let options = PipelineOptions {
            jobs: 1,
            keep: KeepWorkspace::OnFailure,
        };
        let report = run_pipeline_property(&p, &config, &options);
        let failure = report.failure.as_ref().expect("a negative amount is found");
        assert!(!failure.from_saved_bundle);
        assert_eq!(
            failure.minimal_rows,
            BTreeMap::from([("prep.input".to_owned(), 1)])
        );
        assert_eq!(failure.result.step("convert").unwrap().status, Status::Fail);
        assert!(report.cases_run >= 1);

        let bundle = &failure.bundle;
        let data = fs::read_to_string(bundle.join("inputs/prep/input/data.csv")).unwrap();
        assert_eq!(data.lines().count(), 2, "{data}");
        assert!(data.contains(",-"), "{data}");
        let manifest: serde_json::Value =
            serde_json::from_slice(&fs::read(bundle.join(BUNDLE_MANIFEST)).unwrap()).unwrap();
        assert_eq!(manifest["pipeline"], "currency");
        assert_eq!(manifest["minimal_rows"]["prep.input"], 1);
        assert!(
            manifest["first_failure"]
                .as_str()
                .unwrap()
                .starts_with("step convert failed")
        );
        let saved: PipelineResult =
            serde_json::from_slice(&fs::read(bundle.join("pipeline.json")).unwrap()).unwrap();
        assert_eq!(saved.status, Status::Fail);
        // Only the minimal failing run keeps its directory.
        let (kept, _) = crate::workspace::scan_root(&s.root()).unwrap();
        assert_eq!(kept.len(), 1, "{kept:?}");

        let again = run_pipeline_property(&p, &config, &options);
        assert_eq!(again.replayed_bundles, std::slice::from_ref(bundle));
        let replayed = again.failure.unwrap();
        assert!(replayed.from_saved_bundle);
        assert_eq!(replayed.minimal_rows["prep.input"], 1);
    }

    #[test]
    fn a_pipeline_that_always_passes_runs_every_case() {
        let s = Scripts::new();
        let mut p = pipeline(&s);
        p.steps[1].spec = s.spec("convert", "echo ok > \"$SF_OUTPUT_OUT\"/ok", &["out"]);
        let config = PropertyConfig {
            cases: 3,
            bundle_dir: s.dir.path().join("bundles"),
            ..PropertyConfig::default()
        };
        let report = run_pipeline_property(&p, &config, &PipelineOptions::default());
        assert!(report.is_successful());
        assert_eq!(report.cases_run, 3);
        assert!(!config.bundle_dir.exists());
    }
}
