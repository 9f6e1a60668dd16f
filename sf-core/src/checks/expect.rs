//! Value expectations: what the data of a channel says, not only that it is there. Non-null and
//! unique columns, allowed values, ranges, means, probabilities that sum to one, row counts
//! against an input, expressions over rows or aggregates, and values at JSON pointers.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::channel::Problem;
use super::rows::{Cell, Number, for_each_row};
use super::shape::read_table_shape;

/// Inclusive bounds `[min, max]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bounds {
    /// The least value allowed.
    pub min: f64,
    /// The greatest value allowed.
    pub max: f64,
}

impl Bounds {
    /// Whether `x` lies within the bounds.
    pub fn contains(self, x: f64) -> bool {
        x >= self.min && x <= self.max
    }
}

impl fmt::Display for Bounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {}]", Number(self.min), Number(self.max))
    }
}

/// How many data rows a channel holds against one of the script's input channels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowsVsInput {
    /// As many rows as the input channel's tables.
    EqualToInput(String),
    /// No more rows than the input channel's tables.
    AtMostInput(String),
}

/// What a value at a JSON pointer must be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonExpectation {
    /// A number within the bounds.
    Range(Bounds),
    /// Exactly this value.
    Equals(serde_json::Value),
}

/// Expectations on the values of a channel's tables (CSV, TSV, JSON Lines) and JSON files.
/// Missing values (empty, `null`, `NaN`) are the business of `not_null` alone: `values`, `range`
/// and `mean` look at the values that are there, while `sum_to_one` and `expr` fail a row that
/// lacks what they read.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Expectations {
    /// Columns that must have a value in every row.
    pub not_null: Vec<String>,
    /// Columns whose values never repeat, across all the channel's tables.
    pub unique: Vec<String>,
    /// Columns and the only values they may hold.
    pub values: BTreeMap<String, Vec<serde_json::Value>>,
    /// Columns and the bounds of their values.
    pub range: BTreeMap<String, Bounds>,
    /// The channel's data rows against an input channel's.
    pub rows: Option<RowsVsInput>,
    /// Columns that sum to 1 (within 1e-6) in every row, such as class probabilities.
    pub sum_to_one: Vec<String>,
    /// Columns and the bounds of their mean in each table.
    pub mean: BTreeMap<String, Bounds>,
    /// Expressions (evalexpr syntax) that must be true: for every row of every table when they
    /// read a column, once per table when they read only aggregates (`rows`, `mean.COL`,
    /// `sum.COL`, `min.COL`, `max.COL`); over a JSON file's values (`auc`, `metrics.auc`) when
    /// the channel holds no table.
    pub expr: Vec<String>,
    /// JSON pointers (`/auc_roc`) into the channel's JSON files and what must be there.
    pub json: BTreeMap<String, JsonExpectation>,
}

/// An expectation that did not hold, with the file, the column and some offending rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpectationFailure {
    /// The file, relative to the channel.
    pub file: String,
    /// The column (or JSON pointer) the expectation is about, if one.
    pub column: Option<String>,
    /// The expectation as written: `range [0, 1]`, `not_null`, `expr "auc >= 0.5"`.
    pub expectation: String,
    /// How many rows break it (0 when it is about a whole table).
    pub failing: usize,
    /// How many rows were looked at.
    pub checked: usize,
    /// The first offending rows: `row 4: prob = 1.2`.
    pub rows: Vec<String>,
    /// What was found, for an expectation about a whole table or file (`mean 0.02`).
    pub found: Option<String>,
}

/// How many offending rows a failure shows.
const SHOWN_ROWS: usize = 5;

impl fmt::Display for ExpectationFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file)?;
        if let Some(column) = &self.column {
            write!(f, "`{column}` ")?;
        }
        write!(f, "fails {}", self.expectation)?;
        if let Some(found) = &self.found {
            write!(f, ": {found}")?;
        }
        if self.failing > 0 {
            write!(
                f,
                " in {} of {} rows: {}",
                self.failing,
                self.checked,
                self.rows.join("; ")
            )?;
            if self.failing > self.rows.len() {
                write!(f, "; and {} more", self.failing - self.rows.len())?;
            }
        }
        Ok(())
    }
}

impl Expectations {
    /// True when nothing is expected.
    pub fn is_empty(&self) -> bool {
        *self == Expectations::default()
    }

    fn on_tables(&self) -> bool {
        !(self.not_null.is_empty()
            && self.unique.is_empty()
            && self.values.is_empty()
            && self.range.is_empty()
            && self.rows.is_none()
            && self.sum_to_one.is_empty()
            && self.mean.is_empty())
    }

