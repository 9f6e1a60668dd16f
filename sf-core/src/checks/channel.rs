//! What must hold for the files of one channel: an output channel after a run, or the data
//! crossing a pipeline edge before the downstream step runs. One type, one implementation.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::expect::{ExpectationFailure, Expectations};
use super::shape::{TableError, TableShape, is_tabular, read_table_shape};

/// What must hold for the files of a channel.
///
/// Start from [`ChannelChecks::output`] for an output channel
/// ([`TestSpec::outputs`](crate::TestSpec::outputs)): every check off, so an empty output only
/// earns a recommendation. Start from [`ChannelChecks::edge`] for what a pipeline step reads
/// through an edge ([`Step::reads`](crate::pipeline::Step::reads)): some file, tables that read,
/// and some data row when there are tables. There is deliberately no `Default`: the two starting
/// points differ, and the wrong one would silently drop checks.
///
/// Whatever the checks, a channel directory that is a symbolic link fails: its files are not
/// the script's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelChecks {
    /// The channel must hold at least one file.
    pub non_empty: bool,
    /// A glob relative to the channel (`train/*.csv`) that must match at least one file; it also
    /// selects the files `columns` and the row checks look at.
    pub files: Option<String>,
    /// The tabular files (CSV, TSV, JSON Lines, optionally `.gz`) together hold at least this
    /// many data rows; a channel with no tabular file fails it.
    pub min_rows: Option<usize>,
    /// When the channel holds tabular files, together they hold at least one data row (a channel
    /// of other files, such as a model archive, passes).
    pub some_rows: bool,
    /// Every tabular file is read to its end and must parse, even when no column or row check
    /// asks for its contents.
    pub readable: bool,
    /// Every tabular file has at least these columns.
    pub columns: Vec<String>,
    /// What the values of the tables and JSON files must be.
    #[serde(default)]
    pub expect: Expectations,
    /// Globs (`*.bst`, `hyperparameters.json`) that must each match a member of every archive
    /// (`.tar.gz`, `.tgz`, `.tar`, `.zip`) among the files `files` selects, or in the channel.
    /// Members are read from the archive's headers; nothing is extracted.
    #[serde(default)]
    pub members: Vec<String>,
    /// Every such archive holds at least this many members (directories are not members).
    #[serde(default)]
    pub min_members: Option<usize>,
}

/// One kind of check, as results name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The channel exists and holds a file.
    NonEmpty,
    /// The `files` glob matches.
    Files,
    /// Every tabular file has the columns.
    Columns,
    /// The tabular files hold enough data rows.
    Rows,
    /// The values meet their expectations.
    Values,
    /// The files match their golden copies.
    Golden,
    /// The archives hold the members asked for.
    Members,
}

impl Check {
    /// `non_empty`, `files`, `members`, `columns`, `rows`, `values` or `golden`.
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Members => "members",
            Check::Values => "values",
            Check::Golden => "golden",
            Check::NonEmpty => "non_empty",
            Check::Files => "files",
            Check::Columns => "columns",
            Check::Rows => "rows",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whose files are checked, as failure messages name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// An output channel of a script.
    Output(String),
    /// A pipeline edge: `step.output` and `step.input`.
    Edge {
        /// `step.output`.
        from: String,
        /// `step.input`.
        to: String,
    },
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Output(channel) => write!(f, "output channel `{channel}`"),
            Subject::Edge { from, to } => write!(f, "edge {from} -> {to}"),
        }
    }
}

/// A check that did not hold, naming the channel (or edge), the file and the column.
#[derive(Debug, thiserror::Error)]
#[error("{subject}{problem}")]
pub struct CheckFailure {
    /// Whose files.
    pub subject: Subject,
    /// What is wrong.
    pub problem: Box<Problem>,
    /// The checks that held before this one failed, in order.
    pub held: Vec<Check>,
}

