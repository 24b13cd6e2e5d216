//! `rsa-key-exchange`: suites where the client encrypts the secret to the server's RSA key
//! (no forward secrecy; the ROBOT attack surface).

use shared::{Finding, FindingId, Severity};

use super::suites::{accepted_where, describe};
use super::{Check, finding};
use crate::assess::observations::Observations;
use crate::iana::cipher_suites::KeyExchange;

pub(super) const CHECK: Check = Check {
    name: "rsa-key-exchange",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let found = accepted_where(obs, |s| s.key_exchange == KeyExchange::Rsa);
    if found.is_empty() {
        return Vec::new();
    }
    vec![finding(
        FindingId::RsaKeyExchange,
        Severity::Low,
        "Accepts RSA key exchange",
        format!(
            "With RSA key exchange, whoever obtains the server's private key later can decrypt every recorded \
             session, and padding oracles (ROBOT) are possible. Accepted: {}.",
            describe(&found)
        ),
        "Remove the TLS_RSA_WITH_* suites; keep ECDHE (and DHE) suites.",
    )]
}

#[cfg(test)]
mod tests {
    use shared::ProtocolVersion;

    use super::*;
    use crate::assess::checks::testing::with_suites;

    #[test]
    fn flags_static_rsa() {
        assert!(run(&with_suites(ProtocolVersion::Tls12, &[0xc02f])).is_empty());
        assert_eq!(
            run(&with_suites(ProtocolVersion::Tls12, &[0x009c])).len(),
            1
        );
    }
}
