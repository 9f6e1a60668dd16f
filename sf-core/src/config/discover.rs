//! Finding scripts: the `[discover]` globs (or the default one) under the configuration's folder,
//! minus the excludes, named by their file stems.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

use toml::Spanned;

use super::DEFAULT_GLOB;
use super::context::{Cx, Result};
use super::raw::RawDiscover;

pub(super) fn discover(
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
