//! Compliance with the TLSRef server-side TLS guideline (formerly Mozilla's "Server Side
//! TLS"): for each profile, the exact list of requirements the server does not meet, each
//! with its fix, or "compliant".
//!
//! A pure function of the observations (and of the errors of the checks that fed them): a
//! requirement this scan could not check is reported as not checked, never as met. Suites
//! and groups are compared by IANA code point, never by name. The guideline's facts are a
//! versioned data file ([`guideline`]); the report names its version.
//!
//! Where the guideline is silent the judgement follows what its own configurations do: a
//! server configured as the generator writes it must come out compliant. So a TLS 1.2 suite
//! the certificate cannot use is not "missing" (an ECDSA-only server cannot offer
//! ECDHE-RSA), a group the profile lists but the server's TLS library lacks (X25519MLKEM768
//! before OpenSSL 3.5) is a note, not a deviation, and OCSP stapling is not required of a
//! certificate that names no OCSP responder (there is nothing to staple).

pub(crate) mod guideline;

use std::collections::BTreeSet;

use shared::{
    CheckError, Compliance, ComplianceNote, Deviation, ProfileCompliance, ProtocolVersion,
};

use crate::assess::observations::Observations;
use crate::iana::cipher_suites::{Authentication, CipherSuiteInfo};
use crate::iana::groups::{self, GroupInfo, GroupKind};
use guideline::{CertificateType, Guideline, Profile};

/// The server against every profile of the guideline in force.
pub(crate) fn assess(obs: &Observations, errors: &[CheckError]) -> Compliance {
    assess_against(guideline::current(), obs, errors)
}

/// The server against every profile of `guideline`.
pub(crate) fn assess_against(
    guideline: &Guideline,
    obs: &Observations,
    errors: &[CheckError],
) -> Compliance {
    Compliance {
        guideline: guideline.title(),
        version: guideline.version.clone(),
        source: guideline.source.clone(),
        profiles: guideline
            .profiles
            .iter()
            .map(|profile| assess_profile(profile, obs, errors))
            .collect(),
    }
}

/// What one requirement came to.
enum Outcome {
    Met,
    Deviates { detail: String, fix: String },
    NotChecked(String),
}

/// What a requirement's check reads.
struct Context<'a> {
    profile: &'a Profile,
    obs: &'a Observations,
    errors: &'a [CheckError],
    notes: Vec<ComplianceNote>,
}

impl Context<'_> {
    fn note(&mut self, what: &str, detail: String) {
        self.notes.push(ComplianceNote {
            what: what.to_owned(),
            detail,
        });
    }

    /// The message of the first error of one of `checks`.
    fn error(&self, checks: &[&str]) -> Option<String> {
        self.errors
            .iter()
            .find(|e| checks.contains(&e.check.as_str()))
            .map(|e| format!("{}: {}", e.check, e.message))
    }
}

type Requirement = (&'static str, fn(&mut Context<'_>) -> Outcome);

/// Every requirement, in the order the report lists them.
const REQUIREMENTS: &[Requirement] = &[
    ("tls-version", tls_version),
    ("tls12-suites", |c| suites(c, false)),
    ("tls13-suites", |c| suites(c, true)),
    ("groups", groups_offered),
    ("ecdh-size", ecdh_size),
    ("dh-size", dh_size),
    ("certificate-type", certificate_type),
    ("certificate-curve", certificate_curve),
    ("certificate-signature", certificate_signature),
    ("rsa-key-size", rsa_key_size),
    ("certificate-lifespan", certificate_lifespan),
    ("ocsp-stapling", ocsp_stapling),
    ("hsts-max-age", hsts_max_age),
];

