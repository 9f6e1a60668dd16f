//! proptest strategies over whole datasets: every value is a [`Table`] with the same columns, in
//! the same order, as the seeded generator of the same [schema](crate::data::Schema) writes
//! (a [profile](crate::data::Profile) is a preset schema).
//!
//! Most rows look like the seeded data, but edge values turn up often (without dominating), and
//! small tables too: no rows (a header only) or one row. How far edge values go depends on the
//! column's [`Contract`]:
//!
//! - A column of a user's schema **declares facts, and every case keeps them**: bounds (edge
//!   values are the bounds themselves, 0 and the smallest negative step when inside the range,
//!   ±inf and ±1e300 only on an unbounded side of a `normal` column), declared categories only,
//!   strings matching the pattern, dates within `start..=end` (the start, the end, and
//!   `1970-01-01`, `2024-02-29`, `9999-12-31` when inside), `true`/`false`. Values go missing
//!   (empty, NaN, or the whole column) only in a column whose `null_rate` is above 0.
//! - A preset profile's columns are **loose**: they promise a name and a type, so their edge
//!   values are what any upstream might send: missing values and a column missing in every row,
//!   NaN, ±inf and extreme magnitudes (`1e300`, `-1e300`, `5e-324`), negative amounts, very long
//!   and non-ASCII text (`Zürich`, `東京`, emoji, commas, quotes, line breaks), categories the
//!   script has never seen, dates at the edges and text that is no date.
//!
//! Either way id columns are their exact sequence, labels are 0 or 1, derived columns are
//! computed from their inputs, and a [`unique`](crate::data::ColumnSpec::unique) column holds no
//! value twice. [`ColumnSpec::edge_values`](crate::data::ColumnSpec::edge_values) turns one
//! column's edge values off, [`Cases::edge_values`] every column's. A failing table shrinks
//! towards fewer rows and towards ordinary values.
//!
//! [`run_property`](crate::run_property) drives these strategies against a script; they are
//! public so that tests can use them in their own `proptest!` blocks too:
//!
//! ```no_run
//! use proptest::prelude::*;
//! use sf_core::strategy;
//!
//! proptest! {
//!     #[test]
//!     fn converts_any_currency_table(table in strategy::currency()) {
//!         prop_assert_eq!(table.names().len(), 4);
//!     }
//! }
//! ```

use std::fmt::Write as _;
use std::ops::RangeInclusive;

use chrono::{Days, NaiveDate};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;

use crate::data::rows;
use crate::data::{
    ALPHANUMERIC, Column, ColumnKind, ColumnSpec, Contract, PatternPart, Profile, Schema, Table,
    TableSource, UPPER, checked_date_format, decimal, parse_pattern, round6, uniform_value,
};

/// The row counts of the strategies that take none: 0 to 50 rows.
pub const DEFAULT_ROWS: RangeInclusive<usize> = 0..=50;

/// What the tables of a run share beyond their columns: how many rows, and whether edge values
/// are drawn at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cases {
    /// Row counts; an empty range (`min_rows > max_rows`) is read as its start.
    pub rows: RangeInclusive<usize>,
    /// Edge values on (the default). `false` draws only ordinary values, and missing values at
    /// each column's null rate, in every column.
    pub edge_values: bool,
}

impl Default for Cases {
    fn default() -> Self {
        Cases {
            rows: DEFAULT_ROWS,
            edge_values: true,
        }
    }
}

impl Cases {
    /// Tables of `rows` rows, edge values on.
    pub fn rows(rows: RangeInclusive<usize>) -> Cases {
        Cases {
            rows,
            ..Cases::default()
        }
    }
}

/// Tables of the [`currency`](Profile::Currency) profile: `from_currency`, `to_currency`,
/// `amount`, `date`.
pub fn currency() -> impl Strategy<Value = Table> {
    profile(Profile::Currency)
}

/// Tables of the [`tabular`](Profile::Tabular) profile: `id`, `feature_1`, `feature_2`,
/// `feature_3`, `target`.
pub fn tabular() -> impl Strategy<Value = Table> {
    profile(Profile::Tabular)
}

/// Tables of the [`training`](Profile::Training) profile: `feature_0` … `feature_9`, `target`.
pub fn training() -> impl Strategy<Value = Table> {
    profile(Profile::Training)
}

/// Tables of the [`generic`](Profile::Generic) profile: `id`, `value`, `category`.
pub fn generic() -> impl Strategy<Value = Table> {
    profile(Profile::Generic)
}

/// Tables of `p`'s columns with 0 to 50 rows.
pub fn profile(p: Profile) -> BoxedStrategy<Table> {
    profile_with(p, DEFAULT_ROWS)
}

/// Tables of `p`'s columns with a row count in `rows`.
pub fn profile_with(p: Profile, rows: RangeInclusive<usize>) -> BoxedStrategy<Table> {
    schema_with(&Schema::preset(p), rows)
}

/// Tables of `schema`'s columns (and its label, last) with 0 to 50 rows.
///
/// Ordinary values follow the column's settings (bounds, categories, date range, pattern, id
/// sequence); edge values keep to them too, or step outside them for a
/// [loose](Contract::Loose) column. Settings that [`Schema::validate`] rejects do not panic:
/// they give the bound they name (`min` of an inverted range) or missing values.
pub fn schema(schema: &Schema) -> BoxedStrategy<Table> {
    schema_with(schema, DEFAULT_ROWS)
}

/// Tables of `schema`'s columns with a row count in `rows`.
pub fn schema_with(schema: &Schema, rows: RangeInclusive<usize>) -> BoxedStrategy<Table> {
    schema_cases(schema, &Cases::rows(rows))
}

/// Tables of `schema`'s columns as `cases` says.
pub fn schema_cases(schema: &Schema, cases: &Cases) -> BoxedStrategy<Table> {
    table_of(
        schema_columns(schema, cases.edge_values),
        cases.rows.clone(),
    )
}

/// Tables like those `source` generates, with 0 to 50 rows.
pub fn table(source: &TableSource) -> BoxedStrategy<Table> {
    table_with(source, DEFAULT_ROWS)
}

/// Tables like those `source` generates, with a row count in `rows` (an empty range is read as
/// its start).
pub fn table_with(source: &TableSource, rows: RangeInclusive<usize>) -> BoxedStrategy<Table> {
    table_cases(source, &Cases::rows(rows))
}

/// Tables like those `source` generates, as `cases` says.
pub fn table_cases(source: &TableSource, cases: &Cases) -> BoxedStrategy<Table> {
    match source {
        TableSource::Profile(p) => schema_cases(&Schema::preset(*p), cases),
        TableSource::Schema(s) => schema_cases(s, cases),
    }
}

/// The type of a column, known before any value is drawn.
#[derive(Debug, Clone)]
enum Shape {
    Int,
    Float,
    Text,
    Bool,
    /// `start, start + step, …` by row, as numbers or (with a prefix) as text.
    Sequence {
        start: i64,
        step: i64,
        prefix: Option<String>,
    },
    /// A value of `values` other than the one column `of` holds in the same row.
    OtherThan {
        of: String,
        values: Vec<String>,
    },
    /// Computed from the row's other columns by `expr`: never drawn, so it always agrees with
    /// them (a case no real upstream could produce is no case).
    Derived {
        expr: String,
    },
}

