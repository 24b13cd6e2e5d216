//! The popup's view of a report: plain words, colours and groupings, computed from a
//! `shared::Report` with no browser involved.

use shared::{
    Certificate, ComplianceVerdict, FindingId, Grade, PublicKeyInfo, Report, ScanMode, Severity,
    TrustIssueKind,
};

/// The colour family of a grade, a finding or a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Green.
    Good,
    /// Amber.
    Warn,
    /// Red.
    Bad,
    /// Grey: nothing judged.
    Neutral,
}

impl Tone {
    /// A grade's colour: A+ to A- green, B and C amber, the rest red.
    pub const fn of_grade(grade: Grade) -> Self {
        match grade {
            Grade::APlus | Grade::A | Grade::AMinus => Self::Good,
            Grade::B | Grade::C => Self::Warn,
            Grade::D | Grade::E | Grade::F | Grade::T | Grade::M => Self::Bad,
        }
    }

    /// A finding's colour.
    pub const fn of_severity(severity: Severity) -> Self {
        match severity {
            Severity::Critical | Severity::High => Self::Bad,
            Severity::Medium | Severity::Low => Self::Warn,
            Severity::Info => Self::Neutral,
        }
    }

    /// The CSS class the stylesheet colours.
    pub const fn class(self) -> &'static str {
        match self {
            Self::Good => "tone-good",
            Self::Warn => "tone-warn",
            Self::Bad => "tone-bad",
            Self::Neutral => "tone-neutral",
        }
    }

    /// The badge background; dark enough for white text (WCAG AA at badge size).
    pub const fn badge_colour(self) -> &'static str {
        match self {
            Self::Good => "#1a7f37",
            Self::Warn => "#9a6700",
            Self::Bad => "#cf222e",
            Self::Neutral => "#57606a",
        }
    }
}

/// The padlock the popup shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padlock {
    /// Trusted, and good protocols and ciphers.
    Secure,
    /// Trusted, but with weaknesses.
    Weak,
    /// Not trusted, or broken.
    Broken,
}

impl Padlock {
    pub const fn of_grade(grade: Grade) -> Self {
        match Tone::of_grade(grade) {
            Tone::Good => Self::Secure,
            Tone::Warn => Self::Weak,
            Tone::Bad | Tone::Neutral => Self::Broken,
        }
    }

    /// Words for the padlock, for people and screen readers.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Secure => "Secure connection",
            Self::Weak => "Weak connection",
            Self::Broken => "Not secure",
        }
    }
}

/// A severity's heading in the findings list.
pub const fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Info",
    }
}

/// "expired 3 days ago", "expires today", "expires in 34 days".
pub fn expiry_phrase(days_remaining: i64) -> String {
    match days_remaining {
        d if d < -1 => format!("expired {} days ago", -d),
        -1 => "expired yesterday".to_owned(),
        0 => "expires today".to_owned(),
        1 => "expires tomorrow".to_owned(),
        d => format!("expires in {d} days"),
    }
}

/// "EC P-256", "RSA 2048", "Ed25519".
pub fn key_label(key: &PublicKeyInfo) -> String {
    match (key.algorithm.as_str(), key.curve.as_deref()) {
        ("EC", Some("secp256r1" | "prime256v1")) => "EC P-256".to_owned(),
        ("EC", Some("secp384r1")) => "EC P-384".to_owned(),
        ("EC", Some("secp521r1")) => "EC P-521".to_owned(),
        ("EC", Some(curve)) => format!("EC {curve}"),
        ("Ed25519" | "Ed448", _) => key.algorithm.clone(),
        (alg, _) => format!("{alg} {}", key.bits),
    }
}

/// A hex fingerprint as people compare it: uppercase pairs joined by colons.
pub fn fingerprint(hex: &str) -> String {
    let upper = hex.to_ascii_uppercase();
    let pairs: Vec<&str> = upper
        .as_bytes()
        .chunks(2)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    pairs.join(":")
}

/// The date part of an RFC 3339 timestamp.
fn date(timestamp: &str) -> &str {
    timestamp.get(..10).unwrap_or(timestamp)
}

