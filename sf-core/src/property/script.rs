//! Property runs of a script: every case is a plain [`engine::run`](crate::engine::run) in a
//! fresh workspace, with the generated channels written as files in their channel's layout and
//! handed to the run as fixtures; other channels are filled as the spec says, the same for every
//! case.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::bundle::{BUNDLE_CONTEXT, BUNDLE_INPUTS, BUNDLE_STDERR, BUNDLE_STDOUT, Manifest};
use super::config::PropertyConfig;
use super::core::{Source, Subject, write_sources};
use super::outcome::PropertyReport;
use crate::data::{ChannelPlan, Table, channel_seed};
use crate::result::{Status, TestResult};
use crate::spec::{KeepWorkspace, TestSpec};
use crate::workspace::{Workspace, is_workspace, remove_workspace};

/// Runs `spec`'s script on saved failure bundles, then on generated datasets (one
/// [`strategy::table`](crate::strategy::table) per generated channel), and reports the first
/// failure with a minimal dataset saved as a bundle, with the failing run's context and logs.
///
/// Never panics on anything the script does. Workspaces of passing runs are removed; the minimal
/// failing run keeps its workspace, as a failing plain run does.
pub fn run_property(spec: &TestSpec, config: &PropertyConfig) -> PropertyReport {
    let _span = tracing::info_span!("property", test = %spec.test_name()).entered();
    let cold = super::config::cold_reason(config);
    let warm = cold.is_none().then(crate::run::warm::WarmPool::new);
    super::core::run(
        &ScriptSubject {
            spec,
            warm: warm.as_ref(),
            cold: cold.unwrap_or_default(),
            config,
        },
        config,
    )
}

struct ScriptSubject<'a> {
    spec: &'a TestSpec,
    /// Where python-main cases are forked from, unless the run is cold.
    warm: Option<&'a crate::run::warm::WarmPool>,
    /// Why the cases start cold, when they do.
    cold: &'static str,
    /// The property's settings: which output checks the cases keep.
    config: &'a PropertyConfig,
}

impl ScriptSubject<'_> {
    /// Runs `spec` as a property case: with the output checks the property keeps.
    fn run(&self, spec: &TestSpec) -> TestResult {
        let mut spec = spec.clone();
        self.config.case_checks(&mut spec);
        let spec = &spec;
        match self.warm {
            Some(pool) => crate::engine::run_warm(spec, pool),
            None => {
                let mut result = crate::engine::run(spec);
                if let Some(execution) = result.execution.as_mut() {
                    execution.start = crate::run::warm::Start::cold(self.cold);
                }
                result
            }
        }
    }
}

impl ScriptSubject<'_> {
    fn not_run(&self, message: String) -> TestResult {
        let spec = self.spec;
        TestResult::not_run(
            spec.script_name(),
            spec.seed,
            spec.expect,
            Status::Fail,
            spec.workspace_root.clone(),
            Some(message),
        )
    }
}

