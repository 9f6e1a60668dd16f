//! The HTML report: one self-contained page per run (inline CSS, inline SVG plots, a little
//! inline JavaScript for filters; no network, no external file), for the people who read a
//! suite's outcome rather than parse it.

mod dataset;
mod page;
mod plots;
mod render;
mod visible;

#[cfg(test)]
mod tests;

pub use page::HtmlReport;
pub use render::{HtmlError, render_html, write_html};
