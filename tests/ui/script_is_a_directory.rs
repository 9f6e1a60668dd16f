use sf::script_test;

// Paths are relative to the manifest directory, which always has a `.` to name.
#[script_test(script = ".")]
fn a_directory() {}

fn main() {}
