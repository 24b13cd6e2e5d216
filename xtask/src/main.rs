//! Project tasks: `cargo xtask <command>`. Each command lives in its own module; add one by
//! adding a module and a line to [`COMMANDS`].
//!
//! - `run`: set up, build the extension into a loadable folder, and start the probe server
//!   on 127.0.0.1:7443.
//! - `test`: set up, then run every test and lint the CI runs.
//! - `setup`: install what the build and tests need.
//! - `bench`: scan speed and connections against sslyze, nmap, sslscan and testssl.sh.
//! - `bench-load`: the probe server's load benchmark (see `bench_load.rs`).
//! - `build-extension`: the browser extension into `dist/` (see `extension.rs`).

mod bench;
mod bench_abuse;
mod bench_load;
mod bench_redis;
mod extension;
mod png;
mod setup;
mod tasks;

use std::process::ExitCode;

/// A task: its name, a one-line help, and what runs it (with the remaining arguments).
struct Command {
    name: &'static str,
    help: &'static str,
    run: fn(&[String]) -> Result<(), String>,
}

const COMMANDS: &[Command] = &[
    Command {
        name: "run",
        help: "build the extension and start the probe server on 127.0.0.1:7443",
        run: tasks::run,
    },
    Command {
        name: "test",
        help: "run every test and lint",
        run: tasks::test,
    },
    Command {
        name: "setup",
        help: "install what the build and tests need",
        run: |_| setup::all(),
    },
    Command {
        name: "bench",
        help: "scan speed and TCP connections against sslyze, nmap, sslscan, testssl.sh (see bench/RESULTS.md)",
        run: bench::run,
    },
    Command {
        name: "bench-load",
        help: "load-test the probe server (see xtask/src/bench_load.rs)",
        run: bench_load::run,
    },
    Command {
        name: "build-extension",
        help: "build the browser extension into dist/chromium, dist/firefox and store zips",
        run: extension::build,
    },
    Command {
        name: "extension-icons",
        help: "draw the extension's toolbar icons into a folder (default dist/icons)",
        run: extension::icons_command,
    },
];

fn usage() -> String {
    let mut text = String::from("usage: cargo xtask <command> [args]\n\ncommands:\n");
    for c in COMMANDS {
        text.push_str(&format!("  {:<16} {}\n", c.name, c.help));
    }
    text
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args
        .first()
        .and_then(|name| COMMANDS.iter().find(|c| c.name == name))
    else {
        eprint!("{}", usage());
        return ExitCode::from(2);
    };
    match (command.run)(&args[1..]) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask {}: {message}", command.name);
            ExitCode::FAILURE
        }
    }
}
