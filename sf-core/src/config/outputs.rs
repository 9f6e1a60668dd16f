//! Output tables of `sf.toml` as checks: a script's `outputs`, and the tables that replace them
//! for one test: a pipeline step's `outputs` and a property variant's `proptest.outputs`.

use std::collections::BTreeMap;

use toml::Spanned;

use super::context::{Cx, Result};
use super::expect::{build_expectations, build_golden};
use super::raw::{RawOutput, RawProptest};
use crate::checks::{ChannelChecks, Golden};
use crate::spec::{Expectation, TestSpec};

/// One output table, built.
pub(super) struct BuiltOutput {
    /// What must hold for the channel's files.
    pub(super) checks: ChannelChecks,
    /// The golden settings, when it asks for a golden copy.
    pub(super) golden: Option<Golden>,
    /// The file the channel is (`file = "..."`), when it is one file.
    pub(super) file: Option<String>,
}

/// The output table at `key` (`scripts.S.outputs.C`, or a step's or property variant's);
/// `inputs` are the input channels a `rows` expectation may name.
pub(super) fn build_output(
    cx: &Cx<'_>,
    key: &str,
    out: &Spanned<RawOutput>,
    inputs: &[String],
) -> Result<BuiltOutput> {
    let o = out.get_ref();
    if let Some(files) = &o.files {
        cx.glob(format!("{key}.files"), files.span(), files.get_ref())?;
    }
    for (i, pattern) in o.members.iter().flatten().enumerate() {
        if let Err(e) = glob::Pattern::new(pattern) {
            return Err(cx.err(
                format!("{key}.members[{i}]"),
                Some(out.span()),
                format!("invalid glob `{pattern}`: {e}"),
            ));
        }
    }
    if o.min_members == Some(0) {
        return Err(cx.err(
            format!("{key}.min_members"),
            Some(out.span()),
            "`min_members` must be at least 1 (leave it out to ask for nothing)",
        ));
    }
    let checks = ChannelChecks {
        non_empty: o.non_empty,
        files: o.files.as_ref().map(|f| f.get_ref().clone()),
        min_rows: o.min_rows,
        columns: o.columns.clone().unwrap_or_default(),
        members: o.members.clone().unwrap_or_default(),
        min_members: o.min_members,
        expect: build_expectations(cx, key, Some(out.span()), o.into(), Some(inputs))?,
        ..ChannelChecks::output()
    };
    let golden = build_golden(cx, key, Some(out.span()), o)?;
    let file = match &o.file {
        None => None,
        Some(file) => {
            let name = file.get_ref();
            if !plain_file_name(name) {
                return Err(cx.err(
                    format!("{key}.file"),
                    Some(file.span()),
                    format!(
                        "`{name}` is not a plain file name (no `/`, not `.` or `..`, no control characters)"
                    ),
                ));
            }
            Some(name.clone())
        }
    };
    Ok(BuiltOutput {
        checks,
        golden,
        file,
    })
}

/// Sets the output `channel` of `spec` from its table at `key`: the table's checks and golden
/// copy replace any the channel had (a golden copy it does not ask for is dropped); its `file`,
/// when it names one, replaces the channel's (a file it does not name stays: it is where the
/// script writes, not a check).
pub(super) fn apply_output(
    cx: &Cx<'_>,
    key: &str,
    spec: &mut TestSpec,
    channel: &str,
    out: &Spanned<RawOutput>,
) -> Result<()> {
    let inputs: Vec<String> = spec.data.channels.keys().cloned().collect();
    let mut built = build_output(cx, key, out, &inputs)?;
    if let Some(file) = &built.file
        && built.checks.files.is_none()
    {
        // The channel is that file: it must be there.
        built.checks.files = Some(glob::Pattern::escape(file));
    }
    spec.outputs.insert(channel.to_owned(), built.checks);
    spec.golden.remove(channel);
    if let Some(golden) = built.golden {
        if spec.expect == Expectation::Fail {
            return Err(cx.err(
                format!("{key}.golden"),
                Some(out.span()),
                "a golden copy is of a passing run's outputs; it does not apply with expect = \"fail\"",
            ));
        }
        spec.golden.insert(channel.to_owned(), golden);
    }
    if let Some(file) = built.file {
        spec.output_files.insert(channel.to_owned(), file);
    }
    Ok(())
}

