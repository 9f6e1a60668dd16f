//! The HTML report as users produce it: `sf test --report-html`, `[report] html`, the harness
//! with `SF_REPORT_HTML`, and the page loaded in a headless Chromium.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Sandbox, examples, examples_test_binary, fixtures};

/// A repository with a passing script, a failing one, a property test that finds a bug, and a
/// pipeline whose edge lacks a column (so its downstream step is skipped).
fn repo(sandbox: &Sandbox, report: &str) -> PathBuf {
    let scripts = sandbox.path().join("scripts");
    std::fs::create_dir(&scripts).unwrap();
    std::fs::copy(fixtures().join("exit_0.py"), scripts.join("exit_0.py")).unwrap();
    std::fs::copy(fixtures().join("raises.py"), scripts.join("raises.py")).unwrap();
    std::fs::copy(
        examples().join("amount_summary.py"),
        scripts.join("amount_summary.py"),
    )
    .unwrap();
    std::fs::write(
        scripts.join("writer.py"),
        "import os\n\ndef main(input_paths, output_paths, environ_vars, job_args):\n    \
         with open(os.path.join(output_paths['output'], 'out.csv'), 'w') as f:\n        \
         f.write('id,amount\\n1,2.5\\n2,3.5\\n')\n",
    )
    .unwrap();
    let config = sandbox.path().join("sf.toml");
    std::fs::write(
        &config,
        format!(
            "workspace_dir = \"runs\"\n{report}\
             [scripts.amount_summary]\nproptest = {{ cases = 32, max_rows = 20 }}\n\
             [scripts.amount_summary.inputs.input]\ndata = \"currency\"\n\
             [pipelines.flow]\nedges = [\"writer.output -> exit_0.input\", \"exit_0.output -> raises.input\"]\n\
             [[pipelines.flow.steps]]\nscript = \"writer\"\n\
             [[pipelines.flow.steps]]\nscript = \"exit_0\"\n\
             [pipelines.flow.steps.reads.input]\ncolumns = [\"id\", \"label\"]\n\
             [[pipelines.flow.steps]]\nscript = \"raises\"\n"
        ),
    )
    .unwrap();
    config
}

