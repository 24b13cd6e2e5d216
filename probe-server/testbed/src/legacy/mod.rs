//! Responders that answer a ClientHello the way an old or vulnerable server does, for what
//! Debian can no longer serve: SSL 2.0, SSL 3.0, export suites (FREAK, Logjam), TLS
//! compression (CRIME), Heartbleed, CCS injection, insecure renegotiation, and any suite list
//! or preference order.
//!
//! They are written byte by byte from the RFCs (the `wire` module has the framing), independent of the
//! probe's own codec, and go exactly as far as a scanner's probes go: they read the
//! ClientHello, send the server's first flight (ServerHello, Certificate, ServerKeyExchange,
//! ServerHelloDone) with real signatures, and then answer the follow-ups probes send before
//! key exchange completes (an early ChangeCipherSpec, a heartbeat request). **They never
//! finish a handshake**: after the client's ChangeCipherSpec that follows its
//! ClientKeyExchange, the next record (the encrypted Finished) gets a fatal `bad_record_mac`,
//! which is what a real server says to a Finished it cannot verify. With RSA key exchange a
//! responder may also be a Bleichenbacher padding oracle (ROBOT, [`RsaPadding`]).
//!
//! [`LegacyServer`] is the engine; [`LegacyServerSpec`]'s constructors are the presets
//! (`sslv3_only`, `export`, `heartbleed`, …), whose public fields can then be changed.
//! [`SslV2Server`] is separate: SSL 2.0 shares nothing with TLS on the wire.
//!
//! Each server runs on a thread of its own, listens on 127.0.0.1:0, counts its connections,
//! bounds each connection's lifetime, and stops when dropped.

pub(crate) mod hello;
mod sslv2;
pub mod suites;
pub(crate) mod wire;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use num_bigint::BigUint;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::background::Background;
use crate::crypto::{self, EcKey, Hash, PrivateKey, RsaKey};
use crate::dh::DhGroup;
use crate::error::{Result, TestbedError};
use crate::pki::Leaf;
use crate::version::ProtocolVersion;

pub use sslv2::{SslV2Cipher, SslV2CipherList, SslV2Server, SslV2Spec};
pub use suites::{KeyExchange, SuiteInfo};

use hello::{ClientHello, FirstMessage};
use suites::{EMPTY_RENEGOTIATION_INFO_SCSV, FALLBACK_SCSV};
use wire::{alert, content, ext, handshake};

/// A certificate chain and its private key, as the responders serve them.
#[derive(Clone, Debug)]
pub struct ServerCertificate {
    chain: Vec<Vec<u8>>,
    key: PrivateKey,
}

impl ServerCertificate {
    /// The leaf's chain file (leaf first) and its PKCS#8 key (RSA, or EC P-256/P-384).
    pub fn from_leaf(leaf: &Leaf) -> Result<Self> {
        Self::from_chain_file(&leaf.chain_pem, leaf.key_der.secret_pkcs8_der())
    }

    /// A PEM chain file (leaf first) and a PKCS#8 DER key.
    pub fn from_chain_file(chain_pem: &Path, pkcs8_key: &[u8]) -> Result<Self> {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        let chain = CertificateDer::pem_file_iter(chain_pem)
            .map_err(|e| TestbedError::Config(format!("{}: {e}", chain_pem.display())))?
            .map(|c| c.map(|c| c.to_vec()))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| TestbedError::Config(format!("{}: {e}", chain_pem.display())))?;
        Self::from_der(chain, pkcs8_key)
    }

    /// DER certificates (leaf first) and a PKCS#8 DER key.
    pub fn from_der(chain: Vec<Vec<u8>>, pkcs8_key: &[u8]) -> Result<Self> {
        if chain.is_empty() {
            return Err(TestbedError::Config("empty certificate chain".into()));
        }
        Ok(Self {
            chain,
            key: PrivateKey::from_pkcs8(pkcs8_key)?,
        })
    }

    /// Whether the key is RSA (else ECDSA).
    pub fn is_rsa(&self) -> bool {
        matches!(self.key, PrivateKey::Rsa(_))
    }

    /// The certificates, leaf first.
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    pub(crate) fn rsa_key(&self) -> Option<&RsaKey> {
        match &self.key {
            PrivateKey::Rsa(key) => Some(key),
            PrivateKey::Ec(_) => None,
        }
    }
}

/// Whose order picks the suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuitePreference {
    /// The first of the server's suites that the client offers.
    Server,
    /// The first of the client's suites that the server accepts.
    Client,
}

/// Named groups for ECDHE (RFC 8422 §5.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamedCurve {
    /// secp256r1, 23.
    Secp256r1,
    /// secp384r1, 24.
    Secp384r1,
    /// x25519, 29 (RFC 8422 §5.1.1; any 32 bytes are a valid public value).
    X25519,
}

impl NamedCurve {
    /// The code point.
    pub fn id(self) -> u16 {
        match self {
            Self::Secp256r1 => 23,
            Self::Secp384r1 => 24,
            Self::X25519 => 29,
        }
    }

    fn from_id(id: u16) -> Option<Self> {
        [Self::Secp256r1, Self::Secp384r1, Self::X25519]
            .into_iter()
            .find(|c| c.id() == id)
    }

    /// A fresh public value.
    fn public_value(self) -> Vec<u8> {
        match self {
            Self::Secp256r1 => EcKey::generate(crypto::Curve::P256).public_point(),
            Self::Secp384r1 => EcKey::generate(crypto::Curve::P384).public_point(),
            Self::X25519 => crypto::random_bytes(32),
        }
    }
}

/// TLS compression (RFC 3749).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Always select null (0): patched against CRIME.
    NullOnly,
    /// Select DEFLATE (1) whenever the client offers it: vulnerable to CRIME.
    Deflate,
}

