//! The members of an archive a script wrote (`.tar.gz`, `.tgz`, `.tar`, `.zip`), read from its
//! headers alone: nothing in an archive is ever written to disk, names are only compared, and
//! reading stops at a bounded number of members and of decompressed bytes, so a hostile archive
//! (`../` names, a gzip bomb, millions of entries) costs little.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::shape::Budget as ReadBudget;

/// How much of one archive sf reads at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Budget {
    /// Members counted before reading stops.
    pub(crate) members: usize,
    /// Decompressed bytes walked before reading stops (a `.tar.gz` must be decompressed to
    /// reach its next header; a plain `.tar` is seeked through, a `.zip` read from its
    /// directory).
    pub(crate) bytes: u64,
}

/// What a `members` or `min_members` check reads of an archive.
pub(crate) const CHECK_BUDGET: Budget = Budget {
    members: 1_000_000,
    bytes: 512 << 20,
};

/// What a look at an archive for a recommendation reads.
pub(crate) const PROBE_BUDGET: Budget = Budget {
    members: 1,
    bytes: 64 << 20,
};

/// Member names a failure shows.
const SHOWN: usize = 10;

/// Why an archive's members cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The file cannot be opened or read.
    #[error("{0}")]
    Io(#[source] io::Error),
    /// The file holds no byte at all.
    #[error("the file is empty (0 bytes), not an archive")]
    EmptyFile,
    /// A tar (or gzip) stream that does not parse: corrupt, cut short, or not an archive.
    #[error("not a readable tar archive: {0}")]
    Tar(#[source] io::Error),
    /// A zip file whose directory does not parse.
    #[error("not a readable zip archive: {0}")]
    Zip(#[source] zip::result::ZipError),
}

/// What was read of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Members {
    /// Members read (directories are not members), up to the budget.
    pub(crate) count: usize,
    /// Whether the whole archive was read (false: the budget stopped it first).
    pub(crate) complete: bool,
    /// The first names, shown when a check fails (control characters replaced).
    pub(crate) first: Vec<String>,
    /// What reading was allowed.
    pub(crate) budget: Budget,
}

impl Members {
    /// Some names for a message: `a.bst, hyperparameters.json and 3 more`.
    pub(crate) fn listing(&self) -> String {
        let mut text = match (self.count, self.complete) {
            (0, true) => return "none: the archive is empty".to_owned(),
            (0, false) => "none read".to_owned(),
            _ => self.first.join(", "),
        };
        if self.count > self.first.len() {
            text.push_str(&format!(" and {} more", self.count - self.first.len()));
        }
        if !self.complete {
            text.push_str(&format!(
                "; sf stops reading an archive after {} members or {} MiB of data",
                self.budget.members,
                self.budget.bytes >> 20
            ));
        }
        text
    }
}

/// `1 member`, `3 members`.
pub(crate) fn members_word(count: usize) -> String {
    if count == 1 {
        "1 member".to_owned()
    } else {
        format!("{count} members")
    }
}

/// Whether `path` is named as an archive sf can look inside.
pub(crate) fn is_archive(path: &Path) -> bool {
    kind(path).is_some()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    TarGz,
    Tar,
    Zip,
}

fn kind(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        Some(Kind::TarGz)
    } else if name.ends_with(".tar") {
        Some(Kind::Tar)
    } else if name.ends_with(".zip") {
        Some(Kind::Zip)
    } else {
        None
    }
}

/// A member name as compared with globs: `./` prefixes (as `tar -C dir .` writes them) removed.
fn normalized(name: &str) -> &str {
    let mut name = name;
    while let Some(rest) = name.strip_prefix("./") {
        name = rest;
    }
    name
}

fn shown(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Reads the member names of the archive at `path` within `budget`, calling `visit` with each
/// (normalized) name in archive order.
pub(crate) fn read_members(
    path: &Path,
    budget: Budget,
    mut visit: impl FnMut(&str),
) -> Result<Members, ArchiveError> {
    let kind = kind(path).ok_or_else(|| {
        ArchiveError::Io(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not named as an archive (.tar.gz, .tgz, .tar, .zip)",
        ))
    })?;
    let file = File::open(path).map_err(ArchiveError::Io)?;
    let length = file.metadata().map_err(ArchiveError::Io)?.len();
    if length == 0 {
        return Err(ArchiveError::EmptyFile);
    }
    let mut members = Members {
        count: 0,
        complete: true,
        first: Vec::new(),
        budget,
    };
    let mut each = |name: &str| -> bool {
        let name = normalized(name);
        if members.first.len() < SHOWN {
            members.first.push(shown(name));
        }
        members.count += 1;
        visit(name);
        members.count < budget.members
    };
    let stopped = match kind {
        Kind::Zip => zip_members(file, &mut each)?,
        Kind::Tar => tar_members(
            ReadBudget {
                inner: BufReader::new(file),
                left: budget.bytes,
            },
            Some(length),
            &mut each,
        )?,
        Kind::TarGz => tar_members(
            ReadBudget {
                inner: flate2::read::MultiGzDecoder::new(BufReader::new(file)),
                left: budget.bytes,
            },
            None,
            &mut each,
        )?,
    };
    members.complete = !stopped;
    Ok(members)
}

