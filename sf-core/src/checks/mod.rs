//! What must hold after a run: the script's own verdict, output checks, stray writes, and the
//! recommendations that go with a result.

mod output;
pub(crate) mod recommendations;

pub(crate) use output::*;