/// One drawn value. `Next` is the row's own value of a [`Shape::Sequence`]; `Other(k)` the k-th
/// value of a [`Shape::OtherThan`] once the row's taken value is left out. Any other value in
/// such a column replaces it (a missing id, a category of a loose column's edge values).
#[derive(Debug, Clone)]
enum Cell {
    Int(Option<i64>),
    Float(Option<f64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Next,
    Other(usize),
}

/// What the table build needs to know of a column besides its drawn cells.
#[derive(Debug, Clone)]
struct Head {
    name: String,
    shape: Shape,
    /// The column may be missing in every row of a case: a feed that lost a field.
    may_vanish: bool,
    /// A unique column's kind, whose order replaces duplicates.
    unique: Option<ColumnKind>,
}

/// A column's head and the strategy of one of its values.
struct ColumnGen {
    head: Head,
    cells: BoxedStrategy<Cell>,
}

/// How often a value is ordinary, an edge value, or (for columns with a null rate) missing.
const NORMAL_WEIGHT: u32 = 8;
const EDGE_WEIGHT: u32 = 2;

/// Ordinary values most of the time, edge values some of the time, and `nulls` (a weight and
/// the column's missing values) when the column has a null rate. The ordinary strategy comes
/// first so that shrinking moves towards it; edge values shrink towards the first of the list.
fn cells(
    normal: BoxedStrategy<Cell>,
    edges: Vec<Cell>,
    nulls: Option<(u32, BoxedStrategy<Cell>)>,
) -> BoxedStrategy<Cell> {
    let mut arms = vec![(NORMAL_WEIGHT, normal)];
    if !edges.is_empty() {
        arms.push((EDGE_WEIGHT, select(edges).boxed()));
    }
    if let Some((weight, null)) = nulls.filter(|(w, _)| *w > 0) {
        arms.push((weight, null));
    }
    Union::new_weighted(arms).boxed()
}

/// Text that breaks scripts: empty, read as missing by pandas, non-ASCII, separators and quotes
/// inside a field, line breaks, padding, and values of a thousand characters and more.
fn edge_texts() -> Vec<String> {
    vec![
        String::new(),
        "NA".to_owned(),
        "Zürich".to_owned(),
        "東京".to_owned(),
        "🚀💥".to_owned(),
        "Smith, John".to_owned(),
        "say \"hi\"".to_owned(),
        "line one\nline two".to_owned(),
        "  padded  ".to_owned(),
        "long value ".repeat(100),
        "ü東🚀".repeat(400),
    ]
}

/// Edge text cells: missing, a value the column has never held, then [`edge_texts`].
fn text_edges(unseen: &str) -> Vec<Cell> {
    let mut edges = vec![Cell::Text(None), Cell::Text(Some(unseen.to_owned()))];
    edges.extend(edge_texts().into_iter().map(|t| Cell::Text(Some(t))));
    edges
}

/// Edge float cells of a loose column: missing, zeros, NaN, ±inf, extreme magnitudes, a
/// negative number.
fn float_edges() -> Vec<Cell> {
    [
        None,
        Some(0.0),
        Some(-0.0),
        Some(-1.0),
        Some(f64::NAN),
        Some(f64::INFINITY),
        Some(f64::NEG_INFINITY),
        Some(1e300),
        Some(-1e300),
        Some(5e-324),
    ]
    .into_iter()
    .map(Cell::Float)
    .collect()
}

fn one_of_texts(values: Vec<String>) -> BoxedStrategy<Cell> {
    if values.is_empty() {
        Just(Cell::Text(None)).boxed()
    } else {
        select(values).prop_map(|v| Cell::Text(Some(v))).boxed()
    }
}

/// A 0/1 label: a label is a class, for presets and schemas alike.
fn binary_label() -> BoxedStrategy<Cell> {
    select(vec![0_i64, 1])
        .prop_map(|v| Cell::Int(Some(v)))
        .boxed()
}

fn date_text(date: NaiveDate, format: &str) -> Option<String> {
    let items = checked_date_format(format).ok()?;
    let mut text = String::with_capacity(format.len() + 8);
    write!(text, "{}", date.format_with_items(items.iter())).ok()?;
    Some(text)
}

/// Dates at the edges: the Unix epoch, a leap day, the last day four-digit years can spell.
/// (Loose date columns also get a text that is no date at all.)
fn edge_dates() -> [NaiveDate; 3] {
    [(1970, 1, 1), (2024, 2, 29), (9999, 12, 31)]
        .map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN))
}

/// The column's missing value, and (when edge values are on) NaN, which readers take for one.
fn null_cells(shape: &Shape, edges_on: bool) -> BoxedStrategy<Cell> {
    match shape {
        Shape::Float if edges_on => {
            select(vec![Cell::Float(None), Cell::Float(Some(f64::NAN))]).boxed()
        }
        Shape::Float | Shape::Derived { .. } => Just(Cell::Float(None)).boxed(),
        Shape::Bool => Just(Cell::Bool(None)).boxed(),
        Shape::Int => Just(Cell::Int(None)).boxed(),
        Shape::Sequence { prefix: None, .. } => Just(Cell::Int(None)).boxed(),
        Shape::Text | Shape::Sequence { .. } | Shape::OtherThan { .. } => {
            Just(Cell::Text(None)).boxed()
        }
    }
}

/// A null rate as a weight beside [`NORMAL_WEIGHT`] and [`EDGE_WEIGHT`]: a rate of 10% adds
/// about as many missing values as edge values.
fn null_weight(null_rate: f64) -> u32 {
    if null_rate > 0.0 && null_rate.is_finite() {
        (null_rate.min(1.0) * 10.0).ceil() as u32
    } else {
        0
    }
}

fn schema_columns(schema: &Schema, edge_values: bool) -> Vec<ColumnGen> {
    let mut columns: Vec<ColumnGen> = schema
        .columns
        .iter()
        .map(|spec| schema_column(schema, spec, edge_values))
        .collect();
    if let Some(label) = &schema.label {
        columns.push(ColumnGen {
            head: Head {
                name: label.name.clone(),
                shape: Shape::Int,
                may_vanish: false,
                unique: None,
            },
            cells: binary_label(),
        });
    }
    columns
}

/// One column of a schema: its ordinary values, the edge values its contract allows (when they
/// are on for the run and the column), and missing values at its null rate.
fn schema_column(schema: &Schema, spec: &ColumnSpec, edge_values: bool) -> ColumnGen {
    let edges_on = edge_values && spec.edge_values;
    let with_nulls = spec.null_rate > 0.0;
    let (shape, normal) = ordinary(schema, &spec.kind);
    let edges = match (&spec.kind, spec.contract) {
        // Derived columns follow their inputs; ids are their sequence: neither has edges.
        (ColumnKind::Derived { .. } | ColumnKind::Id { .. }, _) => Vec::new(),
        _ if !edges_on => Vec::new(),
        (kind, Contract::Declared) => declared_edges(kind),
        (kind, Contract::Loose) => loose_edges(schema, kind),
    };
    let may_vanish = match (&spec.kind, spec.contract) {
        (ColumnKind::Derived { .. }, _) => false,
        (ColumnKind::Id { .. }, _) | (_, Contract::Declared) => edges_on && with_nulls,
        (_, Contract::Loose) => edges_on,
    };
    let cells = if let Shape::Derived { .. } = shape {
        // Missing only where its inputs are: no nulls or edge values of its own.
        normal
    } else {
        let nulls = (null_weight(spec.null_rate), null_cells(&shape, edges_on));
        cells(normal, edges, Some(nulls))
    };
    ColumnGen {
        head: Head {
            name: spec.name.clone(),
            shape,
            may_vanish,
            unique: spec.unique.then(|| spec.kind.clone()),
        },
        cells,
    }
}

