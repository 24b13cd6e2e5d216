//! A real Redis for the replicas' tests: Debian's `redis-server` on a loopback port, with no
//! persistence (`--save '' --appendonly no`), its working directory a temporary one. The
//! server is our child, killed by PID and reaped when dropped (or by [`RedisServer::stop`]),
//! and killed by the kernel if the test binary dies. [`RedisServer::restart`] brings it back
//! on the same port, empty, as a Redis restarted without persistence would be.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Result, TestbedError};
use crate::process::{self, DEFAULT_START_TIMEOUT, PORT_ATTEMPTS, ServerProcess};

/// A running (or stopped) `redis-server`.
#[derive(Debug)]
pub struct RedisServer {
    process: Option<ServerProcess>,
    port: u16,
    program: PathBuf,
    dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts it on a free loopback port (blocking: call from `spawn_blocking`).
    pub fn start() -> Result<Self> {
        let program = process::find_program("redis-server", "redis-server")?;
        let dir = tempfile::tempdir().map_err(|e| TestbedError::io("create a temp dir", e))?;
        let mut last = None;
        for _ in 0..PORT_ATTEMPTS {
            let port = process::free_port()?;
            match Self::serve(&program, dir.path(), port) {
                Ok(process) => {
                    return Ok(Self {
                        process: Some(process),
                        port,
                        program,
                        dir,
                    });
                }
                Err(e) if e.is_port_conflict() => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            TestbedError::io("start redis-server", std::io::ErrorKind::AddrInUse.into())
        }))
    }

    fn serve(program: &Path, dir: &Path, port: u16) -> Result<ServerProcess> {
        let log = dir.join(format!("redis-{port}.log"));
        let args: Vec<String> = [
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            &dir.display().to_string(),
            "--protected-mode",
            "no",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let mut process = ServerProcess::spawn("redis-server", program, &args, &log)?;
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        process.wait_for_listener(addr, DEFAULT_START_TIMEOUT)?;
        // Bound before it has loaded: wait for its own word (bounded).
        let deadline = Instant::now() + DEFAULT_START_TIMEOUT;
        while !std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("Ready to accept connections")
        {
            if let Some(status) = process.exited() {
                return Err(process.exited_error(status));
            }
            if Instant::now() > deadline {
                return Err(TestbedError::StartTimeout {
                    server: "redis-server",
                    addr,
                    timeout: DEFAULT_START_TIMEOUT,
                    command: process.command_line().to_owned(),
                    log: process.log_tail(),
                });
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(process)
    }

    /// Kills it by PID and reaps it (its data goes with it).
    pub fn stop(&mut self) {
        self.process = None;
    }

    /// Starts it again on the same port (blocking), empty.
    pub fn restart(&mut self) -> Result<()> {
        self.stop();
        self.process = Some(Self::serve(&self.program, self.dir.path(), self.port)?);
        Ok(())
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its PID, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(ServerProcess::pid)
    }

    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}
