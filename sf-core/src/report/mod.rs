//! Reports: every renderer, for people and for machines, reading typed results: a script's
//! result, a suite, a pipeline, a property run (text, JSON, JUnit, Mermaid, DOT, HTML).

pub mod html;
mod json;
mod junit;
pub mod pipeline;
mod property;
mod suite;
mod text;

pub use html::{HtmlError, HtmlReport, render_html, write_html};
pub use json::render_json;
pub use junit::{NamedResult, render_junit};
pub use property::{pipeline_property_summary, property_summary};
pub use suite::{failure_message, failure_text};
pub(crate) use text::{paint, status_style};
pub use text::{render_listing, render_summary, render_text};
