//! The `run` and `test` tasks.

use crate::setup::{self, run as sh};

/// Builds the extension and starts the probe server on its default address.
pub(crate) fn run(extra: &[String]) -> Result<(), String> {
    setup::all()?;
    let mut args = vec!["run", "--release", "-p", "probe-server", "--", "serve"];
    args.extend(extra.iter().map(String::as_str));
    sh("cargo", &args)
}

/// Seconds each fuzz target runs in the smoke test.
const FUZZ_SECONDS: &str = "15";

/// Every lint and test: formatting, clippy, the workspace's tests (real servers included),
/// and a short run of every fuzz target.
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
    sh("cargo", &["test", "--workspace"])?;
    sh("bash", &["probe-server/fuzz/smoke.sh", FUZZ_SECONDS])
}
