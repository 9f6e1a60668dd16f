//! From `sf.toml` as written to validated test specs: the file is parsed, scripts are found
//! ([`discover`](super::discover)) and built ([`script`](super::script), with their input channels
//! in [`channel`](super::channel) and column schemas in [`schema`](super::schema)), then pipelines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::context::{Cx, Result};
use super::discover::discover;
use super::error::ConfigError;
use super::raw::{RawConfig, RawReport};
use super::script::{build_script, merge};
use crate::spec::{DEFAULT_WORKSPACE_ROOT, TestSpec};
use crate::suite::{Entry, EntryKind, ReportSettings};

/// The entries of a configuration (scripts, then pipelines), its workspace root and `[report]`.
pub(super) struct Built {
    pub(super) tests: Vec<Entry>,
    pub(super) pipelines: Vec<Entry>,
    pub(super) workspace_root: PathBuf,
    pub(super) report: ReportSettings,
}

/// Reads the TOML into the raw configuration. The reader stops at the first mistake; to report
/// every mistake of the file at once, the line of each is blanked out and the file read again
/// (at most 20 times), and all are returned in file order.
fn read(file: &Path, text: &str) -> Result<RawConfig> {
    let describe = |text: &str, e: &toml::de::Error| {
        let error = ConfigError::new(file, super::words::reword(e.message())).at(text, e.span());
        match e.span().and_then(|s| super::words::key_at(text, s.start)) {
            Some(key) => error.key(key),
            None => error,
        }
    };
    let first = match toml::from_str::<RawConfig>(text) {
        Ok(raw) => return Ok(raw),
        Err(e) => e,
    };
    let mut errors = vec![describe(text, &first)];
    let mut patched = text.to_owned();
    let mut current = first;
    for _ in 0..20 {
        let Some(span) = current.span() else { break };
        let start = patched[..span.start.min(patched.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let end = patched[start..]
            .find('\n')
            .map_or(patched.len(), |i| start + i);
        // A table header cannot be left out without changing what the rest means.
        if patched[start..end].trim_start().starts_with('[') || start == end {
            break;
        }
        patched.replace_range(start..end, &" ".repeat(end - start));
        match toml::from_str::<RawConfig>(&patched) {
            Ok(_) => break,
            Err(e) => {
                let error = describe(&patched, &e);
                if errors
                    .iter()
                    .any(|seen| seen.position == error.position && seen.message == error.message)
                {
                    break;
                }
                errors.push(error);
                current = e;
            }
        }
    }
    errors.sort_by_key(|e| e.position);
    let mut errors = errors.into_iter();
    let mut first = errors.next().expect("one error at least");
    first.more = errors.collect();
    Err(first)
}

pub(super) fn build(file: &Path, root: &Path, text: &str) -> Result<Built> {
    let raw: RawConfig = read(file, text)?;
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
    // A discovered script that sections name by `path` is tested by those sections only:
    // `[scripts.mvi_small]` and `[scripts.mvi_large]` on scripts/mvi.py are two tests, not three.
    let claimed: BTreeSet<std::path::PathBuf> = raw
        .scripts
        .values()
        .filter_map(|s| s.get_ref().path.as_ref())
        .map(|p| canonical(&cx.path(p.get_ref())))
        .collect();
    // Still a script of the configuration, which a pipeline step may name; not a test.
    let claimed: BTreeSet<&String> = discovered
        .iter()
        .filter(|(name, path)| {
            !raw.scripts.contains_key(*name) && claimed.contains(&canonical(path))
        })
        .map(|(name, _)| name)
        .collect();

    let names: BTreeSet<&String> = discovered.keys().chain(raw.scripts.keys()).collect();
    let mut tests = Vec::new();
    // Each script's spec before variants: what pipeline steps start from.
    let mut bases: BTreeMap<String, TestSpec> = BTreeMap::new();
    // A mistake in one script's section does not hide those of the others: every section is
    // built, and their errors are reported together, in file order.
    let mut errors: Vec<ConfigError> = Vec::new();
    // Each test's name and the section it comes from.
    let mut named: BTreeMap<String, String> = BTreeMap::new();
    for name in names {
        let key = format!("scripts.{name}");
        let built = (|| -> Result<(TestSpec, Vec<Entry>)> {
            let section = raw.scripts.get(name);
            let script = merge(&defaults, section.map(Spanned::get_ref));
            let path = match (&script.path, discovered.get(name)) {
                (Some(p), _) => {
                    let full = cx.path(p.get_ref());
                    if full.is_dir() {
                        return Err(cx.err(
                        format!("{key}.path"),
                        Some(p.span()),
                        format!(
                            "{} is a directory; `path` names one script file (for example {}/{name}.py)",
                            p.get_ref(),
                            p.get_ref().trim_end_matches('/')
                        ),
                    ));
                    }
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
            build_script(&cx, &key, name, &path, &script, &workspace_root)
        })();
        match built {
            Ok((base, variants)) => {
                bases.insert(name.clone(), base);
                if claimed.contains(name) {
                    continue;
                }
                for entry in variants {
                    // A name given twice is an error at the section that gives it again.
                    if let Some(first) = named.insert(entry.name.clone(), key.clone()) {
                        let again = if first == key {
                            format!(
                                "[{key}] names two of its tests `{}` (sizes or profiles given twice?)",
                                entry.name
                            )
                        } else {
                            format!(
                                "two tests are called `{}`: one from [{first}], one from [{key}]",
                                entry.name
                            )
                        };
                        errors.push(cx.err(&key, raw.scripts.get(name).map(Spanned::span), again));
                        continue;
                    }
                    let mut entry = entry;
                    // A test of a configuration replays by name, with all it is given here.
                    if let EntryKind::Script(spec) = &mut entry.kind {
                        spec.config = Some(file.to_owned());
                    }
                    tests.push(entry);
                }
            }
            Err(err) => errors.push(err),
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.position);
        let mut errors = errors.into_iter();
        let mut first = errors.next().expect("one error at least");
        first.more.extend(errors);
        return Err(first);
    }
    tests.sort_by(|a, b| a.name.cmp(&b.name));
    let pipelines =
        super::pipelines::build_pipelines(&cx, &raw.pipelines, &bases, &workspace_root)?;
    let report = report_settings(&cx, raw.report.map(Spanned::into_inner))?;
    Ok(Built {
        tests,
        pipelines,
        workspace_root,
        report,
    })
}

/// `[report]`: an `html` path must name a file (not empty, not a directory).
fn report_settings(cx: &Cx<'_>, raw: Option<RawReport>) -> Result<ReportSettings> {
    let Some(html) = raw.and_then(|r| r.html) else {
        return Ok(ReportSettings::default());
    };
    let text = html.get_ref();
    if text.trim().is_empty() || text.ends_with('/') {
        return Err(cx.err(
            "report.html",
            Some(html.span()),
            format!("`{text}` names no file; write the HTML report's path, such as `target/sf-report.html`"),
        ));
    }
    let path = cx.path(text);
    if path.is_dir() {
        return Err(cx.err(
            "report.html",
            Some(html.span()),
            format!("{text} is a directory; `html` names the report's file (for example {}/sf-report.html)", text.trim_end_matches('/')),
        ));
    }
    Ok(ReportSettings { html: Some(path) })
}

/// `path` with its links and `..` resolved, when it exists.
fn canonical(path: &std::path::Path) -> std::path::PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_owned())
}
