//! An incremental Server-Sent Events parser (the WHATWG "event stream" format).
//!
//! `EventSource` cannot send an `Authorization` header, so the popup reads the stream with
//! `fetch` and feeds the body's chunks here. Chunks may split lines, and even UTF-8
//! characters, anywhere.

/// One dispatched event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseMessage {
    /// The `event:` field; "message" when absent.
    pub event: String,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
}

/// Parser state between chunks.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of an unfinished line.
    pending: Vec<u8>,
    event: String,
    data: String,
    has_data: bool,
    /// The previous chunk ended with `\r`: a `\n` starting the next one belongs to it.
    after_cr: bool,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds a chunk of the body; returns the events it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseMessage> {
        let mut out = Vec::new();
        for &byte in chunk {
            let after_cr = std::mem::take(&mut self.after_cr);
            match byte {
                b'\n' if after_cr => {}
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line = std::mem::take(&mut self.pending);
                    // A line that is not UTF-8 cannot hold the JSON we want: it is skipped
                    // (and a lossy decoder would cost the wasm a kilobyte).
                    if let Ok(line) = String::from_utf8(line)
                        && let Some(message) = self.line(&line)
                    {
                        out.push(message);
                    }
                }
                _ => self.pending.push(byte),
            }
        }
        out
    }

    fn line(&mut self, line: &str) -> Option<SseMessage> {
        if line.is_empty() {
            let event = std::mem::take(&mut self.event);
            let data = std::mem::take(&mut self.data);
            if !std::mem::take(&mut self.has_data) {
                return None;
            }
            let event = if event.is_empty() {
                "message".to_owned()
            } else {
                event
            };
            return Some(SseMessage { event, data });
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => value.clone_into(&mut self.event),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(event: &str, data: &str) -> SseMessage {
        SseMessage {
            event: event.into(),
            data: data.into(),
        }
    }

    #[test]
    fn parses_whole_events() {
        let mut p = SseParser::new();
        let out = p.push(
            b": keep-alive\n\nevent: quick\ndata: {\"a\":1}\n\nevent: progress\ndata: x\ndata: y\n\n",
        );
        assert_eq!(out, [msg("quick", "{\"a\":1}"), msg("progress", "x\ny")]);
    }

    #[test]
    fn survives_any_split_and_crlf() {
        let body = "event: report\r\ndata: caf\u{e9}\r\n\r\ndata:no-space\r\r";
        let bytes = body.as_bytes();
        for cut in 0..bytes.len() {
            let mut p = SseParser::new();
            let mut out = p.push(&bytes[..cut]);
            out.extend(p.push(&bytes[cut..]));
            assert_eq!(
                out,
                [msg("report", "caf\u{e9}"), msg("message", "no-space")],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn events_without_data_are_dropped() {
        let mut p = SseParser::new();
        assert!(p.push(b"event: quick\n\n").is_empty());
        assert!(
            p.push(b"data: 1").is_empty(),
            "not dispatched before a blank line"
        );
        assert_eq!(p.push(b"\n\n"), [msg("message", "1")]);
    }
}
