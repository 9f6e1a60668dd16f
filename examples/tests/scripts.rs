//! Every script of sf.toml as a test case: `cargo test -p sf-examples`.

fn main() -> std::process::ExitCode {
    sf::harness::main()
}