/// Walks a tar stream's headers; returns whether reading stopped before the end (the budget).
/// `length` is the file's, for a tar read by seeking past its members' data: a member whose
/// data would end past it is a tar cut short (reading it sequentially finds that by itself).
fn tar_members<R: Read + MaybeSeek>(
    reader: ReadBudget<R>,
    length: Option<u64>,
    each: &mut dyn FnMut(&str) -> bool,
) -> Result<bool, ArchiveError> {
    let seek = length.is_some();
    let mut archive = tar::Archive::new(reader);
    let mut stopped = false;
    let walked = (|| -> io::Result<()> {
        let entries = if seek {
            archive.entries_with_seek()?
        } else {
            archive.entries()?
        };
        for entry in entries {
            let entry = entry?;
            if let Some(length) = length
                && entry.raw_file_position().saturating_add(entry.size()) > length
            {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "the archive is cut short: {} ends past the end of the file",
                        String::from_utf8_lossy(&entry.path_bytes())
                    ),
                ));
            }
            // Files only: folders, links (a link named `model.bst` is no model), devices and
            // the tar format's own headers are not members.
            let kind = entry.header().entry_type();
            if !(kind.is_file() || kind.is_contiguous()) {
                continue;
            }
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            if !each(&name) {
                stopped = true;
                return Ok(());
            }
        }
        Ok(())
    })();
    // The budget's reader fails once it has given its bytes.
    let exhausted = archive.into_inner().left == 0;
    match walked {
        // Past the byte budget the stream looks cut short: that is sf stopping, not corruption.
        Err(_) | Ok(()) if exhausted => Ok(true),
        Err(err) => Err(ArchiveError::Tar(err)),
        Ok(()) => Ok(stopped),
    }
}

/// Reads a zip file's central directory (no member is decompressed).
fn zip_members(file: File, each: &mut dyn FnMut(&str) -> bool) -> Result<bool, ArchiveError> {
    let archive = zip::ZipArchive::new(BufReader::new(file)).map_err(ArchiveError::Zip)?;
    for name in archive.file_names() {
        let name = name.map_err(ArchiveError::Zip)?;
        if name.ends_with('/') {
            continue;
        }
        if !each(&name) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Seeking through a plain tar skips member data without reading it; a gzip stream cannot seek.
trait MaybeSeek {
    fn seek_to(&mut self, pos: SeekFrom) -> io::Result<u64>;
}

impl MaybeSeek for BufReader<File> {
    fn seek_to(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.seek(pos)
    }
}

impl<R: io::BufRead> MaybeSeek for flate2::read::MultiGzDecoder<R> {
    fn seek_to(&mut self, _pos: SeekFrom) -> io::Result<u64> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "a gzip stream cannot seek",
        ))
    }
}

impl<R: MaybeSeek> Seek for ReadBudget<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek_to(pos)
    }
}

/// An archive in an output channel that holds nothing, or cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArchiveNote {
    /// The output channel.
    pub(crate) channel: String,
    /// The archive, relative to the channel.
    pub(crate) file: String,
    /// Why it cannot be read; `None`: it holds no member.
    pub(crate) unreadable: Option<String>,
}

/// Archives sf looks at in one channel for a recommendation, at most.
const PROBED: usize = 100;

