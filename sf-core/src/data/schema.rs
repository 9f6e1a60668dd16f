//! Column schemas: tables described column by column instead of by a named profile.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::format::{Item, StrftimeItems};
use chrono::{Days, NaiveDate};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use super::profile::Size;
use super::table::{Column, Table};

/// A table described column by column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// The columns, in file order.
    pub columns: Vec<ColumnSpec>,
    /// A binary label column computed from numeric feature columns, appended last.
    pub label: Option<LabelSpec>,
}

/// One column of a [`Schema`].
///
/// Build one with [`ColumnSpec::new`] and struct update syntax, so that settings added later
/// keep their defaults:
///
/// ```
/// use sf_core::data::{ColumnKind, ColumnSpec};
///
/// let age = ColumnSpec {
///     null_rate: 0.05,
///     unique: true,
///     ..ColumnSpec::new("age", ColumnKind::Int { min: 18, max: 90 })
/// };
/// assert!(age.edge_values);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSpec {
    /// Column name.
    pub name: String,
    /// What values it holds.
    pub kind: ColumnKind,
    /// Share of missing values, 0.0–1.0. Property cases hold missing values (and NaN, and the
    /// whole column missing) only in a column whose rate is above 0, unless its contract is
    /// [`Contract::Loose`].
    pub null_rate: f64,
    /// Whether property cases draw edge values for this column (true by default): within its
    /// settings for a [`Contract::Declared`] column, beyond them for a [`Contract::Loose`] one.
    /// `false` gives ordinary values only (and missing values at the null rate).
    #[serde(default = "yes")]
    pub edge_values: bool,
    /// No two rows hold the same value, in seeded tables and property cases alike (missing
    /// values do not count, as in SQL). A value drawn twice is replaced by the next unused one
    /// in the column's order (the next number, date, category or pattern string), so tables
    /// stay deterministic and shrink to unique tables. [`Schema::validate`] refuses it where it
    /// cannot hold whatever the row count (`bool`, `derived`, `other_than`), and
    /// [`Schema::check_rows`] where the column has fewer distinct values than rows.
    #[serde(default)]
    pub unique: bool,
    /// How far property cases may go beyond the column's settings.
    #[serde(default)]
    pub contract: Contract,
}

fn yes() -> bool {
    true
}

/// What a column's settings promise to property cases.
///
/// A user's schema declares facts (bounds, categories, a pattern, a date range, whether values
/// may be missing): every generated case keeps them, because a case no real upstream could
/// produce finds bugs that are not there and hides those that are. A preset profile declares
/// only names and types, so its columns are loose: their edge values are what any upstream
/// might send (NaN, ±inf, 1e300, unicode, empty strings, unseen categories, missing values).
/// Either way ids stay unique sequences, labels 0 or 1 and derived columns computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Contract {
    /// The settings are facts every case keeps; edge values stay within them (the bounds
    /// themselves, 0 when inside the range, the start and end dates, …). The default.
    #[default]
    Declared,
    /// Only the name and the type are promised: edge values step outside the settings, and
    /// values go missing whatever the null rate. The columns of [`Schema::preset`].
    Loose,
}

