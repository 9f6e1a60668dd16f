use sf::script_test;

#[script_test(script = "/bin/sh", timeout = "1000000000y")]
fn forever() {}

fn main() {}
