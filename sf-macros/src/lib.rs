//! The `#[script_test]` attribute of sf.
