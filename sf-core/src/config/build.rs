//! From `sf.toml` as written to validated test specs.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use toml::Spanned;

use super::error::ConfigError;
use super::raw::{RawBytes, RawChannel, RawColumn, RawConfig, RawDiscover, RawDuration, RawScript};
use super::{DEFAULT_GLOB, SuiteTest};
use crate::data::{
    ChannelPlan, ColumnKind, ColumnSpec, DataPlan, EntryContent, Format, GeneratedData, LabelSpec,
    Layout, Profile, RowCount, Schema, Size, Split, TableSource, TarEntry,
};
use crate::result::Expectation;
use crate::script::AdapterKind;
use crate::spec::{DEFAULT_WORKSPACE_ROOT, OutputChecks, TestSpec};
use crate::units;

/// Context for error reporting: which file, its text, and the directory paths are relative to.
pub(super) struct Cx<'a> {
    file: &'a Path,
    text: &'a str,
    root: &'a Path,
}

impl Cx<'_> {
    pub(super) fn err(
        &self,
        key: impl Into<String>,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError::new(self.file, message)
            .at(self.text, span)
            .key(key)
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }
}

pub(super) type Result<T> = std::result::Result<T, ConfigError>;

pub(super) fn build(
    file: &Path,
    root: &Path,
    text: &str,
) -> Result<(Vec<SuiteTest>, Vec<super::PipelineTest>)> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        ConfigError::new(file, e.message().trim_end_matches('\n').to_owned()).at(text, e.span())
    })?;
    let cx = Cx { file, text, root };
    let defaults = raw.defaults.map(Spanned::into_inner).unwrap_or_default();
    if let Some(path) = &defaults.path {
        return Err(cx.err(
            "defaults.path",
            Some(path.span()),
            "a path belongs in a [scripts.NAME] section, not in [defaults]",
        ));
    }
    let workspace_root = raw.workspace_dir.as_ref().map_or_else(
        || root.join(DEFAULT_WORKSPACE_ROOT),
        |w| cx.path(w.get_ref()),
    );
    let discovered = discover(&cx, raw.discover, !raw.scripts.is_empty())?;

    let names: BTreeSet<&String> = discovered.keys().chain(raw.scripts.keys()).collect();
    let mut tests = Vec::new();
    // Each script's spec before variants: what pipeline steps start from.
    let mut bases: BTreeMap<String, TestSpec> = BTreeMap::new();
    for name in names {
        let key = format!("scripts.{name}");
        let section = raw.scripts.get(name);
        let script = merge(&defaults, section.map(Spanned::get_ref));
        let path = match (&script.path, discovered.get(name)) {
            (Some(p), _) => {
                let full = cx.path(p.get_ref());
                if !full.is_file() {
                    return Err(cx.err(
                        format!("{key}.path"),
                        Some(p.span()),
                        format!(
                            "{} does not exist (paths are relative to {})",
                            p.get_ref(),
                            root.display()
                        ),
                    ));
                }
                full
            }
            (None, Some(found)) => found.clone(),
            (None, None) => {
                return Err(cx.err(
                    &key,
                    section.map(Spanned::span),
                    format!("no `path` given and no discovered script is called `{name}`"),
                ));
            }
        };
        let (base, variants) = build_script(&cx, &key, &path, &script, &workspace_root)?;
        bases.insert(name.clone(), base);
        tests.extend(variants);
    }
    tests.sort_by(|a, b| a.name.cmp(&b.name));
    for pair in tests.windows(2) {
        if pair[0].name == pair[1].name {
            return Err(ConfigError::new(
                file,
                format!("two tests are called `{}`", pair[0].name),
            ));
        }
    }
    let pipelines =
        super::pipelines::build_pipelines(&cx, &raw.pipelines, &bases, &workspace_root)?;
    Ok((tests, pipelines))
}

