use sf::script_test;

#[script_test(script = "/bin/sh", inputs("../escape"), outputs("ok", "a/b"))]
fn channels_that_are_paths() {}

fn main() {}
