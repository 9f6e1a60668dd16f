use sf::script_test;

#[script_test(script = "/bin/sh", size = "small", rows = 10)]
fn both_sizes() {}

fn main() {}
