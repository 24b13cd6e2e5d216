//! The clients: `probe-server/data/clients.toml`, parsed once, and each one's hello as it
//! goes on the wire.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;
use shared::ProtocolVersion;

use crate::iana::groups::ids;
use crate::wire::ClientHello;
use crate::wire::client_hello::{Padding, random_bytes};
use crate::wire::extensions::{ClientExtension, KeyShareEntry, ext};
use crate::wire::record::MAX_PLAINTEXT;

/// One client and its ClientHello (see the file's header for each field).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    pub name: String,
    pub version: String,
    pub platform: String,
    pub current: bool,
    /// Where the facts come from.
    pub source: String,
    #[serde(default)]
    pub note: Option<String>,
    pub legacy_version: ProtocolVersion,
    /// The oldest version the client completes a handshake with, when it offers older ones
    /// it then refuses (OpenSSL 3.0 at security level 2 offers TLS 1.0 and fails there).
    #[serde(default)]
    pub min_version: Option<ProtocolVersion>,
    /// Offered, newest first.
    pub versions: Vec<ProtocolVersion>,
    pub cipher_suites: Vec<u16>,
    pub groups: Vec<u16>,
    pub signature_algorithms: Vec<u16>,
    pub key_shares: Vec<u16>,
    pub alpn: Vec<String>,
    pub sni: bool,
    pub extended_master_secret: bool,
    pub status_request: bool,
    pub session_ticket: bool,
    #[serde(default)]
    pub compression: Option<Vec<u8>>,
    /// Extension types in the hello's order.
    pub extensions: Vec<u16>,
    /// Hex bytes of the extensions not rebuilt from the fields above, by type.
    #[serde(default)]
    pub extension_data: BTreeMap<String, String>,
    pub min_dh_bits: Option<u16>,
    pub max_dh_bits: Option<u16>,
    pub min_rsa_bits: Option<u32>,
    pub max_rsa_bits: Option<u32>,
    pub min_ecdsa_bits: Option<u32>,
    #[serde(default)]
    pub requires_sha2: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientFile {
    client: Vec<Client>,
}

/// Every client, in the file's order.
pub fn all() -> &'static [Client] {
    static CLIENTS: OnceLock<Vec<Client>> = OnceLock::new();
    CLIENTS.get_or_init(|| {
        // The file is part of the binary and a unit test parses it: it cannot fail here.
        toml::from_str::<ClientFile>(include_str!("../../../data/clients.toml"))
            .expect("data/clients.toml parses (checked by a unit test)")
            .client
    })
}

impl Client {
    /// "Chrome 137 / Windows 11".
    pub fn label(&self) -> String {
        format!("{} {} / {}", self.name, self.version, self.platform)
    }

    /// The newest version offered.
    pub fn max_version(&self) -> ProtocolVersion {
        self.versions
            .iter()
            .copied()
            .max()
            .unwrap_or(self.legacy_version)
    }

    /// The oldest version the client completes a handshake with.
    pub fn lowest_version(&self) -> ProtocolVersion {
        let offered = self
            .versions
            .iter()
            .copied()
            .min()
            .unwrap_or(self.legacy_version);
        self.min_version.map_or(offered, |m| m.max(offered))
    }

    /// True when the client offers `version` and completes a handshake in it.
    pub fn accepts_version(&self, version: ProtocolVersion) -> bool {
        self.versions.contains(&version) && version >= self.lowest_version()
    }

    /// True when the hello carries supported_versions (TLS 1.3 clients).
    fn sends_supported_versions(&self) -> bool {
        self.extensions.contains(&ext::SUPPORTED_VERSIONS)
    }

    /// The client's hello, byte for byte as the client sends it (key shares freshly made,
    /// GREASE left out), naming `server_name` when the client sends SNI.
    pub fn hello(&self, server_name: Option<&str>) -> ClientHello {
        let raw = |typ: u16| {
            self.extension_data
                .get(&typ.to_string())
                .and_then(|h| hex::decode(h).ok())
                .unwrap_or_default()
        };
        let mut extensions = Vec::new();
        for &typ in &self.extensions {
            let extension = match typ {
                ext::SERVER_NAME => match server_name {
                    Some(name) => ClientExtension::ServerName(name.to_owned()),
                    None => continue,
                },
                ext::SUPPORTED_GROUPS => ClientExtension::SupportedGroups(self.groups.clone()),
                ext::SIGNATURE_ALGORITHMS => {
                    ClientExtension::SignatureAlgorithms(self.signature_algorithms.clone())
                }
                ext::ALPN => {
                    ClientExtension::Alpn(self.alpn.iter().map(|p| p.as_bytes().to_vec()).collect())
                }
                ext::SUPPORTED_VERSIONS => ClientExtension::SupportedVersions(
                    self.versions.iter().map(|v| v.wire()).collect(),
                ),
                ext::KEY_SHARE => ClientExtension::KeyShare(
                    self.key_shares
                        .iter()
                        .filter_map(|g| KeyShareEntry::for_group(*g))
                        .collect(),
                ),
                typ => ClientExtension::Raw {
                    typ,
                    data: raw(typ),
                },
            };
            extensions.push(extension);
        }
        let tls13 = self.sends_supported_versions();
        ClientHello {
            record_version: if self.legacy_version == ProtocolVersion::Ssl3 {
                0x0300
            } else {
                0x0301
            },
            legacy_version: self.legacy_version.wire(),
            random: random_bytes(),
            // TLS 1.3 clients send a legacy session id (middlebox compatibility, RFC 8446 D.4).
            session_id: if tls13 {
                random_bytes().to_vec()
            } else {
                Vec::new()
            },
            cipher_suites: self.cipher_suites.clone(),
            compression_methods: self.compression.clone().unwrap_or_else(|| vec![0]),
            omit_empty_extensions: self.extensions.is_empty(),
            extensions,
            // A padding extension, if the client sends one, is among the raw ones.
            padding: Padding::None,
            record_fragment: MAX_PLAINTEXT,
        }
    }

