//! The probe server's HTTP API as the extension uses it: the URLs it asks, and what each
//! kind of failure means for the person looking at the popup.
//!
//! - `GET {probe}/api/v1/probe?host=H&port=P[&refresh=1][&quick=1]` → a `shared::Report`.
//! - `GET {probe}/api/v1/probe/stream?host=H&port=P[&refresh=1]` → Server-Sent Events of
//!   `shared::StreamEvent`; a 404 means the probe has no stream and the plain endpoint is used.
//! - `GET {probe}/healthz` → `{"status":"ok","version":"..."}`.
//! - Errors are `shared::ApiError` JSON with the status of its code.

use shared::{ApiError, ErrorCode};

use crate::page::Target;

/// How long the popup waits for a scan before it gives up by itself. The probe has its own,
/// shorter, timeout and answers 504 first; this only catches a probe that hangs.
pub const CLIENT_TIMEOUT_MS: u32 = 120_000;

/// How long "Test connection" waits for `/healthz`.
pub const HEALTH_TIMEOUT_MS: u32 = 5_000;

/// Which of the probe's endpoints to ask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// The plain endpoint, full scan.
    Full,
    /// The plain endpoint, verified handshake only.
    Quick,
    /// The Server-Sent Events stream.
    Stream,
}

/// The URL that asks the probe about `target`. `base` is a normalised probe URL (see
/// [`crate::settings::normalize_probe_url`]); `refresh` bypasses the probe's cache.
pub fn scan_url(base: &str, endpoint: Endpoint, target: &Target, refresh: bool) -> String {
    let path = match endpoint {
        Endpoint::Full | Endpoint::Quick => "/api/v1/probe",
        Endpoint::Stream => "/api/v1/probe/stream",
    };
    let mut url = format!(
        "{base}{path}?host={}&port={}",
        encode_query_value(&target.host),
        target.port
    );
    if refresh {
        url.push_str("&refresh=1");
    }
    if endpoint == Endpoint::Quick {
        url.push_str("&quick=1");
    }
    url
}

/// The probe's health check.
pub fn health_url(base: &str) -> String {
    format!("{base}/healthz")
}

/// The `Authorization` header value for a token, if one is configured.
pub fn authorization(token: Option<&str>) -> Option<String> {
    token
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| format!("Bearer {t}"))
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Why the popup has no report to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProbeFailure {
    /// The request never got an HTTP answer: the probe is down, the URL is wrong, or the
    /// extension lacks the permission to reach it.
    Unreachable { detail: String },
    /// The probe answered with one of its documented errors.
    Api {
        status: u16,
        error: ApiError,
        /// Seconds from a `Retry-After` header.
        retry_after: Option<u32>,
    },
    /// The probe answered something that is not its API (a proxy's error page, a bug).
    Unexpected { status: u16, detail: String },
    /// No answer within [`CLIENT_TIMEOUT_MS`].
    ClientTimeout,
    /// The event stream ended before its final event.
    StreamEnded,
}

/// What the person can do about a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Remedy {
    /// Fix the probe settings (URL, token, permission).
    OpenOptions,
    /// Try again (now or later).
    Retry,
    /// Nothing: the probe will not scan this target.
    None,
}

/// A failure in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailureText {
    pub title: String,
    pub body: String,
    pub remedy: Remedy,
    /// The failure is a timeout (the popup and the badge say so).
    pub timeout: bool,
}

impl ProbeFailure {
    /// The failure of a non-2xx answer. `error` is the body parsed as `ApiError`, when it is
    /// one.
    pub fn from_status(status: u16, error: Option<ApiError>, retry_after: Option<u32>) -> Self {
        match error {
            Some(error) => Self::Api {
                status,
                error,
                retry_after,
            },
            None => Self::Unexpected {
                status,
                detail: format!("The probe answered HTTP {status} without an error report."),
            },
        }
    }

