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
    table_of(schema_columns(schema, cases.edge_values), cases.rows.clone())
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
        Shape::Float if edges_on => select(vec![Cell::Float(None), Cell::Float(Some(f64::NAN))])
            .boxed(),
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
            xs.extend([0.0, -1e-6, 5e-324].into_iter().filter(|x| within(*x, min, max)));
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
        ColumnKind::Int { min, max } => [None, Some(*min), Some(*max), Some(i64::MAX), Some(i64::MIN)]
            .into_iter()
            .map(Cell::Int)
            .collect(),
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
/// range otherwise. Rows are a `vec`, so proptest shrinks their number first.
fn rows_of(
    row: Vec<BoxedStrategy<Cell>>,
    rows: RangeInclusive<usize>,
) -> BoxedStrategy<Vec<Vec<Cell>>> {
    let lo = *rows.start();
    let hi = (*rows.end()).max(lo);
    let small_hi = hi.min(lo.saturating_add(1));
    let full = vec(row.clone(), lo..=hi);
    if small_hi == hi {
        return full.boxed();
    }
    prop_oneof![1 => vec(row, lo..=small_hi), 4 => full].boxed()
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
    use crate::data::{ColumnSpec, LabelSpec};

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
    fn ids_are_mostly_sequential_with_duplicates_in_some_tables() {
        for p in [Profile::Tabular, Profile::Generic] {
            let tables = samples(profile(p), 300);
            let duplicated = tables
                .iter()
                .filter(|t| {
                    let ids: Vec<i64> = ints_of(t, "id").iter().flatten().copied().collect();
                    let unique: std::collections::BTreeSet<i64> = ids.iter().copied().collect();
                    unique.len() < ids.len()
                })
                .count();
            assert!(duplicated >= 20, "{p}: {duplicated}");
            let sequential = tables
                .iter()
                .flat_map(|t| {
                    ints_of(t, "id")
                        .iter()
                        .enumerate()
                        .map(|(i, id)| *id == Some(i as i64 + 1))
                })
                .filter(|s| *s)
                .count();
            let total: usize = tables.iter().map(Table::rows).sum();
            assert!(sequential as f64 > 0.6 * total as f64, "{p}");
        }
    }

    fn sample_schema() -> Schema {
        let column = |name: &str, kind: ColumnKind, null_rate: f64| ColumnSpec {
            name: name.to_owned(),
            kind,
            null_rate,
        };
        Schema {
            columns: vec![
                column(
                    "customer",
                    ColumnKind::Id {
                        start: 10,
                        step: 5,
                        prefix: Some("C-".into()),
                    },
                    0.0,
                ),
                column("age", ColumnKind::Int { min: 18, max: 90 }, 0.0),
                column(
                    "income",
                    ColumnKind::Normal {
                        mean: 50_000.0,
                        std: 10_000.0,
                        min: Some(0.0),
                        max: None,
                    },
                    0.3,
                ),
                column("ratio", ColumnKind::Uniform { min: 0.0, max: 1.0 }, 0.0),
                column(
                    "segment",
                    ColumnKind::Category {
                        values: vec!["retail".into(), "UNSEEN".into()],
                        weights: None,
                    },
                    0.0,
                ),
                column("active", ColumnKind::Bool { p_true: 0.5 }, 0.0),
                column(
                    "joined",
                    ColumnKind::Date {
                        start: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
                        end: NaiveDate::from_ymd_opt(2020, 12, 31).unwrap(),
                        format: "%d/%m/%Y".into(),
                    },
                    0.0,
                ),
                column(
                    "code",
                    ColumnKind::Pattern {
                        pattern: "AB-#?*".into(),
                    },
                    0.0,
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

    #[test]
    fn schema_strategies_follow_the_columns_and_step_outside_them_at_the_edges() {
        let schema = sample_schema();
        let expected = schema.generate(3, 1).names().to_vec();
        let tables = samples(schema_with(&schema, 0..=30), 300);
        for t in &tables {
            assert_eq!(t.names(), expected);
            assert!(matches!(t.column("active"), Some(Column::Bool(_))));
            assert!(matches!(t.column("churn"), Some(Column::Int(_))));
        }
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
        let customers = texts("customer");
        assert!(customers.iter().any(|c| c == "C-10"));
        assert!(customers.iter().any(|c| c == "C-15"));
        let codes = texts("code");
        let ordinary = codes
            .iter()
            .filter(|c| {
                let b = c.as_bytes();
                b.len() == 6
                    && c.starts_with("AB-")
                    && b[3].is_ascii_digit()
                    && b[4].is_ascii_uppercase()
                    && b[5].is_ascii_alphanumeric()
            })
            .count();
        assert!(ordinary as f64 > 0.6 * codes.len() as f64);
        let joined = texts("joined");
        for date in [
            "01/01/2020",
            "31/12/2020",
            "01/01/1970",
            "29/02/2024",
            "31/12/9999",
        ] {
            assert!(joined.iter().any(|d| d == date), "{date}");
        }
        let segments = texts("segment");
        assert!(
            segments.iter().any(|s| s == "UNSEEN_"),
            "an unseen category"
        );
        let ages: Vec<i64> = tables
            .iter()
            .flat_map(|t| {
                ints_of(t, "age")
                    .iter()
                    .flatten()
                    .copied()
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(ages.contains(&i64::MAX) && ages.contains(&18));
        // The null rate adds missing incomes on top of the edge values.
        let incomes: Vec<Option<f64>> = tables
            .iter()
            .flat_map(|t| floats_of(t, "income").to_vec())
            .collect();
        let missing = incomes.iter().filter(|x| x.is_none()).count() as f64;
        assert!(missing / incomes.len() as f64 > 0.15, "{missing}");
    }

    #[test]
    fn an_invalid_schema_gives_tables_instead_of_panicking() {
        let schema = Schema {
            columns: vec![
                ColumnSpec {
                    name: "n".into(),
                    kind: ColumnKind::Int { min: 5, max: 1 },
                    null_rate: 2.0,
                },
                ColumnSpec {
                    name: "c".into(),
                    kind: ColumnKind::Category {
                        values: vec![],
                        weights: None,
                    },
                    null_rate: f64::NAN,
                },
                ColumnSpec {
                    name: "u".into(),
                    kind: ColumnKind::Uniform {
                        min: f64::NEG_INFINITY,
                        max: f64::INFINITY,
                    },
                    null_rate: 0.0,
                },
            ],
            label: None,
        };
        for t in samples(schema_with(&schema, 0..=5), 50) {
            assert_eq!(t.names(), ["n", "c", "u"]);
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