/// A value no listed category equals, so that it is new to the script.
fn unseen(values: &[String]) -> String {
    let mut unseen = "UNSEEN".to_owned();
    while values.contains(&unseen) {
        unseen.push('_');
    }
    unseen
}

/// The values of the category column `column` of `schema` (none when it is not one).
fn categories_of(schema: &Schema, column: &str) -> Vec<String> {
    match schema.columns.iter().find(|c| c.name == column) {
        Some(spec) => match &spec.kind {
            ColumnKind::Category { values, .. } => values.clone(),
            _ => Vec::new(),
        },
        None => Vec::new(),
    }
}

/// `x` moved into `[min, max]` (either side may be open-ended).
fn clip(x: f64, min: Option<f64>, max: Option<f64>) -> f64 {
    let x = min.map_or(x, |m| x.max(m));
    max.map_or(x, |m| x.min(m))
}

/// Whether `x` lies in `[min, max]` (either side may be open-ended).
fn within(x: f64, min: Option<f64>, max: Option<f64>) -> bool {
    min.is_none_or(|m| x >= m) && max.is_none_or(|m| x <= m)
}

/// A column's type and ordinary values: what the seeded generator draws, within every setting.
fn ordinary(schema: &Schema, kind: &ColumnKind) -> (Shape, BoxedStrategy<Cell>) {
    match kind {
        ColumnKind::Int { min, max } => {
            let normal = if min <= max {
                (*min..=*max).prop_map(|v| Cell::Int(Some(v))).boxed()
            } else {
                Just(Cell::Int(Some(*min))).boxed()
            };
            (Shape::Int, normal)
        }
        ColumnKind::Normal {
            mean,
            std,
            min,
            max,
        } => {
            let (mean, min, max) = (*mean, *min, *max);
            let lo = min.map_or(mean - 3.0 * std, |m| m.max(mean - 3.0 * std));
            let hi = max.map_or(mean + 3.0 * std, |m| m.min(mean + 3.0 * std));
            // Clipped after rounding, like the seeded values, so that the bounds hold exactly.
            let normal = if lo < hi && (hi - lo).is_finite() {
                (lo..hi)
                    .prop_map(move |x| Cell::Float(Some(clip(round6(x), min, max))))
                    .boxed()
            } else {
                Just(Cell::Float(Some(clip(mean, min, max)))).boxed()
            };
            (Shape::Float, normal)
        }
        ColumnKind::Uniform { min, max } => {
            let (min, max) = (*min, *max);
            let normal = if min < max && (max - min).is_finite() {
                (min..max)
                    .prop_map(move |x| Cell::Float(Some(uniform_value(x, min, max))))
                    .boxed()
            } else {
                Just(Cell::Float(Some(min))).boxed()
            };
            (Shape::Float, normal)
        }
        ColumnKind::Decimal { min, max, decimals } => {
            let (min, max, decimals) = (*min, *max, *decimals);
            let normal = if min < max && (max - min).is_finite() {
                (min..=max)
                    .prop_map(move |x| Cell::Float(Some(decimal(x, min, max, decimals))))
                    .boxed()
            } else {
                Just(Cell::Float(Some(min))).boxed()
            };
            (Shape::Float, normal)
        }
        ColumnKind::Category { values, weights } => {
            // A value of weight 0 is never drawn by the seeded generator, nor here.
            let drawn: Vec<String> = values
                .iter()
                .enumerate()
                .filter(|(i, _)| {
                    weights
                        .as_ref()
                        .and_then(|w| w.get(*i))
                        .is_none_or(|w| *w > 0.0)
                })
                .map(|(_, v)| v.clone())
                .collect();
            let drawn = if drawn.is_empty() {
                values.clone()
            } else {
                drawn
            };
            (Shape::Text, one_of_texts(drawn))
        }
        ColumnKind::Derived { expr } => (
            Shape::Derived { expr: expr.clone() },
            Just(Cell::Float(None)).boxed(),
        ),
        ColumnKind::OtherThan { column } => {
            let values = categories_of(schema, column);
            if values.len() < 2 {
                return (Shape::Text, Just(Cell::Text(None)).boxed());
            }
            let normal = (0..values.len() - 1).prop_map(Cell::Other).boxed();
            let shape = Shape::OtherThan {
                of: column.clone(),
                values,
            };
            (shape, normal)
        }
        ColumnKind::Bool { .. } => (
            Shape::Bool,
            any::<bool>().prop_map(|b| Cell::Bool(Some(b))).boxed(),
        ),
        ColumnKind::Date { start, end, format } => {
            let (start, end) = (*start, (*end).max(*start));
            let days = (end - start).num_days().max(0) as u64;
            let fmt = format.clone();
            let normal = (0..=days)
                .prop_map(move |n| Cell::Text(date_text(start + Days::new(n), &fmt)))
                .boxed();
            (Shape::Text, normal)
        }
        ColumnKind::Pattern { pattern } => {
            let parts = parse_pattern(pattern).unwrap_or_default();
            let len = parts.len();
            // Each position draws a byte and maps it into its class, so shrinking gives `0`,
            // `A` and the literals: the simplest string the pattern allows.
            let normal = vec(any::<u8>(), len)
                .prop_map(move |bytes| {
                    let text = parts
                        .iter()
                        .zip(bytes)
                        .map(|(part, b)| match part {
                            PatternPart::Digit => char::from(b'0' + b % 10),
                            PatternPart::Upper => char::from(UPPER[usize::from(b) % UPPER.len()]),
                            PatternPart::Alphanumeric => {
                                char::from(ALPHANUMERIC[usize::from(b) % ALPHANUMERIC.len()])
                            }
                            PatternPart::Literal(c) => *c,
                        })
                        .collect();
                    Cell::Text(Some(text))
                })
                .boxed();
            (Shape::Text, normal)
        }
        ColumnKind::Id {
            start,
            step,
            prefix,
        } => (
            Shape::Sequence {
                start: *start,
                step: *step,
                prefix: prefix.clone(),
            },
            Just(Cell::Next).boxed(),
        ),
    }
}

