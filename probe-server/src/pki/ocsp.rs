//! Reads a stapled OCSP response (RFC 6960) far enough to tell the certificate's status, and
//! checks that the response is about this certificate and signed by its issuer (directly or
//! through a delegated responder the issuer certified).
//!
//! The structure is fixed and small, so a minimal DER walker is clearer than a general ASN.1
//! model; x509-parser does the signature verification.

use shared::{OcspCertStatus, OcspStatus};
use x509_parser::asn1_rs::{BitString, GeneralizedTime};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo};

use crate::pki::certificate::rfc3339;

/// DER tag bytes used below.
mod tag {
    pub(super) const INTEGER: u8 = 0x02;
    pub(super) const OCTET_STRING: u8 = 0x04;
    pub(super) const OID: u8 = 0x06;
    pub(super) const ENUMERATED: u8 = 0x0a;
    pub(super) const GENERALIZED_TIME: u8 = 0x18;
    pub(super) const SEQUENCE: u8 = 0x30;
    pub(super) const CONTEXT_0: u8 = 0xa0;
    pub(super) const CONTEXT_1_IMPLICIT_CONSTRUCTED: u8 = 0xa1;
    pub(super) const CONTEXT_0_PRIMITIVE: u8 = 0x80;
    pub(super) const CONTEXT_2_PRIMITIVE: u8 = 0x82;
}

/// id-pkix-ocsp-basic, DER content bytes of 1.3.6.1.5.5.7.48.1.1.
const OCSP_BASIC: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01];
/// id-kp-OCSPSigning 1.3.6.1.5.5.7.3.9.
const OCSP_SIGNING_EKU: &str = "1.3.6.1.5.5.7.3.9";

#[derive(Clone, Copy, Debug)]
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    /// Header and content.
    raw: &'a [u8],
}

fn read_tlv(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), String> {
    let short = || "OCSP response is truncated".to_owned();
    let (&tag, rest) = input.split_first().ok_or_else(short)?;
    let (&first, rest) = rest.split_first().ok_or_else(short)?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return Err("OCSP response has a bad length".into());
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[count..])
    };
    if rest.len() < len {
        return Err(short());
    }
    let header_len = input.len() - rest.len();
    Ok((
        Tlv {
            tag,
            content: &rest[..len],
            raw: &input[..header_len + len],
        },
        &rest[len..],
    ))
}

fn expect<'a>(input: &'a [u8], want: u8, what: &str) -> Result<(Tlv<'a>, &'a [u8]), String> {
    let (tlv, rest) = read_tlv(input)?;
    if tlv.tag != want {
        return Err(format!("OCSP response: expected {what}"));
    }
    Ok((tlv, rest))
}

fn time(tlv: Tlv<'_>) -> Result<String, String> {
    let (_, t) = GeneralizedTime::from_der(tlv.raw)
        .map_err(|_| "OCSP response has a bad time".to_owned())?;
    t.utc_datetime()
        .map(rfc3339)
        .map_err(|_| "OCSP response has a bad time".to_owned())
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    &bytes[first..]
}

