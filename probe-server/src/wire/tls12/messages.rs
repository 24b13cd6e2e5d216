//! The messages a completed TLS 1.2 handshake adds to what [`crate::wire::server`] parses:
//! the ECDHE ServerKeyExchange with the exact bytes its signature covers, NewSessionTicket,
//! Finished; and what the client sends: ClientKeyExchange. Signature checks and encryption
//! are aws-lc-rs's (`signature`, `rsa`, `agreement`).

use aws_lc_rs::{agreement, rand, rsa, signature};

use super::Tls12Error;
use crate::wire::WireError;
use crate::wire::reader::{Encoder, Reader};

/// An ECDHE ServerKeyExchange over a named curve (RFC 8422 5.4), TLS 1.2 form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EcdheServerKeyExchange {
    /// The named group.
    pub group: u16,
    /// The server's public value.
    pub public: Vec<u8>,
    /// The signature scheme.
    pub scheme: u16,
    /// The signature over client_random + server_random + params.
    pub signature: Vec<u8>,
    /// The `ServerECDHParams` bytes, as signed.
    pub params: Vec<u8>,
}

impl EcdheServerKeyExchange {
    /// Parses the body of a TLS 1.2 ECDHE ServerKeyExchange (explicit curves are refused).
    pub fn read(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body, "ECDHE ServerKeyExchange");
        let curve_type = r.read_u8()?;
        if curve_type != 3 {
            return Err(WireError::InvalidValue {
                field: "ECParameters.curve_type",
                detail: format!("{curve_type} (only named_curve is used)"),
            });
        }
        let group = r.read_u16()?;
        let public = r.vec_u8()?;
        if public.is_empty() {
            return Err(WireError::BadLength("ECDHE public value"));
        }
        let params = body
            .get(..r.position())
            .ok_or(WireError::BadLength("ServerECDHParams"))?
            .to_vec();
        let scheme = r.read_u16()?;
        let signature = r.vec_u16()?.to_vec();
        r.expect_empty()?;
        Ok(Self {
            group,
            public: public.to_vec(),
            scheme,
            signature,
            params,
        })
    }
}

/// A NewSessionTicket (RFC 5077 3.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSessionTicket {
    /// The lifetime hint in seconds (0: unspecified).
    pub lifetime_hint: u32,
    /// The opaque ticket.
    pub ticket: Vec<u8>,
}

impl NewSessionTicket {
    /// Parses a TLS 1.2 NewSessionTicket body.
    pub fn read(body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body, "NewSessionTicket");
        let lifetime_hint = r.read_u32()?;
        let ticket = r.vec_u16()?.to_vec();
        r.expect_empty()?;
        Ok(Self {
            lifetime_hint,
            ticket,
        })
    }
}

/// A Finished body: exactly `expected_len` bytes of verify_data.
pub fn read_finished(body: &[u8], expected_len: usize) -> Result<&[u8], WireError> {
    if body.len() == expected_len {
        Ok(body)
    } else {
        Err(WireError::InvalidValue {
            field: "Finished.verify_data",
            detail: format!("{} bytes, expected {expected_len}", body.len()),
        })
    }
}

/// The parts of the leaf certificate the key exchange needs.
#[derive(Clone, Debug)]
pub struct LeafKey {
    /// The whole SubjectPublicKeyInfo (RSA encryption reads it).
    pub spki: Vec<u8>,
    /// The subjectPublicKey bits (signature checks read them).
    pub public_key: Vec<u8>,
    /// The key is RSA.
    pub rsa: bool,
}

impl LeafKey {
    /// Reads the key of a DER certificate.
    pub fn from_certificate(der: &[u8]) -> Result<Self, Tls12Error> {
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| Tls12Error::Certificate(format!("unreadable leaf certificate: {e}")))?;
        let spki = cert.public_key();
        let rsa = matches!(
            spki.parsed(),
            Ok(x509_parser::public_key::PublicKey::RSA(_))
        );
        Ok(Self {
            spki: spki.raw.to_vec(),
            public_key: spki.subject_public_key.data.to_vec(),
            rsa,
        })
    }
}

/// The verifier for `scheme` and this key, as TLS 1.2 uses the scheme (RFC 8446 4.2.3:
/// in 1.2, `ecdsa_secp256r1_sha256` names the hash, and the curve is the key's).
fn verifier(scheme: u16, key: &LeafKey) -> Option<&'static dyn signature::VerificationAlgorithm> {
    // ECDSA public keys are uncompressed points: the length names the curve.
    let curve = match key.public_key.len() {
        65 => 256,
        97 => 384,
        133 => 521,
        _ => 0,
    };
    let verifier: &'static dyn signature::VerificationAlgorithm = match (scheme, key.rsa, curve) {
        (0x0401, true, _) => &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
        (0x0501, true, _) => &signature::RSA_PKCS1_2048_8192_SHA384,
        (0x0601, true, _) => &signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
        (0x0201, true, _) => &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
        (0x0804, true, _) => &signature::RSA_PSS_2048_8192_SHA256,
        (0x0805, true, _) => &signature::RSA_PSS_2048_8192_SHA384,
        (0x0806, true, _) => &signature::RSA_PSS_2048_8192_SHA512,
        (0x0403, false, 256) => &signature::ECDSA_P256_SHA256_ASN1,
        (0x0503, false, 256) => &signature::ECDSA_P256_SHA384_ASN1,
        (0x0203, false, 256) => &signature::ECDSA_P256_SHA1_ASN1,
        (0x0403, false, 384) => &signature::ECDSA_P384_SHA256_ASN1,
        (0x0503, false, 384) => &signature::ECDSA_P384_SHA384_ASN1,
        (0x0603, false, 521) => &signature::ECDSA_P521_SHA512_ASN1,
        (0x0807, false, _) => &signature::ED25519,
        _ => return None,
    };
    Some(verifier)
}

