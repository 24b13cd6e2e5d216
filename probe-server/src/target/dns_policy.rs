//! The name's DNS records that bear on TLS, through the scan's resolver: the CAA set that
//! governs it (RFC 8659: the name's own records, else the closest parent's) and its HTTPS
//! records (RFC 9460: ALPN, ECH). The verdict on the leaf's issuer is `pki::caa`'s; this
//! module only asks and reads (hickory parses the rdata).

use std::time::Duration;

use hickory_resolver::proto::rr::rdata::svcb::SvcParamValue;
use hickory_resolver::proto::rr::{RData, RecordType};
use shared::{Caa, CaaRecord, DnsPolicy, HttpsRecord};

use super::resolve::Resolve;

/// Names a CAA climb asks at most (the name and its parents up to the TLD): a name with
/// more labels is cut to its last this many, which every real name fits.
pub const MAX_CAA_NAMES: usize = 10;

/// Why the records could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DnsPolicyError {
    /// The scan's resolver answers addresses only (a test table).
    #[error("the resolver cannot look up CAA or HTTPS records")]
    Unsupported,
    #[error("the DNS lookups took longer than {0:?}")]
    Timeout(Duration),
    #[error("looking up {record} records of {name}: {reason}")]
    Lookup {
        record: &'static str,
        name: String,
        reason: String,
    },
}

/// Looks up the CAA set and HTTPS records of `host` (scanned on `port`), all at once, within
/// `timeout`.
pub async fn look_up(
    resolver: &dyn Resolve,
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<DnsPolicy, DnsPolicyError> {
    tokio::time::timeout(timeout, look_up_unbounded(resolver, host, port))
        .await
        .map_err(|_| DnsPolicyError::Timeout(timeout))?
}

async fn look_up_unbounded(
    resolver: &dyn Resolve,
    host: &str,
    port: u16,
) -> Result<DnsPolicy, DnsPolicyError> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    // RFC 9460 §9.1: the HTTPS records of another port than 443 live at _PORT._https.NAME.
    let https_name = if port == 443 {
        host.clone()
    } else {
        format!("_{port}._https.{host}")
    };
    // Every name of the climb is asked at once (one round trip instead of one per label);
    // the closest non-empty answer wins, as if the climb had stopped there.
    let climb = caa_names(&host);
    let caa_lookups = futures_util::future::join_all(
        climb
            .iter()
            .map(|name| records(resolver, name, RecordType::CAA)),
    );
    let (caa_answers, https) = tokio::join!(
        caa_lookups,
        records(resolver, &https_name, RecordType::HTTPS)
    );
    let mut caa = Caa::default();
    for (name, answer) in climb.iter().zip(caa_answers) {
        let found = caa_records(&answer?);
        if !found.is_empty() {
            caa.found_at = Some(name.clone());
            caa.records = found;
            break;
        }
    }
    let mut https = https_records(&https?);
    https.sort_by_key(|r| r.priority);
    // RFC 9460 §2.4.1: an alias-mode record makes the service-mode ones in the set void.
    let alias = https.iter().any(|r| r.priority == 0);
    let ech_advertised = !alias && https.iter().any(|r| r.ech);
    Ok(DnsPolicy {
        caa,
        https,
        ech_advertised,
    })
}

/// `a.b.example.com` → `[a.b.example.com, b.example.com, example.com, com]`, at most
/// [`MAX_CAA_NAMES`].
pub fn caa_names(host: &str) -> Vec<String> {
    let labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
    let start = labels.len().saturating_sub(MAX_CAA_NAMES);
    (start..labels.len())
        .map(|i| labels[i..].join("."))
        .collect()
}

async fn records(
    resolver: &dyn Resolve,
    name: &str,
    kind: RecordType,
) -> Result<Vec<RData>, DnsPolicyError> {
    resolver.records(name, kind).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::Unsupported {
            DnsPolicyError::Unsupported
        } else {
            DnsPolicyError::Lookup {
                record: if kind == RecordType::CAA {
                    "CAA"
                } else {
                    "HTTPS"
                },
                name: name.to_owned(),
                reason: e.to_string(),
            }
        }
    })
}

/// The CAA records among `answers`, as published.
pub fn caa_records(answers: &[RData]) -> Vec<CaaRecord> {
    answers
        .iter()
        .filter_map(|data| match data {
            RData::CAA(caa) => Some(CaaRecord {
                critical: caa.issuer_critical,
                tag: caa.tag.clone(),
                value: String::from_utf8_lossy(&caa.value).into_owned(),
            }),
            _ => None,
        })
        .collect()
}

/// The HTTPS records among `answers`.
pub fn https_records(answers: &[RData]) -> Vec<HttpsRecord> {
    answers
        .iter()
        .filter_map(|data| match data {
            RData::HTTPS(https) => {
                let svcb = &https.0;
                let mut record = HttpsRecord {
                    priority: svcb.svc_priority,
                    target: svcb.target_name.to_string(),
                    alpn: Vec::new(),
                    port: None,
                    ech: false,
                };
                for (_, value) in &svcb.svc_params {
                    match value {
                        SvcParamValue::Alpn(alpn) => record.alpn.extend(alpn.0.iter().cloned()),
                        SvcParamValue::Port(port) => record.port = Some(*port),
                        SvcParamValue::EchConfigList(list) => record.ech = !list.0.is_empty(),
                        _ => {}
                    }
                }
                Some(record)
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_climb_goes_from_the_name_to_its_tld_and_is_bounded() {
        assert_eq!(
            caa_names("a.b.example.com."),
            ["a.b.example.com", "b.example.com", "example.com", "com"]
        );
        let deep = format!("{}example.com", "x.".repeat(40));
        let names = caa_names(&deep);
        assert_eq!(names.len(), MAX_CAA_NAMES);
        assert_eq!(names.last().map(String::as_str), Some("com"));
    }
}
