//! Checks of the value a script's `main` returned (`returns = { status = "success" }`, or JSON
//! pointers into it), and the return values that read as a failure nobody checks.

use std::collections::BTreeMap;

use serde_json::Value;

use super::expect::{JsonExpectation, json_holds};

/// How much of the returned value a failure message shows.
const SHOWN: usize = 300;

/// The JSON pointer for a `returns` key: a pointer as it is (`/metrics/auc`), any other key a
/// top-level key (`status` → `/status`).
pub fn returns_pointer(key: &str) -> String {
    if key.starts_with('/') {
        key.to_owned()
    } else {
        format!("/{}", key.replace('~', "~0").replace('/', "~1"))
    }
}

/// A pointer as a message names it: `status` for a top-level key, else the pointer.
fn shown_key(pointer: &str) -> String {
    match pointer.strip_prefix('/') {
        Some(key) if !key.contains('/') && !key.contains('~') => key.to_owned(),
        _ => pointer.to_owned(),
    }
}

/// `value` as JSON text, cut to about [`SHOWN`] characters.
pub(crate) fn shown_value(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= SHOWN {
        return text;
    }
    let head: String = text.chars().take(SHOWN).collect();
    format!("{head}…")
}

/// Why the `returns` checks do not hold for what `main` returned (`returned`: `None` when no
/// return value is known), or `None` when they hold (or there are none).
pub(crate) fn failed_returns_check(
    returns: &BTreeMap<String, JsonExpectation>,
    returned: Option<&Value>,
) -> Option<String> {
    if returns.is_empty() {
        return None;
    }
    let Some(value) = returned else {
        return Some(
            "no return value to check: returns needs a python-main script whose main returns \
             (not one run as a command, nor one that ends with sys.exit(0))"
                .to_owned(),
        );
    };
    if value.is_null() {
        let (pointer, expected) = returns.iter().next().expect("not empty");
        return Some(format!(
            "main returned None; returns expects `{}` {}",
            shown_key(pointer),
            expectation(expected)
        ));
    }
    for (pointer, expected) in returns {
        let key = shown_key(pointer);
        let Some(found) = value.pointer(pointer) else {
            let cut = if value.to_string().contains("cut") {
                " (main's return value was cut to fit sf's 8 KiB summary: return the checked \
                 values in a smaller dict, or near its start)"
            } else {
                ""
            };
            return Some(format!(
                "main's return value has no `{key}` (returns expects it {}; main returned {}){cut}",
                expectation(expected),
                shown_value(value)
            ));
        };
        if !json_holds(found, expected) {
            return Some(format!(
                "main returned `{key}` = {}, expected {} (main returned {})",
                shown_value(found),
                expectation(expected),
                shown_value(value)
            ));
        }
    }
    None
}

fn expectation(expected: &JsonExpectation) -> String {
    match expected {
        JsonExpectation::Equals(v) => format!("= {}", shown_value(v)),
        JsonExpectation::Range(b) => format!("in {b}"),
    }
}

/// Words scripts use at a top-level `status`, `state` or `result` key to say they failed.
const FAILED: [&str; 6] = ["error", "failed", "failure", "fail", "exception", "aborted"];

/// The returned value, shown, when it reads as a failure: `{"status": "error", ...}`, or
/// `{"success": false}` / `{"ok": false}`.
pub(crate) fn failure_in(returned: Option<&Value>) -> Option<String> {
    let value = returned?;
    let map = value.as_object()?;
    let says_failed = ["status", "state", "result"].iter().any(|k| {
        map.get(*k)
            .and_then(Value::as_str)
            .is_some_and(|s| FAILED.iter().any(|f| s.trim().eq_ignore_ascii_case(f)))
    }) || ["success", "ok"]
        .iter()
        .any(|k| map.get(*k) == Some(&Value::Bool(false)));
    says_failed.then(|| shown_value(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Bounds;

    fn returns(pairs: &[(&str, JsonExpectation)]) -> BTreeMap<String, JsonExpectation> {
        pairs
            .iter()
            .map(|(k, v)| (returns_pointer(k), v.clone()))
            .collect()
    }

    #[test]
    fn a_returned_error_fails_naming_the_key_the_expected_and_the_actual_value() {
        let checks = returns(&[("status", JsonExpectation::Equals("success".into()))]);
        let value = serde_json::json!({"status": "error", "message": "no rows"});
        assert_eq!(
            failed_returns_check(&checks, Some(&value)).unwrap(),
            "main returned `status` = \"error\", expected = \"success\" (main returned {\"message\":\"no rows\",\"status\":\"error\"})"
        );
        let ok = serde_json::json!({"status": "success"});
        assert_eq!(failed_returns_check(&checks, Some(&ok)), None);
    }

    #[test]
    fn pointers_reach_into_the_value_and_ranges_bound_numbers() {
        let checks = returns(&[(
            "/metrics/auc",
            JsonExpectation::Range(Bounds { min: 0.5, max: 1.0 }),
        )]);
        let good = serde_json::json!({"metrics": {"auc": 0.9}});
        assert_eq!(failed_returns_check(&checks, Some(&good)), None);
        let bad = serde_json::json!({"metrics": {"auc": 0.2}});
        let why = failed_returns_check(&checks, Some(&bad)).unwrap();
        assert!(
            why.starts_with("main returned `/metrics/auc` = 0.2, expected in [0.5, 1]"),
            "{why}"
        );
        let missing = serde_json::json!({"metrics": {}});
        let why = failed_returns_check(&checks, Some(&missing)).unwrap();
        assert!(
            why.starts_with("main's return value has no `/metrics/auc`"),
            "{why}"
        );
    }

    #[test]
    fn none_or_no_value_at_all_fails_a_returns_check_and_nothing_else() {
        let checks = returns(&[("status", JsonExpectation::Equals("success".into()))]);
        let why = failed_returns_check(&checks, Some(&Value::Null)).unwrap();
        assert!(why.starts_with("main returned None"), "{why}");
        let why = failed_returns_check(&checks, None).unwrap();
        assert!(why.starts_with("no return value to check"), "{why}");
        assert_eq!(failed_returns_check(&BTreeMap::new(), None), None);
    }

    #[test]
    fn top_level_keys_with_slashes_or_tildes_are_escaped_as_pointers() {
        assert_eq!(returns_pointer("status"), "/status");
        assert_eq!(returns_pointer("a/b~c"), "/a~1b~0c");
        assert_eq!(returns_pointer("/metrics/auc"), "/metrics/auc");
        let checks = returns(&[("a/b", JsonExpectation::Equals(1.into()))]);
        let value = serde_json::json!({"a/b": 1});
        assert_eq!(failed_returns_check(&checks, Some(&value)), None);
    }

    #[test]
    fn a_returned_failure_is_recognised_by_its_usual_words() {
        for value in [
            serde_json::json!({"status": "error"}),
            serde_json::json!({"status": "FAILED", "rows": 0}),
            serde_json::json!({"success": false}),
        ] {
            assert!(failure_in(Some(&value)).is_some(), "{value}");
        }
        for value in [
            serde_json::json!({"status": "success"}),
            serde_json::json!({"ok": true}),
            serde_json::json!("error"),
            Value::Null,
        ] {
            assert_eq!(failure_in(Some(&value)), None, "{value}");
        }
    }
}
