//! OCSP Must-Staple (RFC 7633): the TLS Feature extension of a certificate, read with
//! x509-parser's DER parser. A leaf that lists `status_request` (5) tells clients to refuse
//! a handshake that comes without a stapled OCSP response.

use x509_parser::der_parser::ber::BerObjectContent;
use x509_parser::der_parser::der::parse_der;
use x509_parser::prelude::X509Certificate;

/// id-pe-tlsfeature (1.3.6.1.5.5.7.1.24).
const TLS_FEATURE_OID: &str = "1.3.6.1.5.5.7.1.24";
/// The TLS extension number of status_request.
const STATUS_REQUEST: u64 = 5;

/// Whether `cert` asks for a stapled OCSP response. A malformed extension counts as no
/// request: clients that cannot parse it do not enforce it either.
pub fn requires_staple(cert: &X509Certificate<'_>) -> bool {
    cert.extensions()
        .iter()
        .filter(|ext| ext.oid.to_id_string() == TLS_FEATURE_OID)
        .any(|ext| features(ext.value).is_some_and(|f| f.contains(&STATUS_REQUEST)))
}

/// The feature numbers of a TLS Feature extension value: `SEQUENCE OF INTEGER`; `None`
/// when it is anything else.
pub fn features(value: &[u8]) -> Option<Vec<u64>> {
    let (rest, object) = parse_der(value).ok()?;
    if !rest.is_empty() {
        return None;
    }
    let BerObjectContent::Sequence(items) = object.content else {
        return None;
    };
    items.iter().map(|item| item.as_u64().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, CustomExtension, KeyPair};
    use x509_parser::prelude::FromDer;

    fn leaf(extension: Option<&[u8]>) -> Vec<u8> {
        let mut params = CertificateParams::new(vec!["staple.test".into()]).unwrap();
        if let Some(value) = extension {
            params
                .custom_extensions
                .push(CustomExtension::from_oid_content(
                    &[1, 3, 6, 1, 5, 5, 7, 1, 24],
                    value.to_vec(),
                ));
        }
        let key = KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    fn reads(der: &[u8]) -> bool {
        let (_, cert) = X509Certificate::from_der(der).unwrap();
        requires_staple(&cert)
    }

    #[test]
    fn finds_status_request_in_the_tls_feature_extension() {
        // SEQUENCE { INTEGER 5 }
        assert!(reads(&leaf(Some(&[0x30, 0x03, 0x02, 0x01, 0x05]))));
        // SEQUENCE { INTEGER 17 (status_request_v2), INTEGER 5 }
        assert!(reads(&leaf(Some(&[
            0x30, 0x06, 0x02, 0x01, 0x11, 0x02, 0x01, 0x05
        ]))));
    }

    #[test]
    fn other_features_absent_or_malformed_extensions_do_not_require_a_staple() {
        assert!(!reads(&leaf(None)));
        assert!(!reads(&leaf(Some(&[0x30, 0x03, 0x02, 0x01, 0x11]))));
        assert!(!reads(&leaf(Some(&[0x30, 0x05, 0x02, 0x01]))));
        assert!(!reads(&leaf(Some(&[0x04, 0x01, 0x05]))));
        assert!(features(&[0x30, 0x03, 0x02, 0x01, 0x05, 0x00]).is_none());
    }
}
