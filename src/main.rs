fn main() -> std::process::ExitCode {
    vistazo::cli::main()
}
