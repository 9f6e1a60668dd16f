//! `sf test`: the harness's tests from the command line, with text, JSON and JUnit reports.

use std::path::Path;

use predicates::prelude::PredicateBooleanExt;
use std::process::Command;

use predicates::str::contains;

use crate::support::{Sandbox, entries, fixtures};

fn examples_config() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sf.toml")
}

/// A repository with a passing, a failing and a hostile-output script.
fn repo(sandbox: &Sandbox) -> std::path::PathBuf {
    let scripts = sandbox.path().join("scripts");
    std::fs::create_dir(&scripts).unwrap();
    for s in ["raises.py", "exit_0.py"] {
        std::fs::copy(fixtures().join(s), scripts.join(s)).unwrap();
    }
    std::fs::write(
        scripts.join("noisy.py"),
        "import sys\n\ndef main(input_paths, output_paths, environ_vars, job_args):\n    \
         print('<![CDATA[ ]]> </testcase> & \\x1b[31m red \\x00 \\x07')\n    \
         sys.stdout.buffer.write(b'\\xff\\xfe invalid utf-8\\n')\n    raise RuntimeError('<oops> & \"quotes\"')\n",
    )
    .unwrap();
    let config = sandbox.path().join("sf.toml");
    std::fs::write(&config, "workspace_dir = \"runs\"\n").unwrap();
    config
}

#[test]
fn list_results_and_clean_workspace_find_the_workspaces_of_sf_toml() {
    let sandbox = Sandbox::new();
    let config = repo(&sandbox);
    sandbox
        .sf()
        .args(["test", "--config"])
        .arg(&config)
        .assert()
        .code(1);
    let listed = |args: &[&str]| {
        let out = sandbox
            .sf()
            .arg("list-results")
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // Failing tests keep their workspaces under `workspace_dir = "runs"`; ./sf.toml is found
    // as `sf test` finds it, or named with --config.
    for args in [&[][..], &["--config", "sf.toml"][..]] {
        let text = listed(args);
        assert!(
            text.contains("raises") && text.contains("noisy"),
            "{args:?}: {text}"
        );
    }
    assert!(listed(&["--workspace-dir", "pipeline_testing"]).contains("no results"));
    sandbox
        .sf()
        .args(["clean-workspace", "--yes"])
        .assert()
        .success()
        .stdout(contains("deleted 2 workspace(s)"));
    assert!(
        !sandbox.path().join("runs").exists() || entries(&sandbox.path().join("runs")).is_empty()
    );
}

#[test]
fn the_examples_all_pass_with_a_summary_table() {
    Sandbox::new()
        .sf()
        .args(["test", "--config"])
        .arg(examples_config())
        .assert()
        .code(0)
        .stdout(
            contains("STATUS  TEST")
                .and(contains("10 passed, 0 failed, 0 skipped"))
                // The failure strict_loader's test asks for is a PASS, marked as such.
                .and(
                    predicates::str::is_match(r"PASS +strict_loader::rows_0 .*\(expected fail\)")
                        .unwrap(),
                ),
        );
}

#[test]
fn failures_give_exit_1_with_the_reason_and_a_replay_command() {
    let sandbox = Sandbox::new();
    let config = repo(&sandbox);
    sandbox
        .sf()
        .args(["test", "--config"])
        .arg(&config)
        .assert()
        .code(1)
        .stdout(
            contains("--- raises::small ---")
                .and(contains("ZeroDivisionError"))
                .and(contains("replay: sf test --config"))
                .and(contains("1 passed, 2 failed, 0 skipped")),
        );
}

#[test]
fn list_filter_and_exact_select_tests() {
    let sandbox = Sandbox::new();
    sandbox
        .sf()
        .args(["test", "--list", "--config"])
        .arg(examples_config())
        .arg("currency")
        .assert()
        .success()
        .stdout("currency_conversion::medium: test\ncurrency_conversion::small: test\n\n2 tests\n");
    // `--format terse`, as for a harness or any Rust test binary: the names only.
    sandbox
        .sf()
        .args(["test", "--list", "--format", "terse", "--config"])
        .arg(examples_config())
        .arg("currency")
        .assert()
        .success()
        .stdout("currency_conversion::medium: test\ncurrency_conversion::small: test\n");
    sandbox
        .sf()
        .args(["test", "--list", "--exact", "--config"])
        .arg(examples_config())
        .arg("currency_conversion::small")
        .assert()
        .success()
        .stdout("currency_conversion::small: test\n\n1 test\n");
    // Several filters, as `cargo test a b` takes them.
    sandbox
        .sf()
        .args(["test", "--list", "--config"])
        .arg(examples_config())
        .args(["currency_conversion::small", "strict_loader"])
        .assert()
        .success()
        .stdout("currency_conversion::small: test\nstrict_loader::rows_0: test\n\n2 tests\n");
    // A filter that selects nothing runs nothing and says so: never a green run of no test.
    let out = sandbox
        .sf()
        .args(["test", "--exact", "--config"])
        .arg(examples_config())
        .arg("currency_conversion::smal")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: no test matches `currency_conversion::smal`; the tests are: ")
            && stderr.contains("currency_conversion::small"),
        "{stderr}"
    );
}

