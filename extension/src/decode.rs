//! Builds the `shared` types from [`Json`] the way their serde derives would: required
//! fields must be there, `Option` fields may be missing or null, unknown fields are ignored,
//! `cve` lists default to empty. The tests hold this decoder to serde over every fixture.
//!
//! Why not serde: see [`crate::json`].

use std::cell::Cell;
use std::net::IpAddr;

use shared::{
    ApiError, Certificate, CheckError, CipherSuite, Compliance, ComplianceNote, Connection,
    Deviation, EndpointResult, ErrorCode, Features, FfdhGroup, Finding, FindingId, Grade, GradeCap,
    HandshakeSimulation, Hsts, HttpInfo, KeyExchange, KeyExchangeGroup, OcspCertStatus, OcspStatus,
    PlainHttp, ProfileCompliance, ProtocolSupport, ProtocolVersion, PublicKeyInfo, Rating, Report,
    ScanMode, ScanProgress, Score, Severity, SimulationFailure, SimulationOutcome, SuiteStrength,
    TargetInfo, Trust, TrustIssue, TrustIssueKind, Vulnerability, VulnerabilityStatus,
};

use crate::json::{self, Json, JsonError};

type Result<T> = std::result::Result<T, JsonError>;

#[cold]
#[inline(never)]
fn failure(path: &str, key: &str, what: &str) -> JsonError {
    JsonError(format!("{path}.{key}: {what}"))
}

/// An object being read. Readers never stop early: a bad member yields a placeholder and
/// records the first error, which the caller reports once the whole value is built. (Early
/// returns from a struct literal make the compiler write drop code for every field decoded
/// so far, at every field: that alone was 20 KB of wasm.)
#[derive(Clone, Copy)]
struct Obj<'a> {
    members: &'a [(String, Json)],
    /// Where it is, for messages ("report.target").
    path: &'a str,
    error: &'a Cell<Option<JsonError>>,
}

impl<'a> Obj<'a> {
    #[inline(never)]
    fn of(value: &'a Json, path: &'a str, error: &'a Cell<Option<JsonError>>) -> Self {
        let members: &'a [(String, Json)] = match value {
            Json::Obj(members) => members,
            _ => {
                record(error, failure(path, "", "expected an object"));
                &[]
            }
        };
        Self {
            members,
            path,
            error,
        }
    }

    #[inline(never)]
    fn fail(&self, key: &str, what: &str) {
        record(self.error, failure(self.path, key, what));
    }

    /// A member that is present and not null.
    #[inline(never)]
    fn opt(&self, key: &str) -> Option<&'a Json> {
        self.members
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .filter(|v| !matches!(v, Json::Null))
    }

    #[inline(never)]
    fn req(&self, key: &str) -> &'a Json {
        self.opt(key).unwrap_or_else(|| {
            self.fail(key, "missing");
            &Json::Null
        })
    }

    #[inline(never)]
    fn str(&self, key: &str) -> String {
        match self.req(key) {
            Json::Str(s) => s.clone(),
            Json::Null => String::new(),
            _ => {
                self.fail(key, "expected a string");
                String::new()
            }
        }
    }

    #[inline(never)]
    fn opt_str(&self, key: &str) -> Option<String> {
        self.opt(key).map(|_| self.str(key))
    }

    #[inline(never)]
    fn bool(&self, key: &str) -> bool {
        match self.req(key) {
            Json::Bool(b) => *b,
            Json::Null => false,
            _ => {
                self.fail(key, "expected true or false");
                false
            }
        }
    }

    #[inline(never)]
    fn opt_bool(&self, key: &str) -> Option<bool> {
        self.opt(key).map(|_| self.bool(key))
    }

    #[inline(never)]
    fn i64(&self, key: &str) -> i64 {
        match self.req(key) {
            Json::Num(n) => n.parse::<i64>().unwrap_or_else(|_| {
                self.fail(key, "expected an integer");
                0
            }),
            Json::Null => 0,
            _ => {
                self.fail(key, "expected a number");
                0
            }
        }
    }

    fn int<T: TryFrom<i64> + Default>(&self, key: &str) -> T {
        T::try_from(self.i64(key)).unwrap_or_else(|_| {
            self.fail(key, "integer out of range");
            T::default()
        })
    }

    fn opt_int<T: TryFrom<i64> + Default>(&self, key: &str) -> Option<T> {
        self.opt(key).map(|_| self.int(key))
    }

    #[inline(never)]
    fn arr(&self, key: &str) -> &'a [Json] {
        match self.req(key) {
            Json::Arr(items) => items,
            Json::Null => &[],
            _ => {
                self.fail(key, "expected an array");
                &[]
            }
        }
    }

    #[inline(never)]
    fn obj(&self, key: &'a str) -> Self {
        Self::of(self.req(key), key, self.error)
    }

    fn opt_obj(&self, key: &'a str) -> Option<Self> {
        self.opt(key).map(|v| Self::of(v, key, self.error))
    }

    // One body per item type rather than one per call site: the compliance lists share one.
    #[inline(never)]
    fn list<T>(&self, key: &'a str, item: fn(Self) -> T) -> Vec<T> {
        self.arr(key)
            .iter()
            .map(|v| item(Self::of(v, key, self.error)))
            .collect()
    }

    fn opt_list<T>(&self, key: &'a str, item: fn(Self) -> T) -> Option<Vec<T>> {
        self.opt(key).map(|_| self.list(key, item))
    }

    #[inline(never)]
    fn strings(&self, key: &str) -> Vec<String> {
        self.arr(key)
            .iter()
            .map(|v| match v {
                Json::Str(s) => s.clone(),
                _ => {
                    self.fail(key, "expected strings");
                    String::new()
                }
            })
            .collect()
    }

    #[inline(never)]
    fn opt_strings(&self, key: &str) -> Option<Vec<String>> {
        self.opt(key).map(|_| self.strings(key))
    }

    /// A list that serde would default to empty when missing.
    fn default_strings(&self, key: &str) -> Vec<String> {
        self.opt_strings(key).unwrap_or_default()
    }

    /// A string member read by `read`, which knows the variants; `fallback` stands in for an
    /// unknown one (and the error is recorded).
    fn variant<T>(&self, key: &str, read: fn(&str) -> Option<T>, fallback: T) -> T {
        let text = self.str(key);
        read(&text).unwrap_or_else(|| {
            self.fail(key, "expected a known variant");
            fallback
        })
    }

    fn opt_variant<T>(&self, key: &str, read: fn(&str) -> Option<T>, fallback: T) -> Option<T> {
        self.opt(key).map(|_| self.variant(key, read, fallback))
    }
}

