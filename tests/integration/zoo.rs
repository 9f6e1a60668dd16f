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
    let mut problems = Vec::new();
    for case in CASES {
        let (code, r) = sandbox.test_script(case.script, case.args);
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
fn writing_outside_the_outputs_is_reported() {
    let sandbox = Sandbox::new();
    let (_, r) = sandbox.test_script("writes_outside", &[]);
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

pub(crate) fn context_seen(r: &Value) -> Value {
    let ws = std::path::PathBuf::from(r["workspace"].as_str().unwrap());
    let text = std::fs::read_to_string(ws.join("outputs/output/context.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}