    /// The groups of `groups` that are elliptic curves (not finite-field, not hybrid).
    pub fn curves(&self) -> impl Iterator<Item = u16> + '_ {
        self.groups.iter().copied().filter(|g| is_curve(*g))
    }
}

/// True for an elliptic-curve group usable in TLS ≤ 1.2 ECDHE.
pub fn is_curve(group: u16) -> bool {
    !(ids::FFDHE2048..=0x01FF).contains(&group)
        && crate::iana::groups::by_id(group).is_some_and(|g| !g.post_quantum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iana::{cipher_suites, groups, signature_schemes};
    use crate::wire::Reader;

    #[test]
    fn the_file_parses_and_names_what_the_issue_lists() {
        let clients = all();
        assert!(clients.len() >= 25, "{}", clients.len());
        for wanted in [
            "Chrome", "Firefox", "Safari", "Edge", "Android", "Java", "OpenSSL", "GnuTLS", "curl",
            "Go", "Python", "IE",
        ] {
            assert!(
                clients.iter().any(|c| c.name == wanted),
                "{wanted} is missing"
            );
        }
        assert!(clients.iter().filter(|c| c.current).count() >= 5);
        for c in clients {
            assert!(!c.source.is_empty(), "{}: no source", c.label());
            assert!(!c.cipher_suites.is_empty(), "{}", c.label());
            assert!(c.versions.contains(&c.legacy_version) || c.versions.len() > 1);
        }
    }

    #[test]
    fn every_code_point_is_known() {
        for c in all() {
            for s in &c.cipher_suites {
                assert!(
                    cipher_suites::by_id(*s).is_some()
                        || [
                            cipher_suites::TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
                            cipher_suites::TLS_FALLBACK_SCSV
                        ]
                        .contains(s),
                    "{}: suite 0x{s:04x}",
                    c.label()
                );
            }
            for g in c.groups.iter().chain(&c.key_shares) {
                assert!(
                    groups::by_id(*g).is_some(),
                    "{}: group 0x{g:04x}",
                    c.label()
                );
            }
            for g in &c.key_shares {
                assert!(c.groups.contains(g), "{}: share 0x{g:04x}", c.label());
            }
            for s in &c.signature_algorithms {
                let [hash, sig] = s.to_be_bytes();
                assert!(
                    signature_schemes::by_id(*s).is_some()
                        || (signature_schemes::hash_name(hash).is_some()
                            && signature_schemes::signature_name(sig).is_some()),
                    "{}: signature scheme 0x{s:04x}",
                    c.label()
                );
            }
        }
    }

    #[test]
    fn hellos_rebuild_the_captured_lists() {
        for c in all() {
            let hello = c.hello(Some("example.test"));
            assert_eq!(hello.cipher_suites, c.cipher_suites);
            let body = hello.encode_body();
            let mut r = Reader::new(&body, "hello");
            r.read_u16().expect("version");
            r.bytes(32).expect("random");
            r.vec_u8().expect("session id");
            r.vec_u16().expect("suites");
            r.vec_u8().expect("compression");
            if c.extensions.is_empty() {
                r.expect_empty().expect("no extensions");
                continue;
            }
            let exts = crate::wire::extensions::read_extensions(&mut r).expect("extensions");
            let types: Vec<u16> = exts.iter().map(|e| e.typ).collect();
            assert_eq!(types, c.extensions, "{}", c.label());
            // Every key share could be made.
            if let Some(ClientExtension::KeyShare(shares)) = hello.extension(ext::KEY_SHARE) {
                assert_eq!(shares.len(), c.key_shares.len(), "{}", c.label());
            }
        }
    }
}
