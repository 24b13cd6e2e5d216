//! `no-pq-key-exchange`: no hybrid post-quantum key exchange (informational).

use shared::{Finding, FindingId, ProtocolVersion, Severity};

use super::{Check, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "pq-key-exchange",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let Some(groups) = &obs.key_exchange.groups else {
        return Vec::new();
    };
    if obs.supports(ProtocolVersion::Tls13) != Some(true) || groups.iter().any(|g| g.post_quantum) {
        return Vec::new();
    }
    vec![finding(
        FindingId::NoPqKeyExchange,
        Severity::Info,
        "No post-quantum key exchange",
        "The server does not offer a hybrid post-quantum group such as X25519MLKEM768, which Chrome and Firefox \
         already use: traffic recorded today could be decrypted by a future quantum computer.",
        "Enable X25519MLKEM768 (OpenSSL 3.5+, BoringSSL, rustls, Go 1.24+).",
    )]
}

#[cfg(test)]
mod tests {
    use shared::KeyExchangeGroup;

    use super::*;
    use crate::assess::checks::testing::healthy;

    #[test]
    fn informs_when_tls13_lacks_pq_groups() {
        let mut obs = healthy();
        assert!(run(&obs).is_empty(), "groups not tested");
        let x25519 = KeyExchangeGroup {
            id: 0x1d,
            name: "x25519".into(),
            bits: 128,
            post_quantum: false,
        };
        obs.key_exchange.groups = Some(vec![x25519.clone()]);
        assert_eq!(run(&obs)[0].severity, Severity::Info);
        let pq = KeyExchangeGroup {
            id: 0x11ec,
            name: "X25519MLKEM768".into(),
            bits: 192,
            post_quantum: true,
        };
        obs.key_exchange.groups = Some(vec![pq, x25519]);
        assert!(run(&obs).is_empty());
    }
}
