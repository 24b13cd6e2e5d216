//! What each tool found, in one comparable shape: the protocols it saw supported and how many
//! suites it accepted for each. Printed next to the timings so that a fast run can be seen to
//! have done the work (and so the tools check one another).

use std::collections::BTreeMap;
use std::fmt;

use shared::{Report, VulnerabilityStatus};

use super::tools::{Tool, strip_ansi};

/// Protocol name → suites accepted (None: supported, count not reported by the tool).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) protocols: BTreeMap<Version, Option<usize>>,
    /// Extra words: grade, vulnerabilities found.
    pub(crate) notes: Vec<String>,
}

/// Protocol versions, oldest first (so the map prints in order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Version {
    Ssl2,
    Ssl3,
    Tls10,
    Tls11,
    Tls12,
    Tls13,
}

impl Version {
    fn label(self) -> &'static str {
        match self {
            Self::Ssl2 => "SSLv2",
            Self::Ssl3 => "SSLv3",
            Self::Tls10 => "TLS1.0",
            Self::Tls11 => "TLS1.1",
            Self::Tls12 => "TLS1.2",
            Self::Tls13 => "TLS1.3",
        }
    }

    /// From the many spellings tools use: "TLSv1.2", "TLS1_2", "tls_1_2", "TLSv1", "SSLv3".
    fn parse(word: &str) -> Option<Self> {
        let w: String = word
            .to_ascii_lowercase()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        Some(match w.as_str() {
            "sslv2" | "ssl2" | "ssl20" => Self::Ssl2,
            "sslv3" | "ssl3" | "ssl30" => Self::Ssl3,
            "tlsv1" | "tls1" | "tlsv10" | "tls10" => Self::Tls10,
            "tlsv11" | "tls11" => Self::Tls11,
            "tlsv12" | "tls12" => Self::Tls12,
            "tlsv13" | "tls13" => Self::Tls13,
            _ => return None,
        })
    }
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = self
            .protocols
            .iter()
            .map(|(v, n)| match n {
                Some(n) => format!("{} {n}", v.label()),
                None => v.label().to_owned(),
            })
            .collect();
        if parts.is_empty() {
            parts.push("no protocol".into());
        }
        write!(f, "{}", parts.join(", "))?;
        if !self.notes.is_empty() {
            write!(f, "; {}", self.notes.join("; "))?;
        }
        Ok(())
    }
}

/// Reads a tool's output (stdout and its JSON file). None when there is nothing to read.
pub(crate) fn read(tool: Tool, stdout: &str, json: Option<&str>) -> Option<Found> {
    match tool {
        Tool::Probe => probe(stdout),
        Tool::Sslyze => sslyze(json?),
        Tool::Nmap => Some(nmap(stdout)),
        Tool::Sslscan => Some(sslscan(stdout)),
        Tool::Testssl => testssl(json?),
    }
}

/// Our report.
pub(crate) fn probe_report(stdout: &str) -> Option<Report> {
    serde_json::from_str(stdout).ok()
}

/// Our finding ids about weak suites, shown next to the numbers.
const WEAK_CRYPTO: &[&str] = &[
    "cipher-null",
    "cipher-anon",
    "cipher-export",
    "cipher-rc4",
    "cipher-3des",
    "cipher-des",
    "cipher-cbc",
    "rsa-key-exchange",
    "no-forward-secrecy",
    "weak-dh",
];