fn discover(
    cx: &Cx<'_>,
    discover: Option<Spanned<RawDiscover>>,
    has_scripts: bool,
) -> Result<BTreeMap<String, PathBuf>> {
    let discover = discover.map(Spanned::into_inner).unwrap_or_default();
    let explicit = discover.globs.is_some();
    let globs: Vec<(String, Option<Range<usize>>)> = match discover.globs {
        Some(globs) => globs
            .into_iter()
            .map(|g| (g.get_ref().clone(), Some(g.span())))
            .collect(),
        None => vec![(DEFAULT_GLOB.to_owned(), None)],
    };
    let mut excludes = Vec::new();
    for e in &discover.exclude {
        let pattern = glob::Pattern::new(e.get_ref()).map_err(|err| {
            cx.err(
                "discover.exclude",
                Some(e.span()),
                format!("invalid glob `{}`: {err}", e.get_ref()),
            )
        })?;
        excludes.push(pattern);
    }
    let root = glob::Pattern::escape(&cx.root.to_string_lossy());
    let mut found: BTreeMap<String, PathBuf> = BTreeMap::new();
    for (pattern, span) in globs {
        let paths = glob::glob(&format!("{root}/{pattern}")).map_err(|err| {
            cx.err(
                "discover.globs",
                span.clone(),
                format!("invalid glob `{pattern}`: {err}"),
            )
        })?;
        let mut matched = 0;
        for path in paths.flatten().filter(|p| p.is_file()) {
            let relative = path.strip_prefix(cx.root).unwrap_or(&path);
            if excludes.iter().any(|e| e.matches_path(relative)) {
                continue;
            }
            matched += 1;
            let Some(name) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
                continue;
            };
            if let Some(other) = found.get(&name).filter(|o| **o != path) {
                return Err(cx.err(
                    "discover.globs",
                    span.clone(),
                    format!(
                        "two scripts are called `{name}`: {} and {}; rename one, or give [scripts.{name}] a path",
                        other.display(),
                        path.display()
                    ),
                ));
            }
            found.insert(name, path);
        }
        if matched == 0 && (explicit || !has_scripts) {
            let message = format!(
                "no scripts found: scanned {} with pattern `{pattern}`{}",
                cx.root.display(),
                if explicit {
                    ""
                } else {
                    "; list scripts with [discover] globs or [scripts.NAME] sections"
                }
            );
            return Err(cx.err("discover.globs", span, message));
        }
    }
    Ok(found)
}

/// `defaults` overlaid by the script's own section (maps are merged key by key).
fn merge(defaults: &RawScript, script: Option<&RawScript>) -> RawScript {
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
        layout: s.layout.or(d.layout),
        sagemaker_paths: maps(d.sagemaker_paths, s.sagemaker_paths),
        network: s.network.or(d.network),
        sizes: s.sizes.or(d.sizes),
        profiles: s.profiles.or(d.profiles),
        proptest: s.proptest.or(d.proptest),
        inputs: maps(d.inputs, s.inputs),
        outputs: maps(d.outputs, s.outputs),
    }
}

