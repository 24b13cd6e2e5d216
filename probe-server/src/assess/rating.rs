//! The grade, after SSL Labs' SSL Server Rating Guide (2009r) and its published changes.
//!
//! 1. The numeric score (protocol 30%, key exchange 30%, cipher strength 40%) gives the
//!    letter: A ≥ 80, B ≥ 65, C ≥ 50, D ≥ 35, E ≥ 20, F below. Without a score (quick scan)
//!    the letter starts at A and the rating is marked incomplete.
//! 2. Every finding may cap the grade (`Finding::grade_cap`); the grade is the worst of the
//!    letter and every cap. Caps are decided by the checks, next to what they judge. The
//!    main ones: SSLv2, export/NULL/anon suites, keys < 1024 bits, Heartbleed, CCS injection,
//!    ROBOT, DROWN, insecure renegotiation → F; no TLS 1.2, RC4 or 3DES with TLS 1.1+, CRIME → C;
//!    TLS 1.0/1.1, keys or DH < 2048 bits, no forward secrecy, no AEAD, no RFC 5746, an
//!    incomplete chain → B; no TLS 1.3, HSTS missing or invalid → A-; warnings
//!    (expiring certificate, short HSTS) → A. Read against the guide's changes: 2009p
//!    (forward secrecy → B, AEAD → B, ROBOT → F), 2009q (TLS 1.0/1.1 → B) and 2009r (no
//!    TLS 1.3 → A-, HSTS missing or invalid → A-, TLS_FALLBACK_SCSV no longer graded: the
//!    `no-fallback-scsv` finding stays but caps nothing).
//! 3. A+ needs an A with no cap at all and HSTS of at least 180 days seen on the site.
//! 4. Trust failures replace the letter: `M` when the certificate does not name the host,
//!    else `T` when it is not trusted. The letter is kept as `grade_ignoring_trust`.
//!
//! For every cap the rating also says whether it holds the grade down and what the grade
//! would be without that one finding.

use shared::{Finding, Grade, GradeCap, ProtocolVersion, RATING_RULES_VERSION, Rating, Score};

use crate::assess::observations::Observations;
use crate::iana::cipher_suites;

/// What the rating needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RatingInput<'a> {
    pub findings: &'a [Finding],
    /// The rating guide's score, when the suites were enumerated.
    pub score: Option<Score>,
    /// HSTS with max-age ≥ 180 days was observed.
    pub hsts_long_enough: bool,
    /// Every check ran.
    pub complete: bool,
}

/// The grade and how it was reached.
pub(crate) fn rate(input: &RatingInput<'_>) -> (Grade, Rating) {
    let all: Vec<&Finding> = input.findings.iter().collect();
    let (grade, letter) = grade_of(&all, input);
    let mut caps: Vec<GradeCap> = input
        .findings
        .iter()
        .enumerate()
        .filter_map(|(index, finding)| {
            let cap = finding.grade_cap?;
            let others: Vec<&Finding> = input
                .findings
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != index)
                .map(|(_, f)| f)
                .collect();
            let (grade_without, _) = grade_of(&others, input);
            Some(GradeCap {
                finding_id: finding.id.clone(),
                cap,
                limiting: grade_without < grade,
                grade_without,
            })
        })
        .collect();
    caps.sort_by(|a, b| {
        b.cap
            .cmp(&a.cap)
            .then_with(|| a.finding_id.cmp(&b.finding_id))
    });
    let rating = Rating {
        rules_version: RATING_RULES_VERSION.to_owned(),
        complete: input.complete,
        score: input.score,
        grade_ignoring_trust: letter,
        caps,
    };
    (grade, rating)
}

/// (the grade, the letter grade ignoring trust) for a set of findings.
fn grade_of(findings: &[&Finding], input: &RatingInput<'_>) -> (Grade, Grade) {
    let base = input
        .score
        .map_or(Grade::A, |s| Grade::from_score(u32::from(s.total)));
    let mut letter = if base == Grade::A && input.hsts_long_enough {
        Grade::APlus
    } else {
        base
    };
    let mut trust = None;
    for cap in findings.iter().filter_map(|f| f.grade_cap) {
        if cap.is_trust_failure() {
            trust = trust.max(Some(cap));
        } else {
            letter = letter.capped_at(cap);
        }
    }
    (trust.unwrap_or(letter), letter)
}

/// The rating guide's score from its three category scores.
pub(crate) fn combine(protocol: u8, key_exchange: u8, cipher_strength: u8) -> Score {
    let total = (u32::from(protocol) * 30
        + u32::from(key_exchange) * 30
        + u32::from(cipher_strength) * 40
        + 50)
        / 100;
    Score {
        protocol,
        key_exchange,
        cipher_strength,
        total: total.min(100) as u8,
    }
}

