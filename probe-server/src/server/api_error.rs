//! API failures as JSON (`shared::ApiError`) with the status their code implies. The cause is
//! logged; the response says what the caller can act on. Refusals that pass (rate limits,
//! overload) say when to come back in `Retry-After`.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use shared::{ApiError, ErrorCode};

use crate::error::ProbeError;

/// An error an API handler returns.
#[derive(Debug, Clone)]
pub struct ApiFailure {
    pub error: ApiError,
    /// Seconds after which asking again may succeed (`Retry-After`).
    pub retry_after: Option<u64>,
}

impl ApiFailure {
    pub fn new(error: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: ApiError {
                error,
                message: message.into(),
            },
            retry_after: None,
        }
    }

    /// Adds `Retry-After`, rounded up to whole seconds (at least 1).
    #[must_use]
    pub fn retry_after(mut self, wait: Duration) -> Self {
        let mut seconds = wait.as_secs();
        if wait.subsec_nanos() > 0 || seconds == 0 {
            seconds += 1;
        }
        self.retry_after = Some(seconds);
        self
    }

    pub fn code(&self) -> ErrorCode {
        self.error.error
    }
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.error.error, self.error.message)
    }
}

impl From<ProbeError> for ApiFailure {
    /// The client gets [`remote_message`]; the log keeps the whole error.
    fn from(error: ProbeError) -> Self {
        let message = remote_message(&error);
        if matches!(error, ProbeError::Internal(_)) {
            tracing::error!(%error, "internal error");
        } else if message != error.to_string() {
            tracing::info!(%error, "refusal or failure (the client is told less)");
        }
        Self::new(error.code(), message)
    }
}

/// What a remote client is told about a failure: what it asked for and what it can act on,
/// never what the probe learnt on the way. A split-horizon name (`vault.corp.example`) must
/// not tell a stranger the private address it resolves to, nor a failed lookup or connect
/// the resolver's or the network's words. (The CLI prints the whole error: that is the
/// operator's own terminal.)
pub(crate) fn remote_message(error: &ProbeError) -> String {
    match error {
        ProbeError::Forbidden { host, .. } => format!(
            "refusing to scan {host}: it resolves to a non-public address; this probe only \
             scans public addresses (the operator can allow more with --allow-private or \
             --allow-cidr)"
        ),
        ProbeError::Resolve { host, .. } => format!("cannot resolve {host}"),
        ProbeError::Connect { .. } => "cannot connect to the server (TCP connect failed)".into(),
        // `what` names the step and, for connections, the address: keep the step only.
        ProbeError::Timeout { what, after } => {
            let step = what.split(" with ").next().unwrap_or("the scan");
            format!("{step} timed out after {:.1} s", after.as_secs_f64())
        }
        ProbeError::Handshake { reason, .. } => {
            format!("no TLS handshake with the server: {reason}")
        }
        ProbeError::Internal(_) => "internal error (the probe's log has the details)".into(),
        // The client's own input, or the operator's port rule.
        other => other.to_string(),
    }
}

impl ResponseError for ApiFailure {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.error.error.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from(seconds)));
        }
        if self.error.error == ErrorCode::Unauthorized {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(&self.error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let at = |ms| {
            ApiFailure::new(ErrorCode::RateLimited, "x")
                .retry_after(Duration::from_millis(ms))
                .retry_after
        };
        assert_eq!(at(0), Some(1));
        assert_eq!(at(1), Some(1));
        assert_eq!(at(1000), Some(1));
        assert_eq!(at(1001), Some(2));
    }

    #[test]
    fn remote_messages_keep_addresses_and_internal_words_out() {
        let private: std::net::IpAddr = "10.3.4.5".parse().unwrap();
        let address = std::net::SocketAddr::new(private, 443);
        for error in [
            ProbeError::Forbidden {
                host: "vault.corp.example".into(),
                address: private,
                reason: "10.3.4.5 is private (RFC 1918)".into(),
            },
            ProbeError::Resolve {
                host: "vault.corp.example".into(),
                reason: "failed to lookup via 10.3.4.5".into(),
            },
            ProbeError::Connect {
                address,
                reason: "No route to host 10.3.4.5".into(),
            },
            ProbeError::Timeout {
                what: format!("TLS handshake with {address}"),
                after: Duration::from_secs(4),
            },
            ProbeError::Handshake {
                address,
                reason: "the server refused with alert HandshakeFailure".into(),
            },
            ProbeError::Internal("at 10.3.4.5".into()),
        ] {
            let failure = ApiFailure::from(error);
            assert!(
                !failure.error.message.contains("10.3.4.5"),
                "{}",
                failure.error.message
            );
        }
        let refused = ApiFailure::from(ProbeError::Forbidden {
            host: "vault.corp.example".into(),
            address: private,
            reason: String::new(),
        });
        assert_eq!(refused.code(), ErrorCode::TargetForbidden);
        assert!(
            refused
                .error
                .message
                .contains("resolves to a non-public address"),
            "{}",
            refused.error.message
        );
    }

    #[test]
    fn statuses_follow_the_code() {
        let response = ApiFailure::new(ErrorCode::Overloaded, "busy")
            .retry_after(Duration::from_secs(3))
            .error_response();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "3");
        let response = ApiFailure::new(ErrorCode::Unauthorized, "no").error_response();
        assert_eq!(response.status(), 401);
        assert_eq!(
            response.headers().get(header::WWW_AUTHENTICATE).unwrap(),
            "Bearer"
        );
    }
}