/// A pipeline step's `outputs` (at `key`, the step's table): each replaces the checks the
/// script gives that channel; `{}` leaves the channel without checks.
pub(super) fn apply_step_outputs(
    cx: &Cx<'_>,
    key: &str,
    span: std::ops::Range<usize>,
    script: &str,
    spec: &mut TestSpec,
    outputs: &BTreeMap<String, Spanned<RawOutput>>,
) -> Result<()> {
    for (channel, out) in outputs {
        let okey = format!("{key}.outputs.{channel}");
        if !spec.outputs.contains_key(channel) {
            return Err(cx.err(
                &okey,
                Some(span.clone()),
                format!(
                    "script `{script}` has no output `{channel}` (outputs: {}); a step's outputs \
                     replace the checks of the script's own, declared under [scripts.{script}.outputs]",
                    spec.outputs.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        apply_output(cx, &okey, spec, channel, out)?;
    }
    Ok(())
}

/// The checks a property variant gives its own (`proptest.outputs` of the table at `key`), by
/// the name `inputs_of` knows an output by (`CHANNEL` for a script, `STEP.CHANNEL` for a
/// pipeline); `inputs_of` gives the input channels of that output's script, or why there is no
/// such output.
pub(super) fn build_property_outputs(
    cx: &Cx<'_>,
    key: &str,
    raw: &Spanned<RawProptest>,
    inputs_of: &dyn Fn(&str) -> std::result::Result<Vec<String>, String>,
) -> Result<BTreeMap<String, ChannelChecks>> {
    let mut outputs = BTreeMap::new();
    for (name, out) in raw.get_ref().outputs.iter().flatten() {
        let okey = format!("{key}.outputs.{name}");
        let inputs = inputs_of(name).map_err(|m| cx.err(&okey, Some(out.span()), m))?;
        let built = build_output(cx, &okey, out, &inputs)?;
        if built.golden.is_some() {
            return Err(cx.err(
                format!("{okey}.golden"),
                Some(out.span()),
                "golden copies are of the seeded run's data; property cases are not compared with them",
            ));
        }
        if built.file.is_some() {
            return Err(cx.err(
                format!("{okey}.file"),
                Some(out.span()),
                "`file` makes the channel one file for every run; give it on the script's output",
            ));
        }
        outputs.insert(name.clone(), built.checks);
    }
    Ok(outputs)
}

/// One file name: not empty, `.` or `..`, no `/`, backslash or control characters.
fn plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
}

#[cfg(test)]
mod tests {
    use std::fs;

    use crate::checks::{Bounds, ChannelChecks, JsonExpectation};
    use crate::config::{CONFIG_FILE, ConfigError};
    use crate::pipeline::Pipeline;
    use crate::suite::{EntryKind, Suite};

    fn load(text: &str) -> Result<Suite, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("scripts")).unwrap();
        fs::write(dir.path().join("scripts/alpha.py"), "").unwrap();
        let path = dir.path().join(CONFIG_FILE);
        fs::write(&path, text).unwrap();
        crate::config::load(&path)
    }

    fn error(text: &str) -> String {
        load(text).unwrap_err().to_string()
    }

    fn pipeline<'a>(suite: &'a Suite, name: &str) -> &'a Pipeline {
        match &suite.entries.iter().find(|e| e.name == name).unwrap().kind {
            EntryKind::Pipeline(p) => p,
            EntryKind::Script(_) => panic!("{name} is a script"),
        }
    }

    const SCRIPT: &str = "[scripts.alpha.outputs.output]\nmin_rows = 100\ncolumns = [\"id\"]\n\
                          [scripts.alpha.outputs.model]\nmembers = [\"*.bst\"]\nmin_members = 2\n";

    #[test]
    fn a_step_replaces_or_drops_the_checks_of_its_scripts_outputs() {
        let suite = load(&format!(
            "{SCRIPT}[pipelines.p]\n[[pipelines.p.steps]]\nscript = \"alpha\"\n\
             outputs.output = {{ min_rows = 1 }}\noutputs.model = {{}}\n\
             [[pipelines.p.steps]]\nscript = \"alpha\"\nname = \"again\"\n"
        ))
        .unwrap();
        let p = pipeline(&suite, "pipeline::p");
        let own = &p.find_step("alpha").unwrap().spec.outputs;
        assert_eq!(own["output"].min_rows, Some(1));
        assert!(own["output"].columns.is_empty(), "replaced, not merged");
        assert_eq!(own["model"], ChannelChecks::output());
        // Another step of the same script, and the script's own test, keep the script's checks.
        let again = &p.find_step("again").unwrap().spec.outputs;
        assert_eq!(again["output"].min_rows, Some(100));
        assert_eq!(again["model"].min_members, Some(2));
        let EntryKind::Script(alpha) = &suite.entry("alpha::small").unwrap().kind else {
            panic!("alpha is a script");
        };
        assert_eq!(alpha.outputs["output"].min_rows, Some(100));
    }

    #[test]
    fn a_step_output_the_script_does_not_have_is_an_error_at_its_key() {
        let e = error(&format!(
            "{SCRIPT}[pipelines.p]\n[[pipelines.p.steps]]\nscript = \"alpha\"\n\
             outputs.ouptut = {{ min_rows = 1 }}\n"
        ));
        assert!(
            e.contains("`pipelines.p.steps[0].outputs.ouptut`: script `alpha` has no output `ouptut` (outputs: model, output)"),
            "{e}"
        );
    }

    #[test]
    fn a_property_variant_gives_its_own_checks_of_an_output() {
        let suite = load(&format!(
            "{SCRIPT}[scripts.alpha.proptest]\ncases = 4\n\
             [scripts.alpha.proptest.outputs.output]\ncolumns = [\"id\", \"score\"]\n"
        ))
        .unwrap();
        let entry = suite.entry("alpha::proptest").unwrap();
        let config = entry.property.as_ref().unwrap();
        assert_eq!(config.outputs["output"].columns, ["id", "score"]);
        assert_eq!(config.outputs["output"].min_rows, None);
        assert!(!config.outputs.contains_key("model"));
        for (table, expected) in [
            (
                "[scripts.alpha.proptest.outputs.nope]\nmin_rows = 1\n",
                "`scripts.alpha.proptest.outputs.nope`: no output `nope` to check differently in property cases (outputs: model, output)",
            ),
            (
                "[scripts.alpha.proptest.outputs.output]\ngolden = true\n",
                "`scripts.alpha.proptest.outputs.output.golden`: golden copies are of the seeded run's data",
            ),
        ] {
            let e = error(&format!(
                "{SCRIPT}[scripts.alpha.proptest]\ncases = 4\n{table}"
            ));
            assert!(e.contains(expected), "{e}");
        }
        let suite = load(&format!(
            "{SCRIPT}[pipelines.p]\nproptest = {{ cases = 2, outputs = {{ \"alpha.output\" = {{}} }} }}\n\
             [[pipelines.p.steps]]\nscript = \"alpha\"\n"
        ))
        .unwrap();
        let entry = suite.entry("pipeline::p::proptest").unwrap();
        assert_eq!(
            entry.property.as_ref().unwrap().outputs["alpha.output"],
            ChannelChecks::output()
        );
        let e = error(&format!(
            "{SCRIPT}[pipelines.p]\nproptest = {{ outputs = {{ \"beta.output\" = {{}} }} }}\n\
             [[pipelines.p.steps]]\nscript = \"alpha\"\n"
        ));
        assert!(
            e.contains("`pipelines.p.proptest.outputs.beta.output`: no step `beta` (steps: alpha)"),
            "{e}"
        );
    }

    #[test]
    fn returns_takes_top_level_keys_and_pointers_and_rejects_what_cannot_apply() {
        let suite = load(
            "[scripts.alpha]\nreturns = { status = \"success\", \"/metrics/auc\" = [0.5, 1.0] }\n",
        )
        .unwrap();
        let EntryKind::Script(spec) = &suite.entry("alpha::small").unwrap().kind else {
            panic!("alpha is a script");
        };
        assert_eq!(
            spec.returns["/status"],
            JsonExpectation::Equals("success".into())
        );
        assert_eq!(
            spec.returns["/metrics/auc"],
            JsonExpectation::Range(Bounds { min: 0.5, max: 1.0 })
        );
        for (text, expected) in [
            (
                "[scripts.alpha]\nexpect = \"fail\"\nreturns = { status = \"error\" }\n",
                "it does not apply with expect = \"fail\"",
            ),
            (
                "[scripts.alpha]\nadapter = \"command\"\nreturns = { status = \"ok\" }\n",
                "needs the python-main adapter",
            ),
            (
                "[scripts.alpha]\nreturns = { \"/auc\" = [1, 0] }\n",
                "`scripts.alpha.returns.\"/auc\"`: needs two numbers [min, max] with min <= max",
            ),
            (
                "[scripts.alpha.outputs.model]\nmembers = [\"[\"]\n",
                "`scripts.alpha.outputs.model.members[0]`: invalid glob `[`",
            ),
            (
                "[scripts.alpha.outputs.model]\nmin_members = 0\n",
                "`scripts.alpha.outputs.model.min_members`: `min_members` must be at least 1",
            ),
        ] {
            let e = error(text);
            assert!(e.contains(expected), "for\n{text}\ngot: {e}");
        }
    }
}
