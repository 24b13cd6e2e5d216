//! The DH groups are the RFCs' (checked against OpenSSL's own copies where it has them) and
//! their PEM files are what OpenSSL reads.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use testbed::DhGroup;

fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn rfc7919_groups_match_openssls_named_groups() {
    for (group, name) in [
        (DhGroup::Ffdhe2048, "ffdhe2048"),
        (DhGroup::Ffdhe3072, "ffdhe3072"),
    ] {
        let theirs = openssl(&[
            "genpkey",
            "-genparam",
            "-algorithm",
            "DH",
            "-pkeyopt",
            &format!("group:{name}"),
        ]);
        assert_eq!(group.pem(), theirs, "{name}");
    }
}

#[test]
fn the_export_group_is_the_skip_prime_openssl_shipped_as_dh512_pem() {
    let pem = DhGroup::Export512.pem();
    assert!(
        pem.contains("MEYCQQD1Kv884bEpQBgRjXyEpwpy1obEAxnIByl6ypUM2Zafq9AKUJsCRtMIPWak\nXUGfnHy9iUsiGSa6q6Jew1XpKgVfAgEC\n"),
        "{pem}"
    );
}

#[test]
fn every_group_is_read_and_checked_by_openssl_at_its_size() {
    for (group, bits) in [
        (DhGroup::Export512, 512),
        (DhGroup::Oakley768, 768),
        (DhGroup::Oakley1024, 1024),
        (DhGroup::Ffdhe2048, 2048),
        (DhGroup::Ffdhe3072, 3072),
    ] {
        assert_eq!(group.bits(), bits);
        let path = group.pem_file().unwrap();
        let path = path.to_str().unwrap();
        let text = openssl(&["dhparam", "-in", path, "-noout", "-text"]);
        assert!(text.contains(&format!("({bits} bit)")), "{group:?}: {text}");
        let check = openssl(&["dhparam", "-in", path, "-noout", "-check"]);
        assert!(check.contains("appear to be ok"), "{group:?}: {check}");
    }
}

#[test]
fn oakley_groups_have_the_rfc2409_shape() {
    // p = 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) pi) + c): the top and bottom 64 bits
    // are ones (RFC 2409 §6.1, §6.2).
    for group in [DhGroup::Oakley768, DhGroup::Oakley1024] {
        let bytes = group.params().p.to_bytes_be();
        assert!(bytes[..8].iter().all(|b| *b == 0xff), "{group:?}");
        assert!(
            bytes[bytes.len() - 8..].iter().all(|b| *b == 0xff),
            "{group:?}"
        );
        assert_eq!(&bytes[8..12], &[0xc9, 0x0f, 0xda, 0xa2], "pi's first bits");
        assert_eq!(group.params().g, 2u8.into());
    }
}