/// The short phrase for a finding in the verdict line; `None` for ids this version does not
/// know (their title is used).
fn finding_phrase(id: &FindingId, report: &Report) -> Option<String> {
    let days = report.leaf().map_or(0, |c| c.days_remaining);
    let phrase = match id {
        FindingId::CertExpired => return Some(format!("Certificate {}", expiry_phrase(days))),
        FindingId::CertExpiringSoon => {
            return Some(format!("Certificate {}", expiry_phrase(days)));
        }
        FindingId::CertNotYetValid => "Certificate not valid yet",
        FindingId::CertSelfSigned => "Self-signed certificate",
        FindingId::CertUntrusted => "Certificate not trusted",
        FindingId::CertNameMismatch => {
            return Some(format!("Certificate is not for {}", report.target.host));
        }
        FindingId::ChainIncomplete => "Incomplete certificate chain",
        FindingId::ChainValidityDisjoint => "Certificate dates never overlap",
        FindingId::CertMessageTooLarge => "Certificate chain too large for many clients",
        FindingId::CertWeakKey => "Weak certificate key",
        FindingId::CertWeakSignature => "Certificate signed with a weak hash",
        FindingId::CertRevoked => "Certificate revoked",
        FindingId::NoOcspStapling => "No OCSP stapling",
        FindingId::NoHsts => "No HSTS",
        FindingId::HstsShort => "HSTS max-age too short",
        FindingId::NoHttpsRedirect => "HTTP does not redirect to HTTPS",
        FindingId::ProtocolSslv2 => "Accepts broken SSL 2.0",
        FindingId::ProtocolSslv3 => "Accepts broken SSL 3.0",
        FindingId::ProtocolTls10 => "Accepts obsolete TLS 1.0",
        FindingId::ProtocolTls11 => "Accepts obsolete TLS 1.1",
        FindingId::NoTls12 => "No TLS 1.2 support",
        FindingId::NoTls13 => "No TLS 1.3 support",
        FindingId::CipherNull => "Accepts unencrypted cipher suites",
        FindingId::CipherAnon => "Accepts unauthenticated cipher suites",
        FindingId::CipherExport => "Accepts export-grade ciphers",
        FindingId::CipherRc4 => "Accepts broken RC4 cipher",
        FindingId::Cipher3des => "Accepts weak 3DES cipher",
        FindingId::CipherDes => "Accepts broken DES cipher",
        FindingId::CipherCbc => "Accepts CBC-mode ciphers",
        FindingId::RsaKeyExchange => "Key exchange without forward secrecy",
        FindingId::NoForwardSecrecy => "No forward secrecy",
        FindingId::NoAead => "No modern AEAD ciphers",
        FindingId::NoServerCipherPreference => "Client picks the cipher suite",
        FindingId::WeakDh => "Weak Diffie-Hellman parameters",
        FindingId::DhNotPrime => "Diffie-Hellman modulus is not prime",
        FindingId::DhNotSafePrime => "Diffie-Hellman prime is not a safe prime",
        FindingId::DhCommonPrime => "Widely shared weak Diffie-Hellman prime",
        FindingId::NoPqKeyExchange => "No post-quantum key exchange",
        FindingId::HelloIntolerance => "Refuses large or extended hellos",
        FindingId::Heartbleed => "Vulnerable to Heartbleed",
        FindingId::CcsInjection => "Vulnerable to CCS injection",
        FindingId::PoodleSslv3 => "Vulnerable to POODLE",
        FindingId::Drown => "Vulnerable to DROWN",
        FindingId::Freak => "Vulnerable to FREAK",
        FindingId::Logjam => "Vulnerable to Logjam",
        FindingId::Sweet32 => "Vulnerable to Sweet32 (64-bit ciphers)",
        FindingId::TlsCompression => "TLS compression enabled (CRIME)",
        FindingId::InsecureRenegotiation => "Insecure renegotiation",
        FindingId::NoFallbackScsv => "No downgrade protection",
        FindingId::Beast => "Exposed to BEAST",
        FindingId::EndpointsDiffer => "Its addresses serve different TLS",
        FindingId::EndpointUnreachable => "One of its addresses does not answer",
        FindingId::Robot => "Vulnerable to ROBOT",
        FindingId::SimulationBrowserFails => "A current browser cannot connect",
        FindingId::SimulationBrowserNoForwardSecrecy => {
            "A browser connects without forward secrecy"
        }
        FindingId::SimulationBrowserNoAead => "A browser connects without AEAD",
        FindingId::CtPolicyNotMet => "Too few CT timestamps (Chrome/Safari refuse)",
        FindingId::CtInvalidSct => "A CT timestamp has a bad signature",
        FindingId::EarlyDataAccepted => "Accepts 0-RTT data an attacker can replay",
        FindingId::VersionIntolerance => "Refuses hellos offering newer versions",
        FindingId::ExtensionIntolerance => "Refuses hellos with unknown extensions",
        FindingId::LongHelloIntolerance => "Refuses long hellos",
        FindingId::SuiteCountLimit => "Refuses hellos offering many suites",
        FindingId::StatusRequestIntolerance => "Refuses hellos asking for OCSP stapling",
        FindingId::IncorrectSniAlert => "Alerts on unknown server names",
        FindingId::HelloRetryUnofferedGroup => {
            "Asks TLS 1.3 clients for a group they never offered"
        }
        FindingId::SuiteOutsideVersion => "Picks suites its TLS version does not define",
        _ => return None,
    };
    Some(phrase.to_owned())
}

/// The one-line verdict: what matters most about this server, in plain words.
pub fn verdict(report: &Report) -> String {
    if let Some(text) = trust_verdict(report) {
        return text;
    }
    if let Some(text) = other_chain_verdict(report) {
        return text;
    }
    // The most severe finding worth a headline, preferring one that holds the grade down.
    let limiting = |id: &FindingId| {
        report
            .rating
            .caps
            .iter()
            .any(|c| c.limiting && &c.finding_id == id)
    };
    let top = report
        .findings
        .iter()
        .filter(|f| f.severity <= Severity::Medium)
        .min_by_key(|f| (f.severity, !limiting(&f.id)));
    if let Some(finding) = top {
        return finding_phrase(&finding.id, report).unwrap_or_else(|| finding.title.clone());
    }
    match report.grade {
        Grade::APlus => "Strong TLS",
        Grade::A | Grade::AMinus => "Good TLS",
        Grade::B => "Decent TLS, with weaknesses",
        Grade::C | Grade::D | Grade::E => "Weak TLS",
        Grade::F => "Broken TLS",
        Grade::T => "Certificate not trusted",
        Grade::M => "Certificate is for another name",
    }
    .to_owned()
}