#[test]
fn generate_data_and_test_script_take_both_size_spellings() {
    let sandbox = Sandbox::new();
    for flag in ["--size", "--data-size"] {
        sandbox
            .sf()
            .args(["generate-data", "tabular", flag, "small", "--out"])
            .arg(sandbox.path().join(format!("out{flag}")))
            .assert()
            .success();
        sandbox
            .sf()
            .args(["test-script", "missing_script", flag, "small"])
            .assert()
            .code(1);
    }
}

#[test]
fn json_output_has_one_entry_per_test() {
    let sandbox = Sandbox::new();
    let config = repo(&sandbox);
    let out = sandbox
        .sf()
        .args(["test", "--output-format", "json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<_> = list.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["exit_0::small", "noisy::small", "raises::small"]);
    assert_eq!(list[0]["result"]["status"], "PASS");
    assert_eq!(list[2]["result"]["status"], "FAIL");
    // The passing test's workspace is gone and says so; the failing one's is kept.
    assert_eq!(list[0]["workspace_removed"], true);
    assert_eq!(list[2]["workspace_removed"], false);
    assert!(std::path::Path::new(list[2]["result"]["workspace"].as_str().unwrap()).is_dir());
}

#[test]
fn junit_is_well_formed_whatever_the_scripts_print() {
    let sandbox = Sandbox::new();
    let config = repo(&sandbox);
    let report = sandbox.path().join("junit.xml");
    let out = sandbox
        .sf()
        .args(["test", "--output-format", "junit", "--report"])
        .arg(&report)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let xml = std::fs::read_to_string(&report).unwrap();
    assert_eq!(xml, String::from_utf8_lossy(&out.stdout));
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures) = (0, 0);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) => {
                match e.name().as_ref() {
                    b"testcase" => cases += 1,
                    b"failure" => failures += 1,
                    _ => {}
                }
            }
            Ok(_) => {}
            Err(e) => panic!("invalid XML at {}: {e}\n{xml}", reader.buffer_position()),
        }
    }
    assert_eq!((cases, failures), (3, 2), "{xml}");
    assert!(
        xml.contains("RuntimeError: &lt;oops&gt; &amp; &quot;quotes&quot;")
            || xml.contains("RuntimeError: &lt;oops&gt; &amp; \"quotes\""),
        "{xml}"
    );
    assert!(!xml.contains('\u{1b}'), "ANSI escapes reach the report");
}

/// The fixture repository with a property variant of every script (8 cases of at most 10 rows).
fn property_repo(sandbox: &Sandbox) -> std::path::PathBuf {
    let config = repo(sandbox);
    std::fs::write(
        &config,
        "workspace_dir = \"runs\"\n[defaults]\nproptest = { cases = 8, max_rows = 10 }\n[scripts.noisy]\nignore = true\n",
    )
    .unwrap();
    config
}

#[test]
fn property_variants_run_many_datasets_and_report_the_minimal_failure() {
    let sandbox = Sandbox::new();
    let config = property_repo(&sandbox);
    let out = sandbox
        .sf()
        .args(["test", "--config"])
        .arg(&config)
        .arg("proptest")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("PASS    exit_0::proptest"), "{text}");
    assert!(text.contains("--- raises::proptest ---"), "{text}");
    assert!(
        text.contains("property test failed after 1 case(s)"),
        "{text}"
    );
    assert!(text.contains("ZeroDivisionError"), "{text}");
    let bundle = text
        .lines()
        .find_map(|l| l.strip_prefix("failure bundle: "))
        .unwrap();
    assert!(
        bundle.contains("sf-regressions/raises/proptest/"),
        "{bundle}"
    );
    assert!(std::path::Path::new(bundle).join("bundle.json").is_file());
    assert!(text.contains(&format!("--data-from {bundle}")), "{text}");
}

#[test]
fn a_configuration_error_is_exit_2_naming_the_line() {
    let sandbox = Sandbox::new();
    let config = repo(&sandbox);
    std::fs::write(&config, "[scripts.raises]\nexpect = \"sometimes\"\n").unwrap();
    sandbox
        .sf()
        .args(["test", "--config"])
        .arg(&config)
        .assert()
        .code(2)
        .stderr(contains(
            "sf.toml:2:10: `scripts.raises.expect`: unknown expectation `sometimes`",
        ));
}

