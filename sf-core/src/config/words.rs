//! What the TOML reader says, in the words of someone writing `sf.toml`: the key it is about,
//! the expected value described (never a Rust type), and the closest key for an unknown one.

/// The dotted key at byte `offset` of `text`: the last `[table]` or `[[array]]` header above it,
/// then the key written on its line (`scripts.x.seed`); `None` when nothing can be told.
pub(super) fn key_at(text: &str, offset: usize) -> Option<String> {
    let before = &text[..offset.min(text.len())];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let line = text[line_start..line_end].trim();
    let header = text[..line_start].lines().rev().find_map(|l| {
        let l = l.trim();
        l.strip_prefix("[[")
            .and_then(|h| h.split("]]").next())
            .or_else(|| l.strip_prefix('[').and_then(|h| h.split(']').next()))
            .map(|h| h.trim().to_owned())
    });
    let key = if line.starts_with('[') {
        None
    } else {
        line.split_once('=')
            .map(|(k, _)| k.trim().trim_matches('"').to_owned())
            .filter(|k| !k.is_empty())
    };
    match (header, key) {
        (Some(h), Some(k)) => Some(format!("{h}.{k}")),
        (None, Some(k)) => Some(k),
        (Some(h), None) if line.starts_with('[') => Some(h),
        _ => None,
    }
}

/// The TOML reader's `message`, reworded.
pub(super) fn reword(message: &str) -> String {
    let message = message.trim_end_matches('\n');
    if let Some(rest) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
        && let Some((found, expected)) = rest.split_once(", expected ")
    {
        return format!(
            "expected {}, found {}",
            describe_expected(expected),
            describe_found(found)
        );
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        if let Some((unknown, expected)) = rest.split_once("`, expected ") {
            let keys: Vec<&str> = expected
                .trim_start_matches("one of ")
                .split(", ")
                .map(|k| k.trim_matches('`'))
                .filter(|k| !k.is_empty())
                .collect();
            return match closest(unknown, &keys) {
                Some(k) => format!("unknown key `{unknown}`: did you mean `{k}`?"),
                None => format!(
                    "unknown key `{unknown}`; the keys here are {}",
                    keys.iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
        }
        if let Some(unknown) = rest.strip_suffix("`, there are no fields") {
            return format!("unknown key `{unknown}`: this table takes no keys");
        }
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        return format!("the key `{}` is missing", rest.trim_end_matches('`'));
    }
    if message.contains("untagged enum RawDuration") {
        return "expected a duration: a number of seconds, or text such as \"90s\", \"2m\", \"500ms\""
            .to_owned();
    }
    if message.contains("untagged enum RawBytes") {
        return "expected a size: text with a unit such as \"512MB\" or \"2GiB\", or a number of MB"
            .to_owned();
    }
    if message.contains("did not match any variant of untagged enum") {
        return "this value has none of the forms this key takes (see the sf.toml reference in the README)"
            .to_owned();
    }
    message.to_owned()
}

/// serde's name of an expected value, in words.
fn describe_expected(expected: &str) -> String {
    match expected.trim() {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number (0 or more)".to_owned(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".to_owned(),
        "f32" | "f64" => "a number".to_owned(),
        "a boolean" => "true or false".to_owned(),
        "a string" | "a borrowed string" => "text in quotes".to_owned(),
        "a sequence" => "a list in brackets, such as [\"a\", \"b\"]".to_owned(),
        "a map" => "a table, such as { key = \"value\" }".to_owned(),
        other if other.starts_with("struct ") => "a table, such as { key = \"value\" }".to_owned(),
        other if other.starts_with("a ") || other.starts_with("an ") => other.to_owned(),
        other => format!("a {other}"),
    }
}

/// serde's description of a found value (`string "x"`, `integer `3``), in words.
fn describe_found(found: &str) -> String {
    let found = found.trim();
    if let Some(s) = found.strip_prefix("string ") {
        return format!("the text {s}");
    }
    for (prefix, word) in [
        ("integer ", "the whole number "),
        ("floating point ", "the number "),
        ("boolean ", ""),
    ] {
        if let Some(v) = found.strip_prefix(prefix) {
            return format!("{word}{}", v.trim_matches('`'));
        }
    }
    match found {
        "sequence" => "a list".to_owned(),
        "map" => "a table".to_owned(),
        other => other.to_owned(),
    }
}

/// The known key closest to `unknown`, when one is close enough to be a typo.
fn closest<'k>(unknown: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(unknown, k), *k))
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_described_in_words() {
        assert_eq!(
            reword("invalid type: string \"forty-two\", expected u64"),
            "expected a whole number (0 or more), found the text \"forty-two\""
        );
        assert_eq!(
            reword("invalid type: integer `3`, expected a string"),
            "expected text in quotes, found the whole number 3"
        );
        assert!(
            !reword("data did not match any variant of untagged enum RawDuration")
                .contains("RawDuration")
        );
    }

    #[test]
    fn an_unknown_key_gets_the_closest_one() {
        assert_eq!(
            reword("unknown field `timout`, expected one of `path`, `timeout`, `seed`"),
            "unknown key `timout`: did you mean `timeout`?"
        );
        assert!(
            reword("unknown field `zzz`, expected one of `path`, `seed`")
                .contains("the keys here are `path`, `seed`")
        );
    }

    #[test]
    fn the_key_comes_from_the_table_header_and_the_line() {
        let text = "[defaults]\ntimeout = 1\n\n[scripts.x]\nseed = \"a\"\n";
        let offset = text.find("\"a\"").unwrap();
        assert_eq!(key_at(text, offset).as_deref(), Some("scripts.x.seed"));
        assert_eq!(key_at("seed = 1", 7).as_deref(), Some("seed"));
    }
}