    /// Every column a table must have for these expectations, with the expectation that names
    /// it.
    fn columns(&self) -> Vec<(&str, String)> {
        let mut out: Vec<(&str, String)> = Vec::new();
        out.extend(
            self.not_null
                .iter()
                .map(|c| (c.as_str(), "not_null".to_owned())),
        );
        out.extend(
            self.unique
                .iter()
                .map(|c| (c.as_str(), "unique".to_owned())),
        );
        out.extend(
            self.values
                .iter()
                .map(|(c, v)| (c.as_str(), values_name(v))),
        );
        out.extend(
            self.range
                .iter()
                .map(|(c, b)| (c.as_str(), format!("range {b}"))),
        );
        out.extend(
            self.sum_to_one
                .iter()
                .map(|c| (c.as_str(), "sum_to_one".to_owned())),
        );
        out.extend(
            self.mean
                .iter()
                .map(|(c, b)| (c.as_str(), format!("mean {b}"))),
        );
        out
    }

    /// Checks the tables and JSON files (each `(shown name, path)`) of a channel; `input` finds
    /// the directory of an input channel for `rows`.
    pub(crate) fn check(
        &self,
        tables: &[(String, PathBuf)],
        jsons: &[(String, PathBuf)],
        input: Option<&dyn Fn(&str) -> PathBuf>,
    ) -> Result<(), Problem> {
        let table_exprs = !self.expr.is_empty() && !tables.is_empty();
        if (self.on_tables() || table_exprs) && tables.is_empty() {
            return Err(Problem::NoTables {
                columns: Vec::new(),
            });
        }
        let mut unique: Vec<HashMap<String, (usize, usize)>> =
            self.unique.iter().map(|_| HashMap::new()).collect();
        let mut total = 0;
        for (index, (shown, path)) in tables.iter().enumerate() {
            total += self.check_table(index, tables, shown, path, &mut unique, table_exprs)?;
        }
        if let Some(rows) = &self.rows {
            self.check_rows(rows, total, tables, input)?;
        }
        let json_exprs = !self.expr.is_empty() && tables.is_empty();
        if (!self.json.is_empty() || json_exprs) && jsons.is_empty() {
            return Err(Problem::NoJson);
        }
        if !self.json.is_empty() || json_exprs {
            for (shown, path) in jsons {
                self.check_json(shown, path, json_exprs)?;
            }
        }
        Ok(())
    }

