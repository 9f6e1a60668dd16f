//! The value expectations of an output or of what a step reads through an edge, and the golden
//! settings of an output, as `sf.toml` writes them.

use std::collections::BTreeMap;
use std::ops::Range;

use super::context::{Cx, Result};
use super::raw::{RawOutput, RawReads, RawRows, RawStrings, RawTolerance};
use crate::checks::{Bounds, Expectations, Golden, JsonExpectation, RowsVsInput};

/// The expectation keys of an output table or a `reads` table.
pub(super) struct RawExpect<'a> {
    not_null: &'a Option<Vec<String>>,
    unique: &'a Option<Vec<String>>,
    values: &'a Option<BTreeMap<String, Vec<toml::Value>>>,
    range: &'a Option<BTreeMap<String, Vec<f64>>>,
    rows: &'a Option<RawRows>,
    sum_to_one: &'a Option<Vec<String>>,
    mean: &'a Option<BTreeMap<String, Vec<f64>>>,
    expr: &'a Option<RawStrings>,
    json: &'a Option<BTreeMap<String, toml::Value>>,
}

impl<'a> From<&'a RawOutput> for RawExpect<'a> {
    fn from(o: &'a RawOutput) -> RawExpect<'a> {
        RawExpect {
            not_null: &o.not_null,
            unique: &o.unique,
            values: &o.values,
            range: &o.range,
            rows: &o.rows,
            sum_to_one: &o.sum_to_one,
            mean: &o.mean,
            expr: &o.expr,
            json: &o.json,
        }
    }
}

impl<'a> From<&'a RawReads> for RawExpect<'a> {
    fn from(o: &'a RawReads) -> RawExpect<'a> {
        RawExpect {
            not_null: &o.not_null,
            unique: &o.unique,
            values: &o.values,
            range: &o.range,
            rows: &o.rows,
            sum_to_one: &o.sum_to_one,
            mean: &o.mean,
            expr: &o.expr,
            json: &o.json,
        }
    }
}

/// The expectations at `key` (an output or a `reads` table). `inputs` are the input channels a
/// `rows` expectation may name, when they are known (an edge's are the upstream step's, known
/// only once the graph is planned; a wrong name fails the run, naming it).
pub(super) fn build_expectations(
    cx: &Cx<'_>,
    key: &str,
    span: Option<Range<usize>>,
    raw: RawExpect<'_>,
    inputs: Option<&[String]>,
) -> Result<Expectations> {
    let err = |k: &str, message: String| cx.err(format!("{key}.{k}"), span.clone(), message);
    let bounds = |k: &str, column: &str, v: &[f64]| -> Result<Bounds> {
        match v {
            [min, max] if min.is_finite() && max.is_finite() && min <= max => Ok(Bounds {
                min: *min,
                max: *max,
            }),
            _ => Err(err(
                &format!("{k}.{column}"),
                "needs two numbers [min, max] with min <= max".to_owned(),
            )),
        }
    };
    let bounds_map =
        |k: &str, m: &Option<BTreeMap<String, Vec<f64>>>| -> Result<BTreeMap<String, Bounds>> {
            m.iter()
                .flatten()
                .map(|(c, v)| Ok((c.clone(), bounds(k, c, v)?)))
                .collect()
        };
    let mut values = BTreeMap::new();
    for (column, allowed) in raw.values.iter().flatten() {
        if allowed.is_empty() {
            return Err(err(
                &format!("values.{column}"),
                "needs at least one allowed value".to_owned(),
            ));
        }
        let mut list = Vec::new();
        for v in allowed {
            match serde_json::to_value(v) {
                Ok(
                    j @ (serde_json::Value::Number(_)
                    | serde_json::Value::String(_)
                    | serde_json::Value::Bool(_)),
                ) => list.push(j),
                _ => {
                    return Err(err(
                        &format!("values.{column}"),
                        format!("{} is not a number, a string or a boolean", v.type_str()),
                    ));
                }
            }
        }
        values.insert(column.clone(), list);
    }
    let rows = match raw.rows {
        None => None,
        Some(RawRows {
            equal_to_input,
            at_most_input,
        }) => {
            let rows = match (equal_to_input, at_most_input) {
                (Some(c), None) => RowsVsInput::EqualToInput(c.clone()),
                (None, Some(c)) => RowsVsInput::AtMostInput(c.clone()),
                _ => {
                    return Err(err(
                        "rows",
                        "give one of `equal_to_input` or `at_most_input`".to_owned(),
                    ));
                }
            };
            let (RowsVsInput::EqualToInput(c) | RowsVsInput::AtMostInput(c)) = &rows;
            if let Some(inputs) = inputs
                && !inputs.contains(c)
            {
                return Err(err(
                    "rows",
                    format!(
                        "no input channel `{c}` to count (inputs: {})",
                        inputs.join(", ")
                    ),
                ));
            }
            Some(rows)
        }
    };
    let sum_to_one = raw.sum_to_one.clone().unwrap_or_default();
    if sum_to_one.len() == 1 {
        return Err(err(
            "sum_to_one",
            "needs at least two columns (one column summing to 1 is a range)".to_owned(),
        ));
    }
    let expr = raw
        .expr
        .as_ref()
        .map(RawStrings::to_vec)
        .unwrap_or_default();
    for (i, text) in expr.iter().enumerate() {
        if let Err(e) = evalexpr::build_operator_tree(text) {
            return Err(err(
                &format!("expr[{i}]"),
                format!("cannot read {text:?}: {e}"),
            ));
        }
    }
    let mut json = BTreeMap::new();
    for (pointer, v) in raw.json.iter().flatten() {
        if !pointer.starts_with('/') {
            return Err(err(
                &format!("json.{pointer:?}"),
                "a JSON pointer starts with `/` (`/auc_roc`, `/metrics/f1`)".to_owned(),
            ));
        }
        let expected = json_expectation(cx, &format!("{key}.json.{pointer:?}"), span.clone(), v)?;
        json.insert(pointer.clone(), expected);
    }
    Ok(Expectations {
        not_null: raw.not_null.clone().unwrap_or_default(),
        unique: raw.unique.clone().unwrap_or_default(),
        values,
        range: bounds_map("range", raw.range)?,
        rows,
        sum_to_one,
        mean: bounds_map("mean", raw.mean)?,
        expr,
        json,
    })
}

