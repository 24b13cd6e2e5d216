//! `cert-message-too-large`: the server's Certificate message is larger than common TLS
//! clients accept, so they cannot connect at all.
//!
//! rustls refuses any handshake message over 64 KiB (0xffff bytes); OpenSSL, by default, a
//! certificate list over 100 KB (`SSL_CTX_set_max_cert_list`, 102400). Such a chain is valid
//! TLS, and the probe reads and judges it with its own engine; this finding says who fails.
//! The size costs reach, not secrecy, so it caps nothing, unless the leaf itself is over
//! 64 KiB: then webpki (the probe's verifier too) cannot parse it, its path to a trusted root
//! was not checked, and the grade is T, with this finding's fix (a smaller certificate).

use shared::{Finding, FindingId, Grade, Severity, TrustIssueKind};

use super::{Check, capped, finding, trust_issues};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "cert-message-too-large",
    run,
};

/// rustls' largest handshake message.
pub(crate) const RUSTLS_MAX_HANDSHAKE: usize = 0xffff;
/// OpenSSL's default largest certificate list.
pub(crate) const OPENSSL_MAX_CERT_LIST: usize = 100 * 1024;

/// The TLS 1.2 Certificate message body for this chain: a 3-byte list length, and each
/// certificate with its 3-byte length (TLS 1.3 adds a little per entry; this is the least).
fn message_len(obs: &Observations) -> usize {
    3 + obs
        .certificates
        .iter()
        .map(|c| 3 + c.der.len())
        .sum::<usize>()
}

fn run(obs: &Observations) -> Vec<Finding> {
    let len = message_len(obs);
    if len <= RUSTLS_MAX_HANDSHAKE {
        return Vec::new();
    }
    let who = if len > OPENSSL_MAX_CERT_LIST {
        "rustls (64 KiB at most) and OpenSSL (100 KB by default) refuse it, so clients built on them — curl, \
         Python, most server-to-server software — cannot connect"
    } else {
        "rustls (64 KiB at most) refuses it, so clients built on it cannot connect; OpenSSL's default limit \
         (100 KB) is close"
    };
    let largest = obs
        .certificates
        .iter()
        .max_by_key(|c| c.der.len())
        .map(|c| {
            format!(
                " The largest certificate is {} bytes with {} names.",
                c.der.len(),
                c.summary.subject_alt_names.len()
            )
        })
        .unwrap_or_default();
    let unverified = trust_issues(obs, TrustIssueKind::CertificateTooLarge);
    let found = finding(
        FindingId::CertMessageTooLarge,
        Severity::High,
        "The certificate chain is too large for common clients",
        format!(
            "The server's Certificate message is {len} bytes ({} certificates): {who}.{largest}{}",
            obs.certificates.len(),
            unverified.map(|d| format!(" {d}.")).unwrap_or_default()
        ),
        "Serve a smaller chain: split the names over several certificates chosen by SNI (a certificate with \
         thousands of subjectAltNames is the usual cause), send only the leaf and its intermediates, not the \
         root, and keep the chain under 64 KiB.",
    );
    let too_large_to_verify = obs
        .trust
        .issues
        .iter()
        .any(|i| i.kind == TrustIssueKind::CertificateTooLarge);
    vec![if too_large_to_verify {
        capped(found, Grade::T)
    } else {
        found
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::{cert, healthy};

    fn with_leaf_of(bytes: usize) -> Observations {
        let mut obs = healthy();
        let mut leaf = cert(80);
        leaf.der = rustls_pki_types::CertificateDer::from(vec![0x30; bytes]);
        obs.certificates = vec![leaf];
        obs
    }

    #[test]
    fn a_chain_under_64_kib_is_fine() {
        assert!(run(&healthy()).is_empty());
        assert!(run(&with_leaf_of(RUSTLS_MAX_HANDSHAKE - 6)).is_empty());
    }

    #[test]
    fn over_64_kib_rustls_fails_and_over_100_kb_openssl_too() {
        let found = run(&with_leaf_of(RUSTLS_MAX_HANDSHAKE - 5));
        assert_eq!(found[0].id, FindingId::CertMessageTooLarge);
        assert_eq!(found[0].grade_cap, None);
        assert!(found[0].detail.contains("rustls") && !found[0].detail.contains("curl"));
        let found = run(&with_leaf_of(200 * 1024));
        assert!(
            found[0]
                .detail
                .contains("OpenSSL (100 KB by default) refuse it"),
            "{}",
            found[0].detail
        );
        assert_eq!(found[0].grade_cap, None);
    }

    #[test]
    fn a_leaf_too_large_to_verify_caps_at_t() {
        let mut obs = with_leaf_of(200 * 1024);
        obs.trust.trusted = false;
        obs.trust.issues.push(shared::TrustIssue {
            kind: TrustIssueKind::CertificateTooLarge,
            message: "its path to a trusted root could not be checked".into(),
        });
        let found = run(&obs);
        assert_eq!(found[0].grade_cap, Some(Grade::T));
        assert!(
            found[0].detail.contains("could not be checked"),
            "{}",
            found[0].detail
        );
        let everything = crate::assess::checks::run_all(&obs);
        let ids = crate::assess::checks::testing::ids(&everything);
        assert_eq!(
            ids,
            ["cert-message-too-large"],
            "the fix is the size, not the CA"
        );
    }
}
