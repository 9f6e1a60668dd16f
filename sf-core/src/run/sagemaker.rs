//! The SageMaker Processing layout without Docker: in a private mount namespace, inputs appear at
//! `/opt/ml/processing/input/<channel>`, outputs at `/opt/ml/processing/output/<channel>`, the
//! script's directory at `/opt/ml/processing/input/code`, and `/opt/ml/config/` holds
//! `processingjobconfig.json` and `resourceconfig.json`. The script runs as its own `__main__`
//! (`python script.py --key value …`), exactly as a Processing job starts it.
//!
//! `/opt/ml` is made on a tmpfs mounted over `/opt`; every entry the real `/opt` had is bound back
//! in place, so nothing the machine keeps under `/opt` disappears for the script.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Where SageMaker Processing mounts things.
pub const PROCESSING_ROOT: &str = "/opt/ml/processing";

/// A run's SageMaker layout: the container path of every channel (defaults under
/// [`PROCESSING_ROOT`], overridable per channel).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SageMakerLayout {
    /// Channel → container path, replacing `/opt/ml/processing/{input,output}/<channel>`.
    pub paths: BTreeMap<String, String>,
}

impl SageMakerLayout {
    /// The container path of input channel `name`.
    pub fn input_path(&self, name: &str) -> String {
        self.paths
            .get(name)
            .cloned()
            .unwrap_or_else(|| format!("{PROCESSING_ROOT}/input/{name}"))
    }

    /// The container path of output channel `name`.
    pub fn output_path(&self, name: &str) -> String {
        self.paths
            .get(name)
            .cloned()
            .unwrap_or_else(|| format!("{PROCESSING_ROOT}/output/{name}"))
    }
}

/// Why a container path cannot hold a channel.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContainerPathError {
    /// The path is not below [`PROCESSING_ROOT`].
    #[error("{0} is not under {PROCESSING_ROOT}/ (SageMaker Processing mounts channels there)")]
    OutsideProcessing(String),
    /// The path has `.`/`..` parts, an empty part or a trailing slash.
    #[error("{0} is not a plain absolute path (no `.`, `..`, `//` or trailing `/`)")]
    NotPlain(String),
    /// The path is where the script's own folder is mounted.
    #[error("{0} is where the script's own folder is mounted")]
    Code(String),
}

/// Checks that `path` can hold a channel: a plain absolute path below [`PROCESSING_ROOT`], and
/// not the script's folder (`/opt/ml/processing/input/code`).
pub fn check_container_path(path: &str) -> Result<(), ContainerPathError> {
    let Some(rest) = path
        .strip_prefix(PROCESSING_ROOT)
        .and_then(|r| r.strip_prefix('/'))
    else {
        return Err(ContainerPathError::OutsideProcessing(path.to_owned()));
    };
    if rest.is_empty() || rest.split('/').any(|part| matches!(part, "" | "." | "..")) {
        return Err(ContainerPathError::NotPlain(path.to_owned()));
    }
    if Path::new(path).starts_with(CODE_DIR) {
        return Err(ContainerPathError::Code(path.to_owned()));
    }
    Ok(())
}

/// Where the script's own folder is mounted.
pub(crate) const CODE_DIR: &str = "/opt/ml/processing/input/code";

/// A script's text, as far as it reads as text (empty when it cannot be read).
pub(crate) fn script_text(path: &Path) -> String {
    std::fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// A string literal of a script's text, with where it ends.
struct Literal<'a> {
    text: &'a str,
    end: usize,
}