impl Subject for ScriptSubject<'_> {
    type Result = TestResult;

    fn test_name(&self) -> String {
        self.spec.test_name()
    }

    fn bundle_prefix(&self) -> String {
        crate::workspace::file_name_component(&self.spec.test_name(), "property")
    }

    fn sources(&self) -> Result<Vec<Source>, (TestResult, Option<String>)> {
        let mut sources = Vec::new();
        for (channel, plan) in &self.spec.data.channels {
            let ChannelPlan::Generated(data) = plan else {
                continue;
            };
            if let Err(err) = data.check() {
                // No dataset can be laid out; the plain run says why, in the usual words.
                let spec = self.spec.clone().keep_workspace(KeepWorkspace::OnFailure);
                let note = format!(
                    "no bundle written: input channel `{channel}` cannot be generated: {err}"
                );
                return Err((self.run(&spec), Some(note)));
            }
            sources.push(Source {
                label: channel.clone(),
                dir: Path::new(BUNDLE_INPUTS).join(channel),
                data: data.clone(),
            });
        }
        Ok(sources)
    }

    fn run_case(&self, case_dir: &Path) -> TestResult {
        let mut spec = self.spec.clone().keep_workspace(KeepWorkspace::OnFailure);
        for (channel, plan) in spec.data.channels.iter_mut() {
            if matches!(plan, ChannelPlan::Generated(_)) {
                *plan = ChannelPlan::Fixture {
                    source: case_dir.join(BUNDLE_INPUTS).join(channel),
                };
            }
        }
        self.run(&spec)
    }

    fn case_not_laid_out(&self, reason: String) -> TestResult {
        self.not_run(reason)
    }

    fn passed(result: &TestResult) -> bool {
        result.is_successful()
    }

    fn start(result: &TestResult) -> Option<&crate::run::warm::Start> {
        result.execution.as_ref().map(|e| &e.start)
    }

    fn memory_mb(result: &TestResult) -> f64 {
        result.memory_usage
    }

    fn reason(result: &TestResult) -> String {
        result
            .error_message
            .clone()
            .unwrap_or_else(|| format!("the test ended {}", result.status))
    }

    fn discard(result: &TestResult) {
        // An early failure names the workspace root instead, which the marker check leaves alone.
        if is_workspace(&result.workspace)
            && let Err(err) = remove_workspace(&result.workspace)
        {
            tracing::warn!(%err, workspace = %result.workspace.display(), "cannot remove workspace");
        }
    }

    fn replay(&self, dir: &Path, manifest: &Manifest) -> Option<TestResult> {
        if manifest.pipeline.is_some() {
            // A pipeline's bundle in the same folder: its channels are named after steps.
            return None;
        }
        match self.spec.clone().data_from(dir) {
            Ok(spec) => Some(self.run(&spec.keep_workspace(KeepWorkspace::OnFailure))),
            Err(err) => {
                tracing::warn!(%err, bundle = %dir.display(), "skipping an unreadable failure bundle");
                None
            }
        }
    }

    fn replay_command(&self, result: &TestResult, dir: &Path) -> String {
        self.spec.replay_command(result.script_path.as_deref(), dir)
    }

    fn replay_notes(&self) -> Vec<String> {
        self.spec.replay_gaps()
    }

    fn fill_bundle(
        &self,
        dir: &Path,
        sources: &[Source],
        tables: &[Table],
        result: &TestResult,
    ) -> io::Result<()> {
        let spec = self.spec;
        let workspace = is_workspace(&result.workspace).then(|| Workspace::at(&result.workspace));
        let inputs = dir.join(BUNDLE_INPUTS);
        fs::create_dir_all(&inputs)?;
        // The inputs as the failing run was given them, laid out again from the case's tables
        // and the plan: the workspace's copies may have been changed by the script since.
        for (channel, plan) in &spec.data.channels {
            let target = inputs.join(channel);
            if let Some(i) = sources.iter().position(|s| &s.label == channel) {
                write_sources(dir, &sources[i..=i], &tables[i..=i])?;
            } else {
                plan.write_into(&target, channel_seed(spec.seed, channel))?;
            }
        }
        let files: [(Option<PathBuf>, &str); 3] = [
            (
                workspace.as_ref().map(Workspace::context_file),
                BUNDLE_CONTEXT,
            ),
            (workspace.as_ref().map(Workspace::stdout_log), BUNDLE_STDOUT),
            (workspace.as_ref().map(Workspace::stderr_log), BUNDLE_STDERR),
        ];
        for (source, to) in files {
            match source.filter(|p| p.is_file()) {
                Some(source) => {
                    fs::copy(&source, dir.join(to)).map_err(|e| {
                        io::Error::new(e.kind(), format!("cannot copy {}: {e}", source.display()))
                    })?;
                }
                // The script never started (or left no file): an empty file keeps the layout.
                None => fs::write(dir.join(to), b"")?,
            }
        }
        Ok(())
    }

    fn manifest(&self, result: &TestResult) -> Manifest {
        Manifest {
            script: Some(
                result
                    .script_path
                    .as_ref()
                    .map_or_else(|| self.spec.script_name(), |p| p.display().to_string()),
            ),
            data_seed: Some(self.spec.seed),
            ..Manifest::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::data::{ColumnKind, ColumnSpec, GeneratedData, Profile, Schema, TableSource};
    use crate::property::BUNDLE_MANIFEST;
    use crate::property::bundle::saved_bundles;
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
    /// Copies the `input` channel's CSV, row for row, into `summary.csv`.
    const COPIES_ITS_INPUT: &str = "import csv, os\n\ndef main(input_paths, output_paths, environ_vars, job_args):\n    \
         rows = list(csv.reader(open(os.path.join(input_paths['input'], 'data.csv'), newline='')))\n    \
         csv.writer(open(os.path.join(output_paths['output'], 'summary.csv'), 'w', newline='')).writerows(rows)\n";
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
        let setup = Setup::new(COPIES_ITS_INPUT);
        let report = run_property(&setup.spec(), &setup.config(16));
        assert!(report.is_successful(), "{:?}", report.failure);
        assert_eq!(report.cases_run, 16);
        assert_eq!(report.shrink_steps, 0);
        assert!(report.replayed_bundles.is_empty());
        assert_eq!(report.test_name, "convert::small");
        // Python alone takes a few MB: the largest case's peak is reported, not nothing.
        assert!(report.peak_memory_mb > 1.0, "{}", report.peak_memory_mb);
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
        // The bundle's `replay` file runs that command.
        let replay_file = fs::read_to_string(bundle.join(crate::replay::REPLAY_FILE)).unwrap();
        assert!(
            replay_file.contains(&format!("exec {} \"$@\"", failure.replay)),
            "{replay_file}"
        );
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
    fn a_bundle_keeps_the_data_the_script_was_given_not_what_it_left() {
        // The script empties its (writable) input before failing on a negative amount.
        let body = format!(
            "    open(os.path.join(input_paths['input'], 'data.csv'), 'w').close()\n{NEGATIVE_BUG}"
        );
        let setup = Setup::new(&python(&body));
        let report = run_property(&setup.spec(), &setup.config(16));
        let failure = report.failure.expect("the bug is found");
        let data = fs::read_to_string(failure.bundle.join("inputs/input/data.csv")).unwrap();
        assert!(data.starts_with("from_currency,"), "{data:?}");
        assert!(
            data.contains(",-"),
            "the failing row is in the bundle: {data:?}"
        );
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
        let setup = Setup::new(COPIES_ITS_INPUT);
        let schema = Schema {
            columns: vec![ColumnSpec::new("age", ColumnKind::Int { min: 9, max: 1 })],
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

    /// A saved bundle of `body`'s channel `input` with the manifest `manifest`.
    fn save_bundle(setup: &Setup, name: &str, data: &str, manifest: &str) {
        let bundle = setup.dir.path().join("sf-regressions").join(name);
        fs::create_dir_all(bundle.join("inputs/input")).unwrap();
        fs::write(bundle.join("inputs/input/data.csv"), data).unwrap();
        fs::write(bundle.join(BUNDLE_MANIFEST), manifest).unwrap();
    }

    const NEGATIVE_ROW: &str = "from_currency,to_currency,amount,date\nUSD,EUR,-5.00,2024-01-01\n";

    #[test]
    fn a_saved_bundle_whose_manifest_says_nothing_still_replays_and_fails() {
        let setup = Setup::new(&python(NEGATIVE_BUG));
        save_bundle(&setup, "hand-written", NEGATIVE_ROW, "{}");
        let report = run_property(&setup.spec(), &setup.config(4));
        let failure = report.failure.expect("the saved bundle still fails");
        assert!(failure.from_saved_bundle);
        assert_eq!(report.replayed_bundles.len(), 1);
        assert!(
            failure
                .result
                .error_message
                .unwrap_or_default()
                .contains("negative amount"),
        );
    }

    #[test]
    fn a_pipelines_bundle_beside_a_scripts_is_not_replayed_as_the_scripts() {
        let setup = Setup::new(&python(NEGATIVE_BUG));
        save_bundle(&setup, "pipeline-p", NEGATIVE_ROW, r#"{"pipeline": "p"}"#);
        let report = run_property(
            &setup.spec(),
            &PropertyConfig {
                max_rows: 0,
                ..setup.config(2)
            },
        );
        assert!(
            report.replayed_bundles.is_empty(),
            "{:?}",
            report.replayed_bundles
        );
        assert!(report.is_successful(), "{:?}", report.failure);
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
        assert_eq!(
            (c.cases, c.max_shrink_iters, c.max_rows),
            (64, u32::MAX, 50)
        );
        assert_eq!(c.max_shrink_time, Duration::from_secs(300));
        assert!(c.warm);
        assert_eq!(c.bundle_dir, PathBuf::from("sf-regressions"));
    }

    #[test]
    fn row_counts_of_the_seeded_run_do_not_bind_property_cases_unless_asked() {
        // An empty input gives a header-only summary: fine for any case, short of the seeded
        // run's min_rows.
        let setup = Setup::new(COPIES_ITS_INPUT);
        let mut spec = setup.spec();
        spec.outputs.insert(
            "output".to_owned(),
            crate::checks::ChannelChecks {
                min_rows: Some(1),
                files: Some("summary.csv".to_owned()),
                ..crate::checks::ChannelChecks::output()
            },
        );
        let config = PropertyConfig {
            min_rows: Some(0),
            ..setup.config(24)
        };
        let report = run_property(&spec, &config);
        assert!(
            report.is_successful(),
            "{:?}",
            report.failure.map(|f| f.result.error_message)
        );

        let all = PropertyConfig {
            output_checks: super::super::OutputChecks::All,
            bundle_dir: setup.dir.path().join("all"),
            ..config.clone()
        };
        let report = run_property(&spec, &all);
        let failure = report.failure.expect("an empty input fails min_rows = 1");
        assert_eq!(failure.minimal_rows["input"], 0);

        // The property's own checks of an output replace the seeded run's, as written: its
        // min_rows holds in every case, whatever `output_checks` says.
        let own = PropertyConfig {
            outputs: std::collections::BTreeMap::from([(
                "output".to_owned(),
                crate::checks::ChannelChecks {
                    min_rows: Some(1),
                    ..crate::checks::ChannelChecks::output()
                },
            )]),
            bundle_dir: setup.dir.path().join("own"),
            ..config.clone()
        };
        let failure = run_property(&spec, &own)
            .failure
            .expect("the property's own min_rows = 1 fails an empty input");
        assert_eq!(failure.minimal_rows["input"], 0);

        // The shape still holds every case: a missing file fails.
        spec.outputs.get_mut("output").unwrap().files = Some("other.csv".to_owned());
        let shape = PropertyConfig {
            bundle_dir: setup.dir.path().join("shape"),
            ..config.clone()
        };
        assert!(!run_property(&spec, &shape).is_successful());
        // Unless the property's own checks of that output drop it.
        let dropped = PropertyConfig {
            outputs: std::collections::BTreeMap::from([(
                "output".to_owned(),
                crate::checks::ChannelChecks::output(),
            )]),
            bundle_dir: setup.dir.path().join("dropped"),
            ..config
        };
        let report = run_property(&spec, &dropped);
        assert!(
            report.is_successful(),
            "{:?}",
            report.failure.map(|f| f.result.error_message)
        );
    }
}
