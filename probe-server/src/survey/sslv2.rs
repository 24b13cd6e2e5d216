//! SSL 2.0: one SSL 2.0 CLIENT-HELLO offering every cipher spec; a server that speaks it
//! lists the specs it has in common in its SERVER-HELLO.

use futures_util::future::BoxFuture;
use shared::{CipherSuite, ProtocolVersion, Step, SuiteStrength};

use super::probe::{Observed, Probe, Recording, SurveyContext};
use super::prober::Prober;
use crate::iana::cipher_suites::{SSL2_CIPHER_SPECS, Ssl2CipherSpec};
use crate::wire::{Ssl2ClientHello, Verdict};

/// What the SSL 2.0 probe found.
#[derive(Debug, Clone, Default)]
pub struct Ssl2Survey {
    pub supported: Option<bool>,
    pub cipher_specs: Vec<u32>,
    /// The certificate from the SERVER-HELLO.
    pub certificate: Option<Vec<u8>>,
    pub error: Option<String>,
}

pub async fn probe(prober: &Prober) -> Ssl2Survey {
    let specs: Vec<u32> = SSL2_CIPHER_SPECS.iter().map(|s| s.id).collect();
    let flight = prober
        .send_bytes(&Ssl2ClientHello::new(&specs).to_bytes())
        .await;
    match flight.verdict() {
        Verdict::Ssl2Accepted { cipher_specs } => Ssl2Survey {
            supported: Some(true),
            cipher_specs,
            certificate: flight
                .ssl2_server_hello
                .as_ref()
                .map(|h| h.certificate.clone())
                .filter(|c| !c.is_empty()),
            error: None,
        },
        Verdict::Refused(_) | Verdict::Accepted { .. } | Verdict::HelloRetry { .. } => Ssl2Survey {
            supported: Some(false),
            ..Ssl2Survey::default()
        },
        // No answer in time says nothing; anything else that is not SSL 2.0 means no.
        Verdict::Failed(e @ crate::wire::WireError::Timeout { .. }) => Ssl2Survey {
            supported: None,
            error: Some(e.to_string()),
            ..Ssl2Survey::default()
        },
        Verdict::Failed(e) => Ssl2Survey {
            supported: Some(false),
            error: Some(e.to_string()),
            ..Ssl2Survey::default()
        },
    }
}

/// The report's form of an SSL 2.0 cipher spec. Its `id` is the 3-byte spec shifted right by
/// eight bits (0x010080 → 0x0100): SSL 2.0 specs have no TLS code point.
pub fn describe(id: u32) -> CipherSuite {
    let info: Option<&Ssl2CipherSpec> = SSL2_CIPHER_SPECS.iter().find(|s| s.id == id);
    CipherSuite {
        id: u16::try_from(id >> 8).unwrap_or(u16::MAX),
        name: info.map_or_else(|| format!("SSL2_0x{id:06x}"), |s| s.name.to_owned()),
        openssl_name: info.map(|s| s.openssl_name.to_owned()),
        key_exchange: "RSA".into(),
        authentication: "RSA".into(),
        encryption: info.map_or_else(
            || "unknown".into(),
            |s| format!("{:?}", s.cipher).to_uppercase(),
        ),
        bits: info.map_or(0, |s| s.bits),
        mac: "MD5".into(),
        aead: false,
        forward_secrecy: false,
        strength: SuiteStrength::Insecure,
        key_exchange_detail: None,
    }
}

/// The SSL 2.0 probe.
pub(crate) struct Ssl2Probe;

impl Probe for Ssl2Probe {
    fn name(&self) -> Step {
        Step::Protocol(ProtocolVersion::Ssl2)
    }

    fn run<'a>(&'a self, context: &'a SurveyContext<'a>) -> BoxFuture<'a, Recording> {
        Box::pin(async move {
            let survey = probe(context.prober).await;
            Box::new(move |observed: &mut Observed| observed.ssl2 = survey) as Recording
        })
    }
}
