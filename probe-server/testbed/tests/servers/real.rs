//! The Debian servers do what their builders ask, checked by real clients (openssl s_client,
//! gnutls-cli, and HTTP over s_client).

use testbed::{
    DhGroup, GnutlsServer, LeafKey, LeafSpec, NginxServer, OpensslServer, ProtocolVersion, TestPki,
    TestbedError,
};

use crate::support::{gnutls_cli, http_get, https_get, namespace_exists, s_client};

fn rsa_leaf(pki: &TestPki) -> testbed::Leaf {
    pki.leaf(&LeafSpec {
        key: LeafKey::Rsa2048,
        ..LeafSpec::valid("good.test")
    })
}

#[test]
fn openssl_serves_only_tls13_with_the_groups_asked_for() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("good.test"));
    let server = OpensslServer::builder(&leaf)
        .versions(&[ProtocolVersion::Tls13])
        .groups("P-384")
        .ciphersuites("TLS_AES_256_GCM_SHA384")
        .start()
        .expect("start");
    let out = s_client(server.addr(), &["-brief", "-tls1_3"]);
    assert!(out.contains("Protocol version: TLSv1.3"), "{out}");
    assert!(out.contains("Ciphersuite: TLS_AES_256_GCM_SHA384"), "{out}");
    assert!(out.contains("Server Temp Key: ECDH, secp384r1"), "{out}");
    let out = s_client(server.addr(), &["-brief", "-tls1_2"]);
    assert!(!out.contains("CONNECTION ESTABLISHED"), "{out}");
}

#[test]
fn openssl_serves_tls10_dhe_with_the_group_asked_for() {
    let pki = TestPki::new();
    let leaf = rsa_leaf(&pki);
    let server = OpensslServer::builder(&leaf)
        .versions(&[
            ProtocolVersion::Tls10,
            ProtocolVersion::Tls11,
            ProtocolVersion::Tls12,
        ])
        .cipher("DHE-RSA-AES128-SHA")
        .dhparam(DhGroup::Oakley1024)
        .start()
        .expect("start");
    assert!(server.command_line().contains("@SECLEVEL=0"));
    let out = s_client(
        server.addr(),
        &[
            "-brief",
            "-tls1",
            "-cipher",
            "DHE-RSA-AES128-SHA:@SECLEVEL=0",
        ],
    );
    assert!(out.contains("Protocol version: TLSv1\n"), "{out}");
    assert!(out.contains("Ciphersuite: DHE-RSA-AES128-SHA"), "{out}");
    assert!(out.contains("Server Temp Key: DH, 1024 bits"), "{out}");
}

#[test]
fn openssl_server_preference_decides_the_suite() {
    let pki = TestPki::new();
    let leaf = rsa_leaf(&pki);
    let client = ["-brief", "-tls1_2", "-cipher", "AES128-SHA:AES256-SHA"];
    for (preference, expected) in [(true, "AES256-SHA"), (false, "AES128-SHA")] {
        let server = OpensslServer::builder(&leaf)
            .versions(&[ProtocolVersion::Tls12])
            .cipher("AES256-SHA:AES128-SHA")
            .server_preference(preference)
            .start()
            .expect("start");
        let out = s_client(server.addr(), &client);
        assert!(out.contains(&format!("Ciphersuite: {expected}\n")), "{out}");
    }
}

#[test]
fn openssl_staples_the_ocsp_response_it_is_given() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("good.test"));
    let server = OpensslServer::builder(&leaf)
        .ocsp_staple(pki.ocsp_response(&leaf, true))
        .start()
        .expect("start");
    let out = s_client(server.addr(), &["-status", "-tls1_2"]);
    assert!(out.contains("OCSP Response Status: successful"), "{out}");
    assert!(out.contains("Cert Status: revoked"), "{out}");
}

#[test]
fn openssl_sends_the_intermediate_and_answers_http() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("good.test"));
    let server = OpensslServer::builder(&leaf).start().expect("start");
    let out = s_client(
        server.addr(),
        &[
            "-showcerts",
            "-CAfile",
            pki.root_pem().to_str().expect("utf-8"),
        ],
    );
    assert!(
        out.contains("1 s:O = Probe Test PKI, CN = Probe Test Intermediate"),
        "{out}"
    );
    assert!(out.contains("Verify return code: 0 (ok)"), "{out}");
    let page = https_get(server.addr(), "/");
    assert!(page.contains("s_server"), "{page}");
}

#[test]
fn openssl_echo_mode_serves_connection_after_connection() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("good.test"));
    let server = OpensslServer::builder(&leaf)
        .www(false)
        .start()
        .expect("start");
    assert!(!server.command_line().contains("-www"));
    for _ in 0..2 {
        let out = s_client(server.addr(), &["-brief"]);
        assert!(out.contains("CONNECTION ESTABLISHED"), "{out}");
    }
}

#[test]
fn openssl_start_failure_says_what_the_server_printed() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("good.test"));
    let error = OpensslServer::builder(&leaf)
        .arg("-no-such-option")
        .start()
        .expect_err("a bad option must fail the start");
    let text = error.to_string();
    assert!(matches!(error, TestbedError::Exited { .. }), "{text}");
    assert!(text.contains("no-such-option"), "{text}");
}

#[test]
fn openssl_refuses_versions_it_cannot_serve() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("good.test"));
    let error = OpensslServer::builder(&leaf)
        .versions(&[ProtocolVersion::Ssl3])
        .start()
        .expect_err("OpenSSL 3 has no SSL 3.0");
    assert!(matches!(error, TestbedError::Config(_)), "{error}");
}

