//! `--layout sagemaker`: a Processing script runs unmodified, its channels where its own
//! `__main__` looks for them, and a path it reads that sf did not mount is named.

use serde_json::Value;

use crate::support::Sandbox;

/// True when the run had its SageMaker layout; false (after checking the result says why) when
/// this machine has no mount namespaces, which CI (`SF_REQUIRE_ISOLATION=1`) does not allow.
fn layout_available(r: &Value) -> bool {
    let layout = &r["execution"]["sandbox"]["layout"];
    if layout["state"] == "unavailable" {
        assert!(
            std::env::var_os("SF_REQUIRE_ISOLATION").is_none(),
            "mount namespaces are required here (SF_REQUIRE_ISOLATION) but unavailable: {r:#}"
        );
        assert!(
            layout["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{r:#}"
        );
        return false;
    }
    true
}

#[test]
fn the_readme_example_runs_unmodified_under_the_sagemaker_layout() {
    let sandbox = Sandbox::new();
    let (code, r) = sandbox.test_script("currency_conversion", &["--layout", "sagemaker"]);
    if !layout_available(&r) {
        return;
    }
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["status"], "PASS", "{r:#}");
    let ws = std::path::PathBuf::from(r["workspace"].as_str().unwrap());
    // The script's __main__ wrote where it writes on SageMaker, which is the `output` channel.
    let converted = std::fs::read_to_string(ws.join("outputs/output/converted.csv")).unwrap();
    assert!(
        converted.starts_with("from_currency,to_currency,amount,date,amount_usd"),
        "{converted}"
    );
    let config: Value = serde_json::from_str(
        &std::fs::read_to_string(ws.join(".sf/ml-config/processingjobconfig.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        config["ProcessingInputs"][0]["S3Input"]["LocalPath"],
        "/opt/ml/processing/input/data"
    );
    assert_eq!(
        config["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["LocalPath"],
        "/opt/ml/processing/output"
    );

    // A channel put elsewhere by hand is not where the script writes: the run fails and says
    // which path the script names that sf did not mount.
    let (code, r) = sandbox.test_script(
        "currency_conversion",
        &[
            "--layout",
            "sagemaker",
            "--container-path",
            "output=/opt/ml/processing/output/converted",
        ],
    );
    assert_eq!(code, 1, "{r:#}");
    let recs = r["recommendations"].to_string();
    assert!(
        recs.contains(
            "The script reads /opt/ml/processing/output, which sf did not mount; add --container-path output=/opt/ml/processing/output"
        ),
        "{recs}"
    );
}

#[test]
fn a_path_the_script_reads_and_sf_did_not_mount_is_named() {
    let sandbox = Sandbox::new();
    let script = sandbox.path().join("needs_settings.py");
    std::fs::write(
        &script,
        "import os\n\n\
         def main(input_paths, output_paths, environ_vars, job_args):\n    \
             names = sorted(os.listdir(input_paths['settings']))\n    \
             open(os.path.join(output_paths['output'], 'names.txt'), 'w').write('\\n'.join(names))\n\n\
         if __name__ == '__main__':\n    \
             main({'settings': SETTINGS}, {'output': '/opt/ml/processing/output'}, dict(os.environ), None)\n"
            .replace("SETTINGS", "'/opt/ml/processing/input/settings'")
            .as_str(),
    )
    .unwrap();
    // The script pairs no channel `input` with a path, and reads a folder no channel is at.
    let script = script.to_str().unwrap();
    let (code, r) = sandbox.test_script(script, &["--layout", "sagemaker"]);
    if !layout_available(&r) {
        return;
    }
    assert_eq!(code, 1, "{r:#}");
    let recs = r["recommendations"].to_string();
    assert!(
        recs.contains(
            "The script reads /opt/ml/processing/input/settings, which sf did not mount; add --container-path input=/opt/ml/processing/input/settings"
        ),
        "{recs}"
    );
    // Following the advice, it passes.
    let (code, r) = sandbox.test_script(
        script,
        &[
            "--layout",
            "sagemaker",
            "--container-path",
            "input=/opt/ml/processing/input/settings",
        ],
    );
    assert_eq!(code, 0, "{r:#}");
}

#[test]
fn container_paths_are_checked_before_anything_runs() {
    let sandbox = Sandbox::new();
    for (args, expected) in [
        (
            &["--layout", "sagemaker", "--container-path", "input=/data"][..],
            "/data is not under /opt/ml/processing/",
        ),
        (
            &[
                "--layout",
                "sagemaker",
                "--container-path",
                "input=/opt/ml/processing/input/code",
            ][..],
            "is where the script's own folder is mounted",
        ),
        (
            &["--container-path", "input=/opt/ml/processing/input/data"][..],
            "needs --layout sagemaker",
        ),
        (
            &[
                "--layout",
                "sagemaker",
                "--container-path",
                "nope=/opt/ml/processing/input/x",
            ][..],
            "--container-path names channel `nope`, which the test does not have; its channels: input, output",
        ),
    ] {
        let out = sandbox
            .sf()
            .args(["test-script", "currency_conversion", "--scripts-dir"])
            .arg(crate::support::examples())
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}
