//! Synthetic and literal input data: profiles, tables, file formats, and the data plan that lays
//! them out in a workspace.

mod archive;
mod files;
mod fixture;
mod format;
mod generated;
mod layout;
mod plan;
mod profile;
mod rows;
mod schema;
pub mod strategy;
mod table;
#[cfg(test)]
mod testing;
mod unique;

pub use archive::{EntryContent, TarEntry};
pub use files::MaterializedFile;
pub(crate) use format::NUMPY;
pub use format::{Format, write_table};
pub use generated::{GeneratedData, TableSource};
pub use layout::{Layout, SHARD_PATTERN, Split};
pub use plan::{ChannelPlan, DataError, DataPlan, channel_seed};
pub use profile::{Profile, REFERENCE_DATE, RowCount, Size};
pub use schema::{ColumnKind, ColumnProblem, ColumnSpec, Contract, LabelSpec, Schema, SchemaError};
pub use sf_vocab::LayoutKind;
pub use table::{Column, Table};

// What the property strategies (`crate::data::strategy`) share with the seeded generators, so that both
// spell values the same way.
pub(crate) use schema::{
    ALPHANUMERIC, PatternPart, UPPER, checked_date_format, decimal, parse_pattern, round6,
    uniform_value,
};