fn probe(stdout: &str) -> Option<Found> {
    let report = probe_report(stdout)?;
    let mut found = Found::default();
    for p in report
        .protocols
        .iter()
        .filter(|p| p.supported == Some(true))
    {
        if let Some(v) = Version::parse(p.version.as_str()) {
            found.protocols.insert(v, Some(p.cipher_suites.len()));
        }
    }
    found.notes.push(format!("grade {}", report.grade.as_str()));
    let vulnerable: Vec<&str> = report
        .vulnerabilities
        .iter()
        .filter(|v| v.status == VulnerabilityStatus::Vulnerable)
        .map(|v| v.id.as_str())
        .collect();
    if !vulnerable.is_empty() {
        found
            .notes
            .push(format!("vulnerable: {}", vulnerable.join(" ")));
    }
    let weak: Vec<&str> = report
        .findings
        .iter()
        .map(|f| f.id.as_str())
        .filter(|id| WEAK_CRYPTO.contains(id))
        .collect();
    if !weak.is_empty() {
        found.notes.push(weak.join(" "));
    }
    if report.errors.iter().any(|e| e.check == "concurrency") {
        found.notes.push("went one connection at a time".into());
    }
    Some(found)
}

/// Replaces integers too long for serde_json (sslyze writes RSA moduli as JSON numbers) by 0,
/// outside strings.
fn tame_big_numbers(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() > 18 {
            out.push('0');
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in json.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        flush(&mut digits, &mut out);
        if c == '"' {
            in_string = true;
        }
        out.push(c);
    }
    flush(&mut digits, &mut out);
    out
}

fn sslyze(json: &str) -> Option<Found> {
    let value: serde_json::Value = serde_json::from_str(&tame_big_numbers(json)).ok()?;
    let result = value
        .get("server_scan_results")?
        .get(0)?
        .get("scan_result")?;
    let mut found = Found::default();
    for (key, version) in [
        ("ssl_2_0_cipher_suites", Version::Ssl2),
        ("ssl_3_0_cipher_suites", Version::Ssl3),
        ("tls_1_0_cipher_suites", Version::Tls10),
        ("tls_1_1_cipher_suites", Version::Tls11),
        ("tls_1_2_cipher_suites", Version::Tls12),
        ("tls_1_3_cipher_suites", Version::Tls13),
    ] {
        let accepted = result
            .get(key)
            .and_then(|k| k.get("result"))
            .and_then(|r| r.get("accepted_cipher_suites"))
            .and_then(serde_json::Value::as_array)
            .map_or(0, Vec::len);
        if accepted > 0 {
            found.protocols.insert(version, Some(accepted));
        }
    }
    let flag = |plugin: &str, field: &str| {
        result
            .get(plugin)
            .and_then(|p| p.get("result"))
            .and_then(|r| r.get(field))
            .and_then(serde_json::Value::as_bool)
    };
    let mut vulnerable = Vec::new();
    if flag("heartbleed", "is_vulnerable_to_heartbleed") == Some(true) {
        vulnerable.push("heartbleed");
    }
    if flag("openssl_ccs_injection", "is_vulnerable_to_ccs_injection") == Some(true) {
        vulnerable.push("ccs-injection");
    }
    if flag("tls_compression", "supports_compression") == Some(true) {
        vulnerable.push("compression");
    }
    if !vulnerable.is_empty() {
        found
            .notes
            .push(format!("vulnerable: {}", vulnerable.join(" ")));
    }
    Some(found)
}

fn nmap(stdout: &str) -> Found {
    let mut found = Found::default();
    let mut current = None;
    for line in stdout.lines() {
        let body = line.trim_start_matches(['|', '_']).trim();
        if let Some(word) = body.strip_suffix(':')
            && let Some(v) = Version::parse(word)
        {
            current = Some(v);
            found.protocols.insert(v, Some(0));
            continue;
        }
        if let Some(v) = current
            && (body.starts_with("TLS_") || body.starts_with("SSL_"))
            && let Some(Some(n)) = found.protocols.get_mut(&v)
        {
            *n += 1;
        }
        if body.starts_with("least strength") {
            current = None;
        }
        if body.contains("VULNERABLE") && !body.contains("NOT VULNERABLE") {
            found.notes.push(body.to_owned());
        }
    }
    found
}