impl ColumnSpec {
    /// A column of `kind` with no missing values, edge values on, not unique, declared.
    pub fn new(name: impl Into<String>, kind: ColumnKind) -> ColumnSpec {
        ColumnSpec {
            name: name.into(),
            kind,
            null_rate: 0.0,
            edge_values: true,
            unique: false,
            contract: Contract::Declared,
        }
    }
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
    /// Numbers uniform in `[min, max]` with `decimals` decimal places (at most 6): money is
    /// `decimals = 2`.
    Decimal {
        /// Smallest value.
        min: f64,
        /// Largest value.
        max: f64,
        /// Decimal places.
        decimals: u32,
    },
    /// One of `values`, uniformly or by `weights`.
    Category {
        /// The values.
        values: Vec<String>,
        /// Relative weights, one per value.
        weights: Option<Vec<f64>>,
    },
    /// One of the values of the earlier category column `column`, never the one that column
    /// holds in the same row (a `to_currency` beside a `from_currency`), uniformly among the
    /// others; any of its values where that column is missing.
    OtherThan {
        /// The category column this one differs from.
        column: String,
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
    /// A number computed, row by row, from earlier numeric columns of the schema by `expr`
    /// (`1 - prob_class_1`, `amount * rate`, `max(a, b)`; evalexpr syntax): missing where a
    /// column it reads is missing or the result is not a finite number, rounded to six decimals.
    /// Property runs keep it too: it always agrees with its columns.
    Derived {
        /// The expression over earlier columns' names.
        expr: String,
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
    /// Feature column → weight. Features must be numeric columns of the schema: `int`, `normal`,
    /// `uniform`, `bool` (true counts as 1) or an `id` without a prefix.
    pub weights: BTreeMap<String, f64>,
    /// Standard deviation of the noise added before thresholding.
    pub noise: f64,
    /// Threshold.
    pub threshold: f64,
}

/// A schema that cannot generate data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    /// There is nothing to generate.
    #[error("schema has no columns")]
    NoColumns,
    /// Something about one column (or the label) is wrong.
    #[error("column `{column}`: {problem}")]
    Column {
        /// The column (or label, or label feature).
        column: String,
        /// What is wrong with it.
        problem: ColumnProblem,
    },
}

/// What is wrong with one column of a schema, or with its label.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ColumnProblem {
    /// The column has no name.
    #[error("column name is empty")]
    EmptyName,
    /// Another column has the same name.
    #[error("duplicate column name")]
    DuplicateName,
    /// The share of missing values is not a probability.
    #[error("null rate {0} is outside 0–1")]
    NullRate(f64),
    /// A setting is NaN or infinite.
    #[error("{what} {value} is not finite")]
    NotFinite {
        /// The setting (`mean`, `min`, ...).
        what: &'static str,
        /// Its value.
        value: f64,
    },
    /// An integer range is inverted.
    #[error("min {min} is greater than max {max}")]
    IntRangeInverted {
        /// Lower bound.
        min: i64,
        /// Upper bound.
        max: i64,
    },
    /// A float range is inverted.
    #[error("min {min} is greater than max {max}")]
    RangeInverted {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// A float range whose width overflows.
    #[error("range {min}..{max} is too wide")]
    RangeTooWide {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// More decimal places than generated values are written with.
    #[error("{0} decimals is more than 6")]
    TooManyDecimals(u32),
    /// A standard deviation below zero.
    #[error("standard deviation {0} is negative")]
    NegativeStd(f64),
    /// A category column without values.
    #[error("category has no values")]
    NoCategories,
    /// Category weights that do not pair up with the values.
    #[error("{weights} weights for {values} values")]
    WeightCount {
        /// Number of weights.
        weights: usize,
        /// Number of values.
        values: usize,
    },
    /// A negative or non-finite category weight.
    #[error("weight {0} is not a finite, non-negative number")]
    BadWeight(f64),
    /// Category weights that add up to nothing (or to infinity).
    #[error("weights must add up to a positive, finite total")]
    WeightTotal,
    /// `other_than` names a column that does not come before it.
    #[error("`{0}` is not an earlier column of the schema")]
    OtherThanUnknown(String),
    /// `other_than` names a column that is not a category.
    #[error("`{0}` is not a category column")]
    OtherThanNotCategory(String),
    /// `other_than` names a category with no second value to choose.
    #[error("`{0}` has fewer than two distinct values to choose another from")]
    OtherThanTooFew(String),
    /// A derived column's expression does not parse or gives no number.
    #[error("expr is not a numeric expression: {0}")]
    DerivedExpr(String),
    /// A derived column reads a column that is not an earlier one.
    #[error("expr reads `{0}`, which is not a column before this one")]
    DerivedUnknown(String),
    /// A derived column reads a column that is not numeric.
    #[error("expr reads `{0}`, which is not numeric")]
    DerivedNotNumeric(String),
    /// `unique` on a column whose values cannot be chosen apart.
    #[error("unique does not apply to a `{kind}` column: {why}")]
    UniqueNotApplicable {
        /// The column's type.
        kind: &'static str,
        /// Why uniqueness cannot hold.
        why: &'static str,
    },
    /// A unique column with fewer distinct values than the table has rows.
    #[error("unique needs {rows} distinct values, but the column has only {distinct}")]
    UniqueTooFew {
        /// Rows of the table.
        rows: usize,
        /// Distinct values the column can hold.
        distinct: u128,
    },
    /// A derived column that reads no column is a constant.
    #[error("expr reads no column (a constant is not a derived column)")]
    DerivedReadsNothing,
    /// A `p_true` that is not a probability.
    #[error("p_true {0} is outside 0–1")]
    Probability(f64),
    /// A date range that ends before it starts.
    #[error("start {start} is after end {end}")]
    DatesInverted {
        /// First date.
        start: NaiveDate,
        /// Last date.
        end: NaiveDate,
    },
    /// A date format chrono cannot read.
    #[error("date format `{0}` is not a valid strftime format")]
    DateFormat(String),
    /// A date format with time or time-zone fields, which a date cannot fill.
    #[error("date format `{0}` asks for more than a date")]
    DateFormatNeedsTime(String),
    /// A pattern whose last character escapes nothing.
    #[error("pattern `{0}` ends with a lone `\\`")]
    LoneEscape(String),
    /// The label has no name.
    #[error("label name is empty")]
    EmptyLabelName,
    /// The label has a column's name.
    #[error("label name clashes with a column of the schema")]
    LabelNameClash,
    /// Label noise that is negative or not finite.
    #[error("label noise {0} is not a finite, non-negative number")]
    LabelNoise(f64),
    /// A label threshold that is not finite.
    #[error("label threshold {0} is not finite")]
    LabelThreshold(f64),
    /// The label weighs a column the schema does not have.
    #[error("label `{label}` uses it as a feature but no such column exists")]
    NoSuchFeature {
        /// The label.
        label: String,
    },
    /// The label weighs a column that holds no numbers.
    #[error("label `{label}` uses it as a feature but it is not numeric")]
    FeatureNotNumeric {
        /// The label.
        label: String,
    },
    /// The label gives a feature a NaN or infinite weight.
    #[error("label `{label}` gives it weight {weight}, which is not finite")]
    FeatureWeight {
        /// The label.
        label: String,
        /// The weight.
        weight: f64,
    },
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
    /// clashes with a column. Also rejected: non-finite numbers, a negative standard deviation,
    /// negative or all-zero weights, a `p_true` outside 0–1, a date format that cannot print a
    /// date, and a pattern ending in a lone `\`.
    pub fn validate(&self) -> Result<(), SchemaError> {
        if self.columns.is_empty() {
            return Err(SchemaError::NoColumns);
        }
        let mut seen = BTreeMap::new();
        for (i, column) in self.columns.iter().enumerate() {
            let problem = |problem: ColumnProblem| SchemaError::Column {
                column: column.name.clone(),
                problem,
            };
            if column.name.is_empty() {
                return Err(problem(ColumnProblem::EmptyName));
            }
            if seen.insert(column.name.as_str(), ()).is_some() {
                return Err(problem(ColumnProblem::DuplicateName));
            }
            if !(0.0..=1.0).contains(&column.null_rate) {
                return Err(problem(ColumnProblem::NullRate(column.null_rate)));
            }
            column.kind.validate().map_err(problem)?;
            if column.unique {
                column.kind.validate_unique().map_err(problem)?;
            }
            if let ColumnKind::OtherThan { column: other } = &column.kind {
                self.validate_other_than(other, i).map_err(problem)?;
            }
            if let ColumnKind::Derived { expr } = &column.kind {
                self.validate_derived(expr, i).map_err(problem)?;
            }
        }
        if let Some(label) = &self.label {
            self.validate_label(label)?;
        }
        Ok(())
    }

    /// Checks that every `unique` column has at least `rows` distinct values (see
    /// [`ColumnSpec::unique`]): an `int` has `max - min + 1`, a `decimal` its values at its
    /// precision, `uniform` and `normal` their six-decimal values, a `category` its values
    /// (those of weight 0 left out), a `date` the distinct texts its format writes, a `string`
    /// the strings its pattern spells, an `id` its steps before `i64` runs out.
    pub fn check_rows(&self, rows: usize) -> Result<(), SchemaError> {
        for column in self.columns.iter().filter(|c| c.unique) {
            let distinct = super::unique::distinct_values(&column.kind, rows);
            if distinct < rows as u128 {
                return Err(SchemaError::Column {
                    column: column.name.clone(),
                    problem: ColumnProblem::UniqueTooFew { rows, distinct },
                });
            }
        }
        Ok(())
    }

    /// `other` must be a category column before column `index`, with a second value to choose.
    fn validate_other_than(&self, other: &str, index: usize) -> Result<(), ColumnProblem> {
        let Some(spec) = self.columns[..index].iter().find(|c| c.name == other) else {
            return Err(ColumnProblem::OtherThanUnknown(other.to_owned()));
        };
        let ColumnKind::Category { values, .. } = &spec.kind else {
            return Err(ColumnProblem::OtherThanNotCategory(other.to_owned()));
        };
        if values.iter().all(|v| *v == values[0]) {
            return Err(ColumnProblem::OtherThanTooFew(other.to_owned()));
        }
        Ok(())
    }

    /// `expr` must parse and read only numeric columns before column `index`.
    fn validate_derived(&self, expr: &str, index: usize) -> Result<(), ColumnProblem> {
        let tree = parse_expr(expr)?;
        let mut reads = 0;
        for name in tree.iter_variable_identifiers() {
            reads += 1;
            let Some(spec) = self.columns[..index].iter().find(|c| c.name == name) else {
                return Err(ColumnProblem::DerivedUnknown(name.to_owned()));
            };
            if !spec.kind.is_numeric() {
                return Err(ColumnProblem::DerivedNotNumeric(name.to_owned()));
            }
        }
        if reads == 0 {
            return Err(ColumnProblem::DerivedReadsNothing);
        }
        // Tried once with every input at 1: an expression that gives no number (a comparison,
        // text, an unknown function) would make a column of nothing.
        use evalexpr::{ContextWithMutableVariables, HashMapContext, Value};
        let mut context = HashMapContext::new();
        for name in tree.iter_variable_identifiers() {
            let _ = context.set_value(name.to_owned(), Value::Float(1.0));
        }
        match tree.eval_with_context(&context) {
            Ok(v) if v.as_number().is_ok() => Ok(()),
            Ok(v) => Err(ColumnProblem::DerivedExpr(format!(
                "it gives {v}, not a number"
            ))),
            Err(err) => Err(ColumnProblem::DerivedExpr(err.to_string())),
        }
    }

    /// The values an `other_than` column draws from: those of the category column it names.
    fn categories_of(&self, column: &str) -> &[String] {
        match self
            .columns
            .iter()
            .find(|c| c.name == column)
            .map(|c| &c.kind)
        {
            Some(ColumnKind::Category { values, .. }) => values,
            _ => &[],
        }
    }

    fn validate_label(&self, label: &LabelSpec) -> Result<(), SchemaError> {
        let problem = |column: &str, problem: ColumnProblem| SchemaError::Column {
            column: column.to_owned(),
            problem,
        };
        if label.name.is_empty() {
            return Err(problem("", ColumnProblem::EmptyLabelName));
        }
        if self.columns.iter().any(|c| c.name == label.name) {
            return Err(problem(&label.name, ColumnProblem::LabelNameClash));
        }
        if !label.noise.is_finite() || label.noise < 0.0 {
            return Err(problem(&label.name, ColumnProblem::LabelNoise(label.noise)));
        }
        if !label.threshold.is_finite() {
            return Err(problem(
                &label.name,
                ColumnProblem::LabelThreshold(label.threshold),
            ));
        }
        let named = |label: &LabelSpec| label.name.clone();
        for (feature, weight) in &label.weights {
            let Some(spec) = self.columns.iter().find(|c| &c.name == feature) else {
                return Err(problem(
                    feature,
                    ColumnProblem::NoSuchFeature {
                        label: named(label),
                    },
                ));
            };
            if !spec.kind.is_numeric() {
                return Err(problem(
                    feature,
                    ColumnProblem::FeatureNotNumeric {
                        label: named(label),
                    },
                ));
            }
            if !weight.is_finite() {
                return Err(problem(
                    feature,
                    ColumnProblem::FeatureWeight {
                        label: named(label),
                        weight: *weight,
                    },
                ));
            }
        }
        Ok(())
    }

    /// Generates `rows` rows; the same `(rows, seed)` always gives the same table.
    ///
    /// Every column draws from its own ChaCha stream of `seed` (and its missing values from
    /// another), so changing one column's settings or adding a column at the end leaves the other
    /// columns' values as they were. Call [`Schema::validate`] first: an invalid schema gives
    /// unspecified (but not panicking) values.
    pub fn generate(&self, rows: usize, seed: u64) -> Table {
        let mut table = Table::new();
        for (i, spec) in self.columns.iter().enumerate() {
            let stream = 2 * i as u64;
            let mut rng = stream_rng(seed, stream);
            let mut column = match &spec.kind {
                ColumnKind::OtherThan { column } => {
                    let of = match table.column(column) {
                        Some(Column::Text(v)) => v.as_slice(),
                        _ => &[],
                    };
                    other_than(self.categories_of(column), of, rows, &mut rng)
                }
                ColumnKind::Derived { expr } => derived(expr, &table, rows),
                kind => kind.generate(rows, &mut rng),
            };
            if spec.null_rate > 0.0 {
                let mut rng = stream_rng(seed, stream + 1);
                let missing: Vec<bool> = (0..rows)
                    .map(|_| rng.random::<f64>() < spec.null_rate)
                    .collect();
                blank(&mut column, &missing);
            }
            if spec.unique {
                super::unique::make_unique(&spec.kind, &mut column);
            }
            table.push(spec.name.clone(), column);
        }
        if let Some(label) = &self.label {
            let mut rng = stream_rng(seed, 2 * self.columns.len() as u64);
            let column = label_column(label, &table, rows, &mut rng);
            table.push(label.name.clone(), column);
        }
        table
    }
}

/// `expr` as an operator tree.
fn parse_expr(expr: &str) -> Result<evalexpr::Node, ColumnProblem> {
    evalexpr::build_operator_tree(expr).map_err(|err| ColumnProblem::DerivedExpr(err.to_string()))
}

/// The values of a derived column over the columns of `table` generated so far: missing where
/// a column it reads is missing, or the result is not a finite number.
pub(crate) fn derived(expr: &str, table: &Table, rows: usize) -> Column {
    use evalexpr::{ContextWithMutableVariables, HashMapContext, Value};
    let Ok(tree) = parse_expr(expr) else {
        return Column::Float(vec![None; rows]);
    };
    let inputs: Vec<(String, Option<&Column>)> = tree
        .iter_variable_identifiers()
        .map(|name| (name.to_owned(), table.column(name)))
        .collect();
    let value_at = |column: Option<&Column>, row: usize| -> Option<f64> {
        match column? {
            Column::Int(v) => v.get(row).copied().flatten().map(|x| x as f64),
            Column::Float(v) => v.get(row).copied().flatten(),
            Column::Bool(v) => v
                .get(row)
                .copied()
                .flatten()
                .map(|b| f64::from(u8::from(b))),
            Column::Text(_) => None,
        }
    };
    Column::Float(
        (0..rows)
            .map(|row| {
                let mut context = HashMapContext::new();
                for (name, column) in &inputs {
                    context
                        .set_value(name.clone(), Value::Float(value_at(*column, row)?))
                        .ok()?;
                }
                let x = tree.eval_with_context(&context).ok()?.as_number().ok()?;
                x.is_finite().then(|| round6(x))
            })
            .collect(),
    )
}

/// A generator for one column's stream: `seed` as in the profiles, then the stream number.
fn stream_rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Rounds to six decimals so files stay readable and compact; the shortest round-trip text of the
/// rounded value is what gets written.
pub(crate) fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// `x` (drawn in `[min, max)`) rounded to six decimals. Rounding (or float error) may reach the
/// open upper bound; the unrounded value, or failing that `min`, keeps the promised `[min, max)`.
pub(crate) fn uniform_value(x: f64, min: f64, max: f64) -> f64 {
    let rounded = round6(x);
    if rounded >= min && rounded < max {
        rounded
    } else if x >= min && x < max {
        x
    } else {
        min
    }
}

/// `x` rounded to `decimals` places and kept in `[min, max]` (which must be ordered).
pub(crate) fn decimal(x: f64, min: f64, max: f64, decimals: u32) -> f64 {
    let scale = 10_f64.powi(decimals.min(6) as i32);
    ((x * scale).round() / scale).clamp(min, max)
}

/// For each row, a value of `values` other than the one `of` holds in that row (any value where
/// `of` is missing or holds something else). Missing values when there is nothing to choose.
fn other_than(
    values: &[String],
    of: &[Option<String>],
    rows: usize,
    rng: &mut ChaCha8Rng,
) -> Column {
    let n = values.len();
    Column::Text(
        (0..rows)
            .map(|row| {
                let taken = of
                    .get(row)
                    .and_then(Option::as_deref)
                    .and_then(|v| values.iter().position(|x| x == v));
                let pick = match taken {
                    Some(t) if n > 1 => {
                        let k = rng.random_range(0..n - 1);
                        if k >= t { k + 1 } else { k }
                    }
                    _ if n > 0 => rng.random_range(0..n),
                    _ => return None,
                };
                Some(values[pick].clone())
            })
            .collect(),
    )
}

/// Sets the values flagged in `missing` to `None`.
fn blank(column: &mut Column, missing: &[bool]) {
    fn apply<T>(values: &mut [Option<T>], missing: &[bool]) {
        for (value, &gone) in values.iter_mut().zip(missing) {
            if gone {
                *value = None;
            }
        }
    }
    match column {
        Column::Int(v) => apply(v, missing),
        Column::Float(v) => apply(v, missing),
        Column::Text(v) => apply(v, missing),
        Column::Bool(v) => apply(v, missing),
    }
}

fn label_column(label: &LabelSpec, table: &Table, rows: usize, rng: &mut ChaCha8Rng) -> Column {
    let mut score = vec![0.0_f64; rows];
    for (feature, &weight) in &label.weights {
        let Some(column) = table.column(feature) else {
            continue;
        };
        // Missing feature values add nothing, as documented on `LabelSpec`.
        match column {
            Column::Int(v) => add_scaled(&mut score, v, weight, |x| x as f64),
            Column::Float(v) => add_scaled(&mut score, v, weight, |x| x),
            Column::Bool(v) => add_scaled(&mut score, v, weight, |x| f64::from(u8::from(x))),
            Column::Text(_) => {}
        }
    }
    Column::Int(
        score
            .into_iter()
            .map(|s| {
                let noise: f64 = StandardNormal.sample(rng);
                Some(i64::from(s + label.noise * noise > label.threshold))
            })
            .collect(),
    )
}

fn add_scaled<T: Copy>(
    score: &mut [f64],
    values: &[Option<T>],
    weight: f64,
    num: impl Fn(T) -> f64,
) {
    for (s, v) in score.iter_mut().zip(values) {
        if let Some(x) = v {
            *s += weight * num(*x);
        }
    }
}

/// One step of a parsed [`ColumnKind::Pattern`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum PatternPart {
    Digit,
    Upper,
    Alphanumeric,
    Literal(char),
}

pub(crate) fn parse_pattern(pattern: &str) -> Result<Vec<PatternPart>, ColumnProblem> {
    let mut parts = Vec::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        parts.push(match c {
            '#' => PatternPart::Digit,
            '?' => PatternPart::Upper,
            '*' => PatternPart::Alphanumeric,
            '\\' => match chars.next() {
                Some(escaped) => PatternPart::Literal(escaped),
                None => return Err(ColumnProblem::LoneEscape(pattern.to_owned())),
            },
            other => PatternPart::Literal(other),
        });
    }
    Ok(parts)
}