fn build_script(
    cx: &Cx<'_>,
    key: &str,
    path: &Path,
    raw: &RawScript,
    workspace_root: &Path,
) -> Result<(TestSpec, Vec<SuiteTest>)> {
    let mut spec = TestSpec::new(path.to_string_lossy())
        .base_dir(cx.root)
        .workspace_root(workspace_root);
    let name = spec.script_name();
    if let Some(adapter) = &raw.adapter {
        spec.adapter = Some(match adapter.get_ref().as_str() {
            "python-main" => AdapterKind::PythonMain,
            "command" => AdapterKind::Command,
            other => {
                return Err(cx.err(
                    format!("{key}.adapter"),
                    Some(adapter.span()),
                    format!("unknown adapter `{other}`; expected `python-main` or `command`"),
                ));
            }
        });
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
        spec =
            spec.memory_limit(parsed.map_err(|e| {
                cx.err(format!("{key}.memory_limit"), Some(m.span()), e.to_string())
            })?);
    }
    if let Some(m) = &raw.log_limit {
        let parsed = match m.get_ref() {
            RawBytes::Megabytes(mb) => units::megabytes_to_bytes(*mb),
            RawBytes::Text(s) => units::parse_bytes(s),
        };
        spec.limits.log_limit_bytes = parsed
            .map_err(|e| cx.err(format!("{key}.log_limit"), Some(m.span()), e.to_string()))?;
    }
    if let Some(e) = &raw.expect {
        spec = spec.expect(match e.get_ref().as_str() {
            "pass" => Expectation::Pass,
            "fail" => Expectation::Fail,
            other => {
                return Err(cx.err(
                    format!("{key}.expect"),
                    Some(e.span()),
                    format!("unknown expectation `{other}`; expected `pass` or `fail`"),
                ));
            }
        });
    }
    if let Some(seed) = raw.seed {
        spec = spec.seed(seed);
    }
    if let Some(python) = &raw.python {
        spec = spec.python(python);
    }
    if let Some(sandbox) = raw.sandbox {
        spec.sandbox.filesystem = sandbox;
    }
    if let Some(network) = raw.network {
        spec.sandbox.network = network;
    }
    match raw
        .layout
        .as_ref()
        .map(|l| (l.get_ref().as_str(), l.span()))
    {
        None | Some(("workspace", _)) => {
            if raw.sagemaker_paths.is_some() {
                return Err(cx.err(
                    format!("{key}.sagemaker_paths"),
                    None,
                    "`sagemaker_paths` needs layout = \"sagemaker\"",
                ));
            }
        }
        Some(("sagemaker", span)) => {
            let paths = raw.sagemaker_paths.clone().unwrap_or_default();
            if let Some((channel, path)) = paths.iter().find(|(_, p)| !p.starts_with("/opt/ml/")) {
                return Err(cx.err(
                    format!("{key}.sagemaker_paths.{channel}"),
                    Some(span),
                    format!("{path} is not under /opt/ml/"),
                ));
            }
            spec.sagemaker = Some(crate::run::sagemaker::SageMakerLayout { paths });
        }
        Some((other, span)) => {
            return Err(cx.err(
                format!("{key}.layout"),
                Some(span),
                format!("unknown layout `{other}`; expected `workspace` or `sagemaker`"),
            ));
        }
    }
    if let Some(inputs) = &raw.inputs {
        let mut plan = DataPlan::new();
        for (channel, raw_channel) in inputs {
            let channel_key = format!("{key}.inputs.{channel}");
            plan = plan.channel(
                channel,
                build_channel(cx, &channel_key, raw_channel, &name, &spec)?,
            );
        }
        spec.data = plan;
    }
    if let Some(outputs) = &raw.outputs {
        spec.outputs = BTreeMap::new();
        for (channel, out) in outputs {
            let o = out.get_ref();
            if let Some(files) = &o.files
                && let Err(e) = glob::Pattern::new(files.get_ref())
            {
                return Err(cx.err(
                    format!("{key}.outputs.{channel}.files"),
                    Some(files.span()),
                    format!("invalid glob `{}`: {e}", files.get_ref()),
                ));
            }
            spec.outputs.insert(
                channel.clone(),
                OutputChecks {
                    non_empty: o.non_empty,
                    files: o.files.as_ref().map(|f| f.get_ref().clone()),
                    min_rows: o.min_rows,
                    columns: o.columns.clone().unwrap_or_default(),
                },
            );
        }
    }
    let ignored = raw.ignore.unwrap_or(false);
    // Variants: every profile × every size asked for; names join the parts that vary.
    let mut profiles: Vec<Option<Profile>> = Vec::new();
    for p in raw.profiles.iter().flatten() {
        profiles.push(Some(Profile::parse(p.get_ref()).ok_or_else(|| {
            cx.err(
                format!("{key}.profiles"),
                Some(p.span()),
                format!(
                    "unknown profile `{}`; expected one of {}",
                    p.get_ref(),
                    Profile::ALL.map(Profile::name).join(", ")
                ),
            )
        })?));
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
            tests.push(SuiteTest {
                name: variant.test_name(),
                spec: variant,
                ignored,
                property: None,
            });
        }
        if let Some(p) = &raw.proptest {
            let mut variant = base.clone();
            variant.variant = Some(
                [profile.map(Profile::name), Some("proptest")]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("::"),
            );
            let name = variant.test_name();
            let config = property_config(cx, p.get_ref(), &name, variant.seed);
            tests.push(SuiteTest {
                name,
                spec: variant,
                ignored,
                property: Some(config),
            });
        }
    }
    Ok((spec, tests))
}

