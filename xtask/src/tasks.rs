//! The `run` and `test` tasks: the two commands of the README.

use crate::setup::{self, run as sh};

/// Builds the extension into `dist/` and starts the probe server on its default address
/// (127.0.0.1:7443); extra arguments go to `probe-server serve`.
pub(crate) fn run(extra: &[String]) -> Result<(), String> {
    setup::all()?;
    crate::extension::build(&[])?;
    eprintln!(
        "\nxtask run: the extension is in dist/chromium (chrome://extensions → Developer mode → \
         Load unpacked) and dist/firefox (about:debugging → Load Temporary Add-on → manifest.json).\n"
    );
    let mut args = vec!["run", "--release", "-p", "probe-server", "--", "serve"];
    args.extend(extra.iter().map(String::as_str));
    sh("cargo", &args)
}

/// Seconds each fuzz target runs in the smoke test.
const FUZZ_SECONDS: &str = "15";

/// Every lint and test: formatting, clippy (native and wasm), the workspace's tests (real
/// TLS servers included), the extension's tests (wasm in headless Chromium, the real popup
/// through Playwright, web-ext lint), and a short run of every fuzz target.
pub(crate) fn test(_extra: &[String]) -> Result<(), String> {
    setup::all()?;
    sh("cargo", &["fmt", "--all", "--check"])?;
    sh(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    sh(
        "cargo",
        &[
            "clippy",
            "-p",
            "extension",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    sh("cargo", &["test", "--workspace"])?;
    sh("bash", &["extension/tests/run.sh"])?;
    sh("bash", &["probe-server/fuzz/smoke.sh", FUZZ_SECONDS])
}
