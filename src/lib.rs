//! sf tests data-pipeline scripts: each script runs in its own process, in a fresh workspace, on
//! generated input data, and comes back as a typed [`TestResult`].
#![warn(missing_docs)]

pub use sf_core::*;