/// The archives of output `channel` (its folder `dir`) that hold no member or cannot be read,
/// each read only as far as its first member.
pub(crate) fn archive_notes(channel: &str, dir: &Path) -> Vec<ArchiveNote> {
    crate::tree::files(dir)
        .into_iter()
        .filter(|f| is_archive(f))
        .take(PROBED)
        .filter_map(|path| {
            let file = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .display()
                .to_string();
            let unreadable = match read_members(&path, PROBE_BUDGET, |_| {}) {
                Ok(m) if m.count > 0 => return None,
                Ok(_) => None,
                Err(err) => Some(err.to_string()),
            };
            Some(ArchiveNote {
                channel: channel.to_owned(),
                file,
                unreadable,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::io::Write;

    use super::*;
    use crate::checks::{ChannelChecks, Check, Subject};

    fn tar_gz(path: &Path, members: &[(&str, &[u8])]) {
        let gz = flate2::write::GzEncoder::new(
            fs::File::create(path).unwrap(),
            flate2::Compression::fast(),
        );
        let mut tar = tar::Builder::new(gz);
        for (name, data) in members {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            // Written raw, as a hostile archive would: `set_path` refuses `..`.
            header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            header.set_cksum();
            tar.append(&header, *data).unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap();
    }

    fn zip_file(path: &Path, names: &[&str]) {
        let mut zip = zip::ZipWriter::new(fs::File::create(path).unwrap());
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for name in names {
            zip.start_file(*name, stored).unwrap();
            zip.write_all(b"x").unwrap();
        }
        zip.finish().unwrap();
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn members(patterns: &[&str], min: Option<usize>) -> ChannelChecks {
        ChannelChecks {
            members: patterns.iter().map(|p| p.to_string()).collect(),
            min_members: min,
            ..ChannelChecks::output()
        }
    }

    fn check(checks: &ChannelChecks, dir: &Path) -> Result<Vec<Check>, String> {
        checks
            .check(&Subject::Output("model".into()), dir)
            .map_err(|e| e.to_string())
    }

    /// A plain tar of `members`, each of `size` bytes.
    fn tar(path: &Path, members: &[&str], size: usize) {
        let mut tar = tar::Builder::new(fs::File::create(path).unwrap());
        for name in members {
            let mut header = tar::Header::new_gnu();
            header.set_size(size as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            tar.append_data(&mut header, name, &*vec![b'x'; size])
                .unwrap();
        }
        tar.into_inner().unwrap();
    }

    #[test]
    fn a_tar_cut_short_links_and_concatenated_gzip_are_read_as_they_are() {
        let dir = tempfile::tempdir().unwrap();
        // Cut inside the last member's data: `tar -tf` reports an error, and so does the check.
        let cut = dir.path().join("cut.tar");
        tar(&cut, &["a.json", "model.json"], 4096);
        let bytes = fs::read(&cut).unwrap();
        fs::write(&cut, &bytes[..512 + 4096 + 512 + 100]).unwrap();
        let err = check(&members(&["model.json"], None), dir.path()).unwrap_err();
        assert!(
            err.contains("cut.tar") && err.contains("cut short"),
            "{err}"
        );
        fs::remove_file(&cut).unwrap();

        // A link named like the model is no model.
        let linked = dir.path().join("linked.tar");
        let mut builder = tar::Builder::new(fs::File::create(&linked).unwrap());
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        builder
            .append_link(&mut header, "xgboost.bst", "/nonexistent")
            .unwrap();
        builder.into_inner().unwrap();
        let err = check(&members(&["*.bst"], None), dir.path()).unwrap_err();
        assert!(err.contains("no member matching `*.bst`"), "{err}");
        fs::remove_file(&linked).unwrap();

        // Two gzip streams one after the other (`cat a.gz b.gz`) are one tar.
        let plain = dir.path().join("plain.tar");
        tar(&plain, &["model.json"], 10);
        let mut data = fs::read(&plain).unwrap();
        fs::remove_file(&plain).unwrap();
        // The first stream ends half way through the member's header.
        let tail = data.split_off(256);
        let mut joined = Vec::new();
        for part in [&data, &tail] {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(part).unwrap();
            joined.extend(gz.finish().unwrap());
        }
        fs::write(dir.path().join("model.tar.gz"), joined).unwrap();
        assert!(check(&members(&["model.json"], Some(1)), dir.path()).is_ok());
    }

    #[test]
    fn an_empty_archive_fails_a_members_check_naming_the_file_and_the_glob() {
        let dir = tempfile::tempdir().unwrap();
        tar_gz(&dir.path().join("model.tar.gz"), &[]);
        assert_eq!(
            check(&members(&["*.bst"], None), dir.path()),
            Err("output channel `model`: model.tar.gz has no member matching `*.bst` (members: none: the archive is empty)".into())
        );
        assert_eq!(
            check(&members(&[], Some(1)), dir.path()),
            Err("output channel `model`: model.tar.gz holds 0 members, fewer than the 1 required (members: none: the archive is empty)".into())
        );
        // Without a members check the channel passes; the recommendation says it.
        assert_eq!(check(&ChannelChecks::output(), dir.path()), Ok(vec![]));
        assert_eq!(
            archive_notes("model", dir.path()),
            [ArchiveNote {
                channel: "model".into(),
                file: "model.tar.gz".into(),
                unreadable: None
            }]
        );
    }

    #[test]
    fn members_of_tar_gz_tar_and_zip_are_matched_by_glob() {
        let dir = tempfile::tempdir().unwrap();
        tar_gz(
            &dir.path().join("model.tar.gz"),
            &[("./xgboost.bst", b"m"), ("./hyperparameters.json", b"{}")],
        );
        zip_file(
            &dir.path().join("model.zip"),
            &["model/", "xgboost.bst", "hyperparameters.json"],
        );
        let mut plain = tar::Builder::new(fs::File::create(dir.path().join("model.tar")).unwrap());
        for name in ["xgboost.bst", "hyperparameters.json"] {
            let mut header = tar::Header::new_gnu();
            header.set_size(1);
            header.set_cksum();
            plain.append_data(&mut header, name, &b"x"[..]).unwrap();
        }
        plain.finish().unwrap();
        let wanted = members(&["*.bst", "hyperparameters.json"], Some(2));
        assert_eq!(check(&wanted, dir.path()), Ok(vec![Check::Members]));
        // `files` selects the archives; a glob stays within one folder, as a shell's does.
        let nested = ChannelChecks {
            files: Some("model.zip".into()),
            ..members(&["model/*"], None)
        };
        assert_eq!(
            check(&nested, dir.path()),
            Err("output channel `model`: model.zip has no member matching `model/*` (members: xgboost.bst, hyperparameters.json)".into())
        );
        let three = ChannelChecks {
            files: Some("model.tar".into()),
            ..members(&[], Some(3))
        };
        assert_eq!(
            check(&three, dir.path()),
            Err("output channel `model`: model.tar holds 2 members, fewer than the 3 required (members: xgboost.bst, hyperparameters.json)".into())
        );
    }

    #[test]
    fn a_corrupt_or_empty_file_fails_a_members_check_and_earns_a_recommendation() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("model.tar.gz"),
            b"not gzip at all, not a tar either",
        )
        .unwrap();
        fs::write(dir.path().join("empty.zip"), b"").unwrap();
        let err = members(&["*"], None)
            .check(&Subject::Output("model".into()), dir.path())
            .unwrap_err();
        assert_eq!(err.check(), Check::Members);
        assert!(
            err.to_string()
                .starts_with("output channel `model`: cannot read the members of empty.zip: the file is empty (0 bytes), not an archive"),
            "{err}"
        );
        let err = check(
            &ChannelChecks {
                files: Some("*.tar.gz".into()),
                ..members(&["*"], None)
            },
            dir.path(),
        )
        .unwrap_err();
        assert!(
            err.starts_with("output channel `model`: cannot read the members of model.tar.gz: not a readable tar archive: "),
            "{err}"
        );
        let notes = archive_notes("model", dir.path());
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes.iter().all(|n| n.unreadable.is_some()), "{notes:?}");
    }

    #[test]
    fn members_asked_of_a_channel_without_archives_fail() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("model.bst"), b"m").unwrap();
        assert_eq!(
            check(&members(&["*.bst"], None), dir.path()),
            Err("output channel `model` holds no archive (.tar.gz, .tgz, .tar, .zip) to look inside (files: model.bst)".into())
        );
    }

    #[test]
    fn a_hostile_archive_is_only_read_and_reading_it_is_bounded() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("out");
        fs::create_dir(&dir).unwrap();
        let zeros = vec![0_u8; 4 << 20];
        tar_gz(
            &dir.join("evil.tar.gz"),
            &[
                ("../../escaped.txt", b"x"),
                ("big.bin", &zeros),
                ("after.txt", b"y"),
            ],
        );
        // `..` names match like any other; nothing is written anywhere.
        assert_eq!(
            check(&members(&["../../escaped.txt", "after.txt"], None), &dir),
            Ok(vec![Check::Members])
        );
        assert_eq!(names(root.path()), ["out"]);
        assert_eq!(names(&dir), ["evil.tar.gz"]);
        // Past the byte budget reading stops: what was read is known, the rest is not.
        let seen = read_members(
            &dir.join("evil.tar.gz"),
            Budget {
                members: 100,
                bytes: 1 << 20,
            },
            |_| {},
        )
        .unwrap();
        assert!(!seen.complete);
        assert_eq!(seen.count, 2, "{seen:?}");
        assert_eq!(
            seen.listing(),
            "../../escaped.txt, big.bin; sf stops reading an archive after 100 members or 1 MiB of data"
        );
        let few = read_members(
            &dir.join("evil.tar.gz"),
            Budget {
                members: 1,
                bytes: 1 << 30,
            },
            |_| {},
        )
        .unwrap();
        assert_eq!((few.count, few.complete), (1, false));
    }
}
