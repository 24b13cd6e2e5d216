//! The one error type of the testbed: what went wrong starting a server, said so that a failing
//! test tells the reader what to install or what the server printed.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// Why a testbed server could not be started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestbedError {
    /// A program the testbed runs is not on this machine.
    #[error(
        "`{program}` was not found on PATH (nor in /usr/sbin, /sbin); install it: apt-get install {package}"
    )]
    MissingProgram {
        /// The program looked for.
        program: String,
        /// The Debian package that provides it.
        package: &'static str,
    },
    /// The server process exited before it served TLS.
    #[error(
        "{server} exited during start-up ({status}); command: {command}\n--- its output ---\n{log}"
    )]
    Exited {
        /// Which server.
        server: &'static str,
        /// Its exit status.
        status: String,
        /// The command line that was run.
        command: String,
        /// The tail of what it printed.
        log: String,
    },
    /// The server did not answer a TLS ClientHello on its address in time.
    #[error(
        "{server} did not answer TLS on {addr} within {timeout:?}; command: {command}\n--- its output ---\n{log}"
    )]
    StartTimeout {
        /// Which server.
        server: &'static str,
        /// Where it should have listened.
        addr: SocketAddr,
        /// How long we waited.
        timeout: Duration,
        /// The command line that was run.
        command: String,
        /// The tail of what it printed.
        log: String,
    },
    /// Another process holds the port the server was meant to listen on (after retries).
    #[error("{server}: no free port after {attempts} attempts (another process took each one)")]
    NoFreePort {
        /// Which server.
        server: &'static str,
        /// How many ports were tried.
        attempts: u32,
    },
    /// A network namespace (for gnutls-serv) could not be set up.
    #[error(
        "network namespace set-up failed: `{command}`: {detail}\n\
         gnutls-serv cannot choose its listen address (it binds 0.0.0.0), so the testbed runs it \
         in a network namespace of its own: that needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) \
         and iproute2 (apt-get install iproute2)"
    )]
    Netns {
        /// The `ip` command that failed.
        command: String,
        /// What it printed, or the OS error.
        detail: String,
    },
    /// A file or socket operation of the testbed itself failed.
    #[error("{context}: {source}")]
    Io {
        /// What the testbed was doing.
        context: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The requested configuration cannot be served.
    #[error("invalid testbed configuration: {0}")]
    Config(String),
}

impl TestbedError {
    /// Wraps an I/O error with what the testbed was doing.
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    /// Whether a retry on another port may succeed (the port was taken under us).
    pub(crate) fn is_port_conflict(&self) -> bool {
        match self {
            Self::Exited { log, .. } => {
                log.contains("Address already in use") || log.contains("in use")
            }
            _ => false,
        }
    }
}

/// The testbed's result type.
pub type Result<T, E = TestbedError> = std::result::Result<T, E>;
