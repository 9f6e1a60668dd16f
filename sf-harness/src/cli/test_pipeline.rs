//! `sf test-pipeline`.

use anyhow::Context;
use sf_core::pipeline::{
    PipelineOptions, render_dot, render_junit, render_mermaid, render_text, run_pipeline,
};
use sf_core::{EntryOutcome, EntryRun, KeepWorkspace, config, shell_quote};

use super::args::{PipelineFormat, TestPipelineArgs};
use crate::exit_code;
use crate::publish::{Finished, publish};

pub(crate) fn run(args: TestPipelineArgs) -> anyhow::Result<u8> {
    let mut suite = match config::load(&args.config) {
        Ok(s) => s,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(exit_code::USAGE);
        }
    };
    if args.golden || args.accept {
        suite.golden(args.golden, args.accept);
    }
    let mut pipeline = match suite.pipeline(&args.name) {
        Ok(p) => p.clone(),
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(exit_code::USAGE);
        }
    };
    if let Some(dir) = &args.data_from {
        pipeline = pipeline
            .data_from(dir)
            .with_context(|| format!("cannot use the data of {}", dir.display()))?;
    }
    let options = PipelineOptions {
        jobs: args
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
            .max(1),
        keep: KeepWorkspace::Always,
        warm: None,
    };
    let started = chrono::Utc::now();
    let result = match run_pipeline(&pipeline, &options) {
        Ok(r) => r,
        Err(err) => {
            eprintln!("error: pipeline `{}`: {err}", args.name);
            return Ok(exit_code::FAIL);
        }
    };
    match args.output_format {
        PipelineFormat::Text => {
            let color =
                anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
            anstream::print!("{}", render_text(&result, color));
        }
        PipelineFormat::Json => println!("{}", serde_json::to_string_pretty(&result)?),
        PipelineFormat::Junit => print!("{}", render_junit(&result)),
        PipelineFormat::Dot => print!("{}", render_dot(&result)),
        PipelineFormat::Mermaid => print!("{}", render_mermaid(&result)),
    }
    let run = EntryRun {
        name: format!("pipeline::{}", args.name),
        replay: format!(
            "sf test-pipeline {} --config {}",
            shell_quote(&args.name),
            shell_quote(&suite.config.to_string_lossy())
        ),
        result: result.summary_result(),
        outcome: EntryOutcome::Pipeline(Box::new(result.clone())),
    };
    let finished = Finished {
        title: format!("sf test-pipeline {}", args.name),
        runs: std::slice::from_ref(&run),
        started,
        wall_time: result.wall_time,
        workspace_root: &suite.workspace_root,
    };
    let html = args
        .report_html
        .clone()
        .or_else(|| suite.report.html.clone());
    if let Err(err) = publish(&finished, html.as_deref()) {
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