impl CheckFailure {
    /// The check that failed.
    pub fn check(&self) -> Check {
        match &*self.problem {
            Problem::Missing { .. }
            | Problem::Link { .. }
            | Problem::Empty
            | Problem::Copy { .. } => Check::NonEmpty,
            Problem::InvalidGlob { .. } | Problem::GlobOutside { .. } | Problem::NoMatch { .. } => {
                Check::Files
            }
            Problem::MissingColumn { .. } => Check::Columns,
            Problem::NoTables { columns } if !columns.is_empty() => Check::Columns,
            Problem::Unreadable { columns, .. } if !columns.is_empty() => Check::Columns,
            Problem::NoTables { .. }
            | Problem::Unreadable { .. }
            | Problem::TooFewRows { .. }
            | Problem::NoRows { .. } => Check::Rows,
            Problem::Expectation(_) | Problem::ExpectedColumn { .. } | Problem::NoJson => {
                Check::Values
            }
            Problem::Golden(_) => Check::Golden,
            Problem::InvalidMemberGlob { .. }
            | Problem::NoArchives { .. }
            | Problem::UnreadableArchive { .. }
            | Problem::MissingMember { .. }
            | Problem::TooFewMembers { .. } => Check::Members,
        }
    }
}

/// What a [`CheckFailure`] found. Displayed as the end of a sentence that starts with the
/// subject.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// The channel directory does not exist.
    #[error(": {} does not exist", path.display())]
    Missing {
        /// The directory.
        path: PathBuf,
    },
    /// The channel directory is a symbolic link (its files are not the script's).
    #[error(": {} is a symbolic link; sf does not follow links out of a channel", path.display())]
    Link {
        /// The link.
        path: PathBuf,
    },
    /// The channel holds no file.
    #[error(" is empty")]
    Empty,
    /// An edge's data could not be copied for the downstream step.
    #[error(": cannot copy the upstream output to {}: {source}", to.display())]
    Copy {
        /// The copy's directory.
        to: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The `files` glob is not a valid pattern.
    #[error(": invalid glob `{pattern}`: {source}")]
    InvalidGlob {
        /// The glob.
        pattern: String,
        /// The parser's complaint.
        #[source]
        source: glob::PatternError,
    },
    /// The `files` glob reaches outside the channel (`..` or an absolute path).
    #[error(
        ": glob `{pattern}` reaches outside the channel; write it relative to the channel, without `..`"
    )]
    GlobOutside {
        /// The glob.
        pattern: String,
    },
    /// The `files` glob matched nothing.
    #[error(" has no file matching `{pattern}` (files: {listing})")]
    NoMatch {
        /// The glob.
        pattern: String,
        /// Some of the files the channel does hold.
        listing: String,
    },
    /// A tabular file could not be read.
    #[error(": cannot read {file}: {source}")]
    Unreadable {
        /// The file, relative to the channel.
        file: String,
        /// The columns asked for (they decide which check failed).
        columns: Vec<String>,
        /// Why.
        #[source]
        source: TableError,
    },
    /// A tabular file lacks a column.
    #[error(": {file} has no column `{column}` (columns: {})", present.join(", "))]
    MissingColumn {
        /// The file, relative to the channel.
        file: String,
        /// The missing column.
        column: String,
        /// The columns it has.
        present: Vec<String>,
    },
    /// Columns or rows were asked for, but no file is a table.
    #[error(" holds no CSV, TSV or JSON Lines file to check")]
    NoTables {
        /// The columns asked for.
        columns: Vec<String>,
    },
    /// The tables hold fewer rows than `min_rows`.
    #[error(" holds {total} data rows, fewer than the {min} required")]
    TooFewRows {
        /// Data rows in all tables.
        total: usize,
        /// `min_rows`.
        min: usize,
    },
    /// The tables hold no data row at all.
    #[error(": {} holds no data rows", files.join(", "))]
    NoRows {
        /// The tables, relative to the channel.
        files: Vec<String>,
    },
    /// A value expectation did not hold.
    #[error(": {0}")]
    Expectation(Box<ExpectationFailure>),
    /// A value expectation names a column a table does not have.
    #[error(": {file} has no column `{column}` for {expectation} (columns: {})", present.join(", "))]
    ExpectedColumn {
        /// The file, relative to the channel.
        file: String,
        /// The column.
        column: String,
        /// The expectation that names it.
        expectation: String,
        /// The columns it has.
        present: Vec<String>,
    },
    /// JSON expectations were given, but no file is JSON.
    #[error(" holds no JSON file for its json expectations")]
    NoJson,
    /// The files differ from their golden copies.
    #[error(": {0}")]
    Golden(Box<super::golden::GoldenDiff>),
    /// A `members` glob is not a valid pattern.
    #[error(": invalid members glob `{pattern}`: {source}")]
    InvalidMemberGlob {
        /// The glob.
        pattern: String,
        /// The parser's complaint.
        #[source]
        source: glob::PatternError,
    },
    /// Members were asked for, but no file is an archive.
    #[error(" holds no archive (.tar.gz, .tgz, .tar, .zip) to look inside (files: {listing})")]
    NoArchives {
        /// Some of the files the checks looked at.
        listing: String,
    },
    /// An archive's members cannot be read: corrupt, cut short, or not an archive.
    #[error(": cannot read the members of {file}: {source}")]
    UnreadableArchive {
        /// The archive, relative to the channel.
        file: String,
        /// Why.
        #[source]
        source: super::members::ArchiveError,
    },
    /// No member of an archive matches a `members` glob.
    #[error(": {file} has no member matching `{pattern}` (members: {listing})")]
    MissingMember {
        /// The archive, relative to the channel.
        file: String,
        /// The glob.
        pattern: String,
        /// Some of the members it does hold.
        listing: String,
    },
    /// An archive holds fewer members than `min_members`.
    #[error(
        ": {file} holds {}, fewer than the {min} required (members: {listing})",
        super::members::members_word(*count)
    )]
    TooFewMembers {
        /// The archive, relative to the channel.
        file: String,
        /// Members read.
        count: usize,
        /// `min_members`.
        min: usize,
        /// Some of the members it does hold.
        listing: String,
    },
}