/// Checks the ServerKeyExchange signature against the leaf's key.
pub fn verify_server_key_exchange(
    ske: &EcdheServerKeyExchange,
    key: &LeafKey,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> Result<(), Tls12Error> {
    let Some(algorithm) = verifier(ske.scheme, key) else {
        return Err(Tls12Error::Unsupported(format!(
            "signature scheme 0x{:04x} with this certificate key",
            ske.scheme
        )));
    };
    let signed = [client_random.as_slice(), server_random, &ske.params].concat();
    signature::UnparsedPublicKey::new(algorithm, &key.public_key)
        .verify(&signed, &ske.signature)
        .map_err(|_| Tls12Error::BadSignature)
}

/// The client's side of an ECDHE agreement: its ClientKeyExchange body and the pre-master
/// secret.
pub fn ecdhe_client_key_exchange(
    group: u16,
    server_public: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), Tls12Error> {
    let algorithm = match group {
        0x001D => &agreement::X25519,
        0x0017 => &agreement::ECDH_P256,
        0x0018 => &agreement::ECDH_P384,
        0x0019 => &agreement::ECDH_P521,
        other => {
            return Err(Tls12Error::Unsupported(format!(
                "the server chose group 0x{other:04x}, which was not offered"
            )));
        }
    };
    let rng = rand::SystemRandom::new();
    let private = agreement::EphemeralPrivateKey::generate(algorithm, &rng)
        .map_err(|_| Tls12Error::Crypto("key generation failed"))?;
    let public = private
        .compute_public_key()
        .map_err(|_| Tls12Error::Crypto("public key computation failed"))?;
    let pre_master = agreement::agree_ephemeral(
        private,
        agreement::UnparsedPublicKey::new(algorithm, server_public),
        Tls12Error::BadServerKeyShare,
        |secret| Ok(secret.to_vec()),
    )?;
    let mut e = Encoder::new();
    e.opaque_u8(public.as_ref());
    Ok((e.finish(), pre_master))
}

/// RSA key transport: a fresh pre-master secret (client version 3.3 first) encrypted with
/// PKCS #1 v1.5 to the leaf's key. Returns the ClientKeyExchange body and the secret.
pub fn rsa_client_key_exchange(key: &LeafKey) -> Result<(Vec<u8>, Vec<u8>), Tls12Error> {
    if !key.rsa {
        return Err(Tls12Error::Certificate(
            "RSA key exchange with a certificate that holds no RSA key".into(),
        ));
    }
    let mut pre_master = vec![0u8; 48];
    rand::fill(&mut pre_master[2..]).map_err(|_| Tls12Error::Crypto("no randomness"))?;
    pre_master[0] = 3;
    pre_master[1] = 3;
    let public = rsa::PublicEncryptingKey::from_der(&key.spki)
        .map_err(|e| Tls12Error::Certificate(format!("unusable RSA key: {e}")))?;
    let public = rsa::Pkcs1PublicEncryptingKey::new(public)
        .map_err(|_| Tls12Error::Crypto("RSA key refused"))?;
    let mut out = vec![0u8; public.ciphertext_size()];
    let sealed = public
        .encrypt(&pre_master, &mut out)
        .map_err(|_| Tls12Error::Crypto("RSA encryption failed"))?;
    let mut e = Encoder::new();
    e.opaque_u16(sealed);
    Ok((e.finish(), pre_master))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_session_ticket_reads_and_refuses_what_does_not_fit() {
        let t = NewSessionTicket::read(&[0, 0, 0x1c, 0x20, 0, 3, 9, 8, 7]).expect("ticket");
        assert_eq!(t.lifetime_hint, 7200);
        assert_eq!(t.ticket, vec![9, 8, 7]);
        assert!(NewSessionTicket::read(&[0, 0, 0, 1, 0, 4, 1]).is_err());
        assert!(NewSessionTicket::read(&[0, 0, 0, 1, 0, 0, 1]).is_err());
    }

    #[test]
    fn ecdhe_params_keep_the_signed_bytes() {
        let body = [3, 0, 0x1d, 2, 0xAA, 0xBB, 0x04, 0x03, 0, 1, 0x55];
        let ske = EcdheServerKeyExchange::read(&body).expect("ske");
        assert_eq!(ske.group, 0x1d);
        assert_eq!(ske.params, &body[..6]);
        assert_eq!(ske.scheme, 0x0403);
        assert_eq!(ske.signature, vec![0x55]);
        assert!(EcdheServerKeyExchange::read(&body[..8]).is_err());
        assert!(EcdheServerKeyExchange::read(&[1, 0, 0x1d]).is_err());
    }

    #[test]
    fn finished_must_be_twelve_bytes() {
        assert!(read_finished(&[0; 12], 12).is_ok());
        assert!(read_finished(&[0; 11], 12).is_err());
    }
}