    /// The `ErrorCode`, for API errors.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Api { error, .. } => Some(error.error),
            _ => None,
        }
    }

    /// What to tell the person. `probe` is the probe URL, `site` the target as shown.
    pub fn describe(&self, probe: &str, site: &str) -> FailureText {
        let text = |title: &str, body: String, remedy| FailureText {
            title: title.to_owned(),
            body,
            remedy,
            timeout: false,
        };
        match self {
            Self::Unreachable { detail } => text(
                "Cannot reach the probe server",
                format!(
                    "No answer from {probe}. Check that the probe server is running there \
                     (probe-server serve --listen …) and that the address in the options is \
                     right. ({detail})"
                ),
                Remedy::OpenOptions,
            ),
            Self::ClientTimeout => FailureText {
                timeout: true,
                ..text(
                    "The scan timed out",
                    format!("The probe did not finish checking {site} in time. Try again later."),
                    Remedy::Retry,
                )
            },
            Self::StreamEnded => text(
                "The scan stopped early",
                "The probe closed the connection before the scan finished.".to_owned(),
                Remedy::Retry,
            ),
            Self::Unexpected { status, detail } => text(
                "The probe answered strangely",
                format!("HTTP {status}: {detail} Is {probe} really a probe server?"),
                Remedy::OpenOptions,
            ),
            Self::Api {
                error, retry_after, ..
            } => {
                let message = error.message.trim();
                match error.error {
                    ErrorCode::TargetForbidden => text(
                        "The probe refused to check this site",
                        message.to_owned(),
                        Remedy::None,
                    ),
                    ErrorCode::Forbidden => text(
                        "The probe does not serve this extension",
                        format!(
                            "{message} Its operator may allow this extension's id \
                             (--extension-id), or point the options at another probe."
                        ),
                        Remedy::OpenOptions,
                    ),
                    ErrorCode::Unauthorized => text(
                        "The probe wants a valid API token",
                        format!("{message} Set the token in the options."),
                        Remedy::OpenOptions,
                    ),
                    ErrorCode::Timeout => FailureText {
                        timeout: true,
                        ..text(
                            "The scan timed out",
                            format!("{site} did not answer the probe in time. {message}"),
                            Remedy::Retry,
                        )
                    },
                    ErrorCode::RateLimited | ErrorCode::Overloaded => {
                        let wait = retry_after.map_or_else(
                            || "Try again in a moment.".to_owned(),
                            |s| format!("Try again in {s} s."),
                        );
                        text(
                            "The probe is busy",
                            format!("{message} {wait}"),
                            Remedy::Retry,
                        )
                    }
                    ErrorCode::ResolveFailed => text(
                        "The probe cannot find this site",
                        format!("The name {site} does not resolve for the probe. {message}"),
                        Remedy::Retry,
                    ),
                    ErrorCode::ConnectFailed => text(
                        "The probe cannot connect to this site",
                        message.to_owned(),
                        Remedy::Retry,
                    ),
                    _ => text(
                        "The probe could not check this site",
                        message.to_owned(),
                        Remedy::Retry,
                    ),
                }
            }
        }
    }
}

/// The answer of `GET /healthz`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct Health {
    pub status: String,
    pub version: Option<String>,
}

impl Health {
    /// The line the options page shows after "Test connection" succeeded.
    pub fn describe(&self) -> String {
        match (&self.version, self.status.as_str()) {
            (Some(v), "ok") => format!("Connected: probe server {v} is up."),
            (None, "ok") => "Connected: the probe server is up.".to_owned(),
            (_, other) => {
                format!("The probe answered, but reports status \u{201c}{other}\u{201d}.")
            }
        }
    }
}

