//! Shell-script steps for the pipeline tests: channels arrive as `SF_INPUT_<NAME>` and
//! `SF_OUTPUT_<NAME>`.

use std::path::PathBuf;

use super::Pipeline;
use crate::data::{ChannelPlan, DataPlan};
use crate::spec::TestSpec;

/// A small table with a header and two rows.
pub(crate) const TABLE: &str = "id,feature_1,target\n1,0.5,0\n2,0.7,1\n";

pub(crate) struct Scripts {
    pub(crate) dir: tempfile::TempDir,
}

impl Scripts {
    pub(crate) fn new() -> Scripts {
        Scripts {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A step running `body` under `sh -e`, with these outputs and no inputs of its own.
    pub(crate) fn spec(&self, name: &str, body: &str, outputs: &[&str]) -> TestSpec {
        let path = self.dir.path().join(format!("{name}.sh"));
        std::fs::write(&path, format!("set -e\n{body}\n")).unwrap();
        let mut spec = TestSpec::new(path.to_string_lossy())
            .base_dir(self.dir.path())
            .outputs(outputs.iter().copied());
        spec.data = DataPlan::new();
        spec
    }

    /// A source step: its input `seed` holds `content` as `data.csv`, copied to `out`.
    pub(crate) fn source(&self, name: &str, content: &str, out: &str) -> TestSpec {
        let mut spec = self.spec(
            name,
            &format!(
                "cp -R \"$SF_INPUT_SEED\"/. \"$SF_OUTPUT_{}\"/",
                out.to_uppercase()
            ),
            &[out],
        );
        spec.data = DataPlan::new().channel("seed", text(content));
        spec
    }

    /// A step copying input `input` to output `out`.
    pub(crate) fn copy(&self, name: &str, input: &str, out: &str) -> TestSpec {
        self.spec(
            name,
            &format!(
                "cp -R \"$SF_INPUT_{}\"/. \"$SF_OUTPUT_{}\"/",
                input.to_uppercase(),
                out.to_uppercase()
            ),
            &[out],
        )
    }

    pub(crate) fn root(&self) -> PathBuf {
        self.dir.path().join("runs")
    }

    pub(crate) fn pipeline(&self, name: &str) -> Pipeline {
        Pipeline::new(name).workspace_root(self.root())
    }
}

/// `data.csv` holding `content`.
pub(crate) fn text(content: &str) -> ChannelPlan {
    ChannelPlan::Text {
        file_name: "data.csv".to_owned(),
        content: content.to_owned(),
    }
}