/// Renegotiation indication (RFC 5746).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Renegotiation {
    /// Echo an empty `renegotiation_info` when the client sends the extension or
    /// TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.6): patched.
    Secure,
    /// Never send `renegotiation_info`, whatever the client sends: a pre-2010 server,
    /// vulnerable to CVE-2009-3555.
    Insecure,
}

/// TLS_FALLBACK_SCSV (RFC 7507).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FallbackScsv {
    /// Answer a fallback hello below the server's best version with a fatal
    /// `inappropriate_fallback` (86) alert (RFC 7507 §3).
    Honour,
    /// Ignore the SCSV (a server from before 2014).
    Ignore,
}

/// The heartbeat extension (RFC 6520).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heartbeat {
    /// No heartbeat support: no extension, a heartbeat record gets `unexpected_message`.
    Off,
    /// Negotiates heartbeat and answers a request with a response of the *announced*
    /// `payload_length`, filled past the real payload with bytes of "memory" (Heartbleed,
    /// CVE-2014-0160), as OpenSSL 1.0.1–1.0.1f did: in records of at most 2^14 bytes.
    Vulnerable,
    /// Negotiates heartbeat, echoes well-formed requests, and silently discards a request
    /// whose `payload_length` exceeds what it carries (RFC 6520 §4).
    Patched,
}

/// What happens to a ChangeCipherSpec that arrives before the ClientKeyExchange
/// (CVE-2014-0224, "CCS injection").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EarlyCcs {
    /// Fatal `unexpected_message` (10) alert: patched.
    Reject,
    /// Accepted without a word, as OpenSSL before 1.0.1h did; the keys are then derived from
    /// an empty master secret, so the next record the client sends fails to decrypt and gets a
    /// fatal `bad_record_mac` (20) alert.
    Accept,
}

/// What an RSA ClientKeyExchange with bad PKCS#1 v1.5 padding gets (ROBOT, CVE-2017-13099).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RsaPadding {
    /// As RFC 5246 §7.4.7.1 says: a bad block is replaced by a random premaster secret and
    /// the handshake goes on, so every key exchange ends alike, at the Finished.
    Uniform,
    /// A strong oracle, as in the ROBOT paper: a block not starting with `00 02` gets a fatal
    /// `decrypt_error` at once; any other goes on to the Finished.
    Oracle,
    /// Like `Oracle`, but only on every other such connection, as a load-balanced pool in
    /// which one member is vulnerable: the answers do not repeat.
    Flaky,
}

/// How a server refuses a hello for its form rather than what it asks (SSL Labs' "Protocol
/// details" intolerances), as real stacks do; the probe must retry with a plainer hello.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intolerance {
    /// Answers every well-formed hello.
    None,
    /// A fatal `decode_error` for a hello offering more than this many suites (wolfSSL's
    /// limit is 150: `WOLFSSL_MAX_SUITE_SZ` 300 bytes).
    SuiteCount(usize),
    /// Closes the connection without a word when the hello asks for OCSP stapling
    /// (status_request), as some wolfSSL and appliance configurations do.
    StatusRequest,
    /// Closes the connection when the hello's body is longer than this many bytes (the
    /// 255/511-byte limits of old appliances).
    LongHello(usize),
    /// Closes the connection without an alert when it refuses a hello (no common version or
    /// suite), as JSSE does to a hello offering only suites its certificate cannot serve.
    SilentRefusal,
    /// Closes the connection on a hello whose version is above TLS 1.2 (legacy_version
    /// 0x0304 or more, or 0x0304+ in supported_versions) instead of answering with the best
    /// version it has: the version intolerance that made browsers fall back.
    VersionIntolerance,
    /// A fatal `decode_error` for any hello that carries extensions (an SSL 3.0-era stack).
    ExtensionIntolerance,
    /// A fatal `unrecognized_name` for a hello whose server_name is not this one.
    SniAlert(&'static str),
    /// Answers a hello offering TLS 1.3 with a HelloRetryRequest naming a group the client did
    /// not offer (a server bug every TLS 1.3 client must abort on, RFC 8446 4.1.4).
    HrrUnofferedGroup,
    /// Picks its suites without regard to the negotiated version: a TLS 1.0 or 1.1 hello
    /// that offers a TLS 1.2-only suite (AES-GCM) gets it.
    WrongVersionSuite,
}

/// How a [`LegacyServer`] behaves.
#[derive(Clone, Debug)]
pub struct LegacyServerSpec {
    /// The versions it accepts (SSL 3.0 to TLS 1.2). It answers a newer hello with the best
    /// of these not above the client's version, as a server that knows nothing newer does.
    pub versions: Vec<ProtocolVersion>,
    /// The suites it accepts, in its preference order (IANA codes; see [`suites::SUITES`]).
    pub cipher_suites: Vec<u16>,
    /// Whose order picks the suite.
    pub preference: SuitePreference,
    /// Certificates: an RSA one for RSA/DHE/ECDHE_RSA/export suites, an ECDSA one for
    /// ECDHE_ECDSA suites. Suites without a fitting certificate are never chosen.
    pub certificates: Vec<ServerCertificate>,
    /// The group for DHE (and DH_anon) suites.
    pub dhe_group: DhGroup,
    /// The group for DHE_EXPORT suites (at most 512 bits to be honest export).
    pub export_dhe_group: DhGroup,
    /// ECDHE curves in preference order.
    pub curves: Vec<NamedCurve>,
    /// TLS compression.
    pub compression: Compression,
    /// RFC 5746 behaviour.
    pub renegotiation: Renegotiation,
    /// RFC 7507 behaviour.
    pub fallback_scsv: FallbackScsv,
    /// RFC 6520 behaviour.
    pub heartbeat: Heartbeat,
    /// CVE-2014-0224 behaviour.
    pub early_ccs: EarlyCcs,
    /// ROBOT behaviour (RSA key-exchange suites only).
    pub rsa_padding: RsaPadding,
    /// How long one connection may last.
    pub connection_lifetime: Duration,
    /// Hellos it refuses for their form.
    pub intolerance: Intolerance,
}

