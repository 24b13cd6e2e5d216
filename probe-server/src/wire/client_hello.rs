//! The ClientHello, built byte by byte: every field the scanner may want to vary is a plain
//! public field, presets give a browser-like starting point, and nothing is checked against
//! what a "correct" client would send (sending the incorrect is part of the job).
//!
//! Also the SSL 2.0 CLIENT-HELLO (to probe SSLv2, optionally carrying TLS suites in their
//! 3-byte `0x00 XX YY` form, the way SSLv3/TLS clients once sent a v2-compatible hello).

use std::hash::{BuildHasher, Hasher};

use shared::ProtocolVersion;

use super::Encoder;
use super::extensions::{ClientExtension, KeyShareEntry, ext};
use super::handshake::{HandshakeType, encode_handshake};
use super::record::{ContentType, MAX_PLAINTEXT, encode_records, encode_ssl2_record};
use crate::iana::cipher_suites::TLS_EMPTY_RENEGOTIATION_INFO_SCSV;
use crate::iana::{groups::ids, signature_schemes};

/// How the hello is padded (RFC 7685 padding extension).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Padding {
    /// No padding extension.
    None,
    /// Work around the F5 BIG-IP bug (hellos of 256 to 511 bytes hang): when the
    /// ClientHello body would be in that range, pad it to 512 bytes, as OpenSSL and
    /// testssl.sh do. Otherwise no padding.
    #[default]
    F5Workaround,
    /// Pad the ClientHello body (without the 4-byte handshake header) to at least this
    /// many bytes.
    ToLength(usize),
}

/// A ClientHello. Build one with [`ClientHello::for_version`] and adjust fields or use the
/// `with_*` methods, then [`ClientHello::to_bytes`] for what goes on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    /// The version in the record header(s).
    pub record_version: u16,
    /// `legacy_version` (the `client_version` of TLS ≤ 1.2).
    pub legacy_version: u16,
    /// The client random.
    pub random: [u8; 32],
    /// The legacy session id (0 to 32 bytes; longer is sent as given).
    pub session_id: Vec<u8>,
    /// The offered cipher suites, SCSVs and GREASE included, in order.
    pub cipher_suites: Vec<u16>,
    /// The compression methods (0 null, 1 DEFLATE).
    pub compression_methods: Vec<u8>,
    /// The extensions, in order. An empty list with [`Self::omit_empty_extensions`]
    /// sends no extension block at all (SSL 3.0 style).
    pub extensions: Vec<ClientExtension>,
    /// Send no extension block when `extensions` is empty (instead of an empty block).
    pub omit_empty_extensions: bool,
    /// Padding policy, applied at encoding time (a `Padding` extension already in
    /// `extensions` is left alone).
    pub padding: Padding,
    /// The largest record fragment when encoding records (1..=2^14; smaller values split
    /// the hello over several records, which some servers cannot reassemble).
    pub record_fragment: usize,
}

/// A fresh 32-byte random. Not cryptographic: it only needs to differ between hellos.
pub fn random_bytes() -> [u8; 32] {
    let mut out = [0u8; 32];
    let state = std::collections::hash_map::RandomState::new();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let mut h = state.build_hasher();
        h.write_u128(nanos);
        h.write_usize(i);
        chunk.copy_from_slice(&h.finish().to_be_bytes());
    }
    out
}

/// The groups a browser-like hello offers in `supported_groups` for TLS 1.3.
pub const TLS13_GROUPS: &[u16] = &[
    ids::X25519_MLKEM768,
    ids::X25519,
    ids::SECP256R1,
    ids::SECP384R1,
    ids::SECP521R1,
    ids::X448,
    ids::FFDHE2048,
    ids::FFDHE3072,
    ids::FFDHE4096,
];

