//! Broken scripts: each gets a FAIL (or PASS) that says exactly what happened, and sf survives.

use serde_json::Value;

use crate::support::Sandbox;

struct Case {
    script: &'static str,
    args: &'static [&'static str],
    status: &'static str,
    /// Must appear in `error_message`.
    error: &'static str,
    /// `execution.outcome.kind`, or `None` when the script never started.
    outcome: Option<&'static str>,
    /// `execution.script_error.kind`, when the adapter reports one.
    script_error: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        script: "raises",
        args: &[],
        status: "FAIL",
        error: "ZeroDivisionError: division by zero",
        outcome: Some("exited"),
        script_error: Some("exception"),
    },
    Case {
        script: "exit_3",
        args: &[],
        status: "FAIL",
        error: "main called sys.exit(3)",
        outcome: Some("exited"),
        script_error: Some("system_exit"),
    },
    Case {
        script: "exit_0",
        args: &[],
        status: "PASS",
        error: "",
        outcome: Some("exited"),
        script_error: None,
    },
    Case {
        script: "exit_7",
        args: &[],
        status: "FAIL",
        error: "main called sys.exit(7)",
        outcome: Some("exited"),
        script_error: Some("system_exit"),
    },
    Case {
        script: "os_exit_0",
        args: &[],
        status: "FAIL",
        error: "exited with status 0 before sf's runner could report",
        outcome: Some("exited"),
        script_error: None,
    },
    Case {
        script: "segfault",
        args: &[],
        status: "FAIL",
        error: "killed by SIGSEGV",
        outcome: Some("signaled"),
        script_error: None,
    },
    Case {
        script: "sleeps_forever",
        args: &["--timeout", "1"],
        status: "FAIL",
        error: "timed out after 1 s",
        outcome: Some("timed_out"),
        script_error: None,
    },
    Case {
        script: "syntax_error",
        args: &[],
        status: "FAIL",
        error: "syntax error: SyntaxError: expected ':'",
        outcome: Some("exited"),
        script_error: Some("syntax_error"),
    },
    Case {
        script: "import_error",
        args: &[],
        status: "FAIL",
        error: "import error: ModuleNotFoundError: No module named 'sf_module_that_does_not_exist'",
        outcome: Some("exited"),
        script_error: Some("import_error"),
    },
    Case {
        script: "no_main",
        args: &[],
        status: "FAIL",
        error: "no_main.py defines no main() function; functions found: helper, process",
        outcome: Some("exited"),
        script_error: Some("no_main"),
    },
    Case {
        script: "bad_signature",
        args: &[],
        status: "FAIL",
        error: "main has the wrong signature",
        outcome: Some("exited"),
        script_error: Some("bad_signature"),
    },
    Case {
        script: "silent_exit",
        args: &[],
        status: "FAIL",
        error: "script exited with status 4",
        outcome: Some("exited"),
        script_error: None,
    },
    Case {
        script: "not_executable",
        args: &[],
        status: "FAIL",
        error: "is not executable",
        outcome: None,
        script_error: None,
    },
    Case {
        script: "async_main",
        args: &[],
        status: "FAIL",
        error: "ValueError: the async body ran and failed",
        outcome: Some("exited"),
        script_error: Some("exception"),
    },
    Case {
        script: "surrogate_message",
        args: &[],
        status: "FAIL",
        error: "FileNotFoundError: cannot open caf\\udce9.csv; xxx",
        outcome: Some("exited"),
        script_error: Some("exception"),
    },
    Case {
        script: "report_fifo",
        // The script cannot even touch sf's files in the sandbox; without it, the report still
        // travels on its pipe and the file is nothing.
        args: &["--no-sandbox"],
        status: "FAIL",
        error: "before sf's runner could report",
        outcome: Some("exited"),
        script_error: None,
    },
    Case {
        script: "report_forged",
        // The script cannot even touch sf's files in the sandbox; without it, the report still
        // travels on its pipe and the file is nothing.
        args: &["--no-sandbox"],
        status: "FAIL",
        error: "before sf's runner could report",
        outcome: Some("exited"),
        script_error: None,
    },
    Case {
        script: "report_zero",
        // The script cannot even touch sf's files in the sandbox; without it, the report still
        // travels on its pipe and the file is nothing.
        args: &["--no-sandbox"],
        status: "FAIL",
        error: "before sf's runner could report",
        outcome: Some("exited"),
        script_error: None,
    },
    Case {
        script: "ghost",
        args: &[],
        status: "FAIL",
        error: "script `ghost` not found; looked in:",
        outcome: None,
        script_error: None,
    },
];

