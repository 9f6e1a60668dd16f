//! proptest strategies over whole datasets: every value is a [`Table`] with the same columns, in
//! the same order, as the seeded generator of the same [schema](crate::data::Schema) writes
//! (a [profile](crate::data::Profile) is a preset schema).
//!
//! Most rows look like the seeded data, but edge values turn up often (without dominating):
//! tables with no rows (a header only) or one row, a column that is missing in every row, NaN,
//! ±inf and extreme magnitudes (`1e300`, `-1e300`, `5e-324`) in float columns, negative amounts,
//! very long and non-ASCII text (`Zürich`, `東京`, emoji, commas, quotes, line breaks), duplicate
//! ids, categories the script has never seen, dates at the edges (`1970-01-01`, `2024-02-29`,
//! `9999-12-31`) and text that is no date. A failing table shrinks towards fewer rows and towards
//! ordinary values.
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
    ALPHANUMERIC, Column, ColumnKind, PatternPart, Profile, Schema, Table, TableSource, UPPER,
    checked_date_format, decimal, parse_pattern, round6,
};

/// The row counts of the strategies that take none: 0 to 50 rows.
pub const DEFAULT_ROWS: RangeInclusive<usize> = 0..=50;

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
/// sequence); edge values deliberately step outside them. A column with a null rate is missing
/// more often. Settings that [`Schema::validate`] rejects do not panic: they give the bound they
/// name (`min` of an inverted range) or missing values.
pub fn schema(schema: &Schema) -> BoxedStrategy<Table> {
    schema_with(schema, DEFAULT_ROWS)
}

/// Tables of `schema`'s columns with a row count in `rows`.
pub fn schema_with(schema: &Schema, rows: RangeInclusive<usize>) -> BoxedStrategy<Table> {
    table_of(schema_columns(schema), rows)
}

/// Tables like those `source` generates, with 0 to 50 rows.
pub fn table(source: &TableSource) -> BoxedStrategy<Table> {
    table_with(source, DEFAULT_ROWS)
}

