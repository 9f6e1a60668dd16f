//! The paths most users take: sf run by an ordinary user (the container is made inside a user
//! namespace), and sf where no namespace and no Landlock can be had at all (today's process-group
//! and marker mechanisms, and a result that says exactly what was missing).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::fixtures;

/// The unprivileged account the tests run sf as, when they run as root.
const USER: &str = "sf-rootless";

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Makes the unprivileged account (once per machine) and returns its uid and gid.
fn unprivileged_user() -> (u32, u32) {
    let id = |flag: &str| {
        Command::new("id")
            .args([flag, USER])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .trim()
                    .parse::<u32>()
                    .ok()
            })
    };
    if id("-u").is_none() {
        let made = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                USER,
            ])
            .status()
            .expect("useradd must exist where the tests run as root");
        // Another test binary may have made it meanwhile.
        assert!(made.success() || id("-u").is_some(), "cannot create {USER}");
    }
    (id("-u").unwrap(), id("-g").unwrap())
}

/// `sf test-script SCRIPT --output-format json` as an ordinary user, writing its workspaces into
/// `dir` (which that user owns). The checkout may be closed to other users (a clone in a
/// `mktemp -d` folder is): sf and the fixture script are copied into `dir` for them.
fn sf_unprivileged(dir: &Path, script: &str, extra: &[&str]) -> (i32, Value) {
    let (program, scripts) = if is_root() {
        let own = |p: &Path| {
            let (uid, gid) = unprivileged_user();
            std::os::unix::fs::chown(p, Some(uid), Some(gid)).unwrap();
        };
        own(dir);
        let sf = dir.join("sf");
        if !sf.exists() {
            std::fs::copy(env!("CARGO_BIN_EXE_sf"), &sf).unwrap();
        }
        let scripts = dir.join("scripts");
        std::fs::create_dir_all(&scripts).unwrap();
        own(&scripts);
        let file = format!("{script}.py");
        std::fs::copy(fixtures().join(&file), scripts.join(&file)).unwrap();
        own(&scripts.join(&file));
        (sf, scripts)
    } else {
        (PathBuf::from(env!("CARGO_BIN_EXE_sf")), fixtures())
    };
    let mut cmd = if is_root() {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid", USER, "--regid", USER, "--clear-groups", "--"])
            .arg(&program);
        cmd
    } else {
        Command::new(&program)
    };
    cmd.env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", dir)
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .args([
            "test-script",
            script,
            "--output-format",
            "json",
            "--scripts-dir",
        ])
        .arg(&scripts)
        .args(extra);
    run_json(cmd)
}

fn run_json(mut cmd: Command) -> (i32, Value) {
    crate::support::json_result(&cmd.output().unwrap())
}

#[test]
fn an_ordinary_user_gets_the_container_through_a_user_namespace() {
    let dir = tempfile::tempdir().unwrap();
    let (code, r) = sf_unprivileged(dir.path(), "exit_0", &[]);
    assert_eq!(code, 0, "{r:#}");
    let mechanisms = &r["execution"]["sandbox"];
    if mechanisms["processes"]["state"] != "enforced" {
        // Unprivileged user namespaces are switched off on some machines: the result says so.
        assert!(
            std::env::var_os("SF_REQUIRE_ISOLATION").is_none(),
            "namespaces are required here but an ordinary user got none: {r:#}"
        );
        assert_eq!(mechanisms["processes"]["state"], "unavailable", "{r:#}");
        return;
    }
    assert!(
        mechanisms["processes"]["detail"]
            .as_str()
            .unwrap()
            .contains("in a user namespace"),
        "{r:#}"
    );
    assert!(
        mechanisms["mounts"]["detail"]
            .as_str()
            .unwrap()
            .contains("private /tmp"),
        "{r:#}"
    );

    // The script sees its own uid, not root's, and /tmp is its own and writable.
    let (code, r) = sf_unprivileged(dir.path(), "swallows_denied_tmp", &[]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["recommendations"], serde_json::json!([]), "{r:#}");

    // The repository stays read-only, metadata included.
    let (code, r) = sf_unprivileged(dir.path(), "writes_repo", &[]);
    assert_eq!(code, 1, "{r:#}");
    assert!(
        r["error_message"]
            .as_str()
            .unwrap()
            .contains("Read-only file system"),
        "{r:#}"
    );
    let (code, r) = sf_unprivileged(dir.path(), "changes_metadata", &[]);
    assert_eq!(code, 0, "{r:#}");
    let allowed = std::fs::read_to_string(
        Path::new(r["workspace"].as_str().unwrap()).join("outputs/output/allowed.json"),
    )
    .unwrap();
    assert_eq!(allowed, "[]");

    // A daemon that left the process group is ended with the run and counted.
    let (code, r) = sf_unprivileged(dir.path(), "daemon", &[]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["execution"]["stray_processes_killed"], 1, "{r:#}");
}

