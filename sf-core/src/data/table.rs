//! An in-memory, column-oriented table: what generators produce and writers serialise.

use std::ops::Range;

/// One typed column. `None` is a missing value (an empty CSV field, a JSON `null`).
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Whole numbers.
    Int(Vec<Option<i64>>),
    /// Floating-point numbers (NaN and ±inf are written as `NaN`, `inf`, `-inf`).
    Float(Vec<Option<f64>>),
    /// Text.
    Text(Vec<Option<String>>),
    /// Booleans, written `true` / `false`.
    Bool(Vec<Option<bool>>),
}

impl Column {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Column::Int(v) => v.len(),
            Column::Float(v) => v.len(),
            Column::Text(v) => v.len(),
            Column::Bool(v) => v.len(),
        }
    }

    /// True when the column holds no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A column of the same type and length with every value missing.
    pub fn all_missing(&self) -> Column {
        match self {
            Column::Int(v) => Column::Int(vec![None; v.len()]),
            Column::Float(v) => Column::Float(vec![None; v.len()]),
            Column::Text(v) => Column::Text(vec![None; v.len()]),
            Column::Bool(v) => Column::Bool(vec![None; v.len()]),
        }
    }

    /// The values in `range`, as a new column. Panics when the range is out of bounds.
    pub fn slice(&self, range: Range<usize>) -> Column {
        match self {
            Column::Int(v) => Column::Int(v[range].to_vec()),
            Column::Float(v) => Column::Float(v[range].to_vec()),
            Column::Text(v) => Column::Text(v[range].to_vec()),
            Column::Bool(v) => Column::Bool(v[range].to_vec()),
        }
    }
}

/// Named columns of equal length.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    names: Vec<String>,
    columns: Vec<Column>,
}

impl Table {
    /// An empty table with no columns.
    pub fn new() -> Table {
        Table::default()
    }

    /// Adds a column. Panics when its length differs from the existing columns: generators
    /// build whole tables, so a mismatch is a bug in sf, not in the user's input.
    pub fn push(&mut self, name: impl Into<String>, column: Column) {
        if let Some(first) = self.columns.first() {
            assert_eq!(first.len(), column.len(), "column lengths differ");
        }
        self.names.push(name.into());
        self.columns.push(column);
    }

    /// Builder form of [`Table::push`].
    pub fn with(mut self, name: impl Into<String>, column: Column) -> Table {
        self.push(name, column);
        self
    }

    /// Column names in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Columns in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.columns[i])
    }

    /// Number of rows (0 for a table without columns).
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }

    /// The rows in `range` (same columns), as a new table. Panics when the range is out of
    /// bounds: callers split a table they generated themselves.
    pub fn slice(&self, range: Range<usize>) -> Table {
        Table {
            names: self.names.clone(),
            columns: self
                .columns
                .iter()
                .map(|c| c.slice(range.clone()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_keep_the_columns_and_take_the_rows_in_range() {
        let t = Table::new()
            .with("i", Column::Int(vec![Some(1), None, Some(3), Some(4)]))
            .with(
                "f",
                Column::Float(vec![Some(0.5), Some(1.5), None, Some(3.5)]),
            )
            .with(
                "t",
                Column::Text(vec![
                    Some("a".into()),
                    Some("b".into()),
                    Some("c".into()),
                    None,
                ]),
            )
            .with(
                "b",
                Column::Bool(vec![None, Some(true), Some(false), Some(true)]),
            );
        let middle = t.slice(1..3);
        assert_eq!(middle.names(), t.names());
        assert_eq!(middle.rows(), 2);
        assert_eq!(middle.column("i"), Some(&Column::Int(vec![None, Some(3)])));
        assert_eq!(
            middle.column("f"),
            Some(&Column::Float(vec![Some(1.5), None]))
        );
        assert_eq!(
            middle.column("t"),
            Some(&Column::Text(vec![Some("b".into()), Some("c".into())]))
        );
        assert_eq!(
            middle.column("b"),
            Some(&Column::Bool(vec![Some(true), Some(false)]))
        );
        assert_eq!(t.slice(0..4), t);
        assert_eq!(t.slice(4..4).rows(), 0);
        assert_eq!(t.slice(2..4).names().len(), 4);
    }
}