impl LegacyServerSpec {
    /// A TLS 1.0–1.2 server of about 2015 with a typical suite list in server order, secure
    /// renegotiation, TLS_FALLBACK_SCSV honoured, no heartbeat, CCS injection patched.
    pub fn new(certificate: ServerCertificate) -> Self {
        Self {
            versions: vec![
                ProtocolVersion::Tls10,
                ProtocolVersion::Tls11,
                ProtocolVersion::Tls12,
            ],
            cipher_suites: vec![
                0xc02f, 0xc02b, 0xc030, 0xc02c, 0x009e, 0xc013, 0xc009, 0xc014, 0xc00a, 0x0033,
                0x0039, 0x009c, 0x002f, 0x0035, 0x000a,
            ],
            preference: SuitePreference::Server,
            certificates: vec![certificate],
            dhe_group: DhGroup::Ffdhe2048,
            export_dhe_group: DhGroup::Export512,
            curves: vec![
                NamedCurve::X25519,
                NamedCurve::Secp256r1,
                NamedCurve::Secp384r1,
            ],
            compression: Compression::NullOnly,
            renegotiation: Renegotiation::Secure,
            fallback_scsv: FallbackScsv::Honour,
            heartbeat: Heartbeat::Off,
            early_ccs: EarlyCcs::Reject,
            rsa_padding: RsaPadding::Uniform,
            connection_lifetime: Duration::from_secs(30),
            intolerance: Intolerance::None,
        }
    }

    /// An SSL 3.0-only server (RFC 6101): AES128-SHA, AES256-SHA, DES-CBC3-SHA, RC4-SHA,
    /// RC4-MD5 in that order, no extensions at all (no RFC 5746). Needs an RSA certificate.
    /// It answers any newer hello with SSL 3.0.
    pub fn sslv3_only(certificate: ServerCertificate) -> Self {
        Self {
            versions: vec![ProtocolVersion::Ssl3],
            cipher_suites: vec![0x002f, 0x0035, 0x000a, 0x0005, 0x0004],
            renegotiation: Renegotiation::Insecure,
            fallback_scsv: FallbackScsv::Ignore,
            ..Self::new(certificate)
        }
    }

    /// SSL 3.0 through TLS 1.2 (the POODLE set-up), with TLS_FALLBACK_SCSV honoured or
    /// ignored: a client falling back to SSL 3.0 with the SCSV gets `inappropriate_fallback`
    /// from the honouring one.
    pub fn sslv3_and_tls(certificate: ServerCertificate, fallback_scsv: FallbackScsv) -> Self {
        let mut spec = Self::new(certificate);
        spec.versions.insert(0, ProtocolVersion::Ssl3);
        spec.cipher_suites.extend([0x0005, 0x0004]);
        spec.fallback_scsv = fallback_scsv;
        spec
    }

    /// A TLS 1.0 (and SSL 3.0) server of the 1990s: export suites first (EXP-RC4-MD5,
    /// EXP-RC2-CBC-MD5, EXP-DES-CBC-SHA, EXP-EDH-RSA-DES-CBC-SHA), then DHE and RSA ones;
    /// RSA_EXPORT sends a 512-bit RSA key (FREAK), DHE_EXPORT a 512-bit group (Logjam),
    /// plain DHE `dhe_group` (1024-bit Oakley group 2 here). Needs an RSA certificate.
    pub fn export(certificate: ServerCertificate) -> Self {
        Self {
            versions: vec![ProtocolVersion::Ssl3, ProtocolVersion::Tls10],
            cipher_suites: vec![
                0x0003, 0x0006, 0x0008, 0x0014, 0x0033, 0x0016, 0x002f, 0x000a, 0x0005,
            ],
            dhe_group: DhGroup::Oakley1024,
            renegotiation: Renegotiation::Insecure,
            fallback_scsv: FallbackScsv::Ignore,
            ..Self::new(certificate)
        }
    }

    /// TLS 1.0–1.2 that selects DEFLATE compression when offered (CRIME).
    pub fn compression(certificate: ServerCertificate) -> Self {
        Self {
            compression: Compression::Deflate,
            ..Self::new(certificate)
        }
    }

    /// TLS 1.0–1.2 with heartbeat, vulnerable to Heartbleed or patched.
    pub fn heartbleed(certificate: ServerCertificate, vulnerable: bool) -> Self {
        Self {
            heartbeat: if vulnerable {
                Heartbeat::Vulnerable
            } else {
                Heartbeat::Patched
            },
            ..Self::new(certificate)
        }
    }

    /// TLS 1.0–1.2 that accepts an early ChangeCipherSpec (vulnerable) or rejects it.
    pub fn ccs_injection(certificate: ServerCertificate, vulnerable: bool) -> Self {
        Self {
            early_ccs: if vulnerable {
                EarlyCcs::Accept
            } else {
                EarlyCcs::Reject
            },
            ..Self::new(certificate)
        }
    }

    /// TLS 1.0–1.2 with RSA key exchange only (AES128-SHA, AES256-SHA, AES128-GCM-SHA256),
    /// answering bad PKCS#1 padding as `rsa_padding` says (ROBOT).
    pub fn robot(certificate: ServerCertificate, rsa_padding: RsaPadding) -> Self {
        Self {
            cipher_suites: vec![0x009c, 0x002f, 0x0035],
            rsa_padding,
            ..Self::new(certificate)
        }
    }

