//! The history of full scans: one row per scan with what changes matter (grade, leaf,
//! findings, endpoints) in columns, and the whole report gzip-compressed beside them.

use std::io::{Read as _, Write as _};
use std::net::IpAddr;

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use shared::{Grade, Report, ScanMode};
use sqlx::Row as _;

use super::{Store, StoreError};

/// Entries a history query returns at most.
pub const MAX_LIMIT: u32 = 500;
/// Entries a history query returns when not told.
pub const DEFAULT_LIMIT: u32 = 50;
/// The largest compressed report read back (a stored row cannot make the probe inflate
/// without bound).
const MAX_REPORT_BYTES: u64 = 64 * 1024 * 1024;

/// One address of the scan, as summarised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointSummary {
    pub ip: IpAddr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade: Option<Grade>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One stored scan (without its report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub id: i64,
    pub host: String,
    pub port: u16,
    /// When the scan started (RFC 3339, the report's `scanned_at`).
    pub scanned_at: String,
    pub grade: Grade,
    /// SHA-256 of the leaf certificate, when a handshake gave one.
    pub leaf_sha256: Option<String>,
    /// The leaf's notAfter (RFC 3339).
    pub leaf_not_after: Option<String>,
    pub finding_ids: Vec<String>,
    pub endpoints: Vec<EndpointSummary>,
    pub duration_ms: u64,
}

/// The summary columns of a report.
fn summary(report: &Report) -> (Vec<String>, Vec<EndpointSummary>) {
    let findings = report
        .findings
        .iter()
        .map(|f| f.id.as_str().to_owned())
        .collect();
    let endpoints = if report.endpoints.is_empty() {
        vec![EndpointSummary {
            ip: report.target.ip,
            grade: Some(report.grade),
            error: None,
        }]
    } else {
        report
            .endpoints
            .iter()
            .map(|e| EndpointSummary {
                ip: e.ip,
                grade: e.grade,
                error: e.error.clone(),
            })
            .collect()
    };
    (findings, endpoints)
}

fn compress(report: &Report) -> Result<Vec<u8>, StoreError> {
    let json = serde_json::to_vec(report).map_err(|e| StoreError::Codec(e.to_string()))?;
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(&json)
        .and_then(|()| encoder.finish())
        .map_err(|e| StoreError::Codec(e.to_string()))
}

fn decompress(bytes: &[u8]) -> Result<Report, StoreError> {
    let mut json = Vec::new();
    GzDecoder::new(bytes)
        .take(MAX_REPORT_BYTES)
        .read_to_end(&mut json)
        .map_err(|e| StoreError::Codec(e.to_string()))?;
    serde_json::from_slice(&json).map_err(|e| StoreError::Codec(e.to_string()))
}

fn unix_seconds(rfc3339: &str) -> i64 {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .map_or_else(
            |_| time::OffsetDateTime::now_utc().unix_timestamp(),
            time::OffsetDateTime::unix_timestamp,
        )
}

impl Store {
    /// Stores a full scan's summary and report; quick reports are not history (their grade
    /// is provisional) and are skipped, returning `None`.
    pub async fn record(&self, report: &Report) -> Result<Option<i64>, StoreError> {
        if report.scan_mode != ScanMode::Full {
            return Ok(None);
        }
        let (findings, endpoints) = summary(report);
        let leaf = report.certificates.first();
        let row = sqlx::query(
            "INSERT INTO scans (host, port, scanned_at, scanned_unix, grade, leaf_sha256, \
             leaf_not_after, finding_ids, endpoints, duration_ms, report_gzip) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(report.target.host.clone())
        .bind(i64::from(report.target.port))
        .bind(report.scanned_at.clone())
        .bind(unix_seconds(&report.scanned_at))
        .bind(report.grade.to_string())
        .bind(leaf.map(|c| c.sha256_fingerprint.clone()))
        .bind(leaf.map(|c| c.not_after.clone()))
        .bind(encode(&findings)?)
        .bind(encode(&endpoints)?)
        .bind(i64::try_from(report.duration_ms).unwrap_or(i64::MAX))
        .bind(compress(report)?)
        .fetch_one(&self.pool)
        .await?;
        Ok(Some(row.try_get::<i64, _>(0)?))
    }

    /// The newest scans of `host` (any port, or `port`), newest first, at most `limit`
    /// (capped at [`MAX_LIMIT`]).
    pub async fn history(
        &self,
        host: &str,
        port: Option<u16>,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let limit = i64::from(limit.clamp(1, MAX_LIMIT));
        let columns = "id, host, port, scanned_at, grade, leaf_sha256, leaf_not_after, \
                       finding_ids, endpoints, duration_ms";
        let rows = match port {
            Some(port) => {
                sqlx::query(&format!(
                    "SELECT {columns} FROM scans WHERE host = $1 AND port = $2 \
                     ORDER BY scanned_unix DESC, id DESC LIMIT $3"
                ))
                .bind(host.to_owned())
                .bind(i64::from(port))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {columns} FROM scans WHERE host = $1 \
                     ORDER BY scanned_unix DESC, id DESC LIMIT $2"
                ))
                .bind(host.to_owned())
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(entry).collect()
    }

    /// A stored scan's whole report.
    pub async fn report(&self, id: i64) -> Result<Option<Report>, StoreError> {
        let row = sqlx::query("SELECT report_gzip FROM scans WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some(decompress(&row.try_get::<Vec<u8>, _>(0)?)?)),
            None => Ok(None),
        }
    }
}

fn entry(row: &sqlx::any::AnyRow) -> Result<HistoryEntry, StoreError> {
    let codec = |e: &dyn std::fmt::Display| StoreError::Codec(e.to_string());
    let grade: String = row.try_get("grade")?;
    let port: i64 = row.try_get("port")?;
    let duration: i64 = row.try_get("duration_ms")?;
    Ok(HistoryEntry {
        id: row.try_get("id")?,
        host: row.try_get("host")?,
        port: u16::try_from(port).map_err(|e| codec(&e))?,
        scanned_at: row.try_get("scanned_at")?,
        grade: serde_json::from_value(serde_json::Value::String(grade)).map_err(|e| codec(&e))?,
        leaf_sha256: row.try_get("leaf_sha256")?,
        leaf_not_after: row.try_get("leaf_not_after")?,
        finding_ids: serde_json::from_str(&row.try_get::<String, _>("finding_ids")?)
            .map_err(|e| codec(&e))?,
        endpoints: serde_json::from_str(&row.try_get::<String, _>("endpoints")?)
            .map_err(|e| codec(&e))?,
        duration_ms: u64::try_from(duration).unwrap_or(0),
    })
}

/// JSON text of a column value.
fn encode<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Codec(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compressed_report_reads_back_and_hostile_bytes_are_an_error() {
        let fixture = include_str!("../../../shared/fixtures/scan-good.json");
        let report: Report = serde_json::from_str(fixture).unwrap();
        let bytes = compress(&report).unwrap();
        assert!(bytes.len() < fixture.len() / 2, "{} bytes", bytes.len());
        assert_eq!(decompress(&bytes).unwrap(), report);
        assert!(matches!(decompress(b"not gzip"), Err(StoreError::Codec(_))));
    }
}
