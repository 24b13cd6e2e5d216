//! Certificate chains as real servers send them: what is true of each certificate now, and
//! what is true of the chain as a whole.

use shared::{Grade, TrustIssueKind};
use testbed::{LeafSpec, OpensslServer, ProtocolVersion as TV, TestPki};
use time::{Date, Duration, Month, OffsetDateTime};

use crate::support::{blocking, cap, full_scan, ids};

fn day(year: i32, month: Month, day: u8) -> OffsetDateTime {
    Date::from_calendar_date(year, month, day)
        .unwrap()
        .midnight()
        .assume_utc()
}

/// A leaf valid 2020-01-01..2021-01-01 under an intermediate issued last week: the leaf is
/// expired (T), nothing is "not valid yet", and the never-overlapping dates are an info
/// finding of their own.
#[tokio::test(flavor = "multi_thread")]
async fn an_old_leaf_under_a_young_intermediate_is_expired_and_nothing_else() {
    let now = OffsetDateTime::now_utc();
    let pki =
        TestPki::with_intermediate_validity(now - Duration::days(7), now + Duration::days(365));
    let leaf = pki.leaf(&LeafSpec {
        not_before: day(2020, Month::January, 1),
        not_after: day(2021, Month::January, 1),
        ..LeafSpec::valid("stale.test")
    });
    let server = blocking(move || {
        OpensslServer::builder(&leaf)
            .versions(&[TV::Tls12, TV::Tls13])
            .start()
            .unwrap()
    })
    .await;
    let report = full_scan(&pki, "stale.test", server.addr(), None).await;
    assert_eq!(report.certificates.len(), 2, "leaf and intermediate sent");
    let found = ids(&report);
    assert!(!found.contains("cert-not-yet-valid"), "{found:?}");
    assert!(found.contains("cert-expired"), "{found:?}");
    assert!(found.contains("chain-validity-disjoint"), "{found:?}");
    assert_eq!(cap(&report, "cert-expired"), Some(Grade::T));
    assert_eq!(cap(&report, "chain-validity-disjoint"), None);
    let kinds: Vec<TrustIssueKind> = report.trust.issues.iter().map(|i| i.kind).collect();
    assert!(!kinds.contains(&TrustIssueKind::NotYetValid), "{kinds:?}");
    let expired = report
        .findings
        .iter()
        .find(|f| f.id.as_str() == "cert-expired")
        .unwrap();
    assert!(
        expired
            .detail
            .starts_with("The certificate expired on 2021-01-01"),
        "{}",
        expired.detail
    );
    assert_eq!(report.grade, Grade::T);
}
