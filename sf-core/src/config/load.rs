//! Reading a configuration file into a suite.

use std::path::{Path, PathBuf};

#[cfg(test)]
use super::CONFIG_FILE;
use super::ConfigError;
use crate::suite::Suite;

/// Reads and validates `path`. Every mistake is an error naming the file, the line and the key:
/// unknown keys, wrong types, unknown profiles or sizes, globs matching nothing, scripts or
/// fixtures that do not exist, invalid schemas.
pub fn load(path: &Path) -> Result<Suite, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let message = if e.kind() == std::io::ErrorKind::NotFound {
            "no configuration here: `sf init` writes one for a folder of scripts, or pass \
             --config PATH (the harness: SF_CONFIG)"
                .to_owned()
        } else {
            format!("cannot read the configuration: {e}")
        };
        ConfigError::new(path, message)
    })?;
    parse(path, &text)
}

/// Validates configuration `text` as if read from `path`.
pub fn parse(path: &Path, text: &str) -> Result<Suite, ConfigError> {
    let config = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let root = config
        .parent()
        .map(Path::to_owned)
        .unwrap_or_else(|| PathBuf::from("."));
    let built = super::build::build(&config, &root, text)?;
    let mut suite = Suite::new(
        config,
        root,
        built.workspace_root,
        built.tests.into_iter().chain(built.pipelines).collect(),
    );
    suite.report = built.report;
    Ok(suite)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::data::{ChannelPlan, Layout, RowCount, Size};
    use crate::spec::TestSpec;
    use crate::suite::{Entry, EntryKind};

    fn spec(entry: &Entry) -> &TestSpec {
        match &entry.kind {
            EntryKind::Script(spec) => spec,
            EntryKind::Pipeline(_) => panic!("{} is a pipeline", entry.name),
        }
    }

    fn repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("scripts")).unwrap();
        fs::create_dir_all(dir.path().join("fixtures/data")).unwrap();
        fs::write(dir.path().join("fixtures/data/a.csv"), "x\n1\n").unwrap();
        for s in ["alpha.py", "beta.py", "tool.sh"] {
            fs::write(dir.path().join("scripts").join(s), "").unwrap();
        }
        dir
    }

    fn load(dir: &tempfile::TempDir, text: &str) -> Result<Suite, ConfigError> {
        let path = dir.path().join(CONFIG_FILE);
        fs::write(&path, text).unwrap();
        super::load(&path)
    }

    fn error(text: &str) -> String {
        let dir = repo();
        let err = load(&dir, text).unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.starts_with(&dir.path().join(CONFIG_FILE).display().to_string()),
            "{shown}"
        );
        shown[dir.path().join(CONFIG_FILE).display().to_string().len()..].to_owned()
    }

    #[test]
    fn report_html_is_a_file_beside_the_configuration_and_mistakes_name_the_key() {
        let dir = repo();
        assert_eq!(load(&dir, "").unwrap().report.html, None);
        let suite = load(&dir, "[report]\nhtml = \"out/sf.html\"\n").unwrap();
        assert_eq!(suite.report.html, Some(dir.path().join("out/sf.html")));
        let err = error("[report]\nhtml = \"\"\n");
        assert!(
            err.contains("report.html") && err.contains("names no file"),
            "{err}"
        );
        let err = error("[report]\nhtml = \"scripts\"\n");
        assert!(err.contains("is a directory"), "{err}");
        let err = error("[report]\nhtlm = \"x.html\"\n");
        assert!(err.contains("htlm"), "{err}");
    }

    #[test]
    fn an_empty_config_discovers_scripts_with_the_default_glob() {
        let dir = repo();
        let suite = load(&dir, "").unwrap();
        let names: Vec<_> = suite.entries.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["alpha::small", "beta::small"]);
    }

    #[test]
    fn two_sections_of_one_script_are_two_tests_named_after_their_sections() {
        let dir = repo();
        let suite = load(
            &dir,
            r#"
[scripts.mvi_small]
path = "scripts/alpha.py"
sizes = ["small"]
[scripts.mvi_large]
path = "scripts/alpha.py"
sizes = ["large"]
[[pipelines.p.steps]]
script = "alpha"
"#,
        )
        .unwrap();
        let names: Vec<_> = suite.entries.iter().map(|t| t.name.as_str()).collect();
        // Two tests, not three: the script the sections name is theirs; the other discovered
        // script is a test under its own name.
        // The script is still one a pipeline step can name.
        assert_eq!(
            names,
            [
                "beta::small",
                "mvi_large::large",
                "mvi_small::small",
                "pipeline::p"
            ]
        );
        assert!(
            suite.entries[1..3]
                .iter()
                .all(|e| spec(e).script_name() == "alpha")
        );
    }

    #[test]
    fn a_name_given_twice_is_an_error_at_its_section() {
        let e = error(
            "[scripts.alpha]\nprofiles = [\"generic\"]\nsizes = [\"small\"]\n[scripts.\"alpha::generic\"]\npath = \"scripts/beta.py\"\nseed = 3\n",
        );
        assert!(
            e.starts_with(":4:1: `scripts.alpha::generic`: two tests are called `alpha::generic::small`: one from [scripts.alpha], one from [scripts.alpha::generic]"),
            "{e}"
        );
    }

    #[test]
    fn sizes_make_one_test_per_size_and_sections_add_scripts() {
        let dir = repo();
        let suite = load(
            &dir,
            r#"
[defaults]
timeout = "90s"
[scripts.alpha]
sizes = ["small", "large"]
ignore = true
[scripts.tool]
path = "scripts/tool.sh"
job_args = { job_type = "training", n = 3 }
"#,
        )
        .unwrap();
        let names: Vec<_> = suite
            .entries
            .iter()
            .map(|t| (t.name.as_str(), t.ignored))
            .collect();
        assert_eq!(
            names,
            [
                ("alpha::large", true),
                ("alpha::small", true),
                ("beta::small", false),
                ("tool::small", false)
            ]
        );
        let tool = spec(&suite.entries[3]);
        assert_eq!(tool.limits.timeout, std::time::Duration::from_secs(90));
        assert_eq!(tool.job_args["n"], 3);
        let large = spec(&suite.entries[0]);
        assert!(
            matches!(&large.data.channels["input"], ChannelPlan::Generated(g) if g.rows == RowCount::Size(Size::Large))
        );
    }

    #[test]
    fn profiles_sizes_and_property_mode_make_one_test_each() {
        let dir = repo();
        let suite = load(
            &dir,
            "[scripts.alpha]\nprofiles = [\"tabular\", \"generic\"]\nsizes = [\"small\", \"large\"]\nproptest = { cases = 8, max_rows = 5 }\n",
        )
        .unwrap();
        let names: Vec<_> = suite
            .entries
            .iter()
            .filter(|t| t.name.starts_with("alpha"))
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "alpha::generic::large",
                "alpha::generic::proptest",
                "alpha::generic::small",
                "alpha::tabular::large",
                "alpha::tabular::proptest",
                "alpha::tabular::small",
            ]
        );
        let prop = suite
            .entries
            .iter()
            .find(|t| t.name == "alpha::tabular::proptest")
            .unwrap();
        let config = prop.property.as_ref().unwrap();
        assert_eq!(
            (config.cases, config.max_rows, config.max_shrink_iters),
            (8, 5, u32::MAX)
        );
        assert!(
            config
                .bundle_dir
                .ends_with("sf-regressions/alpha/tabular/proptest")
        );
        assert!(
            matches!(&spec(prop).data.channels["input"], ChannelPlan::Generated(g) if g.profile() == Some(crate::data::Profile::Tabular))
        );
        let e = error("[scripts.alpha]\nprofiles = [\"images\"]\n");
        assert!(
            e.contains("`scripts.alpha.profiles`: unknown profile `images`"),
            "{e}"
        );
        let e = error("[scripts.alpha]\nproptest = { cases = 8, shrink = 3 }\n");
        assert!(e.contains("unknown key `shrink`"), "{e}");
    }

    #[test]
    fn channels_express_shards_splits_text_json_fixtures_and_archives() {
        let dir = repo();
        let suite = load(
            &dir,
            r#"
[scripts.alpha.job_args]
job_type = "validation"
[scripts.alpha.inputs.shards]
data = "tabular"
shards = 3
gzip = true
[scripts.alpha.inputs.json_shards]
data = "tabular"
format = "jsonl"
shards = 2
file_pattern = "part-{n}.json"
[scripts.alpha.inputs.splits]
layout = "splits"
ratios = [0.8, 0.1, 0.1]
[scripts.alpha.inputs.jt]
layout = "job_type"
[scripts.alpha.inputs.signature]
text = "id,feature_1\n"
file_name = "signature"
[scripts.alpha.inputs.config]
json = { label_name = "target", cat_field_list = ["feature_3"] }
file_name = "hyperparameters.json"
[scripts.alpha.inputs.fixture]
fixture = "fixtures/data"
[scripts.alpha.inputs.model]
tar_gz = "model.tar.gz"
entries = [{ path = "hyperparameters.json", json = { eta = 0.1 } }]
[scripts.alpha.outputs.processed_data]
files = "train/*.csv"
min_rows = 10
columns = ["id"]
"#,
        )
        .unwrap();
        let spec = spec(
            suite
                .entries
                .iter()
                .find(|t| t.name.starts_with("alpha"))
                .unwrap(),
        );
        let ch = &spec.data.channels;
        assert!(
            matches!(&ch["shards"], ChannelPlan::Generated(g) if g.layout == Layout::shards(3) && g.gzip)
        );
        assert!(
            matches!(&ch["json_shards"], ChannelPlan::Generated(g) if g.layout == Layout::Shards { count: 2, file_pattern: "part-{n}.json".into() })
        );
        assert!(
            matches!(&ch["splits"], ChannelPlan::Generated(g) if matches!(&g.layout, Layout::Splits { splits, .. } if splits[0].ratio == 0.8))
        );
        assert!(
            matches!(&ch["jt"], ChannelPlan::Generated(g) if matches!(&g.layout, Layout::Splits { splits, .. } if splits[0].name == "validation"))
        );
        assert!(
            matches!(&ch["signature"], ChannelPlan::Text { file_name, content } if file_name == "signature" && content == "id,feature_1\n")
        );
        assert!(
            matches!(&ch["config"], ChannelPlan::Json { value, .. } if value["cat_field_list"][0] == "feature_3")
        );
        assert!(
            matches!(&ch["fixture"], ChannelPlan::Fixture { source } if source.ends_with("fixtures/data"))
        );
        assert!(matches!(&ch["model"], ChannelPlan::TarGz { entries, .. } if entries.len() == 1));
        let out = &spec.outputs["processed_data"];
        assert_eq!(
            (out.files.as_deref(), out.min_rows, out.columns.as_slice()),
            (Some("train/*.csv"), Some(10), &["id".to_owned()][..])
        );
    }

    #[test]
    fn inputs_are_writable_copies_unless_made_read_only() {
        let dir = repo();
        let suite = load(
            &dir,
            "[defaults]\nread_only_inputs = true\n[scripts.beta]\nread_only_inputs = false\n",
        )
        .unwrap();
        let read_only: Vec<(&str, bool)> = suite
            .entries
            .iter()
            .map(|e| (e.name.as_str(), spec(e).read_only_inputs))
            .collect();
        assert_eq!(read_only, [("alpha::small", true), ("beta::small", false)]);
        assert!(!TestSpec::new("x").read_only_inputs);
    }

    #[test]
    fn parquet_inputs_need_the_parquet_feature_and_are_never_gzipped() {
        let dir = repo();
        let text = "[scripts.alpha.inputs.input]\ndata = \"tabular\"\nformat = \"parquet\"\n";
        let loaded = load(&dir, text);
        assert_eq!(loaded.is_ok(), crate::data::PARQUET);
        if let Err(err) = loaded {
            assert!(
                err.to_string()
                    .contains("`scripts.alpha.inputs.input.format`")
                    && err.to_string().contains("`parquet` feature"),
                "{err}"
            );
        }
        let gz = format!("{text}gzip = true\n");
        let err = load(&dir, &gz).unwrap_err().to_string();
        assert!(
            err.contains("gzip does not apply") || err.contains("`parquet` feature"),
            "{err}"
        );
    }

    #[test]
    fn numpy_inputs_need_the_npy_feature_and_are_never_gzipped() {
        let dir = repo();
        let text = "[scripts.alpha.inputs.input]\ndata = \"generic\"\nformat = \"npy\"\n";
        let loaded = load(&dir, text);
        assert_eq!(loaded.is_ok(), crate::data::NUMPY);
        if let Err(err) = loaded {
            assert!(err.to_string().contains("`npy` feature"), "{err}");
        }
        let gz = format!("{text}gzip = true\n");
        let err = load(&dir, &gz).unwrap_err().to_string();
        assert!(
            err.contains("gzip does not apply") || err.contains("`npy` feature"),
            "{err}"
        );
    }

    fn schema_of<'s>(spec: &'s TestSpec, channel: &str) -> &'s crate::data::Schema {
        match &spec.data.channels[channel] {
            ChannelPlan::Generated(g) => match &g.source {
                crate::data::TableSource::Schema(s) => s,
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn columns_take_unique_and_edge_values_and_proptest_a_row_range_and_edge_values() {
        let dir = repo();
        let suite = load(
            &dir,
            r#"
[scripts.alpha]
proptest = { cases = 4, min_rows = 2, max_rows = 9, edge_values = false }
[scripts.alpha.inputs.input]
rows = 10
columns = [
  { name = "n", type = "int", min = 1, max = 10, unique = true },
  { name = "x", type = "float", edge_values = false },
  { name = "d", type = "date", start = 2024-01-01, end = 2024-01-31, unique = true, null_rate = 0.5 },
]
[scripts.beta]
proptest = {}
"#,
        )
        .unwrap();
        let entry = |name: &str| suite.entries.iter().find(|e| e.name == name).unwrap();
        let config = entry("alpha::proptest").property.as_ref().unwrap();
        assert_eq!(
            (
                config.cases,
                config.min_rows,
                config.max_rows,
                config.edge_values
            ),
            (4, Some(2), 9, false)
        );
        let schema = schema_of(spec(entry("alpha::rows_10")), "input");
        let keys: Vec<(bool, bool)> = schema
            .columns
            .iter()
            .map(|c| (c.unique, c.edge_values))
            .collect();
        assert_eq!(keys, [(true, true), (false, false), (true, true)]);
        assert!(
            schema
                .columns
                .iter()
                .all(|c| c.contract == crate::data::Contract::Declared)
        );
        // Unset, the minimum is the subject's own: 0 for a script, 1 for a pipeline's sources.
        let config = entry("beta::proptest").property.as_ref().unwrap();
        assert_eq!((config.min_rows, config.edge_values), (None, true));
    }

    #[test]
    fn proptest_takes_warm_shrink_time_output_checks_and_edge_checks() {
        let dir = repo();
        let suite = load(
            &dir,
            r#"
[scripts.alpha]
proptest = { warm = false, max_shrink_time = "30s", output_checks = "all", edge_checks = true, keep_cases = true }
[scripts.beta]
proptest = {}
"#,
        )
        .unwrap();
        let entry = |name: &str| suite.entries.iter().find(|e| e.name == name).unwrap();
        let config = entry("alpha::proptest").property.as_ref().unwrap();
        assert!(!config.warm);
        assert_eq!(config.max_shrink_time, std::time::Duration::from_secs(30));
        assert_eq!(config.output_checks, crate::property::OutputChecks::All);
        assert!(config.edge_checks && config.keep_cases);
        let config = entry("beta::proptest").property.as_ref().unwrap();
        assert!(config.warm && !config.edge_checks && !config.keep_cases);
        // A test of a configuration knows it, for its replay command.
        let EntryKind::Script(spec) = &entry("beta::proptest").kind else {
            panic!("a script test")
        };
        assert_eq!(spec.config.as_deref(), Some(suite.config.as_path()));
        assert_eq!(config.output_checks, crate::property::OutputChecks::Shape);
        assert_eq!(config.max_shrink_time, std::time::Duration::from_secs(300));

        let err = load(
            &dir,
            "[scripts.alpha]\nproptest = { output_checks = \"rows\" }\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("`scripts.alpha.proptest.output_checks`: unknown value \"rows\"; expected one of shape, all, none"),
            "{err}"
        );
        let err = load(
            &dir,
            "[scripts.alpha]\nproptest = { max_shrink_time = \"soon\" }\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("`scripts.alpha.proptest.max_shrink_time`"),
            "{err}"
        );
    }

    #[test]
    fn row_ranges_and_unique_columns_that_cannot_hold_are_errors_at_their_key() {
        for (text, expected) in [
            (
                "[scripts.alpha]\nproptest = { min_rows = 9, max_rows = 3 }\n",
                ":2:12: `scripts.alpha.proptest.min_rows`: min_rows 9 is more than max_rows 3",
            ),
            (
                "[scripts.alpha]\nproptest = { min_rows = 51 }\n",
                "`scripts.alpha.proptest.min_rows`: min_rows 51 is more than max_rows 50",
            ),
            (
                "[scripts.alpha]\nproptest = { edge_values = \"no\" }\n",
                ":2:28: `scripts.alpha.proptest`: expected true or false, found the text \"no\"",
            ),
            (
                "[scripts.alpha.inputs.i]\ncolumns = [{ name = \"a\", type = \"bool\", unique = true }]\n",
                ":2:12: `scripts.alpha.inputs.i.columns[0].unique`: `unique` does not apply to a column of type `bool`",
            ),
            (
                "[scripts.alpha.inputs.i]\ncolumns = [{ name = \"x\", type = \"int\" }, { name = \"a\", expr = \"x + 1\", unique = true }]\n",
                "`scripts.alpha.inputs.i.columns[1].unique`: `unique` does not apply to a column of type `derived`",
            ),
            (
                "[scripts.alpha.inputs.i]\nrows = 5\ncolumns = [\n  { name = \"x\", type = \"int\" },\n  { name = \"a\", type = \"category\", values = [\"p\", \"q\"], unique = true },\n]\n",
                ":5:3: `scripts.alpha.inputs.i.columns[1].unique`: column `a`: unique needs 5 distinct values, but the column has only 2",
            ),
            (
                "[scripts.alpha.inputs.i]\ncolumns = [{ name = \"a\", type = \"int\", min = 1, max = 50, unique = true }]\n",
                "`scripts.alpha.inputs.i.columns[0].unique`: column `a`: unique needs 100 distinct values, but the column has only 50",
            ),
            (
                "[scripts.alpha]\nproptest = { max_rows = 20 }\n[scripts.alpha.inputs.i]\nrows = 3\ncolumns = [{ name = \"a\", type = \"string\", pattern = \"#\", unique = true }]\n",
                ":2:12: `scripts.alpha.proptest.max_rows`: input `i`: column `a`: unique needs 20 distinct values, but the column has only 10; lower max_rows or give the column more values",
            ),
            (
                "[scripts.alpha.inputs.i]\ncolumns = [{ name = \"a\", type = \"int\", unique = \"yes\" }]\n",
                "expected true or false",
            ),
        ] {
            let e = error(text);
            assert!(
                e.contains(expected),
                "for\n{text}\ngot: {e}\nexpected: {expected}"
            );
        }
    }

    #[test]
    fn a_pipeline_checks_its_row_range_and_its_sources_unique_columns() {
        let pipeline = |proptest: &str, columns: &str| {
            format!(
                "[scripts.alpha.inputs.input]\nrows = 5\ncolumns = [{columns}]\n\
                 [pipelines.p]\nproptest = {proptest}\n[[pipelines.p.steps]]\nscript = \"alpha\"\n"
            )
        };
        let dir = repo();
        let ok = pipeline(
            "{ max_rows = 5, edge_values = false }",
            "{ name = \"a\", type = \"int\", min = 1, max = 5, unique = true }",
        );
        let suite = load(&dir, &ok).unwrap();
        let prop = suite
            .entries
            .iter()
            .find(|e| e.name == "pipeline::p::proptest")
            .unwrap();
        let config = prop.property.as_ref().unwrap();
        assert_eq!(
            (config.min_rows, config.max_rows, config.edge_values),
            (None, 5, false)
        );
        let e = error(&pipeline(
            "{ min_rows = 3, max_rows = 2 }",
            "{ name = \"a\", type = \"int\" }",
        ));
        assert!(
            e.contains("`pipelines.p.proptest.min_rows`: min_rows 3 is more than max_rows 2"),
            "{e}"
        );
        let e = error(&pipeline(
            "{ max_rows = 6 }",
            "{ name = \"a\", type = \"int\", min = 1, max = 5, unique = true }",
        ));
        assert!(
            e.contains(
                "`pipelines.p.proptest.max_rows`: input `alpha.input`: column `a`: unique needs 6 distinct values, but the column has only 5"
            ),
            "{e}"
        );
    }

    #[test]
    fn a_missing_configuration_says_how_to_make_one() {
        let dir = tempfile::tempdir().unwrap();
        let err = super::load(&dir.path().join(CONFIG_FILE))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`sf init` writes one"), "{err}");
        assert!(err.contains("--config PATH"), "{err}");
    }

    #[test]
    fn unknown_keys_are_errors_with_their_line() {
        let e = error("[scripts.alpha]\ntimeout = 5\ntimout = 6\n");
        assert!(
            e.starts_with(
                ":3:1: `scripts.alpha.timout`: unknown key `timout`: did you mean `timeout`?"
            ),
            "{e}"
        );
        // Every such mistake of the file at once, in file order.
        let e = error("[scripts.alpha]\nnetwork = \"no\"\ntimout = 6\n[scripts.beta]\nseed = -1\n");
        let lines: Vec<&str> = e.lines().collect();
        assert_eq!(lines.len(), 3, "{e}");
        assert!(
            lines[0].starts_with(":2:11: `scripts.alpha.network`: expected true or false"),
            "{e}"
        );
        assert!(lines[1].contains(":3:1: `scripts.alpha.timout`"), "{e}");
        assert!(lines[2].contains(":5:8: `scripts.beta.seed`: expected a whole number (0 or more), found the whole number -1"), "{e}");
        // Mistakes in different scripts' sections, found while building them, come together too.
        let e = error(
            "[scripts.alpha]\nexpect = \"sometimes\"\n[scripts.beta]\nprofiles = [\"images\"]\n",
        );
        let lines: Vec<&str> = e.lines().collect();
        assert_eq!(lines.len(), 2, "{e}");
        assert!(
            lines[0].contains("`scripts.alpha.expect`: unknown expectation"),
            "{e}"
        );
        assert!(
            lines[1].contains("`scripts.beta.profiles`: unknown profile `images`"),
            "{e}"
        );
        // Types in words, never a Rust type.
        let e = error("[scripts.alpha]\nseed = \"forty-two\"\n");
        assert_eq!(
            e,
            ":2:8: `scripts.alpha.seed`: expected a whole number (0 or more), found the text \"forty-two\""
        );
    }

    #[test]
    fn a_glob_matching_nothing_names_the_glob_and_the_root() {
        let e = error("[discover]\nglobs = [\"src/*.py\"]\n");
        assert!(
            e.starts_with(":2:10: `discover.globs`: no scripts found: scanned "),
            "{e}"
        );
        assert!(e.contains("with pattern `src/*.py`"), "{e}");
    }

    #[test]
    fn a_missing_script_path_is_named() {
        let e = error("[scripts.gamma]\npath = \"scripts/gamma.py\"\n");
        assert!(
            e.starts_with(":2:8: `scripts.gamma.path`: scripts/gamma.py does not exist"),
            "{e}"
        );
        let e = error("[scripts.gamma]\ntimeout = 5\n");
        assert!(
            e.contains(
                "`scripts.gamma`: no `path` given and no discovered script is called `gamma`"
            ),
            "{e}"
        );
    }

    #[test]
    fn wrong_values_name_the_key_and_what_is_expected() {
        for (text, expected) in [
            (
                "[scripts.alpha.inputs.input]\ndata = \"images\"\n",
                ":2:8: `scripts.alpha.inputs.input.data`: unknown profile `images`",
            ),
            (
                "[scripts.alpha.inputs.input]\nsize = \"huge\"\n",
                "`scripts.alpha.inputs.input.size`: unknown size `huge`",
            ),
            (
                "[scripts.alpha.inputs.input]\nsize = \"small\"\nrows = 3\n",
                "give `size` or `rows`, not both",
            ),
            (
                "[scripts.alpha]\ntimeout = \"soon\"\n",
                ":2:11: `scripts.alpha.timeout`: `soon` is not a duration",
            ),
            (
                "[scripts.alpha]\nexpect = \"maybe\"\n",
                "unknown expectation `maybe`",
            ),
            (
                "[scripts.alpha]\nadapter = \"java\"\n",
                "unknown adapter `java`",
            ),
            (
                "[scripts.alpha.inputs.i]\ntext = \"x\"\n",
                "a `text` channel needs `file_name`",
            ),
            (
                "[scripts.alpha.inputs.i]\ntext = \"x\"\nfile_name = \"s\"\nrows = 4\n",
                "`rows` applies to generated data, not to a `text` channel",
            ),
            (
                "[scripts.alpha.inputs.i]\ntext = \"x\"\njson = 1\nfile_name = \"s\"\n",
                "give only one of text, json",
            ),
            (
                "[scripts.alpha.inputs.i]\nfixture = \"nowhere\"\n",
                "fixture nowhere does not exist",
            ),
            (
                "[scripts.alpha.inputs.i]\nlayout = \"job_type\"\n",
                "job_args.job_type, which is not set",
            ),
            (
                "[scripts.alpha.inputs.i]\nshards = 2\nfile_pattern = \"x\"\n",
                "`scripts.alpha.inputs.i.file_pattern`: shard file pattern `x` has no `{n}`",
            ),
            (
                "[scripts.alpha.inputs.i]\nlayout = \"splits\"\nratios = [1.0]\n",
                "`ratios` needs 3 positive numbers",
            ),
            (
                "[scripts.alpha.inputs.i]\ncolumns = [{ name = \"a\", type = \"int\", values = [\"x\"] }]\n",
                "`values` does not apply to a column of type `int`",
            ),
            (
                "[scripts.alpha.inputs.i]\ncolumns = [{ name = \"a\", type = \"complex\" }]\n",
                "unknown column type `complex`",
            ),
            (
                "[scripts.alpha.outputs.o]\nfiles = \"[\"\n",
                "invalid glob `[`",
            ),
            (
                "[scripts.alpha.inputs.\"../x\"]\ndata = \"tabular\"\n",
                "`scripts.alpha.inputs.../x`: channel name `../x` contains a path separator",
            ),
            (
                "[scripts.alpha.outputs.\"..\"]\nnon_empty = true\n",
                "channel name `..` names a directory outside the channel",
            ),
            (
                "[scripts.gamma]\npath = \"scripts\"\n",
                ":2:8: `scripts.gamma.path`: scripts is a directory; `path` names one script file (for example scripts/gamma.py)",
            ),
            (
                "[scripts.alpha]\ntimeout = 1e19\n",
                ":2:11: `scripts.alpha.timeout`: `1e19 s` is longer than 30 days",
            ),
            (
                "[scripts.alpha.outputs.o]\nfiles = \"../../x/*.csv\"\n",
                ":2:9: `scripts.alpha.outputs.o.files`: glob `../../x/*.csv` reaches outside the channel",
            ),
            (
                "[defaults]\npath = \"x.py\"\n",
                "a path belongs in a [scripts.NAME] section",
            ),
            (
                "[scripts.alpha]\nlayout = \"docker\"\n",
                ":2:10: `scripts.alpha.layout`: unknown layout `docker`",
            ),
            (
                "[scripts.alpha]\nlayout = \"sagemaker\"\nsagemaker_paths = { data = \"/data\" }\n",
                "/data is not under /opt/ml/processing/",
            ),
            (
                "[scripts.alpha]\nlayout = \"sagemaker\"\nsagemaker_paths = { data = \"/opt/ml/processing/input/../x\" }\n",
                "`scripts.alpha.sagemaker_paths.data`: /opt/ml/processing/input/../x is not a plain absolute path",
            ),
            (
                "[scripts.alpha]\nsagemaker_paths = { data = \"/opt/ml/x\" }\n",
                "`sagemaker_paths` needs layout = \"sagemaker\"",
            ),
        ] {
            let e = error(text);
            assert!(
                e.contains(expected),
                "for\n{text}\ngot: {e}\nexpected: {expected}"
            );
        }
    }
}

