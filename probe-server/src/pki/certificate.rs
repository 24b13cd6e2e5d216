//! What a certificate says, read with x509-parser into the report's terms.

use std::net::IpAddr;

use base64::Engine as _;
use rustls_pki_types::CertificateDer;
use sha2::{Digest, Sha256};
use shared::PublicKeyInfo;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry::{
    OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS, OID_PKIX_ACCESS_DESCRIPTOR_OCSP,
};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

/// The hash inside a certificate's signature algorithm, which decides whether it is weak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureHash {
    Md2,
    Md5,
    Sha1,
    /// SHA-2 family, or a scheme with its own hash (Ed25519, RSA-PSS with SHA-2).
    Strong,
    Unknown,
}

/// One certificate as the server sent it, parsed.
#[derive(Clone, Debug)]
pub struct CertificateInfo {
    /// The report's view of it.
    pub summary: shared::Certificate,
    pub der: CertificateDer<'static>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub signature_hash: SignatureHash,
    /// DER of the subject and issuer names, to match issuers to subjects exactly.
    pub subject_der: Vec<u8>,
    pub issuer_der: Vec<u8>,
    /// The certificate asks for a stapled OCSP response (TLS Feature, RFC 7633).
    pub must_staple: bool,
}

impl CertificateInfo {
    /// Parses `der`, judging `days_remaining` against `now`.
    pub fn parse(der: &CertificateDer<'static>, now: OffsetDateTime) -> Result<Self, String> {
        let (rest, cert) = X509Certificate::from_der(der.as_ref())
            .map_err(|e| format!("not a valid X.509 certificate: {e}"))?;
        if !rest.is_empty() {
            return Err(format!(
                "{} trailing bytes after the certificate",
                rest.len()
            ));
        }
        let not_before = cert.validity().not_before.to_datetime();
        let not_after = cert.validity().not_after.to_datetime();
        let (signature_algorithm, signature_hash) = signature_algorithm_name(&cert);
        let self_signed = cert.subject().as_raw() == cert.issuer().as_raw()
            && cert.verify_signature(None).is_ok();
        let (ocsp_urls, ca_issuer_urls) = access_urls(&cert);
        let summary = shared::Certificate {
            subject: cert.subject().to_string(),
            common_name: common_name(cert.subject()),
            issuer: cert.issuer().to_string(),
            issuer_common_name: common_name(cert.issuer()),
            serial: hex::encode(cert.raw_serial()),
            not_before: rfc3339(not_before),
            not_after: rfc3339(not_after),
            days_remaining: (not_after - now).whole_days(),
            subject_alt_names: subject_alt_names(&cert),
            key: public_key_info(&cert),
            signature_algorithm,
            sha256_fingerprint: hex::encode(Sha256::digest(der.as_ref())),
            spki_sha256: base64::engine::general_purpose::STANDARD
                .encode(Sha256::digest(cert.public_key().raw)),
            self_signed,
            is_ca: cert.is_ca(),
            ocsp_urls,
            ca_issuer_urls,
        };
        Ok(Self {
            summary,
            der: der.clone(),
            not_before,
            not_after,
            signature_hash,
            subject_der: cert.subject().as_raw().to_vec(),
            issuer_der: cert.issuer().as_raw().to_vec(),
            must_staple: super::must_staple::requires_staple(&cert),
        })
    }
}

/// RFC 3339 in UTC, as the report writes every time.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

fn common_name(name: &x509_parser::x509::X509Name<'_>) -> Option<String> {
    name.iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned)
}