fn assess_profile(
    profile: &Profile,
    obs: &Observations,
    errors: &[CheckError],
) -> ProfileCompliance {
    let mut context = Context {
        profile,
        obs,
        errors,
        notes: Vec::new(),
    };
    let (mut deviations, mut not_checked) = (Vec::new(), Vec::new());
    for (what, check) in REQUIREMENTS {
        match check(&mut context) {
            Outcome::Met => {}
            Outcome::Deviates { detail, fix } => deviations.push(Deviation {
                what: (*what).to_owned(),
                detail,
                fix,
            }),
            Outcome::NotChecked(reason) => not_checked.push(ComplianceNote {
                what: (*what).to_owned(),
                detail: reason,
            }),
        }
    }
    server_order_note(&mut context);
    ProfileCompliance {
        profile: profile.name.clone(),
        compliant: deviations.is_empty() && not_checked.is_empty(),
        deviations,
        not_checked,
        notes: context.notes,
        oldest_clients: profile.oldest_clients.clone(),
    }
}

fn version_list(versions: &[ProtocolVersion]) -> String {
    versions
        .iter()
        .map(|v| v.display_name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn tls_version(c: &mut Context<'_>) -> Outcome {
    let allowed = &c.profile.tls_versions;
    let (mut extra, mut missing, mut unknown) = (Vec::new(), Vec::new(), Vec::new());
    for version in ProtocolVersion::ALL {
        match (c.obs.supports(version), allowed.contains(&version)) {
            (Some(true), false) => extra.push(version),
            (Some(false), true) => missing.push(version),
            (None, _) => unknown.push(version),
            _ => {}
        }
    }
    if extra.is_empty() && missing.is_empty() {
        return if unknown.is_empty() {
            Outcome::Met
        } else {
            Outcome::NotChecked(format!(
                "support for {} was not determined",
                version_list(&unknown)
            ))
        };
    }
    let mut facts = Vec::new();
    if !extra.is_empty() {
        facts.push(format!("offers {}", version_list(&extra)));
    }
    if !missing.is_empty() {
        facts.push(format!("lacks {}", version_list(&missing)));
    }
    facts.push(format!("the profile allows {}", version_list(allowed)));
    if !unknown.is_empty() {
        facts.push(format!("{} not determined", version_list(&unknown)));
    }
    let directive: Vec<&str> = allowed.iter().map(|v| v.as_str()).collect();
    Outcome::Deviates {
        detail: facts.join("; "),
        fix: format!(
            "Enable only {} (nginx: ssl_protocols {};).",
            version_list(allowed).replace(", ", " and "),
            directive.join(" ")
        ),
    }
}

/// The certificate key types the server has: the leaf's, and those the suites it accepts
/// reveal (a server with two certificates accepts both ECDHE-ECDSA and ECDHE-RSA).
fn certificate_types(obs: &Observations) -> BTreeSet<&'static str> {
    let mut types = BTreeSet::new();
    if let Some(kind) = obs.leaf().and_then(|l| leaf_type(&l.summary.key.algorithm)) {
        types.insert(kind.as_str());
    }
    for (_, suite) in obs.accepted_suites() {
        match suite.authentication.as_str() {
            "RSA" => types.insert(CertificateType::Rsa.as_str()),
            "ECDSA" => types.insert(CertificateType::Ecdsa.as_str()),
            _ => false,
        };
    }
    types
}

fn leaf_type(algorithm: &str) -> Option<CertificateType> {
    match algorithm {
        "EC" => Some(CertificateType::Ecdsa),
        "RSA" => Some(CertificateType::Rsa),
        _ => None,
    }
}

/// True when a certificate of one of `types` can negotiate `suite`.
fn usable_with(suite: &CipherSuiteInfo, types: &BTreeSet<&str>) -> bool {
    match suite.authentication {
        Authentication::Any => true,
        Authentication::Rsa => types.contains(CertificateType::Rsa.as_str()),
        Authentication::Ecdsa => types.contains(CertificateType::Ecdsa.as_str()),
        _ => false,
    }
}

fn suite_names<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

fn suites(c: &mut Context<'_>, tls13: bool) -> Outcome {
    let obs = c.obs;
    let (versions, allowed, label): (&[ProtocolVersion], &[&CipherSuiteInfo], &str) = if tls13 {
        (
            &[ProtocolVersion::Tls13],
            &c.profile.tls13_suites,
            "TLS 1.3",
        )
    } else {
        (
            &[
                ProtocolVersion::Ssl3,
                ProtocolVersion::Tls10,
                ProtocolVersion::Tls11,
                ProtocolVersion::Tls12,
            ],
            &c.profile.tls12_suites,
            "TLS 1.2 (or older)",
        )
    };
    if !obs.suites_enumerated() {
        return Outcome::NotChecked(format!(
            "the {label} suites were not enumerated (no raw handshake reached the server)"
        ));
    }
    let mut offered: Vec<(u16, &str)> = Vec::new();
    let mut unknown = Vec::new();
    let mut incomplete = Vec::new();
    for &version in versions {
        match obs.supports(version) {
            Some(true) => {
                let listed = obs
                    .protocols
                    .iter()
                    .filter(|p| p.version == version)
                    .flat_map(|p| &p.cipher_suites);
                let before = offered.len();
                for suite in listed {
                    if !offered.iter().any(|(id, _)| *id == suite.id) {
                        offered.push((suite.id, suite.name.as_str()));
                    }
                }
                if offered.len() == before {
                    unknown.push(version);
                }
                let check = format!("protocol-{}", version.as_str().to_ascii_lowercase());
                if let Some(e) = c.error(&[check.as_str()]) {
                    incomplete.push(e);
                }
            }
            Some(false) => {}
            None => unknown.push(version),
        }
    }
    offered.sort_unstable();
    let extra: Vec<&str> = offered
        .iter()
        .filter(|(id, _)| !allowed.iter().any(|s| s.id == *id))
        .map(|(_, name)| *name)
        .collect();
    // "Missing" only means something where the profile's list applies: the server speaks a
    // version the profile allows, its suites there were listed, and its certificate can use
    // the suite.
    let applies = versions.iter().any(|v| {
        c.profile.tls_versions.contains(v)
            && obs.supports(*v) == Some(true)
            && !unknown.contains(v)
            && (tls13 || *v == ProtocolVersion::Tls12)
    });
    let types = certificate_types(obs);
    let usable: Vec<&CipherSuiteInfo> = allowed
        .iter()
        .copied()
        .filter(|s| usable_with(s, &types))
        .collect();
    let missing: Vec<&str> = if applies {
        usable
            .iter()
            .filter(|s| !offered.iter().any(|(id, _)| *id == s.id))
            .map(|s| s.name)
            .collect()
    } else {
        Vec::new()
    };
    if extra.is_empty() && missing.is_empty() {
        return match (unknown.is_empty(), incomplete.first()) {
            (true, None) => Outcome::Met,
            (false, _) => Outcome::NotChecked(format!(
                "the suites of {} were not enumerated",
                version_list(&unknown)
            )),
            (true, Some(e)) => Outcome::NotChecked(format!("the enumeration failed: {e}")),
        };
    }
    let mut facts = Vec::new();
    if !extra.is_empty() {
        facts.push(format!("offers {}", suite_names(extra)));
    }
    if !missing.is_empty() {
        facts.push(format!("lacks {}", suite_names(missing)));
    }
    facts.push(if allowed.is_empty() {
        format!("the profile allows no {label} suites")
    } else {
        format!(
            "the profile allows {}",
            suite_names(allowed.iter().map(|s| s.name))
        )
    });
    if let Some(e) = incomplete.first() {
        facts.push(format!("the enumeration was incomplete ({e})"));
    }
    let openssl = |list: &[&CipherSuiteInfo]| {
        list.iter()
            .map(|s| s.openssl_name.unwrap_or(s.name))
            .collect::<Vec<_>>()
            .join(":")
    };
    let fix = if tls13 {
        format!(
            "Offer exactly the profile's TLS 1.3 suites (OpenSSL: Ciphersuites = {}; nginx: \
             ssl_conf_command Ciphersuites {};).",
            openssl(allowed),
            openssl(allowed)
        )
    } else if allowed.is_empty() {
        "Disable TLS 1.2 and older: the profile has no suites for them.".to_owned()
    } else {
        let list = if usable.is_empty() {
            allowed
        } else {
            &usable[..]
        };
        format!(
            "Offer exactly the profile's TLS 1.2 suites for your certificate (nginx: \
             ssl_ciphers {};).",
            openssl(list)
        )
    };
    Outcome::Deviates {
        detail: facts.join("; "),
        fix,
    }
}

/// The groups the server accepts, resolved (unknown code points have no entry).
fn offered_groups(obs: &Observations) -> Option<Vec<(u16, String, Option<&'static GroupInfo>)>> {
    obs.key_exchange.groups.as_ref().map(|list| {
        list.iter()
            .map(|g| (g.id, g.name.clone(), groups::by_id(g.id)))
            .collect()
    })
}

/// The group's name as OpenSSL configuration takes it.
fn openssl_group(group: &GroupInfo) -> &'static str {
    match group.id {
        groups::ids::X25519 => "X25519",
        groups::ids::SECP256R1 => "prime256v1",
        _ => group.name,
    }
}

