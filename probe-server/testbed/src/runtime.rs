//! The start loop the servers of other TLS stacks share (Go, Java, Erlang, Botan): each is a
//! program told its port on the command line, started on a free 127.0.0.1 port and retried
//! on another port when someone else took that one first (see [`crate::process`]).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use crate::error::{Result, TestbedError};
use crate::process::{self, PORT_ATTEMPTS, ServerProcess};

/// Starts `program args(port)` with its output in `log`, until it answers TLS on
/// 127.0.0.1:port with a socket of its own (at most [`PORT_ATTEMPTS`] ports).
pub(crate) fn start_on_free_port(
    server: &'static str,
    program: &Path,
    args: impl Fn(u16) -> Vec<String>,
    log: &Path,
    timeout: Duration,
) -> Result<(ServerProcess, SocketAddr)> {
    let mut last_error = None;
    for _ in 0..PORT_ATTEMPTS {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, process::free_port()?));
        let mut child = ServerProcess::spawn(server, program, &args(addr.port()), log)?;
        match child.wait_for_tls(addr, timeout) {
            Ok(()) => return Ok((child, addr)),
            Err(e) if e.is_port_conflict() => last_error = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_error.unwrap_or(TestbedError::NoFreePort {
        server,
        attempts: PORT_ATTEMPTS,
    }))
}

/// Runs a set-up command (key store conversion, a build) to completion, failing with what
/// it printed.
pub(crate) fn run_to_completion(
    what: &'static str,
    command: &mut std::process::Command,
) -> Result<()> {
    let out = command
        .output()
        .map_err(|e| TestbedError::io(format!("run {what}"), e))?;
    if out.status.success() {
        return Ok(());
    }
    Err(TestbedError::Exited {
        server: what,
        status: out.status.to_string(),
        command: format!("{command:?}"),
        log: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    })
}
