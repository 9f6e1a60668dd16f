//! The input data a test feeds its script, written where a user can look at it
//! (`sf generate-data --config sf.toml --test NAME --out DIR`).

use std::path::{Path, PathBuf};

use super::entry::{Entry, EntryKind};
use crate::data::{DataError, DataPlan, MaterializedFile};
use crate::pipeline::PipelineError;

/// Why a test's inputs could not be written.
#[derive(Debug, thiserror::Error)]
pub enum InputsError {
    /// A channel's folder already holds something: sf writes only into empty folders, so its
    /// files are never mixed with (or written over) anyone else's.
    #[error("{} already holds files; choose an empty or new --out folder", path.display())]
    NotEmpty {
        /// The channel's folder.
        path: PathBuf,
    },
    /// A channel's data could not be written.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The pipeline cannot be planned, so its sources are unknown.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
}

impl Entry {
    /// Writes the inputs this test gives its script, each channel into `out/<channel>/` laid
    /// out as the run lays it out and from the test's own seed, so the bytes are those a run
    /// sees. A pipeline's sources (the inputs no upstream step feeds) go to
    /// `out/<step>/<channel>/`, the layout `--data-from` reads from a pipeline bundle. A
    /// property test writes the data of its seeded run.
    pub fn write_inputs(&self, out: &Path) -> Result<Vec<(String, MaterializedFile)>, InputsError> {
        match &self.kind {
            EntryKind::Script(spec) => write_plan(&spec.data, spec.seed, out, ""),
            EntryKind::Pipeline(pipeline) => {
                let plan = pipeline.plan()?;
                let mut written = Vec::new();
                for step in &pipeline.steps {
                    let sources: Vec<&String> = plan
                        .bindings
                        .iter()
                        .filter(|b| b.step == step.name && b.source.upstream().is_none())
                        .map(|b| &b.input)
                        .collect();
                    let data = DataPlan {
                        channels: step
                            .spec
                            .data
                            .channels
                            .iter()
                            .filter(|(c, _)| sources.contains(c))
                            .map(|(c, p)| (c.clone(), p.clone()))
                            .collect(),
                    };
                    let label = format!("{}.", step.name);
                    written.extend(write_plan(
                        &data,
                        step.spec.seed,
                        &out.join(&step.name),
                        &label,
                    )?);
                }
                Ok(written)
            }
        }
    }
}

/// Writes `data` under `out`, a folder per channel, each labelled `<prefix><channel>`.
fn write_plan(
    data: &DataPlan,
    seed: u64,
    out: &Path,
    prefix: &str,
) -> Result<Vec<(String, MaterializedFile)>, InputsError> {
    for channel in data.channels.keys() {
        let path = out.join(channel);
        if std::fs::read_dir(&path).is_ok_and(|mut d| d.next().is_some()) {
            return Err(InputsError::NotEmpty { path });
        }
    }
    let written = data.materialize(seed, |c| out.join(c))?;
    Ok(written
        .into_iter()
        .map(|(c, f)| (format!("{prefix}{c}"), f))
        .collect())
}
