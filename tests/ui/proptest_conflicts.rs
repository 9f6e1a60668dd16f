use sf::{ScriptRun, script_test};

#[script_test(script = "/bin/sh", proptest(cases = 8, shrinks = 3))]
fn unknown_proptest_argument() {}

#[script_test(script = "/bin/sh", rows = 5, expect = "fail", proptest(cases = 8))]
fn conflicting(run: ScriptRun) {}

#[script_test(script = "/bin/sh", proptest(min_rows = 9, max_rows = 3))]
fn empty_row_range() {}

#[script_test(script = "/bin/sh", proptest(edge_values = 1))]
fn edge_values_is_a_bool() {}

#[script_test(script = "/bin/sh", golden = true, proptest(cases = 8))]
fn golden_is_for_one_seeded_run() {}

fn main() {}
