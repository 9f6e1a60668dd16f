//! Mistakes in `#[script_test]` are compile errors on the offending tokens, all at once, with the
//! user's function still emitted. The `.stderr` files are generated with `TRYBUILD=overwrite` and
//! reviewed in the diff.

#[test]
fn attribute_mistakes_are_compile_errors_on_the_offending_tokens() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
