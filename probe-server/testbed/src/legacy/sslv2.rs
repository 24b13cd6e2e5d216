//! An SSL 2.0 server, from Kipp Hickman's "The SSL Protocol" (Netscape, 1995; the
//! draft-hickman-netscape-ssl-00 text).
//!
//! It answers a CLIENT-HELLO — including the SSLv2-compatible hello TLS clients send,
//! whose CLIENT-VERSION is 3.x — with a SERVER-HELLO:
//!
//! ```text
//! char MSG-SERVER-HELLO (4)        char SESSION-ID-HIT (0)
//! char CERTIFICATE-TYPE (1: X.509) char SERVER-VERSION-MSB, -LSB (0x0002)
//! char CERTIFICATE-LENGTH-MSB/LSB  char CIPHER-SPECS-LENGTH-MSB/LSB
//! char CONNECTION-ID-LENGTH-MSB/LSB
//! char CERTIFICATE-DATA[...]       char CIPHER-SPECS-DATA[...] (3 bytes each)
//! char CONNECTION-ID-DATA[16]
//! ```
//!
//! with no cipher in common, an ERROR message (MSG-ERROR 0, NO-CIPHER-ERROR 0x0001).
//! It goes no further: a CLIENT-MASTER-KEY, or anything else after the SERVER-HELLO, ends
//! the connection (a real server would answer with SERVER-VERIFY). A TLS-format ClientHello is
//! not understood and the connection is closed without a reply.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::ServerCertificate;
use super::hello::{ClientHello, FirstMessage, read_first};
use super::wire;
use crate::background::Background;
use crate::crypto;
use crate::error::{Result, TestbedError};

/// SSL 2.0 cipher kinds (Hickman, Appendix A).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SslV2Cipher {
    /// SSL_CK_RC4_128_WITH_MD5, 0x010080.
    Rc4128WithMd5,
    /// SSL_CK_RC4_128_EXPORT40_WITH_MD5, 0x020080.
    Rc4128Export40WithMd5,
    /// SSL_CK_RC2_128_CBC_WITH_MD5, 0x030080.
    Rc2128CbcWithMd5,
    /// SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5, 0x040080.
    Rc2128CbcExport40WithMd5,
    /// SSL_CK_IDEA_128_CBC_WITH_MD5, 0x050080.
    Idea128CbcWithMd5,
    /// SSL_CK_DES_64_CBC_WITH_MD5, 0x060040.
    Des64CbcWithMd5,
    /// SSL_CK_DES_192_EDE3_CBC_WITH_MD5, 0x0700C0.
    Des192Ede3CbcWithMd5,
}

impl SslV2Cipher {
    /// All seven, strongest first (as OpenSSL 0.9.8 listed them).
    pub const ALL: [Self; 7] = [
        Self::Des192Ede3CbcWithMd5,
        Self::Idea128CbcWithMd5,
        Self::Rc2128CbcWithMd5,
        Self::Rc4128WithMd5,
        Self::Des64CbcWithMd5,
        Self::Rc2128CbcExport40WithMd5,
        Self::Rc4128Export40WithMd5,
    ];

    /// The three-byte cipher kind.
    pub const fn kind(self) -> u32 {
        match self {
            Self::Rc4128WithMd5 => 0x010080,
            Self::Rc4128Export40WithMd5 => 0x020080,
            Self::Rc2128CbcWithMd5 => 0x030080,
            Self::Rc2128CbcExport40WithMd5 => 0x040080,
            Self::Idea128CbcWithMd5 => 0x050080,
            Self::Des64CbcWithMd5 => 0x060040,
            Self::Des192Ede3CbcWithMd5 => 0x0700c0,
        }
    }

    /// Whether it is an export (40-bit) cipher.
    pub const fn is_export(self) -> bool {
        matches!(
            self,
            Self::Rc4128Export40WithMd5 | Self::Rc2128CbcExport40WithMd5
        )
    }
}