fn run_sf_test(sandbox: &Sandbox, config: &Path, extra: &[&str]) -> std::process::Output {
    sandbox
        .sf()
        .env_remove("SF_REPORT_HTML")
        .args(["test", "--config"])
        .arg(config)
        .args(extra)
        .output()
        .unwrap()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn tests_on(page: &str) -> usize {
    page.matches("<details class=\"test ").count()
}

#[test]
fn html_report_of_sf_test_shows_failures_property_data_pipeline_and_history() {
    let sandbox = Sandbox::new();
    let config = repo(&sandbox, "");
    let page_path = sandbox.path().join("out/report.html");
    let out = run_sf_test(
        &sandbox,
        &config,
        &["--report-html", page_path.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let page = read(&page_path);
    let listed = String::from_utf8_lossy(&out.stdout);
    // One section per test: amount_summary's property test and its single run, each other
    // script, the pipeline.
    let ran = 6;
    assert_eq!(tests_on(&page), ran, "{listed}");
    assert!(
        page.contains("raises::small") || page.contains(">raises"),
        "a failing script"
    );
    // The failure can be acted on: its error, the replay command with a copy button.
    assert!(
        page.contains("data-copy=\"sf test --config"),
        "replay button"
    );
    // The property failure: its plots and the minimal dataset as a table.
    for class in ["plot cases", "plot shrink"] {
        assert!(page.contains(&format!("class=\"{class}\"><svg")), "{class}");
    }
    assert!(page.contains("The minimal failing dataset"));
    assert!(page.contains("<table class=\"data\">"));
    // The pipeline: its graph, its timeline, the skipped step, the columns found and expected.
    for class in ["plot dag", "plot timeline"] {
        assert!(page.contains(&format!("class=\"{class}\"><svg")), "{class}");
    }
    assert!(
        page.contains("<span class=\"col missing\">label</span>"),
        "the missing column"
    );
    assert!(page.contains("<span class=\"col extra\">amount</span>"));
    assert!(page.contains("<span class=\"badge skip\">SKIP</span>"));
    // Self-contained.
    assert!(!page.contains("src=\"http") && !page.contains("<link"));

    // The history: one line per test per run, beside the workspaces.
    let history = sandbox.path().join("runs/sf-history.jsonl");
    let lines = read(&history).lines().count();
    assert_eq!(lines, ran);
    run_sf_test(
        &sandbox,
        &config,
        &["--report-html", page_path.to_str().unwrap()],
    );
    assert_eq!(read(&history).lines().count(), 2 * ran);
    let page = read(&page_path);
    assert!(
        page.contains("<span class=\"spark\" title=\"last 2 runs"),
        "the second page plots each test's runs"
    );
}

#[test]
fn report_html_in_sf_toml_is_where_sf_test_writes_the_page() {
    let sandbox = Sandbox::new();
    let config = repo(&sandbox, "[report]\nhtml = \"reports/sf.html\"\n");
    run_sf_test(&sandbox, &config, &["--exact", "exit_0::small"]);
    let page = read(&sandbox.path().join("reports/sf.html"));
    assert_eq!(tests_on(&page), 1);
    assert!(page.contains("<span class=\"badge pass\">1 PASS</span>"));
}

#[test]
fn an_unknown_key_of_report_is_an_error_naming_it() {
    let sandbox = Sandbox::new();
    let config = repo(&sandbox, "[report]\nhtlm = \"x.html\"\n");
    let out = run_sf_test(&sandbox, &config, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sf.toml") && err.contains("htlm"), "{err}");
    let config = repo_with(&sandbox, "[report]\nhtml = \"\"\n");
    let err = String::from_utf8_lossy(&run_sf_test(&sandbox, &config, &[]).stderr).into_owned();
    assert!(err.contains("report.html"), "{err}");
}

fn repo_with(sandbox: &Sandbox, report: &str) -> PathBuf {
    let config = sandbox.path().join("sf.toml");
    std::fs::write(&config, format!("workspace_dir = \"runs\"\n{report}")).unwrap();
    config
}

#[test]
fn sf_test_script_and_test_pipeline_write_the_page_too() {
    let sandbox = Sandbox::new();
    let config = repo(&sandbox, "");
    let script_page = sandbox.path().join("script.html");
    let out = sandbox
        .sf()
        .args(["test-script", "raises", "--scripts-dir"])
        .arg(fixtures())
        .arg("--workspace-dir")
        .arg(sandbox.path().join("ws"))
        .arg("--report-html")
        .arg(&script_page)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let page = read(&script_page);
    assert_eq!(tests_on(&page), 1);
    // The replay names the script by its path (slashes escaped), so it runs from any folder.
    assert!(
        page.contains("data-copy=\"sf test-script &#x2f;")
            && page.contains("&#x2f;raises.py --data-from"),
        "replay"
    );
    assert!(
        page.contains("<pre class=\"traceback\">"),
        "the script's traceback"
    );

    let pipeline_page = sandbox.path().join("pipeline.html");
    let out = sandbox
        .sf()
        .args(["test-pipeline", "flow", "--config"])
        .arg(&config)
        .env("SF_REPORT_HTML", &pipeline_page)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let page = read(&pipeline_page);
    assert!(page.contains("class=\"plot dag\"><svg"));
    assert!(page.contains("<span class=\"col missing\">label</span>"));
}

#[test]
fn the_harness_writes_the_page_named_by_sf_report_html() {
    let sandbox = Sandbox::new();
    let config = repo(&sandbox, "");
    let page_path = sandbox.path().join("harness.html");
    let out = Command::new(examples_test_binary("scripts"))
        .args([
            "--skip",
            "amount_summary",
            "--skip",
            "pipeline",
            "--skip",
            "writer",
        ])
        .env("SF_CONFIG", &config)
        .env("SF_REPORT_HTML", &page_path)
        .env_remove("NEXTEST_RUN_ID")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(101), "{out:?}");
    let page = read(&page_path);
    assert_eq!(tests_on(&page), 2);
    assert!(page.contains("<span class=\"badge fail\">1 FAIL</span>"));
    assert!(page.contains("<span class=\"badge pass\">1 PASS</span>"));
    // Listing runs nothing and writes no page.
    std::fs::remove_file(&page_path).unwrap();
    Command::new(examples_test_binary("scripts"))
        .arg("--list")
        .env("SF_CONFIG", &config)
        .env("SF_REPORT_HTML", &page_path)
        .output()
        .unwrap();
    assert!(!page_path.exists());
}

/// A headless Chromium from the distribution, when there is one.
fn browser() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SF_BROWSER") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|p| p.is_file())
}

#[test]
fn html_report_in_headless_chromium_has_rows_plots_and_the_failure() {
    let Some(chromium) = browser() else {
        if std::env::var_os("SF_REQUIRE_BROWSER").is_some_and(|v| v == "1") {
            panic!("SF_REQUIRE_BROWSER=1 but no chromium on PATH (or SF_BROWSER)");
        }
        // Past libtest's capture, so the skip shows in a plain `cargo test`.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED html_report_in_headless_chromium_has_rows_plots_and_the_failure: no \
             chromium on PATH (install the distribution's chromium, or set SF_BROWSER)"
        );
        return;
    };
    let sandbox = Sandbox::new();
    let config = repo(&sandbox, "");
    let page_path = sandbox.path().join("report.html");
    run_sf_test(
        &sandbox,
        &config,
        &["--report-html", page_path.to_str().unwrap()],
    );
    let expected = tests_on(&read(&page_path));
    let url = format!("file://{}", page_path.display());
    let headless = |extra: &[&str], url: &str| {
        Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
            ])
            .arg(format!(
                "--user-data-dir={}",
                sandbox.path().join("chromium-profile").display()
            ))
            .args(extra)
            .arg(url)
            .output()
            .unwrap()
    };
    // The DOM after the page's script ran.
    let out = headless(&["--virtual-time-budget=3000", "--dump-dom"], &url);
    assert!(out.status.success(), "{out:?}");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("<html lang=\"en\" class=\"js\">"),
        "the script ran: {}",
        &dom[..dom.len().min(300)]
    );
    assert_eq!(tests_on(&dom), expected);
    assert!(
        dom.contains(&format!("{expected} of {expected} shown")),
        "the filter counted the rows"
    );
    assert!(dom.matches("<svg").count() >= 6, "the plots are in the DOM");
    assert!(dom.contains("class=\"failure\""), "the failure section");
    assert!(
        dom.contains("<details class=\"test fail\""),
        "failures are listed"
    );
    // A filter from the link: only the failures stay shown.
    let failing = dom.matches("<details class=\"test fail\"").count();
    let out = headless(
        &["--virtual-time-budget=3000", "--dump-dom"],
        &format!("{url}?status=fail"),
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains(&format!("{failing} of {expected} shown")),
        "the status filter"
    );
    assert!(
        dom.contains("<details class=\"test pass hidden\""),
        "passing tests hidden"
    );
    let out = headless(
        &["--virtual-time-budget=3000", "--dump-dom"],
        &format!("{url}?q=writer"),
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains(&format!("1 of {expected} shown")),
        "the name search"
    );

    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-report");
    std::fs::create_dir_all(&shots).unwrap();
    let shot = shots.join("report.png");
    let _ = std::fs::remove_file(&shot);
    let out = headless(
        &[
            "--window-size=1280,2000",
            &format!("--screenshot={}", shot.display()),
        ],
        &url,
    );
    assert!(out.status.success(), "{out:?}");
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
    println!("screenshot: {}", shot.display());
}