/// The rating guide's score for a fully scanned server; `None` when the suites were not
/// enumerated.
///
/// - Protocol: (best + worst supported version) / 2, with SSL 2.0 0, SSL 3.0 80, TLS 1.0 90,
///   TLS 1.1 95, TLS 1.2 and 1.3 100.
/// - Key exchange: the weakest accepted suite's key exchange, as RSA-equivalent bits:
///   anonymous 0; export 40; < 512 20; < 1024 40; < 2048 80; < 4096 90; else 100. RSA key
///   transport counts the certificate's key; DHE its group; ECDHE its curve (P-256 and
///   X25519 ≈ RSA-3072, P-384 ≈ 7680, P-521 ≈ 15360).
/// - Cipher strength: (strongest + weakest cipher) / 2, with 0 bits 0; < 128 20; < 256 80;
///   else 100 (3DES counts as the guide's 168).
pub(crate) fn score(obs: &Observations) -> Option<Score> {
    if !obs.suites_enumerated() {
        return None;
    }
    let versions: Vec<ProtocolVersion> = obs.supported_versions().collect();
    let version_score = |v: ProtocolVersion| match v {
        ProtocolVersion::Ssl2 => 0,
        ProtocolVersion::Ssl3 => 80,
        ProtocolVersion::Tls10 => 90,
        ProtocolVersion::Tls11 => 95,
        ProtocolVersion::Tls12 | ProtocolVersion::Tls13 => 100,
    };
    let best = versions.iter().map(|v| version_score(*v)).max()?;
    let worst = versions.iter().map(|v| version_score(*v)).min()?;
    let protocol = (best + worst) / 2;

    // The weakest leaf a client can be served (a server with several certificates serves
    // the RSA one to RSA key transport clients, whichever the browser-like client got).
    let cert_bits = obs
        .leaf()
        .into_iter()
        .chain(
            obs.other_chains
                .iter()
                .filter_map(|o| o.judged.certificates.first()),
        )
        .map(|l| rsa_equivalent(&l.summary.key.algorithm, l.summary.key.bits))
        .min();
    let suites: Vec<&shared::CipherSuite> = obs.accepted_suites().map(|(_, s)| s).collect();
    let key_exchange = suites
        .iter()
        .map(|s| key_exchange_score(s, cert_bits, obs.key_exchange.dh_min_bits))
        .min()?;
    let cipher_bits = |s: &&shared::CipherSuite| -> u16 {
        match cipher_suites::by_id(s.id) {
            Some(info) if info.cipher == cipher_suites::Cipher::TripleDes => 168,
            _ => s.bits,
        }
    };
    let cipher_score = |bits: u16| match bits {
        0 => 0,
        1..=127 => 20,
        128..=255 => 80,
        _ => 100,
    };
    let strongest = suites.iter().map(cipher_bits).max()?;
    let weakest = suites.iter().map(cipher_bits).min()?;
    let cipher_strength = (cipher_score(strongest) + cipher_score(weakest)) / 2;
    Some(combine(protocol, key_exchange, cipher_strength))
}

/// RSA-equivalent strength of a certificate key.
fn rsa_equivalent(algorithm: &str, bits: u32) -> u32 {
    match algorithm {
        "EC" | "Ed25519" | "Ed448" => match bits {
            0..=223 => 1024,
            224..=255 => 2048,
            256..=383 => 3072,
            384..=520 => 7680,
            _ => 15360,
        },
        _ => bits,
    }
}

fn key_exchange_score(
    suite: &shared::CipherSuite,
    cert_bits: Option<u32>,
    dh_min_bits: Option<u16>,
) -> u8 {
    let Some(info) = cipher_suites::by_id(suite.id) else {
        return 90;
    };
    use cipher_suites::KeyExchange as K;
    if info.authentication == cipher_suites::Authentication::Anon {
        return 0;
    }
    if info.export {
        return 40;
    }
    let detail = suite.key_exchange_detail.as_deref().unwrap_or_default();
    let bits: u32 = match info.key_exchange {
        K::Rsa | K::RsaPsk => cert_bits.unwrap_or(2048),
        K::Dhe | K::DhePsk => detail
            .strip_prefix("DH ")
            .and_then(|b| b.parse().ok())
            .or(dh_min_bits.map(u32::from))
            .unwrap_or(2048),
        _ => match detail {
            "secp384r1" | "X25519MLKEM768" | "SecP256r1MLKEM768" | "x448" => 7680,
            "secp521r1" | "SecP384r1MLKEM1024" => 15360,
            d if d.starts_with("ffdhe") => d[5..].parse().unwrap_or(2048),
            _ => 3072,
        },
    };
    match bits {
        0..=511 => 20,
        512..=1023 => 40,
        1024..=2047 => 80,
        2048..=4095 => 90,
        _ => 100,
    }
}