/// Property mode settings for the test `name`: its bundles go to `sf-regressions/<name parts>/`
/// beside the configuration.
pub(super) fn property_config(
    cx: &Cx<'_>,
    raw: &super::raw::RawProptest,
    name: &str,
    seed: u64,
) -> crate::property::PropertyConfig {
    let defaults = crate::property::PropertyConfig::default();
    crate::property::PropertyConfig {
        cases: raw.cases.unwrap_or(defaults.cases),
        max_shrink_iters: raw.max_shrink_iters.unwrap_or(defaults.max_shrink_iters),
        max_rows: raw.max_rows.unwrap_or(defaults.max_rows),
        bundle_dir: name
            .split("::")
            .fold(cx.root.join("sf-regressions"), |d, part| d.join(part)),
        seed,
        ..defaults
    }
}

fn parse_size(cx: &Cx<'_>, key: &str, size: &Spanned<String>) -> Result<Size> {
    Size::parse(size.get_ref()).ok_or_else(|| {
        cx.err(
            key,
            Some(size.span()),
            format!(
                "unknown size `{}`; expected small, medium or large",
                size.get_ref()
            ),
        )
    })
}

const GENERATED_KEYS: [&str; 11] = [
    "size",
    "rows",
    "format",
    "layout",
    "shards",
    "splits",
    "ratios",
    "file_pattern",
    "gzip",
    "label",
    "file_name",
];