/// The one-line string literals of a script's text (Python's quoting: `'...'` or `"..."`, with
/// backslash escapes), skipping `#` comments and triple-quoted strings, which hold prose.
fn literals(text: &str) -> Vec<Literal<'_>> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            q @ (b'"' | b'\'') => {
                if bytes[i..].starts_with(&[q, q, q]) {
                    let body = i + 3;
                    let close = if q == b'"' { "\"\"\"" } else { "'''" };
                    i = text[body..]
                        .find(close)
                        .map_or(bytes.len(), |at| body + at + 3);
                    continue;
                }
                let start = i + 1;
                let mut j = start;
                while j < bytes.len() && bytes[j] != q && bytes[j] != b'\n' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                if j < bytes.len() && bytes[j] == q {
                    found.push(Literal {
                        text: &text[start..j],
                        end: j + 1,
                    });
                }
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    found
}

/// Whether a literal names a path under [`PROCESSING_ROOT`].
fn is_processing_path(literal: &str) -> bool {
    literal
        .strip_prefix(PROCESSING_ROOT)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        && !literal.contains(char::is_whitespace)
}

/// The channel → container path pairs a script's text spells out, as the `__main__` block of a
/// Processing script does (`{"input": "/opt/ml/processing/input/data"}`): every string literal
/// followed by `:` and a literal path under [`PROCESSING_ROOT`]. A channel paired twice keeps
/// its first path.
pub fn script_paths(text: &str) -> BTreeMap<String, String> {
    let found = literals(text);
    let mut paths = BTreeMap::new();
    for pair in found.windows(2) {
        // From the first literal's closing quote to the second's opening one.
        let between = &text[pair[0].end..pair[1].end - pair[1].text.len() - 2];
        if between.trim() == ":"
            && is_processing_path(pair[1].text)
            && sf_vocab::check_channel_name(pair[0].text).is_ok()
        {
            paths
                .entry(pair[0].text.to_owned())
                .or_insert_with(|| pair[1].text.trim_end_matches('/').to_owned());
        }
    }
    paths
}

/// Every string literal of a script's text that is a path under [`PROCESSING_ROOT`], in order,
/// once each.
pub fn script_literals(text: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for literal in literals(text) {
        let path = literal.text.trim_end_matches('/');
        if is_processing_path(path) && !seen.iter().any(|s| s == path) {
            seen.push(path.to_owned());
        }
    }
    seen
}

impl SageMakerLayout {
    /// The layout a run of the script whose text is `text` uses: the paths set here (from
    /// `--container-path` or `sagemaker_paths`) win, then the pairs the script spells out
    /// ([`script_paths`]); other channels get the conventional
    /// `/opt/ml/processing/{input,output}/<channel>`.
    pub fn for_script(&self, text: &str) -> SageMakerLayout {
        let mut paths = script_paths(text);
        paths.retain(|_, p| check_container_path(p).is_ok());
        paths.extend(self.paths.clone());
        SageMakerLayout { paths }
    }

    /// The paths under [`PROCESSING_ROOT`] the script's text names that nothing mounted holds:
    /// not a channel's path (or below one), not the script's folder. A path the script pairs
    /// with a channel name is a channel's folder, so only a mount there (or above) holds it;
    /// any other path may be a base the script joins names to, so a mount below it holds it too.
    pub fn unmounted(&self, text: &str, inputs: &[String], outputs: &[String]) -> Vec<String> {
        let mounted: Vec<String> = inputs
            .iter()
            .map(|c| self.input_path(c))
            .chain(outputs.iter().map(|c| self.output_path(c)))
            .chain([CODE_DIR.to_owned()])
            .collect();
        let paired: Vec<String> = script_paths(text).into_values().collect();
        script_literals(text)
            .into_iter()
            .filter(|literal| {
                let is_channel = paired.contains(literal);
                let literal = Path::new(literal);
                !mounted.iter().any(|m| {
                    let m = Path::new(m);
                    literal.starts_with(m) || (!is_channel && m.starts_with(literal))
                })
            })
            .collect()
    }
}

