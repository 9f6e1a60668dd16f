//! The data plan: how each input channel of a run is filled.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Write};
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};

use super::format::{Format, write_table};
use super::profile::{Profile, RowCount};
use super::schema::{Schema, SchemaError};
use super::table::Table;

/// Errors writing a channel's data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// Writing a generated or copied file failed.
    #[error("cannot write data for input channel `{channel}` to {path}")]
    Write {
        /// The channel.
        channel: String,
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A fixture or a file meant for a tar.gz entry cannot be read (most often: it is missing).
    #[error("input channel `{channel}`: cannot read {path}")]
    Read {
        /// The channel.
        channel: String,
        /// The file or directory that was asked for.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A column schema cannot generate data.
    #[error("input channel `{channel}`: invalid schema")]
    Schema {
        /// The channel.
        channel: String,
        /// What is wrong with the schema.
        #[source]
        source: SchemaError,
    },
}

/// Where generated rows come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableSource {
    /// A named profile.
    Profile(Profile),
    /// A column schema.
    Schema(Schema),
}

impl TableSource {
    /// Rows for a row count: named sizes resolve per profile (schemas: 100 / 1,000 / 10,000).
    pub fn rows(&self, rows: RowCount) -> usize {
        match self {
            TableSource::Profile(p) => rows.resolve(*p),
            TableSource::Schema(_) => match rows {
                RowCount::Size(size) => Schema::rows(size),
                RowCount::Rows(n) => n,
            },
        }
    }

    /// Generates `rows` rows with `seed`.
    pub fn generate(&self, rows: usize, seed: u64) -> Table {
        match self {
            TableSource::Profile(p) => Schema::preset(*p).generate(rows, seed),
            TableSource::Schema(s) => s.generate(rows, seed),
        }
    }
}

/// How generated rows are laid out as files in a channel directory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Layout {
    /// One file, named by [`GeneratedData::file_name`].
    #[default]
    Single,
    /// `count` files `part-00000.<ext>`, `part-00001.<ext>`, …, rows spread evenly (the first
    /// shards get one more row when the count does not divide evenly).
    Shards {
        /// Number of files (at least 1).
        count: usize,
    },
    /// One folder per split (`train/`, `test/`, `val/`), each holding one file named by
    /// `file_pattern` with `{split}` and `{ext}` replaced. Rows are divided by the ratios (which
    /// are normalised to sum to 1); the last split takes the rounding remainder.
    Splits {
        /// The splits in order.
        splits: Vec<Split>,
        /// File name pattern, for example `{split}_processed_data.{ext}`.
        file_pattern: String,
    },
}

impl Layout {
    /// `train/`, `test/`, `val/` at 70 / 15 / 15 with `{split}_processed_data.{ext}`.
    pub fn train_test_val() -> Layout {
        Layout::Splits {
            splits: vec![
                Split::new("train", 0.7),
                Split::new("test", 0.15),
                Split::new("val", 0.15),
            ],
            file_pattern: "{split}_processed_data.{ext}".to_owned(),
        }
    }
}

/// One split of a [`Layout::Splits`] layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Split {
    /// Folder name.
    pub name: String,
    /// Share of the rows (relative to the other splits).
    pub ratio: f64,
}

impl Split {
    /// A split called `name` with `ratio` of the rows.
    pub fn new(name: impl Into<String>, ratio: f64) -> Split {
        Split {
            name: name.into(),
            ratio,
        }
    }
}

/// Generated tabular data for one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratedData {
    /// Which generator.
    pub source: TableSource,
    /// How many rows (in total, across shards or splits).
    pub rows: RowCount,
    /// File format.
    pub format: Format,
    /// File name for the single-file layout; `data.<ext>` when not given.
    pub file_name: Option<String>,
    /// How the rows are laid out as files.
    pub layout: Layout,
    /// Compress every file with gzip (adding `.gz` to its name).
    pub gzip: bool,
}

impl GeneratedData {
    /// `profile` data of `rows` rows in one CSV file.
    pub fn new(profile: Profile, rows: RowCount) -> GeneratedData {
        GeneratedData::from_source(TableSource::Profile(profile), rows)
    }

    /// Data from `source` of `rows` rows in one CSV file.
    pub fn from_source(source: TableSource, rows: RowCount) -> GeneratedData {
        GeneratedData {
            source,
            rows,
            format: Format::Csv,
            file_name: None,
            layout: Layout::Single,
            gzip: false,
        }
    }

    /// The profile, when the rows come from one.
    pub fn profile(&self) -> Option<Profile> {
        match self.source {
            TableSource::Profile(p) => Some(p),
            TableSource::Schema(_) => None,
        }
    }

    /// The file name of the single-file layout.
    pub fn file_name(&self) -> String {
        self.file_name
            .clone()
            .unwrap_or_else(|| format!("data.{}", self.format.extension()))
    }

    /// Generates the table with `seed` and writes it into `dir` (created if missing) in the
    /// layout asked for. One table is generated and cut into shards or splits, so no row is
    /// written twice. An invalid schema or layout (no shards, no splits, a split name that is not
    /// a plain folder name, …) is an [`io::ErrorKind::InvalidInput`] error, found before anything
    /// is written.
    pub fn write_into(&self, dir: &Path, seed: u64) -> io::Result<Vec<MaterializedFile>> {
        self.check()?;
        let table = self.source.generate(self.source.rows(self.rows), seed);
        self.write_table(&table, dir)
    }