impl ChannelChecks {
    /// An output channel's checks before any is asked for: none.
    pub fn output() -> ChannelChecks {
        ChannelChecks {
            non_empty: false,
            files: None,
            min_rows: None,
            some_rows: false,
            readable: false,
            columns: Vec::new(),
            expect: Expectations::default(),
            members: Vec::new(),
            min_members: None,
        }
    }

    /// What a pipeline step needs of an input bound to an upstream output unless it says
    /// otherwise: some file, tables that read, and some data row when there are tables.
    pub fn edge() -> ChannelChecks {
        ChannelChecks {
            non_empty: true,
            some_rows: true,
            readable: true,
            ..ChannelChecks::output()
        }
    }

    /// Applies the checks to the channel directory `dir`; returns the checks that ran and held,
    /// in order, or the first that did not (with those that held before it).
    pub fn check(&self, subject: &Subject, dir: &Path) -> Result<Vec<Check>, CheckFailure> {
        self.check_with_inputs(subject, dir, None)
    }

    /// As [`check`](ChannelChecks::check), with `input` giving the directory of an input channel
    /// (of the script that wrote the files) for a `rows` expectation.
    pub fn check_with_inputs(
        &self,
        subject: &Subject,
        dir: &Path,
        input: Option<&dyn Fn(&str) -> PathBuf>,
    ) -> Result<Vec<Check>, CheckFailure> {
        let mut held = Vec::new();
        self.check_into(dir, &mut held, input)
            .map(|()| held.clone())
            .map_err(|problem| CheckFailure {
                subject: subject.clone(),
                problem: Box::new(problem),
                held,
            })
    }

