//! `probe-server`: see `probe-server --help`.

fn main() -> std::process::ExitCode {
    probe_server::cli::main()
}
