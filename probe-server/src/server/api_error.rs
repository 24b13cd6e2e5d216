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
    fn from(error: ProbeError) -> Self {
        if matches!(error, ProbeError::Internal(_)) {
            tracing::error!(%error, "internal error");
        }
        Self::new(error.code(), error.to_string())
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
