//! Bounded output capture: each of a child's stdout and stderr is copied into its log file up to a
//! limit, and its last bytes are kept in memory for the result.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::Child;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
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

/// The threads copying a child's stdout and stderr into their log files.
#[derive(Debug)]
pub(super) struct Capture {
    readers: Vec<JoinHandle<Captured>>,
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
        let (done_tx, done_rx) = mpsc::channel();
        let readers = [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ]
        .into_iter()
        .zip([stdout_file, stderr_file])
        .enumerate()
        .filter_map(|(i, (stream, file))| {
            let stream = stream?;
            let tx = done_tx.clone();
            Some(thread::spawn(move || {
                let captured = capture(stream, file, tail_len, limit);
                let _ = tx.send(i);
                captured
            }))
        })
        .collect::<Vec<_>>();
        Capture {
            readers,
            done: done_rx,
        }
    }

    /// What was captured of stdout and of stderr, once the streams are closed.
    pub(super) fn finish(self) -> (Captured, Captured) {
        // A detached process may still hold the pipes open; do not wait on it forever.
        let wait_until = Instant::now() + Duration::from_secs(2);
        let mut finished = 0;
        while finished < self.readers.len() {
            let left = wait_until.saturating_duration_since(Instant::now());
            if self.done.recv_timeout(left).is_err() {
                break;
            }
            finished += 1;
        }
        // A reader still blocked on a pipe held by a detached process is left behind.
        let mut tails = self.readers.into_iter().map(|r| {
            if r.is_finished() {
                r.join().unwrap_or_default()
            } else {
                Captured::default()
            }
        });
        (
            tails.next().unwrap_or_default(),
            tails.next().unwrap_or_default(),
        )
    }
}

/// Copies `stream` into `file` (up to `limit` bytes) and keeps its last `tail_len` bytes.
fn capture(mut stream: impl Read, mut file: File, tail_len: usize, limit: u64) -> Captured {
    let mut tail: VecDeque<u8> = VecDeque::with_capacity(tail_len.min(1 << 16));
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
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
        total += n as u64;
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
        let overflow = (tail.len() + chunk.len()).saturating_sub(tail_len);
        tail.drain(..overflow.min(tail.len()));
        tail.extend(chunk);
    }
    let bytes: Vec<u8> = tail.into();
    Captured {
        tail: String::from_utf8_lossy(&bytes).into_owned(),
        total,
        truncated,
    }
}