    /// TLS 1.0–1.2 without RFC 5746 (`secure: false`) or with it.
    pub fn renegotiation(certificate: ServerCertificate, secure: bool) -> Self {
        Self {
            renegotiation: if secure {
                Renegotiation::Secure
            } else {
                Renegotiation::Insecure
            },
            ..Self::new(certificate)
        }
    }

    /// Checks what cannot be served.
    fn validate(&self) -> Result<()> {
        if self.versions.is_empty() {
            return Err(TestbedError::Config("no protocol version enabled".into()));
        }
        if let Some(v) = self
            .versions
            .iter()
            .find(|v| !(ProtocolVersion::Ssl3..=ProtocolVersion::Tls12).contains(*v))
        {
            return Err(TestbedError::Config(format!(
                "the legacy TLS responder serves SSL 3.0 to TLS 1.2, not {v} \
                 (SSL 2.0: SslV2Server; TLS 1.3: OpensslServer or TlsServer)"
            )));
        }
        if let Some(id) = self
            .cipher_suites
            .iter()
            .find(|id| suites::suite(**id).is_none())
        {
            return Err(TestbedError::Config(format!(
                "unknown cipher suite {id:#06x} (see legacy::suites::SUITES)"
            )));
        }
        if self.certificates.is_empty() {
            return Err(TestbedError::Config("no certificate".into()));
        }
        Ok(())
    }
}

/// A running legacy TLS responder on 127.0.0.1. Dropping it stops it.
#[derive(Debug)]
pub struct LegacyServer {
    background: Background,
}