fn record(slot: &Cell<Option<JsonError>>, error: JsonError) {
    let first = slot.take().unwrap_or(error);
    slot.set(Some(first));
}

/// Reads `text` with `read`; the first error, if any, wins over the value.
fn document<T>(text: &str, path: &str, read: impl FnOnce(Obj<'_>) -> T) -> Result<T> {
    let value = json::parse(text)?;
    let error = Cell::new(None);
    let result = read(Obj::of(&value, path, &error));
    error.take().map_or(Ok(result), Err)
}

fn grade(s: &str) -> Option<Grade> {
    Grade::ALL.into_iter().find(|g| g.as_str() == s)
}

fn severity(s: &str) -> Option<Severity> {
    Severity::ALL.into_iter().find(|v| v.as_str() == s)
}

fn protocol(s: &str) -> Option<ProtocolVersion> {
    ProtocolVersion::ALL.into_iter().find(|v| v.as_str() == s)
}

fn finding_id(s: &str) -> Option<FindingId> {
    Some(FindingId::parse(s))
}

fn scan_mode(s: &str) -> Option<ScanMode> {
    match s {
        "quick" => Some(ScanMode::Quick),
        "full" => Some(ScanMode::Full),
        _ => None,
    }
}

fn suite_strength(s: &str) -> Option<SuiteStrength> {
    Some(match s {
        "recommended" => SuiteStrength::Recommended,
        "secure" => SuiteStrength::Secure,
        "weak" => SuiteStrength::Weak,
        "insecure" => SuiteStrength::Insecure,
        _ => return None,
    })
}

fn vulnerability_status(s: &str) -> Option<VulnerabilityStatus> {
    Some(match s {
        "vulnerable" => VulnerabilityStatus::Vulnerable,
        "not_vulnerable" => VulnerabilityStatus::NotVulnerable,
        "not_tested" => VulnerabilityStatus::NotTested,
        "inconclusive" => VulnerabilityStatus::Inconclusive,
        _ => return None,
    })
}

fn trust_issue_kind(s: &str) -> Option<TrustIssueKind> {
    Some(match s {
        "expired" => TrustIssueKind::Expired,
        "not_yet_valid" => TrustIssueKind::NotYetValid,
        "self_signed" => TrustIssueKind::SelfSigned,
        "unknown_issuer" => TrustIssueKind::UnknownIssuer,
        "incomplete_chain" => TrustIssueKind::IncompleteChain,
        "name_mismatch" => TrustIssueKind::NameMismatch,
        "revoked" => TrustIssueKind::Revoked,
        "bad_signature" => TrustIssueKind::BadSignature,
        "invalid_purpose" => TrustIssueKind::InvalidPurpose,
        "unsupported" => TrustIssueKind::Unsupported,
        "no_certificate" => TrustIssueKind::NoCertificate,
        "validity_disjoint" => TrustIssueKind::ValidityDisjoint,
        "certificate_too_large" => TrustIssueKind::CertificateTooLarge,
        "other" => TrustIssueKind::Other,
        _ => return None,
    })
}

fn ocsp_cert_status(s: &str) -> Option<OcspCertStatus> {
    Some(match s {
        "good" => OcspCertStatus::Good,
        "revoked" => OcspCertStatus::Revoked,
        "unknown" => OcspCertStatus::Unknown,
        _ => return None,
    })
}

/// The `ErrorCode` named `s`.
pub fn error_code(s: &str) -> Option<ErrorCode> {
    Some(match s {
        "bad_target" => ErrorCode::BadTarget,
        "bad_request" => ErrorCode::BadRequest,
        "not_found" => ErrorCode::NotFound,
        "unauthorized" => ErrorCode::Unauthorized,
        "forbidden" => ErrorCode::Forbidden,
        "target_forbidden" => ErrorCode::TargetForbidden,
        "resolve_failed" => ErrorCode::ResolveFailed,
        "connect_failed" => ErrorCode::ConnectFailed,
        "timeout" => ErrorCode::Timeout,
        "rate_limited" => ErrorCode::RateLimited,
        "overloaded" => ErrorCode::Overloaded,
        "internal" => ErrorCode::Internal,
        _ => return None,
    })
}

fn ip(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

fn ips(o: &Obj<'_>, key: &str) -> Vec<IpAddr> {
    o.strings(key)
        .iter()
        .map(|s| {
            ip(s).unwrap_or_else(|| {
                o.fail(key, "expected IP addresses");
                IpAddr::from([0, 0, 0, 0])
            })
        })
        .collect()
}

fn target(o: Obj<'_>) -> TargetInfo {
    TargetInfo {
        host: o.str("host"),
        port: o.int("port"),
        sni: o.opt_str("sni"),
        ip: o.variant("ip", ip, IpAddr::from([0, 0, 0, 0])),
        resolved_addresses: ips(&o, "resolved_addresses"),
    }
}

fn grade_cap(o: Obj<'_>) -> GradeCap {
    GradeCap {
        finding_id: o.variant("finding_id", finding_id, FindingId::Other(String::new())),
        cap: o.variant("cap", grade, Grade::F),
        limiting: o.bool("limiting"),
        grade_without: o.variant("grade_without", grade, Grade::F),
    }
}

fn score(o: Obj<'_>) -> Score {
    Score {
        protocol: o.int("protocol"),
        key_exchange: o.int("key_exchange"),
        cipher_strength: o.int("cipher_strength"),
        total: o.int("total"),
    }
}

fn rating(o: Obj<'_>) -> Rating {
    Rating {
        rules_version: o.str("rules_version"),
        complete: o.bool("complete"),
        score: o.opt_obj("score").map(score),
        grade_ignoring_trust: o.variant("grade_ignoring_trust", grade, Grade::F),
        caps: o.list("caps", grade_cap),
    }
}

fn connection(o: Obj<'_>) -> Connection {
    Connection {
        protocol_version: o.variant("protocol_version", protocol, ProtocolVersion::Tls12),
        cipher_suite: o.str("cipher_suite"),
        key_exchange_group: o.opt_str("key_exchange_group"),
        alpn: o.opt_str("alpn"),
        ocsp_stapled: o.bool("ocsp_stapled"),
        session_resumed: o.opt_bool("session_resumed"),
        handshake_ms: o.int("handshake_ms"),
    }
}

fn cipher_suite(o: Obj<'_>) -> CipherSuite {
    CipherSuite {
        id: o.int("id"),
        name: o.str("name"),
        openssl_name: o.opt_str("openssl_name"),
        key_exchange: o.str("key_exchange"),
        authentication: o.str("authentication"),
        encryption: o.str("encryption"),
        bits: o.int("bits"),
        mac: o.str("mac"),
        aead: o.bool("aead"),
        forward_secrecy: o.bool("forward_secrecy"),
        strength: o.variant("strength", suite_strength, SuiteStrength::Insecure),
        key_exchange_detail: o.opt_str("key_exchange_detail"),
    }
}

fn protocol_support(o: Obj<'_>) -> ProtocolSupport {
    ProtocolSupport {
        version: o.variant("version", protocol, ProtocolVersion::Tls12),
        supported: o.opt_bool("supported"),
        cipher_suites: o.list("cipher_suites", cipher_suite),
        server_preference: o.opt_bool("server_preference"),
        intolerance: o.opt_str("intolerance"),
    }
}

fn group(o: Obj<'_>) -> KeyExchangeGroup {
    KeyExchangeGroup {
        id: o.int("id"),
        name: o.str("name"),
        bits: o.int("bits"),
        post_quantum: o.bool("post_quantum"),
    }
}

fn key_exchange(o: Obj<'_>) -> KeyExchange {
    KeyExchange {
        groups: o.opt_list("groups", group),
        server_group_preference: o.opt_bool("server_group_preference"),
        dh_min_bits: o.opt_int("dh_min_bits"),
        signature_algorithms: o.opt_strings("signature_algorithms"),
        dh_groups: o.opt_list("dh_groups", dh_group),
    }
}

fn dh_group(o: Obj<'_>) -> FfdhGroup {
    FfdhGroup {
        bits: o.int("bits"),
        generator: o.str("generator"),
        prime_sha256: o.str("prime_sha256"),
        known_as: o.opt_str("known_as"),
        prime: o.opt_bool("prime"),
        safe_prime: o.opt_bool("safe_prime"),
    }
}

fn features(o: Obj<'_>) -> Features {
    Features {
        secure_renegotiation: o.opt_bool("secure_renegotiation"),
        compression: o.opt_bool("compression"),
        fallback_scsv: o.opt_bool("fallback_scsv"),
        heartbeat: o.opt_bool("heartbeat"),
        session_tickets: o.opt_bool("session_tickets"),
        ocsp_stapling: o.opt_bool("ocsp_stapling"),
        alpn: o.opt_strings("alpn"),
    }
}

fn vulnerability(o: Obj<'_>) -> Vulnerability {
    Vulnerability {
        id: o.str("id"),
        name: o.str("name"),
        status: o.variant(
            "status",
            vulnerability_status,
            VulnerabilityStatus::Inconclusive,
        ),
        cve: o.default_strings("cve"),
        detail: o.str("detail"),
    }
}

fn public_key(o: Obj<'_>) -> PublicKeyInfo {
    PublicKeyInfo {
        algorithm: o.str("algorithm"),
        bits: o.int("bits"),
        curve: o.opt_str("curve"),
    }
}

fn certificate(o: Obj<'_>) -> Certificate {
    Certificate {
        subject: o.str("subject"),
        common_name: o.opt_str("common_name"),
        issuer: o.str("issuer"),
        issuer_common_name: o.opt_str("issuer_common_name"),
        serial: o.str("serial"),
        not_before: o.str("not_before"),
        not_after: o.str("not_after"),
        days_remaining: o.int("days_remaining"),
        subject_alt_names: o.strings("subject_alt_names"),
        key: public_key(o.obj("key")),
        signature_algorithm: o.str("signature_algorithm"),
        sha256_fingerprint: o.str("sha256_fingerprint"),
        spki_sha256: o.str("spki_sha256"),
        self_signed: o.bool("self_signed"),
        is_ca: o.bool("is_ca"),
        ocsp_urls: o.strings("ocsp_urls"),
        ca_issuer_urls: o.strings("ca_issuer_urls"),
    }
}

fn trust_issue(o: Obj<'_>) -> TrustIssue {
    TrustIssue {
        kind: o.variant("kind", trust_issue_kind, TrustIssueKind::Other),
        message: o.str("message"),
    }
}

fn ocsp(o: Obj<'_>) -> OcspStatus {
    OcspStatus {
        status: o.variant("status", ocsp_cert_status, OcspCertStatus::Unknown),
        signature_valid: o.bool("signature_valid"),
        produced_at: o.str("produced_at"),
        this_update: o.str("this_update"),
        next_update: o.opt_str("next_update"),
        revoked_at: o.opt_str("revoked_at"),
    }
}

fn trust(o: Obj<'_>) -> Trust {
    Trust {
        trusted: o.bool("trusted"),
        name_matches: o.bool("name_matches"),
        chain_complete: o.opt_bool("chain_complete"),
        issues: o.list("issues", trust_issue),
        anchor: o.opt_str("anchor"),
        ocsp: o.opt_obj("ocsp").map(ocsp),
    }
}

fn hsts(o: Obj<'_>) -> Hsts {
    Hsts {
        raw: o.str("raw"),
        max_age: o.opt_int("max_age"),
        include_subdomains: o.bool("include_subdomains"),
        preload: o.bool("preload"),
    }
}

fn plain_http(o: Obj<'_>) -> PlainHttp {
    PlainHttp {
        status: o.int("status"),
        location: o.opt_str("location"),
        redirects_to_https: o.bool("redirects_to_https"),
    }
}

fn http(o: Obj<'_>) -> HttpInfo {
    HttpInfo {
        https_status: o.opt_int("https_status"),
        hsts: o.opt_obj("hsts").map(hsts),
        plain_http: o.opt_obj("plain_http").map(plain_http),
    }
}

fn finding(o: Obj<'_>) -> Finding {
    Finding {
        id: o.variant("id", finding_id, FindingId::Other(String::new())),
        severity: o.variant("severity", severity, Severity::Info),
        title: o.str("title"),
        detail: o.str("detail"),
        fix: o.str("fix"),
        grade_cap: o.opt_variant("grade_cap", grade, Grade::F),
        cve: o.default_strings("cve"),
    }
}

fn simulation_outcome(o: Obj<'_>) -> SimulationOutcome {
    if o.str("result") == "connected" {
        SimulationOutcome::Connected {
            protocol: o.variant("protocol", protocol, ProtocolVersion::Tls12),
            cipher_suite: o.str("cipher_suite"),
            group: o.opt_str("group"),
            forward_secrecy: o.bool("forward_secrecy"),
            aead: o.bool("aead"),
        }
    } else {
        SimulationOutcome::Failed {
            reason: o.variant(
                "reason",
                SimulationFailure::parse,
                SimulationFailure::Refused,
            ),
            detail: o.str("detail"),
        }
    }
}

fn simulation(o: Obj<'_>) -> HandshakeSimulation {
    HandshakeSimulation {
        client: o.str("client"),
        version: o.str("version"),
        platform: o.str("platform"),
        current: o.bool("current"),
        outcome: simulation_outcome(o.obj("outcome")),
        confirmed: o.bool("confirmed"),
        predicted: o.opt_obj("predicted").map(simulation_outcome),
    }
}

fn check_error(o: Obj<'_>) -> CheckError {
    CheckError {
        check: o.str("check"),
        message: o.str("message"),
    }
}

fn deviation(o: Obj<'_>) -> Deviation {
    Deviation {
        what: o.str("what"),
        detail: o.str("detail"),
        fix: o.str("fix"),
    }
}

fn compliance_note(o: Obj<'_>) -> ComplianceNote {
    ComplianceNote {
        what: o.str("what"),
        detail: o.str("detail"),
    }
}

fn profile_compliance(o: Obj<'_>) -> ProfileCompliance {
    ProfileCompliance {
        profile: o.str("profile"),
        compliant: o.bool("compliant"),
        deviations: o.list("deviations", deviation),
        not_checked: o.list("not_checked", compliance_note),
        notes: o.list("notes", compliance_note),
        oldest_clients: o.strings("oldest_clients"),
    }
}

fn compliance(o: Obj<'_>) -> Compliance {
    Compliance {
        guideline: o.str("guideline"),
        version: o.str("version"),
        source: o.str("source"),
        profiles: o.list("profiles", profile_compliance),
    }
}

fn endpoint_result(o: Obj<'_>) -> EndpointResult {
    EndpointResult {
        ip: o.variant("ip", ip, IpAddr::from([0, 0, 0, 0])),
        grade: o.opt_variant("grade", grade, Grade::F),
        error: o.opt_str("error"),
        leaf_sha256: o.opt_str("leaf_sha256"),
        protocols: o
            .strings("protocols")
            .iter()
            .filter_map(|p| protocol(p))
            .collect(),
        cipher_suites: o.int("cipher_suites"),
        finding_ids: o
            .strings("finding_ids")
            .iter()
            .map(|id| finding_id(id).unwrap_or_else(|| FindingId::Other(id.clone())))
            .collect(),
    }
}

fn report_of(o: Obj<'_>) -> Report {
    Report {
        schema_version: o.str("schema_version"),
        probe_version: o.str("probe_version"),
        scan_mode: o.variant("scan_mode", scan_mode, ScanMode::Quick),
        scanned_at: o.str("scanned_at"),
        duration_ms: o.int("duration_ms"),
        connections: o.opt_int("connections").unwrap_or_default(),
        target: target(o.obj("target")),
        grade: o.variant("grade", grade, Grade::F),
        rating: rating(o.obj("rating")),
        connection: o.opt_obj("connection").map(connection),
        protocols: o.list("protocols", protocol_support),
        key_exchange: key_exchange(o.obj("key_exchange")),
        features: features(o.obj("features")),
        vulnerabilities: o.list("vulnerabilities", vulnerability),
        certificates: o.list("certificates", certificate),
        trust: trust(o.obj("trust")),
        http: o.opt_obj("http").map(http),
        simulations: o.opt_list("simulations", simulation).unwrap_or_default(),
        findings: o.list("findings", finding),
        errors: o.list("errors", check_error),
        compliance: o.opt_obj("compliance").map(compliance),
        endpoints: o.opt_list("endpoints", endpoint_result).unwrap_or_default(),
    }
}

/// A `Report` from its JSON text.
pub fn report(text: &str) -> Result<Report> {
    document(text, "report", report_of)
}

/// The report inside a `quick` or `report` stream event: `{"type": ..., "report": {...}}`.
pub fn event_report(text: &str) -> Result<Report> {
    document(text, "event", |o| report_of(o.obj("report")))
}

/// An `ApiError` (error answers and `error` stream events).
pub fn api_error(text: &str) -> Result<ApiError> {
    document(text, "error", |o| ApiError {
        error: o.variant("error", error_code, ErrorCode::Internal),
        message: o.str("message"),
    })
}

/// A `progress` stream event.
pub fn progress(text: &str) -> Result<ScanProgress> {
    document(text, "progress", |o| ScanProgress {
        step: o.str("step"),
        done: o.int("done"),
        total: o.int("total"),
    })
}

/// The answer of `/healthz`.
pub fn health(text: &str) -> Result<crate::probe::Health> {
    document(text, "health", |o| crate::probe::Health {
        status: o.str("status"),
        version: o.opt_str("version"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> Vec<(String, String)> {
        let dir = format!("{}/../shared/fixtures", env!("CARGO_MANIFEST_DIR"));
        let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
            .expect("fixtures folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .map(|p| {
                let text = std::fs::read_to_string(&p).expect("readable fixture");
                (p.display().to_string(), text)
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn reads_every_fixture_exactly_as_serde_does() {
        let all = fixtures();
        assert!(all.len() >= 7);
        for (path, text) in all {
            let ours = report(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
            let serde: Report = serde_json::from_str(&text).expect("fixture is a Report");
            assert_eq!(ours, serde, "{path}");
        }
    }

    #[test]
    fn reads_every_variant_as_serde_names_it() {
        // Each enum's variants, written by serde and read back here.
        let name = |v: serde_json::Value| v.as_str().map(str::to_owned).unwrap_or_default();
        for g in Grade::ALL {
            assert_eq!(grade(&name(serde_json::json!(g))), Some(g));
        }
        for k in [
            TrustIssueKind::Expired,
            TrustIssueKind::NotYetValid,
            TrustIssueKind::SelfSigned,
            TrustIssueKind::UnknownIssuer,
            TrustIssueKind::IncompleteChain,
            TrustIssueKind::NameMismatch,
            TrustIssueKind::Revoked,
            TrustIssueKind::BadSignature,
            TrustIssueKind::InvalidPurpose,
            TrustIssueKind::Unsupported,
            TrustIssueKind::NoCertificate,
            TrustIssueKind::ValidityDisjoint,
            TrustIssueKind::CertificateTooLarge,
            TrustIssueKind::Other,
        ] {
            assert_eq!(trust_issue_kind(&name(serde_json::json!(k))), Some(k));
        }
        for c in [
            ErrorCode::BadTarget,
            ErrorCode::BadRequest,
            ErrorCode::NotFound,
            ErrorCode::Unauthorized,
            ErrorCode::Forbidden,
            ErrorCode::TargetForbidden,
            ErrorCode::ResolveFailed,
            ErrorCode::ConnectFailed,
            ErrorCode::Timeout,
            ErrorCode::RateLimited,
            ErrorCode::Overloaded,
            ErrorCode::Internal,
        ] {
            assert_eq!(error_code(&name(serde_json::json!(c))), Some(c));
        }
        for s in [
            SuiteStrength::Recommended,
            SuiteStrength::Secure,
            SuiteStrength::Weak,
            SuiteStrength::Insecure,
        ] {
            assert_eq!(suite_strength(&name(serde_json::json!(s))), Some(s));
        }
        for s in [
            VulnerabilityStatus::Vulnerable,
            VulnerabilityStatus::NotVulnerable,
            VulnerabilityStatus::NotTested,
            VulnerabilityStatus::Inconclusive,
        ] {
            assert_eq!(vulnerability_status(&name(serde_json::json!(s))), Some(s));
        }
        for s in [
            OcspCertStatus::Good,
            OcspCertStatus::Revoked,
            OcspCertStatus::Unknown,
        ] {
            assert_eq!(ocsp_cert_status(&name(serde_json::json!(s))), Some(s));
        }
        for m in [ScanMode::Quick, ScanMode::Full] {
            assert_eq!(scan_mode(&name(serde_json::json!(m))), Some(m));
        }
    }

    #[test]
    fn stream_events_and_errors() {
        let fixture = &fixtures()[0].1;
        let event = format!(r#"{{"type":"report","report":{fixture}}}"#);
        assert_eq!(
            event_report(&event).expect("an event"),
            serde_json::from_str::<Report>(fixture).expect("a report")
        );
        let p = progress(r#"{"type":"progress","step":"protocols","done":1,"total":4}"#)
            .expect("progress");
        assert_eq!((p.step.as_str(), p.done, p.total), ("protocols", 1, 4));
        let e = api_error(r#"{"type":"error","error":"target_forbidden","message":"no"}"#)
            .expect("error");
        assert_eq!(e.error, ErrorCode::TargetForbidden);
        let h = health(r#"{"status":"ok","version":"0.1.0","extra":1.5}"#).expect("health");
        assert_eq!(h.version.as_deref(), Some("0.1.0"));
    }

    #[test]
    fn tolerates_what_serde_tolerates_and_refuses_the_rest() {
        let mut value: serde_json::Value = serde_json::from_str(&fixtures()[0].1).expect("json");
        // Unknown fields, missing optional fields, and unknown finding ids are fine.
        value["future_field"] = serde_json::json!({"x": [1.5, null]});
        value.as_object_mut().map(|o| o.remove("http"));
        value["findings"] = serde_json::json!([{
            "id": "future-check", "severity": "low", "title": "t", "detail": "d", "fix": "f",
            "grade_cap": null
        }]);
        let text = value.to_string();
        let ours = report(&text).expect("tolerated");
        assert_eq!(
            ours,
            serde_json::from_str::<Report>(&text).expect("serde too")
        );
        assert_eq!(ours.findings[0].id, FindingId::Other("future-check".into()));

        value["grade"] = serde_json::json!("Z");
        let err = report(&value.to_string()).expect_err("unknown grade");
        assert!(err.0.contains("report.grade"), "{err}");
        value["grade"] = serde_json::json!("A");
        value["duration_ms"] = serde_json::json!(-1);
        assert!(report(&value.to_string()).is_err());
        value["duration_ms"] = serde_json::json!(1);
        value.as_object_mut().map(|o| o.remove("target"));
        assert!(
            report(&value.to_string())
                .expect_err("missing")
                .0
                .contains("target")
        );
    }
}
