//! Published finite-field Diffie-Hellman groups, recognised by the SHA-256 of their prime.
//!
//! Servers that do not generate their own DH parameters send one of these. The modern ones
//! (RFC 7919 ffdhe, RFC 3526 MODP) are fine at 2048 bits and up; the small ones shared by
//! millions of servers are what the Logjam paper (Adrian et al., 2015) showed a nation-state
//! can precompute against once and then break every key exchange that uses them.
//!
//! The hashes were computed from the primes as published: RFC 7919 and RFC 3526 / RFC 5114
//! groups as OpenSSL 3 emits them (`openssl genpkey -genparam -algorithm DH -pkeyopt
//! group:NAME`), RFC 2409's and SKIP's from their specifications, and Apache mod_ssl's from
//! its source (`modules/ssl/ssl_engine_dh.c`, httpd 2.2 and older). The tests check the
//! ones the test bed serves.

/// A published group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownDhGroup {
    /// What to call it in a report.
    pub name: &'static str,
    /// Its prime's size.
    pub bits: u16,
    /// SHA-256 of the prime, big-endian without leading zeros, in lowercase hexadecimal.
    pub prime_sha256: &'static str,
    /// (p - 1) / 2 is prime too (every group here is prime).
    pub safe_prime: bool,
    /// One of the few small primes shared so widely that precomputing against it pays
    /// (Logjam): a server should not use it whatever its size suggests.
    pub widely_shared_weak: bool,
}

const fn group(
    name: &'static str,
    bits: u16,
    prime_sha256: &'static str,
    widely_shared_weak: bool,
) -> KnownDhGroup {
    KnownDhGroup {
        name,
        bits,
        prime_sha256,
        // Only RFC 5114's groups (listed with `subgroup`) are not safe primes.
        safe_prime: true,
        widely_shared_weak,
    }
}

/// An RFC 5114 group: prime, with a prime-order subgroup, not a safe prime.
const fn subgroup(name: &'static str, bits: u16, prime_sha256: &'static str) -> KnownDhGroup {
    KnownDhGroup {
        name,
        bits,
        prime_sha256,
        safe_prime: false,
        widely_shared_weak: false,
    }
}

/// Every group this probe recognises.
pub const KNOWN: &[KnownDhGroup] = &[
    group(
        "ffdhe2048 (RFC 7919)",
        2048,
        "9cd3b7f336872f46c09428d1bbc19877a4d440512cda8d1c1cf0cd6e33698966",
        false,
    ),
    group(
        "ffdhe3072 (RFC 7919)",
        3072,
        "0eaf67db3a839156d5013494a5318a772b5697d270d721f37f092efc69ea5a17",
        false,
    ),
    group(
        "ffdhe4096 (RFC 7919)",
        4096,
        "4648414224ac881b3d0dc59b466f96d06a558278776807797ecf1f66ff397b3e",
        false,
    ),
    group(
        "ffdhe6144 (RFC 7919)",
        6144,
        "227ac9066b3ddd9e193670cda2388fa884f65ba0cf98b742d1fe77a6687c79c7",
        false,
    ),
    group(
        "ffdhe8192 (RFC 7919)",
        8192,
        "770b14efaf6f049929c523113b3fa99a8d11dab1b18af3609590122075d19833",
        false,
    ),
    group(
        "RFC 3526 group 5 (1536-bit MODP)",
        1536,
        "64fcc83ec403930bf18393dbc883ccaa1fbb08ac876f77f7aa99748ca945019b",
        false,
    ),
    group(
        "RFC 3526 group 14 (2048-bit MODP)",
        2048,
        "d66436f79bbd6b2e38c0ffbd079be904d2641415e2e67140e09448be9a60890e",
        false,
    ),
    group(
        "RFC 3526 group 15 (3072-bit MODP)",
        3072,
        "48cf8b092fbce4359d9871abf74f98e25b6163379eaa15cd9087e800c6d1c55c",
        false,
    ),
    group(
        "RFC 3526 group 16 (4096-bit MODP)",
        4096,
        "4ee95187682bcb230ad26a95205f6920e84708f6251b3894329b09ec23919e33",
        false,
    ),
    group(
        "RFC 3526 group 17 (6144-bit MODP)",
        6144,
        "d1bfe6d0925ce7e4da262b62861514a7755e35831e429f343e7b864848657efd",
        false,
    ),
    group(
        "RFC 3526 group 18 (8192-bit MODP)",
        8192,
        "39ab4feab950a3128fb71accb9fc3965d857012e081998a85996e3ea8b3c3bcf",
        false,
    ),
    // RFC 5114's groups come with a prime-order subgroup that TLS never sends: they are not
    // safe primes, and a client cannot check a share against them.
    subgroup(
        "RFC 5114 1024-bit MODP group with 160-bit prime order subgroup",
        1024,
        "44c55cfee5c075927cf682da5b681bdecbd5c3eb0784c14f5dce7610f0ef133d",
    ),
    subgroup(
        "RFC 5114 2048-bit MODP group with 224-bit prime order subgroup",
        2048,
        "bfe545862ca102ad1eeddb5fbfa5bf855ac4995c56a8b408ce3fe099dce93a9d",
    ),
    subgroup(
        "RFC 5114 2048-bit MODP group with 256-bit prime order subgroup",
        2048,
        "0b7835722cb619827610c2549fdda5587421686c4409a13865e76225522ddcc9",
    ),
    group(
        "RFC 2409 Oakley group 2 (1024-bit MODP; OpenSSL's and mod_ssl 2.4's built-in 1024-bit group)",
        1024,
        "3f35a3f5f6c4376a744acad409bb22f8d897f949d2311d885adaa890981b67a0",
        true,
    ),
    group(
        "RFC 2409 Oakley group 1 (768-bit MODP)",
        768,
        "b52ba6a3026520a6c49d37e4587601801bee500123b3259b6bf03e7cecc3e63d",
        true,
    ),
    group(
        "Apache mod_ssl's built-in 1024-bit prime (httpd 2.2 and older)",
        1024,
        "f79d1db3c955a28fdeca462670a0712efee4b588c7858e4943883f903bd1354b",
        true,
    ),
    group(
        "Apache mod_ssl's built-in 512-bit prime (httpd 2.2 and older)",
        512,
        "3cdb020b9ef298b2f3f6cf5a872af527337bf7b9f654b2e70c49da16a4d24137",
        true,
    ),
    group(
        "SKIP 512-bit prime (OpenSSL's dh512.pem)",
        512,
        "e4896abfd36d325fcafe3c1583e30bf9b59d63261b9ee11962107cf67ebf83cd",
        true,
    ),
];

/// The published group whose prime hashes to `prime_sha256` (lowercase hexadecimal).
pub fn by_prime_sha256(prime_sha256: &str) -> Option<&'static KnownDhGroup> {
    KNOWN.iter().find(|g| g.prime_sha256 == prime_sha256)
}