    /// Writes a given `table` into `dir` (created if missing) the way
    /// [`GeneratedData::write_into`] writes a generated one: same layout, format, compression and
    /// file names, whatever the table's row count says (the configured row count is not looked
    /// at). Property runs use it to lay out the datasets their strategies draw. An invalid layout
    /// is an [`io::ErrorKind::InvalidInput`] error, found before anything is written.
    pub fn write_table(&self, table: &Table, dir: &Path) -> io::Result<Vec<MaterializedFile>> {
        self.check_layout()?;
        fs::create_dir_all(dir)?;
        let rows = table.rows();
        match &self.layout {
            Layout::Single => Ok(vec![self.write_file(table, dir.join(self.file_name()))?]),
            Layout::Shards { count } => shard_ranges(rows, *count)
                .enumerate()
                .map(|(i, range)| {
                    let name = format!("part-{i:05}.{}", self.format.extension());
                    self.write_file(&table.slice(range), dir.join(name))
                })
                .collect(),
            Layout::Splits {
                splits,
                file_pattern,
            } => {
                let ratios: Vec<f64> = splits.iter().map(|s| s.ratio).collect();
                splits
                    .iter()
                    .zip(split_ranges(rows, &ratios))
                    .map(|(split, range)| {
                        let folder = dir.join(&split.name);
                        fs::create_dir_all(&folder)?;
                        let name = split_file_name(file_pattern, &split.name, self.format);
                        self.write_file(&table.slice(range), folder.join(name))
                    })
                    .collect()
            }
        }
    }

    /// Everything that would make [`GeneratedData::write_into`] fail before it writes a byte.
    pub(crate) fn check(&self) -> io::Result<()> {
        if let TableSource::Schema(schema) = &self.source {
            schema.validate().map_err(invalid)?;
        }
        self.check_layout()
    }

    /// Everything about the files (not the rows) that would make writing fail.
    fn check_layout(&self) -> io::Result<()> {
        match &self.layout {
            Layout::Single => {
                plain_relative(&self.file_name())?;
            }
            Layout::Shards { count } => {
                if *count == 0 {
                    return Err(invalid("a sharded layout needs at least one shard, not 0"));
                }
            }
            Layout::Splits {
                splits,
                file_pattern,
            } => {
                if splits.is_empty() {
                    return Err(invalid("a split layout needs at least one split"));
                }
                let mut names = BTreeSet::new();
                for split in splits {
                    if !is_plain_name(&split.name) {
                        return Err(invalid(format!(
                            "split name `{}` is not a plain folder name",
                            split.name
                        )));
                    }
                    if !names.insert(split.name.as_str()) {
                        return Err(invalid(format!("split `{}` appears twice", split.name)));
                    }
                    if !(split.ratio.is_finite() && split.ratio >= 0.0) {
                        return Err(invalid(format!(
                            "split `{}` has ratio {}, not a finite, non-negative number",
                            split.name, split.ratio
                        )));
                    }
                    let name = split_file_name(file_pattern, &split.name, self.format);
                    if !is_plain_name(&name) {
                        return Err(invalid(format!(
                            "file pattern `{file_pattern}` gives `{name}` for split `{}`, not a \
                             plain file name",
                            split.name
                        )));
                    }
                }
                let total: f64 = splits.iter().map(|s| s.ratio).sum();
                if !(total > 0.0 && total.is_finite()) {
                    return Err(invalid(
                        "split ratios must add up to a positive, finite total",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Writes `table` to `path` (plus `.gz` when compressing).
    fn write_file(&self, table: &Table, path: PathBuf) -> io::Result<MaterializedFile> {
        let path = if self.gzip { with_gz(path) } else { path };
        let file = fs::File::create(&path)?;
        if self.gzip {
            // `GzEncoder::new` writes no file name and mtime 0, so the bytes depend on the data
            // only.
            let mut gz = GzEncoder::new(io::BufWriter::new(file), Compression::default());
            write_table(table, self.format, &mut gz)?;
            gz.finish()?.flush()?;
        } else {
            write_table(table, self.format, file)?;
        }
        materialized(path, Some(table.rows()))
    }
}

/// `count` contiguous ranges covering `0..rows`; the first `rows % count` get one extra row.
fn shard_ranges(rows: usize, count: usize) -> impl Iterator<Item = Range<usize>> {
    let base = rows.checked_div(count).unwrap_or(0);
    let extra = rows.checked_rem(count).unwrap_or(0);
    let mut start = 0;
    (0..count).map(move |i| {
        let len = base + usize::from(i < extra);
        let range = start..start + len;
        start += len;
        range
    })
}

/// Contiguous ranges covering `0..rows` in proportion to `ratios` (normalised to sum to 1):
/// each split but the last gets its share rounded, the last whatever remains.
fn split_ranges(rows: usize, ratios: &[f64]) -> Vec<Range<usize>> {
    let total: f64 = ratios.iter().sum();
    let mut start = 0;
    ratios
        .iter()
        .enumerate()
        .map(|(i, ratio)| {
            let len = if i + 1 == ratios.len() {
                rows - start
            } else {
                // The float-to-int cast saturates, and the `min` keeps later splits in bounds.
                ((rows as f64 * ratio / total).round() as usize).min(rows - start)
            };
            let range = start..start + len;
            start += len;
            range
        })
        .collect()
}

fn split_file_name(pattern: &str, split: &str, format: Format) -> String {
    pattern
        .replace("{split}", split)
        .replace("{ext}", format.extension())
}

fn with_gz(path: PathBuf) -> PathBuf {
    let mut name = path.into_os_string();
    name.push(".gz");
    PathBuf::from(name)
}

fn invalid(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, error)
}

/// One path component that stays where it is put: not empty, `.`, `..` or containing a
/// separator.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/') && !name.contains('\\')
}

/// `name` as a relative path that cannot leave the directory it is joined to.
fn plain_relative(name: &str) -> io::Result<&Path> {
    let path = Path::new(name);
    let plain = !name.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)));
    if plain {
        Ok(path)
    } else {
        Err(invalid(format!(
            "file name `{name}` is not a relative path inside the channel"
        )))
    }
}

/// The record of a file just written at `path`.
fn materialized(path: PathBuf, rows: Option<usize>) -> io::Result<MaterializedFile> {
    let bytes = fs::metadata(&path)?.len();
    Ok(MaterializedFile { path, rows, bytes })
}

/// Adds the path that failed to an I/O error, which otherwise only says what went wrong.
fn at(path: &Path) -> impl FnOnce(io::Error) -> io::Error + '_ {
    move |err| io::Error::new(err.kind(), format!("{}: {err}", path.display()))
}

