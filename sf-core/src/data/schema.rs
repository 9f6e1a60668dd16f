//! Column schemas: tables described column by column instead of by a named profile.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::profile::Size;
use super::table::Table;

/// A table described column by column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// The columns, in file order.
    pub columns: Vec<ColumnSpec>,
    /// A binary label column computed from numeric feature columns, appended last.
    pub label: Option<LabelSpec>,
}

/// One column of a [`Schema`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSpec {
    /// Column name.
    pub name: String,
    /// What values it holds.
    pub kind: ColumnKind,
    /// Share of missing values, 0.0–1.0.
    pub null_rate: f64,
}

/// The values of a schema column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ColumnKind {
    /// Whole numbers, uniform in `min..=max`.
    Int {
        /// Smallest value.
        min: i64,
        /// Largest value.
        max: i64,
    },
    /// Normal floats, optionally clipped to `[min, max]`, rounded to six decimals.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
        /// Lower clip.
        min: Option<f64>,
        /// Upper clip.
        max: Option<f64>,
    },
    /// Uniform floats in `[min, max)`, rounded to six decimals.
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// One of `values`, uniformly or by `weights`.
    Category {
        /// The values.
        values: Vec<String>,
        /// Relative weights, one per value.
        weights: Option<Vec<f64>>,
    },
    /// `true` with probability `p_true`.
    Bool {
        /// Probability of `true`.
        p_true: f64,
    },
    /// Dates uniform in `start..=end`, written with `format` (strftime).
    Date {
        /// First date.
        start: NaiveDate,
        /// Last date.
        end: NaiveDate,
        /// strftime format, `%Y-%m-%d` by default.
        format: String,
    },
    /// Strings from a pattern: `#` a digit, `?` an upper-case letter, `*` a letter or digit,
    /// `\\` escapes the next character; anything else is literal (`CUST-#####`).
    Pattern {
        /// The pattern.
        pattern: String,
    },
    /// A sequence `start, start + step, …`, optionally as text with a prefix (`ID-1`, `ID-2`).
    Id {
        /// First value.
        start: i64,
        /// Increment.
        step: i64,
        /// When set, values are text: prefix followed by the number.
        prefix: Option<String>,
    },
}

/// A binary label tied to features: 1 when `Σ weight·feature + noise·N(0,1) > threshold`
/// (missing feature values count as 0), like the `training` profile's target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelSpec {
    /// Column name of the label.
    pub name: String,
    /// Feature column → weight. Features must be numeric columns of the schema.
    pub weights: BTreeMap<String, f64>,
    /// Standard deviation of the noise added before thresholding.
    pub noise: f64,
    /// Threshold.
    pub threshold: f64,
}

/// A schema that cannot generate data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    /// Something about one column is wrong.
    #[error("column `{column}`: {problem}")]
    Column {
        /// The column.
        column: String,
        /// What is wrong.
        problem: String,
    },
    /// The schema as a whole is wrong.
    #[error("{0}")]
    Schema(String),
}

impl Schema {
    /// Rows of a named size for schemas: 100 / 1,000 / 10,000.
    pub fn rows(size: Size) -> usize {
        match size {
            Size::Small => 100,
            Size::Medium => 1_000,
            Size::Large => 10_000,
        }
    }

    /// Checks everything that would make generation fail or surprise: no columns, duplicate
    /// names, `min > max`, a null rate outside 0–1, an empty category list, weights that do not
    /// match the values, a label tied to a missing or non-numeric column, a label whose name
    /// clashes with a column.
    pub fn validate(&self) -> Result<(), SchemaError> {
        Err(SchemaError::Schema(
            "schemas are not supported yet".to_owned(),
        ))
    }

    /// Generates `rows` rows; the same `(rows, seed)` always gives the same table.
    pub fn generate(&self, rows: usize, seed: u64) -> Table {
        let _ = (rows, seed);
        Table::new()
    }
}