/// The groups offered for TLS ≤ 1.2 (ECDHE curves only; ffdhe groups are listed too so
/// that RFC 7919 servers pick one for DHE).
pub const TLS12_GROUPS: &[u16] = &[
    ids::X25519,
    ids::SECP256R1,
    ids::SECP384R1,
    ids::SECP521R1,
    ids::X448,
    0x001A, // brainpoolP256r1
    0x001B, // brainpoolP384r1
    0x001C, // brainpoolP512r1
    0x0016, // secp256k1
    0x0015, // secp224r1
    0x0013, // secp192r1
    ids::FFDHE2048,
    ids::FFDHE3072,
    ids::FFDHE4096,
    ids::FFDHE6144,
    ids::FFDHE8192,
];

impl ClientHello {
    /// A browser-like hello for `version` offering exactly `suites` (in that order).
    ///
    /// - TLS 1.3: record version 0x0301, legacy_version 0x0303, a 32-byte session id,
    ///   supported_versions `[0x0304]`, key shares for X25519MLKEM768 and x25519, groups,
    ///   signature algorithms, psk modes, EMS, status_request, SCT, session ticket.
    /// - TLS 1.2: the same minus the TLS 1.3 extensions, with renegotiation_info and the
    ///   wider group / signature lists that old servers need.
    /// - TLS 1.0 / 1.1: no signature_algorithms (RFC 5246 7.4.1.4.1), otherwise as 1.2.
    /// - SSL 3.0: no extensions at all, TLS_EMPTY_RENEGOTIATION_INFO_SCSV appended.
    /// - SSL 2.0: the SSL 3.0 hello; use [`Ssl2ClientHello`] to probe SSL 2.0.
    ///
    /// No server_name is set: add one with [`Self::with_server_name`].
    pub fn for_version(version: ProtocolVersion, suites: &[u16]) -> Self {
        let mut hello = Self {
            record_version: 0x0301,
            legacy_version: version.wire(),
            random: random_bytes(),
            session_id: Vec::new(),
            cipher_suites: suites.to_vec(),
            compression_methods: vec![0],
            extensions: Vec::new(),
            omit_empty_extensions: false,
            padding: Padding::F5Workaround,
            record_fragment: MAX_PLAINTEXT,
        };
        match version {
            ProtocolVersion::Ssl2 | ProtocolVersion::Ssl3 => {
                hello.record_version = 0x0300;
                hello.legacy_version = 0x0300;
                hello.omit_empty_extensions = true;
                hello.padding = Padding::None;
                if !hello
                    .cipher_suites
                    .contains(&TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
                {
                    hello.cipher_suites.push(TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
                }
            }
            ProtocolVersion::Tls10 | ProtocolVersion::Tls11 => {
                hello.extensions = vec![
                    ClientExtension::SupportedGroups(TLS12_GROUPS.to_vec()),
                    ClientExtension::EcPointFormats(vec![0]),
                    ClientExtension::RenegotiationInfo(Vec::new()),
                    ClientExtension::SessionTicket(Vec::new()),
                    ClientExtension::StatusRequest,
                    ClientExtension::ExtendedMasterSecret,
                ];
            }
            ProtocolVersion::Tls12 => {
                hello.extensions = vec![
                    ClientExtension::SupportedGroups(TLS12_GROUPS.to_vec()),
                    ClientExtension::EcPointFormats(vec![0]),
                    ClientExtension::SignatureAlgorithms(signature_schemes::EVERYTHING.to_vec()),
                    ClientExtension::RenegotiationInfo(Vec::new()),
                    ClientExtension::SessionTicket(Vec::new()),
                    ClientExtension::StatusRequest,
                    ClientExtension::ExtendedMasterSecret,
                    ClientExtension::SignedCertificateTimestamp,
                ];
            }
            ProtocolVersion::Tls13 => {
                hello.legacy_version = 0x0303;
                hello.session_id = random_bytes().to_vec();
                let shares = [ids::X25519_MLKEM768, ids::X25519]
                    .iter()
                    .filter_map(|g| KeyShareEntry::for_group(*g))
                    .collect();
                hello.extensions = vec![
                    ClientExtension::SupportedGroups(TLS13_GROUPS.to_vec()),
                    ClientExtension::EcPointFormats(vec![0]),
                    ClientExtension::SignatureAlgorithms(
                        signature_schemes::BROWSER_DEFAULT
                            .iter()
                            .chain(&[0x0807, 0x0808, 0x0603])
                            .copied()
                            .collect(),
                    ),
                    ClientExtension::RenegotiationInfo(Vec::new()),
                    ClientExtension::SessionTicket(Vec::new()),
                    ClientExtension::StatusRequest,
                    ClientExtension::ExtendedMasterSecret,
                    ClientExtension::SignedCertificateTimestamp,
                    ClientExtension::SupportedVersions(vec![0x0304]),
                    ClientExtension::PskKeyExchangeModes(vec![1]),
                    ClientExtension::KeyShare(shares),
                ];
            }
        }
        hello
    }

    /// The same hello with only what a question about versions and suites needs: no
    /// status_request, SCT, session ticket, EMS or ALPN; short group and signature lists and
    /// a single x25519 key share. The retry for servers that refuse a full hello because of
    /// its size, its extensions or an OCSP/SCT request (under 256 bytes with 64 suites).
    #[must_use]
    pub fn plain(mut self) -> Self {
        for typ in [
            ext::STATUS_REQUEST,
            ext::SCT,
            ext::SESSION_TICKET,
            ext::EXTENDED_MASTER_SECRET,
            ext::ALPN,
            ext::PADDING,
        ] {
            self.remove_extension(typ);
        }
        let tls13 = self.extension(ext::KEY_SHARE).is_some();
        let groups: &[u16] = &[ids::X25519, ids::SECP256R1, ids::SECP384R1, ids::SECP521R1];
        if self.extension(ext::SUPPORTED_GROUPS).is_some() {
            self = self.with_groups(groups, 1);
        }
        if self.extension(ext::SIGNATURE_ALGORITHMS).is_some() {
            let mut schemes = signature_schemes::BROWSER_DEFAULT.to_vec();
            if !tls13 {
                // SHA-1 and SHA-224 signatures, which old TLS 1.2 servers may only have.
                schemes.extend([0x0201, 0x0203, 0x0303, 0x0301]);
            }
            self.set_extension(ClientExtension::SignatureAlgorithms(schemes));
        }
        self
    }

    /// Sets (or replaces) the server_name extension, as the first extension.
    pub fn with_server_name(mut self, host: &str) -> Self {
        self.remove_extension(ext::SERVER_NAME);
        self.extensions
            .insert(0, ClientExtension::ServerName(host.to_owned()));
        self
    }

    /// Adds an extension, replacing one of the same type in place.
    pub fn with_extension(mut self, extension: ClientExtension) -> Self {
        self.set_extension(extension);
        self
    }

    /// Removes every extension of this type.
    pub fn without_extension(mut self, typ: u16) -> Self {
        self.remove_extension(typ);
        self
    }

    /// Offers these ALPN protocols ("h2", "http/1.1").
    pub fn with_alpn(self, protocols: &[&str]) -> Self {
        self.with_extension(ClientExtension::Alpn(
            protocols.iter().map(|p| p.as_bytes().to_vec()).collect(),
        ))
    }

    /// Offers exactly these groups; for TLS 1.3 hellos (those with a key_share) the key
    /// shares become one valid share for each of the first `shares` groups that has one.
    pub fn with_groups(mut self, groups: &[u16], shares: usize) -> Self {
        self.set_extension(ClientExtension::SupportedGroups(groups.to_vec()));
        if self.extension(ext::KEY_SHARE).is_some() {
            let entries = groups
                .iter()
                .filter_map(|g| KeyShareEntry::for_group(*g))
                .take(shares)
                .collect();
            self.set_extension(ClientExtension::KeyShare(entries));
        }
        self
    }

    /// Offers these signature algorithms.
    pub fn with_signature_algorithms(self, schemes: &[u16]) -> Self {
        self.with_extension(ClientExtension::SignatureAlgorithms(schemes.to_vec()))
    }

    /// Offers these TLS 1.3 versions in supported_versions (e.g. [0x0304, 0x0303]).
    pub fn with_supported_versions(self, versions: &[u16]) -> Self {
        self.with_extension(ClientExtension::SupportedVersions(versions.to_vec()))
    }

    /// Offers these compression methods (e.g. [1, 0] for DEFLATE then null).
    pub fn with_compression(mut self, methods: &[u8]) -> Self {
        self.compression_methods = methods.to_vec();
        self
    }

    /// Appends TLS_FALLBACK_SCSV (RFC 7507) to the suites.
    pub fn with_fallback_scsv(mut self) -> Self {
        self.cipher_suites
            .push(crate::iana::cipher_suites::TLS_FALLBACK_SCSV);
        self
    }

    /// Adds the heartbeat extension (RFC 6520) with mode peer_allowed_to_send.
    pub fn with_heartbeat(self) -> Self {
        self.with_extension(ClientExtension::Heartbeat(
            super::extensions::HeartbeatMode::PeerAllowedToSend,
        ))
    }

    /// The extension of this type, if present.
    pub fn extension(&self, typ: u16) -> Option<&ClientExtension> {
        self.extensions.iter().find(|e| e.typ() == typ)
    }

    /// Replaces the extension of the same type in place, or appends it.
    pub fn set_extension(&mut self, extension: ClientExtension) {
        match self
            .extensions
            .iter_mut()
            .find(|e| e.typ() == extension.typ())
        {
            Some(slot) => *slot = extension,
            None => self.extensions.push(extension),
        }
    }

    /// Removes every extension of this type.
    pub fn remove_extension(&mut self, typ: u16) {
        self.extensions.retain(|e| e.typ() != typ);
    }

    /// The ClientHello body (without the handshake header), padding applied.
    pub fn encode_body(&self) -> Vec<u8> {
        let unpadded = self.encode_body_with(None);
        let has_padding = self.extension(ext::PADDING).is_some();
        let target = match self.padding {
            _ if has_padding => return unpadded,
            Padding::None => return unpadded,
            Padding::F5Workaround if (256..512).contains(&unpadded.len()) => 512,
            Padding::F5Workaround => return unpadded,
            Padding::ToLength(n) if unpadded.len() < n => n,
            Padding::ToLength(_) => return unpadded,
        };
        // Adding the extension costs 4 bytes of header, plus 2 for the block's length when
        // there was no extension block.
        let block = if self.extensions.is_empty() && self.omit_empty_extensions {
            2
        } else {
            0
        };
        let overhead = unpadded.len() + 4 + block;
        let pad = target.saturating_sub(overhead);
        self.encode_body_with(Some(pad))
    }

    fn encode_body_with(&self, padding: Option<usize>) -> Vec<u8> {
        let mut e = Encoder::new();
        e.u16(self.legacy_version)
            .bytes(&self.random)
            .opaque_u8(&self.session_id)
            .vec_u16(|e| {
                for s in &self.cipher_suites {
                    e.u16(*s);
                }
            })
            .opaque_u8(&self.compression_methods);
        if self.extensions.is_empty() && padding.is_none() && self.omit_empty_extensions {
            return e.finish();
        }
        e.vec_u16(|e| {
            for x in &self.extensions {
                x.encode(e);
            }
            if let Some(n) = padding {
                ClientExtension::Padding(n).encode(e);
            }
        });
        e.finish()
    }

    /// The handshake message (type, length, body).
    pub fn encode_handshake(&self) -> Vec<u8> {
        encode_handshake(HandshakeType::ClientHello, &self.encode_body())
    }

    /// What goes on the wire: the handshake message in one or more handshake records.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode_records(
            ContentType::Handshake,
            self.record_version,
            &self.encode_handshake(),
            self.record_fragment,
        )
    }
}

