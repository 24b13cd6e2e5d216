//! Project tasks: `cargo xtask <command>`. Each command lives in its own module; add one by
//! adding a module and a line to [`COMMANDS`].

mod extension;
mod png;

use std::process::ExitCode;

/// A task: its name, a one-line help, and what runs it (with the remaining arguments).
struct Command {
    name: &'static str,
    help: &'static str,
    run: fn(&[String]) -> Result<(), String>,
}

const COMMANDS: &[Command] = &[
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
        text.push_str(&format!("  {:<18} {}\n", c.name, c.help));
    }
    text
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(name) = args.first() else {
        eprint!("{}", usage());
        return ExitCode::FAILURE;
    };
    let Some(command) = COMMANDS.iter().find(|c| c.name == name) else {
        eprint!("unknown command {name:?}\n\n{}", usage());
        return ExitCode::FAILURE;
    };
    match (command.run)(&args[1..]) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask {name}: {message}");
            ExitCode::FAILURE
        }
    }
}