fn groups_not_enumerated(c: &Context<'_>) -> Outcome {
    let why = c
        .error(&["groups", "curves"])
        .unwrap_or_else(|| "no TLS 1.3 or TLS 1.2 handshake to enumerate them with".to_owned());
    Outcome::NotChecked(format!(
        "the key-exchange groups were not enumerated ({why})"
    ))
}

fn groups_offered(c: &mut Context<'_>) -> Outcome {
    let Some(offered) = offered_groups(c.obs) else {
        return groups_not_enumerated(c);
    };
    let allowed = &c.profile.groups;
    let listed = |id: u16| allowed.iter().any(|g| g.id == id);
    let extra: Vec<&str> = offered
        .iter()
        .filter(|(id, _, _)| !listed(*id))
        .map(|(_, name, _)| name.as_str())
        .collect();
    let tls13 = c.obs.supports(ProtocolVersion::Tls13) == Some(true);
    let missing: Vec<&str> = allowed
        .iter()
        .filter(|g| !offered.iter().any(|(id, _, _)| *id == g.id))
        // Hybrid and KEM groups exist only in TLS 1.3.
        .filter(|g| tls13 || !matches!(g.kind, GroupKind::Hybrid | GroupKind::Kem))
        .map(|g| g.name)
        .collect();
    let allowed_names = suite_names(allowed.iter().map(|g| g.name));
    if !missing.is_empty() && !offered.is_empty() {
        c.note(
            "groups",
            format!(
                "Does not offer {}, which the profile lists ({allowed_names}). Not a \
                 deviation: the profile's configurations list only the groups the TLS library \
                 has (X25519MLKEM768 needs OpenSSL 3.5 or later); offering them serves more \
                 clients.",
                suite_names(missing)
            ),
        );
    }
    if extra.is_empty() {
        return match c.error(&["groups", "curves"]) {
            Some(e) => Outcome::NotChecked(format!("the enumeration failed: {e}")),
            None => Outcome::Met,
        };
    }
    let directive: Vec<&str> = allowed.iter().map(|g| openssl_group(g)).collect();
    Outcome::Deviates {
        detail: format!(
            "offers {}; the profile allows {allowed_names}",
            suite_names(extra)
        ),
        fix: format!(
            "Offer only the profile's groups (nginx: ssl_ecdh_curve {}; leave out \
             X25519MLKEM768 before OpenSSL 3.5).",
            directive.join(":")
        ),
    }
}