/// An SSL 2.0 CLIENT-HELLO (SSL 2.0 spec, appendix B; RFC 6101 E.1 for the v2-compatible
/// form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ssl2ClientHello {
    /// The version field: 0x0002 to probe SSL 2.0, 0x0300+ for a v2-compatible TLS hello.
    pub version: u16,
    /// 3-byte cipher specs as 24-bit numbers (TLS suites as `0x00XXYY`).
    pub cipher_specs: Vec<u32>,
    /// The session id (0 or 16 bytes).
    pub session_id: Vec<u8>,
    /// The challenge (16 to 32 bytes).
    pub challenge: Vec<u8>,
}

impl Ssl2ClientHello {
    /// A hello probing SSL 2.0 with these cipher specs (e.g. every entry of
    /// [`crate::iana::cipher_suites::SSL2_CIPHER_SPECS`]).
    pub fn new(cipher_specs: &[u32]) -> Self {
        Self {
            version: 0x0002,
            cipher_specs: cipher_specs.to_vec(),
            session_id: Vec::new(),
            challenge: random_bytes()[..16].to_vec(),
        }
    }

    /// A v2-compatible hello offering TLS `suites` for `version` (0x0300..0x0303), as
    /// old clients sent: each suite as the 3-byte spec `0x00XXYY`.
    pub fn with_tls_suites(version: u16, suites: &[u16]) -> Self {
        Self {
            version,
            cipher_specs: suites.iter().map(|s| u32::from(*s)).collect(),
            session_id: Vec::new(),
            challenge: random_bytes().to_vec(),
        }
    }