impl LegacyServer {
    /// Starts serving `spec` on 127.0.0.1:0. Works from sync and async code alike.
    pub fn start(spec: LegacyServerSpec) -> Result<Self> {
        spec.validate()?;
        let lifetime = spec.connection_lifetime;
        let spec = Arc::new(spec);
        let background = Background::start("legacy-tls", lifetime, move |stream| {
            let spec = spec.clone();
            async move {
                serve_connection(stream, &spec).await;
            }
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

async fn serve_connection(mut stream: TcpStream, spec: &LegacyServerSpec) {
    let _ = serve(&mut stream, spec).await;
    let _ = stream.shutdown().await;
}

/// How many records a connection may send after the hello before the responder hangs up.
const MAX_RECORDS: usize = 256;

async fn serve(stream: &mut TcpStream, spec: &LegacyServerSpec) -> std::io::Result<()> {
    // The first message; heartbeats may come before it (bounded).
    let mut hello = None;
    for _ in 0..MAX_RECORDS {
        match hello::read_first(stream).await? {
            FirstMessage::Hello(h) => {
                hello = Some(h);
                break;
            }
            FirstMessage::Record(record) if record.content_type == content::HEARTBEAT => {
                if spec.heartbeat == Heartbeat::Off {
                    let reply =
                        wire::alert_record(record.version, alert::FATAL, alert::UNEXPECTED_MESSAGE);
                    return wire::send(stream, &reply).await;
                }
                if let Some(reply) =
                    heartbeat_reply(spec.heartbeat, false, record.version, &record.fragment)
                {
                    wire::send(stream, &reply).await?;
                }
            }
            FirstMessage::Malformed => {
                let reply = wire::alert_record(0x0301, alert::FATAL, alert::DECODE_ERROR);
                return wire::send(stream, &reply).await;
            }
            FirstMessage::Record(_) | FirstMessage::Garbage | FirstMessage::Closed => {
                return Ok(());
            }
        }
    }
    let Some(hello) = hello else { return Ok(()) };
    match spec.intolerance {
        Intolerance::SuiteCount(most) if hello.cipher_suites.len() > most => {
            let reply = wire::alert_record(0x0303, alert::FATAL, alert::DECODE_ERROR);
            return wire::send(stream, &reply).await;
        }
        Intolerance::StatusRequest if hello.extension(ext::STATUS_REQUEST).is_some() => {
            return Ok(());
        }
        Intolerance::LongHello(most) if hello.length > most => return Ok(()),
        Intolerance::VersionIntolerance
            if hello.version > 0x0303 || offered_versions(&hello).iter().any(|v| *v > 0x0303) =>
        {
            return Ok(());
        }
        Intolerance::ExtensionIntolerance if !hello.extensions.is_empty() => {
            let reply = wire::alert_record(0x0301, alert::FATAL, alert::DECODE_ERROR);
            return wire::send(stream, &reply).await;
        }
        Intolerance::SniAlert(known)
            if hello
                .extension(ext::SERVER_NAME)
                .is_some_and(|body| !body.ends_with(known.as_bytes())) =>
        {
            let reply = wire::alert_record(0x0303, alert::FATAL, alert::UNRECOGNIZED_NAME);
            return wire::send(stream, &reply).await;
        }
        Intolerance::HrrUnofferedGroup if offered_versions(&hello).contains(&0x0304) => {
            return wire::send(stream, &unoffered_group_retry(&hello)).await;
        }
        _ => {}
    }
    let negotiated = match negotiate(&hello, spec) {
        Ok(negotiated) => negotiated,
        Err(_) if spec.intolerance == Intolerance::SilentRefusal => return Ok(()),
        Err((version, description)) => {
            let reply = wire::alert_record(version, alert::FATAL, description);
            return wire::send(stream, &reply).await;
        }
    };
    let version = negotiated.version.wire();
    wire::send(stream, &server_flight(&hello, spec, &negotiated)).await?;

    // The follow-ups a probe sends before key exchange completes.
    let heartbeat_negotiated =
        spec.heartbeat != Heartbeat::Off && hello.extension(ext::HEARTBEAT).is_some();
    let mut key_exchange_seen = false;
    let mut early_ccs_accepted = false;
    let mut ccs_seen = false;
    for _ in 0..MAX_RECORDS {
        let Some(record) = wire::read_record(stream).await? else {
            return Ok(());
        };
        if early_ccs_accepted {
            // Everything now "decrypts" under keys from an empty master secret: it fails.
            let reply = wire::alert_record(version, alert::FATAL, alert::BAD_RECORD_MAC);
            return wire::send(stream, &reply).await;
        }
        if ccs_seen {
            // The client's encrypted Finished: the responder cannot verify it.
            let reply = wire::alert_record(version, alert::FATAL, alert::BAD_RECORD_MAC);
            return wire::send(stream, &reply).await;
        }
        match record.content_type {
            content::HEARTBEAT if spec.heartbeat != Heartbeat::Off => {
                if let Some(reply) = heartbeat_reply(
                    spec.heartbeat,
                    heartbeat_negotiated,
                    version,
                    &record.fragment,
                ) {
                    wire::send(stream, &reply).await?;
                }
            }
            content::CHANGE_CIPHER_SPEC if !key_exchange_seen => match spec.early_ccs {
                EarlyCcs::Accept => early_ccs_accepted = true,
                EarlyCcs::Reject => {
                    let reply =
                        wire::alert_record(version, alert::FATAL, alert::UNEXPECTED_MESSAGE);
                    return wire::send(stream, &reply).await;
                }
            },
            content::CHANGE_CIPHER_SPEC => ccs_seen = true,
            content::HANDSHAKE => {
                if record.fragment.first() == Some(&handshake::CLIENT_KEY_EXCHANGE) {
                    key_exchange_seen = true;
                    if padding_oracle_fires(spec, &negotiated, &record.fragment) {
                        let reply = wire::alert_record(version, alert::FATAL, alert::DECRYPT_ERROR);
                        return wire::send(stream, &reply).await;
                    }
                }
            }
            content::ALERT => return Ok(()),
            _ => {
                let reply = wire::alert_record(version, alert::FATAL, alert::UNEXPECTED_MESSAGE);
                return wire::send(stream, &reply).await;
            }
        }
    }
    Ok(())
}

/// Whether a ClientKeyExchange `message` (the whole handshake message) gets the oracle's
/// early alert: an RSA key exchange whose block does not start with `00 02`, on a server
/// whose [`RsaPadding`] tells.
fn padding_oracle_fires(spec: &LegacyServerSpec, n: &Negotiated<'_>, message: &[u8]) -> bool {
    static FLAKY: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    if spec.rsa_padding == RsaPadding::Uniform || n.suite.kx != KeyExchange::Rsa {
        return false;
    }
    let Some(key) = n.certificate.and_then(ServerCertificate::rsa_key) else {
        return false;
    };
    // handshake header (4), then for TLS the 2-byte length (SSL 3.0 has none).
    let skip = if n.version > ProtocolVersion::Ssl3 {
        6
    } else {
        4
    };
    let Some(encrypted) = message.get(skip..) else {
        return false;
    };
    let block = key.decrypt_raw(encrypted);
    let bad = block.get(..2) != Some(&[0x00, 0x02][..]);
    match spec.rsa_padding {
        RsaPadding::Oracle => bad,
        RsaPadding::Flaky => {
            bad && FLAKY
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                .is_multiple_of(2)
        }
        RsaPadding::Uniform => false,
    }
}

/// What the server settled on for a hello.
#[derive(Debug)]
struct Negotiated<'a> {
    version: ProtocolVersion,
    suite: &'static SuiteInfo,
    certificate: Option<&'a ServerCertificate>,
    curve: Option<NamedCurve>,
    compression: u8,
    extensions: Vec<(u16, Vec<u8>)>,
}

/// Picks version, suite, certificate, curve, compression and extensions, or the alert
/// (record version, description) that refuses the hello.
fn negotiate<'a>(
    hello: &ClientHello,
    spec: &'a LegacyServerSpec,
) -> std::result::Result<Negotiated<'a>, (u16, u8)> {
    let lowest = spec
        .versions
        .iter()
        .min()
        .copied()
        .unwrap_or(ProtocolVersion::Tls10);
    let highest = spec
        .versions
        .iter()
        .max()
        .copied()
        .unwrap_or(ProtocolVersion::Tls12);
    // RFC 5246 E.1: the highest version the server supports that is not above the client's.
    let Some(version) = spec
        .versions
        .iter()
        .copied()
        .filter(|v| v.wire() <= hello.version)
        .max()
    else {
        return Err((lowest.wire(), alert::PROTOCOL_VERSION));
    };
    // RFC 7507 §3.
    if spec.fallback_scsv == FallbackScsv::Honour
        && hello.offers(FALLBACK_SCSV)
        && highest.wire() > hello.version
    {
        return Err((version.wire(), alert::INAPPROPRIATE_FALLBACK));
    }
    let failure = (version.wire(), alert::HANDSHAKE_FAILURE);
    // RFC 5746 §3.6: an initial hello's renegotiation_info must be empty.
    if spec.renegotiation == Renegotiation::Secure
        && hello
            .extension(ext::RENEGOTIATION_INFO)
            .is_some_and(|body| body != [0])
    {
        return Err(failure);
    }

    let rsa = spec.certificates.iter().find(|c| c.is_rsa());
    let ecdsa = spec.certificates.iter().find(|c| !c.is_rsa());
    let client_curves: Vec<NamedCurve> = match hello.u16_list(ext::SUPPORTED_GROUPS) {
        Some(ids) => ids.into_iter().filter_map(NamedCurve::from_id).collect(),
        // RFC 4492 §4: without the extension the server may choose any curve.
        None => spec.curves.clone(),
    };
    let curve = spec
        .curves
        .iter()
        .copied()
        .find(|c| client_curves.contains(c));
    let usable = |id: u16| -> Option<(&'static SuiteInfo, Option<&'a ServerCertificate>)> {
        let suite = suites::suite(id)?;
        let ignores_versions = spec.intolerance == Intolerance::WrongVersionSuite;
        if !ignores_versions && (version < suite.min || version > suite.max) {
            return None;
        }
        let certificate = match suite.kx {
            KeyExchange::EcdheEcdsa => Some(ecdsa?),
            kx if kx.needs_rsa_cert() => Some(rsa?),
            _ => None,
        };
        if matches!(suite.kx, KeyExchange::EcdheRsa | KeyExchange::EcdheEcdsa) && curve.is_none() {
            return None;
        }
        Some((suite, certificate))
    };
    let chosen = match spec.preference {
        SuitePreference::Server => spec
            .cipher_suites
            .iter()
            .filter(|id| hello.offers(**id))
            .find_map(|id| usable(*id)),
        SuitePreference::Client => hello
            .cipher_suites
            .iter()
            .filter(|id| spec.cipher_suites.contains(id))
            .find_map(|id| usable(*id)),
    };
    let Some((suite, certificate)) = chosen else {
        return Err(failure);
    };
    let ecdhe = matches!(suite.kx, KeyExchange::EcdheRsa | KeyExchange::EcdheEcdsa);

    let compression =
        if spec.compression == Compression::Deflate && hello.compression_methods.contains(&1) {
            1
        } else if hello.compression_methods.contains(&0) {
            0
        } else {
            return Err(failure);
        };

    // Only extensions the client offered may come back (RFC 5246 §7.4.1.4).
    let mut extensions = Vec::new();
    if spec.renegotiation == Renegotiation::Secure
        && (hello.extension(ext::RENEGOTIATION_INFO).is_some()
            || hello.offers(EMPTY_RENEGOTIATION_INFO_SCSV))
    {
        // RFC 5746 §3.6: an empty renegotiated_connection.
        extensions.push((ext::RENEGOTIATION_INFO, vec![0]));
    }
    if ecdhe && hello.extension(ext::EC_POINT_FORMATS).is_some() {
        // RFC 4492 §5.2: ec_point_format_list with "uncompressed" only.
        extensions.push((ext::EC_POINT_FORMATS, vec![1, 0]));
    }
    if spec.heartbeat != Heartbeat::Off && hello.extension(ext::HEARTBEAT).is_some() {
        // RFC 6520 §2: peer_allowed_to_send (1).
        extensions.push((ext::HEARTBEAT, vec![1]));
    }
    Ok(Negotiated {
        version,
        suite,
        certificate,
        curve: curve.filter(|_| ecdhe),
        compression,
        extensions,
    })
}

/// The versions of a hello's supported_versions (RFC 8446 4.2.1: a u8-prefixed list).
fn offered_versions(hello: &ClientHello) -> Vec<u16> {
    hello
        .extension(ext::SUPPORTED_VERSIONS)
        .and_then(|body| body.get(1..))
        .map(|list| {
            list.chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect()
        })
        .unwrap_or_default()
}

/// A HelloRetryRequest (RFC 8446 4.1.4) for the first offered TLS 1.3 suite, naming a group
/// the hello's supported_groups does not list.
fn unoffered_group_retry(hello: &ClientHello) -> Vec<u8> {
    const HRR_RANDOM: [u8; 32] = [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8,
        0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8,
        0x33, 0x9C,
    ];
    let offered = hello.u16_list(ext::SUPPORTED_GROUPS).unwrap_or_default();
    let group = [0x0018, 0x0017, 0x001d, 0x0019, 0x001e, 0x0100, 0x0104]
        .into_iter()
        .find(|g| !offered.contains(g))
        .unwrap_or(0x0a0a);
    let suite = hello
        .cipher_suites
        .iter()
        .copied()
        .find(|s| s >> 8 == 0x13)
        .unwrap_or(0x1301);
    let mut body = Vec::new();
    wire::put_u16(&mut body, 0x0303);
    body.extend_from_slice(&HRR_RANDOM);
    wire::put_vec8(&mut body, &hello.session_id);
    wire::put_u16(&mut body, suite);
    body.push(0);
    let mut exts = Vec::new();
    wire::put_u16(&mut exts, ext::SUPPORTED_VERSIONS);
    wire::put_vec16(&mut exts, &0x0304u16.to_be_bytes());
    wire::put_u16(&mut exts, ext::KEY_SHARE);
    wire::put_vec16(&mut exts, &group.to_be_bytes());
    wire::put_vec16(&mut body, &exts);
    wire::records(
        content::HANDSHAKE,
        0x0303,
        &wire::handshake_message(handshake::SERVER_HELLO, &body),
    )
}

/// ServerHello, Certificate, ServerKeyExchange (when the suite has one), ServerHelloDone, as
/// handshake records of the negotiated version.
fn server_flight(hello: &ClientHello, spec: &LegacyServerSpec, n: &Negotiated<'_>) -> Vec<u8> {
    let version = n.version.wire();
    // Random bytes only: these servers know no TLS 1.3, so no downgrade sentinel (RFC 8446
    // §4.1.3) belongs in them.
    let server_random = crypto::random_bytes(32);

    // RFC 5246 §7.4.1.3 / RFC 6101 §5.6.1.3.
    let mut body = Vec::new();
    wire::put_u16(&mut body, version);
    body.extend_from_slice(&server_random);
    wire::put_vec8(&mut body, &crypto::random_bytes(32));
    wire::put_u16(&mut body, n.suite.id);
    body.push(n.compression);
    if !n.extensions.is_empty() {
        let mut exts = Vec::new();
        for (kind, data) in &n.extensions {
            wire::put_u16(&mut exts, *kind);
            wire::put_vec16(&mut exts, data);
        }
        wire::put_vec16(&mut body, &exts);
    }
    let mut flight = wire::handshake_message(handshake::SERVER_HELLO, &body);

    if let Some(certificate) = n.certificate {
        flight.extend(certificate_message(certificate.chain()));
    }
    if let Some(ske) = server_key_exchange(hello, spec, n, &server_random) {
        flight.extend(wire::handshake_message(
            handshake::SERVER_KEY_EXCHANGE,
            &ske,
        ));
    }
    flight.extend(wire::handshake_message(handshake::SERVER_HELLO_DONE, &[]));
    wire::records(content::HANDSHAKE, version, &flight)
}

/// A Certificate message (RFC 5246 §7.4.2): `ASN.1Cert certificate_list<0..2^24-1>`.
pub(crate) fn certificate_message(chain: &[Vec<u8>]) -> Vec<u8> {
    let mut list = Vec::new();
    for cert in chain {
        wire::put_vec24(&mut list, cert);
    }
    let mut body = Vec::new();
    wire::put_vec24(&mut body, &list);
    wire::handshake_message(handshake::CERTIFICATE, &body)
}

/// The 512-bit RSA key of RSA_EXPORT suites, made once per process.
fn export_rsa_key() -> &'static RsaKey {
    static KEY: OnceLock<RsaKey> = OnceLock::new();
    KEY.get_or_init(|| RsaKey::generate(512))
}