pub(crate) const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
pub(crate) const ALPHANUMERIC: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

pub(crate) fn checked_date_format(format: &str) -> Result<Vec<Item<'_>>, ColumnProblem> {
    let items = StrftimeItems::new(format)
        .parse()
        .map_err(|_| ColumnProblem::DateFormat(format.to_owned()))?;
    // Time and time-zone fields parse fine but cannot print a bare date.
    let probe = NaiveDate::MIN.format_with_items(items.iter());
    let mut out = String::new();
    write!(out, "{probe}").map_err(|_| ColumnProblem::DateFormatNeedsTime(format.to_owned()))?;
    Ok(items)
}

impl ColumnKind {
    /// Whether a label may use the column as a feature: numbers, booleans (as 0 / 1) and
    /// numeric ids.
    fn is_numeric(&self) -> bool {
        match self {
            ColumnKind::Int { .. }
            | ColumnKind::Normal { .. }
            | ColumnKind::Uniform { .. }
            | ColumnKind::Decimal { .. }
            | ColumnKind::Derived { .. }
            | ColumnKind::Bool { .. } => true,
            ColumnKind::Id { prefix, .. } => prefix.is_none(),
            ColumnKind::Category { .. }
            | ColumnKind::OtherThan { .. }
            | ColumnKind::Date { .. }
            | ColumnKind::Pattern { .. } => false,
        }
    }