    fn check_rows(
        &self,
        rows: &RowsVsInput,
        total: usize,
        tables: &[(String, PathBuf)],
        input: Option<&dyn Fn(&str) -> PathBuf>,
    ) -> Result<(), Problem> {
        let (channel, at_most) = match rows {
            RowsVsInput::EqualToInput(c) => (c, false),
            RowsVsInput::AtMostInput(c) => (c, true),
        };
        let name = format!(
            "rows {} input `{channel}`",
            if at_most { "at most" } else { "equal to" }
        );
        let whole = |found: String| {
            Problem::Expectation(Box::new(ExpectationFailure {
                file: tables
                    .iter()
                    .map(|(s, _)| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                column: None,
                expectation: name.clone(),
                failing: 0,
                checked: total,
                rows: Vec::new(),
                found: Some(found),
            }))
        };
        let Some(dir) = input.map(|f| f(channel)).filter(|d| d.is_dir()) else {
            return Err(whole(format!(
                "there is no input channel `{channel}` to count"
            )));
        };
        let mut given = 0;
        let mut any = false;
        for file in crate::tree::files(&dir)
            .into_iter()
            .filter(|f| super::shape::is_tabular(f))
        {
            any = true;
            given += read_table_shape(&file)
                .map_err(|e| whole(format!("cannot read input {}: {e}", file.display())))?
                .rows;
        }
        if !any {
            return Err(whole(format!(
                "input `{channel}` holds no CSV, TSV or JSON Lines file to count"
            )));
        }
        if (at_most && total > given) || (!at_most && total != given) {
            return Err(whole(format!(
                "{total} data rows, input `{channel}` has {given}"
            )));
        }
        Ok(())
    }

    /// One table's expectations; returns its data rows.
    fn check_table(
        &self,
        index: usize,
        tables: &[(String, PathBuf)],
        shown: &str,
        path: &Path,
        unique: &mut [HashMap<String, (usize, usize)>],
        exprs: bool,
    ) -> Result<usize, Problem> {
        let unreadable = |source| Problem::Unreadable {
            file: shown.to_owned(),
            columns: Vec::new(),
            source,
        };
        // Pass 1: the columns and, for expressions, the aggregates.
        let mut stats: Vec<Stats> = Vec::new();
        let mut rows = 0;
        let columns = for_each_row(path, |columns, _, cells| {
            rows += 1;
            if exprs {
                stats.resize_with(columns.len(), Stats::default);
                for (s, cell) in stats.iter_mut().zip(cells) {
                    s.add(cell);
                }
            }
        })
        .map_err(unreadable)?;
        for (column, expectation) in self.columns() {
            if !columns.iter().any(|c| c == column) {
                return Err(Problem::ExpectedColumn {
                    file: shown.to_owned(),
                    column: column.to_owned(),
                    expectation,
                    present: columns,
                });
            }
        }
        let at = |name: &str| columns.iter().position(|c| c == name).expect("checked");
        let mut failures: Vec<Tally> = Vec::new();
        let mut tally = |column: Option<&str>, expectation: String| {
            failures.push(Tally {
                column: column.map(str::to_owned),
                expectation,
                failing: 0,
                rows: Vec::new(),
            });
            failures.len() - 1
        };
        let not_null: Vec<(usize, usize)> = self
            .not_null
            .iter()
            .map(|c| (at(c), tally(Some(c), "not_null".into())))
            .collect();
        let uniques: Vec<(usize, usize)> = self
            .unique
            .iter()
            .map(|c| (at(c), tally(Some(c), "unique".into())))
            .collect();
        let values: Vec<(usize, usize, &Vec<serde_json::Value>)> = self
            .values
            .iter()
            .map(|(c, v)| (at(c), tally(Some(c), values_name(v)), v))
            .collect();
        let ranges: Vec<(usize, usize, Bounds)> = self
            .range
            .iter()
            .map(|(c, b)| (at(c), tally(Some(c), format!("range {b}")), *b))
            .collect();
        let sums: Option<(Vec<usize>, usize)> = (!self.sum_to_one.is_empty()).then(|| {
            (
                self.sum_to_one.iter().map(|c| at(c)).collect(),
                tally(None, format!("sum_to_one [{}]", self.sum_to_one.join(", "))),
            )
        });
        let mut exprs_compiled = Vec::new();
        if exprs {
            for text in &self.expr {
                let compiled =
                    Expr::compile(text, &columns, Some((&stats, rows))).map_err(|found| {
                        Problem::Expectation(Box::new(ExpectationFailure {
                            file: shown.to_owned(),
                            column: None,
                            expectation: format!("expr {text:?}"),
                            failing: 0,
                            checked: rows,
                            rows: Vec::new(),
                            found: Some(found),
                        }))
                    })?;
                exprs_compiled.push((compiled, tally(None, format!("expr {text:?}"))));
            }
        }
        let mut means: Vec<(usize, Bounds, f64, usize)> =
            self.mean.iter().map(|(c, b)| (at(c), *b, 0.0, 0)).collect();
        let mut aggregate_failure: Option<ExpectationFailure> = None;
        // Pass 2: row by row.
        for_each_row(path, |_, row, cells| {
            let cell = |i: usize| cells.get(i).unwrap_or(&Cell::Null);
            for &(i, t) in &not_null {
                if cell(i).is_null() {
                    failures[t].add(row, format!("{} is missing", columns[i]));
                }
            }
            for (k, &(i, t)) in uniques.iter().enumerate() {
                let c = cell(i);
                if c.is_null() {
                    continue;
                }
                match unique[k].entry(key_of(c)) {
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert((index, row));
                    }
                    std::collections::hash_map::Entry::Occupied(o) => {
                        let (file, first) = *o.get();
                        let also = if file == index {
                            format!("row {first}")
                        } else {
                            format!("row {first} of {}", tables[file].0)
                        };
                        failures[t].add(row, format!("{} = {c}, as in {also}", columns[i]));
                    }
                }
            }
            for &(i, t, allowed) in &values {
                let c = cell(i);
                if !c.is_null() && !allowed.iter().any(|a| matches_value(c, a)) {
                    failures[t].add(row, format!("{} = {c}", columns[i]));
                }
            }
            for &(i, t, b) in &ranges {
                let c = cell(i);
                if c.is_null() {
                    continue;
                }
                if !c.number().is_some_and(|x| b.contains(x)) {
                    failures[t].add(row, format!("{} = {c}", columns[i]));
                }
            }
            if let Some((indices, t)) = &sums {
                let mut sum = Some(0.0);
                for &i in indices {
                    sum = sum.zip(cell(i).number()).map(|(s, x)| s + x);
                }
                match sum {
                    Some(s) if (s - 1.0).abs() <= 1e-6 => {}
                    Some(s) => failures[*t].add(row, format!("sum = {}", Number(s))),
                    None => failures[*t].add(row, "a value is missing or not a number".into()),
                }
            }
            for (i, _, sum, n) in &mut means {
                if let Some(x) = cell(*i).number() {
                    *sum += x;
                    *n += 1;
                }
            }
            for (expr, t) in &exprs_compiled {
                match expr.eval_row(cells) {
                    Ok(true) => {}
                    Ok(false) => failures[*t].add(row, expr.shown(cells)),
                    Err(why) if expr.per_row => failures[*t].add(row, why),
                    Err(why) => {
                        aggregate_failure.get_or_insert_with(|| ExpectationFailure {
                            file: shown.to_owned(),
                            column: None,
                            expectation: format!("expr {:?}", expr.text),
                            failing: 0,
                            checked: rows,
                            rows: Vec::new(),
                            found: Some(why),
                        });
                    }
                }
            }
        })
        .map_err(unreadable)?;
        // An aggregate expression is the same in every row: say it once, with its values.
        for (expr, t) in &exprs_compiled {
            if !expr.per_row && failures[*t].failing > 0 {
                failures[*t].failing = 0;
                aggregate_failure.get_or_insert_with(|| ExpectationFailure {
                    file: shown.to_owned(),
                    column: None,
                    expectation: format!("expr {:?}", expr.text),
                    failing: 0,
                    checked: rows,
                    rows: Vec::new(),
                    found: Some(expr.shown(&[])),
                });
            }
        }
        if !exprs_compiled.is_empty() && rows == 0 && aggregate_failure.is_none() {
            // No row to evaluate: an aggregate expression still says something of the table.
            for (expr, _) in exprs_compiled.iter().filter(|(e, _)| !e.per_row) {
                if !matches!(expr.eval_row(&[]), Ok(true)) {
                    aggregate_failure = Some(ExpectationFailure {
                        file: shown.to_owned(),
                        column: None,
                        expectation: format!("expr {:?}", expr.text),
                        failing: 0,
                        checked: 0,
                        rows: Vec::new(),
                        found: Some(expr.shown(&[])),
                    });
                    break;
                }
            }
        }
        if let Some(t) = failures.into_iter().find(|t| t.failing > 0) {
            return Err(Problem::Expectation(Box::new(ExpectationFailure {
                file: shown.to_owned(),
                column: t.column,
                expectation: t.expectation,
                failing: t.failing,
                checked: rows,
                rows: t.rows,
                found: None,
            })));
        }
        if let Some(f) = aggregate_failure {
            return Err(Problem::Expectation(Box::new(f)));
        }
        for (i, b, sum, n) in means {
            let found = if n == 0 {
                Some("no numeric value to average".to_owned())
            } else {
                let mean = sum / n as f64;
                (!b.contains(mean)).then(|| format!("mean {}", Number(mean)))
            };
            if let Some(found) = found {
                return Err(Problem::Expectation(Box::new(ExpectationFailure {
                    file: shown.to_owned(),
                    column: Some(columns[i].clone()),
                    expectation: format!("mean {b}"),
                    failing: 0,
                    checked: rows,
                    rows: Vec::new(),
                    found: Some(found),
                })));
            }
        }
        Ok(rows)
    }