/// Content of a file inside a tar.gz channel entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryContent {
    /// Literal text.
    Text(String),
    /// A JSON document (written pretty-printed).
    Json(serde_json::Value),
    /// A file (or directory, added recursively) copied from disk.
    File(PathBuf),
}

/// One file inside a tar.gz.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TarEntry {
    /// Path inside the archive (relative, `/`-separated).
    pub path: String,
    /// What it holds.
    pub content: EntryContent,
}

/// How one input channel is filled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChannelPlan {
    /// Synthetic rows from a profile or a schema.
    Generated(GeneratedData),
    /// An empty directory.
    Empty,
    /// A small text file, for example a `signature` file holding one header line.
    Text {
        /// File name in the channel.
        file_name: String,
        /// Its content, written as given.
        content: String,
    },
    /// A JSON document, for example `hyperparameters.json`.
    Json {
        /// File name in the channel.
        file_name: String,
        /// The document (written pretty-printed).
        value: serde_json::Value,
    },
    /// The contents of a fixture directory (or a single file), copied recursively.
    ///
    /// The source itself may be a symbolic link, but links inside it are skipped (and logged),
    /// never followed or recreated: a fixture cannot pull in, or point the script at, files from
    /// outside it.
    Fixture {
        /// The directory or file to copy (absolute).
        source: PathBuf,
    },
    /// A gzip-compressed tar archive built from entries, for example `model.tar.gz`.
    ///
    /// The same entries give the same bytes: entries keep their order (directories are walked in
    /// name order), and every header has mtime 0, uid and gid 0, and mode 0644 (0755 for
    /// directories, so that they can be entered once extracted). Symbolic links inside a
    /// directory entry are skipped, as in fixtures.
    TarGz {
        /// File name in the channel.
        file_name: String,
        /// What goes inside.
        entries: Vec<TarEntry>,
    },
    /// Several of the above in one channel directory, written in order (a later file of the same
    /// name replaces an earlier one). The first plan gets the channel's seed; the others get
    /// seeds mixed with their position, so two identical generators still write different rows.
    Several(Vec<ChannelPlan>),
}

/// Why a plan cannot be written, found before writing anything.
enum Problem {
    Schema(SchemaError),
    Unreadable(PathBuf, io::Error),
    Invalid(io::Error),
}

impl ChannelPlan {
    /// Everything that can be checked before writing: schemas, layouts, file names, and that
    /// fixtures and files for tar entries exist.
    fn check(&self) -> Result<(), Problem> {
        let exists = |path: &Path| {
            fs::metadata(path)
                .map(drop)
                .map_err(|err| Problem::Unreadable(path.to_owned(), err))
        };
        match self {
            ChannelPlan::Generated(data) => {
                if let TableSource::Schema(schema) = &data.source {
                    schema.validate().map_err(Problem::Schema)?;
                }
                data.check().map_err(Problem::Invalid)
            }
            ChannelPlan::Empty => Ok(()),
            ChannelPlan::Text { file_name, .. } | ChannelPlan::Json { file_name, .. } => {
                plain_relative(file_name)
                    .map(drop)
                    .map_err(Problem::Invalid)
            }
            ChannelPlan::Fixture { source } => exists(source),
            ChannelPlan::TarGz { file_name, entries } => {
                plain_relative(file_name).map_err(Problem::Invalid)?;
                for entry in entries {
                    plain_relative(&entry.path).map_err(Problem::Invalid)?;
                    if let EntryContent::File(path) = &entry.content {
                        exists(path)?;
                    }
                }
                Ok(())
            }
            ChannelPlan::Several(plans) => plans.iter().try_for_each(ChannelPlan::check),
        }
    }

    /// Writes this plan into `dir` (created if missing) with `seed` and lists the files written.
    pub(crate) fn write_into(&self, dir: &Path, seed: u64) -> io::Result<Vec<MaterializedFile>> {
        fs::create_dir_all(dir)?;
        match self {
            ChannelPlan::Generated(data) => data.write_into(dir, seed),
            ChannelPlan::Empty => Ok(Vec::new()),
            ChannelPlan::Text { file_name, content } => {
                Ok(vec![write_file(dir, file_name, content.as_bytes())?])
            }
            ChannelPlan::Json { file_name, value } => {
                Ok(vec![write_file(dir, file_name, &pretty_json(value)?)?])
            }
            ChannelPlan::Fixture { source } => copy_fixture(source, dir),
            ChannelPlan::TarGz { file_name, entries } => {
                let path = dir.join(plain_relative(file_name)?);
                create_parent(&path)?;
                write_tar_gz(&path, entries)?;
                Ok(vec![materialized(path, None)?])
            }
            ChannelPlan::Several(plans) => {
                let mut written = Vec::new();
                for (i, plan) in plans.iter().enumerate() {
                    let seed = seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                    written.extend(plan.write_into(dir, seed)?);
                }
                Ok(written)
            }
        }
    }
}

fn pretty_json(value: &serde_json::Value) -> io::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn create_parent(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(parent) => fs::create_dir_all(parent),
        None => Ok(()),
    }
}

/// Writes `content` to `dir/name` (`name` may hold subfolders, created as needed).
fn write_file(dir: &Path, name: &str, content: &[u8]) -> io::Result<MaterializedFile> {
    let path = dir.join(plain_relative(name)?);
    create_parent(&path)?;
    fs::write(&path, content)?;
    materialized(path, None)
}

