//! Text a script produced (names, messages, logs, file contents), made visible before the
//! template escapes it: ANSI escape sequences removed, control characters and characters that
//! hide or reorder text shown as what they are. Escaping for HTML is the template's.

/// `text` with ANSI escape sequences removed, C0 controls (but newline and tab) as their
/// control pictures (NUL as `␀`), DEL as `␡`, and invisible or bidirectional formatting
/// characters as `⟨U+202E⟩`.
pub(crate) fn visible(text: &str) -> String {
    let stripped = strip_escapes(text);
    let mut out = String::with_capacity(stripped.len());
    for c in stripped.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            '\u{0}'..='\u{1f}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('?')),
            '\u{7f}' => out.push('␡'),
            c if hides(c) => out.push_str(&format!("⟨U+{:04X}⟩", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// `text` without ANSI escape sequences: CSI (`ESC [ … final`), OSC (`ESC ] … BEL` or
/// `ESC \\`) and two-character escapes. A lone ESC stays, to be shown as `␛`.
fn strip_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some('[') => {
                chars.next();
                // Parameters and intermediates, up to the final byte (@ to ~).
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                chars.next();
                while let Some(c) = chars.next() {
                    if c == '\u{7}' {
                        break;
                    }
                    if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                        chars.next();
                        break;
                    }
                }
            }
            Some(c) if ('@'..='_').contains(&c) => {
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// Zero-width, bidirectional and other formatting characters a reader cannot see.
fn hides(c: char) -> bool {
    matches!(c,
        '\u{80}'..='\u{9f}'
        | '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}')
}

/// [`visible`], at most `max` characters (then `…`), on one line.
pub(crate) fn short(text: &str, max: usize) -> String {
    let one_line = visible(text).replace(['\n', '\t'], " ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The last `lines` lines of `text`.
pub(crate) fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// One cell of a dataset table: its text made visible and what kind of value it is, so empty
/// strings, NaN, whitespace, unicode and undecodable bytes stand out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Cell {
    pub(crate) text: String,
    /// `empty`, `blank`, `special`, `invalid`, `unicode` or empty for an ordinary value.
    pub(crate) class: &'static str,
    /// The code points of a value with non-ASCII characters.
    pub(crate) title: Option<String>,
}

impl Cell {
    pub(crate) fn of(raw: &str) -> Cell {
        let plain = |text: String, class| Cell {
            text,
            class,
            title: None,
        };
        if raw.is_empty() {
            return plain("(empty)".to_owned(), "empty");
        }
        if raw.chars().all(char::is_whitespace) {
            let shown = raw
                .chars()
                .map(|c| match c {
                    ' ' => "␠".to_owned(),
                    '\t' => "␉".to_owned(),
                    '\n' => "␤".to_owned(),
                    c => format!("⟨U+{:04X}⟩", c as u32),
                })
                .collect();
            return plain(shown, "blank");
        }
        let lower = raw.trim().to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "nan" | "-nan" | "inf" | "+inf" | "-inf" | "infinity" | "-infinity" | "null" | "none"
        ) {
            return plain(visible(raw), "special");
        }
        let text = short(raw, 60);
        if raw.contains('\u{fffd}') {
            return plain(text, "invalid");
        }
        if !raw.is_ascii() {
            let title = raw
                .chars()
                .filter(|c| !c.is_ascii())
                .take(12)
                .map(|c| format!("U+{:04X}", c as u32))
                .collect::<Vec<_>>()
                .join(" ");
            return Cell {
                text,
                class: "unicode",
                title: Some(title),
            };
        }
        plain(text, "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_escape_sequences_become_visible_or_go() {
        assert_eq!(visible("a\0b\x1b[31mred\x1b[0m\x07"), "a␀bred␇");
        assert_eq!(visible("line\nnext\ttab"), "line\nnext\ttab");
        assert_eq!(visible("abc\u{202e}def"), "abc⟨U+202E⟩def");
        assert_eq!(visible("\x1b]0;title\x07ok \x1b"), "ok ␛");
    }

    #[test]
    fn cells_say_what_kind_of_odd_value_they_hold() {
        assert_eq!(Cell::of("").class, "empty");
        assert_eq!(Cell::of("  ").text, "␠␠");
        assert_eq!(Cell::of("NaN").class, "special");
        assert_eq!(Cell::of("-inf").class, "special");
        assert_eq!(Cell::of("caf\u{e9}").class, "unicode");
        assert_eq!(Cell::of("caf\u{e9}").title.as_deref(), Some("U+00E9"));
        assert_eq!(Cell::of("\u{fffd}x").class, "invalid");
        assert_eq!(Cell::of("12.5").class, "");
    }
}
