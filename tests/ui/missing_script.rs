use sf::script_test;

#[script_test(script = "scripts/does_not_exist.py")]
fn missing_path() {}

#[script_test(script = "does_not_exist")]
fn missing_name() {}

#[script_test(data = "generic")]
fn no_script_has_this_name() {}

fn main() {}
