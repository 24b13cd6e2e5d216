//! Server-Sent Events for `GET /api/v1/probe/stream`.
//!
//! Each event's `event:` field names the `shared::StreamEvent` variant (`quick`, `progress`,
//! `report`, `error`) and its `data:` is that event as JSON on one line. The stream ends after
//! `report` or `error`. While nothing happens a comment (`: keep-alive`) is sent every so
//! often (15 s by default), so proxies do not take the quiet for a dead connection.
//!
//! Reports are kept as JSON (see `cache`); an event that carries one is written around it
//! (`{"type":"report","report":…}`) rather than parsed and serialised again.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Bytes;
use shared::{ApiError, ErrorCode, StreamEvent};
use tokio::sync::watch;

use super::access::ClientKey;
use super::broker::ClientScan;
use super::cache::{Flight, FlightState, FlightUpdate, Outcome};
use super::limits::StreamPermit;

/// The events of one scan, as a body stream.
pub(super) type Events = futures_util::stream::BoxStream<'static, Result<Bytes, Infallible>>;

/// A stream of one final event, for a cached outcome.
pub(super) fn cached(outcome: Outcome, open: StreamPermit<ClientKey>) -> Events {
    let follower = Follower {
        _held: (open, None),
        receiver: None,
        pending: Some(final_event(&outcome)),
        seen: 0,
        done: false,
        keep_alive: Duration::MAX,
    };
    events(follower)
}

/// Follows `flight` from its start to its outcome. The permits count the stream (and the
/// scan) against the client for as long as the body lives: until its last event, or until
/// the client goes away and actix drops it.
pub(super) fn follow(
    flight: Arc<Flight>,
    keep_alive: Duration,
    open: StreamPermit<ClientKey>,
    scan: ClientScan,
) -> Events {
    let follower = Follower {
        _held: (open, Some(scan)),
        receiver: Some((flight.follow(), flight)),
        pending: None,
        seen: 0,
        done: false,
        keep_alive,
    };
    events(follower)
}

fn events(follower: Follower) -> Events {
    Box::pin(futures_util::stream::unfold(
        follower,
        |mut follower| async move {
            let chunk = follower.next_chunk().await?;
            Some((Ok(chunk), follower))
        },
    ))
}

struct Follower {
    /// The client's places in its caps, given back when the stream ends.
    _held: (StreamPermit<ClientKey>, Option<ClientScan>),
    /// The flight followed (held so its sending side lives as long as the stream).
    receiver: Option<(watch::Receiver<FlightState>, Arc<Flight>)>,
    /// A final event to send as is.
    pending: Option<Bytes>,
    seen: usize,
    done: bool,
    keep_alive: Duration,
}

impl Follower {
    /// The events since the last chunk, waiting for some (or for the keep-alive).
    async fn next_chunk(&mut self) -> Option<Bytes> {
        if self.done {
            return None;
        }
        if let Some(chunk) = self.pending.take() {
            self.done = true;
            return Some(chunk);
        }
        let Some((receiver, _flight)) = &mut self.receiver else {
            return None;
        };
        loop {
            {
                let state = receiver.borrow_and_update();
                let mut chunk = Vec::new();
                for update in state.updates.iter().skip(self.seen) {
                    chunk.extend_from_slice(&update_event(update));
                }
                self.seen = state.updates.len();
                if let Some(outcome) = &state.outcome {
                    chunk.extend_from_slice(&final_event(outcome));
                    self.done = true;
                }
                if !chunk.is_empty() {
                    return Some(Bytes::from(chunk));
                }
            }
            tokio::select! {
                changed = receiver.changed() => {
                    if changed.is_err() {
                        self.done = true;
                        return Some(error_event(&ApiError {
                            error: ErrorCode::Internal,
                            message: "the scan ended without an outcome".into(),
                        }));
                    }
                }
                () = tokio::time::sleep(self.keep_alive) => {
                    return Some(Bytes::from_static(b": keep-alive\n\n"));
                }
            }
        }
    }
}

fn update_event(update: &FlightUpdate) -> Vec<u8> {
    match update {
        FlightUpdate::Quick(json) => report_event("quick", json),
        FlightUpdate::Progress(progress) => {
            let data =
                serde_json::to_string(&StreamEvent::Progress(progress.clone())).unwrap_or_default();
            event("progress", data.as_bytes())
        }
    }
}

fn final_event(outcome: &Outcome) -> Bytes {
    match outcome {
        Ok(json) => Bytes::from(report_event("report", json)),
        Err(failure) => error_event(&failure.error),
    }
}

fn error_event(error: &ApiError) -> Bytes {
    let data = serde_json::to_string(&StreamEvent::Error(error.clone())).unwrap_or_default();
    Bytes::from(event("error", data.as_bytes()))
}

/// `{"type":KIND,"report":JSON}` as the event KIND.
fn report_event(kind: &str, json: &[u8]) -> Vec<u8> {
    let mut data = Vec::with_capacity(json.len() + 32);
    data.extend_from_slice(b"{\"type\":\"");
    data.extend_from_slice(kind.as_bytes());
    data.extend_from_slice(b"\",\"report\":");
    data.extend_from_slice(json);
    data.push(b'}');
    event(kind, &data)
}

/// One event. `data` is JSON on one line (serde_json writes no raw newlines).
fn event(name: &str, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + name.len() + 16);
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\n\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ScanProgress;

    #[test]
    fn report_events_are_stream_events_in_json() {
        let report: shared::Report =
            serde_json::from_str(include_str!("../../../shared/fixtures/scan-asked.json")).unwrap();
        let json = serde_json::to_vec(&report).unwrap();
        let bytes = report_event("quick", &json);
        let text = std::str::from_utf8(&bytes).unwrap();
        let data = text
            .strip_prefix("event: quick\ndata: ")
            .and_then(|t| t.strip_suffix("\n\n"))
            .unwrap();
        let parsed: StreamEvent = serde_json::from_str(data).unwrap();
        assert_eq!(
            parsed,
            StreamEvent::Quick {
                report: Box::new(report)
            }
        );
    }

    #[test]
    fn progress_and_errors() {
        let progress = update_event(&FlightUpdate::Progress(ScanProgress {
            step: "protocols".into(),
            done: 1,
            total: 4,
        }));
        assert_eq!(
            std::str::from_utf8(&progress).unwrap(),
            "event: progress\ndata: {\"type\":\"progress\",\"step\":\"protocols\",\"done\":1,\"total\":4}\n\n"
        );
        let error = error_event(&ApiError {
            error: ErrorCode::Timeout,
            message: "slow".into(),
        });
        assert_eq!(
            std::str::from_utf8(&error).unwrap(),
            "event: error\ndata: {\"type\":\"error\",\"error\":\"timeout\",\"message\":\"slow\"}\n\n"
        );
    }
}
