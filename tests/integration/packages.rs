//! Scripts that live in a package and import relatively: imported by their dotted name from
//! `import_root`, and told so when it is missing.

use std::path::{Path, PathBuf};

use predicates::str::contains;

use crate::support::Sandbox;

fn package_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/packaged")
}

fn relative_step() -> PathBuf {
    package_root().join("acme/steps/scripts/relative_step.py")
}

fn test_script(sandbox: &Sandbox, extra: &[&str]) -> (i32, serde_json::Value) {
    let out = sandbox
        .sf()
        .arg("test-script")
        .arg(relative_step())
        .args(["--data", "generic", "--output-format", "json"])
        .args(extra)
        .output()
        .unwrap();
    crate::support::json_result(&out)
}

#[test]
fn a_relative_import_fails_with_advice_about_import_root_and_passes_with_it() {
    let sandbox = Sandbox::new();
    let (code, r) = test_script(&sandbox, &[]);
    assert_eq!(code, 1, "{r:#}");
    assert!(
        r["error_message"]
            .as_str()
            .unwrap()
            .contains("attempted relative import with no known parent package"),
        "{r:#}"
    );
    let recommendations = r["recommendations"].to_string();
    assert!(recommendations.contains("set import_root"), "{r:#}");
    assert!(!recommendations.contains("Install"), "{r:#}");

    let root = package_root();
    let (code, r) = test_script(&sandbox, &["--import-root", root.to_str().unwrap()]);
    assert_eq!(code, 0, "{r:#}");
    let tagged = std::fs::read_to_string(
        Path::new(r["workspace"].as_str().unwrap()).join("outputs/output/tagged.txt"),
    );
    // The workspace of a passing run is kept by test-script.
    assert_eq!(
        tagged.unwrap(),
        "acme.steps.scripts.relative_step-processed",
        "imported by its dotted name, the __main__ block not run"
    );
}

#[test]
fn import_root_in_sf_toml_is_relative_to_it_and_checked() {
    let sandbox = Sandbox::new();
    let config = sandbox.path().join("sf.toml");
    let write = |import_root: &str| {
        std::fs::write(
            &config,
            format!(
                "[scripts.relative_step]\npath = {:?}\nimport_root = {import_root:?}\n\
                 [scripts.relative_step.inputs.input]\ndata = \"generic\"\n",
                relative_step().to_str().unwrap()
            ),
        )
        .unwrap();
    };
    // Relative to sf.toml's folder.
    let relative = pathdiff(&package_root(), sandbox.path());
    write(&relative);
    sandbox
        .sf()
        .args(["test", "--config"])
        .arg(&config)
        .assert()
        .code(0);

    write("no/such/folder");
    sandbox
        .sf()
        .args(["test", "--config"])
        .arg(&config)
        .assert()
        .code(2)
        .stderr(contains(
            "sf.toml:3:15: `scripts.relative_step.import_root`",
        ))
        .stderr(contains("`no/such/folder` is not a folder"));

    // A root that does not hold the script is named with the script.
    write(sandbox.path().to_str().unwrap());
    sandbox
        .sf()
        .args(["test", "--config"])
        .arg(&config)
        .assert()
        .code(1)
        .stdout(contains("cannot be imported from import_root"))
        .stdout(contains("the script is not inside it"));
}

