//! ROBOT (Böck, Somorovsky and Young, 2017; CVE-2017-13099 and siblings): the return of
//! Bleichenbacher's 1998 padding oracle. A server that answers an RSA ClientKeyExchange
//! differently depending on whether its PKCS#1 v1.5 padding was valid lets an attacker decrypt
//! recorded RSA key exchanges, or sign with the server's key, one oracle query at a time.
//!
//! The test is the paper's (and sslyze's and testssl.sh's): five handshakes with RSA key
//! exchange, each completed with a ClientKeyExchange encrypted under the server's own key, a
//! ChangeCipherSpec and a Finished, differing only in the encrypted block: one valid, four
//! invalid in the ways real oracles told apart. A server without an oracle answers all five
//! alike (it continues with a random premaster secret, RFC 5246 §7.4.7.1, and fails on the
//! Finished); any difference is an oracle. A difference is confirmed by a second round before
//! it is reported, so that one lost connection cannot condemn a server.
//!
//! Not done: the paper's second variant, which stops after the ClientKeyExchange and tells
//! oracles apart by timeouts. It costs a timeout on every server, and the servers the paper
//! found with it also showed an oracle in this variant, or in TLS alerts (the paper, §5).

use futures_util::future::BoxFuture;
use num_bigint::BigUint;
use shared::{ProtocolVersion, Step};
use tokio::io::AsyncWriteExt;

use super::probe::{Observed, Probe, Recording, SurveyContext};
use super::prober::Prober;
use super::refusal::{ask_plainer, exchange_refusal};
use super::suites::hello;
use crate::iana::cipher_suites::{self, KeyExchange};
use crate::survey::outcome::ProbeOutcome;
use crate::wire::exchange::{Deadline, next_record};
use crate::wire::record::{ContentType, Record};
use crate::wire::server::alert_name;
use crate::wire::{FlightEnd, WireError, client_hello::random_bytes};

/// How long to wait for the server's answer to the key exchange and Finished.
const ANSWER_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Modulus sizes the test encrypts under. Beyond them a hostile certificate could make the
/// modular exponentiation expensive; no real server uses such keys for RSA key exchange.
const MODULUS_BITS: std::ops::RangeInclusive<u64> = 512..=16384;

/// Public exponents the test accepts (real ones are 3 and 65537, or a few bytes at most).
const MAX_EXPONENT_BITS: u64 = 64;

/// The five encrypted blocks, as in the paper's Table 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    /// `00 02 ‖ padding ‖ 00 ‖ version ‖ 46 random bytes`: what a real client sends.
    Valid,
    /// The block does not start with `00 02`.
    WrongFirstBytes,
    /// The zero separator is two bytes from the end (a 1-byte "premaster secret").
    ZeroMisplaced,
    /// No zero separator at all.
    NoZero,
    /// A valid block with a premaster secret of the wrong version (`02 02`).
    WrongVersion,
}

impl Padding {
    /// All five, the valid one first.
    pub const ALL: [Self; 5] = [
        Self::Valid,
        Self::WrongFirstBytes,
        Self::ZeroMisplaced,
        Self::NoZero,
        Self::WrongVersion,
    ];

    fn describe(self) -> &'static str {
        match self {
            Self::Valid => "valid padding",
            Self::WrongFirstBytes => "wrong first bytes",
            Self::ZeroMisplaced => "misplaced zero",
            Self::NoZero => "no zero separator",
            Self::WrongVersion => "wrong premaster version",
        }
    }
}