#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;

    /// Fragments of real configurations, so that mutations reach deep into the validation.
    const FRAGMENTS: &[&str] = &[
        "[scripts.alpha]\n",
        "[scripts.alpha.inputs.input]\n",
        "[scripts.alpha.outputs.out]\n",
        "[defaults]\n",
        "[discover]\n",
        "globs = [\"scripts/*.py\"]\n",
        "data = \"tabular\"\n",
        "size = \"large\"\n",
        "rows = 3\n",
        "shards = 0\n",
        "layout = \"splits\"\n",
        "ratios = [0.5, -1.0]\n",
        "columns = [{ name = \"a\", type = \"int\", min = 5, max = 1 }]\n",
        "label = { name = \"y\", weights = { a = 1.0 } }\n",
        "text = \"x\"\n",
        "json = { a = 1 }\n",
        "file_name = \"../escape\"\n",
        "fixture = \"/nonexistent\"\n",
        "tar_gz = \"m.tar.gz\"\n",
        "entries = [{ path = \"a\", text = \"b\" }]\n",
        "timeout = \"1ms\"\n",
        "memory_limit = \"1KB\"\n",
        "sizes = [\"small\", \"huge\"]\n",
        "proptest = { cases = 0 }\n",
        "proptest = { min_rows = 9, max_rows = 1, edge_values = false }\n",
        "columns = [{ name = \"a\", type = \"bool\", unique = true }]\n",
        "columns = [{ name = \"a\", type = \"int\", max = 3, unique = true, edge_values = false }]\n",
        "[pipelines.p]\n",
        "edges = [\"alpha.out -> alpha.input\"]\n",
        "\u{0}\u{feff}]]][[[\"\n",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn any_text_gives_a_suite_or_an_error_never_a_panic(text in ".{0,200}") {
            let dir = tempfile::tempdir().unwrap();
            let _ = parse(&dir.path().join(CONFIG_FILE), &text);
        }

        #[test]
        fn mutated_configurations_give_a_suite_or_a_positioned_error(
            parts in proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..12)
        ) {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(dir.path().join("scripts")).unwrap();
            std::fs::write(dir.path().join("scripts/alpha.py"), "").unwrap();
            let text: String = parts.concat();
            if let Err(e) = parse(&dir.path().join(CONFIG_FILE), &text) {
                prop_assert!(!e.message.is_empty());
                prop_assert!(e.to_string().contains(CONFIG_FILE));
            }
        }
    }
}
