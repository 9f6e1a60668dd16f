use sf::script_test;

#[script_test(script = "/bin/sh", scrpt = "x.py", sed = 7)]
fn typo() {}

fn main() {
    typo();
}