/// The block of `k` bytes (the modulus length) to encrypt, for a hello that offered
/// `client_version`. `None` when `k` is too short for PKCS#1 v1.5 with a 48-byte secret.
pub fn encoded_block(padding: Padding, k: usize, client_version: u16) -> Option<Vec<u8>> {
    // 2 (block type) + at least 8 padding bytes + 1 (separator) + 48 (premaster).
    let padding_len = k.checked_sub(2 + 1 + 48).filter(|n| *n >= 8)?;
    let nonzero = |n: usize| -> Vec<u8> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            out.extend(random_bytes().iter().map(|b| b.max(&1)));
        }
        out.truncate(n);
        out
    };
    let [major, minor] = client_version.to_be_bytes();
    let mut block = Vec::with_capacity(k);
    match padding {
        Padding::WrongFirstBytes => block.extend([0x41, 0x17]),
        _ => block.extend([0x00, 0x02]),
    }
    block.extend(nonzero(padding_len));
    match padding {
        Padding::Valid | Padding::WrongFirstBytes => {
            block.extend([0x00, major, minor]);
            block.extend(nonzero(46));
        }
        Padding::ZeroMisplaced => {
            block.push(0x11);
            block.extend(nonzero(46));
            block.extend([0x00, 0x11]);
        }
        Padding::NoZero => {
            block.extend([0x11, 0x11, 0x11]);
            block.extend(nonzero(46));
        }
        Padding::WrongVersion => {
            block.extend([0x00, 0x02, 0x02]);
            block.extend(nonzero(46));
        }
    }
    debug_assert_eq!(block.len(), k);
    Some(block)
}

/// An RSA public key from a certificate, within the sizes the test accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RsaPublicKey {
    modulus: BigUint,
    exponent: BigUint,
}

impl RsaPublicKey {
    /// The leaf certificate's RSA key, or why there is none to use.
    pub fn from_certificate(der: &[u8]) -> Result<Self, String> {
        use x509_parser::public_key::PublicKey;
        let (_, certificate) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| format!("the server's certificate does not parse: {e}"))?;
        match certificate.public_key().parsed() {
            Ok(PublicKey::RSA(key)) => Self::new(key.modulus, key.exponent),
            Ok(_) => Err("the server's certificate has no RSA key".into()),
            Err(e) => Err(format!("the server's public key does not parse: {e}")),
        }
    }

    /// A key from its big-endian modulus and exponent.
    pub fn new(modulus: &[u8], exponent: &[u8]) -> Result<Self, String> {
        let modulus = BigUint::from_bytes_be(modulus);
        let exponent = BigUint::from_bytes_be(exponent);
        if !MODULUS_BITS.contains(&modulus.bits()) {
            return Err(format!(
                "the server's RSA modulus has {} bits, outside what the test encrypts under",
                modulus.bits()
            ));
        }
        if exponent.bits() > MAX_EXPONENT_BITS || exponent < BigUint::from(3u8) {
            return Err("the server's RSA public exponent is implausible".into());
        }
        Ok(Self { modulus, exponent })
    }

    /// The modulus length in bytes.
    pub fn size(&self) -> usize {
        usize::try_from(self.modulus.bits().div_ceil(8)).unwrap_or(usize::MAX)
    }

    /// RSAEP (RFC 8017 §5.1.1): `block`^e mod n, as `size()` bytes.
    pub fn encrypt(&self, block: &[u8]) -> Vec<u8> {
        let c = BigUint::from_bytes_be(block).modpow(&self.exponent, &self.modulus);
        let bytes = c.to_bytes_be();
        let mut out = vec![0; self.size().saturating_sub(bytes.len())];
        out.extend(bytes);
        out
    }
}

/// What the server did after the key exchange and Finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A TLS alert (its description).
    Alert(u8),
    /// The connection closed without an alert.
    Closed,
    /// The connection was reset.
    Reset,
    /// Nothing within the wait.
    Silence,
    /// A record of another type (a server finishing the handshake cannot happen: the Finished
    /// is garbage).
    Record(u8),
    /// Bytes that are not TLS.
    Garbage,
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Alert(description) => write!(f, "{}", alert_name(*description)),
            Self::Closed => f.write_str("connection closed"),
            Self::Reset => f.write_str("connection reset"),
            Self::Silence => f.write_str("no answer"),
            Self::Record(content_type) => write!(f, "a record of type {content_type}"),
            Self::Garbage => f.write_str("bytes that are not TLS"),
        }
    }
}

/// What five answers (in [`Padding::ALL`] order) say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Oracle {
    /// All alike: no oracle.
    None,
    /// The answer to a block not starting with `00 02` stands apart from the blocks with a
    /// misplaced or missing zero: the strong oracle of the paper (a few thousand queries).
    Strong,
    /// Another difference: the weak oracle (many more queries, still practical).
    Weak,
}