    fn check_json(&self, shown: &str, path: &Path, exprs: bool) -> Result<(), Problem> {
        let fail = |column: Option<&str>, expectation: String, found: String| {
            Problem::Expectation(Box::new(ExpectationFailure {
                file: shown.to_owned(),
                column: column.map(str::to_owned),
                expectation,
                failing: 0,
                checked: 0,
                rows: Vec::new(),
                found: Some(found),
            }))
        };
        let text = std::fs::read(path)
            .map_err(|e| fail(None, "json".into(), format!("cannot read it: {e}")))?;
        let doc: serde_json::Value = serde_json::from_slice(&text)
            .map_err(|e| fail(None, "json".into(), format!("not JSON: {e}")))?;
        for (pointer, expected) in &self.json {
            let name = match expected {
                JsonExpectation::Range(b) => format!("range {b}"),
                JsonExpectation::Equals(v) => format!("= {v}"),
            };
            let Some(found) = doc.pointer(pointer) else {
                return Err(fail(Some(pointer), name, "nothing at this pointer".into()));
            };
            if !json_holds(found, expected) {
                return Err(fail(Some(pointer), name, format!("found {found}")));
            }
        }
        if exprs {
            let mut flat = Vec::new();
            flatten("", &doc, &mut flat);
            let (names, cells): (Vec<String>, Vec<Cell>) = flat.into_iter().unzip();
            for text in &self.expr {
                let expr = Expr::compile(text, &names, None)
                    .map_err(|found| fail(None, format!("expr {text:?}"), found))?;
                match expr.eval_row(&cells) {
                    Ok(true) => {}
                    Ok(false) => {
                        return Err(fail(None, format!("expr {text:?}"), expr.shown(&cells)));
                    }
                    Err(why) => return Err(fail(None, format!("expr {text:?}"), why)),
                }
            }
        }
        Ok(())
    }
}

