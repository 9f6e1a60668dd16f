//! One `[scripts.NAME]` section (over `[defaults]`) as a test spec and its variants: adapter,
//! command line, environment, job arguments, limits, expectation, sandbox, layout, inputs,
//! outputs, and the profile × size and property-mode variants.

use std::collections::BTreeMap;
use std::path::Path;

use sf_vocab::RunLayout;
use toml::Spanned;

use super::channel::build_channel;
use super::channel::parse_size;
use super::context::{Cx, Result};
use super::expect::json_expectation;
use super::outputs::{apply_output, build_property_outputs};
use super::raw::{RawBytes, RawDuration, RawScript};
use crate::data::{ChannelPlan, DataPlan, GeneratedData, Profile, RowCount, Size, TableSource};
use crate::script::AdapterKind;
use crate::spec::Expectation;
use crate::spec::TestSpec;
use crate::suite::Entry;
use crate::units;

/// `defaults` overlaid by the script's own section (maps are merged key by key).
pub(super) fn merge(defaults: &RawScript, script: Option<&RawScript>) -> RawScript {
    let Some(s) = script else {
        return defaults.clone();
    };
    let d = defaults.clone();
    let s = s.clone();
    fn maps<V: Clone>(
        d: Option<BTreeMap<String, V>>,
        s: Option<BTreeMap<String, V>>,
    ) -> Option<BTreeMap<String, V>> {
        match (d, s) {
            (Some(mut d), Some(s)) => {
                d.extend(s);
                Some(d)
            }
            (d, s) => s.or(d),
        }
    }
    RawScript {
        path: s.path.or(d.path),
        adapter: s.adapter.or(d.adapter),
        argv: s.argv.or(d.argv),
        env: maps(d.env, s.env),
        job_args: maps(d.job_args, s.job_args),
        timeout: s.timeout.or(d.timeout),
        memory_limit: s.memory_limit.or(d.memory_limit),
        log_limit: s.log_limit.or(d.log_limit),
        expect: s.expect.or(d.expect),
        ignore: s.ignore.or(d.ignore),
        seed: s.seed.or(d.seed),
        python: s.python.or(d.python),
        sandbox: s.sandbox.or(d.sandbox),
        read_only_inputs: s.read_only_inputs.or(d.read_only_inputs),
        import_root: s.import_root.or(d.import_root),
        requirements: s.requirements.or(d.requirements),
        requirements_file: s.requirements_file.or(d.requirements_file),
        runtime_installs: s.runtime_installs.or(d.runtime_installs),
        layout: s.layout.or(d.layout),
        sagemaker_paths: maps(d.sagemaker_paths, s.sagemaker_paths),
        network: s.network.or(d.network),
        sizes: s.sizes.or(d.sizes),
        profiles: s.profiles.or(d.profiles),
        proptest: s.proptest.or(d.proptest),
        inputs: maps(d.inputs, s.inputs),
        outputs: maps(d.outputs, s.outputs),
        returns: maps(d.returns, s.returns),
    }
}

