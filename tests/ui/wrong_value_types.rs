use sf::script_test;

#[script_test(script = "/bin/sh", seed = "seven", rows = "10", data = tabular, timeout = 60)]
fn wrong_types() {}

fn main() {}
