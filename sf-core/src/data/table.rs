//! An in-memory, column-oriented table: what generators produce and writers serialise.

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
}