fn subject_alt_names(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(dns) => Some((*dns).to_owned()),
            GeneralName::IPAddress(bytes) => match bytes.len() {
                4 => <[u8; 4]>::try_from(*bytes)
                    .ok()
                    .map(|b| IpAddr::from(b).to_string()),
                16 => <[u8; 16]>::try_from(*bytes)
                    .ok()
                    .map(|b| IpAddr::from(b).to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn access_urls(cert: &X509Certificate<'_>) -> (Vec<String>, Vec<String>) {
    let (mut ocsp, mut issuers) = (Vec::new(), Vec::new());
    for ext in cert.extensions() {
        if let ParsedExtension::AuthorityInfoAccess(aia) = ext.parsed_extension() {
            for desc in aia.iter() {
                if let GeneralName::URI(uri) = desc.access_location {
                    if desc.access_method == OID_PKIX_ACCESS_DESCRIPTOR_OCSP {
                        ocsp.push(uri.to_owned());
                    } else if desc.access_method == OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS {
                        issuers.push(uri.to_owned());
                    }
                }
            }
        }
    }
    (ocsp, issuers)
}

fn public_key_info(cert: &X509Certificate<'_>) -> PublicKeyInfo {
    let spki = cert.public_key();
    let oid = spki.algorithm.algorithm.to_id_string();
    let curve_oid = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string());
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => PublicKeyInfo {
            algorithm: "RSA".into(),
            bits: unsigned_bits(rsa.modulus),
            curve: None,
        },
        Ok(PublicKey::EC(point)) => {
            let (curve, bits) = match curve_oid.as_deref() {
                Some("1.2.840.10045.3.1.7") => (Some("secp256r1"), 256),
                Some("1.3.132.0.34") => (Some("secp384r1"), 384),
                Some("1.3.132.0.35") => (Some("secp521r1"), 521),
                Some("1.3.132.0.33") => (Some("secp224r1"), 224),
                Some("1.2.840.10045.3.1.1") => (Some("secp192r1"), 192),
                Some("1.3.36.3.3.2.8.1.1.7") => (Some("brainpoolP256r1"), 256),
                Some("1.3.36.3.3.2.8.1.1.11") => (Some("brainpoolP384r1"), 384),
                Some("1.3.36.3.3.2.8.1.1.13") => (Some("brainpoolP512r1"), 512),
                _ => (None, point.key_size() as u32),
            };
            PublicKeyInfo {
                algorithm: "EC".into(),
                bits,
                curve: curve.map(str::to_owned).or(curve_oid),
            }
        }
        Ok(PublicKey::DSA(y)) => PublicKeyInfo {
            algorithm: "DSA".into(),
            bits: unsigned_bits(y),
            curve: None,
        },
        _ => match oid.as_str() {
            "1.3.101.112" => PublicKeyInfo {
                algorithm: "Ed25519".into(),
                bits: 256,
                curve: None,
            },
            "1.3.101.113" => PublicKeyInfo {
                algorithm: "Ed448".into(),
                bits: 456,
                curve: None,
            },
            _ => PublicKeyInfo {
                algorithm: oid,
                bits: 0,
                curve: None,
            },
        },
    }
}

/// The bit length of a big-endian unsigned integer (leading zero bytes and bits ignored).
fn unsigned_bits(bytes: &[u8]) -> u32 {
    let trimmed: &[u8] = match bytes.iter().position(|&b| b != 0) {
        Some(first) => &bytes[first..],
        None => return 0,
    };
    (trimmed.len() as u32 - 1) * 8 + (8 - trimmed[0].leading_zeros())
}

fn signature_algorithm_name(cert: &X509Certificate<'_>) -> (String, SignatureHash) {
    use SignatureHash::{Md2, Md5, Sha1, Strong, Unknown};
    let oid = cert.signature_algorithm.algorithm.to_id_string();
    let (name, hash) = match oid.as_str() {
        "1.2.840.113549.1.1.2" => ("md2WithRSAEncryption", Md2),
        "1.2.840.113549.1.1.4" => ("md5WithRSAEncryption", Md5),
        "1.2.840.113549.1.1.5" => ("sha1WithRSAEncryption", Sha1),
        "1.2.840.113549.1.1.11" => ("sha256WithRSAEncryption", Strong),
        "1.2.840.113549.1.1.12" => ("sha384WithRSAEncryption", Strong),
        "1.2.840.113549.1.1.13" => ("sha512WithRSAEncryption", Strong),
        "1.2.840.113549.1.1.14" => ("sha224WithRSAEncryption", Strong),
        "1.2.840.113549.1.1.10" => ("rsassaPss", Strong),
        "1.2.840.10045.4.1" => ("ecdsa-with-SHA1", Sha1),
        "1.2.840.10045.4.3.1" => ("ecdsa-with-SHA224", Strong),
        "1.2.840.10045.4.3.2" => ("ecdsa-with-SHA256", Strong),
        "1.2.840.10045.4.3.3" => ("ecdsa-with-SHA384", Strong),
        "1.2.840.10045.4.3.4" => ("ecdsa-with-SHA512", Strong),
        "1.2.840.10040.4.3" => ("dsa-with-SHA1", Sha1),
        "2.16.840.1.101.3.4.3.2" => ("dsa-with-SHA256", Strong),
        "1.3.101.112" => ("Ed25519", Strong),
        "1.3.101.113" => ("Ed448", Strong),
        _ => return (oid, Unknown),
    };
    (name.to_owned(), hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_bits_of_big_endian_integers() {
        assert_eq!(unsigned_bits(&[]), 0);
        assert_eq!(unsigned_bits(&[0, 0]), 0);
        assert_eq!(unsigned_bits(&[1]), 1);
        assert_eq!(unsigned_bits(&[0x00, 0x80, 0]), 16);
        let mut modulus = vec![0u8; 257];
        modulus[1] = 0xc1;
        assert_eq!(unsigned_bits(&modulus), 2048);
    }

    #[test]
    fn refuses_garbage() {
        let now = OffsetDateTime::now_utc();
        assert!(
            CertificateInfo::parse(&CertificateDer::from(vec![0x30, 0x03, 1, 2, 3]), now).is_err()
        );
        assert!(CertificateInfo::parse(&CertificateDer::from(Vec::new()), now).is_err());
    }
}