fn values_name(values: &[serde_json::Value]) -> String {
    let shown: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    format!("values [{}]", shown.join(", "))
}

/// A JSON document's scalar values by dotted path: `{"metrics": {"auc": 0.9}}` → `metrics.auc`.
fn flatten(prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, Cell)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&name, v, out);
            }
        }
        serde_json::Value::Array(_) => {}
        scalar if !prefix.is_empty() => out.push((prefix.to_owned(), Cell::from_json(scalar))),
        _ => {}
    }
}

/// Whether `found` meets `expected`: a number within the bounds, or the value (numbers by value).
pub(crate) fn json_holds(found: &serde_json::Value, expected: &JsonExpectation) -> bool {
    match expected {
        JsonExpectation::Range(b) => found.as_f64().is_some_and(|x| b.contains(x)),
        JsonExpectation::Equals(v) => json_equal(found, v),
    }
}

fn json_equal(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Whether a cell is one of the allowed values: numbers by value, text and booleans as written.
fn matches_value(cell: &Cell, allowed: &serde_json::Value) -> bool {
    match (cell, allowed) {
        (Cell::Number(x), serde_json::Value::Number(n)) => n.as_f64() == Some(*x),
        (Cell::Bool(b), serde_json::Value::Bool(a)) => a == b,
        (Cell::Text(s), serde_json::Value::String(a)) => a == s,
        // A CSV field `1` read as a number is still the text `"1"`.
        (Cell::Number(x), serde_json::Value::String(a)) => Number(*x).to_string() == *a,
        (Cell::Bool(b), serde_json::Value::String(a)) => a.eq_ignore_ascii_case(&b.to_string()),
        _ => false,
    }
}

/// The identity of a value for `unique`: numbers by value (`1` and `1.0` repeat each other).
fn key_of(cell: &Cell) -> String {
    match cell {
        Cell::Number(x) => format!("n{}", Number(*x)),
        Cell::Text(s) => format!("t{s}"),
        Cell::Bool(b) => format!("b{b}"),
        Cell::Null => String::new(),
    }
}

struct Tally {
    column: Option<String>,
    expectation: String,
    failing: usize,
    rows: Vec<String>,
}

impl Tally {
    fn add(&mut self, row: usize, what: String) {
        self.failing += 1;
        if self.rows.len() < SHOWN_ROWS {
            self.rows.push(format!("row {row}: {what}"));
        }
    }
}

/// Aggregates of one column, for expressions.
#[derive(Debug, Default, Clone)]
struct Stats {
    sum: f64,
    count: usize,
    min: Option<f64>,
    max: Option<f64>,
}

impl Stats {
    fn add(&mut self, cell: &Cell) {
        if let Some(x) = cell.number() {
            self.sum += x;
            self.count += 1;
            self.min = Some(self.min.map_or(x, |m| m.min(x)));
            self.max = Some(self.max.map_or(x, |m| m.max(x)));
        }
    }
}

/// Whole numbers as integers, so that `label == 1` holds for a `1` or a `1.0` (evalexpr's `==`
/// tells an integer from a float).
fn number_value(x: f64) -> evalexpr::Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        evalexpr::Value::Int(x as i64)
    } else {
        evalexpr::Value::Float(x)
    }
}

/// An `expr` expectation, compiled against a table's columns (or a JSON file's values).
struct Expr {
    text: String,
    tree: evalexpr::Node,
    /// Columns it reads, by index.
    reads: Vec<(String, usize)>,
    /// Aggregates it reads, with their values.
    aggregates: Vec<(String, f64)>,
    per_row: bool,
}

