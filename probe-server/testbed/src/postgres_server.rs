//! A real PostgreSQL for the store's tests: `initdb` in a temporary directory and the
//! `postgres` server in the foreground, both as the unprivileged `nobody` (PostgreSQL refuses
//! to run as root), on a loopback port, its socket in the same directory. The server is our
//! child (started through `setpriv`, which execs: same PID), killed by PID and reaped when
//! dropped, and killed by the kernel if the test binary dies.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::error::{Result, TestbedError};
use crate::process::{self, DEFAULT_START_TIMEOUT, PORT_ATTEMPTS, ServerProcess};

/// `nobody`'s uid and gid on Debian.
const NOBODY: &str = "65534";

/// A running PostgreSQL with a database user `probe` that needs no password (trust
/// authentication, loopback only).
#[derive(Debug)]
pub struct PostgresServer {
    process: ServerProcess,
    port: u16,
    _dir: tempfile::TempDir,
}

/// Debian's PostgreSQL binaries: the newest `/usr/lib/postgresql/N/bin`.
fn bin_dir() -> Result<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| TestbedError::MissingProgram {
            program: "postgres".into(),
            package: "postgresql",
        })?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or(TestbedError::MissingProgram {
            program: "postgres".into(),
            package: "postgresql",
        })
}

/// `setpriv` arguments that drop to `nobody`.
fn as_nobody() -> Vec<String> {
    ["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups", "--"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

impl PostgresServer {
    /// Initialises a cluster and starts it (blocking: call from `spawn_blocking`).
    pub fn start() -> Result<Self> {
        let bin = bin_dir()?;
        let setpriv = process::find_program("setpriv", "util-linux")?;
        let dir = tempfile::tempdir().map_err(|e| TestbedError::io("create a temp dir", e))?;
        std::os::unix::fs::chown(dir.path(), Some(65534), Some(65534))
            .map_err(|e| TestbedError::io("chown the temp dir to nobody", e))?;
        let data = dir.path().join("data");
        let mut initdb = Command::new(&setpriv);
        initdb
            .args(as_nobody())
            .arg(bin.join("initdb"))
            .args(["-D"])
            .arg(&data)
            .args(["-U", "probe", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .current_dir(dir.path());
        let out = initdb
            .output()
            .map_err(|e| TestbedError::io("run initdb", e))?;
        if !out.status.success() {
            return Err(TestbedError::Exited {
                server: "initdb",
                status: out.status.to_string(),
                command: format!("{initdb:?}"),
                log: format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
            });
        }
        let mut last = None;
        for _ in 0..PORT_ATTEMPTS {
            match Self::serve(&setpriv, &bin, dir.path(), &data) {
                Ok((process, port)) => {
                    return Ok(Self {
                        process,
                        port,
                        _dir: dir,
                    });
                }
                Err(e) if e.is_port_conflict() => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            TestbedError::io("start postgres", std::io::ErrorKind::AddrInUse.into())
        }))
    }

    fn serve(setpriv: &Path, bin: &Path, dir: &Path, data: &Path) -> Result<(ServerProcess, u16)> {
        let port = process::free_port()?;
        let log = dir.join(format!("postgres-{port}.log"));
        let mut args = as_nobody();
        args.push(bin.join("postgres").display().to_string());
        for arg in [
            "-D".to_owned(),
            data.display().to_string(),
            "-p".into(),
            port.to_string(),
            "-k".into(),
            dir.display().to_string(),
            "-c".into(),
            "listen_addresses=127.0.0.1".into(),
            // A test database: no durability needed, start-up and writes fast.
            "-c".into(),
            "fsync=off".into(),
        ] {
            args.push(arg);
        }
        let mut process = ServerProcess::spawn("postgres", setpriv, &args, &log)?;
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        process.wait_for_listener(addr, DEFAULT_START_TIMEOUT)?;
        // It listens before it accepts sessions: wait for its own word (bounded).
        let deadline = Instant::now() + DEFAULT_START_TIMEOUT;
        while !std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("ready to accept connections")
        {
            if let Some(status) = process.exited() {
                return Err(process.exited_error(status));
            }
            if Instant::now() > deadline {
                return Err(TestbedError::StartTimeout {
                    server: "postgres",
                    addr,
                    timeout: DEFAULT_START_TIMEOUT,
                    command: process.command_line().to_owned(),
                    log: process.log_tail(),
                });
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        Ok((process, port))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// The URL of its `postgres` database as user `probe`.
    pub fn url(&self) -> String {
        format!("postgres://probe@127.0.0.1:{}/postgres", self.port)
    }
}