    /// The record data (message type 1 and its fields).
    pub fn encode_message(&self) -> Vec<u8> {
        let clamp = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
        let mut e = Encoder::new();
        e.u8(1)
            .u16(self.version)
            .u16(clamp(self.cipher_specs.len() * 3))
            .u16(clamp(self.session_id.len()))
            .u16(clamp(self.challenge.len()));
        for spec in &self.cipher_specs {
            e.u24(*spec);
        }
        e.bytes(&self.session_id).bytes(&self.challenge);
        e.finish()
    }

    /// What goes on the wire: one SSL 2.0 record, 2-byte header.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode_ssl2_record(&self.encode_message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Reader, extensions::read_extensions};

    fn parse_body(body: &[u8]) -> (u16, Vec<u16>, Vec<u16>) {
        let mut r = Reader::new(body, "ClientHello");
        let v = r.read_u16().expect("version");
        r.bytes(32).expect("random");
        r.vec_u8().expect("session id");
        let suites = Reader::new(r.vec_u16().expect("suites"), "suites")
            .u16_list()
            .expect("even");
        r.vec_u8().expect("compression");
        let exts = read_extensions(&mut r).expect("extensions");
        r.expect_empty().expect("nothing after extensions");
        (v, suites, exts.iter().map(|e| e.typ).collect())
    }

