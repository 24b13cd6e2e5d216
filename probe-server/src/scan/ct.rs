//! The leaf's Certificate Transparency, judged once the chain (and, in a full scan, the
//! survey's TLS extension) is known: [`crate::pki::ct`] against the scanner's log list.

use shared::{CertificateTransparency, CheckError, Step};
use time::OffsetDateTime;

use super::Scanner;
use crate::pki::JudgedChain;

impl Scanner {
    /// The CT section for `judged`'s leaf (`None` without a leaf); a list that could not be
    /// read goes to `errors`. `tls_extension`: the survey's answer (`None`: not asked).
    pub(super) fn judge_ct(
        &self,
        judged: Option<&JudgedChain>,
        tls_extension: Option<Option<&[u8]>>,
        errors: &mut Vec<CheckError>,
    ) -> Option<CertificateTransparency> {
        let judged = judged?;
        let leaf = judged.certificates.first()?;
        // The issuer as the server sent it: the certificate after the leaf, when its subject
        // is the leaf's issuer.
        let issuer = judged
            .certificates
            .get(1)
            .filter(|c| c.subject_der == leaf.issuer_der)
            .map(|c| c.der.as_ref());
        let publicly_trusted = judged.trust.trusted
            && judged
                .trust
                .anchor
                .as_deref()
                .is_some_and(crate::pki::caa::is_public_root);
        let input = crate::pki::ct::CtInput {
            leaf: leaf.der.as_ref(),
            issuer,
            ocsp: Some(judged.ocsp.as_slice()),
            tls_extension,
            publicly_trusted,
            not_before: leaf.not_before,
            not_after: leaf.not_after,
            now: OffsetDateTime::now_utc(),
        };
        let (ct, problems) = crate::pki::ct::judge(&input, &self.ct_logs);
        errors.extend(problems.into_iter().map(|message| CheckError {
            check: Step::CertificateTransparency.to_string(),
            message,
        }));
        Some(ct)
    }
}
