//! Bounded output capture: each of a child's stdout and stderr is copied into its log file up to a
//! limit, and its last bytes are kept in memory for the result.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::Child;
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

/// Where a run's output goes: one file for standard output, one for standard error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFiles {
    /// Standard output.
    pub stdout: PathBuf,
    /// Standard error.
    pub stderr: PathBuf,
}

/// What was captured of one stream.
#[derive(Debug, Default)]
pub(super) struct Captured {
    pub(super) tail: String,
    pub(super) total: u64,
    pub(super) truncated: bool,
}

/// What a reader has seen so far; shared, so that what it read survives a reader that never
/// finishes (a detached process holding the pipe open).
#[derive(Debug, Default)]
struct Progress {
    tail: VecDeque<u8>,
    total: u64,
    truncated: bool,
}

impl Progress {
    fn captured(&self) -> Captured {
        let bytes: Vec<u8> = self.tail.iter().copied().collect();
        Captured {
            tail: String::from_utf8_lossy(&bytes).into_owned(),
            total: self.total,
            truncated: self.truncated,
        }
    }
}

/// The threads copying a child's stdout and stderr into their log files.
#[derive(Debug)]
pub(super) struct Capture {
    progress: Vec<Arc<Mutex<Progress>>>,
    readers: usize,
    done: mpsc::Receiver<usize>,
}

impl Capture {
    /// Starts copying the child's piped stdout into `stdout_file` and its stderr into
    /// `stderr_file`, each up to `limit` bytes, keeping the last `tail_len` bytes of each.
    pub(super) fn start(
        child: &mut Child,
        stdout_file: File,
        stderr_file: File,
        tail_len: usize,
        limit: u64,
    ) -> Capture {
        let streams = [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ];
        Capture::streams(streams, stdout_file, stderr_file, tail_len, limit)
    }

    /// Starts copying `streams` (stdout, stderr) into their log files, as [`Capture::start`].
    pub(super) fn streams(
        streams: [Option<Box<dyn Read + Send>>; 2],
        stdout_file: File,
        stderr_file: File,
        tail_len: usize,
        limit: u64,
    ) -> Capture {
        let (done_tx, done_rx) = mpsc::channel();
        let mut progress = Vec::new();
        let mut readers = 0;
        for (i, (stream, file)) in streams
            .into_iter()
            .zip([stdout_file, stderr_file])
            .enumerate()
        {
            let shared = Arc::new(Mutex::new(Progress::default()));
            progress.push(Arc::clone(&shared));
            let Some(stream) = stream else {
                continue;
            };
            readers += 1;
            let tx = done_tx.clone();
            // Detached: a reader blocked on a pipe a stray process holds is never joined.
            thread::spawn(move || {
                capture(stream, file, tail_len, limit, &shared);
                let _ = tx.send(i);
            });
        }
        Capture {
            progress,
            readers,
            done: done_rx,
        }
    }

    /// What was captured of stdout and of stderr: everything, once the streams are closed; what
    /// was read so far when a detached process still holds a pipe open after 2 s.
    pub(super) fn finish(self) -> (Captured, Captured) {
        let wait_until = Instant::now() + Duration::from_secs(2);
        let mut finished = 0;
        while finished < self.readers {
            let left = wait_until.saturating_duration_since(Instant::now());
            if self.done.recv_timeout(left).is_err() {
                break;
            }
            finished += 1;
        }
        let mut captured = self.progress.iter().map(|p| match p.lock() {
            Ok(progress) => progress.captured(),
            Err(poisoned) => poisoned.into_inner().captured(),
        });
        (
            captured.next().unwrap_or_default(),
            captured.next().unwrap_or_default(),
        )
    }
}

/// Copies `stream` into `file` (up to `limit` bytes) and keeps its last `tail_len` bytes in
/// `progress` as it goes.
fn capture(
    mut stream: impl Read,
    mut file: File,
    tail_len: usize,
    limit: u64,
    progress: &Mutex<Progress>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut written = 0u64;
    let mut truncated = false;
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let chunk = &buf[..n];
        let room = limit.saturating_sub(written);
        let keep = usize::try_from(room).unwrap_or(usize::MAX).min(n);
        if keep > 0 && file.write_all(&chunk[..keep]).is_ok() {
            written += keep as u64;
        }
        if keep < n && !truncated {
            truncated = true;
            let _ = writeln!(file, "\n[sf: log truncated at {limit} bytes]");
        }
        let chunk = if chunk.len() > tail_len {
            &chunk[chunk.len() - tail_len..]
        } else {
            chunk
        };
        let Ok(mut p) = progress.lock() else {
            break;
        };
        p.total += n as u64;
        p.truncated = truncated;
        let overflow = (p.tail.len() + chunk.len()).saturating_sub(tail_len);
        let drop_now = overflow.min(p.tail.len());
        p.tail.drain(..drop_now);
        p.tail.extend(chunk);
    }
}
