//! `cert-weak-signature`: a certificate the server sent (other than a root) is signed with
//! SHA-1 or MD5.

use shared::{Finding, FindingId, Grade, Severity};

use super::{Check, capped, finding};
use crate::assess::observations::Observations;
use crate::pki::certificate::SignatureHash;

pub(super) const CHECK: Check = Check {
    name: "cert-weak-signature",
    run,
};

fn run(obs: &Observations) -> Vec<Finding> {
    // A root's self-signature is never checked by clients, so it does not count.
    let weak: Vec<_> = obs
        .certificates
        .iter()
        .enumerate()
        .filter(|(i, c)| *i == 0 || !c.summary.self_signed)
        .filter(|(_, c)| {
            matches!(
                c.signature_hash,
                SignatureHash::Sha1 | SignatureHash::Md5 | SignatureHash::Md2
            )
        })
        .collect();
    if weak.is_empty() {
        return Vec::new();
    }
    let md5 = weak
        .iter()
        .any(|(_, c)| matches!(c.signature_hash, SignatureHash::Md5 | SignatureHash::Md2));
    let detail = weak
        .iter()
        .map(|(i, c)| {
            let which = if *i == 0 {
                "The certificate".to_owned()
            } else {
                format!("The intermediate '{}'", c.summary.subject)
            };
            format!("{which} is signed with {}", c.summary.signature_algorithm)
        })
        .collect::<Vec<_>>()
        .join(". ");
    // MD5 signatures can be forged outright (F); browsers reject SHA-1 ones (T).
    let cap = if md5 { Grade::F } else { Grade::T };
    vec![capped(
        finding(
            FindingId::CertWeakSignature,
            Severity::High,
            "The certificate is signed with a broken hash",
            format!(
                "{detail}; collisions make such signatures forgeable and browsers refuse them."
            ),
            "Get a certificate signed with SHA-256 or better (any current CA issues them) and serve its current \
             intermediates.",
        ),
        cap,
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::checks::testing::{cert, healthy};

    #[test]
    fn flags_sha1_and_md5_but_not_root_self_signatures() {
        let mut obs = healthy();
        assert!(run(&obs).is_empty());
        let mut root = cert(1000);
        root.summary.self_signed = true;
        root.signature_hash = SignatureHash::Sha1;
        obs.certificates.push(root);
        assert!(run(&obs).is_empty());
        obs.certificates[0].signature_hash = SignatureHash::Sha1;
        assert_eq!(run(&obs)[0].grade_cap, Some(Grade::T));
        obs.certificates[0].signature_hash = SignatureHash::Md5;
        assert_eq!(run(&obs)[0].grade_cap, Some(Grade::F));
    }
}
