//! The page through its template: every value autoescaped, the plots (SVG that plotters drew
//! and escaped) inserted as they are.

use std::path::{Path, PathBuf};

use super::page::{HtmlReport, Page};

const TEMPLATE: &str = include_str!("report.html");
const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("script.js");

/// The HTML report could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum HtmlError {
    /// The template failed to render (a defect of sf, not of the results).
    #[error("cannot render the HTML report")]
    Template(#[source] minijinja::Error),
    /// The file could not be written.
    #[error("cannot write the HTML report {}", path.display())]
    Write {
        /// The report's file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The report as one HTML document.
pub fn render_html(report: &HtmlReport<'_>) -> Result<String, HtmlError> {
    let page = Page::build(report);
    let mut env = minijinja::Environment::new();
    // `.html` templates escape every value for HTML; the style and script are sf's own.
    env.add_template("report.html", TEMPLATE)
        .map_err(HtmlError::Template)?;
    let template = env
        .get_template("report.html")
        .map_err(HtmlError::Template)?;
    let context = minijinja::context! {
        style => minijinja::Value::from_safe_string(STYLE.to_owned()),
        script => minijinja::Value::from_safe_string(SCRIPT.to_owned()),
        ..minijinja::Value::from(minijinja::value::Serde(&page))
    };
    template.render(context).map_err(HtmlError::Template)
}

/// Renders the report and writes it to `path` atomically (a reader sees the previous page or
/// this one), creating its directory.
pub fn write_html(path: &Path, report: &HtmlReport<'_>) -> Result<(), HtmlError> {
    let html = render_html(report)?;
    let write = || -> std::io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        crate::atomic::write_atomic(path, html.as_bytes())?;
        // A page is for sharing (a CI artifact, a mail): readable by all, as files are made.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
    };
    write().map_err(|source| HtmlError::Write {
        path: path.to_owned(),
        source,
    })
}