impl Expr {
    /// `text` against a table's `columns` with their aggregates (`Some((stats, rows))`), or
    /// against a JSON file's values (`None`).
    fn compile(
        text: &str,
        columns: &[String],
        table: Option<(&[Stats], usize)>,
    ) -> Result<Expr, String> {
        let tree =
            evalexpr::build_operator_tree(text).map_err(|e| format!("cannot be read: {e}"))?;
        let mut reads = Vec::new();
        let mut aggregates = Vec::new();
        for name in tree.iter_variable_identifiers() {
            if reads.iter().any(|(n, _)| n == name) || aggregates.iter().any(|(n, _)| n == name) {
                continue;
            }
            if let Some(i) = columns.iter().position(|c| c == name) {
                reads.push((name.to_owned(), i));
                continue;
            }
            let Some((stats, rows)) = table else {
                return Err(format!(
                    "`{name}` is not a value of the file (values: {})",
                    columns.join(", ")
                ));
            };
            if name == "rows" {
                aggregates.push((name.to_owned(), rows as f64));
                continue;
            }
            let aggregate = name.split_once('.').and_then(|(f, column)| {
                let at = columns.iter().position(|c| c == column)?;
                Some((f, column, stats.get(at).cloned().unwrap_or_default()))
            });
            let value = match &aggregate {
                Some(("sum", _, s)) => Some(s.sum),
                Some(("mean", _, s)) => (s.count > 0).then(|| s.sum / s.count as f64),
                Some(("min", _, s)) => s.min,
                Some(("max", _, s)) => s.max,
                _ => {
                    return Err(format!(
                        "`{name}` is neither a column (columns: {}) nor an aggregate \
                         (rows, mean.COL, sum.COL, min.COL, max.COL)",
                        columns.join(", ")
                    ));
                }
            };
            match (value, aggregate) {
                (Some(x), _) => aggregates.push((name.to_owned(), x)),
                (None, Some((_, column, _))) => {
                    return Err(format!("`{name}` has no value: `{column}` holds no number"));
                }
                (None, None) => unreachable!("an unknown name returned above"),
            }
        }
        Ok(Expr {
            text: text.to_owned(),
            per_row: !reads.is_empty(),
            tree,
            reads,
            aggregates,
        })
    }

    /// The expression's value for one row: true or false, or why it has none.
    fn eval_row(&self, cells: &[Cell]) -> Result<bool, String> {
        use evalexpr::{ContextWithMutableVariables, HashMapContext, Value};
        let mut context = HashMapContext::new();
        for (name, i) in &self.reads {
            let value = match cells.get(*i).unwrap_or(&Cell::Null) {
                c if c.is_null() => return Err(format!("{name} is missing")),
                Cell::Number(x) => number_value(*x),
                Cell::Bool(b) => Value::Boolean(*b),
                Cell::Text(s) => Value::String(s.clone()),
                Cell::Null => unreachable!("missing handled above"),
            };
            context
                .set_value(name.clone(), value)
                .map_err(|e| e.to_string())?;
        }
        for (name, x) in &self.aggregates {
            context
                .set_value(name.clone(), number_value(*x))
                .map_err(|e| e.to_string())?;
        }
        match self.tree.eval_with_context(&context) {
            Ok(Value::Boolean(b)) => Ok(b),
            Ok(other) => Err(format!("gives {other}, not true or false")),
            Err(e) => Err(e.to_string()),
        }
    }

