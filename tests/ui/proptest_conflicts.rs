use sf::{ScriptRun, script_test};

#[script_test(script = "/bin/sh", proptest(cases = 8, shrinks = 3))]
fn unknown_proptest_argument() {}

#[script_test(script = "/bin/sh", rows = 5, expect = "fail", proptest(cases = 8))]
fn conflicting(run: ScriptRun) {}

fn main() {}