    fn check_into(
        &self,
        dir: &Path,
        held: &mut Vec<Check>,
        input: Option<&dyn Fn(&str) -> PathBuf>,
    ) -> Result<(), Problem> {
        if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(Problem::Link {
                path: dir.to_owned(),
            });
        }
        if self.non_empty {
            if !dir.is_dir() {
                return Err(Problem::Missing {
                    path: dir.to_owned(),
                });
            }
            if crate::tree::count_files(dir) == 0 {
                return Err(Problem::Empty);
            }
            held.push(Check::NonEmpty);
        }
        let files = match &self.files {
            Some(pattern) => {
                let matched = glob_files(dir, pattern)?;
                if matched.is_empty() {
                    return Err(Problem::NoMatch {
                        pattern: pattern.clone(),
                        listing: crate::tree::listing(dir),
                    });
                }
                held.push(Check::Files);
                matched
            }
            None => crate::tree::files(dir),
        };
        self.check_members(dir, &files, held)?;
        let strict = self.min_rows.is_some() || !self.columns.is_empty();
        if !(strict || self.some_rows || self.readable) {
            return self.check_values(dir, &files, held, input);
        }
        let mut tables: Vec<(String, TableShape)> = Vec::new();
        for file in files.iter().filter(|f| is_tabular(f)) {
            let shown = file.strip_prefix(dir).unwrap_or(file).display().to_string();
            let shape = read_table_shape(file).map_err(|source| Problem::Unreadable {
                file: shown.clone(),
                columns: self.columns.clone(),
                source,
            })?;
            tables.push((shown, shape));
        }
        if tables.is_empty() {
            return if strict {
                Err(Problem::NoTables {
                    columns: self.columns.clone(),
                })
            } else {
                self.check_values(dir, &files, held, input)
            };
        }
        if !self.columns.is_empty() {
            for (shown, shape) in &tables {
                if let Some(missing) = self.columns.iter().find(|c| !shape.columns.contains(c)) {
                    return Err(Problem::MissingColumn {
                        file: shown.clone(),
                        column: missing.clone(),
                        present: shape.columns.clone(),
                    });
                }
            }
            held.push(Check::Columns);
        }
        let total: usize = tables.iter().map(|(_, s)| s.rows).sum();
        if let Some(min) = self.min_rows
            && total < min
        {
            return Err(Problem::TooFewRows { total, min });
        }
        if self.some_rows && total == 0 {
            return Err(Problem::NoRows {
                files: tables.into_iter().map(|(s, _)| s).collect(),
            });
        }
        if self.min_rows.is_some() || self.some_rows {
            held.push(Check::Rows);
        }
        self.check_values(dir, &files, held, input)
    }

    /// `members` and `min_members` over the archives among `files`.
    fn check_members(
        &self,
        dir: &Path,
        files: &[PathBuf],
        held: &mut Vec<Check>,
    ) -> Result<(), Problem> {
        if self.members.is_empty() && self.min_members.is_none() {
            return Ok(());
        }
        let patterns = self
            .members
            .iter()
            .map(|p| {
                glob::Pattern::new(p).map_err(|source| Problem::InvalidMemberGlob {
                    pattern: p.clone(),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let shown = |f: &PathBuf| f.strip_prefix(dir).unwrap_or(f).display().to_string();
        let archives: Vec<&PathBuf> = files
            .iter()
            .filter(|f| super::members::is_archive(f))
            .collect();
        if archives.is_empty() {
            let names: Vec<String> = files.iter().map(shown).collect();
            return Err(Problem::NoArchives {
                listing: if names.is_empty() {
                    "none".to_owned()
                } else {
                    super::some_of(&names)
                },
            });
        }
        for archive in archives {
            let file = shown(archive);
            let mut matched = vec![false; patterns.len()];
            let members =
                super::members::read_members(archive, super::members::CHECK_BUDGET, |name| {
                    for (hit, pattern) in matched.iter_mut().zip(&patterns) {
                        *hit = *hit || pattern.matches_with(name, GLOB_OPTIONS);
                    }
                })
                .map_err(|source| Problem::UnreadableArchive {
                    file: file.clone(),
                    source,
                })?;
            if let Some(i) = matched.iter().position(|hit| !hit) {
                return Err(Problem::MissingMember {
                    file,
                    pattern: self.members[i].clone(),
                    listing: members.listing(),
                });
            }
            if let Some(min) = self.min_members
                && members.count < min
            {
                return Err(Problem::TooFewMembers {
                    file,
                    count: members.count,
                    min,
                    listing: members.listing(),
                });
            }
        }
        held.push(Check::Members);
        Ok(())
    }

    fn check_values(
        &self,
        dir: &Path,
        files: &[PathBuf],
        held: &mut Vec<Check>,
        input: Option<&dyn Fn(&str) -> PathBuf>,
    ) -> Result<(), Problem> {
        if self.expect.is_empty() {
            return Ok(());
        }
        let shown = |f: &PathBuf| {
            (
                f.strip_prefix(dir).unwrap_or(f).display().to_string(),
                f.clone(),
            )
        };
        let tables: Vec<(String, PathBuf)> =
            files.iter().filter(|f| is_tabular(f)).map(shown).collect();
        let jsons: Vec<(String, PathBuf)> = files
            .iter()
            .filter(|f| {
                // A `part-*.json` shard is JSON Lines, a table: not one JSON document.
                !is_tabular(f)
                    && f.extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            })
            .map(shown)
            .collect();
        self.expect.check(&tables, &jsons, input)?;
        held.push(Check::Values);
        Ok(())
    }
}

/// As a shell (and `glob::glob`) reads a pattern: `*` stays within one folder, `**` crosses.
const GLOB_OPTIONS: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

/// Whether `pattern` could match outside the directory it is relative to.
pub(crate) fn glob_leaves_its_directory(pattern: &str) -> bool {
    let path = Path::new(pattern);
    path.is_absolute()
        || path
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
}

/// Regular files of `dir` matching `pattern` (relative to `dir`), in path order. The tree is
/// walked without following any link (a link to `.` inside the channel would otherwise count its
/// files again, or forever); a link the pattern matches is a failure, since its data is not the
/// channel's.
fn glob_files(dir: &Path, pattern: &str) -> Result<Vec<PathBuf>, Problem> {
    if glob_leaves_its_directory(pattern) {
        return Err(Problem::GlobOutside {
            pattern: pattern.to_owned(),
        });
    }
    let compiled = glob::Pattern::new(pattern).map_err(|source| Problem::InvalidGlob {
        pattern: pattern.to_owned(),
        source,
    })?;
    let options = GLOB_OPTIONS;
    let mut files = Vec::new();
    for entry in crate::tree::entries(dir).unwrap_or_default() {
        if !compiled.matches_path_with(&entry.rel, options) {
            continue;
        }
        match entry.kind {
            crate::tree::Kind::File => files.push(entry.path),
            crate::tree::Kind::Dir => {}
            crate::tree::Kind::Other => {
                let is_link = std::fs::symlink_metadata(&entry.path)
                    .is_ok_and(|m| m.file_type().is_symlink());
                if is_link {
                    return Err(Problem::Link { path: entry.path });
                }
            }
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    fn channel() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("train")).unwrap();
        fs::write(dir.path().join("train/a.csv"), "id,target\n1,0\n2,1\n").unwrap();
        fs::write(dir.path().join("train/b.tsv"), "id\ttarget\n3\t1\n").unwrap();
        fs::write(
            dir.path().join("rows.jsonl"),
            "{\"id\":1,\"target\":0}\n{\"id\":2,\"target\":1}\n",
        )
        .unwrap();
        let mut gz = flate2::write::GzEncoder::new(
            fs::File::create(dir.path().join("train/c.csv.gz")).unwrap(),
            flate2::Compression::default(),
        );
        std::io::Write::write_all(&mut gz, b"id,target\n4,0\n").unwrap();
        gz.finish().unwrap();
        fs::write(dir.path().join("notes.txt"), "not a table").unwrap();
        dir
    }

    fn checks(files: Option<&str>, min_rows: Option<usize>, columns: &[&str]) -> ChannelChecks {
        ChannelChecks {
            non_empty: true,
            files: files.map(str::to_owned),
            min_rows,
            columns: columns.iter().map(|c| c.to_string()).collect(),
            ..ChannelChecks::output()
        }
    }

    fn run(checks: &ChannelChecks, dir: &Path) -> Result<Vec<Check>, String> {
        checks
            .check(&Subject::Output("out".into()), dir)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn rows_are_counted_across_csv_tsv_gzip_and_json_lines() {
        let dir = channel();
        assert_eq!(
            run(&checks(None, Some(6), &["id", "target"]), dir.path()),
            Ok(vec![Check::NonEmpty, Check::Columns, Check::Rows])
        );
        assert_eq!(
            run(&checks(None, Some(7), &[]), dir.path()),
            Err("output channel `out` holds 6 data rows, fewer than the 7 required".into())
        );
        assert!(run(&checks(Some("train/*"), Some(4), &[]), dir.path()).is_ok());
    }

    #[test]
    fn part_json_shards_are_json_lines_and_other_json_files_are_documents() {
        let dir = tempfile::tempdir().unwrap();
        for (i, rows) in ["{\"id\":1}\n{\"id\":2}\n", "{\"id\":3}\n"]
            .iter()
            .enumerate()
        {
            fs::write(dir.path().join(format!("part-{i:05}.json")), rows).unwrap();
        }
        // A JSON document beside them is not a table, and has no columns to miss.
        fs::write(dir.path().join("metrics.json"), "{\"auc\": 0.9}").unwrap();
        assert_eq!(
            run(&checks(Some("part-*.json"), Some(3), &["id"]), dir.path()),
            Ok(vec![
                Check::NonEmpty,
                Check::Files,
                Check::Columns,
                Check::Rows
            ])
        );
        assert_eq!(
            run(&checks(None, Some(4), &["id"]), dir.path()),
            Err("output channel `out` holds 3 data rows, fewer than the 4 required".into())
        );
        fs::write(
            dir.path().join("part-00002.json"),
            "{\"id\": 4}\nnot json\n",
        )
        .unwrap();
        let err = run(&checks(None, Some(1), &[]), dir.path()).unwrap_err();
        assert!(
            err.contains("part-00002.json") && err.contains("line 2"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_column_names_the_channel_file_and_column() {
        let dir = channel();
        assert_eq!(
            run(
                &checks(Some("train/*.csv"), None, &["id", "label"]),
                dir.path()
            ),
            Err(
                "output channel `out`: train/a.csv has no column `label` (columns: id, target)"
                    .into()
            )
        );
    }

    #[test]
    fn a_glob_that_matches_nothing_and_an_empty_channel_fail() {
        let dir = channel();
        assert_eq!(
            run(&checks(Some("val/*.csv"), None, &[]), dir.path()),
            Err("output channel `out` has no file matching `val/*.csv` (files: notes.txt, rows.jsonl, train/a.csv, train/b.tsv, train/c.csv.gz)".into())
        );
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(
            run(&checks(None, None, &[]), empty.path()),
            Err("output channel `out` is empty".into())
        );
        assert_eq!(
            run(&checks(Some("notes.txt"), Some(1), &[]), dir.path()),
            Err("output channel `out` holds no CSV, TSV or JSON Lines file to check".into())
        );
    }

    #[test]
    fn an_edge_needs_rows_only_when_it_carries_tables() {
        let edge = Subject::Edge {
            from: "up.data".into(),
            to: "down.data".into(),
        };
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("model.tar.gz"), "archive").unwrap();
        assert_eq!(
            ChannelChecks::edge().check(&edge, dir.path()).unwrap(),
            [Check::NonEmpty]
        );
        fs::write(dir.path().join("data.csv"), "id\n").unwrap();
        let err = ChannelChecks::edge().check(&edge, dir.path()).unwrap_err();
        assert_eq!(err.check(), Check::Rows);
        assert_eq!(
            err.to_string(),
            "edge up.data -> down.data: data.csv holds no data rows"
        );
    }

    #[test]
    fn an_edge_that_allows_empty_tables_still_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("data.jsonl"), "not json\n").unwrap();
        let allow_empty = ChannelChecks {
            some_rows: false,
            ..ChannelChecks::edge()
        };
        let edge = Subject::Edge {
            from: "up.data".into(),
            to: "down.data".into(),
        };
        let err = allow_empty.check(&edge, dir.path()).unwrap_err();
        assert_eq!(err.check(), Check::Rows);
        assert!(
            err.to_string()
                .starts_with("edge up.data -> down.data: cannot read data.jsonl: line 1: "),
            "{err}"
        );
        assert_eq!(err.held, [Check::NonEmpty]);
    }

    #[test]
    fn a_channel_replaced_by_a_link_fails_whatever_the_checks() {
        let elsewhere = channel();
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("out");
        std::os::unix::fs::symlink(elsewhere.path(), &link).unwrap();
        for checks in [ChannelChecks::output(), checks(None, Some(1), &["id"])] {
            let err = checks
                .check(&Subject::Output("out".into()), &link)
                .unwrap_err();
            assert_eq!(err.check(), Check::NonEmpty);
            assert!(err.to_string().contains("is a symbolic link"), "{err}");
        }
        assert!(crate::tree::files(&link).is_empty());
    }

    #[test]
    fn a_glob_never_counts_files_outside_its_channel() {
        let outside = channel();
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("out");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("own.csv"), "id\n").unwrap();
        std::os::unix::fs::symlink(outside.path().join("train"), dir.join("train")).unwrap();
        let out = Subject::Output("out".into());
        for pattern in ["../*.csv", "/etc/*"] {
            let err = checks(Some(pattern), Some(1), &[])
                .check(&out, &dir)
                .unwrap_err();
            assert_eq!(err.check(), Check::Files);
            assert!(
                err.to_string().contains("reaches outside the channel"),
                "{err}"
            );
        }
        // The linked folder is not walked: its files are not the channel's.
        let err = checks(Some("train/*.csv"), Some(1), &[])
            .check(&out, &dir)
            .unwrap_err();
        assert!(err.to_string().contains("has no file matching"), "{err}");
        // Without a glob, the linked folder is simply not the channel's: one header-only file.
        let err = checks(None, Some(1), &[]).check(&out, &dir).unwrap_err();
        assert_eq!(
            err.to_string(),
            "output channel `out` holds 0 data rows, fewer than the 1 required"
        );
        // A matched link is named as one.
        std::os::unix::fs::symlink(outside.path().join("train/a.csv"), dir.join("b.csv")).unwrap();
        let err = checks(Some("*.csv"), Some(1), &[])
            .check(&out, &dir)
            .unwrap_err();
        assert!(
            err.to_string().contains("b.csv is a symbolic link"),
            "{err}"
        );
    }

    #[test]
    fn links_back_into_the_channel_neither_count_twice_nor_loop() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.csv"), "id\n1\n2\n3\n").unwrap();
        std::os::unix::fs::symlink(".", dir.path().join("l")).unwrap();
        std::os::unix::fs::symlink(".", dir.path().join("l2")).unwrap();
        let err = checks(Some("**/*.csv"), Some(100), &[])
            .check(&Subject::Output("out".into()), dir.path())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "output channel `out` holds 3 data rows, fewer than the 100 required"
        );
    }

    #[test]
    fn a_failure_lists_the_checks_that_held_before_it() {
        let dir = channel();
        let err = checks(Some("train/*.csv"), None, &["label"])
            .check(&Subject::Output("out".into()), dir.path())
            .unwrap_err();
        assert_eq!(err.held, [Check::NonEmpty, Check::Files]);
        assert_eq!(err.check(), Check::Columns);
    }

    #[test]
    fn an_unreadable_table_fails_the_check_that_needed_it() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("rows.jsonl"), "{\"id\": 1}\nnot json\n").unwrap();
        let err = checks(None, None, &["id"])
            .check(&Subject::Output("out".into()), dir.path())
            .unwrap_err();
        assert_eq!(err.check(), Check::Columns);
        assert!(
            err.to_string()
                .starts_with("output channel `out`: cannot read rows.jsonl: line 2: "),
            "{err}"
        );
    }
}
