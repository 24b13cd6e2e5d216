//! Diffie-Hellman groups for the DHE tests: well-known primes, all safe primes with
//! generator 2 (but one composite modulus, for the probe to reject), written from their specifications (the RFCs' formulas were evaluated to the
//! hex below; `tests/dh.rs` checks them against OpenSSL).
//!
//! Real servers take them as PEM files ([`DhGroup::pem_file`], `openssl s_server -dhparam`,
//! nginx `ssl_dhparam`, `gnutls-serv --dhparams`); the legacy responders use the numbers.

use std::path::PathBuf;
use std::sync::OnceLock;

use base64::Engine as _;
use num_bigint::BigUint;

use crate::crypto::{der, der_uint, hex_uint};
use crate::error::Result;

/// A finite-field Diffie-Hellman group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DhGroup {
    /// 512 bits, export grade (Logjam): the SKIP protocol's 512-bit safe prime ("Assigned
    /// Numbers for SKIP Protocols", skip-vpn.org), which OpenSSL shipped as `dh512.pem` and
    /// servers of the export era hard-coded: the kind of widely shared prime Logjam
    /// precomputed against.
    Export512,
    /// RFC 2409 §6.1, the First Oakley Group: 768 bits, generator 2.
    Oakley768,
    /// RFC 2409 §6.2, the Second Oakley Group: 1024 bits, generator 2 (the most common
    /// 1024-bit prime on the Internet, per the Logjam paper).
    Oakley1024,
    /// RFC 7919 Appendix A.1, ffdhe2048: 2048 bits, generator 2.
    Ffdhe2048,
    /// RFC 7919 Appendix A.2, ffdhe3072: 3072 bits, generator 2.
    Ffdhe3072,
    /// NOT a prime: 2^2047 + 1 (divisible by 3), 2048 bits, generator 2. What a broken or
    /// malicious server might send; only the legacy responders serve it (OpenSSL checks
    /// its DH parameters).
    Composite2048,
}

/// A group's numbers.
#[derive(Clone, Debug)]
pub struct DhParams {
    /// The prime modulus.
    pub p: BigUint,
    /// The generator.
    pub g: BigUint,
}

const SKIP_512: &str = concat!(
    "F52AFF3CE1B1294018118D7C84A70A72D686C40319C807297ACA950CD9969FAB",
    "D00A509B0246D3083D66A45D419F9C7CBD894B221926BAABA25EC355E92A055F",
);
const OAKLEY_768: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A63A3620FFFFFFFFFFFFFFFF",
);
const OAKLEY_1024: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
);
const FFDHE_2048: &str = concat!(
    "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695",
    "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A",
    "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935",
    "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A",
    "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4",
    "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61",
    "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005",
    "C58EF1837D1683B2C6F34A26C1B2EFFA886B423861285C97FFFFFFFFFFFFFFFF",
);
const FFDHE_3072: &str = concat!(
    "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695",
    "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A",
    "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935",
    "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A",
    "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4",
    "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61",
    "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005",
    "C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B",
    "BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C",
    "AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF",
    "5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E",
    "0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B66C62E37FFFFFFFFFFFFFFFF",
);

impl DhGroup {
    /// The size of the prime in bits.
    pub fn bits(self) -> u64 {
        self.params().p.bits()
    }

