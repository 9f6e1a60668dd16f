//! What `--golden` and `--accept` do to a suite: every output compared with a golden copy, or
//! the run's outputs accepted as the new copies.

use super::entry::{EntryKind, PIPELINE_PREFIX, Suite};
use crate::checks::GoldenMode;
use crate::spec::{TestSpec, golden_dir_for};

impl Suite {
    /// With `every_output`, compares every output of every test that is not a property run
    /// with a golden copy (default settings where `sf.toml` gives none); with `accept`, takes
    /// the outputs of the runs as the new golden copies.
    pub fn golden(&mut self, every_output: bool, accept: bool) {
        let root = self.root.clone();
        let mode = if accept {
            GoldenMode::Accept
        } else {
            GoldenMode::Compare
        };
        for entry in &mut self.entries {
            let property = entry.property.is_some();
            let apply = |spec: &mut TestSpec, name: String| {
                if every_output && !property {
                    for channel in spec.outputs.keys() {
                        spec.golden.entry(channel.clone()).or_default();
                    }
                }
                if !spec.golden.is_empty() && spec.golden_dir.is_none() {
                    spec.golden_dir = Some(golden_dir_for(&root, &name));
                }
                spec.golden_mode = mode;
            };
            match &mut entry.kind {
                EntryKind::Script(spec) => {
                    let name = spec.test_name();
                    apply(spec, name);
                }
                EntryKind::Pipeline(p) => {
                    let pipeline = p.name.clone();
                    for step in &mut p.steps {
                        let name = format!("{PIPELINE_PREFIX}{pipeline}::{}", step.name);
                        apply(&mut step.spec, name);
                    }
                }
            }
        }
    }
}
