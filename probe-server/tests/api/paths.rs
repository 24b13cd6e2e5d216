//! The token cannot be bypassed by spelling a path another way: every route the app registers
//! (`probe_server::server::ROUTES`, the list `configure` registers), asked for in many
//! spellings without the token, answers 401 or 400 — never what the route serves.
//!
//! Requests are written by hand on a TCP socket: an HTTP client library would normalise
//! dot segments and backslashes before sending, and the attack is precisely what it would
//! take out.

use std::net::SocketAddr;
use std::time::Duration;

use probe_server::server::ROUTES;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use testbed::TestPki;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{AppSpec, TestApp, spawn_app};

const TOKEN: &str = "correct-horse-battery-staple";
/// With the token, an API route would answer 403 for this target (refused by policy):
/// a bypass shows as a status other than 400 or 401.
const QUERY: &str = "?host=10.0.0.1";

/// The status of `GET target` sent verbatim (no Authorization), within 5 s.
pub(crate) async fn raw_status(address: SocketAddr, target: &str, headers: &str) -> u16 {
    let request =
        format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n");
    let read = async {
        let mut socket = TcpStream::connect(address).await.unwrap();
        socket.write_all(request.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        let mut buffer = [0u8; 512];
        // The status line is all that is needed; at most 64 reads.
        for _ in 0..64 {
            let n = socket.read(&mut buffer).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buffer[..n]);
            if head.windows(2).any(|w| w == b"\r\n") {
                break;
            }
        }
        head
    };
    let head = tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .expect("an answer within 5 s");
    let line = String::from_utf8_lossy(&head);
    line.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("{target}: no status line in {line:?}"))
}

/// `%XX` for `byte`, in upper or lower case hex.
fn escape(byte: u8, upper: bool) -> String {
    if upper {
        format!("%{byte:02X}")
    } else {
        format!("%{byte:02x}")
    }
}

/// Other spellings of `path` that a lenient router, proxy or decoder could take for it.
fn spellings(path: &str) -> Vec<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        let (before, after) = (&path[..i], &path[i + 1..]);
        for upper in [true, false] {
            out.push(format!("{before}{}{after}", escape(b, upper)));
        }
        if b == b'/' {
            out.push(format!("{before}//{after}"));
            out.push(format!("{before}/./{after}"));
            out.push(format!("{before}/x/../{after}"));
            out.push(format!("{before}/%2e/{after}"));
            out.push(format!("{before}/%2E%2E/{after}"));
            out.push(format!("{before}\\{after}"));
            out.push(format!("{before}/;x/{after}"));
        } else if b.is_ascii_lowercase() {
            out.push(format!(
                "{before}{}{after}",
                char::from(b.to_ascii_uppercase())
            ));
        }
    }
    // Every byte escaped; the separators escaped; the whole path in capitals.
    out.push(bytes.iter().map(|&b| escape(b, true)).collect());
    out.push(path.replace('/', "%2F"));
    out.push(format!("/{}", path[1..].replace('/', "%2f")));
    out.push(path.to_ascii_uppercase());
    for suffix in ["/", "/.", "/..", ";x", ";", "%2F", "%00", "/%20", "%3Bx"] {
        out.push(format!("{path}{suffix}"));
    }
    out.push(format!("/{path}"));
    out.push(format!("/.{path}"));
    out.retain(|spelling| spelling != path);
    out
}

async fn app_with_token(pki: &TestPki) -> TestApp {
    let mut spec = AppSpec::new(pki).public_only();
    spec.access.token = Some(TOKEN.into());
    spawn_app(spec).await
}

