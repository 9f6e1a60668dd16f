//! Channel names: each becomes a folder name of a workspace (`inputs/<channel>/`) and part of an
//! environment variable name (`SF_INPUT_<CHANNEL>`), so it must be one plain path component.

/// A channel name that could not be one folder of a workspace.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("channel name `{}` {reason}; use letters, digits, `_`, `-` or `.`", name.escape_debug())]
pub struct InvalidChannelName {
    /// The name as written.
    pub name: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Checks that `name` is one plain path component: not empty, not `.` or `..`, without `/`,
/// `\`, NUL or other control characters.
pub fn check_channel_name(name: &str) -> Result<(), InvalidChannelName> {
    let reason = if name.is_empty() {
        "is empty"
    } else if name == "." || name == ".." {
        "names a directory outside the channel"
    } else if name.contains(['/', '\\']) {
        "contains a path separator"
    } else if name.chars().any(char::is_control) {
        "contains a control character"
    } else {
        return Ok(());
    };
    Err(InvalidChannelName {
        name: name.to_owned(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_and_path_like_ones_do_not() {
        for ok in ["input", "processed_data", "train-1", "v1.2"] {
            assert_eq!(check_channel_name(ok), Ok(()), "{ok}");
        }
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", "a\0b", "a\nb"] {
            assert!(check_channel_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            check_channel_name("../etc").unwrap_err().to_string(),
            "channel name `../etc` contains a path separator; use letters, digits, `_`, `-` or `.`"
        );
    }
}
