//! Property runs of a pipeline: generated data enters at the sources, the whole pipeline runs on
//! each drawn dataset, and a failing case's bundle keeps the sources' data.
//!
//! The sources are every [`ChannelPlan::Generated`] input of every step that no upstream output
//! is bound to. Each case writes the drawn tables into `inputs/<step>/<channel>/` of a case
//! directory and runs the pipeline with those folders as fixtures; a bundle keeps the same layout
//! so [`Pipeline::data_from`] replays it.

use std::io;
use std::path::Path;

use super::bundle::{BUNDLE_INPUTS, Manifest};
use super::config::PropertyConfig;
use super::core::{Source, Subject, write_sources};
use super::outcome::PropertyReport;
use crate::atomic::write_json_atomic;
use crate::data::{ChannelPlan, Table};
use crate::pipeline::{BindingSource, Pipeline, PipelineOptions, PipelineResult, run_or_report};
use crate::result::Status;
use crate::spec::KeepWorkspace;
use crate::workspace::{Workspace, is_workspace, remove_workspace};

/// What a pipeline property run did and found.
pub type PipelinePropertyReport = PropertyReport<PipelineResult>;
/// A dataset a pipeline fails on.
pub type PipelinePropertyFailure = super::PropertyFailure<PipelineResult>;

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
    let _span = tracing::info_span!("pipeline_property", name = %p.name).entered();
    let options = PipelineOptions {
        keep: KeepWorkspace::OnFailure,
        warm: super::config::cold_reason(config)
            .is_none()
            .then(|| std::sync::Arc::new(crate::run::warm::WarmPool::new())),
        ..options.clone()
    };
    // The steps' output checks, as the property keeps them.
    let mut cases = p.clone();
    config.case_pipeline(&mut cases);
    super::core::run(
        &PipelineSubject {
            p: &cases,
            options,
            edge_checks: config.edge_checks,
        },
        config,
    )
}

struct PipelineSubject<'a> {
    p: &'a Pipeline,
    options: PipelineOptions,
    /// Whether a failed edge check fails the property, or puts the case out of the contract.
    edge_checks: bool,
}

impl PipelineSubject<'_> {
    fn run(&self, p: &Pipeline) -> PipelineResult {
        run_or_report(p, &self.options)
    }
}

