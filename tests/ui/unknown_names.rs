use sf::script_test;

#[script_test(script = "/bin/sh", data = "images", size = "huge", format = "xlsx", expect = "maybe", timeout = "soon")]
fn unknown_names() {}

fn main() {}
