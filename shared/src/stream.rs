use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{ApiError, Report};

/// One Server-Sent Event of `GET /api/v1/probe/stream`. The SSE `event:` field carries the
/// variant's name (`quick`, `progress`, `report`, `error`) and `data:` this JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// The verified handshake is done: a provisional report (`scan_mode` "quick").
    Quick { report: Box<Report> },
    /// The full scan advanced.
    Progress(ScanProgress),
    /// The final report. The stream ends after it.
    Report { report: Box<Report> },
    /// The scan failed. The stream ends after it.
    Error(ApiError),
}

/// How far the full scan has come.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ScanProgress {
    /// The step just finished ("protocols", "cipher-suites", "groups", "vulnerabilities").
    pub step: String,
    /// Steps finished so far.
    pub done: u32,
    /// Steps in all.
    pub total: u32,
}
