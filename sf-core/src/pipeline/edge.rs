//! An explicit binding of an upstream output to a downstream input, as written in `sf.toml`.

use serde::{Deserialize, Serialize};

/// An explicit binding: `from_step.from_output -> to_step.to_input`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    /// The upstream step.
    pub from_step: String,
    /// Its output channel.
    pub from_output: String,
    /// The downstream step.
    pub to_step: String,
    /// Its input channel.
    pub to_input: String,
}

/// An edge that is not written as `step.output -> step.input`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid edge `{text}`: expected `step.output -> step.input`")]
pub struct EdgeParseError {
    /// The edge as written.
    pub text: String,
}

impl Edge {
    /// Parses `a.processed_data -> b.input_data` (spaces optional). Step names may contain dots;
    /// the channel is what follows the last one.
    pub fn parse(text: &str) -> Result<Edge, EdgeParseError> {
        let bad = || EdgeParseError {
            text: text.to_owned(),
        };
        let (from, to) = text.split_once("->").ok_or_else(bad)?;
        let end = |side: &str| -> Result<(String, String), EdgeParseError> {
            let (step, channel) = side.trim().rsplit_once('.').ok_or_else(bad)?;
            let (step, channel) = (step.trim(), channel.trim());
            let plain = |s: &str| !s.is_empty() && !s.chars().any(char::is_whitespace);
            if !plain(step) || !plain(channel) {
                return Err(bad());
            }
            Ok((step.to_owned(), channel.to_owned()))
        };
        let (from_step, from_output) = end(from)?;
        let (to_step, to_input) = end(to)?;
        Ok(Edge {
            from_step,
            from_output,
            to_step,
            to_input,
        })
    }

    /// `from_step.from_output`.
    pub fn from_label(&self) -> String {
        format!("{}.{}", self.from_step, self.from_output)
    }

    /// `to_step.to_input`.
    pub fn to_label(&self) -> String {
        format!("{}.{}", self.to_step, self.to_input)
    }
}

impl std::fmt::Display for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} -> {}", self.from_label(), self.to_label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::Pipeline;

    #[test]
    fn edges_parse_with_or_without_spaces() {
        let e = Edge::parse("a.processed_data -> b.input_data").unwrap();
        assert_eq!(
            (e.from_step.as_str(), e.from_output.as_str()),
            ("a", "processed_data")
        );
        assert_eq!(
            (e.to_step.as_str(), e.to_input.as_str()),
            ("b", "input_data")
        );
        assert_eq!(Edge::parse("a.x->b.y").unwrap().to_string(), "a.x -> b.y");
        assert_eq!(Edge::parse("v1.2.x -> b.y").unwrap().from_step, "v1.2");
    }

    #[test]
    fn a_malformed_edge_says_the_expected_form() {
        for bad in [
            "a.x b.y",
            "a -> b.y",
            "a.x -> ",
            ".x -> b.y",
            "a.x -> b.y z",
        ] {
            let err = Edge::parse(bad).unwrap_err();
            assert_eq!(err.text, bad);
            assert!(
                err.to_string()
                    .contains("expected `step.output -> step.input`"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    #[should_panic(expected = "invalid edge")]
    fn the_builder_panics_on_a_malformed_edge() {
        let _ = Pipeline::new("p").edge("nonsense");
    }
}