/// The ServerKeyExchange body (RFC 5246 §7.4.3, RFC 4492 §5.4), or none for this suite.
fn server_key_exchange(
    hello: &ClientHello,
    spec: &LegacyServerSpec,
    n: &Negotiated<'_>,
    server_random: &[u8],
) -> Option<Vec<u8>> {
    let mut params = Vec::new();
    match n.suite.kx {
        KeyExchange::Rsa => return None,
        KeyExchange::RsaExport => {
            // Sent only when the certificate's key is longer than 512 bits (RFC 2246 §7.4.3).
            let cert_key = n.certificate?.rsa_key()?;
            if cert_key.n.bits() <= 512 {
                return None;
            }
            let key = export_rsa_key();
            wire::put_vec16(&mut params, &key.n.to_bytes_be());
            wire::put_vec16(&mut params, &key.e.to_bytes_be());
        }
        KeyExchange::DheRsa | KeyExchange::DhAnon => dh_params(&mut params, spec.dhe_group),
        KeyExchange::DheRsaExport | KeyExchange::DhAnonExport => {
            dh_params(&mut params, spec.export_dhe_group);
        }
        KeyExchange::EcdheRsa | KeyExchange::EcdheEcdsa => {
            let curve = n.curve?;
            params.push(3); // ECCurveType named_curve
            wire::put_u16(&mut params, curve.id());
            wire::put_vec8(&mut params, &curve.public_value());
        }
    }
    if n.suite.kx.is_anonymous() {
        return Some(params);
    }
    let key = &n.certificate?.key;
    let mut signed = hello.random.to_vec();
    signed.extend_from_slice(server_random);
    signed.extend_from_slice(&params);
    let mut body = params;
    if n.version >= ProtocolVersion::Tls12 {
        // RFC 5246 §7.4.1.4.1: a SignatureAndHashAlgorithm the client listed; without the
        // extension, SHA-1.
        let (sig, hash_ids) = match key {
            PrivateKey::Rsa(_) => (1u8, [4u8, 5, 6, 2]),
            PrivateKey::Ec(_) => (3u8, [4u8, 5, 6, 2]),
        };
        let offered = hello
            .u16_list(ext::SIGNATURE_ALGORITHMS)
            .unwrap_or_else(|| vec![u16::from_be_bytes([2, sig])]);
        let hash_id = hash_ids
            .into_iter()
            .find(|h| offered.contains(&u16::from_be_bytes([*h, sig])))
            .unwrap_or(2);
        let hash = match hash_id {
            4 => Hash::Sha256,
            5 => Hash::Sha384,
            6 => Hash::Sha512,
            _ => Hash::Sha1,
        };
        body.extend_from_slice(&[hash_id, sig]);
        let signature = match key {
            PrivateKey::Rsa(rsa) => rsa.sign(hash, &signed),
            PrivateKey::Ec(ec) => ec.sign(hash, &signed),
        };
        wire::put_vec16(&mut body, &signature);
    } else {
        // SSL 3.0–TLS 1.1: RSA signs MD5 ‖ SHA-1 without DigestInfo (RFC 2246 §7.4.3,
        // RFC 6101 §5.6.3); ECDSA signs SHA-1 (RFC 4492 §5.4).
        let signature = match key {
            PrivateKey::Rsa(rsa) => {
                let mut digest = Hash::Md5.digest(&signed);
                digest.extend(Hash::Sha1.digest(&signed));
                rsa.sign_raw(&digest)
            }
            PrivateKey::Ec(ec) => ec.sign(Hash::Sha1, &signed),
        };
        wire::put_vec16(&mut body, &signature);
    }
    Some(body)
}