/// Parses a `Retry-After` header given in seconds (the HTTP-date form is ignored).
pub fn parse_retry_after(value: Option<&str>) -> Option<u32> {
    value.and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://127.0.0.1:7443";

    #[test]
    fn urls_carry_target_and_flags() {
        let t = Target::new("bad.test", 443);
        assert_eq!(
            scan_url(BASE, Endpoint::Full, &t, false),
            "http://127.0.0.1:7443/api/v1/probe?host=bad.test&port=443"
        );
        assert_eq!(
            scan_url(BASE, Endpoint::Quick, &t, true),
            "http://127.0.0.1:7443/api/v1/probe?host=bad.test&port=443&refresh=1&quick=1"
        );
        assert_eq!(
            scan_url(BASE, Endpoint::Stream, &Target::new("[::1]", 8443), true),
            "http://127.0.0.1:7443/api/v1/probe/stream?host=%3A%3A1&port=8443&refresh=1"
        );
        assert_eq!(health_url(BASE), "http://127.0.0.1:7443/healthz");
    }

    #[test]
    fn tokens_become_bearer_headers() {
        assert_eq!(
            authorization(Some(" s3cret ")).as_deref(),
            Some("Bearer s3cret")
        );
        assert_eq!(authorization(Some("  ")), None);
        assert_eq!(authorization(None), None);
    }

    fn api(code: ErrorCode, message: &str) -> ProbeFailure {
        ProbeFailure::from_status(
            code.http_status(),
            Some(ApiError {
                error: code,
                message: message.into(),
            }),
            None,
        )
    }

    #[test]
    fn every_failure_says_what_to_do() {
        let refused = api(
            ErrorCode::TargetForbidden,
            "bad.test resolves to 127.0.0.1, a loopback address.",
        )
        .describe(BASE, "bad.test");
        assert_eq!(refused.title, "The probe refused to check this site");
        assert!(refused.body.contains("loopback"));
        assert_eq!(refused.remedy, Remedy::None);

        let down = ProbeFailure::Unreachable {
            detail: "Failed to fetch".into(),
        }
        .describe(BASE, "bad.test");
        assert!(down.body.contains(BASE));
        assert_eq!(down.remedy, Remedy::OpenOptions);

        let timeout = api(ErrorCode::Timeout, "No answer in 30 s.").describe(BASE, "bad.test");
        assert!(timeout.timeout);
        assert!(ProbeFailure::ClientTimeout.describe(BASE, "x").timeout);

        let busy = ProbeFailure::from_status(
            429,
            Some(ApiError {
                error: ErrorCode::RateLimited,
                message: "Slow down.".into(),
            }),
            parse_retry_after(Some("12")),
        )
        .describe(BASE, "x");
        assert!(busy.body.ends_with("Try again in 12 s."), "{}", busy.body);

        let token = api(ErrorCode::Unauthorized, "Missing token.").describe(BASE, "x");
        assert_eq!(token.remedy, Remedy::OpenOptions);

        let odd = ProbeFailure::from_status(502, None, None).describe(BASE, "x");
        assert_eq!(odd.title, "The probe answered strangely");
        for code in [
            ErrorCode::Forbidden,
            ErrorCode::NotFound,
            ErrorCode::BadTarget,
            ErrorCode::BadRequest,
            ErrorCode::ResolveFailed,
            ErrorCode::ConnectFailed,
            ErrorCode::Overloaded,
            ErrorCode::Internal,
        ] {
            let text = api(code, "Because.").describe(BASE, "x");
            assert!(!text.title.is_empty() && text.body.contains("Because."));
        }
    }

    #[test]
    fn health_answers_are_described() {
        let h = serde_json::from_str::<Health>(r#"{"status":"ok","version":"0.1.0"}"#)
            .expect("valid health JSON");
        assert_eq!(h.describe(), "Connected: probe server 0.1.0 is up.");
        let h = serde_json::from_str::<Health>(r#"{"status":"degraded"}"#).expect("valid JSON");
        assert!(h.describe().contains("degraded"));
        assert_eq!(
            parse_retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            None
        );
    }
}