fn sslscan(stdout: &str) -> Found {
    let mut found = Found::default();
    let text = strip_ansi(stdout);
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(kind), Some(version)) = (words.next(), words.next()) else {
            continue;
        };
        if !matches!(kind, "Accepted" | "Preferred") {
            continue;
        }
        if let Some(v) = Version::parse(version) {
            let n = found.protocols.entry(v).or_insert(Some(0));
            *n = Some(n.unwrap_or(0) + 1);
        }
    }
    if text.contains("vulnerable to heartbleed") && !text.contains("not vulnerable to heartbleed") {
        found.notes.push("vulnerable: heartbleed".into());
    }
    found
}

fn testssl(json: &str) -> Option<Found> {
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    let entries = value.as_array()?;
    let mut found = Found::default();
    let field = |e: &serde_json::Value, k: &str| {
        e.get(k)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut vulnerable = Vec::new();
    for entry in entries {
        let id = field(entry, "id");
        let finding = field(entry, "finding");
        let severity = field(entry, "severity");
        if let Some(v) = Version::parse(&id)
            && finding.starts_with("offered")
        {
            found.protocols.insert(v, None);
        }
        if ["HIGH", "CRITICAL"].contains(&severity.as_str())
            && matches!(
                id.as_str(),
                "heartbleed"
                    | "CCS"
                    | "ticketbleed"
                    | "ROBOT"
                    | "secure_client_renego"
                    | "CRIME_TLS"
                    | "POODLE_SSL"
                    | "SWEET32"
                    | "FREAK"
                    | "DROWN"
                    | "LOGJAM"
                    | "RC4"
            )
        {
            vulnerable.push(id);
        }
    }
    if let Some(grade) = entries
        .iter()
        .find(|e| field(e, "id") == "overall_grade")
        .map(|e| field(e, "finding"))
    {
        found.notes.push(format!("grade {grade}"));
    }
    if !vulnerable.is_empty() {
        found.notes.push(format!("high: {}", vulnerable.join(" ")));
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

    use super::*;

    #[test]
    fn counts_nmap_ciphers_per_protocol() {
        let out = "\
PORT      STATE SERVICE
4433/tcp open  unknown
| ssl-enum-ciphers:
|   TLSv1.2:
|     ciphers:
|       TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (secp256r1) - A
|       TLS_RSA_WITH_AES_128_CBC_SHA (rsa 2048) - A
|     compressors:
|       NULL
|     cipher preference: server
|   TLSv1.3:
|     ciphers:
|       TLS_AKE_WITH_AES_128_GCM_SHA256 (ecdh_x25519) - A
|     cipher preference: server
|_  least strength: A
";
        let found = nmap(out);
        assert_eq!(found.to_string(), "TLS1.2 2, TLS1.3 1");
    }

    #[test]
    fn counts_sslscan_accepted_lines() {
        let out = "\
Preferred TLSv1.2  256 bits  ECDHE-RSA-AES256-GCM-SHA384  Curve 25519 DHE 253
Accepted  TLSv1.2  128 bits  AES128-SHA
Accepted  TLSv1.0  128 bits  AES128-SHA
";
        assert_eq!(sslscan(out).to_string(), "TLS1.0 1, TLS1.2 2");
    }

    #[test]
    fn big_numbers_become_zero_outside_strings() {
        let json = r#"{"n": 123456789012345678901234567890, "s": "99999999999999999999999 \"x", "k": 65537}"#;
        let value: serde_json::Value = serde_json::from_str(&tame_big_numbers(json)).unwrap();
        assert_eq!(value["n"], 0);
        assert_eq!(value["s"], "99999999999999999999999 \"x");
        assert_eq!(value["k"], 65537);
    }

    #[test]
    fn reads_testssl_protocols() {
        let json = r#"[{"id":"TLS1","severity":"LOW","finding":"offered (deprecated)"},
            {"id":"TLS1_1","severity":"INFO","finding":"not offered"},
            {"id":"TLS1_2","severity":"OK","finding":"offered"},
            {"id":"SWEET32","severity":"LOW","finding":"VULNERABLE"}]"#;
        assert_eq!(testssl(json).unwrap().to_string(), "TLS1.0, TLS1.2");
    }
}