/// Copies the fixture at `source` (a directory's contents, or one file) into `dir`.
fn copy_fixture(source: &Path, dir: &Path) -> io::Result<Vec<MaterializedFile>> {
    let copied = if fs::metadata(source).map_err(at(source))?.is_dir() {
        crate::tree::copy(source, dir)?
    } else {
        let name = source
            .file_name()
            .ok_or_else(|| invalid(format!("fixture {} has no file name", source.display())))?;
        let to = dir.join(name);
        fs::copy(source, &to).map_err(at(source))?;
        vec![to]
    };
    copied.into_iter().map(|p| materialized(p, None)).collect()
}

/// Writes a gzip-compressed tar of `entries` to `path`, byte-identical for the same entries.
fn write_tar_gz(path: &Path, entries: &[TarEntry]) -> io::Result<()> {
    let file = fs::File::create(path)?;
    let gz = GzEncoder::new(io::BufWriter::new(file), Compression::default());
    let mut tar = tar::Builder::new(gz);
    for entry in entries {
        let name = entry.path.trim_end_matches('/');
        match &entry.content {
            EntryContent::Text(text) => append_file(&mut tar, name, text.as_bytes())?,
            EntryContent::Json(value) => append_file(&mut tar, name, &pretty_json(value)?)?,
            EntryContent::File(source) => {
                if fs::metadata(source).map_err(at(source))?.is_dir() {
                    append_dir(&mut tar, name, source)?;
                } else {
                    append_file(&mut tar, name, &fs::read(source).map_err(at(source))?)?;
                }
            }
        }
    }
    tar.into_inner()?.finish()?.flush()
}

fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_size(size);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header
}

fn append_file<W: Write>(tar: &mut tar::Builder<W>, name: &str, data: &[u8]) -> io::Result<()> {
    let mut header = header(tar::EntryType::Regular, 0o644, data.len() as u64);
    tar.append_data(&mut header, name, data)
}

/// Adds `source` as the folder `name`, then its files and folders (in name order) below it.
fn append_dir<W: Write>(tar: &mut tar::Builder<W>, name: &str, source: &Path) -> io::Result<()> {
    let mut dir_header = header(tar::EntryType::Directory, 0o755, 0);
    tar.append_data(&mut dir_header, format!("{name}/"), io::empty())?;
    for entry in crate::tree::entries(source)? {
        let Some(rel) = entry.rel.to_str() else {
            tracing::warn!(path = %entry.path.display(), "skipping a file whose name is not UTF-8");
            continue;
        };
        let child_name = format!("{name}/{rel}");
        match entry.kind {
            crate::tree::Kind::Dir => {
                tar.append_data(
                    &mut dir_header.clone(),
                    format!("{child_name}/"),
                    io::empty(),
                )?;
            }
            crate::tree::Kind::File => {
                let data = fs::read(&entry.path).map_err(at(&entry.path))?;
                append_file(tar, &child_name, &data)?;
            }
            crate::tree::Kind::Other => crate::tree::skip_warning(&entry),
        }
    }
    Ok(())
}

/// A file sf wrote into an input channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterializedFile {
    /// Where.
    pub path: PathBuf,
    /// Data rows (header excluded) of a generated table; `None` for other files.
    pub rows: Option<usize>,
    /// Size on disk.
    pub bytes: u64,
}

/// For each input channel, how it is filled. Same seed, same bytes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataPlan {
    /// Channel name → plan.
    pub channels: BTreeMap<String, ChannelPlan>,
}

impl DataPlan {
    /// A plan with no input channels.
    pub fn new() -> DataPlan {
        DataPlan::default()
    }

    /// Adds (or replaces) a channel.
    pub fn channel(mut self, name: impl Into<String>, plan: ChannelPlan) -> DataPlan {
        self.channels.insert(name.into(), plan);
        self
    }

    /// Writes every channel into `dir_of(channel)`, each channel with its own seed derived from
    /// `seed` and the channel name (so adding a channel never changes another channel's bytes).
    ///
    /// Every channel is checked first (schemas, layouts, file names, fixture and tar entry
    /// sources), so a plan that cannot be written fails before writing anything.
    pub fn materialize(
        &self,
        seed: u64,
        dir_of: impl Fn(&str) -> PathBuf,
    ) -> Result<Vec<(String, MaterializedFile)>, DataError> {
        for (channel, plan) in &self.channels {
            plan.check().map_err(|problem| match problem {
                Problem::Schema(source) => DataError::Schema {
                    channel: channel.clone(),
                    source,
                },
                Problem::Unreadable(path, source) => DataError::Read {
                    channel: channel.clone(),
                    path,
                    source,
                },
                Problem::Invalid(source) => DataError::Write {
                    channel: channel.clone(),
                    path: dir_of(channel),
                    source,
                },
            })?;
        }
        let mut written = Vec::new();
        for (channel, plan) in &self.channels {
            let dir = dir_of(channel);
            let files = plan
                .write_into(&dir, channel_seed(seed, channel))
                .map_err(|source| DataError::Write {
                    channel: channel.clone(),
                    path: dir.clone(),
                    source,
                })?;
            written.extend(files.into_iter().map(|f| (channel.clone(), f)));
        }
        Ok(written)
    }
}