/// The trust verdict on the first other chain (served to clients that cannot verify the
/// default one's key) that fails, named by its key: "RSA certificate: Certificate expired 3
/// days ago". A browser may be served the sound chain while other clients get this one.
fn other_chain_verdict(report: &Report) -> Option<String> {
    report.other_chains.iter().find_map(|other| {
        let mut as_served = report.clone();
        as_served.other_chains = Vec::new();
        as_served.certificates.clone_from(&other.certificates);
        as_served.trust = other.trust.clone();
        let key = match other.key_type.as_str() {
            "EC" => "ECDSA",
            key => key,
        };
        trust_verdict(&as_served).map(|text| format!("{key} certificate: {text}"))
    })
}

fn trust_verdict(report: &Report) -> Option<String> {
    let kinds: Vec<TrustIssueKind> = report.trust.issues.iter().map(|i| i.kind).collect();
    let has = |k| kinds.contains(&k);
    let leaf = report.leaf();
    let text = if has(TrustIssueKind::NoCertificate) || (leaf.is_none() && !kinds.is_empty()) {
        "No certificate".to_owned()
    } else if has(TrustIssueKind::Revoked) {
        "Certificate revoked".to_owned()
    } else if has(TrustIssueKind::Expired) {
        match leaf {
            Some(c) if c.days_remaining < 0 => {
                format!("Certificate {}", expiry_phrase(c.days_remaining))
            }
            _ => "A certificate in the chain has expired".to_owned(),
        }
    } else if has(TrustIssueKind::NotYetValid) {
        "Certificate not valid yet".to_owned()
    } else if has(TrustIssueKind::NameMismatch) || !report.trust.name_matches {
        format!("Certificate is not for {}", report.target.host)
    } else if has(TrustIssueKind::SelfSigned) || leaf.is_some_and(|c| c.self_signed) {
        "Self-signed certificate".to_owned()
    } else if has(TrustIssueKind::UnknownIssuer) {
        "Certificate from an unknown issuer".to_owned()
    } else if has(TrustIssueKind::IncompleteChain) {
        "Incomplete certificate chain".to_owned()
    } else if !report.trust.trusted {
        "Certificate not trusted".to_owned()
    } else {
        return None;
    };
    Some(text)
}

/// A label and a value, such as "Protocol" and "TLS 1.3".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fact {
    pub label: &'static str,
    pub value: String,
    /// Set when the value deserves a colour.
    pub tone: Option<Tone>,
}

fn fact(label: &'static str, value: impl Into<String>) -> Fact {
    Fact {
        label,
        value: value.into(),
        tone: None,
    }
}

/// One certificate of the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainCert {
    /// "Server certificate", "Intermediate", "Root".
    pub role: &'static str,
    pub subject: String,
    pub issuer: String,
    pub validity: String,
    pub expired: bool,
    pub key: String,
    pub signature: String,
    pub sha256: String,
    pub spki: String,
}

/// The leaf certificate at a glance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertSummary {
    pub facts: Vec<Fact>,
    /// The subjectAltNames.
    pub names: Vec<String>,
}

/// A finding, as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingView {
    pub id: String,
    pub title: String,
    pub detail: String,
    pub fix: String,
    /// The grade this finding caps at, when it caps.
    pub cap: Option<Grade>,
    /// This finding is what holds the grade down.
    pub limiting: bool,
    pub cve: Vec<String>,
}

/// The findings of one severity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingGroup {
    pub severity: Severity,
    pub label: &'static str,
    pub tone: Tone,
    pub items: Vec<FindingView>,
}

/// A finding that caps the grade.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapLine {
    pub title: String,
    pub cap: Grade,
    pub limiting: bool,
    pub grade_without: Grade,
}

/// Everything the popup shows about a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportView {
    pub grade: Grade,
    pub tone: Tone,
    pub padlock: Padlock,
    pub verdict: String,
    /// A quick scan, or checks that failed: the grade may still change.
    pub provisional: Option<String>,
    /// "Scanned 2026-11-26 14:02 UTC · 8.7 s".
    pub scanned: String,
    pub connection: Vec<Fact>,
    pub certificate: Option<CertSummary>,
    pub chain: Vec<ChainCert>,
    /// Why the certificate is not trusted, every reason.
    pub trust_issues: Vec<String>,
    /// The findings that hold the grade down.
    pub limiting_caps: Vec<CapLine>,
    /// The grade without every limiting cap, when they are what holds it down.
    pub grade_without_caps: Option<Grade>,
    /// Caps that apply but do not hold the grade where it is.
    pub other_caps: Vec<CapLine>,
    pub groups: Vec<FindingGroup>,
    /// The handshake simulation's clients that cannot connect, current browsers first.
    pub failing_clients: Vec<FailingClient>,
    /// Checks that could not run.
    pub check_errors: Vec<String>,
}