#[test]
fn gnutls_serves_rc4_and_3des_from_its_own_namespace() {
    let pki = TestPki::new();
    let leaf = rsa_leaf(&pki);
    let server = GnutlsServer::builder(&leaf)
        .priority(GnutlsServer::LEGACY_PRIORITY)
        .start()
        .expect("start");
    assert!(server.addr().ip().to_string().starts_with("10.213."));
    assert_eq!(server.port(), 443);
    assert!(namespace_exists(server.namespace()));

    for (cipher, expected) in [("ARCFOUR-128", "ARCFOUR-128"), ("3DES-CBC", "3DES-CBC")] {
        let priority = format!(
            "--priority=NORMAL:-CIPHER-ALL:+{cipher}:-KX-ALL:+RSA:+SHA1:-VERS-ALL:+VERS-TLS1.2"
        );
        let out = gnutls_cli(server.addr(), &[&priority]);
        assert!(out.contains(&format!("(RSA)-({expected})-(SHA1)")), "{out}");
    }

    let namespace = server.namespace().to_owned();
    let pid = server.pid();
    drop(server);
    assert!(!crate::support::process_alive(pid));
    assert!(!namespace_exists(&namespace));
}

#[test]
fn gnutls_serves_only_the_versions_asked_for() {
    let pki = TestPki::new();
    let leaf = rsa_leaf(&pki);
    let server = GnutlsServer::builder(&leaf)
        .priority("NORMAL")
        .versions(&[ProtocolVersion::Tls10])
        .dhparams(DhGroup::Ffdhe2048)
        .start()
        .expect("start");
    let out = s_client(
        server.addr(),
        &["-brief", "-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"],
    );
    assert!(out.contains("Protocol version: TLSv1\n"), "{out}");
    let out = s_client(server.addr(), &["-brief", "-tls1_2"]);
    assert!(!out.contains("CONNECTION ESTABLISHED"), "{out}");
}

#[test]
fn parallel_gnutls_servers_get_namespaces_of_their_own() {
    let pki = TestPki::new();
    let leaf = rsa_leaf(&pki);
    let servers: Vec<GnutlsServer> = (0..3)
        .map(|_| GnutlsServer::builder(&leaf).start().expect("start"))
        .collect();
    let mut addrs: Vec<_> = servers.iter().map(GnutlsServer::addr).collect();
    addrs.dedup();
    assert_eq!(addrs.len(), 3);
    for server in &servers {
        let out = s_client(server.addr(), &["-brief"]);
        assert!(out.contains("CONNECTION ESTABLISHED"), "{out}");
    }
}

#[test]
fn nginx_serves_hsts_tls13_and_redirects_http() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("good.test"));
    let server = NginxServer::builder(&leaf)
        .hsts("max-age=31536000; includeSubDomains")
        .start()
        .expect("start");
    let page = https_get(server.addr(), "/");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(
        page.contains("Strict-Transport-Security: max-age=31536000; includeSubDomains"),
        "{page}"
    );
    let http = server.http_addr().expect("HTTP listener");
    let redirect = http_get(http, "/path?q=1");
    assert!(redirect.starts_with("HTTP/1.1 301"), "{redirect}");
    assert!(
        redirect.contains(&format!("Location: https://{}/path?q=1", server.addr())),
        "{redirect}"
    );
    let out = s_client(server.addr(), &["-brief", "-tls1_3"]);
    assert!(out.contains("Protocol version: TLSv1.3"), "{out}");
}

#[test]
fn nginx_serves_legacy_tls_with_server_order_dhparam_and_stapling() {
    let pki = TestPki::new();
    let leaf = rsa_leaf(&pki);
    let server = NginxServer::builder(&leaf)
        .versions(&[ProtocolVersion::Tls10, ProtocolVersion::Tls12])
        .ciphers("DHE-RSA-AES128-SHA:AES128-SHA")
        .prefer_server_ciphers(true)
        .dhparam(DhGroup::Oakley1024)
        .ocsp_staple(pki.ocsp_response(&leaf, false))
        .http_redirect(false)
        .start()
        .expect("start");
    assert!(server.config().contains("@SECLEVEL=0"));
    assert_eq!(server.http_addr(), None);
    let out = s_client(
        server.addr(),
        &[
            "-tls1",
            "-status",
            "-cipher",
            "AES128-SHA:DHE-RSA-AES128-SHA:@SECLEVEL=0",
        ],
    );
    assert!(out.contains("Protocol  : TLSv1\n"), "{out}");
    assert!(out.contains("Cipher    : DHE-RSA-AES128-SHA"), "{out}");
    assert!(out.contains("Server Temp Key: DH, 1024 bits"), "{out}");
    assert!(out.contains("Cert Status: good"), "{out}");
    let out = s_client(server.addr(), &["-brief", "-tls1_1"]);
    assert!(!out.contains("CONNECTION ESTABLISHED"), "{out}");
}

#[test]
fn nginx_passes_ssl_conf_commands() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("good.test"));
    let server = NginxServer::builder(&leaf)
        .versions(&[ProtocolVersion::Tls13])
        .conf_command("Ciphersuites", "TLS_CHACHA20_POLY1305_SHA256")
        .start()
        .expect("start");
    let out = s_client(server.addr(), &["-brief"]);
    assert!(
        out.contains("Ciphersuite: TLS_CHACHA20_POLY1305_SHA256"),
        "{out}"
    );
}
