//! `sf`: test data-pipeline scripts from the command line.

mod args;
mod clean;
mod generate;
mod init;
mod logging;
mod results;
mod review;
mod test;
mod test_pipeline;
mod test_script;

use std::process::ExitCode;

use clap::Parser;

pub use args::Cli;
use args::Command;

use crate::exit_code;

/// Parses the command line, runs the command, and returns its exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                exit_code::USAGE
            } else {
                exit_code::PASS
            });
        }
    };
    sf_core::interrupt::install();
    let code = run(cli);
    ExitCode::from(match sf_core::interrupt::interrupted() {
        Some(signal) => sf_core::interrupt::exit_status(signal),
        None => code,
    })
}

/// The workspace root `list-results` and `clean-workspace` work on: `--workspace-dir`, else the
/// `workspace_dir` of `--config`, else that of `./sf.toml` when there is one (where `sf test`
/// and the harness put their workspaces), else `pipeline_testing`.
fn workspace_root(
    workspace_dir: Option<std::path::PathBuf>,
    config: Option<&std::path::Path>,
) -> anyhow::Result<std::path::PathBuf> {
    if let Some(dir) = workspace_dir {
        return Ok(dir);
    }
    let default = std::path::Path::new(sf_core::config::CONFIG_FILE);
    match config {
        Some(path) => Ok(sf_core::config::load(path)?.workspace_root),
        None if default.is_file() => match sf_core::config::load(default) {
            Ok(suite) => Ok(suite.workspace_root),
            Err(err) => {
                tracing::warn!(%err, "using {} instead", sf_core::DEFAULT_WORKSPACE_ROOT);
                Ok(sf_core::DEFAULT_WORKSPACE_ROOT.into())
            }
        },
        None => Ok(sf_core::DEFAULT_WORKSPACE_ROOT.into()),
    }
}

/// Runs a parsed command line and returns the exit code.
pub fn run(cli: Cli) -> u8 {
    let log_file = match &cli.command {
        Command::TestScript(a) => Some(a.workspace_dir.clone()),
        Command::Test(_)
        | Command::TestPipeline(_)
        | Command::Init(_)
        | Command::GenerateData(_)
        | Command::ListResults(_)
        | Command::CleanWorkspace(_)
        | Command::Review(_) => None,
    };
    logging::init(cli.verbose, cli.quiet, log_file.as_deref());
    let outcome = match cli.command {
        Command::Test(args) => test::run(args),
        Command::TestPipeline(args) => test_pipeline::run(args),
        Command::Init(args) => init::run(args),
        Command::TestScript(args) => test_script::run(*args),
        Command::GenerateData(args) => generate::run(args),
        Command::ListResults(args) => results::run(args),
        Command::CleanWorkspace(args) => clean::run(args),
        Command::Review(args) => review::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            let style = anstyle::Style::new()
                .fg_color(Some(anstyle::AnsiColor::Red.into()))
                .bold();
            anstream::eprintln!("{}error:{} {err:#}", style.render(), style.render_reset());
            exit_code::USAGE
        }
    }
}