    /// The values the expression read, for a failure: `auc = 0.104`.
    fn shown(&self, cells: &[Cell]) -> String {
        let mut parts: Vec<String> = self
            .reads
            .iter()
            .map(|(n, i)| format!("{n} = {}", cells.get(*i).unwrap_or(&Cell::Null)))
            .collect();
        parts.extend(
            self.aggregates
                .iter()
                .map(|(n, x)| format!("{n} = {}", Number(*x))),
        );
        if parts.is_empty() {
            "false".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::checks::{ChannelChecks, Check, Subject};

    fn channel(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    fn run(dir: &Path, expect: Expectations) -> Result<Vec<Check>, String> {
        ChannelChecks {
            expect,
            ..ChannelChecks::output()
        }
        .check(&Subject::Output("out".into()), dir)
        .map_err(|e| e.to_string())
    }

    const PREDICTIONS: &str = "id,label,prob_class_0,prob_class_1\n\
        1,0,0.9,0.1\n2,1,0.2,0.8\n3,2,0.5,0.6\n3,1,,0.7\n5,0,1.2,-0.2\n";

    #[test]
    fn each_failed_expectation_names_file_column_and_rows() {
        let dir = channel(&[("pred.csv", PREDICTIONS)]);
        let cases: Vec<(Expectations, &str)> = vec![
            (
                Expectations {
                    not_null: vec!["prob_class_0".into()],
                    ..Default::default()
                },
                "output channel `out`: pred.csv: `prob_class_0` fails not_null in 1 of 5 rows: row 4: prob_class_0 is missing",
            ),
            (
                Expectations {
                    unique: vec!["id".into()],
                    ..Default::default()
                },
                "output channel `out`: pred.csv: `id` fails unique in 1 of 5 rows: row 4: id = 3, as in row 3",
            ),
            (
                Expectations {
                    values: BTreeMap::from([("label".into(), vec![0.into(), 1.into()])]),
                    ..Default::default()
                },
                "output channel `out`: pred.csv: `label` fails values [0, 1] in 1 of 5 rows: row 3: label = 2",
            ),
            (
                Expectations {
                    range: BTreeMap::from([("prob_class_0".into(), Bounds { min: 0.0, max: 1.0 })]),
                    ..Default::default()
                },
                "output channel `out`: pred.csv: `prob_class_0` fails range [0, 1] in 1 of 5 rows: row 5: prob_class_0 = 1.2",
            ),
            (
                Expectations {
                    sum_to_one: vec!["prob_class_0".into(), "prob_class_1".into()],
                    ..Default::default()
                },
                "output channel `out`: pred.csv: fails sum_to_one [prob_class_0, prob_class_1] in 2 of 5 rows: row 3: sum = 1.1; row 4: a value is missing or not a number",
            ),
            (
                Expectations {
                    mean: BTreeMap::from([("label".into(), Bounds { min: 0.0, max: 0.5 })]),
                    ..Default::default()
                },
                "output channel `out`: pred.csv: `label` fails mean [0, 0.5]: mean 0.8",
            ),
            (
                Expectations {
                    expr: vec!["label != 2 || prob_class_1 > 0.75".into()],
                    ..Default::default()
                },
                "output channel `out`: pred.csv: fails expr \"label != 2 || prob_class_1 > 0.75\" in 1 of 5 rows: row 3: label = 2, prob_class_1 = 0.6",
            ),
            (
                Expectations {
                    expr: vec!["rows >= 10 && mean.label < 1".into()],
                    ..Default::default()
                },
                "output channel `out`: pred.csv: fails expr \"rows >= 10 && mean.label < 1\": rows = 5, mean.label = 0.8",
            ),
            (
                Expectations {
                    not_null: vec!["score".into()],
                    ..Default::default()
                },
                "output channel `out`: pred.csv has no column `score` for not_null (columns: id, label, prob_class_0, prob_class_1)",
            ),
            (
                Expectations {
                    expr: vec!["score > 0".into()],
                    ..Default::default()
                },
                "output channel `out`: pred.csv: fails expr \"score > 0\": `score` is neither a column (columns: id, label, prob_class_0, prob_class_1) nor an aggregate (rows, mean.COL, sum.COL, min.COL, max.COL)",
            ),
        ];
        for (expect, message) in cases {
            let err = run(dir.path(), expect.clone());
            assert_eq!(err, Err(message.to_owned()), "{expect:?}");
        }
    }

    #[test]
    fn expectations_that_hold_pass_and_are_listed() {
        let dir = channel(&[(
            "pred.csv",
            "id,label,p0,p1\n1,0,0.25,0.75\n2,1,0.5,0.5\n3,1,,1.0\n",
        )]);
        let expect = Expectations {
            unique: vec!["id".into()],
            values: BTreeMap::from([("label".into(), vec![0.into(), 1.into()])]),
            range: BTreeMap::from([("p0".into(), Bounds { min: 0.0, max: 1.0 })]),
            mean: BTreeMap::from([("label".into(), Bounds { min: 0.1, max: 0.9 })]),
            expr: vec!["p1 >= 0.5".into(), "max.p1 <= 1 && rows == 3".into()],
            ..Default::default()
        };
        assert_eq!(run(dir.path(), expect), Ok(vec![Check::Values]));
    }

    #[test]
    fn an_aggregate_of_an_empty_table_has_no_value_and_fails() {
        let dir = channel(&[("pred.csv", "id,label\n")]);
        let expect = Expectations {
            expr: vec!["mean.label > 0".into()],
            ..Default::default()
        };
        assert_eq!(
            run(dir.path(), expect),
            Err("output channel `out`: pred.csv: fails expr \"mean.label > 0\": `mean.label` has no value: `label` holds no number".into())
        );
        let rows = Expectations {
            expr: vec!["rows > 0".into()],
            ..Default::default()
        };
        assert_eq!(
            run(dir.path(), rows),
            Err("output channel `out`: pred.csv: fails expr \"rows > 0\": rows = 0".into())
        );
    }

    #[test]
    fn duplicates_across_shards_are_found() {
        let dir = channel(&[("part-0.csv", "id\n1\n2\n"), ("part-1.csv", "id\n3\n2\n")]);
        let err = run(
            dir.path(),
            Expectations {
                unique: vec!["id".into()],
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(err.ends_with("part-1.csv: `id` fails unique in 1 of 2 rows: row 2: id = 2, as in row 2 of part-0.csv"), "{err}");
    }

    #[test]
    fn json_metrics_are_checked_by_pointer_and_expression() {
        let dir = channel(&[(
            "metrics.json",
            r#"{"auc_roc": 0.104, "model": {"name": "x", "f1": 0.7}}"#,
        )]);
        let pointer = Expectations {
            json: BTreeMap::from([(
                "/auc_roc".into(),
                JsonExpectation::Range(Bounds { min: 0.5, max: 1.0 }),
            )]),
            ..Default::default()
        };
        assert_eq!(
            run(dir.path(), pointer).unwrap_err(),
            "output channel `out`: metrics.json: `/auc_roc` fails range [0.5, 1]: found 0.104"
        );
        let missing = Expectations {
            json: BTreeMap::from([(
                "/auc_pr".into(),
                JsonExpectation::Range(Bounds { min: 0.0, max: 1.0 }),
            )]),
            ..Default::default()
        };
        assert!(
            run(dir.path(), missing)
                .unwrap_err()
                .ends_with("`/auc_pr` fails range [0, 1]: nothing at this pointer")
        );
        let expr = Expectations {
            expr: vec!["auc_roc >= 0.5 && model.f1 > 0.5".into()],
            ..Default::default()
        };
        assert_eq!(
            run(dir.path(), expr).unwrap_err(),
            "output channel `out`: metrics.json: fails expr \"auc_roc >= 0.5 && model.f1 > 0.5\": auc_roc = 0.104, model.f1 = 0.7"
        );
        let holds = Expectations {
            json: BTreeMap::from([("/model/name".into(), JsonExpectation::Equals("x".into()))]),
            expr: vec!["model.f1 > 0.5".into()],
            ..Default::default()
        };
        assert_eq!(run(dir.path(), holds), Ok(vec![Check::Values]));
    }

    #[test]
    fn expectations_without_the_files_they_need_fail() {
        let dir = channel(&[("model.bin", "x")]);
        let tables = Expectations {
            not_null: vec!["id".into()],
            ..Default::default()
        };
        assert!(
            run(dir.path(), tables)
                .unwrap_err()
                .contains("holds no CSV, TSV or JSON Lines file")
        );
        let json = Expectations {
            json: BTreeMap::from([("/a".into(), JsonExpectation::Equals(1.into()))]),
            ..Default::default()
        };
        assert!(
            run(dir.path(), json)
                .unwrap_err()
                .contains("holds no JSON file")
        );
    }

    #[test]
    fn rows_are_compared_with_an_input_channel() {
        let out = channel(&[("a.csv", "id\n1\n2\n3\n")]);
        let inputs = tempfile::tempdir().unwrap();
        fs::create_dir_all(inputs.path().join("data")).unwrap();
        fs::write(inputs.path().join("data/x.csv"), "id\n1\n2\n").unwrap();
        let root = inputs.path().to_owned();
        let input = move |c: &str| root.join(c);
        let check = |rows| {
            ChannelChecks {
                expect: Expectations {
                    rows: Some(rows),
                    ..Default::default()
                },
                ..ChannelChecks::output()
            }
            .check_with_inputs(&Subject::Output("out".into()), out.path(), Some(&input))
            .map_err(|e| e.to_string())
        };
        assert_eq!(
            check(RowsVsInput::EqualToInput("data".into())).unwrap_err(),
            "output channel `out`: a.csv: fails rows equal to input `data`: 3 data rows, input `data` has 2"
        );
        assert!(check(RowsVsInput::AtMostInput("data".into())).is_err());
        assert!(
            check(RowsVsInput::AtMostInput("nope".into()))
                .unwrap_err()
                .contains("there is no input channel `nope`")
        );
        fs::write(inputs.path().join("data/y.csv"), "id\n3\n").unwrap();
        assert!(check(RowsVsInput::EqualToInput("data".into())).is_ok());
    }
}
