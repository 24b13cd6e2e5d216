//! API failures as JSON (`shared::ApiError`) with the status their code implies. The cause is
//! logged; the response says what the caller can act on.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use shared::{ApiError, ErrorCode};

use crate::error::ProbeError;

/// An error an API handler returns.
#[derive(Debug)]
pub struct ApiFailure(pub ApiError);

impl ApiFailure {
    pub fn new(error: ErrorCode, message: impl Into<String>) -> Self {
        Self(ApiError {
            error,
            message: message.into(),
        })
    }
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.0.error, self.0.message)
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
        StatusCode::from_u16(self.0.error.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(&self.0)
    }
}