/// A seccomp filter that makes `unshare` fail with EPERM and Landlock look absent (ENOSYS), as on
/// a hardened or old kernel. Installed in the child before it becomes sf.
fn without_namespaces_or_landlock(cmd: &mut Command) {
    #[repr(C)]
    struct Insn {
        code: u16,
        jt: u8,
        jf: u8,
        k: u32,
    }
    #[repr(C)]
    struct Prog {
        len: u16,
        filter: *const Insn,
    }
    const LD_NR: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS, offset 0: the system call number
    const JEQ: u16 = 0x15;
    const RET: u16 = 0x06;
    let errno = |e: i32| libc::SECCOMP_RET_ERRNO | e as u32;
    let insn = |code, jt, jf, k| Insn { code, jt, jf, k };
    let program = [
        insn(LD_NR, 0, 0, 0),
        insn(JEQ, 0, 1, libc::SYS_unshare as u32),
        insn(RET, 0, 0, errno(libc::EPERM)),
        insn(JEQ, 0, 1, libc::SYS_landlock_create_ruleset as u32),
        insn(RET, 0, 0, errno(libc::ENOSYS)),
        insn(RET, 0, 0, 0x7fff_0000), // SECCOMP_RET_ALLOW
    ];
    // SAFETY: prctl with a filter program that outlives the call (moved into the closure).
    unsafe {
        cmd.pre_exec(move || {
            let prog = Prog {
                len: program.len() as u16,
                filter: program.as_ptr(),
            };
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::prctl(
                    libc::PR_SET_SECCOMP,
                    libc::SECCOMP_MODE_FILTER,
                    &raw const prog,
                    0,
                    0,
                ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[test]
fn without_namespaces_the_run_happens_and_says_what_was_missing() {
    let dir = tempfile::tempdir().unwrap();
    let sf = |script: &str| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sf"));
        cmd.current_dir(dir.path())
            .env_remove("RUST_LOG")
            .env_remove("SF_PYTHON")
            .args([
                "test-script",
                script,
                "--output-format",
                "json",
                "--scripts-dir",
            ])
            .arg(fixtures());
        without_namespaces_or_landlock(&mut cmd);
        run_json(cmd)
    };
    let (code, r) = sf("exit_0");
    assert_eq!(code, 0, "{r:#}");
    let mechanisms = &r["execution"]["sandbox"];
    assert_eq!(mechanisms["processes"]["state"], "unavailable", "{r:#}");
    assert_eq!(mechanisms["mounts"]["state"], "unavailable", "{r:#}");
    assert!(
        mechanisms["processes"]["reason"]
            .as_str()
            .unwrap()
            .contains("cannot create namespaces (unshare): Operation not permitted"),
        "{r:#}"
    );
    assert_eq!(mechanisms["filesystem"]["state"], "unavailable", "{r:#}");

    // The process group and the run's marker still end a daemon with the run.
    let (code, r) = sf("daemon");
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["execution"]["stray_processes_killed"], 1, "{r:#}");
    let daemon: i32 = std::fs::read_to_string(
        Path::new(r["workspace"].as_str().unwrap()).join("outputs/output/daemon.pid"),
    )
    .unwrap()
    .trim()
    .parse()
    .unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{daemon}/stat")).unwrap_or_default();
    let state = stat.rfind(')').and_then(|i| stat[i + 2..].chars().next());
    assert!(
        matches!(state, None | Some('Z') | Some('X')),
        "daemon {daemon} outlived its run ({stat})"
    );
}