/// The seed of one channel: `seed` mixed with a stable (FNV-1a) hash of the channel name.
pub fn channel_seed(seed: u64, channel: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in channel.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    seed ^ hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Size;

    fn plan() -> DataPlan {
        DataPlan::new()
            .channel(
                "a",
                ChannelPlan::Generated(GeneratedData::new(
                    Profile::Generic,
                    RowCount::Size(Size::Small),
                )),
            )
            .channel(
                "b",
                ChannelPlan::Generated(GeneratedData {
                    format: Format::Jsonl,
                    ..GeneratedData::new(Profile::Currency, RowCount::Rows(7))
                }),
            )
            .channel("c", ChannelPlan::Empty)
    }

    #[test]
    fn materialize_writes_every_channel_byte_identically_for_the_same_seed() {
        let one = tempfile::tempdir().unwrap();
        let two = tempfile::tempdir().unwrap();
        let a = plan().materialize(42, |c| one.path().join(c)).unwrap();
        plan().materialize(42, |c| two.path().join(c)).unwrap();
        assert_eq!(a.len(), 2);
        for rel in ["a/data.csv", "b/data.jsonl"] {
            assert_eq!(
                fs::read(one.path().join(rel)).unwrap(),
                fs::read(two.path().join(rel)).unwrap(),
                "{rel}"
            );
        }
        assert!(one.path().join("c").is_dir());
        let b = fs::read_to_string(one.path().join("b/data.jsonl")).unwrap();
        assert_eq!(b.lines().count(), 7);
    }

    #[test]
    fn channels_get_different_data_from_one_seed() {
        assert_ne!(channel_seed(42, "a"), channel_seed(42, "b"));
    }

    use crate::data::{ColumnKind, ColumnSpec};
    use flate2::read::GzDecoder;
    use std::io::Read;

    fn rows(n: usize) -> GeneratedData {
        GeneratedData::new(Profile::Generic, RowCount::Rows(n))
    }

    fn names(files: &[MaterializedFile], root: &Path) -> Vec<String> {
        files
            .iter()
            .map(|f| {
                f.path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    }

    fn row_counts(files: &[MaterializedFile]) -> Vec<Option<usize>> {
        files.iter().map(|f| f.rows).collect()
    }

    fn ids_in(path: &Path) -> Vec<i64> {
        let mut reader = csv::Reader::from_path(path).unwrap();
        reader
            .records()
            .map(|r| r.unwrap()[0].parse().unwrap())
            .collect()
    }

    #[test]
    fn shards_spread_rows_evenly_with_the_extra_rows_first() {
        let dir = tempfile::tempdir().unwrap();
        let data = GeneratedData {
            layout: Layout::Shards { count: 3 },
            ..rows(10)
        };
        let files = data.write_into(dir.path(), 1).unwrap();
        assert_eq!(
            names(&files, dir.path()),
            ["part-00000.csv", "part-00001.csv", "part-00002.csv"]
        );
        assert_eq!(row_counts(&files), [Some(4), Some(3), Some(3)]);
        let ids: Vec<i64> = files.iter().flat_map(|f| ids_in(&f.path)).collect();
        assert_eq!(ids, (1..=10).collect::<Vec<_>>());
        for f in &files {
            assert_eq!(f.bytes, fs::metadata(&f.path).unwrap().len());
        }

        let files = GeneratedData {
            layout: Layout::Shards { count: 4 },
            format: Format::Jsonl,
            ..rows(2)
        }
        .write_into(&dir.path().join("few"), 1)
        .unwrap();
        assert_eq!(row_counts(&files), [Some(1), Some(1), Some(0), Some(0)]);
        assert!(files[3].path.ends_with("part-00003.jsonl"));
    }

    #[test]
    fn a_given_table_is_written_like_a_generated_one() {
        let dir = tempfile::tempdir().unwrap();
        let data = GeneratedData {
            layout: Layout::train_test_val(),
            gzip: true,
            ..rows(20)
        };
        let generated = data.write_into(&dir.path().join("a"), 5).unwrap();
        let table = data.source.generate(20, 5);
        let given = data.write_table(&table, &dir.path().join("b")).unwrap();
        assert_eq!(
            names(&generated, &dir.path().join("a")),
            names(&given, &dir.path().join("b"))
        );
        assert_eq!(row_counts(&generated), row_counts(&given));
        for (a, b) in generated.iter().zip(&given) {
            assert_eq!(fs::read(&a.path).unwrap(), fs::read(&b.path).unwrap());
        }

        // The table's own row count wins over the configured one; no rows is a header only.
        let empty = GeneratedData {
            layout: Layout::Shards { count: 2 },
            ..rows(20)
        };
        let files = empty
            .write_table(&table.slice(0..0), &dir.path().join("c"))
            .unwrap();
        assert_eq!(row_counts(&files), [Some(0), Some(0)]);
        assert_eq!(
            fs::read_to_string(&files[0].path).unwrap(),
            "id,value,category\n"
        );

        // An invalid layout is refused before anything is written.
        let err = GeneratedData {
            layout: Layout::Shards { count: 0 },
            ..rows(1)
        }
        .write_table(&table, &dir.path().join("d"))
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(!dir.path().join("d").exists());
    }

    #[test]
    fn zero_shards_is_an_error_that_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let err = GeneratedData {
            layout: Layout::Shards { count: 0 },
            ..rows(10)
        }
        .write_into(dir.path(), 1)
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("at least one shard"), "{err}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn default_splits_are_train_test_val_folders_of_one_table() {
        let dir = tempfile::tempdir().unwrap();
        let files = GeneratedData {
            layout: Layout::train_test_val(),
            ..rows(100)
        }
        .write_into(dir.path(), 3)
        .unwrap();
        assert_eq!(
            names(&files, dir.path()),
            [
                "train/train_processed_data.csv",
                "test/test_processed_data.csv",
                "val/val_processed_data.csv"
            ]
        );
        assert_eq!(row_counts(&files), [Some(70), Some(15), Some(15)]);
        // One table cut in three: ids run on across splits, never repeating.
        let ids: Vec<i64> = files.iter().flat_map(|f| ids_in(&f.path)).collect();
        assert_eq!(ids, (1..=100).collect::<Vec<_>>());
    }

    #[test]
    fn custom_splits_normalise_ratios_and_the_last_takes_the_remainder() {
        let dir = tempfile::tempdir().unwrap();
        let files = GeneratedData {
            layout: Layout::Splits {
                splits: vec![Split::new("fit", 2.0), Split::new("holdout", 1.0)],
                file_pattern: "{split}-part.{ext}".into(),
            },
            format: Format::Tsv,
            ..rows(10)
        }
        .write_into(dir.path(), 3)
        .unwrap();
        assert_eq!(
            names(&files, dir.path()),
            ["fit/fit-part.tsv", "holdout/holdout-part.tsv"]
        );
        assert_eq!(row_counts(&files), [Some(7), Some(3)]);
        assert_eq!(split_ranges(10, &[1.0, 1.0, 1.0]), [0..3, 3..6, 6..10]);
        assert_eq!(split_ranges(3, &[0.5, 0.5, 0.0]), [0..2, 2..3, 3..3]);
        assert_eq!(split_ranges(0, &[0.7, 0.3]), [0..0, 0..0]);
    }

    #[test]
    fn bad_split_layouts_are_refused_before_writing() {
        let dir = tempfile::tempdir().unwrap();
        let layouts = [
            (vec![], "{split}.{ext}", "at least one split"),
            (
                vec![Split::new("../up", 1.0)],
                "{split}.{ext}",
                "plain folder name",
            ),
            (
                vec![Split::new("a", 1.0), Split::new("a", 1.0)],
                "{split}.{ext}",
                "appears twice",
            ),
            (vec![Split::new("a", -1.0)], "{split}.{ext}", "ratio -1"),
            (
                vec![Split::new("a", 0.0)],
                "{split}.{ext}",
                "positive, finite total",
            ),
            (
                vec![Split::new("a", 1.0)],
                "x/{split}.{ext}",
                "plain file name",
            ),
        ];
        for (splits, pattern, message) in layouts {
            let err = GeneratedData {
                layout: Layout::Splits {
                    splits,
                    file_pattern: pattern.into(),
                },
                ..rows(10)
            }
            .write_into(dir.path(), 1)
            .unwrap_err();
            assert!(err.to_string().contains(message), "{err}");
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    fn gunzip(path: &Path) -> Vec<u8> {
        let mut out = Vec::new();
        GzDecoder::new(fs::File::open(path).unwrap())
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn gzip_round_trips_to_the_uncompressed_bytes() {
        let dir = tempfile::tempdir().unwrap();
        for layout in [
            Layout::Single,
            Layout::Shards { count: 2 },
            Layout::train_test_val(),
        ] {
            let plain = GeneratedData {
                layout: layout.clone(),
                ..rows(300)
            };
            let zipped = GeneratedData {
                gzip: true,
                ..plain.clone()
            };
            let a = plain.write_into(&dir.path().join("plain"), 5).unwrap();
            let b = zipped.write_into(&dir.path().join("gz"), 5).unwrap();
            assert_eq!(a.len(), b.len());
            for (a, b) in a.iter().zip(&b) {
                let name = b.path.file_name().unwrap().to_string_lossy();
                assert_eq!(
                    format!("{}.gz", a.path.file_name().unwrap().to_string_lossy()),
                    name
                );
                assert_eq!(a.rows, b.rows);
                assert_eq!(gunzip(&b.path), fs::read(&a.path).unwrap(), "{name}");
                assert!(b.bytes < a.bytes, "{name} did not shrink");
            }
        }
        let named = GeneratedData {
            gzip: true,
            file_name: Some("rates.csv".into()),
            ..rows(3)
        }
        .write_into(&dir.path().join("named"), 5)
        .unwrap();
        assert!(named[0].path.ends_with("rates.csv.gz"));
    }

    #[test]
    fn schema_channels_generate_their_columns() {
        let dir = tempfile::tempdir().unwrap();
        let schema = Schema {
            columns: vec![ColumnSpec {
                name: "code".into(),
                kind: ColumnKind::Pattern {
                    pattern: "AB-##".into(),
                },
                null_rate: 0.0,
            }],
            label: None,
        };
        let plan = DataPlan::new().channel(
            "in",
            ChannelPlan::Generated(GeneratedData::from_source(
                TableSource::Schema(schema),
                RowCount::Size(Size::Small),
            )),
        );
        let files = plan.materialize(1, |c| dir.path().join(c)).unwrap();
        assert_eq!(files[0].1.rows, Some(100));
        let text = fs::read_to_string(dir.path().join("in/data.csv")).unwrap();
        assert_eq!(text.lines().next(), Some("code"));
        assert!(
            text.lines()
                .skip(1)
                .all(|l| l.len() == 5 && l.starts_with("AB-"))
        );
    }

    #[test]
    fn an_invalid_schema_fails_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let schema = Schema {
            columns: vec![ColumnSpec {
                name: "age".into(),
                kind: ColumnKind::Int { min: 10, max: 5 },
                null_rate: 0.0,
            }],
            label: None,
        };
        let plan = plan().channel(
            "z",
            ChannelPlan::Generated(GeneratedData::from_source(
                TableSource::Schema(schema.clone()),
                RowCount::Rows(5),
            )),
        );
        let err = plan.materialize(1, |c| dir.path().join(c)).unwrap_err();
        assert_eq!(err.to_string(), "input channel `z`: invalid schema");
        let source = std::error::Error::source(&err).unwrap().to_string();
        assert_eq!(source, "column `age`: min 10 is greater than max 5");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);

        // Called directly, the generator refuses it too.
        let err = GeneratedData::from_source(TableSource::Schema(schema), RowCount::Rows(5))
            .write_into(dir.path(), 1)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn text_and_json_channels_write_their_content() {
        let dir = tempfile::tempdir().unwrap();
        let plan = DataPlan::new()
            .channel(
                "sig",
                ChannelPlan::Text {
                    file_name: "signature".into(),
                    content: "a,b,c".into(),
                },
            )
            .channel(
                "hp",
                ChannelPlan::Json {
                    file_name: "config/hyperparameters.json".into(),
                    value: serde_json::json!({"eta": 0.1, "depth": [1, 2]}),
                },
            );
        let files = plan.materialize(1, |c| dir.path().join(c)).unwrap();
        assert_eq!(files.len(), 2);
        assert!(files.iter().all(|(_, f)| f.rows.is_none()));
        assert_eq!(
            fs::read_to_string(dir.path().join("sig/signature")).unwrap(),
            "a,b,c"
        );
        let json = fs::read_to_string(dir.path().join("hp/config/hyperparameters.json")).unwrap();
        assert_eq!(
            json,
            "{\n  \"depth\": [\n    1,\n    2\n  ],\n  \"eta\": 0.1\n}\n"
        );
        let (_, hp) = files.iter().find(|(c, _)| c == "hp").unwrap();
        assert_eq!(hp.bytes, json.len() as u64);
    }

    #[test]
    fn file_names_cannot_leave_the_channel() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["../escape", "/abs", "", "a/../../b"] {
            let plan = DataPlan::new().channel(
                "c",
                ChannelPlan::Text {
                    file_name: name.into(),
                    content: "x".into(),
                },
            );
            let err = plan.materialize(1, |c| dir.path().join(c)).unwrap_err();
            let cause = std::error::Error::source(&err).unwrap().to_string();
            assert!(
                cause.contains("not a relative path inside the channel"),
                "{cause}"
            );
        }
    }

    /// A fixture folder with a nested file, plus a link to a secret outside the fixture.
    fn fixture(root: &Path) -> PathBuf {
        let source = root.join("fixture");
        fs::create_dir_all(source.join("nested/deeper")).unwrap();
        fs::write(source.join("top.csv"), "a\n1\n").unwrap();
        fs::write(source.join("nested/inner.txt"), "inner").unwrap();
        fs::write(root.join("secret.txt"), "secret").unwrap();
        std::os::unix::fs::symlink(root.join("secret.txt"), source.join("leak.txt")).unwrap();
        std::os::unix::fs::symlink(root, source.join("up")).unwrap();
        source
    }

    #[test]
    fn fixtures_are_copied_recursively_without_following_links() {
        let root = tempfile::tempdir().unwrap();
        let source = fixture(root.path());
        let out = root.path().join("out");
        let plan = DataPlan::new().channel("fx", ChannelPlan::Fixture { source });
        let files = plan.materialize(1, |c| out.join(c)).unwrap();
        let files: Vec<MaterializedFile> = files.into_iter().map(|(_, f)| f).collect();
        assert_eq!(
            names(&files, &out.join("fx")),
            ["nested/inner.txt", "top.csv"]
        );
        assert_eq!(
            fs::read_to_string(out.join("fx/nested/inner.txt")).unwrap(),
            "inner"
        );
        assert!(out.join("fx/nested/deeper").is_dir());
        assert!(fs::symlink_metadata(out.join("fx/leak.txt")).is_err());
        assert!(fs::symlink_metadata(out.join("fx/up")).is_err());
        assert!(files.iter().all(|f| f.rows.is_none() && f.bytes > 0));
    }

    #[test]
    fn a_single_file_fixture_is_copied_into_the_channel() {
        let root = tempfile::tempdir().unwrap();
        let source = fixture(root.path()).join("top.csv");
        let files = ChannelPlan::Fixture { source }
            .write_into(&root.path().join("ch"), 1)
            .unwrap();
        assert_eq!(files[0].path, root.path().join("ch/top.csv"));
        assert_eq!(files[0].bytes, 4);
    }

    #[test]
    fn a_fixture_holding_its_channel_is_not_copied_into_itself() {
        let root = tempfile::tempdir().unwrap();
        let source = fixture(root.path());
        let files = ChannelPlan::Fixture {
            source: source.clone(),
        }
        .write_into(&source.join("nested/channel"), 1)
        .unwrap();
        assert_eq!(files.len(), 2);
        assert!(!source.join("nested/channel/nested/channel").exists());
    }

    #[test]
    fn a_missing_fixture_errors_naming_the_channel_and_path() {
        let root = tempfile::tempdir().unwrap();
        let missing = root.path().join("no-such-fixture");
        let plan = DataPlan::new().channel(
            "models",
            ChannelPlan::Fixture {
                source: missing.clone(),
            },
        );
        let err = plan.materialize(1, |c| root.path().join(c)).unwrap_err();
        assert!(matches!(&err, DataError::Read { channel, path, .. }
            if channel == "models" && *path == missing));
        assert_eq!(
            err.to_string(),
            format!("input channel `models`: cannot read {}", missing.display())
        );
        assert!(!root.path().join("models").exists());
    }

    fn tar_plan(root: &Path) -> ChannelPlan {
        let source = fixture(root);
        ChannelPlan::TarGz {
            file_name: "model.tar.gz".into(),
            entries: vec![
                TarEntry {
                    path: "model/version.txt".into(),
                    content: EntryContent::Text("3".into()),
                },
                TarEntry {
                    path: "meta.json".into(),
                    content: EntryContent::Json(serde_json::json!({"k": [1]})),
                },
                TarEntry {
                    path: "weights.csv".into(),
                    content: EntryContent::File(source.join("top.csv")),
                },
                TarEntry {
                    path: "assets".into(),
                    content: EntryContent::File(source),
                },
                TarEntry {
                    path: format!("{}/long.txt", "d".repeat(120)),
                    content: EntryContent::Text("long".into()),
                },
            ],
        }
    }

    fn read_tar(path: &Path) -> Vec<(String, tar::EntryType, u32, String)> {
        let mut archive = tar::Archive::new(GzDecoder::new(fs::File::open(path).unwrap()));
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let name = e.path().unwrap().to_string_lossy().into_owned();
                let header = e.header();
                assert_eq!(header.mtime().unwrap(), 0);
                assert_eq!((header.uid().unwrap(), header.gid().unwrap()), (0, 0));
                let (kind, mode) = (header.entry_type(), header.mode().unwrap());
                let mut content = String::new();
                e.read_to_string(&mut content).unwrap();
                (name, kind, mode, content)
            })
            .collect()
    }

    #[test]
    fn tar_gz_channels_hold_their_entries_in_order() {
        let root = tempfile::tempdir().unwrap();
        let plan = DataPlan::new().channel("model", tar_plan(root.path()));
        let files = plan.materialize(1, |c| root.path().join(c)).unwrap();
        assert_eq!(files.len(), 1);
        let file = &files[0].1;
        assert_eq!(file.path, root.path().join("model/model.tar.gz"));
        assert_eq!(file.rows, None);
        let entries = read_tar(&file.path);
        let regular = tar::EntryType::Regular;
        let dir = tar::EntryType::Directory;
        let expected = [
            ("model/version.txt", regular, 0o644, "3"),
            (
                "meta.json",
                regular,
                0o644,
                "{\n  \"k\": [\n    1\n  ]\n}\n",
            ),
            ("weights.csv", regular, 0o644, "a\n1\n"),
            ("assets/", dir, 0o755, ""),
            ("assets/nested/", dir, 0o755, ""),
            ("assets/nested/deeper/", dir, 0o755, ""),
            ("assets/nested/inner.txt", regular, 0o644, "inner"),
            ("assets/top.csv", regular, 0o644, "a\n1\n"),
        ];
        for (got, want) in entries.iter().zip(expected) {
            assert_eq!(
                (got.0.trim_end_matches('/'), got.1, got.2, got.3.as_str()),
                (want.0.trim_end_matches('/'), want.1, want.2, want.3)
            );
        }
        assert_eq!(entries.len(), expected.len() + 1);
        let long = entries.last().unwrap();
        assert_eq!(long.0, format!("{}/long.txt", "d".repeat(120)));
        assert_eq!(long.3, "long");
        // The links planted in the fixture stay out of the archive.
        assert!(
            !entries
                .iter()
                .any(|e| e.0.contains("leak") || e.0.contains("up"))
        );
    }

    #[test]
    fn two_materializations_give_byte_identical_tar_gz() {
        let root = tempfile::tempdir().unwrap();
        let plan = tar_plan(root.path());
        let a = plan.write_into(&root.path().join("a"), 1).unwrap();
        // Another seed, and fresh files with new mtimes: still the same bytes.
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(root.path().join("fixture/top.csv"), "a\n1\n").unwrap();
        let b = plan.write_into(&root.path().join("b"), 2).unwrap();
        assert_eq!(fs::read(&a[0].path).unwrap(), fs::read(&b[0].path).unwrap());
    }

    #[test]
    fn a_missing_tar_entry_file_errors_naming_the_channel() {
        let root = tempfile::tempdir().unwrap();
        let missing = root.path().join("gone.bin");
        let plan = DataPlan::new().channel(
            "model",
            ChannelPlan::TarGz {
                file_name: "model.tar.gz".into(),
                entries: vec![TarEntry {
                    path: "gone.bin".into(),
                    content: EntryContent::File(missing.clone()),
                }],
            },
        );
        let err = plan.materialize(1, |c| root.path().join(c)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("input channel `model`: cannot read {}", missing.display())
        );
    }

    #[test]
    fn several_plans_share_one_channel_directory() {
        let root = tempfile::tempdir().unwrap();
        let several = ChannelPlan::Several(vec![
            ChannelPlan::Generated(rows(5)),
            ChannelPlan::Generated(GeneratedData {
                file_name: Some("more.csv".into()),
                ..rows(5)
            }),
            ChannelPlan::Text {
                file_name: "signature".into(),
                content: "id,value,category\n".into(),
            },
            ChannelPlan::Empty,
            ChannelPlan::Several(vec![ChannelPlan::Json {
                file_name: "hp.json".into(),
                value: serde_json::json!(1),
            }]),
        ]);
        let plan = DataPlan::new().channel("train", several.clone());
        let files = plan.materialize(9, |c| root.path().join(c)).unwrap();
        let files: Vec<MaterializedFile> = files.into_iter().map(|(_, f)| f).collect();
        let dir = root.path().join("train");
        assert_eq!(
            names(&files, &dir),
            ["data.csv", "more.csv", "signature", "hp.json"]
        );
        assert_eq!(row_counts(&files), [Some(5), Some(5), None, None]);
        // Same generator twice in one channel: different rows.
        assert_ne!(
            fs::read(dir.join("data.csv")).unwrap(),
            fs::read(dir.join("more.csv")).unwrap()
        );
        // The first plan of several writes what it would write alone.
        let alone = DataPlan::new().channel("train", ChannelPlan::Generated(rows(5)));
        alone
            .materialize(9, |c| root.path().join("alone").join(c))
            .unwrap();
        assert_eq!(
            fs::read(dir.join("data.csv")).unwrap(),
            fs::read(root.path().join("alone/train/data.csv")).unwrap()
        );
        // And the whole channel is reproducible.
        let again = root.path().join("again");
        DataPlan::new()
            .channel("train", several)
            .materialize(9, |c| again.join(c))
            .unwrap();
        for f in &files {
            let rel = f.path.strip_prefix(root.path()).unwrap();
            assert_eq!(
                fs::read(&f.path).unwrap(),
                fs::read(again.join(rel)).unwrap()
            );
        }
    }

    #[test]
    fn an_empty_channel_is_an_empty_directory() {
        let root = tempfile::tempdir().unwrap();
        let files = DataPlan::new()
            .channel("nothing", ChannelPlan::Empty)
            .materialize(1, |c| root.path().join(c))
            .unwrap();
        assert!(files.is_empty());
        assert_eq!(
            fs::read_dir(root.path().join("nothing")).unwrap().count(),
            0
        );
    }
}