#[test]
fn every_broken_script_fails_with_the_reason_and_sf_survives() {
    let sandbox = Sandbox::new();
    let fixtures_before = tree(&crate::support::fixtures());
    let mut problems = Vec::new();
    for case in CASES {
        let (code, r) = sandbox.test_script(case.script, case.args);
        let left = processes_of_run(r["workspace"].as_str().unwrap());
        if !left.is_empty() {
            problems.push(format!("{}: processes left running {left:?}", case.script));
        }
        let expected_code = if case.status == "PASS" { 0 } else { 1 };
        let error = r["error_message"].as_str().unwrap_or("");
        let outcome = r["execution"]["outcome"]["kind"].as_str();
        let script_error = r["execution"]["script_error"]["kind"].as_str();
        if code != expected_code
            || r["status"] != case.status
            || !error.contains(case.error)
            || outcome != case.outcome
            || script_error != case.script_error
        {
            problems.push(format!(
                "{}: exit {code}, status {}, error {error:?}, outcome {outcome:?}, script_error {script_error:?}",
                case.script, r["status"]
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "unexpected results:\n{}",
        problems.join("\n")
    );
    assert_eq!(tree(&crate::support::fixtures()), fixtures_before);
    assert_eq!(
        sandbox.test_script("exit_0", &[]).0,
        0,
        "the next test still runs"
    );
}

#[test]
fn an_exception_message_of_megabytes_is_kept_bounded_with_its_head_and_tail() {
    let sandbox = Sandbox::new();
    let (code, r) = sandbox.test_script("surrogate_message", &[]);
    assert_eq!(code, 1);
    let message = r["execution"]["script_error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("cannot open caf\\udce9.csv; xxx"),
        "{}",
        &message[..80]
    );
    assert!(message.contains("characters cut"), "{}", message.len());
    assert!(message.len() < 10_000, "{}", message.len());
    let stored = std::fs::metadata(
        std::path::Path::new(r["workspace"].as_str().unwrap()).join("result.json"),
    )
    .unwrap()
    .len();
    assert!(stored < 200_000, "result.json holds {stored} bytes");
}

#[test]
fn a_workspace_whose_marker_a_script_removed_is_never_deleted_by_sf() {
    let sandbox = Sandbox::new();
    // The sandbox would refuse the removal; with it off, sf's own check must hold.
    let (code, r) = sandbox.test_script("removes_marker", &["--no-sandbox"]);
    assert_eq!(code, 0, "{r:#}");
    let ws = std::path::PathBuf::from(r["workspace"].as_str().unwrap());
    assert!(!ws.join(".sf-workspace").exists());
    sandbox
        .sf()
        .args(["clean-workspace", "--yes"])
        .assert()
        .success();
    assert!(
        ws.join("result.json").is_file(),
        "sf deleted a directory without its marker"
    );
    let (code, r) = sandbox.test_script("removes_marker", &[]);
    if sf_core::sandbox::landlock_abi().is_err() {
        require_isolation_absent("Landlock", &r);
        assert_eq!(
            r["execution"]["sandbox"]["filesystem"]["state"],
            "unavailable"
        );
        return;
    }
    assert_eq!(code, 1, "the filesystem sandbox refuses the removal: {r:#}");
}

#[test]
fn the_log_cap_is_configurable_and_reported() {
    let sandbox = Sandbox::new();
    let (code, r) = sandbox.test_script("binary_garbage", &["--log-limit", "1KB"]);
    assert_eq!(code, 1);
    assert_eq!(r["execution"]["output_truncated"], true);
    let ws = std::path::PathBuf::from(r["workspace"].as_str().unwrap());
    let log = std::fs::metadata(ws.join("logs/stdout.log")).unwrap().len();
    assert!(log < 1024 + 100, "{log}");
}

#[test]
fn a_traceback_points_at_the_script_line_not_at_sf() {
    let sandbox = Sandbox::new();
    let (_, r) = sandbox.test_script("raises", &[]);
    let tb = r["execution"]["script_error"]["traceback"]
        .as_str()
        .unwrap();
    assert!(tb.contains("raises.py\", line 6, in main"), "{tb}");
    assert!(tb.contains("raises.py\", line 2, in average"), "{tb}");
    assert!(
        !tb.contains("runner.py"),
        "sf's runner frames leak into the traceback:\n{tb}"
    );
}

#[test]
fn a_syntax_error_names_the_file_and_line() {
    let sandbox = Sandbox::new();
    let (_, r) = sandbox.test_script("syntax_error", &[]);
    let tb = r["execution"]["script_error"]["traceback"]
        .as_str()
        .unwrap();
    assert!(tb.contains("syntax_error.py\", line 1"), "{tb}");
    assert!(!tb.contains("<frozen"), "{tb}");
}

#[test]
fn the_main_block_never_runs_and_the_module_name_is_unique() {
    let sandbox = Sandbox::new();
    let (code, r) = sandbox.test_script("echo_context", &[]);
    assert_eq!(code, 0, "{r:#}");
    let seen = context_seen(&r);
    let module = seen["module_name"].as_str().unwrap();
    assert!(module.starts_with("sf_script_echo_context_"), "{module}");
}

#[test]
fn an_optional_logger_keeps_its_default_and_a_required_one_is_given() {
    let sandbox = Sandbox::new();
    for (script, expected) in [
        ("logger_optional", "default\n"),
        ("logger_required", "given\n"),
    ] {
        let (code, r) = sandbox.test_script(script, &[]);
        assert_eq!(code, 0, "{r:#}");
        let ws = std::path::PathBuf::from(r["workspace"].as_str().unwrap());
        let got = std::fs::read_to_string(ws.join("outputs/output/logger.txt")).unwrap();
        assert_eq!(got, expected, "{script}");
    }
}

#[test]
fn job_args_may_be_left_out_of_the_signature() {
    let sandbox = Sandbox::new();
    let (code, r) = sandbox.test_script("no_job_args", &[]);
    assert_eq!(code, 0, "{r:#}");
}

#[test]
fn writing_outside_the_outputs_is_reported_when_the_sandbox_is_off() {
    let sandbox = Sandbox::new();
    let (_, r) = sandbox.test_script("writes_outside", &["--no-sandbox"]);
    assert_eq!(r["execution"]["sandbox"]["filesystem"]["state"], "off");
    let recs = r["recommendations"].to_string();
    assert!(recs.contains("wrote outside its output channels"), "{recs}");
    assert!(recs.contains("stray.csv"), "{recs}");
    assert!(recs.contains("inputs/input/data.csv (modified)"), "{recs}");
}

#[test]
fn an_empty_output_channel_is_reported() {
    let sandbox = Sandbox::new();
    let (code, r) = sandbox.test_script("writes_nothing", &[]);
    assert_eq!(code, 0);
    let recs = r["recommendations"].to_string();
    assert!(recs.contains("Output channel `output` is empty"), "{recs}");
}

#[test]
fn a_silent_non_zero_exit_is_reported() {
    let sandbox = Sandbox::new();
    let (_, r) = sandbox.test_script("silent_exit", &[]);
    let recs = r["recommendations"].to_string();
    assert!(recs.contains("wrote nothing to stderr"), "{recs}");
}

/// Where CI guarantees the kernel mechanisms (`SF_REQUIRE_ISOLATION=1`), a result that says one
/// is unavailable is a failure, not a reason to check less.
fn require_isolation_absent(mechanism: &str, r: &Value) {
    assert!(
        std::env::var_os("SF_REQUIRE_ISOLATION").is_none(),
        "{mechanism} are required here (SF_REQUIRE_ISOLATION) but the run says they are unavailable: {r:#}"
    );
}

pub(crate) fn context_seen(r: &Value) -> Value {
    let ws = std::path::PathBuf::from(r["workspace"].as_str().unwrap());
    let text = std::fs::read_to_string(ws.join("outputs/output/context.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Live processes still marked with a run's id (its workspace's name).
fn processes_of_run(workspace: &str) -> Vec<u32> {
    let name = std::path::Path::new(workspace)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let needle = format!("SF_RUN_ID={name}");
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let state = stat.rfind(')').and_then(|i| stat[i + 2..].chars().next());
            !matches!(state, Some('Z') | Some('X') | None)
        })
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == needle.as_bytes()))
        })
        .collect()
}