    /// Kinds whose values cannot be chosen apart refuse `unique`, whatever the row count.
    fn validate_unique(&self) -> Result<(), ColumnProblem> {
        let (kind, why) = match self {
            ColumnKind::Bool { .. } => ("bool", "it holds two values"),
            ColumnKind::Derived { .. } => ("derived", "its values follow from other columns"),
            ColumnKind::OtherThan { .. } => (
                "other_than",
                "its values follow from the column it differs from",
            ),
            _ => return Ok(()),
        };
        Err(ColumnProblem::UniqueNotApplicable { kind, why })
    }

    fn validate(&self) -> Result<(), ColumnProblem> {
        let finite = |what: &'static str, value: f64| {
            if value.is_finite() {
                Ok(())
            } else {
                Err(ColumnProblem::NotFinite { what, value })
            }
        };
        match self {
            ColumnKind::Int { min, max } => {
                if min > max {
                    return Err(ColumnProblem::IntRangeInverted {
                        min: *min,
                        max: *max,
                    });
                }
            }
            ColumnKind::Normal {
                mean,
                std,
                min,
                max,
            } => {
                finite("mean", *mean)?;
                finite("standard deviation", *std)?;
                if *std < 0.0 {
                    return Err(ColumnProblem::NegativeStd(*std));
                }
                if let Some(min) = min {
                    finite("min", *min)?;
                }
                if let Some(max) = max {
                    finite("max", *max)?;
                }
                if let (Some(min), Some(max)) = (min, max)
                    && min > max
                {
                    return Err(ColumnProblem::RangeInverted {
                        min: *min,
                        max: *max,
                    });
                }
            }
            ColumnKind::Uniform { min, max } => {
                finite("min", *min)?;
                finite("max", *max)?;
                if min > max {
                    return Err(ColumnProblem::RangeInverted {
                        min: *min,
                        max: *max,
                    });
                }
                if !(max - min).is_finite() {
                    return Err(ColumnProblem::RangeTooWide {
                        min: *min,
                        max: *max,
                    });
                }
            }
            ColumnKind::Decimal { min, max, decimals } => {
                ColumnKind::Uniform {
                    min: *min,
                    max: *max,
                }
                .validate()?;
                if *decimals > 6 {
                    return Err(ColumnProblem::TooManyDecimals(*decimals));
                }
            }
            ColumnKind::Category { values, weights } => {
                if values.is_empty() {
                    return Err(ColumnProblem::NoCategories);
                }
                if let Some(weights) = weights {
                    if weights.len() != values.len() {
                        return Err(ColumnProblem::WeightCount {
                            weights: weights.len(),
                            values: values.len(),
                        });
                    }
                    if let Some(w) = weights.iter().find(|w| !w.is_finite() || **w < 0.0) {
                        return Err(ColumnProblem::BadWeight(*w));
                    }
                    let total: f64 = weights.iter().sum();
                    if !(total > 0.0 && total.is_finite()) {
                        return Err(ColumnProblem::WeightTotal);
                    }
                }
            }
            ColumnKind::Bool { p_true } => {
                if !(0.0..=1.0).contains(p_true) {
                    return Err(ColumnProblem::Probability(*p_true));
                }
            }
            ColumnKind::Date { start, end, format } => {
                if start > end {
                    return Err(ColumnProblem::DatesInverted {
                        start: *start,
                        end: *end,
                    });
                }
                checked_date_format(format)?;
            }
            ColumnKind::Pattern { pattern } => {
                parse_pattern(pattern)?;
            }
            // Checked against the other columns by `Schema::validate`.
            ColumnKind::OtherThan { .. } | ColumnKind::Id { .. } | ColumnKind::Derived { .. } => {}
        }
        Ok(())
    }

    fn generate(&self, rows: usize, rng: &mut ChaCha8Rng) -> Column {
        match self {
            ColumnKind::Int { min, max } => Column::Int(if min <= max {
                (0..rows)
                    .map(|_| Some(rng.random_range(*min..=*max)))
                    .collect()
            } else {
                vec![Some(*min); rows]
            }),
            ColumnKind::Normal {
                mean,
                std,
                min,
                max,
            } => Column::Float(
                (0..rows)
                    .map(|_| {
                        let z: f64 = StandardNormal.sample(rng);
                        // Clip after rounding so that the bounds hold exactly.
                        let mut x = round6(mean + std * z);
                        if let Some(min) = min {
                            x = x.max(*min);
                        }
                        if let Some(max) = max {
                            x = x.min(*max);
                        }
                        Some(x)
                    })
                    .collect(),
            ),
            ColumnKind::Uniform { min, max } => Column::Float(
                (0..rows)
                    .map(|_| {
                        let u: f64 = rng.random();
                        Some(uniform_value(min + (max - min) * u, *min, *max))
                    })
                    .collect(),
            ),
            ColumnKind::Decimal { min, max, decimals } => Column::Float(
                (0..rows)
                    .map(|_| {
                        let u: f64 = rng.random();
                        Some(if min <= max {
                            decimal(min + (max - min) * u, *min, *max, *decimals)
                        } else {
                            *min
                        })
                    })
                    .collect(),
            ),
            ColumnKind::Category { values, weights } => {
                Column::Text(pick_categories(values, weights.as_deref(), rows, rng))
            }
            // Drawn by `Schema::generate`, which has the columns they depend on.
            ColumnKind::OtherThan { .. } => Column::Text(vec![None; rows]),
            ColumnKind::Derived { .. } => Column::Float(vec![None; rows]),
            ColumnKind::Bool { p_true } => {
                let p = p_true.clamp(0.0, 1.0);
                Column::Bool((0..rows).map(|_| Some(rng.random::<f64>() < p)).collect())
            }
            ColumnKind::Date { start, end, format } => {
                let days = (*end - *start).num_days().max(0) as u64;
                let items = checked_date_format(format).unwrap_or_default();
                Column::Text(
                    (0..rows)
                        .map(|_| {
                            let date = *start + Days::new(rng.random_range(0..=days));
                            let mut text = String::with_capacity(format.len() + 8);
                            write!(text, "{}", date.format_with_items(items.iter()))
                                .ok()
                                .map(|()| text)
                        })
                        .collect(),
                )
            }
            ColumnKind::Pattern { pattern } => {
                let parts = parse_pattern(pattern).unwrap_or_default();
                Column::Text(
                    (0..rows)
                        .map(|_| {
                            let mut text = String::with_capacity(parts.len());
                            for part in &parts {
                                text.push(match part {
                                    PatternPart::Digit => {
                                        char::from(b'0' + rng.random_range(0..10u8))
                                    }
                                    PatternPart::Upper => {
                                        char::from(UPPER[rng.random_range(0..UPPER.len())])
                                    }
                                    PatternPart::Alphanumeric => char::from(
                                        ALPHANUMERIC[rng.random_range(0..ALPHANUMERIC.len())],
                                    ),
                                    PatternPart::Literal(c) => *c,
                                });
                            }
                            Some(text)
                        })
                        .collect(),
                )
            }
            ColumnKind::Id {
                start,
                step,
                prefix,
            } => {
                // Saturate rather than overflow: a huge step is odd, not a reason to panic.
                let values = (0..rows).map(|i| {
                    let i = i64::try_from(i).unwrap_or(i64::MAX);
                    start.saturating_add(step.saturating_mul(i))
                });
                match prefix {
                    None => Column::Int(values.map(Some).collect()),
                    Some(prefix) => {
                        let mut digits = itoa::Buffer::new();
                        Column::Text(
                            values
                                .map(|n| {
                                    let n = digits.format(n);
                                    let mut text = String::with_capacity(prefix.len() + n.len());
                                    text.push_str(prefix);
                                    text.push_str(n);
                                    Some(text)
                                })
                                .collect(),
                        )
                    }
                }
            }
        }
    }
}