pub(super) fn build_channel(
    cx: &Cx<'_>,
    key: &str,
    raw: &Spanned<RawChannel>,
    script: &str,
    spec: &TestSpec,
) -> Result<ChannelPlan> {
    let span = Some(raw.span());
    let c = raw.get_ref();
    let kinds: Vec<&str> = [
        ("data", c.data.is_some()),
        ("columns", c.columns.is_some()),
        ("text", c.text.is_some()),
        ("json", c.json.is_some()),
        ("fixture", c.fixture.is_some()),
        ("tar_gz", c.tar_gz.is_some()),
        ("empty", c.empty == Some(true)),
        ("several", c.several.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, present)| present.then_some(k))
    .collect();
    if kinds.len() > 1 {
        return Err(cx.err(
            key,
            span,
            format!(
                "give only one of {}: a channel holds one kind of content (use `several` for more)",
                kinds.join(", ")
            ),
        ));
    }
    let generated = matches!(kinds.first(), None | Some(&"data") | Some(&"columns"));
    if !generated {
        let present = generated_keys_present(c);
        // file_name names the file of text and json channels too.
        if let Some(k) = present
            .iter()
            .find(|k| **k != "file_name" || matches!(kinds[0], "fixture" | "empty" | "several"))
        {
            return Err(cx.err(
                format!("{key}.{k}"),
                span,
                format!(
                    "`{k}` applies to generated data, not to a `{}` channel",
                    kinds[0]
                ),
            ));
        }
    }
    if c.entries.is_some() && c.tar_gz.is_none() {
        return Err(cx.err(
            format!("{key}.entries"),
            span,
            "`entries` belongs to a `tar_gz` channel",
        ));
    }
    let needs_name = |what: &str| {
        c.file_name.clone().ok_or_else(|| {
            cx.err(
                format!("{key}.file_name"),
                span.clone(),
                format!("a `{what}` channel needs `file_name`"),
            )
        })
    };
    match kinds.first().copied() {
        Some("text") => Ok(ChannelPlan::Text {
            file_name: needs_name("text")?,
            content: c.text.clone().unwrap_or_default(),
        }),
        Some("json") => Ok(ChannelPlan::Json {
            file_name: needs_name("json")?,
            value: toml_to_json(cx, key, c.json.as_ref())?,
        }),
        Some("fixture") => {
            let f = c.fixture.as_ref().expect("kind checked");
            let source = cx.path(f.get_ref());
            if !source.exists() {
                return Err(cx.err(
                    format!("{key}.fixture"),
                    Some(f.span()),
                    format!(
                        "fixture {} does not exist (paths are relative to {})",
                        f.get_ref(),
                        cx.root.display()
                    ),
                ));
            }
            Ok(ChannelPlan::Fixture { source })
        }
        Some("tar_gz") => {
            let entries = c
                .entries
                .as_ref()
                .filter(|e| !e.is_empty())
                .ok_or_else(|| {
                    cx.err(
                        format!("{key}.entries"),
                        span.clone(),
                        "a `tar_gz` channel needs at least one [[entries]] table",
                    )
                })?;
            let mut built = Vec::new();
            for (i, entry) in entries.iter().enumerate() {
                let e = entry.get_ref();
                let ekey = format!("{key}.entries[{i}]");
                let content = match (&e.text, &e.json, &e.file) {
                    (Some(t), None, None) => EntryContent::Text(t.clone()),
                    (None, Some(j), None) => EntryContent::Json(toml_to_json(cx, &ekey, Some(j))?),
                    (None, None, Some(f)) => {
                        let source = cx.path(f);
                        if !source.exists() {
                            return Err(cx.err(
                                format!("{ekey}.file"),
                                Some(entry.span()),
                                format!("{f} does not exist"),
                            ));
                        }
                        EntryContent::File(source)
                    }
                    _ => {
                        return Err(cx.err(
                            &ekey,
                            Some(entry.span()),
                            "an entry needs exactly one of `text`, `json` or `file`",
                        ));
                    }
                };
                built.push(TarEntry {
                    path: e.path.clone(),
                    content,
                });
            }
            Ok(ChannelPlan::TarGz {
                file_name: c.tar_gz.clone().expect("kind checked"),
                entries: built,
            })
        }
        Some("empty") => Ok(ChannelPlan::Empty),
        Some("several") => {
            let mut plans = Vec::new();
            for (i, part) in c.several.iter().flatten().enumerate() {
                plans.push(build_channel(
                    cx,
                    &format!("{key}.several[{i}]"),
                    part,
                    script,
                    spec,
                )?);
            }
            Ok(ChannelPlan::Several(plans))
        }
        _ => build_generated(cx, key, raw, script, spec).map(ChannelPlan::Generated),
    }
}

fn generated_keys_present(c: &RawChannel) -> Vec<&'static str> {
    let present = [
        c.size.is_some(),
        c.rows.is_some(),
        c.format.is_some(),
        c.layout.is_some(),
        c.shards.is_some(),
        c.splits.is_some(),
        c.ratios.is_some(),
        c.file_pattern.is_some(),
        c.gzip.is_some(),
        c.label.is_some(),
        c.file_name.is_some(),
    ];
    GENERATED_KEYS
        .into_iter()
        .zip(present)
        .filter_map(|(k, p)| p.then_some(k))
        .collect()
}