/// What a value at a JSON pointer must be, as written at `key`: `[min, max]` for a number within
/// bounds, anything else for that exact value.
pub(super) fn json_expectation(
    cx: &Cx<'_>,
    key: &str,
    span: Option<Range<usize>>,
    v: &toml::Value,
) -> Result<JsonExpectation> {
    match v {
        toml::Value::Array(a) if a.len() == 2 && a.iter().all(is_number) => {
            match a.iter().filter_map(as_f64).collect::<Vec<f64>>()[..] {
                [min, max] if min.is_finite() && max.is_finite() && min <= max => {
                    Ok(JsonExpectation::Range(Bounds { min, max }))
                }
                _ => Err(cx.err(key, span, "needs two numbers [min, max] with min <= max")),
            }
        }
        other => serde_json::to_value(other)
            .map(JsonExpectation::Equals)
            .map_err(|e| cx.err(key, span, format!("cannot be JSON: {e}"))),
    }
}

fn is_number(v: &toml::Value) -> bool {
    matches!(v, toml::Value::Integer(_) | toml::Value::Float(_))
}

fn as_f64(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// The golden settings of the output at `key`, when it asks for a golden copy (or `all`, from
/// `--golden`, asks for every output).
pub(super) fn build_golden(
    cx: &Cx<'_>,
    key: &str,
    span: Option<Range<usize>>,
    o: &RawOutput,
) -> Result<Option<Golden>> {
    let err = |k: &str, message: &str| cx.err(format!("{key}.{k}"), span.clone(), message);
    if o.golden != Some(true) {
        for (k, present) in [
            ("tolerance", o.tolerance.is_some()),
            ("volatile", o.volatile.is_some()),
        ] {
            if present {
                return Err(err(
                    k,
                    &format!("`{k}` belongs to an output with golden = true"),
                ));
            }
        }
        return Ok(None);
    }
    let mut golden = Golden {
        volatile: o.volatile.clone().unwrap_or_default(),
        ..Golden::default()
    };
    let valid = |t: f64| t.is_finite() && t >= 0.0;
    match &o.tolerance {
        None => {}
        Some(RawTolerance::All(t)) if valid(*t) => golden.tolerance = *t,
        Some(RawTolerance::PerColumn(m)) if m.values().all(|t| valid(*t)) => {
            for (column, t) in m {
                if column == "default" {
                    golden.tolerance = *t;
                } else {
                    golden.tolerances.insert(column.clone(), *t);
                }
            }
        }
        Some(_) => {
            return Err(err(
                "tolerance",
                "a tolerance is a number >= 0, or a table of them by column (`default` for the rest)",
            ));
        }
    }
    Ok(Some(golden))
}