/// ServerDHParams (RFC 5246 §7.4.3): dh_p, dh_g, dh_Ys, each `opaque <1..2^16-1>`.
fn dh_params(out: &mut Vec<u8>, group: DhGroup) {
    let params = group.params();
    let secret = BigUint::from_bytes_be(&crypto::random_bytes(32));
    let public = params.g.modpow(&secret, &params.p);
    wire::put_vec16(out, &params.p.to_bytes_be());
    wire::put_vec16(out, &params.g.to_bytes_be());
    wire::put_vec16(out, &public.to_bytes_be());
}

/// The "memory" a vulnerable heartbeat reads past the payload: recognisable in tests.
pub const LEAKED_MEMORY_PATTERN: &[u8] = b"TESTBED-HEAP: session key 0123456789abcdef; ";

/// The answer to a heartbeat record (RFC 6520 §4), if any: `HeartbeatMessage { type,
/// payload_length, payload, padding }` with at least 16 bytes of padding.
fn heartbeat_reply(
    mode: Heartbeat,
    negotiated: bool,
    version: u16,
    fragment: &[u8],
) -> Option<Vec<u8>> {
    let mut r = wire::Reader::new(fragment);
    if r.u8()? != 1 {
        return None; // only requests are answered
    }
    let payload_length = usize::from(r.u16()?);
    let received = r.rest();
    let payload: Vec<u8> = match mode {
        Heartbeat::Off => return None,
        Heartbeat::Vulnerable => {
            // memcpy(bp, pl, payload_length): whatever follows the payload in memory.
            let mut memory = received.to_vec();
            while memory.len() < payload_length {
                memory.extend_from_slice(LEAKED_MEMORY_PATTERN);
            }
            memory.truncate(payload_length);
            memory
        }
        Heartbeat::Patched => {
            if !negotiated || 3 + payload_length + 16 > fragment.len() {
                return None; // "MUST be discarded silently"
            }
            received[..payload_length].to_vec()
        }
    };
    let mut message = vec![2]; // heartbeat_response
    wire::put_u16(&mut message, payload_length as u16);
    message.extend(payload);
    message.extend(crypto::random_bytes(16));
    Some(wire::records(content::HEARTBEAT, version, &message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello(version: u16, suites: &[u16]) -> ClientHello {
        ClientHello {
            version,
            cipher_suites: suites.to_vec(),
            compression_methods: vec![0],
            ..ClientHello::default()
        }
    }

    fn spec_without_cert() -> LegacyServerSpec {
        let cert = ServerCertificate {
            chain: vec![vec![0x30, 0]],
            key: PrivateKey::Rsa(export_rsa_key().clone()),
        };
        LegacyServerSpec::new(cert)
    }

    #[test]
    fn version_is_the_best_not_above_the_clients() {
        let spec = spec_without_cert();
        let n = negotiate(&hello(0x0304, &[0x002f]), &spec).expect("ok");
        assert_eq!(n.version, ProtocolVersion::Tls12);
        let n = negotiate(&hello(0x0302, &[0x002f]), &spec).expect("ok");
        assert_eq!(n.version, ProtocolVersion::Tls11);
        assert_eq!(
            negotiate(&hello(0x0300, &[0x002f]), &spec).err(),
            Some((0x0301, alert::PROTOCOL_VERSION))
        );
    }

    #[test]
    fn fallback_scsv_below_the_best_version_is_refused_when_honoured() {
        let mut spec = spec_without_cert();
        let fallback = hello(0x0302, &[0x002f, FALLBACK_SCSV]);
        assert_eq!(
            negotiate(&fallback, &spec).err(),
            Some((0x0302, alert::INAPPROPRIATE_FALLBACK))
        );
        assert!(negotiate(&hello(0x0303, &[0x002f, FALLBACK_SCSV]), &spec).is_ok());
        spec.fallback_scsv = FallbackScsv::Ignore;
        assert!(negotiate(&fallback, &spec).is_ok());
    }

    #[test]
    fn preference_decides_between_server_and_client_order() {
        let mut spec = spec_without_cert();
        spec.cipher_suites = vec![0x0035, 0x002f];
        let h = hello(0x0303, &[0x002f, 0x0035]);
        assert_eq!(negotiate(&h, &spec).expect("ok").suite.id, 0x0035);
        spec.preference = SuitePreference::Client;
        assert_eq!(negotiate(&h, &spec).expect("ok").suite.id, 0x002f);
    }

    #[test]
    fn suites_outside_their_versions_or_without_a_certificate_are_skipped() {
        let spec = LegacyServerSpec {
            cipher_suites: vec![0x009c, 0xc02b, 0x0003, 0x002f],
            versions: vec![ProtocolVersion::Tls10, ProtocolVersion::Tls11],
            ..spec_without_cert()
        };
        // GCM is TLS 1.2-only, ECDSA has no certificate, export is TLS 1.0 at most.
        let h = hello(0x0302, &[0x009c, 0xc02b, 0x0003, 0x002f]);
        assert_eq!(negotiate(&h, &spec).expect("ok").suite.id, 0x002f);
        let h = hello(0x0301, &[0x009c, 0xc02b, 0x0003, 0x002f]);
        assert_eq!(negotiate(&h, &spec).expect("ok").suite.id, 0x0003);
    }

    #[test]
    fn vulnerable_heartbeat_answers_the_announced_length() {
        let request = [1, 0x40, 0x00];
        let reply = heartbeat_reply(Heartbeat::Vulnerable, true, 0x0302, &request).expect("reply");
        // 3 + 16384 + 16 bytes, in two records.
        assert_eq!(&reply[..5], &[24, 3, 2, 0x40, 0x00]);
        assert_eq!(reply[5], 2);
        assert_eq!(&reply[6..8], &[0x40, 0x00]);
        assert_eq!(reply.len(), 3 + 0x4000 + 16 + 10);
        assert!(heartbeat_reply(Heartbeat::Patched, true, 0x0302, &request).is_none());
    }
}