/// Edge values that keep to a declared column's settings: the bounds, and 0 and the smallest
/// negative step where the range holds them; ±inf and ±1e300 only on an open side of a
/// `normal` column; the first and last dates (and the epoch, a leap day, 9999-12-31 when the
/// range holds them); the first and last strings of a pattern. Categories, booleans and
/// `other_than` columns have no edge values beyond their ordinary ones.
fn declared_edges(kind: &ColumnKind) -> Vec<Cell> {
    fn floats(xs: impl IntoIterator<Item = f64>) -> Vec<Cell> {
        let mut seen: Vec<u64> = Vec::new();
        let mut cells = Vec::new();
        for x in xs {
            if !seen.contains(&x.to_bits()) {
                seen.push(x.to_bits());
                cells.push(Cell::Float(Some(x)));
            }
        }
        cells
    }
    match kind {
        ColumnKind::Int { min, max } => {
            let mut edges: Vec<i64> = Vec::new();
            for x in [*min, *max, 0, -1] {
                if (*min..=*max).contains(&x) && !edges.contains(&x) {
                    edges.push(x);
                }
            }
            edges.into_iter().map(|x| Cell::Int(Some(x))).collect()
        }
        ColumnKind::Normal { min, max, .. } => {
            let (min, max) = (*min, *max);
            let mut xs: Vec<f64> = min.into_iter().chain(max).collect();
            xs.extend(
                [0.0, -1e-6, 5e-324]
                    .into_iter()
                    .filter(|x| within(*x, min, max)),
            );
            if max.is_none() {
                xs.extend([f64::INFINITY, 1e300]);
            }
            if min.is_none() {
                xs.extend([f64::NEG_INFINITY, -1e300]);
            }
            floats(xs)
        }
        ColumnKind::Uniform { min, max } => {
            let (min, max) = (*min, *max);
            // `[min, max)`: the largest six-decimal value below `max` stands for the top.
            let top = uniform_value(max - 1e-6, min, max);
            floats(
                [min, top, 0.0, -1e-6]
                    .into_iter()
                    .filter(|x| *x >= min && *x < max),
            )
        }
        ColumnKind::Decimal { min, max, decimals } => {
            let (min, max) = (*min, *max);
            // The smallest negative value at the column's precision (-0.01 for money): a sign
            // check that forgets rounding lets it through.
            let step = 10_f64.powi(-((*decimals).min(6) as i32));
            floats(
                [min, max, 0.0, -step]
                    .into_iter()
                    .filter(|x| within(*x, Some(min), Some(max))),
            )
        }
        ColumnKind::Date { start, end, format } => {
            let mut dates = vec![*start];
            for d in std::iter::once(*end).chain(edge_dates()) {
                if (*start..=*end).contains(&d) && !dates.contains(&d) {
                    dates.push(d);
                }
            }
            dates
                .into_iter()
                .map(|d| Cell::Text(date_text(d, format)))
                .collect()
        }
        ColumnKind::Pattern { pattern } => {
            let parts = parse_pattern(pattern).unwrap_or_default();
            let spell = |pick: fn(&[u8]) -> u8| -> String {
                parts
                    .iter()
                    .map(|part| match part {
                        PatternPart::Digit => char::from(pick(b"0123456789")),
                        PatternPart::Upper => char::from(pick(UPPER)),
                        PatternPart::Alphanumeric => char::from(pick(ALPHANUMERIC)),
                        PatternPart::Literal(c) => *c,
                    })
                    .collect()
            };
            let first = spell(|class| class[0]);
            let last = spell(|class| class[class.len() - 1]);
            let mut edges = vec![Cell::Text(Some(first.clone()))];
            if last != first {
                edges.push(Cell::Text(Some(last)));
            }
            edges
        }
        ColumnKind::Category { .. }
        | ColumnKind::OtherThan { .. }
        | ColumnKind::Bool { .. }
        | ColumnKind::Derived { .. }
        | ColumnKind::Id { .. } => Vec::new(),
    }
}

/// Edge values of a loose column: beyond its settings, whatever an upstream might send.
fn loose_edges(schema: &Schema, kind: &ColumnKind) -> Vec<Cell> {
    match kind {
        ColumnKind::Int { min, max } => {
            [None, Some(*min), Some(*max), Some(i64::MAX), Some(i64::MIN)]
                .into_iter()
                .map(Cell::Int)
                .collect()
        }
        ColumnKind::Normal { min, max, .. } => {
            let mut edges = float_edges();
            edges.extend(min.iter().chain(max).map(|b| Cell::Float(Some(*b))));
            edges
        }
        ColumnKind::Uniform { min, .. } => {
            let mut edges = float_edges();
            edges.push(Cell::Float(Some(*min)));
            edges
        }
        ColumnKind::Decimal { min, max, decimals } => {
            let step = 10_f64.powi(-((*decimals).min(6) as i32));
            let mut edges = float_edges();
            edges.extend([*min, *max, -step].map(|x| Cell::Float(Some(x))));
            edges
        }
        ColumnKind::Category { values, .. } => text_edges(&unseen(values)),
        ColumnKind::OtherThan { column } => text_edges(&unseen(&categories_of(schema, column))),
        ColumnKind::Bool { .. } => vec![Cell::Bool(None)],
        ColumnKind::Date { start, end, format } => {
            let mut edges = vec![Cell::Text(None)];
            edges.extend(
                [*start, *end]
                    .into_iter()
                    .chain(edge_dates())
                    .map(|d| Cell::Text(date_text(d, format))),
            );
            edges.push(Cell::Text(Some("not a date".to_owned())));
            edges
        }
        ColumnKind::Pattern { .. } => {
            let mut edges = vec![Cell::Text(None)];
            edges.extend(edge_texts().into_iter().map(|t| Cell::Text(Some(t))));
            edges
        }
        ColumnKind::Derived { .. } | ColumnKind::Id { .. } => Vec::new(),
    }
}

/// Row counts: small tables (the lowest one or two counts) a fifth of the time, any count in the
/// range otherwise. Rows shrink by halves first (see [`crate::data::rows`]), then value by value.
fn rows_of(
    row: Vec<BoxedStrategy<Cell>>,
    rows: RangeInclusive<usize>,
) -> BoxedStrategy<Vec<Vec<Cell>>> {
    let lo = *rows.start();
    let hi = (*rows.end()).max(lo);
    let small_hi = hi.min(lo.saturating_add(1));
    let full = rows::rows(row.clone(), lo..=hi);
    if small_hi == hi {
        return full.boxed();
    }
    prop_oneof![1 => rows::rows(row, lo..=small_hi), 4 => full].boxed()
}

/// The `k`-th of `values` once the value `taken` holds is left out (`k` counts from the start of
/// `values` when `taken` is missing or not one of them).
fn other_value(values: &[String], taken: Option<&Option<String>>, k: usize) -> Option<String> {
    let taken = taken
        .and_then(Option::as_deref)
        .and_then(|t| values.iter().position(|v| v == t));
    let pick = match taken {
        Some(t) if k >= t => k + 1,
        _ => k,
    };
    values.get(pick).cloned()
}

fn table_of(columns: Vec<ColumnGen>, rows: RangeInclusive<usize>) -> BoxedStrategy<Table> {
    let (heads, row): (Vec<Head>, Vec<BoxedStrategy<Cell>>) =
        columns.into_iter().map(|c| (c.head, c.cells)).unzip();
    let vanishing: Vec<usize> = heads
        .iter()
        .enumerate()
        .filter(|(_, h)| h.may_vanish)
        .map(|(i, _)| i)
        .collect();
    // Now and then one whole column (of those that may lose their values) is missing.
    let empty_column = if vanishing.is_empty() {
        Just(None).boxed()
    } else {
        proptest::option::weighted(0.15, select(vanishing)).boxed()
    };
    (rows_of(row, rows), empty_column)
        .prop_map(move |(rows, empty)| build(&heads, &rows, empty))
        .boxed()
}