/// Tells the oracle from five answers, as the paper's tool does.
pub fn judge(answers: &[Answer; 5]) -> Oracle {
    if answers.iter().all(|a| *a == answers[0]) {
        return Oracle::None;
    }
    let [_, wrong_first, misplaced, no_zero, _] = answers;
    if wrong_first != misplaced && wrong_first != no_zero {
        Oracle::Strong
    } else {
        Oracle::Weak
    }
}

/// Why one handshake gave no answer to judge.
enum Skip {
    /// The server refused every RSA key-exchange suite.
    NoRsa,
    /// Something else (the message says what).
    Failed(String),
}

/// The RSA key-exchange suites `version` can negotiate (not the export ones: those encrypt
/// under a temporary key, and FREAK already fails them).
pub fn rsa_suites(version: ProtocolVersion) -> Vec<u16> {
    cipher_suites::for_version(version)
        .filter(|s| s.key_exchange == KeyExchange::Rsa)
        .map(|s| s.id)
        .collect()
}

/// Runs the ROBOT test over `version`.
pub async fn robot(prober: &Prober, version: ProtocolVersion) -> ProbeOutcome {
    let suites = rsa_suites(version);
    if suites.is_empty() {
        return ProbeOutcome::Inconclusive(format!(
            "{} has no RSA key-exchange suite",
            version.display_name()
        ));
    }
    // The valid block first, alone: most servers refuse RSA key exchange today, and one
    // connection then settles it.
    let first = match handshake(prober, version, &suites, Padding::Valid).await {
        Ok(answer) => answer,
        Err(Skip::NoRsa) => {
            return ProbeOutcome::NotVulnerable(format!(
                "The server refuses RSA key exchange in {}, its newest version before TLS 1.3; the attack \
                 needs RSA key exchange.",
                version.display_name()
            ));
        }
        Err(Skip::Failed(why)) => return ProbeOutcome::Inconclusive(why),
    };
    let answers = match round(prober, version, &suites, Some(first)).await {
        Ok(answers) => answers,
        Err(why) => return ProbeOutcome::Inconclusive(why),
    };
    if judge(&answers) == Oracle::None {
        return ProbeOutcome::NotVulnerable(format!(
            "The server answered a valid and four kinds of invalid PKCS#1 padding in the RSA key exchange \
             alike ({}).",
            answers[0]
        ));
    }
    // Confirm: a difference must repeat before it condemns the server.
    let again = match round(prober, version, &suites, None).await {
        Ok(answers) => answers,
        Err(why) => return ProbeOutcome::Inconclusive(why),
    };
    if again != answers {
        return ProbeOutcome::Inconclusive(format!(
            "the answers to the five RSA key exchanges differed between two rounds ({} / {})",
            list(&answers),
            list(&again)
        ));
    }
    let strength = match judge(&answers) {
        Oracle::Strong => "a strong",
        _ => "a weak",
    };
    ProbeOutcome::Vulnerable(format!(
        "The server is {strength} Bleichenbacher padding oracle: it answers RSA key exchanges differently by \
         the validity of their padding ({}), twice in a row.",
        list(&answers)
    ))
}

