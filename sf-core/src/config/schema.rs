//! The `columns` of a generated channel (and its `label`) as a column schema, each column's type
//! and keys checked.

use chrono::NaiveDate;
use toml::Spanned;

use super::context::{Cx, Result};
use super::raw::{RawColumn, RawLabel};
use crate::data::{ColumnKind, ColumnSpec, LabelSpec, Schema};

pub(super) fn build_schema(
    cx: &Cx<'_>,
    key: &str,
    columns: &[Spanned<RawColumn>],
    label: Option<&Spanned<RawLabel>>,
) -> Result<Schema> {
    let mut specs = Vec::new();
    for (i, col) in columns.iter().enumerate() {
        specs.push(build_column(cx, &format!("{key}.columns[{i}]"), col)?);
    }
    let schema = Schema {
        columns: specs,
        label: label.map(|l| {
            let l = l.get_ref();
            LabelSpec {
                name: l.name.clone(),
                weights: l.weights.clone(),
                noise: l.noise,
                threshold: l.threshold,
            }
        }),
    };
    let span = columns.first().map(Spanned::span);
    schema
        .validate()
        .map_err(|e| cx.err(format!("{key}.columns"), span, e.to_string()))?;
    Ok(schema)
}

fn build_column(cx: &Cx<'_>, key: &str, col: &Spanned<RawColumn>) -> Result<ColumnSpec> {
    let c = col.get_ref();
    let span = Some(col.span());
    let bad = |what: &str, message: String| cx.err(format!("{key}.{what}"), span.clone(), message);
    let int = |v: &Option<toml::Value>, what: &str, default: i64| -> Result<i64> {
        match v {
            None => Ok(default),
            Some(toml::Value::Integer(i)) => Ok(*i),
            Some(other) => Err(bad(
                what,
                format!(
                    "`{what}` must be a whole number, not a {}",
                    other.type_str()
                ),
            )),
        }
    };
    let float = |v: &Option<toml::Value>, what: &str| -> Result<Option<f64>> {
        match v {
            None => Ok(None),
            Some(toml::Value::Integer(i)) => Ok(Some(*i as f64)),
            Some(toml::Value::Float(f)) => Ok(Some(*f)),
            Some(other) => Err(bad(
                what,
                format!("`{what}` must be a number, not a {}", other.type_str()),
            )),
        }
    };
    let date = |v: &Option<toml::Value>, what: &str, default: NaiveDate| -> Result<NaiveDate> {
        let text = match v {
            None => return Ok(default),
            Some(toml::Value::String(s)) => s.clone(),
            Some(toml::Value::Datetime(d)) => d.to_string(),
            Some(other) => {
                return Err(bad(
                    what,
                    format!(
                        "`{what}` must be a date like 2024-01-31, not a {}",
                        other.type_str()
                    ),
                ));
            }
        };
        NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
            bad(
                what,
                format!("`{what}` must be a date like 2024-01-31, not `{text}`"),
            )
        })
    };
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("valid constant date");
    // A column with `expr` is derived; `type = "derived"` may say so.
    let type_name = match (&c.kind, &c.expr) {
        (Some(kind), _) => kind.get_ref().as_str(),
        (None, Some(_)) => "derived",
        (None, None) => {
            return Err(bad(
                "type",
                "a column needs a `type` (int, float, uniform, category, bool, date, string, id) or an `expr`".to_owned(),
            ));
        }
    };
    let (kind, allowed): (ColumnKind, &[&str]) = match type_name {
        "derived" => (
            ColumnKind::Derived {
                expr: c
                    .expr
                    .clone()
                    .ok_or_else(|| bad("expr", "a `derived` column needs `expr`".to_owned()))?,
            },
            &["expr"],
        ),
        "int" => (
            ColumnKind::Int {
                min: int(&c.min, "min", 0)?,
                max: int(&c.max, "max", 100)?,
            },
            &["min", "max"],
        ),
        "float" | "normal" => (
            ColumnKind::Normal {
                mean: c.mean.unwrap_or(0.0),
                std: c.std.unwrap_or(1.0),
                min: float(&c.min, "min")?,
                max: float(&c.max, "max")?,
            },
            &["mean", "std", "min", "max"],
        ),
        "uniform" => (
            ColumnKind::Uniform {
                min: float(&c.min, "min")?.unwrap_or(0.0),
                max: float(&c.max, "max")?.unwrap_or(1.0),
            },
            &["min", "max"],
        ),
        "category" => (
            ColumnKind::Category {
                values: c.values.clone().ok_or_else(|| {
                    bad("values", "a `category` column needs `values`".to_owned())
                })?,
                weights: c.weights.clone(),
            },
            &["values", "weights"],
        ),
        "bool" => (
            ColumnKind::Bool {
                p_true: c.p_true.unwrap_or(0.5),
            },
            &["p_true"],
        ),
        "date" => (
            ColumnKind::Date {
                start: date(&c.start, "start", day(2024, 1, 1))?,
                end: date(&c.end, "end", day(2024, 12, 31))?,
                format: c.format.clone().unwrap_or_else(|| "%Y-%m-%d".to_owned()),
            },
            &["start", "end", "format"],
        ),
        "string" => (
            ColumnKind::Pattern {
                pattern: c.pattern.clone().ok_or_else(|| {
                    bad("pattern", "a `string` column needs `pattern`".to_owned())
                })?,
            },
            &["pattern"],
        ),
        "id" => (
            ColumnKind::Id {
                start: int(&c.start, "start", 1)?,
                step: c.step.unwrap_or(1),
                prefix: c.prefix.clone(),
            },
            &["start", "step", "prefix"],
        ),
        other => {
            return Err(cx.err(
                format!("{key}.type"),
                c.kind.as_ref().map(Spanned::span),
                format!("unknown column type `{other}`; expected int, float, uniform, category, bool, date, string, id or derived"),
            ));
        }
    };
    let present = [
        ("min", c.min.is_some()),
        ("max", c.max.is_some()),
        ("mean", c.mean.is_some()),
        ("std", c.std.is_some()),
        ("values", c.values.is_some()),
        ("weights", c.weights.is_some()),
        ("p_true", c.p_true.is_some()),
        ("start", c.start.is_some()),
        ("end", c.end.is_some()),
        ("step", c.step.is_some()),
        ("prefix", c.prefix.is_some()),
        ("format", c.format.is_some()),
        ("pattern", c.pattern.is_some()),
        ("expr", c.expr.is_some()),
    ];
    if let Some((k, _)) = present.iter().find(|(k, p)| *p && !allowed.contains(k)) {
        return Err(bad(
            k,
            format!("`{k}` does not apply to a column of type `{type_name}`"),
        ));
    }
    if c.unique == Some(true)
        && let Some(why) = match type_name {
            "bool" => Some("a bool column holds two values"),
            "derived" => Some("a derived column's values follow from the columns it reads"),
            _ => None,
        }
    {
        return Err(bad(
            "unique",
            format!("`unique` does not apply to a column of type `{type_name}`: {why}"),
        ));
    }
    Ok(ColumnSpec {
        null_rate: c.null_rate,
        edge_values: c.edge_values.unwrap_or(true),
        unique: c.unique.unwrap_or(false),
        ..ColumnSpec::new(c.name.clone(), kind)
    })
}