impl Subject for PipelineSubject<'_> {
    type Result = PipelineResult;

    fn test_name(&self) -> String {
        format!("{}{}", crate::suite::PIPELINE_PREFIX, self.p.name)
    }

    /// A pipeline's sources are where its data enters: an empty one would only tell that
    /// every step downstream sees nothing.
    fn default_min_rows(&self) -> usize {
        1
    }

    fn bundle_prefix(&self) -> String {
        format!(
            "pipeline-{}",
            crate::workspace::file_name_component(&self.p.name, "pipeline")
        )
    }

    fn sources(&self) -> Result<Vec<Source>, (PipelineResult, Option<String>)> {
        let plan = self.p.plan().map_err(|_| (self.run(self.p), None))?;
        Ok(plan
            .bindings
            .iter()
            .filter(|b| matches!(b.source, BindingSource::Data(_)))
            .filter_map(|b| {
                let step = self.p.find_step(&b.step)?;
                match step.spec.data.channels.get(&b.input)? {
                    ChannelPlan::Generated(g) => Some(Source {
                        label: format!("{}.{}", b.step, b.input),
                        dir: Path::new(BUNDLE_INPUTS).join(&b.step).join(&b.input),
                        data: g.clone(),
                    }),
                    _ => None,
                }
            })
            .collect())
    }

    fn run_case(&self, case_dir: &Path) -> PipelineResult {
        match self.p.clone().data_from(case_dir) {
            Ok(case) => self.run(&case),
            Err(err) => self.case_not_laid_out(format!("cannot lay out the case's data: {err}")),
        }
    }

    fn case_not_laid_out(&self, reason: String) -> PipelineResult {
        PipelineResult::not_run(self.p, reason)
    }

    fn passed(result: &PipelineResult) -> bool {
        result.is_successful()
    }

    /// The pipeline's start: cold when any step was (with its reason), else warm.
    fn start(result: &PipelineResult) -> Option<&crate::run::warm::Start> {
        let starts: Vec<&crate::run::warm::Start> = result
            .steps
            .iter()
            .filter_map(|s| Some(&s.result.as_ref()?.execution.as_ref()?.start))
            .collect();
        starts
            .iter()
            .find(|s| s.kind == crate::run::warm::StartKind::Cold)
            .or(starts.first())
            .copied()
    }

    fn out_of_contract(&self, result: &PipelineResult) -> Option<String> {
        if self.edge_checks || result.steps.iter().any(|s| s.status == Status::Fail) {
            return None;
        }
        let edge = result.edges.iter().find(|e| e.status == Status::Fail)?;
        // A value expectation on an edge is about what the upstream step wrote, whatever data
        // it was given: it is part of the property.
        if edge
            .checks
            .iter()
            .any(|c| !c.passed && c.check == crate::checks::Check::Values)
        {
            return None;
        }
        let why = edge
            .checks
            .iter()
            .find_map(|c| c.message.clone())
            .unwrap_or_else(|| "an edge check failed".to_owned());
        Some(format!("edge {} -> {}: {why}", edge.from, edge.to))
    }

    fn memory_mb(result: &PipelineResult) -> f64 {
        result.summary_result().memory_usage
    }

    fn reason(result: &PipelineResult) -> String {
        result
            .first_failure()
            .unwrap_or_else(|| "the pipeline failed".to_owned())
    }

    fn discard(result: &PipelineResult) {
        if is_workspace(&result.workspace) {
            let _ = crate::tree::set_writable(&Workspace::at(&result.workspace).edges());
            if let Err(err) = remove_workspace(&result.workspace) {
                tracing::warn!(%err, dir = %result.workspace.display(), "cannot remove run directory");
            }
        }
    }

    fn replay(&self, dir: &Path, manifest: &Manifest) -> Option<PipelineResult> {
        if manifest.pipeline.as_deref() != Some(self.p.name.as_str()) {
            return None;
        }
        match self.p.clone().data_from(dir) {
            Ok(replay) => Some(self.run(&replay)),
            Err(err) => {
                tracing::warn!(%err, bundle = %dir.display(), "skipping an unreadable failure bundle");
                None
            }
        }
    }

    fn replay_command(&self, _result: &PipelineResult, dir: &Path) -> String {
        self.p.replay_command(dir)
    }

    fn fill_bundle(
        &self,
        dir: &Path,
        sources: &[Source],
        tables: &[Table],
        result: &PipelineResult,
    ) -> io::Result<()> {
        write_sources(dir, sources, tables)?;
        write_json_atomic(&Workspace::at(dir).pipeline_file(), result)
    }

    fn manifest(&self, _result: &PipelineResult) -> Manifest {
        Manifest {
            pipeline: Some(self.p.name.clone()),
            ..Manifest::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::fs;
    use std::time::Duration;

    use super::*;
    use crate::checks::ChannelChecks;
    use crate::data::{GeneratedData, Profile, RowCount};
    use crate::pipeline::Pipeline;
    use crate::pipeline::support::Scripts;
    use crate::property::BUNDLE_MANIFEST;
    use crate::result::Status;

    /// A generated `input` channel of currency rows.
    fn currency_input() -> crate::data::DataPlan {
        crate::data::DataPlan::new().channel(
            "input",
            ChannelPlan::Generated(GeneratedData::new(Profile::Currency, RowCount::Rows(5))),
        )
    }

    /// `prep` passes generated currency rows on; `convert` fails on any negative number.
    fn pipeline(s: &Scripts) -> Pipeline {
        let mut prep = s.spec(
            "prep",
            "cp -R \"$SF_INPUT_INPUT\"/. \"$SF_OUTPUT_CLEAN\"/",
            &["clean"],
        );
        prep.data = currency_input();
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
            ..PropertyConfig::default()
        };
        let options = PipelineOptions {
            jobs: 1,
            keep: KeepWorkspace::OnFailure,
            warm: None,
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
            manifest["error_message"]
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
    fn a_property_gives_a_steps_output_its_own_checks_by_step_and_channel() {
        let s = Scripts::new();
        let p = pipeline(&s);
        let config = PropertyConfig {
            cases: 4,
            max_shrink_iters: 4,
            max_rows: 4,
            bundle_dir: s.dir.path().join("bundles"),
            seed: 7,
            outputs: BTreeMap::from([(
                "prep.clean".to_owned(),
                ChannelChecks {
                    files: Some("missing.csv".to_owned()),
                    ..ChannelChecks::output()
                },
            )]),
            ..PropertyConfig::default()
        };
        let options = PipelineOptions {
            jobs: 1,
            keep: KeepWorkspace::OnFailure,
            warm: None,
        };
        // The seeded run checks nothing of `clean`; every case checks the property's own.
        let report = run_pipeline_property(&p, &config, &options);
        let failure = report.failure.expect("no case writes missing.csv");
        assert_eq!(failure.result.step("prep").unwrap().status, Status::Fail);
        let message = failure.result.first_failure().unwrap_or_default();
        assert!(
            message.contains("output channel `clean` has no file matching `missing.csv`"),
            "{message}"
        );
    }

    #[test]
    fn pipeline_sources_hold_a_row_unless_min_rows_says_otherwise() {
        let s = Scripts::new();
        let mut p = pipeline(&s);
        let mut prep = s.spec(
            "prep",
            "test \"$(wc -l < \"$SF_INPUT_INPUT\"/data.csv)\" -gt 1 || { echo empty >&2; exit 1; }\n\
             cp -R \"$SF_INPUT_INPUT\"/. \"$SF_OUTPUT_CLEAN\"/",
            &["clean"],
        );
        prep.data = p.steps[0].spec.data.clone();
        p.steps[0].spec = prep;
        p.steps[1].spec = s.spec("convert", "echo ok > \"$SF_OUTPUT_OUT\"/ok", &["out"]);
        let config = PropertyConfig {
            cases: 24,
            max_rows: 3,
            bundle_dir: s.dir.path().join("bundles"),
            ..PropertyConfig::default()
        };
        let report = run_pipeline_property(&p, &config, &PipelineOptions::default());
        assert!(report.is_successful(), "{:?}", report.failure);
        assert_eq!(report.cases_run, 24);

        let empty_allowed = PropertyConfig {
            min_rows: Some(0),
            ..config
        };
        let report = run_pipeline_property(&p, &empty_allowed, &PipelineOptions::default());
        let failure = report.failure.expect("a header-only source is drawn");
        assert_eq!(failure.minimal_rows["prep.input"], 0);
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

    /// `prep` keeps rows above 2,000 (none at all is out of `convert`'s edge contract);
    /// `convert` fails on any amount above 5,000.
    fn filtering(s: &Scripts) -> Pipeline {
        let python = |body: &str| format!("python3 - <<'PY'\nimport csv, os\n{body}\nPY");
        let mut prep = s.spec(
            "prep",
            &python(
                "rows = list(csv.reader(open(os.path.join(os.environ['SF_INPUT_INPUT'], 'data.csv'), newline='')))\n\
                 def big(r):\n    try:\n        return float(r[2]) > 2000\n    except (ValueError, IndexError):\n        return False\n\
                 w = csv.writer(open(os.path.join(os.environ['SF_OUTPUT_CLEAN'], 'data.csv'), 'w', newline=''))\n\
                 w.writerow(rows[0])\n\
                 w.writerows(r for r in rows[1:] if big(r))",
            ),
            &["clean"],
        );
        prep.data = currency_input();
        let convert = s.spec(
            "convert",
            &python(
                "for r in list(csv.reader(open(os.path.join(os.environ['SF_INPUT_CLEAN'], 'data.csv'), newline='')))[1:]:\n    \
                 if float(r[2]) > 5000:\n        raise SystemExit('amount over 5000: ' + r[2])\n\
                 open(os.path.join(os.environ['SF_OUTPUT_OUT'], 'ok'), 'w').write('ok')",
            ),
            &["out"],
        );
        s.pipeline("filtering")
            .step("prep", prep)
            .step("convert", convert)
            // The edge's contract: rows to convert.
            .reads("convert", "clean", ChannelChecks::edge())
    }

    #[test]
    fn an_edge_check_broken_by_generated_data_discards_the_case_unless_edges_are_part_of_the_property()
     {
        let s = Scripts::new();
        let p = filtering(&s);
        let config = PropertyConfig {
            cases: 32,
            max_rows: 4,
            bundle_dir: s.dir.path().join("bundles"),
            seed: 11,
            ..PropertyConfig::default()
        };
        let options = PipelineOptions {
            jobs: 1,
            ..PipelineOptions::default()
        };
        let report = run_pipeline_property(&p, &config, &options);
        let failure = report
            .failure
            .as_ref()
            .expect("an amount over 5000 is found");
        // The downstream step's own failure, not "no data rows" on the edge.
        assert_eq!(failure.result.step("convert").unwrap().status, Status::Fail);
        let stderr = failure
            .result
            .step("convert")
            .and_then(|c| c.result.as_ref())
            .and_then(|r| r.execution.as_ref())
            .map(|e| e.stderr_tail.clone())
            .unwrap_or_default();
        assert!(stderr.contains("amount over 5000"), "{stderr}");
        assert_eq!(failure.minimal_rows["prep.input"], 1);
        assert!(report.out_of_contract >= 1, "{}", report.out_of_contract);
        let text = crate::report::pipeline_property_summary(&report).unwrap();
        assert!(text.contains("discarded as out of the contract"), "{text}");

        let strict = PropertyConfig {
            edge_checks: true,
            bundle_dir: s.dir.path().join("strict"),
            ..config
        };
        let report = run_pipeline_property(&p, &strict, &options);
        let failure = report.failure.as_ref().expect("an edge failure counts now");
        assert_eq!(report.out_of_contract, 0);
        assert!(
            failure
                .result
                .edges
                .iter()
                .any(|e| e.status == Status::Fail),
            "{:?}",
            failure.result.first_failure()
        );
    }
}