fn ecdh_size(c: &mut Context<'_>) -> Outcome {
    let Some(offered) = offered_groups(c.obs) else {
        return groups_not_enumerated(c);
    };
    let min = c.profile.ecdh_min_bits;
    let small: Vec<String> = offered
        .iter()
        .filter_map(|(_, name, info)| info.map(|g| (name, g)))
        .filter(|(_, g)| {
            matches!(
                g.kind,
                GroupKind::PrimeCurve | GroupKind::BinaryCurve | GroupKind::Montgomery
            ) && g.size_bits < min
                // X25519's field is 255 bits; the profiles list it as a 256-bit curve.
                && !c.profile.groups.iter().any(|p| p.id == g.id)
        })
        .map(|(name, g)| format!("{name} ({} bits)", g.size_bits))
        .collect();
    if small.is_empty() {
        return Outcome::Met;
    }
    Outcome::Deviates {
        detail: format!(
            "offers {}; the profile asks for curves of at least {min} bits",
            small.join(", ")
        ),
        fix: "Remove the small curves from the server's groups (see groups).".to_owned(),
    }
}

fn dh_size(c: &mut Context<'_>) -> Outcome {
    let Some(min) = c.profile.dh_min_bits else {
        // The profile uses no finite-field DH: any DHE suite or ffdhe group is already a
        // suite or group deviation.
        return Outcome::Met;
    };
    if !c.obs.suites_enumerated() {
        return Outcome::NotChecked("the suites were not enumerated".to_owned());
    }
    let dhe = c
        .obs
        .accepted_suites()
        .any(|(_, s)| s.key_exchange == "DHE");
    let ffdhe = offered_groups(c.obs)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(_, name, info)| {
            info.filter(|g| g.kind == GroupKind::FiniteField)
                .map(|g| (name, g.size_bits))
        })
        .min_by_key(|(_, bits)| *bits);
    let mut smallest: Vec<(String, u16)> = Vec::new();
    if dhe {
        match c.obs.key_exchange.dh_min_bits {
            Some(bits) => smallest.push((format!("a {bits}-bit DH group with DHE suites"), bits)),
            None => {
                return Outcome::NotChecked(
                    "the server accepts DHE suites, but the size of its DH group was not seen"
                        .to_owned(),
                );
            }
        }
    }
    if let Some((name, bits)) = ffdhe {
        smallest.push((format!("{name} in TLS 1.3"), bits));
    }
    let below: Vec<String> = smallest
        .into_iter()
        .filter(|(_, bits)| *bits < min)
        .map(|(what, _)| what)
        .collect();
    if below.is_empty() {
        return Outcome::Met;
    }
    Outcome::Deviates {
        detail: format!(
            "uses {}; the profile asks for at least {min} bits",
            below.join(" and ")
        ),
        fix: format!(
            "Use the RFC 7919 ffdhe{min} group or larger (nginx: ssl_dhparam with the \
             ffdhe{min} parameters), or drop the DHE suites."
        ),
    }
}