/// A profile's verdict in a few words ("compliant", "2 deviations", "not fully checked") and
/// its colour. The popup shows the report's profiles as they are, so that no copy of them is
/// kept in the view (each copy costs wasm).
pub fn profile_verdict(profile: &shared::ProfileCompliance) -> (String, Tone) {
    match profile.verdict() {
        ComplianceVerdict::Compliant => ("compliant".to_owned(), Tone::Good),
        ComplianceVerdict::Deviates if profile.deviations.len() == 1 => {
            ("1 deviation".to_owned(), Tone::Warn)
        }
        ComplianceVerdict::Deviates => (
            format!("{} deviations", profile.deviations.len()),
            Tone::Warn,
        ),
        ComplianceVerdict::Unknown => ("not fully checked".to_owned(), Tone::Neutral),
    }
}

/// A client of the handshake simulation that cannot connect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailingClient {
    /// "Chrome 137 (Windows 11)".
    pub client: String,
    /// A browser in use today.
    pub current: bool,
    /// "no common protocol version: the client offers TLS 1.2 to TLS 1.3; ...".
    pub reason: String,
}

/// The clients that fail, current browsers first, in the report's order otherwise.
pub fn failing_clients(report: &Report) -> Vec<FailingClient> {
    let mut out: Vec<FailingClient> = report
        .simulations
        .iter()
        .filter_map(|s| match &s.outcome {
            shared::SimulationOutcome::Failed { reason, detail } => Some(FailingClient {
                client: format!("{} {} ({})", s.client, s.version, s.platform),
                current: s.current,
                reason: format!("{}: {detail}", reason.describe()),
            }),
            shared::SimulationOutcome::Connected { .. } => None,
        })
        .collect();
    out.sort_by_key(|c| !c.current);
    out
}

impl ReportView {
    pub fn new(report: &Report) -> Self {
        let grade = report.grade;
        let title_of = |id: &FindingId| {
            report
                .finding(id)
                .map_or_else(|| id.as_str().to_owned(), |f| f.title.clone())
        };
        let cap_line = |c: &shared::GradeCap| CapLine {
            title: title_of(&c.finding_id),
            cap: c.cap,
            limiting: c.limiting,
            grade_without: c.grade_without,
        };
        let limiting_caps: Vec<CapLine> = report
            .rating
            .caps
            .iter()
            .filter(|c| c.limiting)
            .map(cap_line)
            .collect();
        let other_caps = report
            .rating
            .caps
            .iter()
            .filter(|c| !c.limiting)
            .map(cap_line)
            .collect();
        // What lifting the limiting caps would give: the most cautious of their
        // `grade_without`s (each is "every finding but this one").
        let grade_without_caps = limiting_caps
            .iter()
            .map(|c| c.grade_without)
            .max()
            .filter(|g| *g < grade);
        Self {
            grade,
            tone: Tone::of_grade(grade),
            padlock: Padlock::of_grade(grade),
            verdict: verdict(report),
            provisional: provisional_note(report),
            scanned: scanned_line(report),
            connection: connection_facts(report),
            certificate: report.leaf().map(|leaf| cert_summary(report, leaf)),
            chain: chain(report),
            trust_issues: report
                .trust
                .issues
                .iter()
                .map(|i| i.message.clone())
                .collect(),
            limiting_caps,
            grade_without_caps,
            other_caps,
            groups: group_findings(report),
            failing_clients: failing_clients(report),
            check_errors: report
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.check, e.message))
                .collect(),
        }
    }

    /// How many findings need work (everything but info).
    pub fn problem_count(&self) -> usize {
        self.groups
            .iter()
            .filter(|g| g.severity != Severity::Info)
            .map(|g| g.items.len())
            .sum()
    }
}

fn provisional_note(report: &Report) -> Option<String> {
    match report.scan_mode {
        ScanMode::Quick => Some(
            "Provisional: quick check of the certificate and connection only. The full scan \
             tests every protocol, cipher and known attack."
                .to_owned(),
        ),
        ScanMode::Full if !report.rating.complete => Some(
            "Some checks could not run, so the grade may be better than the server deserves."
                .to_owned(),
        ),
        ScanMode::Full => None,
    }
}

fn scanned_line(report: &Report) -> String {
    let at = report.scanned_at.replace('T', " ");
    let at = at.get(..16).unwrap_or(&at);
    // Tenths of a second by integer arithmetic: float formatting would cost the wasm ~20 KB.
    let tenths = (report.duration_ms + 50) / 100;
    let mode = match report.scan_mode {
        ScanMode::Quick => "quick scan",
        ScanMode::Full => "full scan",
    };
    format!(
        "Scanned {at} UTC · {mode} · {}.{} s",
        tenths / 10,
        tenths % 10
    )
}

