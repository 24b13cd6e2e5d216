//! The probe's one error type.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use shared::ErrorCode;

/// Everything that can stop a scan from producing a report.
///
/// A check that fails *inside* a scan does not become a `ProbeError`: it is recorded in the
/// report's `errors` and the scan goes on. These are the failures that leave nothing to
/// report: a bad target, a refused one, or a server that cannot be reached at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeError {
    /// The target (host, port) is malformed.
    #[error("invalid target {input:?}: {reason}")]
    InvalidTarget { input: String, reason: String },

    /// A `--connect-to` rule is malformed.
    #[error("invalid --connect-to {input:?}: {reason} (expected HOST:PORT:ADDRESS:PORT)")]
    InvalidConnectTo { input: String, reason: String },

    /// The operator's CA file could not be used.
    #[error("cannot use CA file {path}: {reason}")]
    CaFile { path: String, reason: String },

    /// The name does not resolve.
    #[error("cannot resolve {host}: {reason}")]
    Resolve { host: String, reason: String },

    /// The address policy refuses the target (server mode: private, loopback, ... addresses).
    #[error("refusing to scan {host} ({address}): {reason}")]
    Forbidden {
        host: String,
        address: IpAddr,
        reason: String,
    },

    /// The port is not one the operator allows.
    #[error("refusing to scan port {port}: {reason}")]
    ForbiddenPort { port: u16, reason: String },

    /// TCP connect failed.
    #[error("cannot connect to {address}: {reason}")]
    Connect { address: SocketAddr, reason: String },

    /// The server did not complete a TLS handshake with any client this probe has.
    #[error("no TLS handshake with {address}: {reason}")]
    Handshake { address: SocketAddr, reason: String },

    /// A step, or the whole scan, ran out of time.
    #[error("{what} timed out after {:.1} s", after.as_secs_f64())]
    Timeout { what: String, after: Duration },

    /// A bug: something that must not happen did.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ProbeError {
    /// The API error code for this failure (and thereby its HTTP status).
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidTarget { .. } => ErrorCode::BadTarget,
            Self::InvalidConnectTo { .. } | Self::CaFile { .. } => ErrorCode::BadRequest,
            Self::Forbidden { .. } | Self::ForbiddenPort { .. } => ErrorCode::TargetForbidden,
            Self::Resolve { .. } => ErrorCode::ResolveFailed,
            Self::Connect { .. } | Self::Handshake { .. } => ErrorCode::ConnectFailed,
            Self::Timeout { .. } => ErrorCode::Timeout,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    pub(crate) fn invalid_target(input: &str, reason: impl Into<String>) -> Self {
        Self::InvalidTarget {
            input: input.to_owned(),
            reason: reason.into(),
        }
    }
}
