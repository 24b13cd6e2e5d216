//! A responder that answers like F5 BIG-IP's Ticketbleed (CVE-2016-9244): offered a session
//! ticket with a session id shorter than 32 bytes, it echoes 32 bytes — the client's and
//! then whatever followed them in its memory.
//!
//! No real server shows the bug any more, and only its ServerHello matters to a probe, so
//! this is a relay in front of a real TLS server (`openssl s_server`): everything passes
//! through untouched, except the ServerHello answering such a hello, whose session id is
//! padded out to 32 bytes with 31 bytes of "memory" (the F5 stack's uninitialised buffer).
//! The handshake then fails (the transcripts differ), as a client of the real stack would
//! not notice: the ServerHello is where the leak is.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::background::Background;
use crate::error::Result;

/// What the relay puts after the client's bytes: recognisable "memory".
pub const LEAKED: [u8; 31] = *b"F5-BIG-IP-uninitialised-memory!";

/// The Ticketbleed relay.
#[derive(Debug)]
pub struct TicketbleedServer {
    background: Background,
}

impl TicketbleedServer {
    /// Relays to `upstream` (a TLS 1.2 server that issues tickets), leaking on resumption.
    pub fn start(upstream: SocketAddr) -> Result<Self> {
        let background = Background::start(
            "ticketbleed",
            Duration::from_secs(10),
            move |client| async move {
                let _ = relay(client, upstream).await;
            },
        )?;
        Ok(Self { background })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.background.addr()
    }
}

/// Reads one TLS record (header and body).
async fn read_record(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut record = vec![0u8; 5];
    stream.read_exact(&mut record).await?;
    let len = usize::from(u16::from_be_bytes([record[3], record[4]]));
    record.resize(5 + len, 0);
    stream.read_exact(&mut record[5..]).await?;
    Ok(record)
}

/// The session id of a ClientHello record and whether it offers a non-empty ticket.
fn short_id_with_ticket(record: &[u8]) -> Option<usize> {
    // record header 5, handshake header 4, version 2, random 32.
    let sid_len = usize::from(*record.get(43)?);
    let mut at = 44 + sid_len;
    let suites = usize::from(u16::from_be_bytes([*record.get(at)?, *record.get(at + 1)?]));
    at += 2 + suites;
    at += 1 + usize::from(*record.get(at)?);
    let end = at + 2 + usize::from(u16::from_be_bytes([*record.get(at)?, *record.get(at + 1)?]));
    at += 2;
    while at + 4 <= end.min(record.len()) {
        let typ = u16::from_be_bytes([record[at], record[at + 1]]);
        let len = usize::from(u16::from_be_bytes([record[at + 2], record[at + 3]]));
        if typ == 35 && len > 0 && sid_len < 32 {
            return Some(sid_len);
        }
        at += 4 + len;
    }
    None
}

/// Pads the ServerHello's session id (of `sid_len` bytes, the client's) to 32 bytes.
fn leak(record: &mut Vec<u8>, sid_len: usize) {
    let at = 43;
    if record.get(5) != Some(&2) || record.get(at).map(|&b| usize::from(b)) != Some(sid_len) {
        return;
    }
    let extra = 32 - sid_len;
    record[at] = 32;
    let insert_at = at + 1 + sid_len;
    record.splice(insert_at..insert_at, LEAKED[..extra].iter().copied());
    let record_len = u16::from_be_bytes([record[3], record[4]]) as usize + extra;
    record[3..5].copy_from_slice(&(record_len as u16).to_be_bytes());
    let hs_len = (u32::from(record[6]) << 16 | u32::from(record[7]) << 8 | u32::from(record[8]))
        as usize
        + extra;
    record[6] = (hs_len >> 16) as u8;
    record[7] = (hs_len >> 8) as u8;
    record[8] = hs_len as u8;
}

async fn relay(mut client: TcpStream, upstream: SocketAddr) -> std::io::Result<()> {
    let mut server = TcpStream::connect(upstream).await?;
    // Whatever the client sends first goes through at once (an SSL 2.0 hello, a hello split
    // over records, a stall): the upstream server serves one connection at a time, and a
    // relay waiting for a record that never completes would hold it.
    let mut hello = vec![0u8; 17 * 1024];
    let n = client.read(&mut hello).await?;
    hello.truncate(n);
    server.write_all(&hello).await?;
    if let Some(sid_len) = short_id_with_ticket(&hello) {
        let mut first = read_record(&mut server).await?;
        leak(&mut first, sid_len);
        client.write_all(&first).await?;
    }
    tokio::io::copy_bidirectional(&mut client, &mut server).await?;
    Ok(())
}
