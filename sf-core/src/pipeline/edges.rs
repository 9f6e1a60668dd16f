//! Handing an upstream output to a downstream step: a read-only copy, checked against what the
//! downstream reads.

use std::path::Path;

use super::{Bound, EdgeCheck, EdgeResult};
use crate::checks::{ChannelChecks, CheckFailure, Problem, Subject};
use crate::result::Status;
use crate::tree;

/// Checks that the upstream output exists, copies it (read-only) to `copy`, and checks the copy
/// against what the downstream reads (a `rows` expectation counts the upstream step's inputs, in
/// `upstream_inputs`). Returns the edge's result and whether the downstream may
/// run.
pub(super) fn hand_over(
    b: &Bound,
    needs: &ChannelChecks,
    source: &Path,
    upstream_inputs: &Path,
    copy: &Path,
) -> (EdgeResult, bool) {
    let (from_step, from_output) = b.source.upstream().unwrap_or(("?", "?"));
    let (from, to) = (
        format!("{from_step}.{from_output}"),
        format!("{}.{}", b.step, b.input),
    );
    let subject = Subject::Edge {
        from: from.clone(),
        to: to.clone(),
    };
    let outcome = copy_read_only(source, copy)
        .map_err(|problem| CheckFailure {
            subject: subject.clone(),
            problem: Box::new(problem),
            held: Vec::new(),
        })
        .and_then(|()| {
            let input = |channel: &str| upstream_inputs.join(channel);
            needs.check_with_inputs(&subject, copy, Some(&input))
        });
    let (status, checks) = match outcome {
        Ok(held) => (
            Status::Pass,
            held.into_iter().map(EdgeCheck::held).collect(),
        ),
        Err(failure) => (
            Status::Fail,
            failure
                .held
                .iter()
                .copied()
                .map(EdgeCheck::held)
                .chain([EdgeCheck::failed(&failure, &needs.columns)])
                .collect(),
        ),
    };
    let edge = EdgeResult {
        from,
        to,
        status,
        checks,
    };
    (edge, status == Status::Pass)
}

fn copy_read_only(source: &Path, copy: &Path) -> Result<(), Problem> {
    if std::fs::symlink_metadata(source).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Problem::Link {
            path: source.to_owned(),
        });
    }
    if !source.is_dir() {
        return Err(Problem::Missing {
            path: source.to_owned(),
        });
    }
    tree::copy(source, copy)
        .and_then(|_| tree::set_read_only(copy))
        .map_err(|source| Problem::Copy {
            to: copy.to_owned(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::BindingSource;

    #[test]
    fn an_upstream_output_that_is_a_link_is_not_copied() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::fs::write(elsewhere.join("a.csv"), "id\n1\n").unwrap();
        let source = dir.path().join("out");
        std::os::unix::fs::symlink(&elsewhere, &source).unwrap();
        let bound = Bound {
            step: "down".into(),
            input: "data".into(),
            source: BindingSource::Edge {
                from_step: "up".into(),
                from_output: "data".into(),
            },
        };
        let copy = dir.path().join("copy");
        let (edge, ok) = hand_over(&bound, &ChannelChecks::edge(), &source, dir.path(), &copy);
        assert!(!ok);
        assert_eq!(edge.status, Status::Fail);
        let message = edge.checks[0].message.clone().unwrap();
        assert!(
            message.starts_with("edge up.data -> down.data: "),
            "{message}"
        );
        assert!(message.contains("is a symbolic link"), "{message}");
        assert!(!copy.exists());
    }
}