/// For a run of the script at `script` under `layout` that failed: a recommendation for each
/// path under [`PROCESSING_ROOT`] its text names that sf did not mount, with the flag that
/// mounts a channel there (naming the channel when only one could be meant).
pub(crate) fn unmounted_advice(
    layout: &SageMakerLayout,
    script: &Path,
    inputs: &[String],
    outputs: &[String],
) -> Vec<String> {
    let text = script_text(script);
    let layout = layout.for_script(&text);
    let paired = script_paths(&text);
    // Channels whose path neither the script nor the test chose: the likely ones.
    let unplaced = |channels: &[String]| -> Vec<String> {
        channels
            .iter()
            .filter(|c| !paired.contains_key(*c) && !layout.paths.contains_key(*c))
            .cloned()
            .collect()
    };
    let (free_inputs, free_outputs) = (unplaced(inputs), unplaced(outputs));
    layout
        .unmounted(&text, inputs, outputs)
        .into_iter()
        .map(|path| {
            let candidates = if path.starts_with(&format!("{PROCESSING_ROOT}/output")) {
                &free_outputs
            } else {
                &free_inputs
            };
            // The channel the script pairs the path with, when the test has it; else the one
            // channel of that side left where convention put it.
            let channel = paired
                .iter()
                .find(|&(c, p)| *p == path && (inputs.contains(c) || outputs.contains(c)))
                .map(|(c, _)| c.as_str())
                .or(match candidates.as_slice() {
                    [one] => Some(one.as_str()),
                    _ => None,
                })
                .unwrap_or("CHANNEL");
            format!(
                "The script reads {path}, which sf did not mount; add --container-path \
                 {channel}={path} (sagemaker_paths = {{ {channel} = \"{path}\" }} in sf.toml)"
            )
        })
        .collect()
}

/// One bind mount, prepared in the parent as C strings (the child may not allocate).
#[derive(Debug, Clone)]
struct Bind {
    source: CString,
    target: CString,
    /// Directories to create before mounting (the target's parents below `/opt`), outermost first.
    make: Vec<CString>,
    is_dir: bool,
}

/// Everything the child does to build the layout, computed in the parent.
#[derive(Debug, Clone)]
pub(crate) struct MountPlan {
    opt: CString,
    saved_opt: CString,
    restore: Vec<Bind>,
    binds: Vec<Bind>,
}

fn cstr(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(io::Error::other)
}

/// The parents of `target` below `/opt`, outermost first: the directories to create.
fn parents(target: &Path) -> io::Result<Vec<CString>> {
    let mut dirs: Vec<&Path> = target
        .ancestors()
        .skip(1)
        .take_while(|p| p.starts_with("/opt") && *p != Path::new("/opt"))
        .collect();
    dirs.reverse();
    dirs.into_iter().map(cstr).collect()
}

fn bind(source: &Path, target: &Path) -> io::Result<Bind> {
    Ok(Bind {
        source: cstr(source)?,
        target: cstr(target)?,
        make: parents(target)?,
        is_dir: source.is_dir(),
    })
}

/// Plans the mounts: `mounts` maps container paths to workspace paths. `scratch` is an empty
/// directory of sf's where the real `/opt` stays reachable while the tmpfs covers it.
pub(crate) fn plan(mounts: &[(PathBuf, PathBuf)], scratch: &Path) -> io::Result<MountPlan> {
    let opt = Path::new("/opt");
    if !opt.is_dir() {
        return Err(io::Error::other(
            "/opt does not exist on this machine, so /opt/ml cannot be mounted",
        ));
    }
    let mut restore = Vec::new();
    for entry in std::fs::read_dir(opt)? {
        let entry = entry?;
        let original = scratch.join(entry.file_name());
        let target = opt.join(entry.file_name());
        let mut b = bind(&entry.path(), &target)?;
        b.source = cstr(&original)?;
        restore.push(b);
    }
    let mut binds = Vec::new();
    for (target, source) in mounts {
        if !target.starts_with("/opt/ml") {
            return Err(io::Error::other(format!(
                "{} is not under /opt/ml",
                target.display()
            )));
        }
        binds.push(bind(source, target)?);
    }
    Ok(MountPlan {
        opt: cstr(opt)?,
        saved_opt: cstr(scratch)?,
        restore,
        binds,
    })
}