/// The leaf, or why the certificate requirements could not be checked.
fn leaf<'a>(c: &Context<'a>) -> Result<&'a crate::pki::certificate::CertificateInfo, Outcome> {
    c.obs.leaf().ok_or_else(|| {
        Outcome::NotChecked(c.error(&["certificate", "verified-handshake"]).map_or_else(
            || "no certificate was received".to_owned(),
            |e| format!("no certificate was received ({e})"),
        ))
    })
}

fn key_label(key: &shared::PublicKeyInfo) -> String {
    match (leaf_type(&key.algorithm), &key.curve) {
        (Some(CertificateType::Ecdsa), Some(curve)) => format!("an ECDSA {curve} key"),
        (Some(CertificateType::Rsa), _) => format!("an RSA {}-bit key", key.bits),
        _ => format!("a {} key", key.algorithm),
    }
}

fn certificate_type(c: &mut Context<'_>) -> Outcome {
    let leaf = match leaf(c) {
        Ok(leaf) => leaf,
        Err(outcome) => return outcome,
    };
    let allowed = &c.profile.certificate_types;
    let kind = leaf_type(&leaf.summary.key.algorithm);
    if kind.is_some_and(|k| allowed.contains(&k)) {
        return Outcome::Met;
    }
    let names: Vec<&str> = allowed.iter().map(|t| t.as_str()).collect();
    let fix = if allowed.contains(&CertificateType::Rsa) {
        "Use an ECDSA (P-256 or P-384) or RSA (2048 bits or more) certificate."
    } else {
        "Use an ECDSA certificate on P-256 or P-384."
    };
    Outcome::Deviates {
        detail: format!(
            "the certificate has {}; the profile allows {} certificates",
            key_label(&leaf.summary.key),
            names.join(", ")
        ),
        fix: fix.to_owned(),
    }
}