/// `to` written relative to `from` (both absolute), with `..` where needed.
fn pathdiff(to: &Path, from: &Path) -> String {
    let to: Vec<_> = to.components().collect();
    let from: Vec<_> = from.components().collect();
    let common = to.iter().zip(&from).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

#[test]
fn a_file_output_is_a_path_to_the_file_and_its_check_requires_it() {
    let sandbox = Sandbox::new();
    std::fs::write(
        sandbox.path().join("ruleset.py"),
        "import json, os\n\ndef main(input_paths, output_paths, environ_vars, job_args):\n    \
         target = output_paths['validated_ruleset']\n    \
         if os.environ.get('WRONG'):\n        target = os.path.join(os.path.dirname(target), 'other.json')\n    \
         with open(target, 'w') as f:\n        json.dump({'rules': 3}, f)\n",
    )
    .unwrap();
    std::fs::write(
        sandbox.path().join("ruleset_sm.py"),
        "import json\n\nif __name__ == '__main__':\n    \
         with open('/opt/ml/processing/output/validated_ruleset/validated_ruleset.json', 'w') as f:\n        \
         json.dump({'rules': 3}, f)\n",
    )
    .unwrap();
    let config = sandbox.path().join("sf.toml");
    let write = |extra: &str| {
        std::fs::write(
            &config,
            format!(
                "[scripts.ruleset]\npath = \"ruleset.py\"\n{extra}\n\
                 [scripts.ruleset.outputs.validated_ruleset]\n\
                 file = \"validated_ruleset.json\"\n\
                 [scripts.ruleset_sm]\npath = \"ruleset_sm.py\"\nlayout = \"sagemaker\"\n\
                 [scripts.ruleset_sm.outputs.validated_ruleset]\nfile = \"validated_ruleset.json\"\n"
            ),
        )
        .unwrap();
    };
    write("");
    let out = sandbox
        .sf()
        .args(["test", "--output-format", "json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["name"], "ruleset::small");
    assert_eq!(list[0]["result"]["status"], "PASS", "{:#}", list[0]);
    let layout = &list[1]["result"]["execution"]["sandbox"]["layout"];
    if layout["state"] == "enforced" {
        assert_eq!(list[1]["result"]["status"], "PASS", "{:#}", list[1]);
    } else {
        assert!(
            std::env::var_os("SF_REQUIRE_ISOLATION").is_none(),
            "{layout}"
        );
    }

    // The file the channel promises is missing: a FAIL naming it.
    write("env = { WRONG = \"1\" }");
    sandbox
        .sf()
        .args(["test", "ruleset::", "--config"])
        .arg(&config)
        .assert()
        .code(1)
        .stdout(contains("validated_ruleset"))
        .stdout(contains("validated_ruleset.json"));

    std::fs::write(
        &config,
        "[scripts.ruleset]\npath = \"ruleset.py\"\n\
         [scripts.ruleset.outputs.validated_ruleset]\nfile = \"../escape.json\"\n",
    )
    .unwrap();
    sandbox
        .sf()
        .args(["test", "--config"])
        .arg(&config)
        .assert()
        .code(2)
        .stderr(contains(
            "`scripts.ruleset.outputs.validated_ruleset.file`: `../escape.json` is not a plain file name",
        ));
}

#[test]
fn the_result_records_the_interpreter_and_the_versions_of_imported_modules() {
    let sandbox = Sandbox::new();
    let (code, r) = sandbox.test_script("imports_fakepkg", &[]);
    assert_eq!(code, 0, "{r:#}");
    let python = &r["execution"]["python"];
    assert!(
        python["version"].as_str().unwrap().starts_with('3'),
        "{r:#}"
    );
    assert!(
        std::path::Path::new(python["interpreter"].as_str().unwrap()).is_absolute(),
        "{r:#}"
    );
    assert_eq!(python["packages"]["fakepkg"], "1.2.3", "{r:#}");
    assert!(
        python["packages"].get("json").is_none(),
        "the standard library is left out"
    );
}

/// sf's environment for tests that build Python environments: its own cache, and an installer
/// that finds packages in `wheels` and nowhere else (no network), pip or uv alike.
fn local_index(cache: &Path, wheels: &Path) -> Vec<(&'static str, std::ffi::OsString)> {
    vec![
        ("SF_CACHE_DIR", cache.into()),
        ("PIP_NO_INDEX", "1".into()),
        ("PIP_FIND_LINKS", wheels.into()),
        ("UV_NO_INDEX", "1".into()),
        ("UV_FIND_LINKS", wheels.into()),
    ]
}

/// Builds `sfdemo-VERSION-py3-none-any.whl` (a module declaring its version) into `dir`.
fn demo_wheel(dir: &Path, version: &str) {
    let script = format!(
        r#"
import zipfile, sys
name, version = "sfdemo", "{version}"
info = f"{{name}}-{{version}}.dist-info"
files = {{
    f"{{name}}/__init__.py": f"__version__ = '{{version}}'\n",
    f"{{info}}/METADATA": f"Metadata-Version: 2.1\nName: {{name}}\nVersion: {{version}}\n",
    f"{{info}}/WHEEL": "Wheel-Version: 1.0\nGenerator: sf-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}}
files[f"{{info}}/RECORD"] = "".join(f"{{p}},,\n" for p in files) + f"{{info}}/RECORD,,\n"
with zipfile.ZipFile(sys.argv[1] + f"/{{name}}-{{version}}-py3-none-any.whl", "w") as z:
    for path, text in files.items():
        z.writestr(path, text)
"#
    );
    let status = std::process::Command::new("python3")
        .args(["-c", &script])
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn requirements_get_a_cached_environment_of_their_own() {
    let sandbox = Sandbox::new();
    let cache = sandbox.path().join("cache");
    let wheels = sandbox.path().join("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    demo_wheel(&wheels, "1.0");
    std::fs::write(
        sandbox.path().join("uses_demo.py"),
        "import os\nimport sfdemo\n\ndef main(input_paths, output_paths, environ_vars, job_args):\n    \
         open(os.path.join(output_paths['output'], 'version.txt'), 'w').write(sfdemo.__version__)\n",
    )
    .unwrap();
    std::fs::write(sandbox.path().join("requirements.txt"), "sfdemo==1.0\n").unwrap();
    let run = |extra: &[&str]| {
        let out = sandbox
            .sf()
            .envs(local_index(&cache, &wheels))
            .args(["test-script", "uses_demo.py", "--output-format", "json"])
            .args(extra)
            .output()
            .unwrap();
        crate::support::json_result(&out)
    };
    // Without the requirement the module is missing.
    let (code, r) = run(&[]);
    assert_eq!(code, 1, "{r:#}");

    let (code, r) = run(&["--requirements-file", "requirements.txt"]);
    assert_eq!(code, 0, "{r:#}");
    let python = &r["execution"]["python"];
    assert!(
        python["interpreter"]
            .as_str()
            .unwrap()
            .starts_with(cache.join("envs").to_str().unwrap()),
        "{r:#}"
    );
    assert_eq!(python["packages"]["sfdemo"], "1.0", "{r:#}");
    let envs = || {
        std::fs::read_dir(cache.join("envs"))
            .unwrap()
            .flatten()
            .filter(|e| e.path().is_dir())
            .count()
    };
    assert_eq!(envs(), 1);

    // The same set again: the cached environment, even offline.
    let (code, r) = run(&["--requirement", "sfdemo==1.0", "--offline"]);
    assert_eq!(code, 1, "a specifier is another set than the file: {r:#}");
    assert!(
        r["error_message"]
            .as_str()
            .unwrap()
            .contains("is not in the cache"),
        "{r:#}"
    );
    let (code, r) = run(&["--requirements-file", "requirements.txt", "--offline"]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(envs(), 1, "reused, not rebuilt");

    // A requirement that cannot be installed is named with the installer's reason.
    let (code, r) = run(&["--requirement", "sfdemo==9.9"]);
    assert_eq!(code, 1, "{r:#}");
    let message = r["error_message"].as_str().unwrap();
    assert!(message.contains("cannot install sfdemo==9.9"), "{message}");
    assert_eq!(envs(), 1, "a failed build leaves nothing behind");
}

#[test]
fn pip_install_inside_a_run_reaches_sf_not_the_network() {
    let sandbox = Sandbox::new();
    let cache = sandbox.path().join("cache");
    let wheels = sandbox.path().join("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    demo_wheel(&wheels, "1.0");
    // As SageMaker scripts do: install at import, by `python -m pip` or by `pip` on the PATH.
    std::fs::write(
        sandbox.path().join("installs.py"),
        "import importlib, os, subprocess, sys\n\
         WANT = os.environ['WANT']\n\
         if os.environ.get('VIA') == 'path':\n    subprocess.check_call(['pip', 'install', '-q', WANT])\n\
         else:\n    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--upgrade', WANT])\n\
         \ndef main(input_paths, output_paths, environ_vars, job_args):\n    \
         name = WANT.split('=')[0].split('>')[0]\n    \
         version = getattr(importlib.import_module(name), '__version__', '?')\n    \
         open(os.path.join(output_paths['output'], 'v.txt'), 'w').write(version)\n",
    )
    .unwrap();
    let run = |want: &str, extra: &[&str]| {
        let out = sandbox
            .sf()
            .envs(local_index(&cache, &wheels))
            .args(["test-script", "installs.py", "--output-format", "json"])
            .args(["--env", &format!("WANT={want}")])
            .args(extra)
            .output()
            .unwrap();
        crate::support::json_result(&out)
    };

    // Already there (pip itself): the install succeeds at once, and is recorded.
    for via in ["module", "path"] {
        let (code, r) = run("pip>=1", &["--env", &format!("VIA={via}")]);
        assert_eq!(code, 0, "{via}: {r:#}");
        assert_eq!(
            r["execution"]["installs"]["satisfied"],
            serde_json::json!(["pip>=1"]),
            "{r:#}"
        );
    }

    // Missing, runtime_installs = "fail": a FAIL naming it and how to declare it.
    let (code, r) = run("sfdemo==1.0", &["--runtime-installs", "fail"]);
    assert_eq!(code, 1, "{r:#}");
    let message = r["error_message"].as_str().unwrap();
    assert!(
        message.contains("asked pip to install sfdemo==1.0") && message.contains("requirements"),
        "{message}"
    );

    // Missing, "skip": the install "succeeds", the run goes on without it, and says so.
    let (code, r) = run("sfdemo==1.0", &["--runtime-installs", "skip"]);
    assert_eq!(code, 1, "the import fails without it: {r:#}");
    assert!(
        r["recommendations"]
            .to_string()
            .contains("runtime_installs = \\\"skip\\\""),
        "{r:#}"
    );

    // Missing, the default "prepare": sf prepares it from the wheel and runs again.
    let (code, r) = run("sfdemo==1.0", &[]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(
        r["execution"]["installs"]["prepared"],
        serde_json::json!(["sfdemo==1.0"]),
        "{r:#}"
    );
    let version = std::fs::read_to_string(
        Path::new(r["workspace"].as_str().unwrap()).join("outputs/output/v.txt"),
    )
    .unwrap();
    assert_eq!(version, "1.0");
    assert!(
        r["recommendations"]
            .to_string()
            .contains("requirements = [\\\"sfdemo==1.0\\\"]"),
        "{r:#}"
    );

    // A pin that cannot be installed is named with the installer's reason.
    let (code, r) = run("sfdemo==2.0", &[]);
    assert_eq!(code, 1, "{r:#}");
    assert!(
        r["error_message"]
            .as_str()
            .unwrap()
            .contains("cannot install sfdemo==2.0"),
        "{r:#}"
    );
}

#[test]
fn a_derived_column_agrees_with_its_inputs_in_seeded_and_property_runs() {
    let sandbox = Sandbox::new();
    // The script trusts the contract: the two probabilities always sum to one.
    std::fs::write(
        sandbox.path().join("metrics.py"),
        "import csv, glob, os\n\ndef main(input_paths, output_paths, environ_vars, job_args):\n    \
         rows = 0\n    \
         for path in glob.glob(os.path.join(input_paths['input'], '*.csv')):\n        \
         for row in csv.DictReader(open(path, newline='')):\n            \
         p1, p0 = row['prob_class_1'], row['prob_class_0']\n            \
         if p1 == '' or p1.lower() in ('nan', 'inf', '-inf'):\n                \
         assert p0 == '', (p1, p0)\n                continue\n            \
         assert abs(float(p0) + float(p1) - 1) <= 1e-5 * max(1, abs(float(p1))), (p0, p1)\n            \
         rows += 1\n    \
         open(os.path.join(output_paths['output'], 'rows.txt'), 'w').write(str(rows))\n",
    )
    .unwrap();
    let config = sandbox.path().join("sf.toml");
    let write = |expr: &str| {
        std::fs::write(
            &config,
            format!(
                "[scripts.metrics]\npath = \"metrics.py\"\nproptest = {{ cases = 24, max_rows = 20 }}\n\
                 [scripts.metrics.inputs.input]\nrows = 50\ncolumns = [\n  \
                 {{ name = \"prob_class_1\", type = \"uniform\", min = 0.0, max = 1.0, null_rate = 0.1 }},\n  \
                 {{ name = \"prob_class_0\", expr = {expr:?} }},\n]\n"
            ),
        )
        .unwrap();
    };
    write("1 - prob_class_1");
    let out = sandbox
        .sf()
        .args(["test", "--output-format", "json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let names: Vec<_> = list.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["metrics::proptest", "metrics::rows_50"],
        "{list:#?}"
    );
    for entry in &list {
        assert_eq!(entry["result"]["status"], "PASS", "{entry:#}");
    }

    // A derived column that reads a missing or later column, does not parse, or gives no
    // number, is an error saying which.
    for (expr, says) in [
        (
            "1 - prob_class_2",
            "column `prob_class_0`: expr reads `prob_class_2`, which is not a column before this one",
        ),
        ("(1 - prob_class_1", "expr is not a numeric expression"),
        ("prob_class_1 > 0.5", "not a number"),
    ] {
        write(expr);
        sandbox
            .sf()
            .args(["test", "--config"])
            .arg(&config)
            .assert()
            .code(2)
            .stderr(contains(says));
    }
}

#[test]
fn what_a_script_asks_pip_for_is_checked_before_sf_acts_on_it() {
    let sandbox = Sandbox::new();
    let cache = sandbox.path().join("cache");
    let wheels = sandbox.path().join("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    demo_wheel(&wheels, "1.0");
    let escaped = sandbox.path().join("escaped");
    // A forged line in the install log (the script can write its logs folder) must never
    // become an installer option outside the run.
    std::fs::write(
        sandbox.path().join("forges.py"),
        format!(
            "import json, os, pip\n\ndef main(input_paths, output_paths, environ_vars, job_args):\n    \
             assert pip.__version__, 'the real pip package stays importable'\n    \
             with open(os.environ['SF_INSTALLS_LOG'], 'a') as f:\n        \
             f.write(json.dumps({{'requirement': '--target={}', 'satisfied': False, 'mode': 'prepare'}}) + '\\n')\n",
            escaped.display()
        ),
    )
    .unwrap();
    let out = sandbox
        .sf()
        .envs(local_index(&cache, &wheels))
        .args(["test-script", "forges.py", "--output-format", "json"])
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["status"], "PASS", "{r:#}");
    assert!(
        !escaped.exists(),
        "sf installed into a folder the script chose"
    );
    assert!(
        r["recommendations"]
            .to_string()
            .contains("sf prepares only requirements by name"),
        "{r:#}"
    );
    assert!(
        !cache.join("envs").exists() || std::fs::read_dir(cache.join("envs")).unwrap().count() == 0
    );
}

#[test]
fn import_root_never_tests_another_copy_of_the_package() {
    let sandbox = Sandbox::new();
    // The script under test, in a folder without __init__.py (a namespace package)…
    let root = sandbox.path().join("src");
    std::fs::create_dir_all(root.join("acme")).unwrap();
    std::fs::write(
        root.join("acme/step.py"),
        "def main(input_paths, output_paths, environ_vars, job_args):\n    raise RuntimeError('the script under test')\n",
    )
    .unwrap();
    // …and an installed regular package of the same name, which Python prefers.
    let installed = sandbox.path().join("site");
    std::fs::create_dir_all(installed.join("acme")).unwrap();
    std::fs::write(installed.join("acme/__init__.py"), "").unwrap();
    std::fs::write(
        installed.join("acme/step.py"),
        "def main(input_paths, output_paths, environ_vars, job_args):\n    pass\n",
    )
    .unwrap();
    let out = sandbox
        .sf()
        .arg("test-script")
        .arg(root.join("acme/step.py"))
        .args(["--import-root", "src", "--output-format", "json", "--env"])
        .arg(format!("PYTHONPATH={}", installed.display()))
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["status"], "FAIL", "{r:#}");
    assert!(
        r["error_message"].as_str().unwrap().contains("not from"),
        "{r:#}"
    );
}
