//! What every part of building a configuration needs to report a mistake: the file, its text
//! and the directory paths are relative to.

use std::ops::Range;
use std::path::{Path, PathBuf};

use sf_vocab::Vocabulary;
use toml::Spanned;

use super::error::ConfigError;

/// Context for error reporting: which file, its text, and the directory paths are relative to.
pub(super) struct Cx<'a> {
    pub(super) file: &'a Path,
    pub(super) text: &'a str,
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

    /// `value` as a word of vocabulary `V`; an unknown word is an error at its span that lists
    /// the accepted ones.
    pub(super) fn word<V: Vocabulary>(
        &self,
        key: impl Into<String>,
        value: &Spanned<String>,
    ) -> Result<V> {
        value
            .get_ref()
            .parse::<V>()
            .map_err(|e| self.err(key, Some(value.span()), e.to_string()))
    }

    /// Checks that `pattern` is a valid glob; the error names the key and points at `span`.
    pub(super) fn glob(
        &self,
        key: impl Into<String>,
        span: Range<usize>,
        pattern: &str,
    ) -> Result<()> {
        if crate::checks::glob_leaves_its_directory(pattern) {
            return Err(self.err(
                key,
                Some(span),
                format!("glob `{pattern}` reaches outside the channel; write it relative to the channel, without `..`"),
            ));
        }
        glob::Pattern::new(pattern)
            .map(|_| ())
            .map_err(|e| self.err(key, Some(span), format!("invalid glob `{pattern}`: {e}")))
    }

    /// Checks that the channel `name` (a key under `key`) can be one folder of a workspace.
    pub(super) fn channel(&self, key: &str, span: Range<usize>, name: &str) -> Result<()> {
        sf_vocab::check_channel_name(name).map_err(|e| self.err(key, Some(span), e.to_string()))
    }

    pub(super) fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }
}

pub(super) type Result<T> = std::result::Result<T, ConfigError>;