pub(super) fn build_script(
    cx: &Cx<'_>,
    key: &str,
    section: &str,
    path: &Path,
    raw: &RawScript,
    workspace_root: &Path,
) -> Result<(TestSpec, Vec<Entry>)> {
    let mut spec = TestSpec::new(path.to_string_lossy())
        .base_dir(cx.root)
        .workspace_root(workspace_root);
    spec.name = Some(section.to_owned());
    let name = spec.script_name();
    if let Some(adapter) = &raw.adapter {
        spec.adapter = Some(cx.word::<AdapterKind>(format!("{key}.adapter"), adapter)?);
    }
    if let Some(argv) = &raw.argv {
        if argv.get_ref().is_empty() {
            return Err(cx.err(
                format!("{key}.argv"),
                Some(argv.span()),
                "the command line is empty",
            ));
        }
        if spec.adapter == Some(AdapterKind::PythonMain) {
            return Err(cx.err(
                format!("{key}.argv"),
                Some(argv.span()),
                "`argv` runs a command line, which needs adapter = \"command\"",
            ));
        }
        spec.adapter = Some(AdapterKind::Command);
        spec.argv = Some(argv.get_ref().clone());
    }
    for (k, v) in raw.env.iter().flatten() {
        spec = spec.env(k, v);
    }
    for (k, v) in raw.job_args.iter().flatten() {
        let json = serde_json::to_value(v).map_err(|e| {
            cx.err(
                format!("{key}.job_args.{k}"),
                None,
                format!("cannot be passed to a script: {e}"),
            )
        })?;
        spec = spec.job_arg(k, json);
    }
    if let Some(t) = &raw.timeout {
        let parsed = match t.get_ref() {
            RawDuration::Seconds(s) => units::seconds(*s),
            RawDuration::Text(s) => units::parse_duration(s),
        };
        spec = spec.timeout(
            parsed.map_err(|m| cx.err(format!("{key}.timeout"), Some(t.span()), m.to_string()))?,
        );
    }
    if let Some(m) = &raw.memory_limit {
        let parsed = match m.get_ref() {
            RawBytes::Megabytes(mb) => units::megabytes_to_bytes(*mb),
            RawBytes::Text(s) => units::parse_bytes(s),
        };
        spec = spec.memory_limit(parsed.map_err(|msg| {
            cx.err(
                format!("{key}.memory_limit"),
                Some(m.span()),
                msg.to_string(),
            )
        })?);
    }
    if let Some(m) = &raw.log_limit {
        let parsed = match m.get_ref() {
            RawBytes::Megabytes(mb) => units::megabytes_to_bytes(*mb),
            RawBytes::Text(s) => units::parse_bytes(s),
        };
        spec.limits.log_limit_bytes = parsed
            .map_err(|msg| cx.err(format!("{key}.log_limit"), Some(m.span()), msg.to_string()))?;
    }
    if let Some(e) = &raw.expect {
        spec = spec.expect(cx.word::<Expectation>(format!("{key}.expect"), e)?);
    }
    if let Some(seed) = raw.seed {
        spec = spec.seed(seed);
    }
    if let Some(python) = &raw.python {
        spec = spec.python(python);
    }
    if let Some(read_only) = raw.read_only_inputs {
        spec.read_only_inputs = read_only;
    }
    if let Some(requirements) = &raw.requirements {
        spec = spec.requirements(requirements.iter().cloned());
    }
    if let Some(file) = &raw.requirements_file {
        spec = spec.requirements_file(file.get_ref());
        if !spec.requirements.files.last().is_some_and(|f| f.is_file()) {
            return Err(cx.err(
                format!("{key}.requirements_file"),
                Some(file.span()),
                format!(
                    "`{}` is not a file (requirements_file is relative to sf.toml's folder)",
                    file.get_ref()
                ),
            ));
        }
    }
    if let Some(mode) = &raw.runtime_installs {
        spec.runtime_installs =
            cx.word::<sf_vocab::RuntimeInstalls>(format!("{key}.runtime_installs"), mode)?;
    }
    if let Some(root) = &raw.import_root {
        spec = spec.import_root(root.get_ref());
        if !spec.import_root.as_ref().is_some_and(|r| r.is_dir()) {
            return Err(cx.err(
                format!("{key}.import_root"),
                Some(root.span()),
                format!(
                    "`{}` is not a folder (import_root is relative to sf.toml's folder)",
                    root.get_ref()
                ),
            ));
        }
    }
    if let Some(sandbox) = raw.sandbox {
        spec.sandbox.filesystem = sandbox;
    }
    if let Some(network) = raw.network {
        spec.sandbox.network = network;
    }
    let layout = match &raw.layout {
        Some(l) => cx.word::<RunLayout>(format!("{key}.layout"), l)?,
        None => RunLayout::Workspace,
    };
    let layout_span = raw.layout.as_ref().map(Spanned::span);
    match layout {
        RunLayout::Workspace => {
            if raw.sagemaker_paths.is_some() {
                return Err(cx.err(
                    format!("{key}.sagemaker_paths"),
                    None,
                    "`sagemaker_paths` needs layout = \"sagemaker\"",
                ));
            }
        }
        RunLayout::Sagemaker => {
            let paths = raw.sagemaker_paths.clone().unwrap_or_default();
            for (channel, path) in &paths {
                if let Err(err) = crate::run::sagemaker::check_container_path(path) {
                    return Err(cx.err(
                        format!("{key}.sagemaker_paths.{channel}"),
                        layout_span.clone(),
                        err.to_string(),
                    ));
                }
            }
            spec.sagemaker = Some(crate::run::sagemaker::SageMakerLayout { paths });
        }
    }
    if let Some(inputs) = &raw.inputs {
        let mut plan = DataPlan::new();
        for (channel, raw_channel) in inputs {
            let channel_key = format!("{key}.inputs.{channel}");
            cx.channel(&channel_key, raw_channel.span(), channel)?;
            plan = plan.channel(
                channel,
                build_channel(cx, &channel_key, raw_channel, &name, &spec)?,
            );
        }
        spec.data = plan;
    }
    if let Some(outputs) = &raw.outputs {
        spec.outputs = BTreeMap::new();
        spec.output_files = BTreeMap::new();
        for (channel, out) in outputs {
            let okey = format!("{key}.outputs.{channel}");
            cx.channel(&okey, out.span(), channel)?;
            apply_output(cx, &okey, &mut spec, channel, out)?;
        }
    }
    for (k, v) in raw.returns.iter().flatten() {
        let rkey = format!("{key}.returns.{k:?}");
        if spec.expect == Expectation::Fail {
            return Err(cx.err(
                rkey,
                Some(v.span()),
                "`returns` checks what a passing run's main returns; it does not apply with expect = \"fail\"",
            ));
        }
        if spec.adapter == Some(AdapterKind::Command) {
            return Err(cx.err(
                rkey,
                Some(v.span()),
                "`returns` checks what main returns, which needs the python-main adapter (a command has only its exit status)",
            ));
        }
        if spec.sagemaker.is_some() {
            return Err(cx.err(
                rkey,
                Some(v.span()),
                "`returns` checks what main returns; layout = \"sagemaker\" runs the script's __main__ block, which returns nothing sf sees",
            ));
        }
        let expected = json_expectation(cx, &rkey, Some(v.span()), v.get_ref())?;
        spec.returns
            .insert(crate::checks::returns_pointer(k), expected);
    }
    let ignored = raw.ignore.unwrap_or(false);
    // Variants: every profile × every size asked for; names join the parts that vary.
    let mut profiles: Vec<Option<Profile>> = Vec::new();
    for p in raw.profiles.iter().flatten() {
        profiles.push(Some(cx.word::<Profile>(format!("{key}.profiles"), p)?));
    }
    if profiles.is_empty() {
        profiles.push(None);
    }
    let mut sizes: Vec<Option<Size>> = Vec::new();
    for s in raw.sizes.iter().flatten() {
        sizes.push(Some(parse_size(cx, &format!("{key}.sizes"), s)?));
    }
    if sizes.is_empty() {
        sizes.push(None);
    }
    let mut tests = Vec::new();
    for profile in &profiles {
        let base = match profile {
            Some(p) => spec.clone().profile(*p),
            None => spec.clone(),
        };
        for size in &sizes {
            let mut variant = match size {
                Some(s) => base.clone().rows(RowCount::Size(*s)),
                None => base.clone(),
            };
            let parts: Vec<&str> = [profile.map(Profile::name), size.map(Size::name)]
                .into_iter()
                .flatten()
                .collect();
            if !parts.is_empty() {
                variant.variant = Some(parts.join("::"));
            }
            if !variant.golden.is_empty() {
                variant.golden_dir =
                    Some(crate::spec::golden_dir_for(cx.root, &variant.test_name()));
            }
            tests.push(Entry::script(variant, ignored, None));
        }
        if let Some(p) = &raw.proptest {
            let mut variant = base.clone();
            // Golden copies are of the plain variants' seeded data.
            variant.golden.clear();
            variant.variant = Some(
                [profile.map(Profile::name), Some("proptest")]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("::"),
            );
            let mut config = property_config(
                cx,
                &format!("{key}.proptest"),
                p,
                &variant.test_name(),
                variant.seed,
            )?;
            let inputs: Vec<String> = variant.data.channels.keys().cloned().collect();
            let outputs: Vec<String> = variant.outputs.keys().cloned().collect();
            config.outputs =
                build_property_outputs(cx, &format!("{key}.proptest"), p, &|channel| {
                    if outputs.iter().any(|o| o == channel) {
                        Ok(inputs.clone())
                    } else {
                        Err(format!(
                            "no output `{channel}` to check differently in property cases \
                             (outputs: {})",
                            outputs.join(", ")
                        ))
                    }
                })?;
            for (channel, plan) in &variant.data.channels {
                if let ChannelPlan::Generated(data) = plan {
                    check_property_rows(
                        cx,
                        &format!("{key}.proptest"),
                        p,
                        channel,
                        data,
                        config.max_rows,
                    )?;
                }
            }
            tests.push(Entry::script(variant, ignored, Some(config)));
        }
    }
    Ok((spec, tests))
}