fn build_generated(
    cx: &Cx<'_>,
    key: &str,
    raw: &Spanned<RawChannel>,
    script: &str,
    spec: &TestSpec,
) -> Result<GeneratedData> {
    let c = raw.get_ref();
    let source = match (&c.data, &c.columns) {
        (Some(profile), None) => {
            TableSource::Profile(Profile::parse(profile.get_ref()).ok_or_else(|| {
                cx.err(
                    format!("{key}.data"),
                    Some(profile.span()),
                    format!(
                        "unknown profile `{}`; expected one of {}",
                        profile.get_ref(),
                        Profile::ALL.map(Profile::name).join(", ")
                    ),
                )
            })?)
        }
        (None, Some(columns)) => {
            TableSource::Schema(build_schema(cx, key, columns, c.label.as_ref())?)
        }
        _ => TableSource::Profile(Profile::guess(script)),
    };
    if c.label.is_some() && c.columns.is_none() {
        return Err(cx.err(
            format!("{key}.label"),
            Some(raw.span()),
            "`label` belongs to a `columns` schema",
        ));
    }
    let rows = match (&c.size, c.rows) {
        (Some(_), Some(_)) => {
            return Err(cx.err(key, Some(raw.span()), "give `size` or `rows`, not both"));
        }
        (Some(size), None) => RowCount::Size(parse_size(cx, &format!("{key}.size"), size)?),
        (None, Some(rows)) => RowCount::Rows(rows),
        (None, None) => RowCount::Size(Size::Small),
    };
    let format = match &c.format {
        Some(f) => Format::parse(f.get_ref()).ok_or_else(|| {
            cx.err(
                format!("{key}.format"),
                Some(f.span()),
                format!(
                    "unknown format `{}`; expected csv, tsv or jsonl",
                    f.get_ref()
                ),
            )
        })?,
        None => Format::Csv,
    };
    let layout_name =
        c.layout
            .as_ref()
            .map(|l| l.get_ref().as_str())
            .unwrap_or(if c.shards.is_some() {
                "shards"
            } else if c.splits.is_some() {
                "splits"
            } else {
                "single"
            });
    let layout_span = c.layout.as_ref().map(Spanned::span).or(Some(raw.span()));
    let misplaced = |k: &str| {
        cx.err(
            format!("{key}.{k}"),
            layout_span.clone(),
            format!("`{k}` does not apply to layout `{layout_name}`"),
        )
    };
    let file_pattern = c
        .file_pattern
        .clone()
        .unwrap_or_else(|| "{split}_processed_data.{ext}".to_owned());
    let layout = match layout_name {
        "single" => {
            for (k, present) in [
                ("shards", c.shards.is_some()),
                ("splits", c.splits.is_some()),
                ("ratios", c.ratios.is_some()),
                ("file_pattern", c.file_pattern.is_some()),
            ] {
                if present {
                    return Err(misplaced(k));
                }
            }
            Layout::Single
        }
        "shards" => {
            for (k, present) in [
                ("splits", c.splits.is_some()),
                ("ratios", c.ratios.is_some()),
                ("file_pattern", c.file_pattern.is_some()),
                ("file_name", c.file_name.is_some()),
            ] {
                if present {
                    return Err(misplaced(k));
                }
            }
            let count = c.shards.unwrap_or(4);
            if count == 0 {
                return Err(cx.err(
                    format!("{key}.shards"),
                    layout_span,
                    "`shards` must be at least 1",
                ));
            }
            Layout::Shards { count }
        }
        "splits" => {
            if let Some(k) = [
                ("shards", c.shards.is_some()),
                ("file_name", c.file_name.is_some()),
            ]
            .iter()
            .find(|(_, p)| *p)
            {
                return Err(misplaced(k.0));
            }
            let names = c
                .splits
                .clone()
                .unwrap_or_else(|| vec!["train".into(), "test".into(), "val".into()]);
            let ratios = match &c.ratios {
                Some(r) => {
                    if r.get_ref().len() != names.len()
                        || r.get_ref().iter().any(|x| !(x.is_finite() && *x > 0.0))
                    {
                        return Err(cx.err(
                            format!("{key}.ratios"),
                            Some(r.span()),
                            format!(
                                "`ratios` needs {} positive numbers, one per split",
                                names.len()
                            ),
                        ));
                    }
                    r.get_ref().clone()
                }
                None if names.len() == 3 => vec![0.7, 0.15, 0.15],
                None => vec![1.0; names.len()],
            };
            if names.is_empty() {
                return Err(cx.err(
                    format!("{key}.splits"),
                    layout_span,
                    "`splits` needs at least one name",
                ));
            }
            Layout::Splits {
                splits: names
                    .into_iter()
                    .zip(ratios)
                    .map(|(n, r)| Split::new(n, r))
                    .collect(),
                file_pattern,
            }
        }
        "job_type" => {
            if let Some(k) = [
                ("shards", c.shards.is_some()),
                ("splits", c.splits.is_some()),
                ("ratios", c.ratios.is_some()),
                ("file_name", c.file_name.is_some()),
            ]
            .iter()
            .find(|(_, p)| *p)
            {
                return Err(misplaced(k.0));
            }
            let job_type = spec.job_args.get("job_type").and_then(|v| v.as_str()).ok_or_else(|| {
                cx.err(
                    format!("{key}.layout"),
                    layout_span.clone(),
                    "layout `job_type` puts the data in a folder named after job_args.job_type, which is not set",
                )
            })?;
            Layout::Splits {
                splits: vec![Split::new(job_type, 1.0)],
                file_pattern,
            }
        }
        other => {
            return Err(cx.err(
                format!("{key}.layout"),
                layout_span,
                format!("unknown layout `{other}`; expected single, shards, splits or job_type"),
            ));
        }
    };
    Ok(GeneratedData {
        source,
        rows,
        format,
        file_name: c.file_name.clone(),
        layout,
        gzip: c.gzip.unwrap_or(false),
    })
}