/// Every file under `dir` with its size, mode, owner and modification time, to tell whether
/// anything changed.
fn tree(dir: &std::path::Path) -> Vec<(String, u64, u32, u32, i64)> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let meta = std::fs::symlink_metadata(e.path()).unwrap();
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                out.push((
                    e.path().display().to_string(),
                    meta.len(),
                    meta.mode(),
                    meta.uid(),
                    meta.mtime_nsec() + meta.mtime() * 1_000_000_000,
                ));
            }
        }
    }
    out.sort();
    out
}

struct Hostile {
    script: &'static str,
    args: &'static [&'static str],
    status: &'static str,
    error: &'static str,
    recommendation: &'static str,
    /// What changes when the run has a container of its own (its mounts in force): status,
    /// error, recommendation.
    contained: Option<(&'static str, &'static str, &'static str)>,
}

const HOSTILE: &[Hostile] = &[
    Hostile {
        script: "kill_self",
        args: &[],
        status: "FAIL",
        error: "script was killed by SIGKILL",
        recommendation: "",
        contained: None,
    },
    Hostile {
        script: "child_ignores_term",
        args: &["--timeout", "1"],
        status: "FAIL",
        error: "timed out after 1 s",
        recommendation: "",
        contained: None,
    },
    Hostile {
        script: "daemon",
        args: &[],
        status: "PASS",
        error: "",
        recommendation: "background process(es) running; sf killed them",
        contained: None,
    },
    Hostile {
        script: "memory_hog",
        args: &["--memory-limit", "200MB"],
        status: "FAIL",
        error: "out of memory (limit 200 MB, peak ",
        recommendation: "",
        contained: None,
    },
    Hostile {
        script: "prints_2gb",
        args: &[],
        status: "PASS",
        error: "",
        recommendation: "exceeded the log cap and was truncated",
        contained: None,
    },
    Hostile {
        script: "binary_garbage",
        args: &[],
        status: "FAIL",
        error: "RuntimeError: garbage",
        recommendation: "",
        contained: None,
    },
    Hostile {
        script: "chdir_delete",
        args: &[],
        status: "PASS",
        error: "",
        recommendation: "",
        contained: None,
    },
    Hostile {
        script: "threads_500",
        args: &[],
        status: "PASS",
        error: "",
        recommendation: "",
        contained: None,
    },
    Hostile {
        script: "writes_repo",
        args: &[],
        status: "FAIL",
        error: "PermissionError: [Errno 13] Permission denied",
        recommendation: "The filesystem sandbox denied a write outside the run's outputs",
        contained: Some((
            "FAIL",
            "OSError: [Errno 30] Read-only file system",
            "The filesystem sandbox denied a write outside",
        )),
    },
    Hostile {
        script: "deletes_input",
        args: &["--read-only-inputs"],
        status: "FAIL",
        error: "PermissionError: [Errno 13] Permission denied",
        recommendation: "The filesystem sandbox denied a write",
        contained: Some((
            "FAIL",
            "OSError: [Errno 30] Read-only file system",
            "The filesystem sandbox denied a write",
        )),
    },
    Hostile {
        script: "deletes_input",
        args: &[],
        status: "PASS",
        error: "",
        recommendation: "The script changed its inputs (inputs/input/data.csv (deleted))",
        contained: None,
    },
    Hostile {
        script: "deletes_input",
        args: &["--no-sandbox", "--read-only-inputs"],
        status: "FAIL",
        error: "the script changed its read-only inputs: inputs/input/data.csv (deleted)",
        recommendation: "",
        contained: None,
    },
    Hostile {
        script: "rewrites_input_quietly",
        args: &["--no-sandbox", "--read-only-inputs"],
        status: "FAIL",
        error: "the script changed its read-only inputs: inputs/input/data.csv (modified)",
        recommendation: "",
        contained: None,
    },
    Hostile {
        script: "extracts_beside_input",
        args: &[],
        status: "PASS",
        error: "",
        recommendation: "The script changed its inputs (inputs/input/extracted.csv (created))",
        contained: None,
    },
    Hostile {
        script: "joins_sf_group",
        args: &["--timeout", "2"],
        status: "FAIL",
        error: "PermissionError: [Errno 1] Operation not permitted",
        recommendation: "",
        contained: Some(("FAIL", "timed out after 2 s", "")),
    },
    Hostile {
        script: "signals_sf",
        args: &[],
        status: "FAIL",
        error: "PermissionError: [Errno 1] Operation not permitted",
        recommendation: "",
        contained: None,
    },
    Hostile {
        script: "raises_sf_oom_score",
        args: &[],
        status: "FAIL",
        error: "PermissionError: [Errno 13] Permission denied: '/proc/",
        recommendation: "The filesystem sandbox denied a write",
        contained: None,
    },
    Hostile {
        script: "swallows_denied_tmp",
        args: &[],
        status: "PASS",
        error: "",
        recommendation: "The script passed, but the filesystem sandbox denied a write",
        contained: Some(("PASS", "", "")),
    },
    Hostile {
        script: "writes_outside",
        args: &[],
        status: "FAIL",
        error: "Permission denied: 'stray.csv'",
        recommendation: "The filesystem sandbox denied a write",
        contained: Some((
            "FAIL",
            "OSError: [Errno 30] Read-only file system: 'stray.csv'",
            "The filesystem sandbox denied a write",
        )),
    },
];

