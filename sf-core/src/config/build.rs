//! From `sf.toml` as written to validated test specs: the file is parsed, scripts are found
//! ([`discover`](super::discover)) and built ([`script`](super::script), with their input channels
//! in [`channel`](super::channel) and column schemas in [`schema`](super::schema)), then pipelines.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::SuiteTest;
use super::discover::discover;
use super::error::ConfigError;
use super::raw::RawConfig;
use super::script::{build_script, merge};
use crate::data::Size;
use crate::spec::{DEFAULT_WORKSPACE_ROOT, TestSpec};

// Pipeline steps build their channels and property settings the way scripts do.
pub(super) use super::channel::build_channel;
pub(super) use super::script::property_config;

/// Context for error reporting: which file, its text, and the directory paths are relative to.
pub(super) struct Cx<'a> {
    file: &'a Path,
    text: &'a str,
    pub(super) root: &'a Path,
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

    pub(super) fn path(&self, relative: &str) -> PathBuf {
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

pub(super) fn parse_size(cx: &Cx<'_>, key: &str, size: &Spanned<String>) -> Result<Size> {
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