impl MountPlan {
    /// In the child, after fork: the layout, in a private mount namespace made here unless
    /// `in_container` (the run's container already is one). Only system calls.
    pub(crate) fn apply_in_child(&self, in_container: bool) -> bool {
        // SAFETY: unshare, mount, mkdir and open on C strings prepared by the parent.
        unsafe {
            let none = std::ptr::null();
            let root = c"/".as_ptr();
            if !in_container && libc::unshare(libc::CLONE_NEWNS) != 0 {
                return false;
            }
            if !in_container
                && libc::mount(
                    none,
                    root,
                    none,
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ) != 0
            {
                return false;
            }
            // Keep the real /opt reachable, then cover it with a tmpfs.
            if libc::mount(
                self.opt.as_ptr(),
                self.saved_opt.as_ptr(),
                none,
                libc::MS_BIND | libc::MS_REC,
                std::ptr::null(),
            ) != 0
            {
                return false;
            }
            if libc::mount(
                c"tmpfs".as_ptr(),
                self.opt.as_ptr(),
                c"tmpfs".as_ptr(),
                0,
                c"mode=755".as_ptr().cast(),
            ) != 0
            {
                return false;
            }
            self.restore
                .iter()
                .chain(&self.binds)
                .all(|b| mount_bind(b))
        }
    }
}

unsafe fn mount_bind(b: &Bind) -> bool {
    // SAFETY: as above; every pointer is a C string owned by the plan.
    unsafe {
        for dir in b.make.iter().chain(b.is_dir.then_some(&b.target)) {
            let rc = libc::mkdir(dir.as_ptr(), 0o755);
            if rc != 0 && *libc::__errno_location() != libc::EEXIST {
                return false;
            }
        }
        if !b.is_dir {
            let fd = libc::open(
                b.target.as_ptr(),
                libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
                0o644,
            );
            if fd < 0 {
                return false;
            }
            libc::close(fd);
        }
        libc::mount(
            b.source.as_ptr(),
            b.target.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND | libc::MS_REC,
            std::ptr::null(),
        ) == 0
    }
}

