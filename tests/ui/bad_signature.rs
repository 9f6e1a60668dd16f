use sf::{ScriptRun, script_test};

#[script_test(script = "/bin/sh")]
fn takes_a_number(n: u32) {}

#[script_test(script = "/bin/sh")]
fn returns_something() -> u32 {
    1
}

#[script_test(script = "/bin/sh")]
async fn is_async() {}

#[script_test(script = "/bin/sh")]
fn generic<T>() {}

#[script_test(script = "/bin/sh")]
fn two_runs(a: ScriptRun, b: ScriptRun) {}

fn main() {}