/// The status a stapled OCSP response gives for `leaf`, whose issuer (when known) is `issuer`.
pub fn read_stapled(
    response: &[u8],
    leaf_der: &[u8],
    issuer_der: Option<&[u8]>,
) -> Result<OcspStatus, String> {
    let (_, leaf) = X509Certificate::from_der(leaf_der)
        .map_err(|_| "the leaf certificate does not parse".to_owned())?;
    let (outer, _) = expect(response, tag::SEQUENCE, "OCSPResponse")?;
    let (status, rest) = expect(outer.content, tag::ENUMERATED, "responseStatus")?;
    match status.content {
        [0] => {}
        [code] => {
            let why = match code {
                1 => "malformedRequest",
                2 => "internalError",
                3 => "tryLater",
                5 => "sigRequired",
                6 => "unauthorized",
                _ => "an unknown status",
            };
            return Err(format!("the stapled OCSP response is an error ({why})"));
        }
        _ => return Err("OCSP response has a bad status".into()),
    }
    let (bytes, _) = expect(rest, tag::CONTEXT_0, "responseBytes")?;
    let (bytes, _) = expect(bytes.content, tag::SEQUENCE, "ResponseBytes")?;
    let (kind, rest) = expect(bytes.content, tag::OID, "responseType")?;
    if kind.content != OCSP_BASIC {
        return Err("the stapled OCSP response is not a basic response".into());
    }
    let (basic_der, _) = expect(rest, tag::OCTET_STRING, "response")?;
    let (basic, _) = expect(basic_der.content, tag::SEQUENCE, "BasicOCSPResponse")?;
    let (tbs, rest) = expect(basic.content, tag::SEQUENCE, "tbsResponseData")?;
    let (alg, rest) = expect(rest, tag::SEQUENCE, "signatureAlgorithm")?;
    let (sig, rest) = read_tlv(rest)?;
    let certs = match read_tlv(rest) {
        Ok((t, _)) if t.tag == tag::CONTEXT_0 => Some(t),
        _ => None,
    };

    // ResponseData: [0] version?, responderID, producedAt, responses, [1] extensions?
    let mut fields = tbs.content;
    let (mut next, mut after) = read_tlv(fields)?;
    if next.tag == tag::CONTEXT_0 {
        fields = after;
        (next, after) = read_tlv(fields)?;
    }
    let _responder_id = next;
    let (produced_at, after) = expect(after, tag::GENERALIZED_TIME, "producedAt")?;
    let (responses, _) = expect(after, tag::SEQUENCE, "responses")?;

    let serial = strip_leading_zeros(leaf.raw_serial());
    let mut remaining = responses.content;
    let single = loop {
        if remaining.is_empty() {
            return Err(
                "the stapled OCSP response is not about this certificate (no matching serial)"
                    .into(),
            );
        }
        let (single, rest) = expect(remaining, tag::SEQUENCE, "SingleResponse")?;
        remaining = rest;
        let (cert_id, _) = expect(single.content, tag::SEQUENCE, "CertID")?;
        let (_hash_alg, r) = expect(cert_id.content, tag::SEQUENCE, "hashAlgorithm")?;
        let (_name_hash, r) = expect(r, tag::OCTET_STRING, "issuerNameHash")?;
        let (_key_hash, r) = expect(r, tag::OCTET_STRING, "issuerKeyHash")?;
        let (id_serial, _) = expect(r, tag::INTEGER, "serialNumber")?;
        if strip_leading_zeros(id_serial.content) == serial {
            break single;
        }
    };
    let (_, r) = read_tlv(single.content)?; // CertID
    let (cert_status, r) = read_tlv(r)?;
    let (this_update, r) = expect(r, tag::GENERALIZED_TIME, "thisUpdate")?;
    let next_update = match read_tlv(r) {
        Ok((t, _)) if t.tag == tag::CONTEXT_0 => Some(time(
            expect(t.content, tag::GENERALIZED_TIME, "nextUpdate")?.0,
        )?),
        _ => None,
    };
    let (status, revoked_at) = match cert_status.tag {
        tag::CONTEXT_0_PRIMITIVE => (OcspCertStatus::Good, None),
        tag::CONTEXT_1_IMPLICIT_CONSTRUCTED => {
            let (when, _) = expect(cert_status.content, tag::GENERALIZED_TIME, "revocationTime")?;
            (OcspCertStatus::Revoked, Some(time(when)?))
        }
        tag::CONTEXT_2_PRIMITIVE => (OcspCertStatus::Unknown, None),
        _ => return Err("OCSP response has a bad certStatus".into()),
    };

    let signature_valid =
        issuer_der.is_some_and(|issuer| verify(tbs.raw, alg.raw, sig.raw, certs, issuer));
    Ok(OcspStatus {
        status,
        signature_valid,
        produced_at: time(produced_at)?,
        this_update: time(this_update)?,
        next_update,
        revoked_at,
    })
}

/// True when the response is signed by the issuer, or by a responder certificate that the
/// issuer signed and marked for OCSP signing.
fn verify(tbs: &[u8], alg: &[u8], sig: &[u8], certs: Option<Tlv<'_>>, issuer_der: &[u8]) -> bool {
    let Ok((_, issuer)) = X509Certificate::from_der(issuer_der) else {
        return false;
    };
    let Ok((_, alg)) = AlgorithmIdentifier::from_der(alg) else {
        return false;
    };
    let Ok((_, sig)) = BitString::from_der(sig) else {
        return false;
    };
    let signed_by = |key: &SubjectPublicKeyInfo<'_>| {
        x509_parser::verify::verify_signature(key, &alg, &sig, tbs).is_ok()
    };
    if signed_by(issuer.public_key()) {
        return true;
    }
    let Some(certs) = certs else { return false };
    let Ok((list, _)) = expect(certs.content, tag::SEQUENCE, "certs") else {
        return false;
    };
    let mut rest = list.content;
    while let Ok((cert, after)) = read_tlv(rest) {
        rest = after;
        let Ok((_, responder)) = X509Certificate::from_der(cert.raw) else {
            continue;
        };
        let delegated = responder
            .verify_signature(Some(issuer.public_key()))
            .is_ok()
            && responder
                .extended_key_usage()
                .ok()
                .flatten()
                .is_some_and(|eku| {
                    eku.value.ocsp_signing
                        || eku
                            .value
                            .other
                            .iter()
                            .any(|o| o.to_id_string() == OCSP_SIGNING_EKU)
                });
        if delegated && signed_by(responder.public_key()) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [
            &[][..],
            &[0x30],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x30, 0x03, 0x0a, 0x01, 0x03],
            &[0x05, 0x00],
        ] {
            assert!(read_stapled(bytes, &[], None).is_err());
        }
        // Every prefix of a well-formed header errors cleanly.
        let response = [
            0x30, 0x0b, 0x0a, 0x01, 0x00, 0xa0, 0x06, 0x30, 0x04, 0x06, 0x02, 0x2b, 0x06,
        ];
        for len in 0..response.len() {
            assert!(read_tlv(&response[..len]).is_err() || len >= 2);
        }
    }

    #[test]
    fn error_statuses_are_named() {
        let (tlv, _) = read_tlv(&[0x0a, 0x01, 0x03]).unwrap();
        assert_eq!(tlv.content, [3]);
    }
}
