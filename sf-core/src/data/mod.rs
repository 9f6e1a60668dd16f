//! Synthetic and literal input data: profiles, tables, file formats, and the data plan that lays
//! them out in a workspace.

mod format;
mod plan;
mod profile;
mod schema;
mod table;

pub use format::{Format, write_table};
pub use plan::{
    ChannelPlan, DataError, DataPlan, EntryContent, GeneratedData, Layout, MaterializedFile, Split,
    TableSource, TarEntry, channel_seed,
};
pub use profile::{Profile, REFERENCE_DATE, RowCount, Size};
pub use schema::{ColumnKind, ColumnSpec, LabelSpec, Schema, SchemaError};
pub use table::{Column, Table};
