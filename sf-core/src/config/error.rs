//! Configuration errors that name the file, the line and the key.

use std::fmt;
use std::path::{Path, PathBuf};

/// A mistake in `sf.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The configuration file.
    pub file: PathBuf,
    /// 1-based line and column of the offending text, when known.
    pub position: Option<(usize, usize)>,
    /// Dotted key path (`scripts.currency_conversion.timeout`), when known.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
    /// Further mistakes found in the same file, in file order (each printed on its own line).
    pub more: Vec<ConfigError>,
}

impl ConfigError {
    pub(crate) fn new(file: &Path, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: file.to_owned(),
            position: None,
            key: None,
            message: message.into(),
            more: Vec::new(),
        }
    }

    pub(crate) fn at(mut self, text: &str, span: Option<std::ops::Range<usize>>) -> ConfigError {
        self.position = span.map(|s| line_col(text, s.start));
        self
    }

    pub(crate) fn key(mut self, key: impl Into<String>) -> ConfigError {
        self.key = Some(key.into());
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some((line, col)) = self.position {
            write!(f, ":{line}:{col}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": `{key}`")?;
        }
        write!(f, ": {}", self.message)?;
        for more in &self.more {
            write!(f, "\n{more}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// 1-based line and column of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        assert_eq!(line_col("a\nbc\nd", 0), (1, 1));
        assert_eq!(line_col("a\nbc\nd", 3), (2, 2));
        assert_eq!(line_col("a\nbc\nd", 5), (3, 1));
    }
}