#[test]
fn hostile_scripts_are_contained_and_reported_and_the_next_test_still_runs() {
    let sandbox = Sandbox::new();
    let fixtures_before = tree(&crate::support::fixtures());
    let mut problems = Vec::new();
    let landlock = sf_core::sandbox::landlock_abi();
    for case in HOSTILE {
        // Signalling sf is only refused where Landlock scopes signals (ABI 6); elsewhere the
        // script would really stop sf, so there the result must not claim the scoping.
        if case.script == "signals_sf" && landlock.as_ref().map_or(true, |abi| *abi < 6) {
            assert!(std::env::var_os("SF_REQUIRE_ISOLATION").is_none());
            let (_, r) = sandbox.test_script("exit_0", &[]);
            let detail = r["execution"]["sandbox"]["filesystem"]["detail"].as_str();
            assert!(!detail.unwrap_or("").contains("signals scoped"), "{r:#}");
            continue;
        }
        // These rely on the filesystem sandbox; without Landlock they would really write into
        // the repository, so there the test checks that the result says the sandbox is missing.
        if landlock.is_err() && case.recommendation.contains("sandbox") {
            assert!(
                std::env::var_os("SF_REQUIRE_ISOLATION").is_none(),
                "Landlock is required here (SF_REQUIRE_ISOLATION) but unavailable"
            );
            let (_, r) = sandbox.test_script("exit_0", &[]);
            assert_eq!(
                r["execution"]["sandbox"]["filesystem"]["state"],
                "unavailable"
            );
            continue;
        }
        let (code, r) = sandbox.test_script(case.script, case.args);
        let (status, expected_error, recommendation) = match case.contained {
            Some(contained) if r["execution"]["sandbox"]["mounts"]["state"] == "enforced" => {
                contained
            }
            _ => (case.status, case.error, case.recommendation),
        };
        let error = r["error_message"].as_str().unwrap_or("");
        let recs = r["recommendations"].to_string();
        let ws = r["workspace"].as_str().unwrap();
        let left = processes_of_run(ws);
        if r["status"] != status
            || code != if status == "PASS" { 0 } else { 1 }
            || !error.contains(expected_error)
            || !recs.contains(recommendation)
            || !left.is_empty()
        {
            problems.push(format!(
                "{}: status {} (exit {code}), error {error:?}, recommendations {recs}, processes left {left:?}",
                case.script, r["status"]
            ));
        }
        if case.script == "prints_2gb" {
            let log = std::fs::metadata(std::path::Path::new(ws).join("logs/stdout.log"))
                .unwrap()
                .len();
            assert!(
                log <= 100 * 1024 * 1024 + 100,
                "the log is not capped: {log} bytes"
            );
            assert_eq!(r["execution"]["output_bytes"], 2048 * 1024 * 1024_u64);
        }
    }
    assert!(
        problems.is_empty(),
        "hostile scripts:\n{}",
        problems.join("\n")
    );
    assert!(
        !crate::support::fixtures().join("LEAKED.txt").exists(),
        "a script wrote into the repository"
    );
    // Nothing outside the workspaces changed, and sf still works.
    assert_eq!(tree(&crate::support::fixtures()), fixtures_before);
    assert_eq!(
        crate::support::entries(sandbox.path()),
        ["pipeline_testing"]
    );
    let (code, _) = sandbox.test_script("exit_0", &[]);
    assert_eq!(code, 0);
}