    #[test]
    fn presets_are_well_formed() {
        for v in ProtocolVersion::ALL {
            let hello = ClientHello::for_version(v, &[0x1301, 0xC02F, 0x002F])
                .with_server_name("example.com");
            let wire = hello.to_bytes();
            assert_eq!(wire[0], 22);
            let body = hello.encode_body();
            assert!(!(256..512).contains(&body.len()), "{v}: F5 range avoided");
            let (legacy, suites, exts) = parse_body(&body);
            assert_eq!(suites[..3], [0x1301, 0xC02F, 0x002F]);
            match v {
                ProtocolVersion::Tls13 => {
                    assert_eq!(legacy, 0x0303);
                    assert!(
                        exts.contains(&ext::KEY_SHARE) && exts.contains(&ext::SUPPORTED_VERSIONS)
                    );
                }
                ProtocolVersion::Ssl3 | ProtocolVersion::Ssl2 => {
                    assert_eq!(legacy, 0x0300);
                    assert!(suites.contains(&TLS_EMPTY_RENEGOTIATION_INFO_SCSV));
                    assert_eq!(exts, [ext::SERVER_NAME]);
                }
                _ => {
                    assert_eq!(legacy, v.wire());
                    assert_eq!(
                        exts.contains(&ext::SIGNATURE_ALGORITHMS),
                        v == ProtocolVersion::Tls12
                    );
                }
            }
        }
    }