/// Property mode settings (the table at `key`) for the test `name`: its bundles go to
/// `sf-regressions/<name parts>/` beside the configuration.
pub(super) fn property_config(
    cx: &Cx<'_>,
    key: &str,
    raw: &Spanned<super::raw::RawProptest>,
    name: &str,
    seed: u64,
) -> Result<crate::property::PropertyConfig> {
    let defaults = crate::property::PropertyConfig::default();
    let p = raw.get_ref();
    let max_rows = p.max_rows.unwrap_or(defaults.max_rows);
    if let Some(min_rows) = p.min_rows
        && min_rows > max_rows
    {
        return Err(cx.err(
            format!("{key}.min_rows"),
            Some(raw.span()),
            format!("min_rows {min_rows} is more than max_rows {max_rows}"),
        ));
    }
    let max_shrink_time = match &p.max_shrink_time {
        None => defaults.max_shrink_time,
        Some(t) => match t {
            RawDuration::Seconds(s) => units::seconds(*s),
            RawDuration::Text(s) => units::parse_duration(s),
        }
        .map_err(|m| {
            cx.err(
                format!("{key}.max_shrink_time"),
                Some(raw.span()),
                m.to_string(),
            )
        })?,
    };
    let output_checks = match &p.output_checks {
        None => defaults.output_checks,
        Some(name) => crate::property::OutputChecks::from_name(name).ok_or_else(|| {
            cx.err(
                format!("{key}.output_checks"),
                Some(raw.span()),
                format!(
                    "unknown value {name:?}; expected one of {}",
                    crate::property::OutputChecks::NAMES.join(", ")
                ),
            )
        })?,
    };
    Ok(crate::property::PropertyConfig {
        cases: p.cases.unwrap_or(defaults.cases),
        max_shrink_time,
        warm: p.warm.unwrap_or(defaults.warm),
        output_checks,
        edge_checks: p.edge_checks.unwrap_or(defaults.edge_checks),
        keep_cases: p.keep_cases.unwrap_or(defaults.keep_cases),
        outputs: std::collections::BTreeMap::new(),
        max_shrink_iters: p.max_shrink_iters.unwrap_or(defaults.max_shrink_iters),
        min_rows: p.min_rows,
        max_rows,
        edge_values: p.edge_values.unwrap_or(defaults.edge_values),
        bundle_dir: name
            .split("::")
            .fold(cx.root.join("sf-regressions"), |d, part| d.join(part)),
        seed,
    })
}

/// A property run draws up to `max_rows` rows from `data`: each of its unique columns needs that
/// many distinct values. The error is at `key.max_rows` (the proptest table at `key`) and names
/// the input `channel` and the column.
pub(super) fn check_property_rows(
    cx: &Cx<'_>,
    key: &str,
    raw: &Spanned<super::raw::RawProptest>,
    channel: &str,
    data: &GeneratedData,
    max_rows: usize,
) -> Result<()> {
    if let TableSource::Schema(schema) = &data.source
        && let Err(err) = schema.check_rows(max_rows)
    {
        return Err(cx.err(
            format!("{key}.max_rows"),
            Some(raw.span()),
            format!("input `{channel}`: {err}; lower max_rows or give the column more values"),
        ));
    }
    Ok(())
}