fn certificate_curve(c: &mut Context<'_>) -> Outcome {
    let leaf = match leaf(c) {
        Ok(leaf) => leaf,
        Err(outcome) => return outcome,
    };
    let key = &leaf.summary.key;
    if leaf_type(&key.algorithm) != Some(CertificateType::Ecdsa) {
        return Outcome::Met;
    }
    let allowed = &c.profile.certificate_curves;
    if key
        .curve
        .as_ref()
        .is_some_and(|curve| allowed.contains(curve))
    {
        return Outcome::Met;
    }
    Outcome::Deviates {
        detail: format!(
            "the certificate's key is on {}; the profile allows {}",
            key.curve.as_deref().unwrap_or("an unnamed curve"),
            allowed.join(", ")
        ),
        fix: "Use a certificate key on P-256 (secp256r1) or P-384 (secp384r1).".to_owned(),
    }
}

fn certificate_signature(c: &mut Context<'_>) -> Outcome {
    let leaf = match leaf(c) {
        Ok(leaf) => leaf,
        Err(outcome) => return outcome,
    };
    let allowed = &c.profile.certificate_signatures;
    let algorithm = &leaf.summary.signature_algorithm;
    if allowed.contains(algorithm) {
        return Outcome::Met;
    }
    Outcome::Deviates {
        detail: format!(
            "the certificate is signed with {algorithm}; the profile allows {}",
            allowed.join(", ")
        ),
        fix: format!(
            "Have the certificate issued with {} (by a CA key of that type).",
            allowed.join(" or ")
        ),
    }
}

fn rsa_key_size(c: &mut Context<'_>) -> Outcome {
    let leaf = match leaf(c) {
        Ok(leaf) => leaf,
        Err(outcome) => return outcome,
    };
    let key = &leaf.summary.key;
    match (leaf_type(&key.algorithm), c.profile.rsa_min_bits) {
        (Some(CertificateType::Rsa), Some(min)) if key.bits < min => Outcome::Deviates {
            detail: format!(
                "the certificate has an RSA {}-bit key; the profile asks for at least {min} bits",
                key.bits
            ),
            fix: format!("Use an RSA key of at least {min} bits, or an ECDSA P-256 key."),
        },
        // No RSA at all (modern): the certificate type already says so.
        _ => Outcome::Met,
    }
}

