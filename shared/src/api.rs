use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The body of every error the probe's HTTP API returns:
/// `{"error": "bad_target", "message": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ApiError {
    /// Machine-readable error code.
    pub error: ErrorCode,
    /// What went wrong, in plain words, for people.
    pub message: String,
}

/// Why the API refused or failed a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The host or port is not a valid target (HTTP 400).
    BadTarget,
    /// Another request parameter is invalid (HTTP 400).
    BadRequest,
    /// No such endpoint (HTTP 404).
    NotFound,
    /// The API token is missing or wrong (HTTP 401).
    Unauthorized,
    /// The request comes from a web page's origin, or names a Host, that this probe does not
    /// serve (HTTP 403).
    Forbidden,
    /// The target is refused by policy: a private, loopback or otherwise internal address, or
    /// a port the operator did not allow (HTTP 403).
    TargetForbidden,
    /// The name does not resolve (HTTP 502).
    ResolveFailed,
    /// The target could not be reached or did not speak TLS (HTTP 502).
    ConnectFailed,
    /// The scan timed out (HTTP 504).
    Timeout,
    /// Too many requests from this client or for this target (HTTP 429).
    RateLimited,
    /// The probe is at capacity (HTTP 503).
    Overloaded,
    /// A bug in the probe (HTTP 500).
    Internal,
}

impl ErrorCode {
    /// The HTTP status that goes with the code.
    pub const fn http_status(self) -> u16 {
        match self {
            Self::BadTarget | Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden | Self::TargetForbidden => 403,
            Self::NotFound => 404,
            Self::RateLimited => 429,
            Self::Internal => 500,
            Self::ResolveFailed | Self::ConnectFailed => 502,
            Self::Overloaded => 503,
            Self::Timeout => 504,
        }
    }
}
