//! Handing an upstream output to a downstream step: a read-only copy, checked against what the
//! downstream reads.

use std::path::Path;

use super::{Bound, EdgeCheck, EdgeResult};
use crate::checks::{ChannelChecks, CheckFailure, Problem, Subject};
use crate::result::Status;
use crate::tree;

/// Checks that the upstream output exists, copies it (read-only) to `copy`, and checks the copy
/// against what the downstream reads. Returns the edge's result and whether the downstream may
/// run.
pub(super) fn hand_over(
    b: &Bound,
    needs: &ChannelChecks,
    source: &Path,
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
        })
        .and_then(|()| needs.check(&subject, copy));
    let (status, checks) = match outcome {
        Ok(held) => (
            Status::Pass,
            held.into_iter().map(EdgeCheck::held).collect(),
        ),
        Err(failure) => (Status::Fail, vec![EdgeCheck::failed(&failure)]),
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