/// `processingjobconfig.json` and `resourceconfig.json`, shaped like a Processing job's.
pub(crate) fn job_config(
    script: &str,
    layout: &SageMakerLayout,
    inputs: &[String],
    outputs: &[String],
    entrypoint: &[String],
    environment: &BTreeMap<String, String>,
) -> (serde_json::Value, serde_json::Value) {
    let processing = serde_json::json!({
        "ProcessingJobName": format!("sf-{script}"),
        "ProcessingInputs": inputs.iter().map(|c| serde_json::json!({
            "InputName": c,
            "S3Input": { "LocalPath": layout.input_path(c), "S3Uri": format!("file://sf/{c}"), "S3DataType": "S3Prefix", "S3InputMode": "File" },
        })).collect::<Vec<_>>(),
        "ProcessingOutputConfig": { "Outputs": outputs.iter().map(|c| serde_json::json!({
            "OutputName": c,
            "S3Output": { "LocalPath": layout.output_path(c), "S3Uri": format!("file://sf/{c}"), "S3UploadMode": "EndOfJob" },
        })).collect::<Vec<_>>() },
        "AppSpecification": { "ImageUri": "sf-local", "ContainerEntrypoint": entrypoint },
        "Environment": environment,
        "ProcessingResources": { "ClusterConfig": { "InstanceCount": 1, "InstanceType": "local" } },
    });
    let resource = serde_json::json!({ "current_host": "algo-1", "hosts": ["algo-1"] });
    (processing, resource)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROCESSING_SCRIPT: &str = r#""""Reads '/opt/ml/processing/input/doc' (prose, not a path it opens)."""
import os
BASE = "/opt/ml/processing"  # don't mount 'this'

if __name__ == "__main__":
    main(
        {"input": "/opt/ml/processing/input/data", 'rates': '/opt/ml/processing/input/rates/'},
        {"output": "/opt/ml/processing/output"},
        dict(os.environ),
        None,
    )
    open("/opt/ml/processing/input/extra/settings.json")
"#;

    #[test]
    fn the_script_text_pairs_channels_with_their_container_paths() {
        assert_eq!(
            script_paths(PROCESSING_SCRIPT),
            BTreeMap::from([
                (
                    "input".to_owned(),
                    "/opt/ml/processing/input/data".to_owned()
                ),
                ("output".to_owned(), "/opt/ml/processing/output".to_owned()),
                (
                    "rates".to_owned(),
                    "/opt/ml/processing/input/rates".to_owned()
                ),
            ])
        );
        assert_eq!(
            script_literals(PROCESSING_SCRIPT),
            [
                "/opt/ml/processing",
                "/opt/ml/processing/input/data",
                "/opt/ml/processing/input/rates",
                "/opt/ml/processing/output",
                "/opt/ml/processing/input/extra/settings.json",
            ]
        );
    }

    #[test]
    fn explicit_paths_win_over_the_script_and_convention_fills_the_rest() {
        let explicit = SageMakerLayout {
            paths: BTreeMap::from([("rates".to_owned(), "/opt/ml/processing/input/fx".to_owned())]),
        };
        let layout = explicit.for_script(PROCESSING_SCRIPT);
        assert_eq!(layout.input_path("input"), "/opt/ml/processing/input/data");
        assert_eq!(layout.input_path("rates"), "/opt/ml/processing/input/fx");
        assert_eq!(layout.output_path("output"), "/opt/ml/processing/output");
        assert_eq!(layout.input_path("other"), "/opt/ml/processing/input/other");
        // A path the script pairs that could hold no channel is not used.
        let odd =
            SageMakerLayout::default().for_script(r#"{"input": "/opt/ml/processing/input/code"}"#);
        assert_eq!(odd.input_path("input"), "/opt/ml/processing/input/input");
    }

    #[test]
    fn literals_no_channel_holds_are_the_unmounted_ones() {
        let inputs = ["input".to_owned(), "rates".to_owned()];
        let outputs = ["output".to_owned()];
        let layout = SageMakerLayout::default().for_script(PROCESSING_SCRIPT);
        // The base folder holds mounts below it; the extra file is under no channel.
        assert_eq!(
            layout.unmounted(PROCESSING_SCRIPT, &inputs, &outputs),
            ["/opt/ml/processing/input/extra/settings.json"]
        );
        // A channel put elsewhere leaves the folder the script pairs with it unmounted.
        let moved = SageMakerLayout {
            paths: BTreeMap::from([(
                "output".to_owned(),
                "/opt/ml/processing/output/moved".to_owned(),
            )]),
        }
        .for_script(PROCESSING_SCRIPT);
        assert_eq!(
            moved.unmounted(PROCESSING_SCRIPT, &inputs, &outputs),
            [
                "/opt/ml/processing/output",
                "/opt/ml/processing/input/extra/settings.json"
            ]
        );
    }

    #[test]
    fn container_paths_must_be_plain_and_under_processing() {
        assert_eq!(
            check_container_path("/opt/ml/processing/input/data"),
            Ok(())
        );
        for bad in [
            "/data",
            "/opt/ml/model",
            "/opt/ml/processing",
            "/opt/ml/processingx/a",
            "/opt/ml/processing/input/../x",
            "/opt/ml/processing/input/",
            "/opt/ml/processing//x",
            "/opt/ml/processing/input/code",
            "/opt/ml/processing/input/code/x",
        ] {
            assert!(check_container_path(bad).is_err(), "{bad}");
        }
    }
}
