//! One input channel of `sf.toml` as a channel plan: generated data (a profile or columns, with its
//! size, format and layout), text, JSON, a fixture, a tar.gz of entries, or several of these.

use sf_vocab::LayoutKind;
use toml::Spanned;

use super::context::{Cx, Result};
use super::raw::{RawChannel, RawColumn};
use super::schema::build_schema;
use crate::data::{
    ChannelPlan, EntryContent, Format, GeneratedData, Layout, Profile, RowCount, SchemaError, Size,
    Split, TableSource, TarEntry,
};
use crate::spec::TestSpec;

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
            TableSource::Profile(cx.word::<Profile>(format!("{key}.data"), profile)?)
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
    if let (TableSource::Schema(schema), Some(columns)) = (&source, &c.columns)
        && let Err(err) = schema.check_rows(source.rows(rows))
    {
        return Err(unique_error(cx, key, columns, &err));
    }
    let format = match &c.format {
        Some(f) => cx.word::<Format>(format!("{key}.format"), f)?,
        None => Format::Csv,
    };
    if !format.is_text() {
        let span = c.format.as_ref().map(Spanned::span);
        if !crate::data::NUMPY {
            return Err(cx.err(
                format!("{key}.format"),
                span,
                format!(
                    "`{}` files need sf built with its `npy` feature (features = [\"npy\"])",
                    format.name()
                ),
            ));
        }
        if c.gzip == Some(true) {
            return Err(cx.err(
                format!("{key}.gzip"),
                span,
                format!("`{}` files are binary: gzip does not apply", format.name()),
            ));
        }
    }
    let layout_kind = match &c.layout {
        Some(l) => cx.word::<LayoutKind>(format!("{key}.layout"), l)?,
        None if c.shards.is_some() => LayoutKind::Shards,
        None if c.splits.is_some() => LayoutKind::Splits,
        None => LayoutKind::Single,
    };
    let layout_name = layout_kind.name();
    let layout_span = c.layout.as_ref().map(Spanned::span).or(Some(raw.span()));
    let misplaced = |k: &str| {
        cx.err(
            format!("{key}.{k}"),
            layout_span.clone(),
            format!("`{k}` does not apply to layout `{layout_name}`"),
        )
    };
    let split_pattern = c
        .file_pattern
        .clone()
        .unwrap_or_else(|| "{split}_processed_data.{ext}".to_owned());
    let layout = match layout_kind {
        LayoutKind::Single => {
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
        LayoutKind::Shards => {
            for (k, present) in [
                ("splits", c.splits.is_some()),
                ("ratios", c.ratios.is_some()),
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
            let file_pattern = c
                .file_pattern
                .clone()
                .unwrap_or_else(|| crate::data::SHARD_PATTERN.to_owned());
            if !file_pattern.contains("{n}") {
                return Err(cx.err(
                    format!("{key}.file_pattern"),
                    layout_span,
                    format!(
                        "shard file pattern `{file_pattern}` has no `{{n}}` (the shard's number): \
                         every shard would have the same name; for example `part-{{n}}.json`"
                    ),
                ));
            }
            Layout::Shards {
                count,
                file_pattern,
            }
        }
        LayoutKind::Splits => {
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
                file_pattern: split_pattern,
            }
        }
        LayoutKind::JobType => {
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
                file_pattern: split_pattern,
            }
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

/// A schema's [`check_rows`](crate::data::Schema::check_rows) error, at the `unique` key of the
/// column it names.
pub(super) fn unique_error(
    cx: &Cx<'_>,
    key: &str,
    columns: &[Spanned<RawColumn>],
    err: &SchemaError,
) -> crate::config::ConfigError {
    let SchemaError::Column { column, .. } = err else {
        return cx.err(format!("{key}.columns"), None, err.to_string());
    };
    match columns.iter().position(|c| c.get_ref().name == *column) {
        Some(i) => cx.err(
            format!("{key}.columns[{i}].unique"),
            Some(columns[i].span()),
            err.to_string(),
        ),
        None => cx.err(format!("{key}.columns"), None, err.to_string()),
    }
}

fn toml_to_json(cx: &Cx<'_>, key: &str, value: Option<&toml::Value>) -> Result<serde_json::Value> {
    serde_json::to_value(value)
        .map_err(|e| cx.err(key, None, format!("cannot be written as JSON: {e}")))
}

pub(super) fn parse_size(cx: &Cx<'_>, key: &str, size: &Spanned<String>) -> Result<Size> {
    cx.word::<Size>(key, size)
}