/// Which cipher kinds the SERVER-HELLO lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslV2CipherList {
    /// Those the client also offered, in the server's order (what OpenSSL did); none in
    /// common → ERROR NO-CIPHER.
    Common,
    /// All the server's kinds, whatever the client offered (servers that ignore the client's
    /// list; DROWN scanners must not count these as "supported by both").
    All,
}

/// How an [`SslV2Server`] behaves.
#[derive(Clone, Debug)]
pub struct SslV2Spec {
    /// The server's cipher kinds, in its order.
    pub ciphers: Vec<SslV2Cipher>,
    /// Which of them the SERVER-HELLO lists.
    pub list: SslV2CipherList,
    /// The certificate sent (SSL 2.0 is RSA-only: an RSA leaf); only the leaf is sent.
    pub certificate: ServerCertificate,
    /// How long one connection may last.
    pub connection_lifetime: Duration,
}

impl SslV2Spec {
    /// All seven cipher kinds (export ones included), listing those in common.
    pub fn new(certificate: ServerCertificate) -> Self {
        Self {
            ciphers: SslV2Cipher::ALL.to_vec(),
            list: SslV2CipherList::Common,
            certificate,
            connection_lifetime: Duration::from_secs(30),
        }
    }
}

/// A running SSL 2.0 responder on 127.0.0.1. Dropping it stops it.
#[derive(Debug)]
pub struct SslV2Server {
    background: Background,
}

impl SslV2Server {
    /// Starts serving `spec` on 127.0.0.1:0.
    pub fn start(spec: SslV2Spec) -> Result<Self> {
        if !spec.certificate.is_rsa() {
            return Err(TestbedError::Config(
                "SSL 2.0 only knows RSA: give the SSL 2.0 server an RSA certificate".into(),
            ));
        }
        let lifetime = spec.connection_lifetime;
        let spec = Arc::new(spec);
        let background = Background::start("sslv2", lifetime, move |stream| {
            let spec = spec.clone();
            async move { serve(stream, &spec).await }
        })?;
        Ok(Self { background })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.background.addr()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr().port()
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.background.connections()
    }
}

async fn serve(mut stream: TcpStream, spec: &SslV2Spec) {
    let Ok(FirstMessage::Hello(hello)) = read_first(&mut stream).await else {
        return;
    };
    if !hello.sslv2_format {
        return; // a TLS record: not SSL 2.0
    }
    let _ = stream.write_all(&server_hello(&hello, spec)).await;
    // Wait for the client's next message (CLIENT-MASTER-KEY) or its close, then hang up.
    let mut sink = [0u8; 1024];
    let _ = stream.read(&mut sink).await;
    let _ = stream.shutdown().await;
}

/// The SERVER-HELLO (or ERROR) record for `hello`.
fn server_hello(hello: &ClientHello, spec: &SslV2Spec) -> Vec<u8> {
    let listed: Vec<u32> = spec
        .ciphers
        .iter()
        .map(|c| c.kind())
        .filter(|kind| spec.list == SslV2CipherList::All || hello.sslv2_cipher_kinds.contains(kind))
        .collect();
    if listed.is_empty() {
        // MSG-ERROR, NO-CIPHER-ERROR.
        return wire::sslv2_record(&[0, 0x00, 0x01]);
    }
    let certificate = &spec.certificate.chain()[0];
    let connection_id = crypto::random_bytes(16);
    let mut message = vec![4, 0, 1, 0x00, 0x02];
    message.extend_from_slice(&(certificate.len() as u16).to_be_bytes());
    message.extend_from_slice(&((listed.len() * 3) as u16).to_be_bytes());
    message.extend_from_slice(&(connection_id.len() as u16).to_be_bytes());
    message.extend_from_slice(certificate);
    for kind in listed {
        message.extend_from_slice(&kind.to_be_bytes()[1..]);
    }
    message.extend_from_slice(&connection_id);
    wire::sslv2_record(&message)
}