fn list(answers: &[Answer; 5]) -> String {
    Padding::ALL
        .iter()
        .zip(answers)
        .map(|(p, a)| format!("{}: {a}", p.describe()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The five handshakes (or the four after `first`), concurrently under the prober's cap.
async fn round(
    prober: &Prober,
    version: ProtocolVersion,
    suites: &[u16],
    first: Option<Answer>,
) -> Result<[Answer; 5], String> {
    let start = usize::from(first.is_some());
    let rest = futures_util::future::join_all(
        Padding::ALL[start..]
            .iter()
            .map(|padding| handshake(prober, version, suites, *padding)),
    )
    .await;
    let mut answers = Vec::with_capacity(5);
    answers.extend(first);
    for answer in rest {
        match answer {
            Ok(a) => answers.push(a),
            Err(Skip::NoRsa) => {
                return Err(
                    "the server refused RSA key exchange on one connection but not on another"
                        .into(),
                );
            }
            Err(Skip::Failed(why)) => return Err(why),
        }
    }
    answers
        .try_into()
        .map_err(|_| "not five answers".to_owned())
}

/// One handshake: hello with RSA suites, the server's flight, then ClientKeyExchange with
/// `padding`, ChangeCipherSpec and a garbage Finished; what the server does next.
async fn handshake(
    prober: &Prober,
    version: ProtocolVersion,
    suites: &[u16],
    padding: Padding,
) -> Result<Answer, Skip> {
    let _slot = prober.slot().await;
    let client_version = hello(version, suites).legacy_version;
    // A server that closes on the full hello for its form (status_request, size) would
    // otherwise look like one that refuses RSA key exchange: ask plainer before concluding.
    let asked = ask_plainer(
        prober.forms(),
        |form| {
            let bytes = prober
                .named(form.shape(hello(version, suites), &[]))
                .to_bytes();
            async move { prober.exchange(&bytes).await }
        },
        exchange_refusal,
    )
    .await;
    let mut ex = asked
        .answer
        .map_err(|e| Skip::Failed(format!("no handshake to test with: {e}")))?;
    let Some(server_hello) = ex.flight.server_hello.as_ref() else {
        return Err(match ex.flight.end {
            // A refusal: an alert, or a connection closed without a word (JSSE with only an
            // ECDSA certificate does that to a hello offering only RSA key exchange). The
            // version was answered before (the probe runs where the enumeration's first
            // hello was accepted), so the close is about the RSA-only offer.
            FlightEnd::Alert(_) | FlightEnd::Eof => Skip::NoRsa,
            ref end => Skip::Failed(format!("no handshake to test with ({end:?})")),
        });
    };
    if ex.flight.end != FlightEnd::ServerHelloDone {
        return Err(Skip::Failed(format!(
            "the handshake stopped early ({:?})",
            ex.flight.end
        )));
    }
    let negotiated = server_hello.version().min(0x0303);
    if !suites.contains(&server_hello.cipher_suite) {
        return Err(Skip::Failed(format!(
            "the server chose suite {:#06x}, which was not offered",
            server_hello.cipher_suite
        )));
    }
    let leaf = ex
        .flight
        .certificates
        .as_ref()
        .and_then(|c| c.leaf())
        .ok_or_else(|| Skip::Failed("the server sent no certificate".into()))?;
    let key = RsaPublicKey::from_certificate(leaf).map_err(Skip::Failed)?;
    let block = encoded_block(padding, key.size(), client_version)
        .ok_or_else(|| Skip::Failed("the server's RSA key is too short to test".into()))?;
    let bytes = follow_up(negotiated, &key.encrypt(&block));
    if let Err(e) = ex.stream.write_all(&bytes).await {
        return Ok(match e.kind() {
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe => Answer::Reset,
            _ => {
                return Err(Skip::Failed(format!(
                    "could not send the key exchange: {e}"
                )));
            }
        });
    }
    let deadline = Deadline::new(ANSWER_WAIT, ANSWER_WAIT);
    Ok(
        match next_record(&mut ex.stream, &mut ex.records, deadline).await {
            Ok(Some(record)) if record.content_type == ContentType::Alert => {
                Answer::Alert(record.payload.get(1).copied().unwrap_or_default())
            }
            Ok(Some(record)) => Answer::Record(record.content_type.to_u8()),
            Ok(None) => Answer::Closed,
            Err(WireError::Timeout { .. }) => Answer::Silence,
            Err(WireError::Io {
                kind: std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted,
                ..
            }) => Answer::Reset,
            Err(WireError::Io { .. }) => Answer::Closed,
            Err(_) => Answer::Garbage,
        },
    )
}

/// ClientKeyExchange (RFC 5246 §7.4.7.1; SSL 3.0 without the length), ChangeCipherSpec and a
/// Finished of 64 random bytes, as records of `version`.
fn follow_up(version: u16, encrypted: &[u8]) -> Vec<u8> {
    let mut exchange_keys = Vec::with_capacity(encrypted.len() + 2);
    if version >= 0x0301 {
        // At most 2048 bytes (16384-bit modulus): the cast cannot truncate.
        exchange_keys.extend((encrypted.len() as u16).to_be_bytes());
    }
    exchange_keys.extend(encrypted);
    let length = u32::try_from(exchange_keys.len())
        .unwrap_or(0)
        .to_be_bytes();
    let mut message = vec![16, length[1], length[2], length[3]];
    message.extend(exchange_keys);
    let mut finished = random_bytes().to_vec();
    finished.extend(random_bytes());
    let mut out = Record {
        content_type: ContentType::Handshake,
        version,
        payload: message,
    }
    .encode();
    out.extend(
        Record {
            content_type: ContentType::ChangeCipherSpec,
            version,
            payload: vec![1],
        }
        .encode(),
    );
    out.extend(
        Record {
            content_type: ContentType::Handshake,
            version,
            payload: finished,
        }
        .encode(),
    );
    out
}

/// The ROBOT test, on the best TLS ≤ 1.2 version the server accepts.
pub(crate) struct Robot;

impl Probe for Robot {
    fn name(&self) -> Step {
        Step::Robot
    }

    fn run<'a>(&'a self, context: &'a SurveyContext<'a>) -> BoxFuture<'a, Recording> {
        Box::pin(async move {
            let outcome = match context.firsts.best_legacy().await {
                Some(v) => Some(robot(context.prober, v).await),
                None => None,
            };
            Box::new(move |observed: &mut Observed| observed.robot = outcome) as Recording
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1024-bit test key (p, q primes from RFC 8017's test vectors would do as well; these
    /// are small known primes multiplied out, so the private exponent can be computed).
    fn key_pair() -> (RsaPublicKey, BigUint) {
        // Two 512-bit primes (2^512 - 569 and 2^511 + 111 are prime).
        let p = (BigUint::from(1u8) << 512u32) - BigUint::from(569u32);
        let q = (BigUint::from(1u8) << 511u32) + BigUint::from(111u32);
        let n = &p * &q;
        let e = BigUint::from(65537u32);
        let phi = (&p - 1u8) * (&q - 1u8);
        let d = e.modinv(&phi).expect("e is coprime to phi");
        let key = RsaPublicKey::new(&n.to_bytes_be(), &e.to_bytes_be()).expect("valid key");
        (key, d)
    }

    fn decrypt(key: &RsaPublicKey, d: &BigUint, c: &[u8]) -> Vec<u8> {
        let m = BigUint::from_bytes_be(c).modpow(d, &key.modulus);
        let bytes = m.to_bytes_be();
        let mut out = vec![0; key.size() - bytes.len()];
        out.extend(bytes);
        out
    }

    /// The PKCS#1 v1.5 check a server makes: `00 02`, ≥ 8 nonzero bytes, `00`, then the
    /// message; returns the message.
    fn unpad(block: &[u8]) -> Option<&[u8]> {
        let rest = block.strip_prefix(&[0x00, 0x02])?;
        let zero = rest.iter().position(|b| *b == 0)?;
        (zero >= 8).then(|| &rest[zero + 1..])
    }

    #[test]
    fn blocks_are_the_papers_five() {
        for k in [64, 128, 256, 512] {
            for padding in Padding::ALL {
                let block = encoded_block(padding, k, 0x0303).expect("long enough");
                assert_eq!(block.len(), k);
                let secret = unpad(&block);
                match padding {
                    Padding::Valid => {
                        let secret = secret.expect("valid");
                        assert_eq!(secret.len(), 48);
                        assert_eq!(&secret[..2], &[3, 3]);
                    }
                    Padding::WrongFirstBytes => {
                        assert_eq!(&block[..2], &[0x41, 0x17]);
                        assert!(secret.is_none());
                    }
                    Padding::ZeroMisplaced => assert_eq!(secret.expect("parses").len(), 1),
                    Padding::NoZero => assert!(secret.is_none()),
                    Padding::WrongVersion => {
                        let secret = secret.expect("valid padding");
                        assert_eq!(secret.len(), 48);
                        assert_eq!(&secret[..2], &[2, 2]);
                    }
                }
            }
        }
        assert!(encoded_block(Padding::Valid, 58, 0x0303).is_none());
        assert!(encoded_block(Padding::Valid, 59, 0x0303).is_some());
    }

    #[test]
    fn encryption_inverts_with_the_private_key() {
        let (key, d) = key_pair();
        assert_eq!(key.size(), 128);
        for padding in Padding::ALL {
            let block = encoded_block(padding, key.size(), 0x0301).expect("long enough");
            let c = key.encrypt(&block);
            assert_eq!(c.len(), 128);
            assert_ne!(c, block);
            assert_eq!(decrypt(&key, &d, &c), block);
        }
    }

    #[test]
    fn implausible_keys_are_refused() {
        let e = [0x01, 0x00, 0x01];
        assert!(RsaPublicKey::new(&[0xff; 32], &e).is_err(), "256 bits");
        assert!(RsaPublicKey::new(&[0xff; 2049], &e).is_err(), "16392 bits");
        assert!(
            RsaPublicKey::new(&[0xff; 128], &[0xff; 9]).is_err(),
            "72-bit exponent"
        );
        assert!(RsaPublicKey::new(&[0xff; 128], &[1]).is_err(), "exponent 1");
        assert!(RsaPublicKey::new(&[0xff; 128], &e).is_ok());
    }

    #[test]
    fn certificates_give_their_rsa_key_or_say_why_not() {
        let der = include_bytes!("../wire/testdata/rsa2048.der");
        let key = RsaPublicKey::from_certificate(der).expect("an RSA certificate");
        assert_eq!(key.size(), 256);
        assert!(RsaPublicKey::from_certificate(&der[..100]).is_err());
    }

    #[test]
    fn the_follow_up_is_three_records() {
        let bytes = follow_up(0x0303, &[0xab; 256]);
        // ClientKeyExchange: record header, handshake header, 2-byte length, 256 bytes.
        assert_eq!(&bytes[..5], &[22, 3, 3, 0x01, 0x06]);
        assert_eq!(&bytes[5..11], &[16, 0, 1, 2, 1, 0]);
        let ccs = &bytes[5 + 262..5 + 262 + 6];
        assert_eq!(ccs, &[20, 3, 3, 0, 1, 1]);
        let finished = &bytes[5 + 262 + 6..];
        assert_eq!(&finished[..5], &[22, 3, 3, 0, 64]);
        assert_eq!(finished.len(), 5 + 64);
        // SSL 3.0: no length before the encrypted block.
        let ssl3 = follow_up(0x0300, &[0xab; 128]);
        assert_eq!(&ssl3[5..9], &[16, 0, 0, 128]);
    }

    #[test]
    fn judging_follows_the_paper() {
        use Answer::*;
        let (brm, hf) = (Alert(20), Alert(40));
        assert_eq!(judge(&[brm; 5]), Oracle::None);
        assert_eq!(judge(&[Closed; 5]), Oracle::None);
        // Only the first bytes matter to this server: strong.
        assert_eq!(judge(&[brm, hf, brm, brm, brm]), Oracle::Strong);
        // Only the version check differs: weak.
        assert_eq!(judge(&[brm, brm, brm, brm, hf]), Oracle::Weak);
        // Wrong first bytes answered like a missing zero: weak.
        assert_eq!(judge(&[brm, hf, brm, hf, Silence]), Oracle::Weak);
        assert_eq!(judge(&[Closed, Reset, Reset, Reset, Closed]), Oracle::Weak);
    }

    #[test]
    fn only_plain_rsa_suites_are_offered() {
        let tls12 = rsa_suites(ProtocolVersion::Tls12);
        assert!(tls12.contains(&0x002f) && tls12.contains(&0x009c));
        assert!(!tls12.contains(&0xc02f), "ECDHE_RSA");
        assert!(!tls12.contains(&0x0003), "RSA_EXPORT");
        assert!(rsa_suites(ProtocolVersion::Tls13).is_empty());
    }
}