#[tokio::test(flavor = "multi_thread")]
async fn no_spelling_of_a_route_gets_past_the_token() {
    let pki = TestPki::new();
    let app = app_with_token(&pki).await;
    let mut asked = 0;
    for route in ROUTES {
        // A route with a parameter is asked for with one (`/api/v1/watches/{id}` as `…/1`).
        let path = route.path.replace("{id}", "1");
        // The canonical path itself: open if public, else 401.
        let canonical = raw_status(app.address, &format!("{path}{QUERY}"), "").await;
        let expected = if route.public { 200 } else { 401 };
        // /healthz and /readyz take no query; their answer is still theirs.
        assert_eq!(canonical, expected, "{}", path.as_str());
        for spelling in spellings(&path) {
            for target in [spelling.clone(), format!("{spelling}{QUERY}")] {
                let status = raw_status(app.address, &target, "").await;
                asked += 1;
                assert!(
                    status == 400 || status == 401,
                    "{target} (for {}) answered {status}",
                    path.as_str()
                );
            }
        }
    }
    assert!(asked > 300, "{asked}");
    // The attacks the issue names, with the token's refusal counted in the metrics.
    for target in ["/%61pi/v1/probe?host=10.0.0.1", "/%6Detrics"] {
        assert_eq!(raw_status(app.address, target, "").await, 400, "{target}");
    }
    let authorization = format!("Authorization: Bearer {TOKEN}\r\n");
    assert_eq!(
        raw_status(app.address, "/metrics", &authorization).await,
        200
    );
    // A wrong spelling stays refused with the token too: it is not a route.
    assert_eq!(
        raw_status(app.address, "/%6Detrics", &authorization).await,
        400
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn non_canonical_paths_are_400_json_without_a_token_too() {
    let pki = TestPki::new();
    let app = spawn_app(AppSpec::new(&pki).public_only()).await;
    for path in ["/api/v1/probe/?host=10.0.0.1", "/%6Detrics", "/healthz/"] {
        let (status, error) = crate::helpers::error_of(app.get(path).await).await;
        assert_eq!(
            (status, error.error),
            (400, shared::ErrorCode::BadRequest),
            "{path}"
        );
    }
}

/// One way to spell one byte of a path.
#[derive(Debug, Clone, Copy)]
enum Spelling {
    Keep,
    EscapeUpper,
    EscapeLower,
    Capital,
    /// For `/`: `//`, `/./`, `/x/../`, `\`.
    Double,
    Dot,
    DotDot,
    Backslash,
}

fn spelling() -> impl Strategy<Value = Spelling> {
    prop_oneof![
        4 => Just(Spelling::Keep),
        1 => Just(Spelling::EscapeUpper),
        1 => Just(Spelling::EscapeLower),
        1 => Just(Spelling::Capital),
        1 => Just(Spelling::Double),
        1 => Just(Spelling::Dot),
        1 => Just(Spelling::DotDot),
        1 => Just(Spelling::Backslash),
    ]
}

fn spell(path: &str, choices: &[Spelling], suffix: &str) -> String {
    let mut out = String::new();
    for (&b, choice) in path.as_bytes().iter().zip(choices) {
        let c = char::from(b);
        match (choice, b) {
            (Spelling::EscapeUpper, _) => out.push_str(&escape(b, true)),
            (Spelling::EscapeLower, _) => out.push_str(&escape(b, false)),
            (Spelling::Capital, _) => out.push(c.to_ascii_uppercase()),
            (Spelling::Double, b'/') => out.push_str("//"),
            (Spelling::Dot, b'/') => out.push_str("/./"),
            (Spelling::DotDot, b'/') => out.push_str("/x/../"),
            (Spelling::Backslash, b'/') => out.push('\\'),
            _ => out.push(c),
        }
    }
    out.push_str(suffix);
    out
}

#[test]
fn random_spellings_of_protected_paths_never_get_past_the_token() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let pki = TestPki::new();
    let app = runtime.block_on(app_with_token(&pki));
    let protected: Vec<String> = ROUTES
        .iter()
        .filter(|r| !r.public)
        .map(|r| r.path.replace("{id}", "1"))
        .collect();
    let longest = protected.iter().map(|p| p.len()).max().unwrap();
    let strategy = (
        0..protected.len(),
        proptest::collection::vec(spelling(), longest),
        prop_oneof![
            Just(""),
            Just("/"),
            Just(";x"),
            Just("/."),
            Just("%2F"),
            Just(QUERY)
        ],
    );
    let mut runner = TestRunner::new(Config {
        cases: 300,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |(which, choices, suffix)| {
            let target = spell(&protected[which], &choices, suffix);
            let status = runtime.block_on(raw_status(app.address, &target, ""));
            prop_assert!(
                status == 400 || status == 401,
                "{} answered {}",
                target,
                status
            );
            Ok(())
        })
        .unwrap();
    runtime.block_on(app.stop());
}
