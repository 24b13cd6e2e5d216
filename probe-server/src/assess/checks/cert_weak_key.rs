//! `cert-weak-key`: the leaf's key is too small (RSA/DSA under 2048 bits, EC under 256).

use shared::{Finding, FindingId, Grade, Severity};

use super::{Check, capped, finding};
use crate::assess::observations::Observations;

pub(super) const CHECK: Check = Check {
    name: "cert-weak-key",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    let Some(leaf) = obs.leaf() else {
        return Vec::new();
    };
    let key = &leaf.summary.key;
    let (weak, insecure) = match key.algorithm.as_str() {
        "RSA" | "DSA" => (key.bits < 2048, key.bits < 1024),
        "EC" => (key.bits < 256, key.bits < 160),
        _ => (false, false),
    };
    if !weak {
        return Vec::new();
    }
    // The rating guide: keys under 1024 bits (RSA equivalent) are insecure (F); under 2048,
    // weak (B).
    let (severity, cap) = if insecure {
        (Severity::Critical, Grade::F)
    } else {
        (Severity::High, Grade::B)
    };
    let what = match &key.curve {
        Some(curve) => format!("{} {} ({} bits)", key.algorithm, curve, key.bits),
        None => format!("{}-{}", key.algorithm, key.bits),
    };
    vec![capped(
        finding(
            FindingId::CertWeakKey,
            severity,
            "The certificate's key is too small",
            format!(
                "The certificate uses a {what} key; RSA keys need at least 2048 bits and EC keys at least 256."
            ),
            "Generate a new key (ECDSA P-256, or RSA 2048 or more) and get a certificate for it.",
        ),
        cap,
    )]
}

#[cfg(test)]
mod tests {
    use shared::PublicKeyInfo;

    use super::*;
    use crate::assess::checks::testing::healthy;

    fn with_key(algorithm: &str, bits: u32) -> Vec<Finding> {
        let mut obs = healthy();
        obs.certificates[0].summary.key = PublicKeyInfo {
            algorithm: algorithm.into(),
            bits,
            curve: None,
        };
        run(&obs)
    }

    #[test]
    fn grades_key_sizes_like_the_rating_guide() {
        assert!(with_key("RSA", 2048).is_empty());
        assert!(with_key("EC", 256).is_empty());
        assert!(with_key("Ed25519", 256).is_empty());
        assert_eq!(with_key("RSA", 1024)[0].grade_cap, Some(Grade::B));
        assert_eq!(with_key("RSA", 512)[0].grade_cap, Some(Grade::F));
        assert_eq!(with_key("EC", 224)[0].grade_cap, Some(Grade::B));
        assert!(with_key("RSA", 1024)[0].detail.contains("RSA-1024"));
    }
}