fn pick_categories(
    values: &[String],
    weights: Option<&[f64]>,
    rows: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<Option<String>> {
    if values.is_empty() {
        return vec![None; rows];
    }
    let Some(weights) = weights.filter(|w| w.len() == values.len()) else {
        return (0..rows)
            .map(|_| Some(values[rng.random_range(0..values.len())].clone()))
            .collect();
    };
    let cumulative: Vec<f64> = weights
        .iter()
        .scan(0.0, |total, w| {
            *total += w.max(0.0);
            Some(*total)
        })
        .collect();
    let total = cumulative.last().copied().unwrap_or(0.0);
    // A draw rounding up to the total must not land on a trailing zero-weight value.
    let last = weights.iter().rposition(|w| *w > 0.0).unwrap_or(0);
    (0..rows)
        .map(|_| {
            let x = rng.random::<f64>() * total;
            let i = cumulative.partition_point(|c| *c <= x).min(last);
            Some(values[i].clone())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, kind: ColumnKind, null_rate: f64) -> ColumnSpec {
        ColumnSpec {
            null_rate,
            ..ColumnSpec::new(name, kind)
        }
    }

    fn schema(columns: Vec<ColumnSpec>) -> Schema {
        Schema {
            columns,
            label: None,
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// One column of every kind, each with some missing values.
    fn every_kind() -> Schema {
        schema(vec![
            column("int", ColumnKind::Int { min: -3, max: 7 }, 0.1),
            column(
                "normal",
                ColumnKind::Normal {
                    mean: 10.0,
                    std: 5.0,
                    min: Some(0.0),
                    max: Some(12.0),
                },
                0.2,
            ),
            column(
                "uniform",
                ColumnKind::Uniform {
                    min: -1.5,
                    max: 2.5,
                },
                0.3,
            ),
            column(
                "category",
                ColumnKind::Category {
                    values: vec!["a".into(), "b".into(), "c".into()],
                    weights: None,
                },
                0.0,
            ),
            column("bool", ColumnKind::Bool { p_true: 0.25 }, 0.5),
            column(
                "date",
                ColumnKind::Date {
                    start: date(2024, 2, 27),
                    end: date(2024, 3, 2),
                    format: "%d/%m/%Y".into(),
                },
                0.05,
            ),
            column(
                "pattern",
                ColumnKind::Pattern {
                    pattern: r"C-#?*\#\\".into(),
                },
                0.0,
            ),
            column(
                "id",
                ColumnKind::Id {
                    start: 5,
                    step: 3,
                    prefix: None,
                },
                0.0,
            ),
            column(
                "code",
                ColumnKind::Id {
                    start: 1,
                    step: 1,
                    prefix: Some("ID-".into()),
                },
                0.0,
            ),
            column("gone", ColumnKind::Bool { p_true: 0.5 }, 1.0),
        ])
    }

    fn values<T>(column: &[Option<T>]) -> impl Iterator<Item = &T> {
        column.iter().flatten()
    }

    fn null_share(column: &Column) -> f64 {
        let missing = match column {
            Column::Int(v) => v.iter().filter(|x| x.is_none()).count(),
            Column::Float(v) => v.iter().filter(|x| x.is_none()).count(),
            Column::Text(v) => v.iter().filter(|x| x.is_none()).count(),
            Column::Bool(v) => v.iter().filter(|x| x.is_none()).count(),
        };
        missing as f64 / column.len() as f64
    }

    #[test]
    fn every_kind_generates_values_within_its_bounds_at_its_null_rate() {
        let s = every_kind();
        s.validate().unwrap();
        let rows = 20_000;
        let t = s.generate(rows, 7);
        assert_eq!(t.rows(), rows);
        assert_eq!(
            t.names(),
            s.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>()
        );
        for spec in &s.columns {
            let share = null_share(t.column(&spec.name).unwrap());
            assert!(
                (share - spec.null_rate).abs() < 0.015,
                "{}: {share} missing, expected {}",
                spec.name,
                spec.null_rate
            );
        }

        let Some(Column::Int(ints)) = t.column("int") else {
            panic!()
        };
        assert!(values(ints).all(|x| (-3..=7).contains(x)));
        assert!(values(ints).any(|x| *x == -3) && values(ints).any(|x| *x == 7));

        let Some(Column::Float(normal)) = t.column("normal") else {
            panic!()
        };
        assert!(values(normal).all(|x| (0.0..=12.0).contains(x)));
        // Clipping piles values up on the bound instead of dropping them.
        assert!(values(normal).filter(|x| **x == 12.0).count() > rows / 5);
        assert!(values(normal).all(|x| round6(*x) == *x));

        let Some(Column::Float(uniform)) = t.column("uniform") else {
            panic!()
        };
        assert!(values(uniform).all(|x| (-1.5..2.5).contains(x) && round6(*x) == *x));
        let mean = values(uniform).sum::<f64>() / values(uniform).count() as f64;
        assert!((mean - 0.5).abs() < 0.05, "{mean}");

        let Some(Column::Text(category)) = t.column("category") else {
            panic!()
        };
        for v in ["a", "b", "c"] {
            let share = values(category).filter(|x| *x == v).count() as f64 / rows as f64;
            assert!((share - 1.0 / 3.0).abs() < 0.02, "{v}: {share}");
        }

        let Some(Column::Bool(flags)) = t.column("bool") else {
            panic!()
        };
        let p = values(flags).filter(|x| **x).count() as f64 / values(flags).count() as f64;
        assert!((p - 0.25).abs() < 0.02, "{p}");

        let Some(Column::Text(dates)) = t.column("date") else {
            panic!()
        };
        let days: std::collections::BTreeSet<&str> = values(dates).map(String::as_str).collect();
        let expected = [
            "27/02/2024",
            "28/02/2024",
            "29/02/2024",
            "01/03/2024",
            "02/03/2024",
        ];
        assert_eq!(days, expected.into_iter().collect());

        let Some(Column::Text(patterns)) = t.column("pattern") else {
            panic!()
        };
        for p in values(patterns) {
            let b = p.as_bytes();
            assert_eq!(b.len(), 7, "{p}");
            assert_eq!(&b[..2], b"C-");
            assert!(b[2].is_ascii_digit(), "{p}");
            assert!(b[3].is_ascii_uppercase(), "{p}");
            assert!(b[4].is_ascii_alphanumeric(), "{p}");
            assert_eq!(&b[5..], b"#\\");
        }

        let Some(Column::Int(ids)) = t.column("id") else {
            panic!()
        };
        assert_eq!(&ids[..3], &[Some(5), Some(8), Some(11)]);
        assert_eq!(ids[rows - 1], Some(5 + 3 * (rows as i64 - 1)));

        let Some(Column::Text(codes)) = t.column("code") else {
            panic!()
        };
        assert_eq!(codes[0].as_deref(), Some("ID-1"));
        assert_eq!(codes[rows - 1], Some(format!("ID-{rows}")));
    }

    #[test]
    fn weights_bias_categories() {
        let s = schema(vec![column(
            "c",
            ColumnKind::Category {
                values: vec!["rare".into(), "never".into(), "common".into()],
                weights: Some(vec![1.0, 0.0, 9.0]),
            },
            0.0,
        )]);
        s.validate().unwrap();
        let t = s.generate(10_000, 3);
        let Some(Column::Text(c)) = t.column("c") else {
            panic!()
        };
        let count = |v: &str| values(c).filter(|x| *x == v).count() as f64 / 10_000.0;
        assert!((count("rare") - 0.1).abs() < 0.02, "{}", count("rare"));
        assert!((count("common") - 0.9).abs() < 0.02, "{}", count("common"));
        assert_eq!(count("never"), 0.0);
    }

    fn labelled(noise: f64) -> Schema {
        Schema {
            columns: vec![
                column(
                    "x",
                    ColumnKind::Normal {
                        mean: 0.0,
                        std: 1.0,
                        min: None,
                        max: None,
                    },
                    0.1,
                ),
                column(
                    "y",
                    ColumnKind::Uniform {
                        min: -1.0,
                        max: 1.0,
                    },
                    0.0,
                ),
                column("b", ColumnKind::Bool { p_true: 0.5 }, 0.0),
                column(
                    "name",
                    ColumnKind::Pattern {
                        pattern: "??".into(),
                    },
                    0.0,
                ),
            ],
            label: Some(LabelSpec {
                name: "target".into(),
                weights: BTreeMap::from([
                    ("x".to_owned(), 1.0),
                    ("y".to_owned(), -2.0),
                    ("b".to_owned(), 0.5),
                ]),
                noise,
                threshold: 0.25,
            }),
        }
    }

    #[test]
    fn label_agrees_with_its_weighted_features() {
        let s = labelled(0.2);
        s.validate().unwrap();
        let t = s.generate(20_000, 11);
        assert_eq!(t.names().last().map(String::as_str), Some("target"));
        let (
            Some(Column::Float(x)),
            Some(Column::Float(y)),
            Some(Column::Bool(b)),
            Some(Column::Int(target)),
        ) = (
            t.column("x"),
            t.column("y"),
            t.column("b"),
            t.column("target"),
        )
        else {
            panic!("{:?}", t.names())
        };
        let agree = (0..t.rows())
            .filter(|&i| {
                let score = x[i].unwrap_or(0.0) - 2.0 * y[i].unwrap()
                    + if b[i].unwrap() { 0.5 } else { 0.0 };
                (score > 0.25) == (target[i] == Some(1))
            })
            .count() as f64
            / t.rows() as f64;
        assert!(agree > 0.8, "label agrees with its features only {agree}");
        assert!(values(target).all(|v| *v == 0 || *v == 1));
        assert_eq!(values(target).count(), t.rows());

        // Without noise the label is exactly the thresholded score.
        let t = labelled(0.0).generate(1_000, 11);
        let (Some(Column::Float(x)), Some(Column::Float(y)), Some(Column::Bool(b))) =
            (t.column("x"), t.column("y"), t.column("b"))
        else {
            panic!()
        };
        let Some(Column::Int(target)) = t.column("target") else {
            panic!()
        };
        for i in 0..t.rows() {
            let score =
                x[i].unwrap_or(0.0) - 2.0 * y[i].unwrap() + if b[i].unwrap() { 0.5 } else { 0.0 };
            assert_eq!(target[i], Some(i64::from(score > 0.25)), "row {i}");
        }
    }

    #[test]
    fn schema_tables_are_deterministic() {
        let s = every_kind();
        assert_eq!(s.generate(500, 9), s.generate(500, 9));
        assert_ne!(s.generate(500, 9), s.generate(500, 10));
        let s = labelled(0.5);
        assert_eq!(s.generate(500, 9), s.generate(500, 9));
        assert_eq!(s.generate(0, 9).rows(), 0);
    }

    #[test]
    fn one_columns_settings_do_not_move_another_columns_values() {
        let mut s = every_kind();
        let before = s.generate(300, 4);
        s.columns[0].null_rate = 0.9;
        s.columns[1].kind = ColumnKind::Int { min: 0, max: 1 };
        let after = s.generate(300, 4);
        for name in ["uniform", "category", "bool", "date", "pattern"] {
            assert_eq!(before.column(name), after.column(name), "{name}");
        }
    }

    fn error(s: &Schema) -> String {
        s.validate().unwrap_err().to_string()
    }

    fn one(kind: ColumnKind) -> Schema {
        schema(vec![column("c", kind, 0.0)])
    }

    #[test]
    fn every_validation_error_names_the_column_and_the_problem() {
        assert_eq!(schema(vec![]).validate(), Err(SchemaError::NoColumns));
        assert_eq!(error(&schema(vec![])), "schema has no columns");
        assert_eq!(
            error(&schema(vec![
                column("a", ColumnKind::Bool { p_true: 0.5 }, 0.0),
                column("a", ColumnKind::Bool { p_true: 0.5 }, 0.0),
            ])),
            "column `a`: duplicate column name"
        );
        assert_eq!(
            one(ColumnKind::Int { min: 2, max: 1 }).validate(),
            Err(SchemaError::Column {
                column: "c".into(),
                problem: ColumnProblem::IntRangeInverted { min: 2, max: 1 }
            })
        );
        assert_eq!(
            error(&schema(vec![column(
                "",
                ColumnKind::Bool { p_true: 0.5 },
                0.0
            )])),
            "column ``: column name is empty"
        );
        assert_eq!(
            error(&schema(vec![column(
                "a",
                ColumnKind::Bool { p_true: 0.5 },
                1.5
            )])),
            "column `a`: null rate 1.5 is outside 0–1"
        );
        assert_eq!(
            error(&schema(vec![column(
                "a",
                ColumnKind::Bool { p_true: 0.5 },
                f64::NAN
            )])),
            "column `a`: null rate NaN is outside 0–1"
        );
        let cases = [
            (
                ColumnKind::Int { min: 10, max: 5 },
                "min 10 is greater than max 5",
            ),
            (
                ColumnKind::Normal {
                    mean: 0.0,
                    std: -1.0,
                    min: None,
                    max: None,
                },
                "standard deviation -1 is negative",
            ),
            (
                ColumnKind::Normal {
                    mean: f64::INFINITY,
                    std: 1.0,
                    min: None,
                    max: None,
                },
                "mean inf is not finite",
            ),
            (
                ColumnKind::Normal {
                    mean: 0.0,
                    std: 1.0,
                    min: Some(2.0),
                    max: Some(1.0),
                },
                "min 2 is greater than max 1",
            ),
            (
                ColumnKind::Uniform { min: 3.5, max: 1.0 },
                "min 3.5 is greater than max 1",
            ),
            (
                ColumnKind::Uniform {
                    min: f64::NAN,
                    max: 1.0,
                },
                "min NaN is not finite",
            ),
            (
                ColumnKind::Uniform {
                    min: -f64::MAX,
                    max: f64::MAX,
                },
                "is too wide",
            ),
            (
                ColumnKind::Category {
                    values: vec![],
                    weights: None,
                },
                "category has no values",
            ),
            (
                ColumnKind::Category {
                    values: vec!["a".into(), "b".into()],
                    weights: Some(vec![1.0]),
                },
                "1 weights for 2 values",
            ),
            (
                ColumnKind::Category {
                    values: vec!["a".into()],
                    weights: Some(vec![-1.0]),
                },
                "weight -1 is not a finite, non-negative number",
            ),
            (
                ColumnKind::Category {
                    values: vec!["a".into()],
                    weights: Some(vec![0.0]),
                },
                "weights must add up to a positive, finite total",
            ),
            (
                ColumnKind::Bool { p_true: 1.1 },
                "p_true 1.1 is outside 0–1",
            ),
            (
                ColumnKind::Date {
                    start: date(2024, 5, 1),
                    end: date(2024, 1, 1),
                    format: "%Y-%m-%d".into(),
                },
                "start 2024-05-01 is after end 2024-01-01",
            ),
            (
                ColumnKind::Date {
                    start: date(2024, 1, 1),
                    end: date(2024, 5, 1),
                    format: "%Q".into(),
                },
                "date format `%Q` is not a valid strftime format",
            ),
            (
                ColumnKind::Date {
                    start: date(2024, 1, 1),
                    end: date(2024, 5, 1),
                    format: "%Y %H:%M".into(),
                },
                "date format `%Y %H:%M` asks for more than a date",
            ),
            (
                ColumnKind::Pattern {
                    pattern: r"AB\".into(),
                },
                r"pattern `AB\` ends with a lone `\`",
            ),
            (
                ColumnKind::Decimal {
                    min: 2.0,
                    max: 1.0,
                    decimals: 2,
                },
                "min 2 is greater than max 1",
            ),
            (
                ColumnKind::Decimal {
                    min: 0.0,
                    max: 1.0,
                    decimals: 7,
                },
                "7 decimals is more than 6",
            ),
            (
                ColumnKind::OtherThan { column: "c".into() },
                "`c` is not an earlier column of the schema",
            ),
        ];
        for (kind, problem) in cases {
            let message = error(&one(kind.clone()));
            assert!(message.starts_with("column `c`: "), "{message}");
            assert!(message.ends_with(problem), "{kind:?}: {message}");
        }
    }

    #[test]
    fn label_validation_errors_name_the_column_and_the_problem() {
        let with = |f: &dyn Fn(&mut LabelSpec)| {
            let mut s = labelled(0.1);
            f(s.label.as_mut().unwrap());
            error(&s)
        };
        assert_eq!(
            with(&|l| l.name = "x".into()),
            "column `x`: label name clashes with a column of the schema"
        );
        assert_eq!(
            with(&|l| {
                l.weights.insert("z".into(), 1.0);
            }),
            "column `z`: label `target` uses it as a feature but no such column exists"
        );
        assert_eq!(
            with(&|l| {
                l.weights.insert("name".into(), 1.0);
            }),
            "column `name`: label `target` uses it as a feature but it is not numeric"
        );
        assert_eq!(
            with(&|l| {
                l.weights.insert("x".into(), f64::NAN);
            }),
            "column `x`: label `target` gives it weight NaN, which is not finite"
        );
        assert_eq!(
            with(&|l| l.noise = -1.0),
            "column `target`: label noise -1 is not a finite, non-negative number"
        );
        assert_eq!(
            with(&|l| l.threshold = f64::INFINITY),
            "column `target`: label threshold inf is not finite"
        );
        assert!(labelled(0.1).validate().is_ok());
    }

    #[test]
    fn invalid_schemas_still_generate_without_panicking() {
        let kinds = [
            ColumnKind::Int { min: 10, max: 5 },
            ColumnKind::Category {
                values: vec![],
                weights: None,
            },
            ColumnKind::Date {
                start: date(2024, 5, 1),
                end: date(2024, 1, 1),
                format: "%H".into(),
            },
            ColumnKind::Pattern {
                pattern: "\\".into(),
            },
            ColumnKind::Bool { p_true: 7.0 },
            ColumnKind::Decimal {
                min: 5.0,
                max: 1.0,
                decimals: 2,
            },
            ColumnKind::Decimal {
                min: f64::NAN,
                max: f64::INFINITY,
                decimals: 99,
            },
            ColumnKind::OtherThan {
                column: "nowhere".into(),
            },
        ];
        for kind in kinds {
            assert_eq!(one(kind).generate(10, 1).rows(), 10);
        }
    }

    #[test]
    fn decimals_have_their_places_and_reach_both_bounds() {
        let s = one(ColumnKind::Decimal {
            min: 1.0,
            max: 3.0,
            decimals: 2,
        });
        s.validate().unwrap();
        let t = s.generate(20_000, 5);
        let Some(Column::Float(v)) = t.column("c") else {
            panic!()
        };
        assert!(values(v).all(|x| (1.0..=3.0).contains(x) && (x * 100.0).round() / 100.0 == *x));
        assert!(values(v).any(|x| *x == 1.0) && values(v).any(|x| *x == 3.0));
        assert!(
            values(v).any(|x| (x * 10.0).round() / 10.0 != *x),
            "two places, not one"
        );
    }

    fn unique(name: &str, kind: ColumnKind, null_rate: f64) -> ColumnSpec {
        ColumnSpec {
            unique: true,
            ..column(name, kind, null_rate)
        }
    }

    #[test]
    fn unique_columns_never_repeat_a_value_in_seeded_tables() {
        let s = schema(vec![
            unique("n", ColumnKind::Int { min: 1, max: 500 }, 0.0),
            unique(
                "letter",
                ColumnKind::Category {
                    values: vec!["a".into(), "b".into(), "c".into()],
                    weights: Some(vec![8.0, 1.0, 1.0]),
                },
                0.0,
            ),
            unique(
                "day",
                ColumnKind::Date {
                    start: date(2024, 1, 1),
                    end: date(2024, 12, 31),
                    format: "%Y-%m-%d".into(),
                },
                0.5,
            ),
            column("free", ColumnKind::Int { min: 1, max: 3 }, 0.0),
        ]);
        s.validate().unwrap();
        s.check_rows(3).unwrap();
        let t = s.generate(3, 8);
        let Some(Column::Text(letters)) = t.column("letter") else {
            panic!()
        };
        let mut letters: Vec<&String> = values(letters).collect();
        letters.sort();
        assert_eq!(letters, ["a", "b", "c"]);

        // Every value of the range once: 500 rows of 1..=500.
        let s = schema(vec![
            unique("n", ColumnKind::Int { min: 1, max: 500 }, 0.0),
            unique(
                "day",
                ColumnKind::Date {
                    start: date(2024, 1, 1),
                    end: date(2024, 12, 31),
                    format: "%Y-%m-%d".into(),
                },
                0.5,
            ),
        ]);
        let t = s.generate(500, 8);
        let Some(Column::Int(n)) = t.column("n") else {
            panic!()
        };
        let mut n: Vec<i64> = values(n).copied().collect();
        n.sort();
        assert_eq!(n, (1..=500).collect::<Vec<_>>());
        // Missing values do not count as duplicates; the null rate stays.
        let Some(Column::Text(days)) = t.column("day") else {
            panic!()
        };
        let present: std::collections::BTreeSet<&String> = values(days).collect();
        assert_eq!(present.len(), values(days).count());
        assert!((null_share(t.column("day").unwrap()) - 0.5).abs() < 0.1);
        assert_eq!(s.generate(500, 8), t, "deterministic");
    }

    #[test]
    fn unique_is_refused_where_it_cannot_hold() {
        for (kind, message) in [
            (
                ColumnKind::Bool { p_true: 0.5 },
                "column `u`: unique does not apply to a `bool` column: it holds two values",
            ),
            (
                ColumnKind::Derived {
                    expr: "x + 1".into(),
                },
                "column `u`: unique does not apply to a `derived` column: its values follow from other columns",
            ),
        ] {
            let s = schema(vec![
                column("x", ColumnKind::Int { min: 0, max: 9 }, 0.0),
                unique("u", kind, 0.0),
            ]);
            assert_eq!(error(&s), message);
        }
        let s = schema(vec![unique(
            "u",
            ColumnKind::Category {
                values: vec!["a".into(), "b".into(), "never".into()],
                weights: Some(vec![1.0, 1.0, 0.0]),
            },
            0.0,
        )]);
        s.validate().unwrap();
        assert!(s.check_rows(2).is_ok());
        assert_eq!(
            s.check_rows(3).unwrap_err().to_string(),
            "column `u`: unique needs 3 distinct values, but the column has only 2"
        );
        let id = schema(vec![unique(
            "id",
            ColumnKind::Id {
                start: 1,
                step: 0,
                prefix: None,
            },
            0.0,
        )]);
        assert!(id.check_rows(1).is_ok() && id.check_rows(2).is_err());
        // A column that is not unique may repeat itself as much as it likes.
        let s = one(ColumnKind::Bool { p_true: 0.5 });
        assert!(s.check_rows(1_000).is_ok());
    }

    #[test]
    fn columns_built_with_new_declare_their_settings_and_presets_are_loose() {
        let c = ColumnSpec::new("a", ColumnKind::Bool { p_true: 0.5 });
        assert_eq!(
            (c.null_rate, c.edge_values, c.unique, c.contract),
            (0.0, true, false, Contract::Declared)
        );
        // Settings added since a schema was saved take their defaults when it is read back.
        let saved = r#"{"name":"a","kind":{"type":"bool","p_true":0.5},"null_rate":0.0}"#;
        assert_eq!(serde_json::from_str::<ColumnSpec>(saved).unwrap(), c);
        for p in [
            super::super::Profile::Currency,
            super::super::Profile::Tabular,
            super::super::Profile::Training,
            super::super::Profile::Generic,
        ] {
            assert!(
                Schema::preset(p)
                    .columns
                    .iter()
                    .all(|c| c.contract == Contract::Loose && c.edge_values && !c.unique)
            );
        }
    }

    fn pair(from_null_rate: f64) -> Schema {
        schema(vec![
            column(
                "from",
                ColumnKind::Category {
                    values: vec!["a".into(), "b".into(), "c".into()],
                    weights: Some(vec![8.0, 1.0, 1.0]),
                },
                from_null_rate,
            ),
            column(
                "to",
                ColumnKind::OtherThan {
                    column: "from".into(),
                },
                0.0,
            ),
        ])
    }

    #[test]
    fn other_than_never_repeats_the_value_of_its_column_in_the_same_row() {
        let s = pair(0.2);
        s.validate().unwrap();
        let t = s.generate(20_000, 3);
        let (Some(Column::Text(from)), Some(Column::Text(to))) = (t.column("from"), t.column("to"))
        else {
            panic!()
        };
        for (f, to) in from.iter().zip(to) {
            assert!(to.is_some());
            assert_ne!(f, to);
        }
        // Where `from` is missing, any value; otherwise uniform among the two others.
        let share = |which: &str, when: Option<&str>| {
            let rows: Vec<_> = from
                .iter()
                .zip(to)
                .filter(|(f, _)| f.as_deref() == when)
                .collect();
            rows.iter()
                .filter(|(_, t)| t.as_deref() == Some(which))
                .count() as f64
                / rows.len() as f64
        };
        assert!((share("b", Some("a")) - 0.5).abs() < 0.03);
        assert!((share("a", Some("b")) - 0.5).abs() < 0.1);
        assert!((share("a", None) - 1.0 / 3.0).abs() < 0.05);
        assert_eq!(s.generate(500, 3), s.generate(500, 3));
    }

    #[test]
    fn other_than_needs_an_earlier_category_with_a_second_value() {
        let mut s = pair(0.0);
        s.columns.swap(0, 1);
        assert_eq!(
            error(&s),
            "column `to`: `from` is not an earlier column of the schema"
        );
        let mut s = pair(0.0);
        s.columns[0].kind = ColumnKind::Bool { p_true: 0.5 };
        assert_eq!(error(&s), "column `to`: `from` is not a category column");
        let mut s = pair(0.0);
        s.columns[0].kind = ColumnKind::Category {
            values: vec!["a".into(), "a".into()],
            weights: None,
        };
        assert_eq!(
            error(&s),
            "column `to`: `from` has fewer than two distinct values to choose another from"
        );
    }
}