#[cfg(test)]
mod tests {
    use shared::{FindingId, Severity};

    use super::*;

    fn finding(id: FindingId, cap: Option<Grade>) -> Finding {
        Finding {
            id,
            severity: Severity::High,
            title: String::new(),
            detail: String::new(),
            fix: String::new(),
            grade_cap: cap,
            cve: Vec::new(),
        }
    }

    fn input(findings: &[Finding], score: Option<Score>, hsts: bool) -> RatingInput<'_> {
        RatingInput {
            findings,
            score,
            hsts_long_enough: hsts,
            complete: true,
        }
    }

    #[test]
    fn a_plus_needs_hsts_and_no_caps() {
        assert_eq!(rate(&input(&[], None, true)).0, Grade::APlus);
        assert_eq!(rate(&input(&[], None, false)).0, Grade::A);
        let warn = [finding(FindingId::CertExpiringSoon, Some(Grade::A))];
        assert_eq!(rate(&input(&warn, None, true)).0, Grade::A);
        let info = [finding(FindingId::NoOcspStapling, None)];
        assert_eq!(rate(&input(&info, None, true)).0, Grade::APlus);
    }

    #[test]
    fn the_worst_cap_wins_and_each_cap_says_what_it_costs() {
        let findings = [
            finding(FindingId::NoTls13, Some(Grade::AMinus)),
            finding(FindingId::ProtocolTls10, Some(Grade::B)),
            finding(FindingId::NoTls12, Some(Grade::C)),
        ];
        let (grade, rating) = rate(&input(&findings, None, true));
        assert_eq!(grade, Grade::C);
        assert_eq!(rating.caps[0].finding_id, FindingId::NoTls12);
        assert!(rating.caps[0].limiting);
        assert_eq!(rating.caps[0].grade_without, Grade::B);
        assert!(!rating.caps[1].limiting, "B is not what holds a C down");
        assert_eq!(rating.caps[1].grade_without, Grade::C);
    }

    #[test]
    fn trust_grades_replace_the_letter_and_m_beats_t() {
        let findings = [
            finding(FindingId::CertExpired, Some(Grade::T)),
            finding(FindingId::ProtocolTls10, Some(Grade::B)),
        ];
        let (grade, rating) = rate(&input(&findings, None, true));
        assert_eq!((grade, rating.grade_ignoring_trust), (Grade::T, Grade::B));
        assert_eq!(
            rating
                .caps
                .iter()
                .find(|c| c.finding_id == FindingId::CertExpired)
                .unwrap()
                .grade_without,
            Grade::B
        );
        let mut both = findings.to_vec();
        both.push(finding(FindingId::CertNameMismatch, Some(Grade::M)));
        assert_eq!(rate(&input(&both, None, true)).0, Grade::M);
    }

    #[test]
    fn the_score_sets_the_letter_before_caps() {
        assert_eq!(combine(100, 90, 100).total, 97);
        assert_eq!(
            rate(&input(&[], Some(combine(100, 90, 100)), true)).0,
            Grade::APlus
        );
        assert_eq!(
            rate(&input(&[], Some(combine(90, 80, 80)), false)).0,
            Grade::A
        );
        assert_eq!(
            rate(&input(&[], Some(combine(90, 80, 50)), true)).0,
            Grade::B
        );
        assert_eq!(
            rate(&input(&[], Some(combine(50, 40, 80)), true)).0,
            Grade::C
        );
        assert_eq!(rate(&input(&[], Some(combine(0, 0, 20)), true)).0, Grade::F);
    }

    #[test]
    fn rsa_key_transport_counts_the_weakest_leaf_served() {
        use crate::assess::checks::testing::{cert, with_suites};
        use crate::pki::{JudgedChain, OtherChain};
        // TLS_RSA_WITH_AES_128_GCM_SHA256 beside an EC P-256 leaf.
        let mut obs = with_suites(ProtocolVersion::Tls12, &[0x009c]);
        let alone = score(&obs).unwrap().key_exchange;
        let mut rsa_1024 = cert(80);
        rsa_1024.summary.key = shared::PublicKeyInfo {
            algorithm: "RSA".into(),
            bits: 1024,
            curve: None,
        };
        obs.other_chains.push(OtherChain {
            key_type: "RSA".into(),
            served_to: "clients offering only RSA or EdDSA signatures".into(),
            judged: JudgedChain {
                certificates: vec![rsa_1024],
                trust: obs.trust.clone(),
                ocsp: Vec::new(),
            },
        });
        assert_eq!(alone, 90, "P-256 counts as RSA-3072");
        assert_eq!(score(&obs).unwrap().key_exchange, 80);
    }
}