#[test]
fn an_interrupted_sf_test_still_writes_the_page_of_what_completed() {
    let sandbox = Sandbox::new();
    let config = repo(&sandbox, "");
    std::fs::copy(
        fixtures().join("sleeps_forever.py"),
        sandbox.path().join("scripts/sleeps_forever.py"),
    )
    .unwrap();
    let page_path = sandbox.path().join("interrupted.html");
    let mut child = sandbox
        .sf_std()
        .env_remove("SF_REPORT_HTML")
        .args(["test", "-j", "1", "--config"])
        .arg(&config)
        .args(["exit_0::small", "sleeps_forever", "--report-html"])
        .arg(&page_path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // exit_0 runs first (names in order, one at a time); then the endless script starts.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let endless_running = || {
        std::fs::read_dir("/proc").unwrap().flatten().any(|p| {
            std::fs::read(p.path().join("cmdline")).is_ok_and(|c| {
                let c = String::from_utf8_lossy(&c);
                c.contains("sleeps_forever.py") && c.contains(&*sandbox.path().to_string_lossy())
            })
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
    assert!(
        Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let page = read(&page_path);
    assert!(
        page.contains("id=\"interrupted\">sf received SIGINT"),
        "the page says so"
    );
    assert_eq!(tests_on(&page), 2);
    assert!(
        page.contains("<span class=\"badge pass\">1 PASS</span>"),
        "what completed"
    );
}

#[test]
fn a_page_that_cannot_be_written_fails_the_run_and_names_the_file() {
    let sandbox = Sandbox::new();
    let config = repo(&sandbox, "");
    std::fs::write(sandbox.path().join("a-file"), "").unwrap();
    let out = run_sf_test(
        &sandbox,
        &config,
        &[
            "--exact",
            "exit_0::small",
            "--report-html",
            "a-file/report.html",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot write the HTML report a-file/report.html"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"));
}