/// Tables like those `source` generates, with a row count in `rows` (an empty range is read as
/// its start).
pub fn table_with(source: &TableSource, rows: RangeInclusive<usize>) -> BoxedStrategy<Table> {
    match source {
        TableSource::Profile(p) => profile_with(*p, rows),
        TableSource::Schema(s) => schema_with(s, rows),
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
/// such a column replaces it (a duplicate, a gap, a missing id, an unseen category).
#[derive(Debug, Clone)]
enum Cell {
    Int(Option<i64>),
    Float(Option<f64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Next,
    Other(usize),
}

/// A column's name, type and the strategy of one of its values.
struct ColumnGen {
    name: String,
    shape: Shape,
    cells: BoxedStrategy<Cell>,
}

impl ColumnGen {
    fn new(name: impl Into<String>, shape: Shape, cells: BoxedStrategy<Cell>) -> ColumnGen {
        ColumnGen {
            name: name.into(),
            shape,
            cells,
        }
    }
}

/// How often a value is ordinary, an edge value, or (for schema columns with a null rate) missing.
const NORMAL_WEIGHT: u32 = 8;
const EDGE_WEIGHT: u32 = 2;

/// Ordinary values most of the time, edge values some of the time, and `nulls` (a weight and the
/// column's missing value) when a schema asks for more missing values. The ordinary strategy
/// comes first so that shrinking moves towards it; edge values shrink towards the first of the
/// list.
fn cells(
    normal: BoxedStrategy<Cell>,
    edges: Vec<Cell>,
    nulls: Option<(u32, Cell)>,
) -> BoxedStrategy<Cell> {
    let mut arms = vec![(NORMAL_WEIGHT, normal)];
    if !edges.is_empty() {
        arms.push((EDGE_WEIGHT, select(edges).boxed()));
    }
    if let Some((weight, null)) = nulls.filter(|(w, _)| *w > 0) {
        arms.push((weight, Just(null).boxed()));
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

/// Edge float cells: missing, zeros, NaN, ±inf, extreme magnitudes, a negative number.
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

/// Floats in `lo..hi`, rounded to six decimals (`lo` when the range is empty or not finite).
fn floats(lo: f64, hi: f64) -> BoxedStrategy<Cell> {
    if lo < hi && (hi - lo).is_finite() {
        (lo..hi).prop_map(|x| Cell::Float(Some(round6(x)))).boxed()
    } else {
        Just(Cell::Float(Some(lo))).boxed()
    }
}

fn one_of_texts(values: Vec<String>) -> BoxedStrategy<Cell> {
    if values.is_empty() {
        Just(Cell::Text(None)).boxed()
    } else {
        select(values).prop_map(|v| Cell::Text(Some(v))).boxed()
    }
}

/// A 0/1 label: edge values are missing, a third class and a negative label.
fn binary_label() -> BoxedStrategy<Cell> {
    cells(
        select(vec![0_i64, 1])
            .prop_map(|v| Cell::Int(Some(v)))
            .boxed(),
        vec![Cell::Int(None), Cell::Int(Some(2)), Cell::Int(Some(-1))],
        None,
    )
}

/// An id sequence `start, start + step, …`; edge values repeat the first id (a duplicate), leave
/// it out, or use extreme numbers.
fn id_column(name: &str, start: i64, step: i64, prefix: Option<String>) -> ColumnGen {
    let edges = match &prefix {
        None => vec![
            Cell::Int(Some(start)),
            Cell::Int(None),
            Cell::Int(Some(0)),
            Cell::Int(Some(-1)),
            Cell::Int(Some(i64::MAX)),
            Cell::Int(Some(i64::MIN)),
        ],
        Some(p) => {
            let mut edges = vec![Cell::Text(Some(format!("{p}{start}"))), Cell::Text(None)];
            edges.extend(edge_texts().into_iter().map(|t| Cell::Text(Some(t))));
            edges
        }
    };
    ColumnGen::new(
        name,
        Shape::Sequence {
            start,
            step,
            prefix,
        },
        cells(Just(Cell::Next).boxed(), edges, None),
    )
}

fn date_text(date: NaiveDate, format: &str) -> Option<String> {
    let items = checked_date_format(format).ok()?;
    let mut text = String::with_capacity(format.len() + 8);
    write!(text, "{}", date.format_with_items(items.iter())).ok()?;
    Some(text)
}

/// Dates at the edges: the Unix epoch, a leap day, the last day four-digit years can spell.
/// (Date columns also get a text that is no date at all.)
fn edge_dates() -> [NaiveDate; 3] {
    [(1970, 1, 1), (2024, 2, 29), (9999, 12, 31)]
        .map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN))
}

fn schema_columns(schema: &Schema) -> Vec<ColumnGen> {
    let mut columns: Vec<ColumnGen> = schema
        .columns
        .iter()
        .map(|spec| {
            if let ColumnKind::Id {
                start,
                step,
                prefix,
            } = &spec.kind
            {
                return id_column(&spec.name, *start, *step, prefix.clone());
            }
            let (shape, normal, edges) = schema_column(schema, &spec.kind);
            // A null rate makes missing values more likely, on top of the edge values (which
            // include a missing one): a rate of 10% adds about as many nulls as edge values.
            let weight = if spec.null_rate > 0.0 && spec.null_rate.is_finite() {
                (spec.null_rate.min(1.0) * 10.0).ceil() as u32
            } else {
                0
            };
            let null = match shape {
                Shape::Float => Cell::Float(None),
                Shape::Bool => Cell::Bool(None),
                Shape::Int => Cell::Int(None),
                Shape::Text | Shape::Sequence { .. } | Shape::OtherThan { .. } => Cell::Text(None),
                Shape::Derived { .. } => Cell::Float(None),
            };
            if let Shape::Derived { .. } = shape {
                // Missing only where its inputs are: no nulls or edge values of its own.
                return ColumnGen::new(spec.name.clone(), shape, normal);
            }
            let cells = cells(normal, edges, Some((weight, null)));
            ColumnGen::new(spec.name.clone(), shape, cells)
        })
        .collect();
    if let Some(label) = &schema.label {
        columns.push(ColumnGen::new(
            label.name.clone(),
            Shape::Int,
            binary_label(),
        ));
    }
    columns
}

/// A value no listed category equals, so that it is new to the script.
fn unseen(values: &[String]) -> String {
    let mut unseen = "UNSEEN".to_owned();
    while values.contains(&unseen) {
        unseen.push('_');
    }
    unseen
}

/// A schema column's type, ordinary values and edge values.
fn schema_column(schema: &Schema, kind: &ColumnKind) -> (Shape, BoxedStrategy<Cell>, Vec<Cell>) {
    match kind {
        ColumnKind::Int { min, max } => {
            let normal = if min <= max {
                (*min..=*max).prop_map(|v| Cell::Int(Some(v))).boxed()
            } else {
                Just(Cell::Int(Some(*min))).boxed()
            };
            let edges = [None, Some(*min), Some(*max), Some(i64::MAX), Some(i64::MIN)]
                .into_iter()
                .map(Cell::Int)
                .collect();
            (Shape::Int, normal, edges)
        }
        ColumnKind::Normal {
            mean,
            std,
            min,
            max,
        } => {
            let (min, max) = (*min, *max);
            let lo = min.map_or(mean - 3.0 * std, |m| m.max(mean - 3.0 * std));
            let hi = max.map_or(mean + 3.0 * std, |m| m.min(mean + 3.0 * std));
            let normal = if lo < hi {
                floats(lo, hi)
            } else {
                Just(Cell::Float(Some(*mean))).boxed()
            };
            let mut edges = float_edges();
            edges.extend(min.into_iter().chain(max).map(|b| Cell::Float(Some(b))));
            (Shape::Float, normal, edges)
        }
        ColumnKind::Uniform { min, max } => {
            let mut edges = float_edges();
            edges.push(Cell::Float(Some(*min)));
            (Shape::Float, floats(*min, *max), edges)
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
            // The bounds, and the smallest negative value at the column's precision (-0.01 for
            // money): a sign check that forgets rounding lets it through.
            let step = 10_f64.powi(-(decimals.min(6) as i32));
            let mut edges = float_edges();
            edges.extend([min, max, -step].map(|x| Cell::Float(Some(x))));
            (Shape::Float, normal, edges)
        }
        ColumnKind::Category { values, .. } => (
            Shape::Text,
            one_of_texts(values.clone()),
            text_edges(&unseen(values)),
        ),
        ColumnKind::Derived { expr } => (
            Shape::Derived { expr: expr.clone() },
            Just(Cell::Float(None)).boxed(),
            Vec::new(),
        ),
        ColumnKind::OtherThan { column } => {
            let values = match schema.columns.iter().find(|c| c.name == *column) {
                Some(spec) => match &spec.kind {
                    ColumnKind::Category { values, .. } => values.clone(),
                    _ => Vec::new(),
                },
                None => Vec::new(),
            };
            let edges = text_edges(&unseen(&values));
            if values.len() < 2 {
                return (Shape::Text, Just(Cell::Text(None)).boxed(), edges);
            }
            let normal = (0..values.len() - 1).prop_map(Cell::Other).boxed();
            let shape = Shape::OtherThan {
                of: column.clone(),
                values,
            };
            (shape, normal, edges)
        }
        ColumnKind::Bool { .. } => (
            Shape::Bool,
            any::<bool>().prop_map(|b| Cell::Bool(Some(b))).boxed(),
            vec![Cell::Bool(None)],
        ),
        ColumnKind::Date { start, end, format } => {
            let (start, end) = (*start, (*end).max(*start));
            let days = (end - start).num_days().max(0) as u64;
            let fmt = format.clone();
            let normal = (0..=days)
                .prop_map(move |n| Cell::Text(date_text(start + Days::new(n), &fmt)))
                .boxed();
            let mut edges = vec![Cell::Text(None)];
            edges.extend(
                [start, end]
                    .into_iter()
                    .chain(edge_dates())
                    .map(|d| Cell::Text(date_text(d, format))),
            );
            edges.push(Cell::Text(Some("not a date".to_owned())));
            (Shape::Text, normal, edges)
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
            let mut edges = vec![Cell::Text(None)];
            edges.extend(edge_texts().into_iter().map(|t| Cell::Text(Some(t))));
            (Shape::Text, normal, edges)
        }
        // Id columns are built by `id_column`; this arm only keeps the match exhaustive.
        ColumnKind::Id { .. } => (Shape::Int, Just(Cell::Int(None)).boxed(), Vec::new()),
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
    let shapes: Vec<(String, Shape)> = columns
        .iter()
        .map(|c| (c.name.clone(), c.shape.clone()))
        .collect();
    let row: Vec<BoxedStrategy<Cell>> = columns.into_iter().map(|c| c.cells).collect();
    let width = shapes.len();
    // Now and then one whole column is missing: a feed that lost a field.
    let empty_column = if width == 0 {
        Just(None).boxed()
    } else {
        proptest::option::weighted(0.15, 0..width).boxed()
    };
    (rows_of(row, rows), empty_column)
        .prop_map(move |(rows, empty)| build(&shapes, &rows, empty))
        .boxed()
}

/// Assembles drawn rows into typed columns. A cell of the wrong type (which the strategies above
/// never draw) reads as missing.
fn build(shapes: &[(String, Shape)], rows: &[Vec<Cell>], empty: Option<usize>) -> Table {
    let mut table = Table::new();
    for (j, (name, shape)) in shapes.iter().enumerate() {
        let cells = rows.iter().map(|row| row.get(j).unwrap_or(&Cell::Next));
        let mut column = match shape {
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
        // A derived column follows its inputs, never a lost field of its own.
        if empty == Some(j) && !matches!(shape, Shape::Derived { .. }) {
            column = column.all_missing();
        }
        table.push(name.clone(), column);
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