#[test]
fn a_network_connection_reaches_the_listener_only_when_the_network_is_allowed() {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let env = format!("SF_TEST_PORT={port}");
    let sandbox = Sandbox::new();

    let (code, r) = sandbox.test_script("connects", &["--env", &env, "--no-network"]);
    let network = &r["execution"]["sandbox"]["network"];
    if network["state"] == "unavailable" {
        // No network namespace can be made here (no root, no user namespaces): the result must
        // say so rather than claim isolation.
        require_isolation_absent("network namespaces", &r);
        assert!(
            network["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{r:#}"
        );
        return;
    }
    assert_eq!(network["state"], "enforced", "{r:#}");
    assert_eq!(code, 1);
    let error = r["error_message"].as_str().unwrap();
    assert!(
        error.contains("ConnectionRefusedError") || error.contains("Network is unreachable"),
        "{error}"
    );

    let accepted = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut got = String::new();
        stream.read_to_string(&mut got).unwrap();
        got
    });
    let (code, r) = sandbox.test_script("connects", &["--env", &env]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["execution"]["sandbox"]["network"]["state"], "off");
    assert_eq!(accepted.join().unwrap(), "hello");
}

#[test]
fn an_unmodified_sagemaker_script_runs_as_is_under_the_sagemaker_layout() {
    let sandbox = Sandbox::new();
    let opt_before: Vec<_> = crate::support::entries(std::path::Path::new("/opt"));
    let (code, r) = sandbox.test_script(
        "sagemaker_job",
        &[
            "--layout",
            "sagemaker",
            "--input",
            "data",
            "--output",
            "processed",
            "--job-arg",
            "job_type=training",
            "--data",
            "generic",
            "--rows",
            "7",
        ],
    );
    let layout = &r["execution"]["sandbox"]["layout"];
    if layout["state"] == "unavailable" {
        // No mount namespace here (not root): the script cannot find /opt/ml, and the result says
        // why instead of pretending the layout was there.
        require_isolation_absent("mount namespaces", &r);
        assert_eq!(code, 1, "{r:#}");
        assert!(
            layout["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{r:#}"
        );
        return;
    }
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(layout["state"], "enforced", "{r:#}");
    let ws = std::path::PathBuf::from(r["workspace"].as_str().unwrap());
    let written: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(ws.join("outputs/processed/training.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(written["rows"], 7);
    assert_eq!(written["job"], "sf-sagemaker_job");
    // What the machine keeps under /opt stays visible to the script, and /opt itself is untouched.
    let mut expected = opt_before.clone();
    expected.push("ml".to_owned());
    expected.sort();
    assert_eq!(written["opt_kept"], serde_json::json!(expected));
    assert_eq!(
        crate::support::entries(std::path::Path::new("/opt")),
        opt_before
    );
    let config: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(ws.join(".sf/ml-config/processingjobconfig.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        config["ProcessingInputs"][0]["S3Input"]["LocalPath"],
        "/opt/ml/processing/input/data"
    );

    // Without the layout, the same script's hard-coded paths do not exist.
    let (code, _) = sandbox.test_script(
        "sagemaker_job",
        &["--input", "data", "--output", "processed"],
    );
    assert_eq!(code, 1);
}

/// Live processes whose name a zoo script set (`sfzoo-…`): daemons that carry no marker of their
/// run and moved out of its workspace.
fn zoo_processes() -> Vec<(u32, String)> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let state = stat.rfind(')').and_then(|i| stat[i + 2..].chars().next());
            (comm.starts_with("sfzoo-") && !matches!(state, Some('Z') | Some('X')))
                .then(|| (pid, comm.trim().to_owned()))
        })
        .collect()
}

#[test]
fn a_run_in_its_own_container_leaves_nothing_behind_and_changes_nothing_outside() {
    let sandbox = Sandbox::new();
    let (_, probe) = sandbox.test_script("exit_0", &[]);
    let mechanisms = &probe["execution"]["sandbox"];
    if mechanisms["processes"]["state"] != "enforced" || mechanisms["mounts"]["state"] != "enforced"
    {
        // No namespaces here: the result must say so, with the reason, and the scripts below
        // (which would stop every process they can see) must not run.
        require_isolation_absent("namespaces", &probe);
        assert_eq!(mechanisms["processes"]["state"], "unavailable", "{probe:#}");
        assert!(
            mechanisms["processes"]["reason"]
                .as_str()
                .is_some_and(|r| !r.is_empty()),
            "{probe:#}"
        );
        return;
    }
    let fixtures_before = tree(&crate::support::fixtures());
    let mut problems = Vec::new();

    // Daemons with no marker left to find them by: the end of the container ends them.
    for script in [
        "escapes_with_empty_env",
        "overwrites_environ",
        "forks_forever",
    ] {
        let (code, r) = sandbox.test_script(script, &[]);
        let left = zoo_processes();
        if code != 0
            || r["execution"]["stray_processes_killed"].as_u64() < Some(1)
            || !left.is_empty()
        {
            problems.push(format!(
                "{script}: exit {code}, killed {}, left {left:?}",
                r["execution"]["stray_processes_killed"]
            ));
        }
    }

    // /dev/shm is memory: counted as the run's, and gone with it.
    let (code, r) = sandbox.test_script("fills_dev_shm", &[]);
    let shm_left: Vec<_> = std::fs::read_dir("/dev/shm")
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("sfzoo-shm-"))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    if code != 0 || r["memory_usage"].as_f64() < Some(300.0) || !shm_left.is_empty() {
        problems.push(format!(
            "fills_dev_shm: exit {code}, memory {} MB, left {shm_left:?}",
            r["memory_usage"]
        ));
    }

    // /tmp is writable, as in production, and private: the staged file is in the archive and
    // not on the machine's /tmp.
    let (code, r) = sandbox.test_script("swallows_denied_tmp", &[]);
    let archive =
        std::path::Path::new(r["workspace"].as_str().unwrap()).join("outputs/output/model.tar.gz");
    let listing = std::process::Command::new("tar")
        .arg("tzf")
        .arg(&archive)
        .output()
        .unwrap();
    let members = String::from_utf8_lossy(&listing.stdout).into_owned();
    let staged_left = std::fs::read_dir("/tmp").unwrap().flatten().any(|e| {
        e.file_name()
            .to_string_lossy()
            .starts_with("sf-zoo-staging-")
    });
    if code != 0
        || !members.contains("model.bin")
        || staged_left
        || r["recommendations"] != serde_json::json!([])
    {
        problems.push(format!(
            "swallows_denied_tmp: exit {code}, archive {members:?}, left in /tmp {staged_left}, {r:#}"
        ));
    }

    // Metadata is not a write to Landlock, but the host is mounted read-only.
    let (code, r) = sandbox.test_script("changes_metadata", &[]);
    let allowed = std::fs::read_to_string(
        std::path::Path::new(r["workspace"].as_str().unwrap()).join("outputs/output/allowed.json"),
    )
    .unwrap_or_default();
    if code != 0 || allowed != "[]" {
        problems.push(format!("changes_metadata: exit {code}, allowed {allowed}"));
    }

    // sf is not even visible: the script sees its init and nothing else.
    let (code, r) = sandbox.test_script("stops_everything", &[]);
    let seen = std::fs::read_to_string(
        std::path::Path::new(r["workspace"].as_str().unwrap()).join("outputs/output/seen.txt"),
    )
    .unwrap_or_default();
    if code != 0 || seen != "1" {
        problems.push(format!("stops_everything: exit {code}, saw {seen:?}"));
    }

    assert!(
        problems.is_empty(),
        "contained runs:\n{}",
        problems.join("\n")
    );
    assert_eq!(tree(&crate::support::fixtures()), fixtures_before);
    let (code, _) = sandbox.test_script("exit_0", &[]);
    assert_eq!(code, 0);
}
