fn main() -> std::process::ExitCode {
    sf_harness::cli::main()
}