fn build_schema(
    cx: &Cx<'_>,
    key: &str,
    columns: &[Spanned<RawColumn>],
    label: Option<&Spanned<super::raw::RawLabel>>,
) -> Result<Schema> {
    let mut specs = Vec::new();
    for (i, col) in columns.iter().enumerate() {
        specs.push(build_column(cx, &format!("{key}.columns[{i}]"), col)?);
    }
    let schema = Schema {
        columns: specs,
        label: label.map(|l| {
            let l = l.get_ref();
            LabelSpec {
                name: l.name.clone(),
                weights: l.weights.clone(),
                noise: l.noise,
                threshold: l.threshold,
            }
        }),
    };
    let span = columns.first().map(Spanned::span);
    schema
        .validate()
        .map_err(|e| cx.err(format!("{key}.columns"), span, e.to_string()))?;
    Ok(schema)
}

fn build_column(cx: &Cx<'_>, key: &str, col: &Spanned<RawColumn>) -> Result<ColumnSpec> {
    let c = col.get_ref();
    let span = Some(col.span());
    let bad = |what: &str, message: String| cx.err(format!("{key}.{what}"), span.clone(), message);
    let int = |v: &Option<toml::Value>, what: &str, default: i64| -> Result<i64> {
        match v {
            None => Ok(default),
            Some(toml::Value::Integer(i)) => Ok(*i),
            Some(other) => Err(bad(
                what,
                format!(
                    "`{what}` must be a whole number, not a {}",
                    other.type_str()
                ),
            )),
        }
    };
    let float = |v: &Option<toml::Value>, what: &str| -> Result<Option<f64>> {
        match v {
            None => Ok(None),
            Some(toml::Value::Integer(i)) => Ok(Some(*i as f64)),
            Some(toml::Value::Float(f)) => Ok(Some(*f)),
            Some(other) => Err(bad(
                what,
                format!("`{what}` must be a number, not a {}", other.type_str()),
            )),
        }
    };
    let date = |v: &Option<toml::Value>, what: &str, default: NaiveDate| -> Result<NaiveDate> {
        let text = match v {
            None => return Ok(default),
            Some(toml::Value::String(s)) => s.clone(),
            Some(toml::Value::Datetime(d)) => d.to_string(),
            Some(other) => {
                return Err(bad(
                    what,
                    format!(
                        "`{what}` must be a date like 2024-01-31, not a {}",
                        other.type_str()
                    ),
                ));
            }
        };
        NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
            bad(
                what,
                format!("`{what}` must be a date like 2024-01-31, not `{text}`"),
            )
        })
    };
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("valid constant date");
    let type_name = c.kind.get_ref().as_str();
    let (kind, allowed): (ColumnKind, &[&str]) = match type_name {
        "int" => (
            ColumnKind::Int {
                min: int(&c.min, "min", 0)?,
                max: int(&c.max, "max", 100)?,
            },
            &["min", "max"],
        ),
        "float" | "normal" => (
            ColumnKind::Normal {
                mean: c.mean.unwrap_or(0.0),
                std: c.std.unwrap_or(1.0),
                min: float(&c.min, "min")?,
                max: float(&c.max, "max")?,
            },
            &["mean", "std", "min", "max"],
        ),
        "uniform" => (
            ColumnKind::Uniform {
                min: float(&c.min, "min")?.unwrap_or(0.0),
                max: float(&c.max, "max")?.unwrap_or(1.0),
            },
            &["min", "max"],
        ),
        "category" => (
            ColumnKind::Category {
                values: c.values.clone().ok_or_else(|| {
                    bad("values", "a `category` column needs `values`".to_owned())
                })?,
                weights: c.weights.clone(),
            },
            &["values", "weights"],
        ),
        "bool" => (
            ColumnKind::Bool {
                p_true: c.p_true.unwrap_or(0.5),
            },
            &["p_true"],
        ),
        "date" => (
            ColumnKind::Date {
                start: date(&c.start, "start", day(2024, 1, 1))?,
                end: date(&c.end, "end", day(2024, 12, 31))?,
                format: c.format.clone().unwrap_or_else(|| "%Y-%m-%d".to_owned()),
            },
            &["start", "end", "format"],
        ),
        "string" => (
            ColumnKind::Pattern {
                pattern: c.pattern.clone().ok_or_else(|| {
                    bad("pattern", "a `string` column needs `pattern`".to_owned())
                })?,
            },
            &["pattern"],
        ),
        "id" => (
            ColumnKind::Id {
                start: int(&c.start, "start", 1)?,
                step: c.step.unwrap_or(1),
                prefix: c.prefix.clone(),
            },
            &["start", "step", "prefix"],
        ),
        other => {
            return Err(cx.err(
                format!("{key}.type"),
                Some(c.kind.span()),
                format!("unknown column type `{other}`; expected int, float, uniform, category, bool, date, string or id"),
            ));
        }
    };
    let present = [
        ("min", c.min.is_some()),
        ("max", c.max.is_some()),
        ("mean", c.mean.is_some()),
        ("std", c.std.is_some()),
        ("values", c.values.is_some()),
        ("weights", c.weights.is_some()),
        ("p_true", c.p_true.is_some()),
        ("start", c.start.is_some()),
        ("end", c.end.is_some()),
        ("step", c.step.is_some()),
        ("prefix", c.prefix.is_some()),
        ("format", c.format.is_some()),
        ("pattern", c.pattern.is_some()),
    ];
    if let Some((k, _)) = present.iter().find(|(k, p)| *p && !allowed.contains(k)) {
        return Err(bad(
            k,
            format!("`{k}` does not apply to a column of type `{type_name}`"),
        ));
    }
    Ok(ColumnSpec {
        name: c.name.clone(),
        kind,
        null_rate: c.null_rate,
    })
}

fn toml_to_json(cx: &Cx<'_>, key: &str, value: Option<&toml::Value>) -> Result<serde_json::Value> {
    serde_json::to_value(value)
        .map_err(|e| cx.err(key, None, format!("cannot be written as JSON: {e}")))
}