/// Assembles drawn rows into typed columns. A cell of the wrong type (which the strategies above
/// never draw) reads as missing.
fn build(heads: &[Head], rows: &[Vec<Cell>], empty: Option<usize>) -> Table {
    let mut table = Table::new();
    for (j, head) in heads.iter().enumerate() {
        let cells = rows.iter().map(|row| row.get(j).unwrap_or(&Cell::Next));
        let mut column = match &head.shape {
            Shape::Int => Column::Int(
                cells
                    .map(|c| match c {
                        Cell::Int(v) => *v,
                        _ => None,
                    })
                    .collect(),
            ),
            Shape::Float => Column::Float(
                cells
                    .map(|c| match c {
                        Cell::Float(v) => *v,
                        _ => None,
                    })
                    .collect(),
            ),
            Shape::Text => Column::Text(
                cells
                    .map(|c| match c {
                        Cell::Text(v) => v.clone(),
                        _ => None,
                    })
                    .collect(),
            ),
            Shape::Bool => Column::Bool(
                cells
                    .map(|c| match c {
                        Cell::Bool(v) => *v,
                        _ => None,
                    })
                    .collect(),
            ),
            Shape::Derived { expr } => super::schema::derived(expr, &table, rows.len()),
            Shape::OtherThan { of, values } => {
                let taken = match table.column(of) {
                    Some(Column::Text(v)) => v.as_slice(),
                    _ => &[],
                };
                Column::Text(
                    cells
                        .enumerate()
                        .map(|(i, c)| match c {
                            Cell::Other(k) => other_value(values, taken.get(i), *k),
                            Cell::Text(v) => v.clone(),
                            _ => None,
                        })
                        .collect(),
                )
            }
            Shape::Sequence {
                start,
                step,
                prefix,
            } => {
                // Saturate like the seeded generators: an odd step is not a reason to panic.
                let nth = |i: usize| {
                    let i = i64::try_from(i).unwrap_or(i64::MAX);
                    start.saturating_add(step.saturating_mul(i))
                };
                match prefix {
                    None => Column::Int(
                        cells
                            .enumerate()
                            .map(|(i, c)| match c {
                                Cell::Next => Some(nth(i)),
                                Cell::Int(v) => *v,
                                _ => None,
                            })
                            .collect(),
                    ),
                    Some(prefix) => Column::Text(
                        cells
                            .enumerate()
                            .map(|(i, c)| match c {
                                Cell::Next => Some(format!("{prefix}{}", nth(i))),
                                Cell::Text(v) => v.clone(),
                                _ => None,
                            })
                            .collect(),
                    ),
                }
            }
        };
        if empty == Some(j) {
            column = column.all_missing();
        }
        // Enforced on the built table, so every case (shrunk ones too) holds each value once.
        if let Some(kind) = &head.unique {
            super::unique::make_unique(kind, &mut column);
        }
        table.push(head.name.clone(), column);
    }
    table
}

#[cfg(test)]
mod tests {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{
        Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner,
    };

    use super::*;
    use crate::data::LabelSpec;

    fn samples(strategy: impl Strategy<Value = Table>, n: usize) -> Vec<Table> {
        let mut runner = TestRunner::deterministic();
        (0..n)
            .map(|_| strategy.new_tree(&mut runner).unwrap().current())
            .collect()
    }