fn connection_facts(report: &Report) -> Vec<Fact> {
    let Some(c) = &report.connection else {
        return vec![Fact {
            label: "Connection",
            value: "No handshake succeeded".to_owned(),
            tone: Some(Tone::Bad),
        }];
    };
    let protocol_tone = match c.protocol_version {
        shared::ProtocolVersion::Tls13 => Tone::Good,
        shared::ProtocolVersion::Tls12 => Tone::Neutral,
        _ => Tone::Bad,
    };
    let mut facts = vec![
        Fact {
            label: "Protocol",
            value: c.protocol_version.display_name().to_owned(),
            tone: Some(protocol_tone),
        },
        fact("Cipher", c.cipher_suite.clone()),
    ];
    if let Some(group) = &c.key_exchange_group {
        let pq = report
            .key_exchange
            .groups
            .iter()
            .flatten()
            .any(|g| &g.name == group && g.post_quantum)
            || group
                .as_bytes()
                .windows(5)
                .any(|w| w.eq_ignore_ascii_case(b"MLKEM"));
        facts.push(Fact {
            label: "Key exchange",
            value: if pq {
                format!("{group} (post-quantum hybrid)")
            } else {
                group.clone()
            },
            tone: pq.then_some(Tone::Good),
        });
    }
    if let Some(alpn) = &c.alpn {
        facts.push(fact("ALPN", alpn.clone()));
    }
    let hsts = report.http.as_ref().map(|h| match &h.hsts {
        Some(hsts) => match hsts.max_age {
            Some(age) => Fact {
                label: "HSTS",
                value: format!("max-age {} days", age / 86_400),
                tone: Some(if age >= 15_552_000 {
                    Tone::Good
                } else {
                    Tone::Warn
                }),
            },
            None => Fact {
                label: "HSTS",
                value: "invalid header".to_owned(),
                tone: Some(Tone::Warn),
            },
        },
        None => Fact {
            label: "HSTS",
            value: "not set".to_owned(),
            tone: Some(Tone::Warn),
        },
    });
    facts.extend(hsts);
    if !report.endpoints.is_empty() {
        let differ = report.finding(&FindingId::EndpointsDiffer).is_some()
            || report.finding(&FindingId::EndpointUnreachable).is_some();
        facts.push(Fact {
            label: "Addresses",
            value: format!(
                "{} scanned{}; shown: {}",
                report.endpoints.len(),
                if differ {
                    ", not all alike"
                } else {
                    ", all alike"
                },
                report.target.ip
            ),
            tone: Some(if differ { Tone::Warn } else { Tone::Good }),
        });
    }
    facts
}

fn cert_summary(report: &Report, leaf: &Certificate) -> CertSummary {
    let expiry_tone = match leaf.days_remaining {
        d if d < 0 => Tone::Bad,
        d if d < 14 => Tone::Warn,
        _ => Tone::Good,
    };
    let issuer = if leaf.self_signed {
        "itself (self-signed)".to_owned()
    } else {
        leaf.issuer_common_name
            .clone()
            .unwrap_or_else(|| leaf.issuer.clone())
    };
    let mut facts = vec![
        Fact {
            label: "Issued by",
            value: issuer,
            tone: (leaf.self_signed || !report.trust.trusted).then_some(Tone::Bad),
        },
        Fact {
            label: "Expires",
            value: format!(
                "{} ({})",
                date(&leaf.not_after),
                expiry_phrase(leaf.days_remaining)
            ),
            tone: Some(expiry_tone),
        },
        fact("Key", key_label(&leaf.key)),
    ];
    if !report.trust.name_matches {
        facts.push(Fact {
            label: "Name",
            value: format!("does not include {}", report.target.host),
            tone: Some(Tone::Bad),
        });
    }
    facts.extend(ct_fact(report));
    CertSummary {
        facts,
        names: leaf.subject_alt_names.clone(),
    }
}

/// Certificate Transparency in one line: how many SCTs verified, and whether Chrome's and
/// Apple's policies are met (not judged for a private CA). `None` for reports without it.
pub fn ct_fact(report: &Report) -> Option<Fact> {
    let ct = report.ct.as_ref()?;
    let valid = ct
        .scts
        .iter()
        .filter(|s| s.signature == shared::SctSignature::Valid)
        .count();
    let invalid = ct
        .scts
        .iter()
        .any(|s| s.signature == shared::SctSignature::Invalid);
    let policies = [("Chrome", &ct.chrome), ("Safari", &ct.apple)];
    let failing: Vec<&str> = policies
        .iter()
        .filter(|(_, v)| v.as_ref().is_some_and(|v| !v.met))
        .map(|(name, _)| *name)
        .collect();
    let judged = policies.iter().any(|(_, v)| v.is_some());
    let (value, tone) = if !failing.is_empty() {
        (
            format!(
                "{valid} of {} SCTs valid: too few for {}",
                ct.scts.len(),
                failing.join(" and ")
            ),
            Tone::Bad,
        )
    } else if judged {
        (
            format!("{valid} valid SCTs: meets Chrome and Safari"),
            Tone::Good,
        )
    } else {
        (
            format!(
                "{valid} of {} SCTs valid (private CA: no policy)",
                ct.scts.len()
            ),
            Tone::Good,
        )
    };
    let tone = if invalid && tone == Tone::Good {
        Tone::Warn
    } else {
        tone
    };
    Some(Fact {
        label: "Transparency",
        value,
        tone: Some(tone),
    })
}

fn chain(report: &Report) -> Vec<ChainCert> {
    let last = report.certificates.len().saturating_sub(1);
    report
        .certificates
        .iter()
        .enumerate()
        .map(|(i, c)| ChainCert {
            role: match i {
                0 => "Server certificate",
                _ if i == last && c.self_signed => "Root",
                _ => "Intermediate",
            },
            subject: c.common_name.clone().unwrap_or_else(|| c.subject.clone()),
            issuer: c
                .issuer_common_name
                .clone()
                .unwrap_or_else(|| c.issuer.clone()),
            validity: format!(
                "{} to {} ({})",
                date(&c.not_before),
                date(&c.not_after),
                expiry_phrase(c.days_remaining)
            ),
            expired: c.days_remaining < 0,
            key: key_label(&c.key),
            signature: c.signature_algorithm.clone(),
            sha256: fingerprint(&c.sha256_fingerprint),
            spki: c.spki_sha256.clone(),
        })
        .collect()
}