    /// The group's prime and generator.
    pub fn params(self) -> &'static DhParams {
        static EXPORT: OnceLock<DhParams> = OnceLock::new();
        static OAKLEY1: OnceLock<DhParams> = OnceLock::new();
        static OAKLEY2: OnceLock<DhParams> = OnceLock::new();
        static FF2048: OnceLock<DhParams> = OnceLock::new();
        static FF3072: OnceLock<DhParams> = OnceLock::new();
        static COMPOSITE: OnceLock<DhParams> = OnceLock::new();
        let fixed = |hex: &str| DhParams {
            p: hex_uint(hex),
            g: BigUint::from(2u8),
        };
        match self {
            Self::Export512 => EXPORT.get_or_init(|| fixed(SKIP_512)),
            Self::Oakley768 => OAKLEY1.get_or_init(|| fixed(OAKLEY_768)),
            Self::Oakley1024 => OAKLEY2.get_or_init(|| fixed(OAKLEY_1024)),
            Self::Ffdhe2048 => FF2048.get_or_init(|| fixed(FFDHE_2048)),
            Self::Ffdhe3072 => FF3072.get_or_init(|| fixed(FFDHE_3072)),
            Self::Composite2048 => COMPOSITE.get_or_init(|| DhParams {
                p: (BigUint::from(1u8) << 2047u32) + 1u8,
                g: BigUint::from(2u8),
            }),
        }
    }

    /// The PKCS #3 DHParameter (SEQUENCE { prime INTEGER, base INTEGER }) as PEM
    /// ("BEGIN DH PARAMETERS"), the form OpenSSL, nginx and GnuTLS read.
    pub fn pem(self) -> String {
        self.params().pem()
    }

    /// A PEM file with this group, for `-dhparam` / `ssl_dhparam` / `--dhparams`. Every group
    /// is a constant, so the files live in one shared directory (`$TMPDIR/testbed-dh`), are
    /// written atomically when missing or different, and never pile up.
    pub fn pem_file(self) -> Result<PathBuf> {
        let dir = std::env::temp_dir().join("testbed-dh");
        std::fs::create_dir_all(&dir)
            .map_err(|e| crate::TestbedError::io(format!("create {}", dir.display()), e))?;
        let path = dir.join(format!("{self:?}.pem").to_lowercase());
        let pem = self.pem();
        if std::fs::read_to_string(&path).ok().as_deref() != Some(pem.as_str()) {
            crate::process::write_atomically(&path, pem.as_bytes())?;
        }
        Ok(path)
    }
}

impl DhParams {
    /// Fresh DSA-style parameters from `openssl dhparam -dsaparam BITS`: p = kq + 1 for a
    /// 256-bit prime q, so p is prime but not a safe prime (what a server configured with
    /// DSA-style parameters sends; TLS never carries q).
    pub fn dsa_style(bits: u32) -> Result<Self> {
        let openssl = crate::process::find_program("openssl", "openssl")?;
        let dir =
            tempfile::tempdir().map_err(|e| crate::TestbedError::io("create a temp dir", e))?;
        let pem = dir.path().join("dsa.pem");
        let run = |args: &[&std::ffi::OsStr]| -> Result<String> {
            let out = std::process::Command::new(&openssl)
                .args(args)
                .output()
                .map_err(|e| crate::TestbedError::io("run openssl", e))?;
            if !out.status.success() {
                return Err(crate::TestbedError::Config(format!(
                    "openssl {args:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                )));
            }
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        };
        let bits = bits.to_string();
        run(&[
            "dhparam".as_ref(),
            "-dsaparam".as_ref(),
            "-out".as_ref(),
            pem.as_os_str(),
            bits.as_ref(),
        ])?;
        // X9.42 DHParameter: SEQUENCE { p, g, q, ... }.
        let text = run(&["asn1parse".as_ref(), "-in".as_ref(), pem.as_os_str()])?;
        let mut integers = text
            .lines()
            .filter_map(|l| l.split("prim: INTEGER").nth(1))
            .filter_map(|rest| rest.trim().strip_prefix(':'))
            .map(|hex| hex_uint(hex.trim()));
        match (integers.next(), integers.next()) {
            (Some(p), Some(g)) => Ok(Self { p, g }),
            _ => Err(crate::TestbedError::Config(format!(
                "no p and g in openssl's DSA-style parameters: {text}"
            ))),
        }
    }

    /// The PKCS #3 DHParameter (SEQUENCE { prime INTEGER, base INTEGER }) as PEM
    /// ("BEGIN DH PARAMETERS"), the form OpenSSL, nginx and GnuTLS read.
    pub fn pem(&self) -> String {
        let params = self;
        let mut body = der_uint(&params.p);
        body.extend(der_uint(&params.g));
        let b64 = base64::engine::general_purpose::STANDARD.encode(der(0x30, &body));
        let mut pem = String::from("-----BEGIN DH PARAMETERS-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END DH PARAMETERS-----\n");
        pem
    }
}