/// Processes whose working directory is under `dir` (each run's cwd is its workspace).
fn processes_under(dir: &std::path::Path) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd.starts_with(dir))
        })
        .collect()
}

#[test]
fn ctrl_c_stops_every_running_script_and_still_reports_what_completed() {
    let sandbox = Sandbox::new();
    let config = repo(&sandbox);
    std::fs::copy(
        fixtures().join("sleeps_forever.py"),
        sandbox.path().join("scripts/sleeps_forever.py"),
    )
    .unwrap();
    let child = sandbox
        .sf_std()
        .args(["test", "-j", "2", "--config"])
        .arg(&config)
        .arg("s")
        .stdout(std::process::Stdio::piped())
        // sf's warning about the interrupt belongs to this run, not to the test's output.
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the endless script is running.
    let runs = sandbox.path().join("runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let endless_running = || {
        processes_under(&runs).iter().any(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains("sleeps_forever.py"))
        })
    };
    while !endless_running() {
        assert!(
            std::time::Instant::now() < deadline,
            "the script never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(130), "{text}");
    assert!(text.contains("PASS    exit_0::small"), "{text}");
    assert!(text.contains("FAIL    sleeps_forever::small"), "{text}");
    assert!(
        text.contains("run interrupted: sf received SIGINT"),
        "{text}"
    );
    assert!(
        processes_under(&runs).is_empty(),
        "processes of the run survived the interruption"
    );
    // The interrupted run still wrote its result.
    let results = Command::new(env!("CARGO_BIN_EXE_sf"))
        .args(["list-results", "--output-format", "json", "--workspace-dir"])
        .arg(&runs)
        .output()
        .unwrap();
    let list: Vec<serde_json::Value> = serde_json::from_slice(&results.stdout).unwrap();
    assert!(
        list.iter().any(|r| r["script_name"] == "sleeps_forever"
            && r["execution"]["outcome"]["kind"] == "interrupted"),
        "{list:?}"
    );
}

/// Live processes named `sfint-…` (a zoo daemon that carries no marker of its run).
fn interrupt_daemons() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let state = stat.rfind(')').and_then(|i| stat[i + 2..].chars().next());
            comm.starts_with("sfint-") && !matches!(state, Some('Z') | Some('X') | None)
        })
        .collect()
}

#[test]
fn a_second_ctrl_c_ends_sf_at_once_and_the_run_with_it_daemons_included() {
    let sandbox = Sandbox::new();
    let (_, probe) = sandbox.test_script("exit_0", &[]);
    if probe["execution"]["sandbox"]["processes"]["state"] != "enforced" {
        // Without a PID namespace a daemon that clears its environment and ignores SIGTERM
        // survives a second Ctrl-C; the result says the namespace is missing.
        assert!(
            std::env::var_os("SF_REQUIRE_ISOLATION").is_none(),
            "{probe:#}"
        );
        assert_eq!(
            probe["execution"]["sandbox"]["processes"]["state"],
            "unavailable"
        );
        return;
    }
    let mut child = sandbox
        .sf_std()
        .args([
            "test-script",
            "ignores_term_with_daemon",
            "--timeout",
            "600",
            "--scripts-dir",
        ])
        .arg(fixtures())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while interrupt_daemons().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the daemon never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    for _ in 0..2 {
        let status = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let started = std::time::Instant::now();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "sf did not end at once"
    );
    // The kernel ends the namespace's processes with its init; give it a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while !interrupt_daemons().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(
        interrupt_daemons(),
        Vec::<u32>::new(),
        "the daemon survived"
    );
}

#[test]
fn property_runs_say_how_their_cases_started_and_cold_is_a_choice() {
    let sandbox = Sandbox::new();
    let config = property_repo(&sandbox);
    let run = |extra: &[&str]| {
        let out = sandbox
            .sf()
            .args(["test", "--config"])
            .arg(&config)
            .args(["--exact", "raises::proptest"])
            .args(extra)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let warm = run(&[]);
    let summary = warm
        .lines()
        .find(|l| l.starts_with("property test failed"))
        .unwrap_or_default()
        .to_owned();
    if summary.contains("(start: warm") {
        assert!(
            warm.lines().any(|l| l.trim().starts_with("start: warm")),
            "{warm}"
        );
    } else {
        // Without namespaces the cases could not be isolated: cold, and the report says why.
        assert!(summary.contains("(start: cold "), "{warm}");
        assert!(
            summary.contains("the warm interpreter has no container"),
            "{warm}"
        );
        assert!(
            std::env::var_os("SF_REQUIRE_ISOLATION").is_none(),
            "warm starts must work here: {warm}"
        );
    }
    let cold = run(&["--cold"]);
    assert!(cold.contains("(start: cold 1 (warm = false))"), "{cold}");
    assert!(cold.contains("start: cold (warm = false)"), "{cold}");
}