fn certificate_lifespan(c: &mut Context<'_>) -> Outcome {
    let leaf = match leaf(c) {
        Ok(leaf) => leaf,
        Err(outcome) => return outcome,
    };
    let days = (leaf.not_after - leaf.not_before).whole_days();
    let (max, recommended) = (
        c.profile.certificate_max_days,
        c.profile.certificate_recommended_days,
    );
    let span = format!(
        "{} to {}",
        leaf.summary
            .not_before
            .get(..10)
            .unwrap_or(&leaf.summary.not_before),
        leaf.summary
            .not_after
            .get(..10)
            .unwrap_or(&leaf.summary.not_after)
    );
    if days > max {
        return Outcome::Deviates {
            detail: format!(
                "the certificate is valid for {days} days ({span}); the profile allows at most \
                 {max}"
            ),
            fix: format!(
                "Get certificates valid for at most {max} days ({recommended} recommended, \
                 renewed automatically, e.g. with ACME)."
            ),
        };
    }
    if days > recommended {
        c.note(
            "certificate-lifespan",
            format!(
                "The certificate is valid for {days} days ({span}); the profile recommends \
                 {recommended}, renewed automatically."
            ),
        );
    }
    Outcome::Met
}

fn ocsp_stapling(c: &mut Context<'_>) -> Outcome {
    if !c.profile.ocsp_staple {
        return Outcome::Met;
    }
    match c.obs.features.ocsp_stapling {
        Some(true) => Outcome::Met,
        None => Outcome::NotChecked("whether the server staples was not seen".to_owned()),
        Some(false) => {
            let urls = c
                .obs
                .leaf()
                .map(|l| l.summary.ocsp_urls.clone())
                .unwrap_or_default();
            if urls.is_empty() {
                c.note(
                    "ocsp-stapling",
                    "Not applicable: the certificate names no OCSP responder, so there is \
                     nothing to staple."
                        .to_owned(),
                );
                return Outcome::Met;
            }
            Outcome::Deviates {
                detail: format!(
                    "the server staples no OCSP response, though the certificate names a \
                     responder ({}); the profile asks for stapling",
                    urls.join(", ")
                ),
                fix: "Enable OCSP stapling (nginx: ssl_stapling on; ssl_stapling_verify on;)."
                    .to_owned(),
            }
        }
    }
}

fn hsts_max_age(c: &mut Context<'_>) -> Outcome {
    let min = c.profile.hsts_min_age;
    let fix = format!(
        "Send Strict-Transport-Security with max-age={min} or more (nginx: add_header \
         Strict-Transport-Security \"max-age={min}\" always;)."
    );
    let http = match &c.obs.http {
        Some(http) if http.https_status.is_some() => http,
        _ => {
            return Outcome::NotChecked(c.error(&["http"]).map_or_else(
                || "the HTTPS request did not complete".to_owned(),
                |e| format!("the HTTPS request did not complete ({e})"),
            ));
        }
    };
    let detail = match &http.hsts {
        None => "the server sends no Strict-Transport-Security header".to_owned(),
        Some(hsts) => match hsts.max_age {
            None => format!(
                "the Strict-Transport-Security header \"{}\" has no valid max-age",
                hsts.raw
            ),
            Some(age) if age < min => format!(
                "HSTS max-age is {age} s ({} days); the profile asks for at least {min} s ({} \
                 days)",
                age / 86_400,
                min / 86_400
            ),
            Some(_) => return Outcome::Met,
        },
    };
    Outcome::Deviates { detail, fix }
}

/// The profile's word on who picks the suite. Not a requirement the issue of compliance
/// turns on: every suite a profile allows is strong, so either order is safe.
fn server_order_note(c: &mut Context<'_>) {
    let enforced = c
        .obs
        .protocols
        .iter()
        .filter(|p| p.version != ProtocolVersion::Tls13)
        .find_map(|p| p.server_preference);
    match (enforced, c.profile.server_preferred_order) {
        (Some(true), false) => c.note(
            "server-preferred-order",
            "The server enforces its own suite order; the profile leaves the choice to the \
             client (nginx: ssl_prefer_server_ciphers off;), since every suite it allows is \
             strong and clients know which they run fastest."
                .to_owned(),
        ),
        (Some(false), true) => c.note(
            "server-preferred-order",
            "The client picks the suite; the profile has the server enforce its order \
             (nginx: ssl_prefer_server_ciphers on;)."
                .to_owned(),
        ),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
