//! `--trace`: what each connection a tool opened was for, read from the first bytes the
//! client sent (its ClientHello), so that connection counts can be explained, not only
//! compared. A deliberately small reader, independent of the probe's codec: it only needs the
//! versions, the number of suites and a few extensions.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A short description of one connection's first flight, e.g.
/// `TLS1.2 hello, 37 suites, groups 9, heartbeat`.
pub(crate) fn describe(bytes: &[u8]) -> String {
    match bytes {
        [] => "no data (connect only)".into(),
        [first, ..] if first & 0x80 != 0 => "SSLv2 hello".into(),
        [22, ..] => client_hello(bytes).unwrap_or_else(|| "TLS handshake (unparsed)".into()),
        [b'A'..=b'Z', ..] => {
            let line = bytes
                .split(|b| *b == b'\r' || *b == b'\n')
                .next()
                .unwrap_or(&[]);
            let text = String::from_utf8_lossy(line);
            format!("plain text: {}", text.chars().take(40).collect::<String>())
        }
        [kind, ..] => format!("record type {kind}"),
    }
}

/// Counts of [`describe`] over many connections, most frequent first.
pub(crate) fn tally<'a>(hellos: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for hello in hellos {
        *counts.entry(describe(hello)).or_default() += 1;
    }
    let mut rows: Vec<(String, usize)> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut out = String::new();
    for (what, n) in rows {
        let _ = writeln!(out, "{n:>5}  {what}");
    }
    out
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
    fn u24(&mut self) -> Option<usize> {
        self.take(3)
            .map(|b| usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]))
    }
    fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }
    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }
}

fn version_name(v: u16) -> String {
    match v {
        0x0300 => "SSLv3".into(),
        0x0301 => "TLS1.0".into(),
        0x0302 => "TLS1.1".into(),
        0x0303 => "TLS1.2".into(),
        0x0304 => "TLS1.3".into(),
        other => format!("0x{other:04x}"),
    }
}

/// The ClientHello in the first records (which may split it).
fn client_hello(bytes: &[u8]) -> Option<String> {
    let mut records = Reader(bytes);
    let mut handshake = Vec::new();
    while records.0.first() == Some(&22) {
        records.take(3)?;
        let Some(fragment) = records.vec16() else {
            break;
        };
        handshake.extend_from_slice(fragment);
    }
    let mut hs = Reader(&handshake);
    if hs.u8()? != 1 {
        return None;
    }
    let length = hs.u24()?;
    let mut body = Reader(hs.take(length).unwrap_or(hs.0));
    let legacy_version = body.u16()?;
    body.take(32)?;
    body.vec8()?;
    let suites: Vec<u16> = body
        .vec16()?
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    let compression = body.vec8()?;
    let mut version = legacy_version;
    let mut notes: Vec<String> = Vec::new();
    if let Some(extensions) = body.vec16() {
        let mut ext = Reader(extensions);
        while let (Some(kind), Some(data)) = (ext.u16(), ext.vec16()) {
            let mut d = Reader(data);
            match kind {
                0x002b => {
                    if let Some(list) = d.vec8() {
                        version = list
                            .chunks_exact(2)
                            .map(|c| u16::from_be_bytes([c[0], c[1]]))
                            .filter(|v| v & 0x0f0f != 0x0a0a && *v <= 0x0304)
                            .max()
                            .unwrap_or(legacy_version);
                    }
                }
                0x000a => {
                    if let Some(list) = d.vec16() {
                        notes.push(format!("groups {}", list.len() / 2));
                    }
                }
                0x000d => {
                    if let Some(list) = d.vec16() {
                        notes.push(format!("sigalgs {}", list.len() / 2));
                    }
                }
                0x000f => notes.push("heartbeat".into()),
                0x0010 => notes.push("alpn".into()),
                0x0005 => notes.push("status_request".into()),
                _ => {}
            }
        }
    }
    let mut out = format!(
        "{} hello, {} suites",
        version_name(version),
        suites
            .iter()
            .filter(|s| **s != 0x00ff && **s != 0x5600)
            .count()
    );
    if suites.contains(&0x5600) {
        out.push_str(", fallback SCSV");
    }
    if compression.iter().any(|c| *c != 0) {
        out.push_str(", compression offered");
    }
    for note in notes {
        let _ = write!(out, ", {note}");
    }
    // Anything after the hello in the first flight: a heartbeat record, an early CCS, ...
    let rest: Vec<String> = std::iter::successors(Some(records.0), |r| {
        let mut rd = Reader(r);
        rd.take(3)?;
        rd.vec16()?;
        Some(rd.0)
    })
    .filter_map(|r| r.first())
    .map(|kind| match kind {
        20 => "then ChangeCipherSpec".to_owned(),
        21 => "then alert".to_owned(),
        22 => "then handshake".to_owned(),
        24 => "then heartbeat".to_owned(),
        other => format!("then record {other}"),
    })
    .collect();
    for r in rest {
        let _ = write!(out, ", {r}");
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello(version: u16, suites: &[u16], extensions: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&version.to_be_bytes());
        body.extend_from_slice(&[0u8; 32]);
        body.push(0);
        body.extend_from_slice(&u16::try_from(suites.len() * 2).unwrap_or(0).to_be_bytes());
        for s in suites {
            body.extend_from_slice(&s.to_be_bytes());
        }
        body.extend_from_slice(&[1, 0]);
        body.extend_from_slice(&u16::try_from(extensions.len()).unwrap_or(0).to_be_bytes());
        body.extend_from_slice(extensions);
        let mut hs = vec![1, 0];
        hs.extend_from_slice(&u16::try_from(body.len()).unwrap_or(0).to_be_bytes());
        hs.extend_from_slice(&body);
        let mut record = vec![22, 3, 1];
        record.extend_from_slice(&u16::try_from(hs.len()).unwrap_or(0).to_be_bytes());
        record.extend_from_slice(&hs);
        record
    }

    #[test]
    fn describes_hellos() {
        assert_eq!(
            describe(&hello(0x0303, &[0x002f, 0x5600], &[0, 0x0f, 0, 1, 1])),
            "TLS1.2 hello, 1 suites, fallback SCSV, heartbeat"
        );
        // supported_versions (TLS 1.3, TLS 1.2) and two groups.
        let ext = [
            0, 0x2b, 0, 5, 4, 3, 4, 3, 3, 0, 0x0a, 0, 6, 0, 4, 0, 0x1d, 0, 0x17,
        ];
        assert_eq!(
            describe(&hello(0x0303, &[0x1301], &ext)),
            "TLS1.3 hello, 1 suites, groups 2"
        );
        let mut with_ccs = hello(0x0303, &[0x002f], &[]);
        with_ccs.extend_from_slice(&[20, 3, 3, 0, 1, 1]);
        assert_eq!(
            describe(&with_ccs),
            "TLS1.2 hello, 1 suites, then ChangeCipherSpec"
        );
        assert_eq!(describe(&[0x80, 0x2e, 1]), "SSLv2 hello");
        assert_eq!(
            describe(b"GET / HTTP/1.1\r\n"),
            "plain text: GET / HTTP/1.1"
        );
        assert_eq!(describe(&[]), "no data (connect only)");
    }
}