    #[test]
    fn f5_padding_pads_to_512() {
        for n in 0..140 {
            let suites: Vec<u16> = (0..n).collect();
            let hello = ClientHello::for_version(ProtocolVersion::Tls12, &suites);
            let body = hello.encode_body();
            assert!(
                !(256..512).contains(&body.len()),
                "{n} suites: {}",
                body.len()
            );
            if (256..512).contains(&hello.encode_body_with(None).len()) {
                assert_eq!(body.len(), 512, "{n}");
                parse_body(&body);
            }
        }
        let mut bare =
            ClientHello::for_version(ProtocolVersion::Ssl3, &(0..150).collect::<Vec<_>>());
        bare.padding = Padding::F5Workaround;
        assert_eq!(bare.encode_body().len(), 512);
        let mut to = ClientHello::for_version(ProtocolVersion::Tls12, &[1]);
        to.padding = Padding::ToLength(1000);
        assert_eq!(to.encode_body().len(), 1000);
    }

    #[test]
    fn record_and_legacy_versions_are_separate() {
        let mut hello = ClientHello::for_version(ProtocolVersion::Tls12, &[0x002F]);
        hello.record_version = 0x0300;
        hello.legacy_version = 0x0399;
        let wire = hello.to_bytes();
        assert_eq!(&wire[1..3], &[3, 0]);
        assert_eq!(&wire[9..11], &[3, 0x99]);
        hello.record_fragment = 100;
        let wire = hello.to_bytes();
        let mut rr = crate::wire::RecordReader::new();
        rr.push(&wire);
        let mut n = 0;
        while rr.next_record().expect("valid").is_some() {
            n += 1;
        }
        assert!(n > 1);
    }

    #[test]
    fn ssl2_client_hello_layout() {
        let mut hello = Ssl2ClientHello::new(&[0x0700C0, 0x010080]);
        hello.challenge = vec![0xAB; 16];
        let wire = hello.to_bytes();
        assert_eq!(wire[..11], [0x80, 0x1F, 1, 0, 2, 0, 6, 0, 0, 0, 16]);
        assert_eq!(wire[11..17], [7, 0, 0xC0, 1, 0, 0x80]);
        assert_eq!(wire.len(), 2 + 0x1F);
        let v2compat = Ssl2ClientHello::with_tls_suites(0x0301, &[0x002F]);
        assert_eq!(v2compat.encode_message()[9..12], [0, 0, 0x2F]);
    }

    #[test]
    fn reproduces_rfc8448_client_hello_byte_for_byte() {
        let expected =
            crate::wire::testdata::hex(include_str!("testdata/rfc8448_s3_client_hello.hex"));
        let mut random = [0u8; 32];
        random.copy_from_slice(&expected[6..38]);
        let at = expected
            .windows(6)
            .position(|w| w == [0x00, 0x24, 0x00, 0x1D, 0x00, 0x20])
            .expect("the x25519 share")
            + 6;
        let key = expected[at..at + 32].to_vec();
        let hello = ClientHello {
            record_version: 0x0301,
            legacy_version: 0x0303,
            random,
            session_id: Vec::new(),
            cipher_suites: vec![0x1301, 0x1303, 0x1302],
            compression_methods: vec![0],
            extensions: vec![
                ClientExtension::ServerName("server".into()),
                ClientExtension::RenegotiationInfo(Vec::new()),
                ClientExtension::SupportedGroups(vec![
                    0x001D, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104,
                ]),
                ClientExtension::SessionTicket(Vec::new()),
                ClientExtension::KeyShare(vec![KeyShareEntry::new(0x001D, key)]),
                ClientExtension::SupportedVersions(vec![0x0304]),
                ClientExtension::SignatureAlgorithms(vec![
                    0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
                    0x0201, 0x0402, 0x0502, 0x0602, 0x0202,
                ]),
                ClientExtension::PskKeyExchangeModes(vec![1]),
                ClientExtension::Raw {
                    typ: ext::RECORD_SIZE_LIMIT,
                    data: vec![0x40, 0x01],
                },
            ],
            omit_empty_extensions: false,
            padding: Padding::None,
            record_fragment: MAX_PLAINTEXT,
        };
        assert_eq!(hello.encode_handshake(), expected);
        let record = hello.to_bytes();
        assert_eq!(record[..5], [0x16, 0x03, 0x01, 0x00, 0xC4]);
    }
}
