//! `sf test-script`.

use sf_core::{EntryOutcome, EntryRun, RowCount, RunLayout, TestSpec, report};

use super::args::{OutputFormat, TestScriptArgs};
use crate::exit_code;
use crate::publish::{Finished, publish};

/// A job-argument value: JSON when it parses as JSON (`3`, `true`, `["a"]`), else the text.
fn job_arg_value(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_owned()))
}

pub(crate) fn spec_from_args(args: &TestScriptArgs) -> anyhow::Result<TestSpec> {
    let mut spec = TestSpec::new(&args.script)
        .inputs(args.inputs.iter().cloned())
        .outputs(args.outputs.iter().cloned())
        .seed(args.seed)
        .timeout(args.timeout)
        .workspace_root(&args.workspace_dir)
        .format(args.format)
        .expect(args.expect);
    if let Some(profile) = args.data {
        spec = spec.profile(profile);
    }
    match (args.rows, args.data_size) {
        (Some(rows), _) => spec = spec.rows(RowCount::Rows(rows)),
        (None, Some(size)) => spec = spec.rows(RowCount::Size(size)),
        (None, None) => {}
    }
    for (k, v) in &args.env {
        spec = spec.env(k, v);
    }
    for (k, v) in &args.job_args {
        spec = spec.job_arg(k, job_arg_value(v));
    }
    if let Some(python) = &args.python {
        spec = spec.python(python);
    }
    for dir in &args.scripts_dirs {
        spec = spec.scripts_dir(dir);
    }
    spec.sandbox.filesystem = !args.no_sandbox;
    spec.read_only_inputs = args.read_only_inputs;
    if let Some(root) = &args.import_root {
        spec = spec.import_root(root);
    }
    spec = spec.requirements(args.requirements.iter().cloned());
    for file in &args.requirements_files {
        spec = spec.requirements_file(file);
    }
    spec.offline = args.offline;
    if let Some(mode) = args.runtime_installs {
        spec.runtime_installs = mode;
    }
    spec.sandbox.network = !args.no_network;
    if args.layout == RunLayout::Sagemaker {
        spec.sagemaker = Some(sf_core::sagemaker::SageMakerLayout {
            paths: args.container_paths.iter().cloned().collect(),
        });
    } else if let Some((channel, _)) = args.container_paths.first() {
        anyhow::bail!(
            "--container-path {channel}=... places a channel in the SageMaker layout, which \
             needs --layout sagemaker"
        );
    }
    spec.limits.log_limit_bytes = args.log_limit;
    if let Some(limit) = args.memory_limit {
        spec = spec.memory_limit(limit);
    }
    if let Some(dir) = &args.data_from {
        spec = spec.data_from(dir)?;
    }
    if let Some((channel, _)) = args
        .container_paths
        .iter()
        .find(|(c, _)| !spec.data.channels.contains_key(c) && !spec.outputs.contains_key(c))
    {
        let channels: Vec<&str> = spec
            .data
            .channels
            .keys()
            .chain(spec.outputs.keys())
            .map(String::as_str)
            .collect();
        anyhow::bail!(
            "--container-path names channel `{channel}`, which the test does not have; its \
             channels: {}",
            channels.join(", ")
        );
    }
    if args.golden {
        for channel in spec.outputs.keys().cloned().collect::<Vec<_>>() {
            spec.golden.insert(channel, sf_core::Golden::default());
        }
    }
    if args.accept {
        spec.golden_mode = sf_core::GoldenMode::Accept;
    }
    Ok(spec)
}

pub(crate) fn run(args: TestScriptArgs) -> anyhow::Result<u8> {
    let spec = spec_from_args(&args)?;
    let started = chrono::Utc::now();
    let result = sf_core::run(&spec);
    match args.output_format {
        OutputFormat::Text => {
            let color =
                anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
            anstream::print!("{}", report::render_text(&result, color));
        }
        OutputFormat::Json => println!("{}", report::render_json(&result)),
    }
    let run = EntryRun {
        name: spec.test_name(),
        replay: spec.replay_command(result.script_path.as_deref(), &result.workspace),
        result: result.clone(),
        outcome: EntryOutcome::Script,
    };
    let finished = Finished {
        title: format!("sf test-script {}", args.script),
        runs: std::slice::from_ref(&run),
        started,
        wall_time: result.execution_time,
        workspace_root: &args.workspace_dir,
    };
    if let Err(err) = publish(&finished, args.report_html.as_deref()) {
        // The tests ran and their outcome is printed; the page the run was asked for is not.
        eprintln!("error: {}", sf_core::engine::error_chain(&err));
        return Ok(exit_code::FAIL);
    }
    Ok(if result.is_successful() {
        exit_code::PASS
    } else {
        exit_code::FAIL
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_arg_values_are_json_when_they_parse() {
        assert_eq!(job_arg_value("3"), serde_json::json!(3));
        assert_eq!(job_arg_value("true"), serde_json::json!(true));
        assert_eq!(job_arg_value("[\"a\"]"), serde_json::json!(["a"]));
        assert_eq!(job_arg_value("training"), serde_json::json!("training"));
    }
}
