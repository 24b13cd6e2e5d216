//! lighttpd on each TLS module starts, serves what its builder asks (checked by
//! `openssl s_client`), and is gone with its port once dropped.

use std::net::TcpStream;
use std::time::Duration;

use testbed::{LeafKey, LeafSpec, LighttpdServer, ProtocolVersion, TestPki, TlsModule};

use crate::support::{https_get, s_client};

#[test]
fn each_module_serves_its_configured_suite_and_dies_with_its_handle() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec {
        key: LeafKey::Rsa2048,
        ..LeafSpec::valid("good.test")
    });
    // The same suite in each module's dialect (mbedTLS names its own).
    for (module, ciphers) in [
        (TlsModule::Mbedtls, "TLS-ECDHE-RSA-WITH-AES-256-GCM-SHA384"),
        (TlsModule::Wolfssl, "ECDHE-RSA-AES256-GCM-SHA384"),
        (TlsModule::Nss, "ECDHE-RSA-AES256-GCM-SHA384"),
    ] {
        let server = LighttpdServer::builder(&leaf, module)
            .protocols(ProtocolVersion::Tls12, ProtocolVersion::Tls12)
            .cipher_string(ciphers)
            .start()
            .unwrap_or_else(|e| panic!("{module:?}: {e}"));
        assert!(server.config().contains(module.module_name()));
        let out = s_client(server.addr(), &["-brief", "-tls1_2"]);
        assert!(
            out.contains("Ciphersuite: ECDHE-RSA-AES256-GCM-SHA384"),
            "{module:?}: {out}"
        );
        let out = s_client(
            server.addr(),
            &[
                "-brief",
                "-tls1_2",
                "-cipher",
                "ECDHE-RSA-AES128-GCM-SHA256",
            ],
        );
        assert!(!out.contains("CONNECTION ESTABLISHED"), "{module:?}: {out}");
        let page = https_get(server.addr(), "/");
        assert!(
            page.starts_with("HTTP/1.0 200") || page.starts_with("HTTP/1.1 200"),
            "{module:?}: {page}"
        );
        let (pid, addr) = (server.pid(), server.addr());
        drop(server);
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "{module:?}"
        );
        assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
    }
}

#[test]
fn a_module_rejecting_its_configuration_is_reported_with_its_log() {
    let pki = TestPki::new();
    let leaf = pki.leaf(&LeafSpec::valid("good.test"));
    // mod_mbedtls takes mbedTLS's suite names only, and exits on OpenSSL's.
    let error = LighttpdServer::builder(&leaf, TlsModule::Mbedtls)
        .cipher_string("ECDHE-ECDSA-AES128-GCM-SHA256")
        .start()
        .expect_err("an unknown suite name");
    let text = error.to_string();
    assert!(text.contains("missing support for cipher list"), "{text}");
}