    fn floats_of<'t>(t: &'t Table, name: &str) -> &'t [Option<f64>] {
        match t.column(name) {
            Some(Column::Float(v)) => v,
            other => panic!("{name}: {other:?}"),
        }
    }

    fn texts_of<'t>(t: &'t Table, name: &str) -> &'t [Option<String>] {
        match t.column(name) {
            Some(Column::Text(v)) => v,
            other => panic!("{name}: {other:?}"),
        }
    }

    fn ints_of<'t>(t: &'t Table, name: &str) -> &'t [Option<i64>] {
        match t.column(name) {
            Some(Column::Int(v)) => v,
            other => panic!("{name}: {other:?}"),
        }
    }

    fn all_missing(column: &Column) -> bool {
        match column {
            Column::Int(v) => v.iter().all(Option::is_none),
            Column::Float(v) => v.iter().all(Option::is_none),
            Column::Text(v) => v.iter().all(Option::is_none),
            Column::Bool(v) => v.iter().all(Option::is_none),
        }
    }

    #[test]
    fn every_profile_strategy_has_the_seeded_generators_columns() {
        let named: [(Profile, BoxedStrategy<Table>); 4] = [
            (Profile::Currency, currency().boxed()),
            (Profile::Tabular, tabular().boxed()),
            (Profile::Training, training().boxed()),
            (Profile::Generic, generic().boxed()),
        ];
        for (p, strategy) in named {
            let expected = TableSource::Profile(p).generate(3, 1).names().to_vec();
            for t in samples(strategy, 200) {
                assert_eq!(t.names(), expected, "{p}");
                assert!(t.rows() <= 50, "{p}: {} rows", t.rows());
                assert!(t.columns().iter().all(|c| c.len() == t.rows()));
            }
            for t in samples(table(&TableSource::Profile(p)), 20) {
                assert_eq!(t.names(), expected, "{p}");
            }
        }
    }

    #[test]
    fn row_counts_stay_in_the_range_asked_for() {
        let rows: Vec<usize> = samples(profile_with(Profile::Generic, 3..=7), 300)
            .iter()
            .map(Table::rows)
            .collect();
        assert!(rows.iter().all(|r| (3..=7).contains(r)), "{rows:?}");
        assert!(rows.contains(&3) && rows.contains(&7));
        // An empty range is read as its start.
        #[allow(clippy::reversed_empty_ranges)]
        let fixed = samples(profile_with(Profile::Generic, 5..=2), 20);
        assert!(fixed.iter().all(|t| t.rows() == 5));
    }

    #[test]
    fn the_inputs_that_break_scripts_are_reached() {
        let tables = samples(currency(), 500);
        let count = |f: &dyn Fn(&Table) -> bool| tables.iter().filter(|t| f(t)).count();
        assert!(count(&|t| t.rows() == 0) >= 10, "header-only tables");
        assert!(count(&|t| t.rows() == 1) >= 10, "one-row tables");
        assert!(
            count(&|t| t.rows() > 1 && t.columns().iter().any(all_missing)) >= 10,
            "a column missing in every row"
        );
        let amounts: Vec<Option<f64>> = tables
            .iter()
            .flat_map(|t| floats_of(t, "amount").to_vec())
            .collect();
        let has = |x: f64| amounts.iter().flatten().any(|a| a.to_bits() == x.to_bits());
        for x in [
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e300,
            -1e300,
            5e-324,
            -0.01,
        ] {
            assert!(has(x), "{x}");
        }
        assert!(amounts.iter().flatten().any(|a| a.is_nan()));
        assert!(amounts.iter().any(Option::is_none));
        let ordinary = amounts
            .iter()
            .flatten()
            .filter(|a| (1.0..=10_000.0).contains(*a))
            .count();
        let share = ordinary as f64 / amounts.len() as f64;
        assert!((0.6..0.9).contains(&share), "ordinary amounts: {share}");

        let texts: Vec<String> = tables
            .iter()
            .flat_map(|t| {
                ["from_currency", "to_currency", "date"]
                    .into_iter()
                    .flat_map(|c| texts_of(t, c).iter().flatten().cloned())
            })
            .collect();
        let has_text = |f: &dyn Fn(&str) -> bool| texts.iter().any(|s| f(s));
        assert!(has_text(&|s| s == "Zürich"));
        assert!(has_text(&|s| s == "東京"));
        assert!(has_text(&|s| s.contains('🚀')));
        assert!(has_text(&|s| s.contains(',') && !s.contains('\n')));
        assert!(has_text(&|s| s.contains('"')));
        assert!(has_text(&|s| s.contains('\n')));
        assert!(has_text(&|s| s.chars().count() >= 1000));
        assert!(has_text(&|s| s == "UNSEEN"), "a currency never seen before");
        for date in ["1970-01-01", "2024-02-29", "9999-12-31", "not a date"] {
            assert!(has_text(&|s| s == date), "{date}");
        }
    }

    #[test]
    fn ordinary_currency_pairs_are_distinct_like_the_seeded_ones() {
        let codes = ["USD", "EUR", "GBP", "JPY", "CAD"];
        let mut pairs = 0;
        for t in samples(currency(), 300) {
            let (from, to) = (texts_of(&t, "from_currency"), texts_of(&t, "to_currency"));
            for (f, to) in from.iter().zip(to) {
                if let (Some(f), Some(to)) = (f, to)
                    && codes.contains(&f.as_str())
                    && codes.contains(&to.as_str())
                {
                    assert_ne!(f, to);
                    pairs += 1;
                }
            }
        }
        assert!(pairs > 1_000, "{pairs}");
    }

    #[test]
    fn float_columns_get_nan_and_infinity_in_some_cases() {
        let tables = samples(training(), 200);
        let with_nan = tables
            .iter()
            .filter(|t| {
                (0..10).any(|i| {
                    floats_of(t, &format!("feature_{i}"))
                        .iter()
                        .flatten()
                        .any(|x| x.is_nan())
                })
            })
            .count();
        let with_inf = tables
            .iter()
            .filter(|t| {
                (0..10).any(|i| {
                    floats_of(t, &format!("feature_{i}"))
                        .iter()
                        .flatten()
                        .any(|x| x.is_infinite())
                })
            })
            .count();
        assert!(with_nan > 20 && with_nan < 200, "{with_nan}");
        assert!(with_inf > 20 && with_inf < 200, "{with_inf}");
    }

    #[test]
    fn profile_ids_are_their_exact_sequence_and_labels_0_or_1() {
        for p in [Profile::Tabular, Profile::Generic] {
            for t in samples(profile(p), 300) {
                let expected: Vec<Option<i64>> = (1..=t.rows() as i64).map(Some).collect();
                assert_eq!(ints_of(&t, "id"), expected, "{p}");
                if p == Profile::Tabular {
                    assert!(
                        ints_of(&t, "target")
                            .iter()
                            .all(|v| matches!(v, Some(0 | 1)))
                    );
                }
            }
        }
    }

    fn column(name: &str, kind: ColumnKind) -> ColumnSpec {
        ColumnSpec::new(name, kind)
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// A user's schema: every kind, with bounds, one column with a null rate, two unique ones.
    fn declared_schema() -> Schema {
        Schema {
            columns: vec![
                column(
                    "customer",
                    ColumnKind::Id {
                        start: 10,
                        step: 5,
                        prefix: Some("C-".into()),
                    },
                ),
                column("age", ColumnKind::Int { min: 18, max: 90 }),
                column("delta", ColumnKind::Int { min: -5, max: 5 }),
                ColumnSpec {
                    null_rate: 0.3,
                    ..column(
                        "income",
                        ColumnKind::Normal {
                            mean: 50_000.0,
                            std: 10_000.0,
                            min: Some(0.0),
                            max: None,
                        },
                    )
                },
                column(
                    "score",
                    ColumnKind::Normal {
                        mean: 0.0,
                        std: 1.0,
                        min: None,
                        max: None,
                    },
                ),
                column(
                    "clipped",
                    ColumnKind::Normal {
                        mean: 0.0,
                        std: 1.0,
                        min: Some(-1.0),
                        max: Some(1.0),
                    },
                ),
                column("ratio", ColumnKind::Uniform { min: 0.0, max: 1.0 }),
                column(
                    "amount",
                    ColumnKind::Decimal {
                        min: 1.0,
                        max: 10_000.0,
                        decimals: 2,
                    },
                ),
                column(
                    "signed",
                    ColumnKind::Decimal {
                        min: -10.0,
                        max: 10.0,
                        decimals: 2,
                    },
                ),
                column(
                    "segment",
                    ColumnKind::Category {
                        values: vec!["retail".into(), "UNSEEN".into(), "never".into()],
                        weights: Some(vec![1.0, 1.0, 0.0]),
                    },
                ),
                column(
                    "other",
                    ColumnKind::OtherThan {
                        column: "segment".into(),
                    },
                ),
                column("active", ColumnKind::Bool { p_true: 0.5 }),
                column(
                    "joined",
                    ColumnKind::Date {
                        start: date(2020, 1, 1),
                        end: date(2020, 12, 31),
                        format: "%d/%m/%Y".into(),
                    },
                ),
                column(
                    "code",
                    ColumnKind::Pattern {
                        pattern: "AB-#?*".into(),
                    },
                ),
                ColumnSpec {
                    unique: true,
                    ..column("key", ColumnKind::Int { min: 1, max: 40 })
                },
                ColumnSpec {
                    unique: true,
                    ..column(
                        "tag",
                        ColumnKind::Pattern {
                            pattern: "K#".into(),
                        },
                    )
                },
                column(
                    "ratio_2",
                    ColumnKind::Derived {
                        expr: "1 - ratio".into(),
                    },
                ),
            ],
            label: Some(LabelSpec {
                name: "churn".into(),
                weights: [("age".to_owned(), 0.1)].into(),
                noise: 1.0,
                threshold: 0.0,
            }),
        }
    }

    /// Missing values, NaN included.
    fn missing(column: &Column) -> usize {
        match column {
            Column::Int(v) => v.iter().filter(|x| x.is_none()).count(),
            Column::Float(v) => v.iter().filter(|x| x.is_none_or(f64::is_nan)).count(),
            Column::Text(v) => v.iter().filter(|x| x.is_none()).count(),
            Column::Bool(v) => v.iter().filter(|x| x.is_none()).count(),
        }
    }

    fn unique<T: PartialEq>(values: impl IntoIterator<Item = T>) -> bool {
        let values: Vec<T> = values.into_iter().collect();
        values
            .iter()
            .enumerate()
            .all(|(i, v)| !values[..i].contains(v))
    }

    /// Every fact `declared_schema` states, checked on one drawn table.
    fn keeps_the_declared_facts(t: &Table) -> Result<(), TestCaseError> {
        let schema = declared_schema();
        let names: Vec<&str> = schema
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .chain(["churn"])
            .collect();
        prop_assert_eq!(t.names(), names.as_slice());
        for (name, column) in t.names().iter().zip(t.columns()) {
            if name != "income" {
                prop_assert_eq!(missing(column), 0, "{} has missing values", name);
            }
        }
        let n = t.rows() as i64;
        let customers: Vec<Option<String>> =
            (0..n).map(|i| Some(format!("C-{}", 10 + 5 * i))).collect();
        prop_assert_eq!(texts_of(t, "customer"), customers.as_slice());
        prop_assert!(
            ints_of(t, "age")
                .iter()
                .flatten()
                .all(|a| (18..=90).contains(a))
        );
        prop_assert!(
            ints_of(t, "delta")
                .iter()
                .flatten()
                .all(|a| (-5..=5).contains(a))
        );
        prop_assert!(
            floats_of(t, "income")
                .iter()
                .flatten()
                .all(|x| x.is_nan() || *x >= 0.0)
        );
        prop_assert!(
            floats_of(t, "clipped")
                .iter()
                .flatten()
                .all(|x| (-1.0..=1.0).contains(x))
        );
        prop_assert!(
            floats_of(t, "ratio")
                .iter()
                .flatten()
                .all(|x| (0.0..1.0).contains(x))
        );
        for (name, lo, hi) in [("amount", 1.0, 10_000.0), ("signed", -10.0, 10.0)] {
            prop_assert!(
                floats_of(t, name)
                    .iter()
                    .flatten()
                    .all(|x| (lo..=hi).contains(x) && (x * 100.0).round() / 100.0 == *x),
                "{}: {:?}",
                name,
                floats_of(t, name)
            );
        }
        let segments = texts_of(t, "segment");
        prop_assert!(
            segments
                .iter()
                .flatten()
                .all(|s| s == "retail" || s == "UNSEEN")
        );
        for (s, o) in segments.iter().zip(texts_of(t, "other")) {
            let o = o.as_deref().unwrap_or_default();
            prop_assert!(["retail", "UNSEEN", "never"].contains(&o), "{}", o);
            prop_assert_ne!(s.as_deref(), Some(o));
        }
        prop_assert!(matches!(t.column("active"), Some(Column::Bool(_))));
        for d in texts_of(t, "joined").iter().flatten() {
            let day = NaiveDate::parse_from_str(d, "%d/%m/%Y");
            prop_assert!(
                day.is_ok_and(|day| (date(2020, 1, 1)..=date(2020, 12, 31)).contains(&day)),
                "{}",
                d
            );
        }
        for c in texts_of(t, "code").iter().flatten() {
            let b = c.as_bytes();
            prop_assert!(
                b.len() == 6
                    && c.starts_with("AB-")
                    && b[3].is_ascii_digit()
                    && b[4].is_ascii_uppercase()
                    && b[5].is_ascii_alphanumeric(),
                "{}",
                c
            );
        }
        prop_assert!(unique(ints_of(t, "key")));
        prop_assert!(
            ints_of(t, "key")
                .iter()
                .flatten()
                .all(|k| (1..=40).contains(k))
        );
        prop_assert!(unique(texts_of(t, "tag")));
        for (r, r2) in floats_of(t, "ratio").iter().zip(floats_of(t, "ratio_2")) {
            prop_assert_eq!(*r2, r.map(|r| round6(1.0 - r)));
        }
        prop_assert!(ints_of(t, "churn").iter().all(|v| matches!(v, Some(0 | 1))));
        Ok(())
    }

    fn runner(cases: u32) -> TestRunner {
        let config = Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        };
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
    }

    #[test]
    fn every_case_keeps_the_facts_a_schema_declares() {
        let strategy = schema_with(&declared_schema(), 0..=10);
        let result = runner(1_000).run(&strategy, |t| keeps_the_declared_facts(&t));
        assert!(result.is_ok(), "{result:?}");
    }

    #[test]
    fn declared_edge_values_are_reached_inside_the_settings_only() {
        let tables = samples(schema_with(&declared_schema(), 0..=30), 400);
        let ints = |name: &str| -> Vec<i64> {
            tables
                .iter()
                .flat_map(|t| {
                    ints_of(t, name)
                        .iter()
                        .flatten()
                        .copied()
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let floats = |name: &str| -> Vec<f64> {
            tables
                .iter()
                .flat_map(|t| {
                    floats_of(t, name)
                        .iter()
                        .flatten()
                        .copied()
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let texts = |name: &str| -> Vec<String> {
            tables
                .iter()
                .flat_map(|t| {
                    texts_of(t, name)
                        .iter()
                        .flatten()
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let has = |xs: &[f64], x: f64| xs.iter().any(|v| v.to_bits() == x.to_bits());
        let ages = ints("age");
        assert!(ages.contains(&18) && ages.contains(&90));
        let deltas = ints("delta");
        for x in [-5, 5, 0, -1] {
            assert!(deltas.contains(&x), "delta {x}");
        }
        let scores = floats("score");
        for x in [f64::INFINITY, f64::NEG_INFINITY, 1e300, -1e300, 0.0, -1e-6] {
            assert!(has(&scores, x), "score {x}");
        }
        // Bounded below: the open side only gets the huge values.
        let incomes = floats("income");
        for x in [0.0, 5e-324, f64::INFINITY, 1e300] {
            assert!(has(&incomes, x), "income {x}");
        }
        assert!(incomes.iter().all(|x| x.is_nan() || *x >= 0.0));
        assert!(
            incomes.iter().any(|x| x.is_nan()),
            "the null rate allows NaN"
        );
        let clipped = floats("clipped");
        for x in [-1.0, 1.0, 0.0, -1e-6] {
            assert!(has(&clipped, x), "clipped {x}");
        }
        assert!(clipped.iter().all(|x| x.is_finite()));
        let ratios = floats("ratio");
        assert!(has(&ratios, 0.0) && has(&ratios, 0.999_999));
        let signed = floats("signed");
        for x in [-10.0, 10.0, 0.0, -0.01] {
            assert!(has(&signed, x), "signed {x}");
        }
        assert!(
            !floats("amount").iter().any(|x| *x <= 0.0),
            "0 and -0.01 are outside 1.."
        );
        let joined = texts("joined");
        for d in ["01/01/2020", "31/12/2020"] {
            assert!(joined.iter().any(|j| j == d), "{d}");
        }
        let codes = texts("code");
        assert!(codes.iter().any(|c| c == "AB-0AA") && codes.iter().any(|c| c == "AB-9Z9"));
        // The null rate allows a column missing in every row, and only there.
        let vanished = |name: &str| {
            tables
                .iter()
                .filter(|t| t.rows() > 1 && all_missing(t.column(name).unwrap()))
                .count()
        };
        assert!(vanished("income") >= 10, "{}", vanished("income"));
        for name in ["age", "segment", "joined", "code", "customer", "churn"] {
            assert_eq!(vanished(name), 0, "{name}");
        }
    }

    #[test]
    fn edge_values_can_be_turned_off_for_one_column_or_for_every_column() {
        let mut schema = declared_schema();
        for spec in &mut schema.columns {
            if spec.name == "score" || spec.name == "income" {
                spec.edge_values = false;
            }
        }
        for t in samples(schema_with(&schema, 0..=20), 300) {
            for x in floats_of(&t, "score").iter().flatten() {
                assert!((-3.0..=3.0).contains(x), "score {x}");
            }
            // Missing values at the null rate remain, written as missing, not as NaN.
            for x in floats_of(&t, "income").iter().flatten() {
                assert!((20_000.0..=80_000.0).contains(x), "income {x}");
            }
        }
        let off = Cases {
            rows: 1..=20,
            edge_values: false,
        };
        let codes = ["USD", "EUR", "GBP", "JPY", "CAD"];
        for t in samples(
            table_cases(&TableSource::Profile(Profile::Currency), &off),
            300,
        ) {
            assert!((1..=20).contains(&t.rows()));
            assert!(t.columns().iter().all(|c| missing(c) == 0), "{t:?}");
            assert!(
                floats_of(&t, "amount")
                    .iter()
                    .flatten()
                    .all(|a| (1.0..=10_000.0).contains(a))
            );
            for c in ["from_currency", "to_currency"] {
                assert!(
                    texts_of(&t, c)
                        .iter()
                        .flatten()
                        .all(|v| codes.contains(&v.as_str()))
                );
            }
            assert!(
                texts_of(&t, "date")
                    .iter()
                    .flatten()
                    .all(|d| d.starts_with("2024-") || d.starts_with("2023-"))
            );
        }
        for t in samples(schema_cases(&declared_schema(), &off), 200) {
            assert!(
                floats_of(&t, "score")
                    .iter()
                    .flatten()
                    .all(|x| x.is_finite())
            );
            assert!(
                floats_of(&t, "income")
                    .iter()
                    .flatten()
                    .all(|x| !x.is_nan())
            );
        }
    }

    #[test]
    fn unique_columns_hold_each_value_once_even_when_the_values_barely_suffice() {
        let unique_column = |name: &str, kind: ColumnKind, null_rate: f64| ColumnSpec {
            unique: true,
            null_rate,
            ..column(name, kind)
        };
        let schema = Schema {
            columns: vec![
                unique_column("n", ColumnKind::Int { min: -4, max: 5 }, 0.0),
                unique_column(
                    "digit",
                    ColumnKind::Pattern {
                        pattern: "#".into(),
                    },
                    0.2,
                ),
                unique_column(
                    "day",
                    ColumnKind::Date {
                        start: date(2024, 2, 25),
                        end: date(2024, 3, 5),
                        format: "%Y-%m-%d".into(),
                    },
                    0.0,
                ),
                unique_column(
                    "cents",
                    ColumnKind::Decimal {
                        min: 0.0,
                        max: 0.09,
                        decimals: 2,
                    },
                    0.0,
                ),
                unique_column(
                    "letter",
                    ColumnKind::Category {
                        values: ('a'..='j').map(String::from).collect(),
                        weights: None,
                    },
                    0.0,
                ),
            ],
            label: None,
        };
        schema.validate().unwrap();
        schema.check_rows(10).unwrap();
        let strategy = schema_with(&schema, 0..=10);
        let result = runner(500).run(&strategy, |t| {
            prop_assert!(unique(ints_of(&t, "n").iter().flatten()));
            prop_assert!(unique(texts_of(&t, "digit").iter().flatten()));
            prop_assert!(unique(texts_of(&t, "day").iter().flatten()));
            let cents: Vec<u64> = floats_of(&t, "cents")
                .iter()
                .flatten()
                .map(|x| x.to_bits())
                .collect();
            prop_assert!(unique(cents));
            prop_assert!(unique(texts_of(&t, "letter").iter().flatten()));
            prop_assert!(
                ints_of(&t, "n")
                    .iter()
                    .flatten()
                    .all(|n| (-4..=5).contains(n))
            );
            Ok(())
        });
        assert!(result.is_ok(), "{result:?}");

        // A failing case shrinks to a table that is still unique.
        let result = shrinking_runner().run(&strategy, |t| {
            if t.rows() >= 6 {
                Err(TestCaseError::fail("six rows"))
            } else {
                Ok(())
            }
        });
        let Err(TestError::Fail(_, minimal)) = result else {
            panic!("{result:?}")
        };
        assert_eq!(minimal.rows(), 6);
        assert!(unique(ints_of(&minimal, "n").iter().flatten()));
        assert!(unique(texts_of(&minimal, "letter").iter().flatten()));
    }

    #[test]
    fn a_row_range_with_a_minimum_never_draws_fewer_rows() {
        for min in [1, 5] {
            let rows: Vec<usize> = samples(schema_with(&declared_schema(), min..=12), 200)
                .iter()
                .map(Table::rows)
                .collect();
            assert!(rows.iter().all(|r| (min..=12).contains(r)), "{rows:?}");
            assert!(rows.contains(&min), "small tables start at the minimum");
        }
    }

    #[test]
    fn an_invalid_schema_gives_tables_instead_of_panicking() {
        let schema = Schema {
            columns: vec![
                ColumnSpec {
                    null_rate: 2.0,
                    ..column("n", ColumnKind::Int { min: 5, max: 1 })
                },
                ColumnSpec {
                    null_rate: f64::NAN,
                    unique: true,
                    ..column(
                        "c",
                        ColumnKind::Category {
                            values: vec![],
                            weights: None,
                        },
                    )
                },
                ColumnSpec {
                    unique: true,
                    ..column(
                        "u",
                        ColumnKind::Uniform {
                            min: f64::NEG_INFINITY,
                            max: f64::INFINITY,
                        },
                    )
                },
                ColumnSpec {
                    unique: true,
                    ..column("b", ColumnKind::Bool { p_true: 0.5 })
                },
            ],
            label: None,
        };
        for t in samples(schema_with(&schema, 0..=5), 50) {
            assert_eq!(t.names(), ["n", "c", "u", "b"]);
        }
    }

    fn shrinking_runner() -> TestRunner {
        let config = Config {
            cases: 256,
            failure_persistence: None,
            ..Config::default()
        };
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
    }

    #[test]
    fn a_failing_table_shrinks_to_the_smallest_counterexample() {
        let mut runner = shrinking_runner();
        let result = runner.run(&generic(), |t| {
            if t.rows() > 3 {
                Err(TestCaseError::fail("more than 3 rows"))
            } else {
                Ok(())
            }
        });
        let Err(TestError::Fail(_, minimal)) = result else {
            panic!("{result:?}")
        };
        assert_eq!(minimal.rows(), 4);
        // Every value went back to the plainest ordinary one.
        assert_eq!(
            ints_of(&minimal, "id"),
            [Some(1), Some(2), Some(3), Some(4)]
        );
        assert!(
            floats_of(&minimal, "value")
                .iter()
                .all(|v| v.is_some_and(f64::is_finite))
        );
        assert!(
            texts_of(&minimal, "category")
                .iter()
                .all(|c| c.as_deref() == Some("X"))
        );
    }

    #[test]
    fn a_bad_value_shrinks_to_one_row_holding_it() {
        let mut runner = shrinking_runner();
        let result = runner.run(&currency(), |t| {
            if floats_of(&t, "amount").iter().flatten().any(|a| *a < 0.0) {
                Err(TestCaseError::fail("negative amount"))
            } else {
                Ok(())
            }
        });
        let Err(TestError::Fail(_, minimal)) = result else {
            panic!("{result:?}")
        };
        assert_eq!(minimal.rows(), 1);
        assert!(floats_of(&minimal, "amount")[0].is_some_and(|a| a < 0.0));
        assert_eq!(
            texts_of(&minimal, "from_currency")[0].as_deref(),
            Some("USD")
        );
    }
}
