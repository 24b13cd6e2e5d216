//! Project tasks: `cargo xtask <task>`.
//!
//! - `run`: set up, build the extension into a loadable folder, and start the probe server
//!   on 127.0.0.1:7443.
//! - `test`: set up, then run every test and lint the CI runs.

use std::process::ExitCode;

mod bench;
mod setup;
mod tasks;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => tasks::run(&args[1..]),
        Some("test") => tasks::test(&args[1..]),
        Some("setup") => setup::all(),
        Some("bench") => bench::run(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <run|test|setup>\n\n  run    build the extension and start the probe server on 127.0.0.1:7443\n  test   run every test and lint\n  setup  install what the build and tests need"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
