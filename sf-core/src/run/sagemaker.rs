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