/// The findings grouped by severity, most severe first; groups with no finding are left out.
/// Within a group, findings that hold the grade down come first.
pub fn group_findings(report: &Report) -> Vec<FindingGroup> {
    Severity::ALL
        .iter()
        .filter_map(|&severity| {
            let items: Vec<FindingView> = report
                .findings
                .iter()
                .filter(|f| f.severity == severity)
                .map(|f| {
                    let cap = report.rating.caps.iter().find(|c| c.finding_id == f.id);
                    FindingView {
                        id: f.id.as_str().to_owned(),
                        title: f.title.clone(),
                        detail: f.detail.clone(),
                        fix: f.fix.clone(),
                        cap: cap.map(|c| c.cap).or(f.grade_cap),
                        limiting: cap.is_some_and(|c| c.limiting),
                        cve: f.cve.clone(),
                    }
                })
                .collect();
            // Limiting findings first, otherwise in the report's order (a stable partition;
            // no sort, which would add 3 KB to the wasm).
            let (mut items, rest): (Vec<_>, Vec<_>) = items.into_iter().partition(|f| f.limiting);
            items.extend(rest);
            (!items.is_empty()).then_some(FindingGroup {
                severity,
                label: severity_label(severity),
                tone: Tone::of_severity(severity),
                items,
            })
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A golden report from `shared/fixtures/`.
    pub(crate) fn fixture(name: &str) -> Report {
        let path = format!(
            "{}/../shared/fixtures/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).expect("fixture exists");
        serde_json::from_str(&text).expect("fixture is a Report")
    }

    #[test]
    fn a_failing_other_chain_is_the_verdict_named_by_its_key() {
        let mut report = fixture("full-nginx");
        let sound = verdict(&report);
        let mut rsa = report.certificates.clone();
        rsa[0].key.algorithm = "RSA".into();
        rsa[0].days_remaining = -3;
        let mut trust = report.trust.clone();
        trust.trusted = false;
        trust.issues.push(shared::TrustIssue {
            kind: TrustIssueKind::Expired,
            message: "the certificate expired 3 days ago".into(),
        });
        report.other_chains.push(shared::ServedChain {
            key_type: "RSA".into(),
            served_to: "clients offering only RSA or EdDSA signatures".into(),
            certificates: rsa,
            trust: report.trust.clone(),
        });
        assert_eq!(
            verdict(&report),
            sound,
            "a sound other chain changes nothing"
        );
        report.other_chains[0].trust = trust;
        assert_eq!(
            verdict(&report),
            "RSA certificate: Certificate expired 3 days ago"
        );
    }

    #[test]
    fn the_popup_lists_the_clients_that_fail_current_browsers_first() {
        let report = fixture("full-dhe1024");
        let failing = ReportView::new(&report).failing_clients;
        let expected = report
            .simulations
            .iter()
            .filter(|s| !s.outcome.connected())
            .count();
        assert_eq!(failing.len(), expected);
        assert!(failing.len() < report.simulations.len(), "some connect");
        assert!(failing[0].current, "{failing:?}");
        let first_old = failing.iter().position(|c| !c.current).unwrap();
        assert!(failing[first_old..].iter().all(|c| !c.current));
        assert!(failing[0].client.starts_with("Chrome 137 ("), "{failing:?}");
        assert!(
            failing[0].reason.starts_with("no common cipher suite: "),
            "{failing:?}"
        );
        assert!(
            ReportView::new(&fixture("full-simulation"))
                .failing_clients
                .iter()
                .all(|c| !c.current)
        );
    }

    #[test]
    fn verdicts_in_plain_words() {
        for (name, expected) in [
            ("strong-a-plus", "Strong TLS"),
            ("expired-cert", "Certificate expired 3 days ago"),
            ("self-signed", "Self-signed certificate"),
            ("name-mismatch", "Certificate is not for shop.example.com"),
            (
                "legacy-tls10-3des",
                "Vulnerable to Sweet32 (64-bit ciphers)",
            ),
            ("heartbleed-f", "Vulnerable to Heartbleed"),
            ("quick-provisional", "Good TLS"),
        ] {
            assert_eq!(verdict(&fixture(name)), expected, "{name}");
        }
    }

    #[test]
    fn a_self_signed_leaf_is_named_whatever_the_issue_kind() {
        let mut report = fixture("self-signed");
        for issue in &mut report.trust.issues {
            issue.kind = TrustIssueKind::Other;
        }
        assert_eq!(verdict(&report), "Self-signed certificate");
    }

    #[test]
    fn obsolete_protocols_lead_when_nothing_is_worse() {
        let mut report = fixture("legacy-tls10-3des");
        report
            .findings
            .retain(|f| !matches!(f.id, FindingId::Sweet32 | FindingId::Cipher3des));
        report
            .rating
            .caps
            .retain(|c| c.finding_id != FindingId::Sweet32);
        assert_eq!(verdict(&report), "Accepts obsolete TLS 1.0");
    }

    #[test]
    fn unknown_finding_ids_use_their_title() {
        let mut report = fixture("strong-a-plus");
        report.findings.push(shared::Finding {
            id: FindingId::parse("future-check"),
            severity: Severity::High,
            title: "Something new is wrong".into(),
            detail: String::new(),
            fix: String::new(),
            grade_cap: None,
            cve: vec![],
        });
        assert_eq!(verdict(&report), "Something new is wrong");
    }

    #[test]
    fn colours_follow_the_grade() {
        assert_eq!(Tone::of_grade(Grade::APlus), Tone::Good);
        assert_eq!(Tone::of_grade(Grade::AMinus), Tone::Good);
        assert_eq!(Tone::of_grade(Grade::B), Tone::Warn);
        assert_eq!(Tone::of_grade(Grade::C), Tone::Warn);
        for g in [Grade::D, Grade::E, Grade::F, Grade::T, Grade::M] {
            assert_eq!(Tone::of_grade(g), Tone::Bad);
            assert_eq!(Padlock::of_grade(g), Padlock::Broken);
        }
        assert_eq!(Padlock::of_grade(Grade::A), Padlock::Secure);
        assert_eq!(Padlock::of_grade(Grade::C), Padlock::Weak);
        assert_eq!(Tone::of_severity(Severity::Info), Tone::Neutral);
    }

    #[test]
    fn legacy_caps_are_explained() {
        let view = ReportView::new(&fixture("legacy-tls10-3des"));
        assert_eq!(view.grade, Grade::C);
        let limiting: Vec<&str> = view
            .limiting_caps
            .iter()
            .map(|c| c.title.as_str())
            .collect();
        assert_eq!(
            limiting,
            [
                "Vulnerable to Sweet32 (64-bit block cipher)",
                "Accepts 3DES"
            ]
        );
        assert!(view.limiting_caps.iter().all(|c| c.cap == Grade::C));
        assert_eq!(view.grade_without_caps, Some(Grade::B));
        assert_eq!(view.other_caps.len(), 4);
        assert_eq!(view.problem_count(), 11);
        let tls10 = view
            .groups
            .iter()
            .flat_map(|g| &g.items)
            .find(|f| f.id == "protocol-tls10")
            .expect("TLS 1.0 finding");
        assert_eq!(tls10.cap, Some(Grade::B));
        assert!(!tls10.limiting);
    }

    #[test]
    fn findings_are_grouped_most_severe_first() {
        let view = ReportView::new(&fixture("legacy-tls10-3des"));
        let order: Vec<Severity> = view.groups.iter().map(|g| g.severity).collect();
        assert_eq!(
            order,
            [
                Severity::High,
                Severity::Medium,
                Severity::Low,
                Severity::Info
            ]
        );
        assert!(view.groups[0].items.iter().all(|f| f.limiting));
        assert!(ReportView::new(&fixture("strong-a-plus")).groups.is_empty());
    }

    #[test]
    fn certificate_and_chain_facts() {
        let view = ReportView::new(&fixture("expired-cert"));
        let cert = view.certificate.expect("a leaf");
        let expires = cert
            .facts
            .iter()
            .find(|f| f.label == "Expires")
            .expect("expiry");
        assert_eq!(expires.value, "2026-11-23 (expired 3 days ago)");
        assert_eq!(expires.tone, Some(Tone::Bad));
        assert_eq!(view.chain.len(), 2);
        assert_eq!(view.chain[0].role, "Server certificate");
        assert!(view.chain[0].expired);
        assert_eq!(view.chain[1].role, "Intermediate");
        assert_eq!(view.chain[0].sha256.len(), 32 * 3 - 1);
        assert_eq!(view.trust_issues.len(), 1);

        let selfsigned = ReportView::new(&fixture("self-signed"));
        let issuer = &selfsigned.certificate.expect("leaf").facts[0];
        assert_eq!(issuer.value, "itself (self-signed)");
        assert_eq!(selfsigned.check_errors.len(), 1);

        let mismatch = ReportView::new(&fixture("name-mismatch"));
        assert!(
            mismatch
                .certificate
                .expect("leaf")
                .facts
                .iter()
                .any(|f| f.value == "does not include shop.example.com")
        );
    }

    #[test]
    fn several_addresses_are_counted_and_a_difference_is_flagged() {
        let mut report = fixture("strong-a-plus");
        assert!(
            !ReportView::new(&report)
                .connection
                .iter()
                .any(|f| f.label == "Addresses")
        );
        let endpoint = |ip: [u8; 4]| shared::EndpointResult {
            ip: std::net::IpAddr::from(ip),
            grade: Some(Grade::A),
            error: None,
            leaf_sha256: None,
            protocols: Vec::new(),
            cipher_suites: 3,
            finding_ids: Vec::new(),
            other_chain_leaves: Vec::new(),
        };
        report.endpoints = vec![endpoint([192, 0, 2, 1]), endpoint([192, 0, 2, 2])];
        let alike = ReportView::new(&report);
        let fact = alike
            .connection
            .iter()
            .find(|f| f.label == "Addresses")
            .unwrap();
        assert!(
            fact.value.starts_with("2 scanned, all alike"),
            "{}",
            fact.value
        );
        assert_eq!(fact.tone, Some(Tone::Good));
        report.findings.push(shared::Finding {
            id: FindingId::EndpointsDiffer,
            severity: shared::Severity::Medium,
            title: "The addresses of this name do not serve the same TLS".into(),
            detail: String::new(),
            fix: String::new(),
            grade_cap: None,
            cve: Vec::new(),
        });
        let differ = ReportView::new(&report);
        let fact = differ
            .connection
            .iter()
            .find(|f| f.label == "Addresses")
            .unwrap();
        assert!(fact.value.contains("not all alike"), "{}", fact.value);
        assert_eq!(fact.tone, Some(Tone::Warn));
    }

    #[test]
    fn connection_facts_name_post_quantum_and_hsts() {
        let view = ReportView::new(&fixture("strong-a-plus"));
        let values: Vec<&str> = view.connection.iter().map(|f| f.value.as_str()).collect();
        assert_eq!(
            values,
            [
                "TLS 1.3",
                "TLS_AES_128_GCM_SHA256",
                "X25519MLKEM768 (post-quantum hybrid)",
                "h2",
                "max-age 730 days"
            ]
        );
        assert!(view.provisional.is_none());
        assert_eq!(
            view.scanned,
            "Scanned 2026-11-26 14:02 UTC · full scan · 8.7 s"
        );
    }

    #[test]
    fn a_profile_verdict_in_a_few_words() {
        let report = fixture("full-intermediate");
        let c = report
            .compliance
            .as_ref()
            .expect("a full scan judges compliance");
        let lines: Vec<(&str, (String, Tone))> = c
            .profiles
            .iter()
            .map(|p| (p.profile.as_str(), profile_verdict(p)))
            .collect();
        assert_eq!(
            lines,
            [
                ("modern", ("2 deviations".to_owned(), Tone::Warn)),
                ("intermediate", ("compliant".to_owned(), Tone::Good))
            ]
        );
        let legacy = fixture("full-legacy-compliance");
        let legacy = &legacy.compliance.as_ref().expect("judged").profiles[1];
        assert_eq!(profile_verdict(legacy).0, "6 deviations");
        let mut one = legacy.clone();
        one.deviations.truncate(1);
        assert_eq!(profile_verdict(&one).0, "1 deviation");

        let mut unknown = c.profiles[1].clone();
        unknown.compliant = false;
        unknown.not_checked.push(shared::ComplianceNote {
            what: "hsts-max-age".into(),
            detail: "the HTTPS request did not complete".into(),
        });
        assert_eq!(
            profile_verdict(&unknown),
            ("not fully checked".to_owned(), Tone::Neutral)
        );
    }

    #[test]
    fn quick_reports_are_provisional() {
        let view = ReportView::new(&fixture("quick-provisional"));
        assert!(
            view.provisional
                .is_some_and(|p| p.starts_with("Provisional"))
        );
    }

    #[test]
    fn small_formatters() {
        assert_eq!(expiry_phrase(-1), "expired yesterday");
        assert_eq!(expiry_phrase(0), "expires today");
        assert_eq!(expiry_phrase(1), "expires tomorrow");
        assert_eq!(expiry_phrase(90), "expires in 90 days");
        assert_eq!(fingerprint("0aff"), "0A:FF");
        let rsa = PublicKeyInfo {
            algorithm: "RSA".into(),
            bits: 2048,
            curve: None,
        };
        assert_eq!(key_label(&rsa), "RSA 2048");
    }

    #[test]
    fn certificate_transparency_is_one_fact_of_the_certificate() {
        let mut report = fixture("strong-a-plus");
        assert_eq!(ct_fact(&report), None, "older reports have no CT");
        let sct = |signature| shared::Sct {
            source: shared::SctSource::Embedded,
            log_id: "AAAA".into(),
            log_name: None,
            log_operator: None,
            timestamp: "2026-11-01T00:00:00Z".into(),
            signature,
        };
        let verdict = |met| {
            Some(shared::CtPolicyVerdict {
                met,
                detail: String::new(),
            })
        };
        report.ct = Some(shared::CertificateTransparency {
            log_list: shared::CtLogList {
                version: "89.30".into(),
                timestamp: "2026-08-25T13:35:26Z".into(),
                logs: 20,
            },
            scts: vec![
                sct(shared::SctSignature::Valid),
                sct(shared::SctSignature::Invalid),
            ],
            tls_extension_checked: true,
            chrome: verdict(false),
            apple: verdict(true),
        });
        let fact = ct_fact(&report).unwrap();
        assert_eq!(fact.value, "1 of 2 SCTs valid: too few for Chrome");
        assert_eq!(fact.tone, Some(Tone::Bad));
        let ct = report.ct.as_mut().unwrap();
        ct.chrome = None;
        ct.apple = None;
        let fact = ct_fact(&report).unwrap();
        assert_eq!(fact.value, "1 of 2 SCTs valid (private CA: no policy)");
        assert_eq!(
            fact.tone,
            Some(Tone::Warn),
            "an invalid SCT is worth a look"
        );
        assert!(
            ReportView::new(&report)
                .certificate
                .unwrap()
                .facts
                .iter()
                .any(|f| f.label == "Transparency")
        );
    }
}
