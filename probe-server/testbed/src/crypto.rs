//! The little public-key arithmetic the legacy responders need, written out over plain big
//! integers so that it shares nothing with the probe or with rustls: RSA PKCS#1 v1.5
//! signatures (RFC 8017 §8.2, §9.2) including TLS 1.0's unprefixed MD5‖SHA-1 form, ECDSA over
//! P-256 and P-384 (SEC 1 §4.1.3, FIPS 186-4 curves), Diffie-Hellman public values, the DER
//! they are wrapped in (X.690), Miller-Rabin primes (for the 512-bit RSA_EXPORT key and DH
//! group). Test code: not constant-time, not hardened.

use num_bigint::BigUint;
use sha1::Digest as _;

use crate::error::{Result, TestbedError};

/// `n` cryptographically random bytes.
pub(crate) fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    getrandom::fill(&mut out).expect("the OS random source works");
    out
}

/// A big integer from big-endian hex (constants in this crate).
pub(crate) fn hex_uint(hex: &str) -> BigUint {
    BigUint::parse_bytes(hex.as_bytes(), 16).expect("valid hex constant")
}

/// A uniformly random integer in `[1, bound - 1]`.
pub(crate) fn random_below(bound: &BigUint) -> BigUint {
    let bytes = bound.bits().div_ceil(8) as usize + 8;
    let one = BigUint::from(1u8);
    BigUint::from_bytes_be(&random_bytes(bytes)) % (bound - &one) + one
}

/// `value` as exactly `len` big-endian bytes (left-padded with zeros).
pub(crate) fn to_fixed_be(value: &BigUint, len: usize) -> Vec<u8> {
    let bytes = value.to_bytes_be();
    let mut out = vec![0u8; len.saturating_sub(bytes.len())];
    out.extend_from_slice(&bytes[bytes.len().saturating_sub(len)..]);
    out
}

// ---------------------------------------------------------------------------------------------
// Hashes

/// The hash functions TLS 1.0–1.2 signatures use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hash {
    Md5,
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    pub(crate) fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Md5 => md5::Md5::digest(data).to_vec(),
            Self::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Self::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    /// The DER DigestInfo prefix of EMSA-PKCS1-v1_5 (RFC 8017 §9.2, note 1).
    fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            Self::Md5 => &[
                0x30, 0x20, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05,
                0x05, 0x00, 0x04, 0x10,
            ],
            Self::Sha1 => &[
                0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
                0x14,
            ],
            Self::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            Self::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            Self::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }
}

// ---------------------------------------------------------------------------------------------
// DER (X.690), just enough for PKCS#8 keys and DH parameters

/// A reader over DER bytes.
#[derive(Debug)]
pub(crate) struct Der<'a> {
    rest: &'a [u8],
}

impl<'a> Der<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// The next element: its tag and contents.
    pub(crate) fn any(&mut self) -> Result<(u8, &'a [u8])> {
        let bad = || TestbedError::Config("malformed DER".into());
        let (&tag, rest) = self.rest.split_first().ok_or_else(bad)?;
        let (&first, mut rest) = rest.split_first().ok_or_else(bad)?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return Err(bad());
            }
            let len = rest[..n]
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            rest = &rest[n..];
            len
        };
        if rest.len() < len {
            return Err(bad());
        }
        let (body, rest) = rest.split_at(len);
        self.rest = rest;
        Ok((tag, body))
    }

    /// The next element, which must have `tag`.
    pub(crate) fn expect(&mut self, tag: u8) -> Result<&'a [u8]> {
        match self.any()? {
            (t, body) if t == tag => Ok(body),
            (t, _) => Err(TestbedError::Config(format!(
                "DER: expected tag {tag:#04x}, found {t:#04x}"
            ))),
        }
    }

    /// The next INTEGER, as an unsigned big integer.
    pub(crate) fn uint(&mut self) -> Result<BigUint> {
        Ok(BigUint::from_bytes_be(self.expect(0x02)?))
    }
}

/// A DER element: tag, definite length, contents.
pub(crate) fn der(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(contents);
    out
}

/// A DER INTEGER holding a non-negative value.
pub(crate) fn der_uint(value: &BigUint) -> Vec<u8> {
    let mut bytes = value.to_bytes_be();
    if bytes[0] & 0x80 != 0 {
        bytes.insert(0, 0);
    }
    der(0x02, &bytes)
}

// ---------------------------------------------------------------------------------------------
// Primes

const SMALL_PRIMES: [u32; 54] = [
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
    101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181, 191, 193,
    197, 199, 211, 223, 227, 229, 233, 239, 241, 251, 257,
];

/// Miller-Rabin with `rounds` random bases, after trial division.
pub(crate) fn is_probable_prime(n: &BigUint, rounds: u32) -> bool {
    let one = BigUint::from(1u8);
    let two = BigUint::from(2u8);
    if *n < two {
        return false;
    }
    for &p in &SMALL_PRIMES {
        let p = BigUint::from(p);
        if *n == p {
            return true;
        }
        if (n % &p) == BigUint::ZERO {
            return false;
        }
    }
    if (n % &two) == BigUint::ZERO {
        return false;
    }
    let n_minus_1 = n - &one;
    let s = n_minus_1.trailing_zeros().unwrap_or(0);
    let d = &n_minus_1 >> s;
    'witness: for _ in 0..rounds {
        let a = random_below(&n_minus_1) + &one; // in [2, n-1]
        let mut x = a.modpow(&d, n);
        if x == one || x == n_minus_1 {
            continue;
        }
        for _ in 1..s {
            x = x.modpow(&two, n);
            if x == n_minus_1 {
                continue 'witness;
            }
        }
        return false;
    }
    true
}

/// A random prime of exactly `bits` bits (top two bits set, so products of two have 2×bits).
pub(crate) fn random_prime(bits: u64) -> BigUint {
    // Bounded: a random odd number of this size is prime with probability ~2/(bits·ln 2); the
    // loop gives up (panics) only after 100× the expected number of tries.
    for _ in 0..(bits * 100) {
        let mut candidate = BigUint::from_bytes_be(&random_bytes(bits.div_ceil(8) as usize));
        candidate >>= candidate.bits().saturating_sub(bits);
        candidate.set_bit(bits - 1, true);
        candidate.set_bit(bits - 2, true);
        candidate.set_bit(0, true);
        if is_probable_prime(&candidate, 24) {
            return candidate;
        }
    }
    panic!("no {bits}-bit prime found: the random source is broken");
}

// ---------------------------------------------------------------------------------------------
// RSA

/// An RSA private key with its CRT values.
#[derive(Clone, Debug)]
pub(crate) struct RsaKey {
    pub(crate) n: BigUint,
    pub(crate) e: BigUint,
    d: BigUint,
    p: BigUint,
    q: BigUint,
}

/// The rsaEncryption OID (1.2.840.113549.1.1.1), DER contents.
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// id-ecPublicKey (1.2.840.10045.2.1).
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// prime256v1 / secp256r1 (1.2.840.10045.3.1.7).
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// secp384r1 (1.3.132.0.34).
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];

impl RsaKey {
    /// Generates a key with an `bits`-bit modulus and e = 65537.
    pub(crate) fn generate(bits: u64) -> Self {
        let e = BigUint::from(65537u32);
        // Bounded: gcd(e, φ) = 1 fails for about 1 in 65537 prime pairs.
        for _ in 0..64 {
            let p = random_prime(bits / 2);
            let q = random_prime(bits - bits / 2);
            if p == q {
                continue;
            }
            let one = BigUint::from(1u8);
            let phi = (&p - &one) * (&q - &one);
            if let Some(d) = e.modinv(&phi) {
                return Self {
                    n: &p * &q,
                    e,
                    d,
                    p,
                    q,
                };
            }
        }
        panic!("RSA key generation failed 64 times");
    }

    /// Reads an RSAPrivateKey (RFC 8017 A.1.2).
    pub(crate) fn from_pkcs1(der_bytes: &[u8]) -> Result<Self> {
        let mut seq = Der::new(Der::new(der_bytes).expect(0x30)?);
        let _version = seq.uint()?;
        Ok(Self {
            n: seq.uint()?,
            e: seq.uint()?,
            d: seq.uint()?,
            p: seq.uint()?,
            q: seq.uint()?,
        })
    }

    /// The modulus size in bytes.
    pub(crate) fn size(&self) -> usize {
        self.n.bits().div_ceil(8) as usize
    }

    /// The raw private-key operation (RSASP1), with the CRT.
    fn private_op(&self, m: &BigUint) -> BigUint {
        let one = BigUint::from(1u8);
        let dp = &self.d % (&self.p - &one);
        let dq = &self.d % (&self.q - &one);
        let m1 = m.modpow(&dp, &self.p);
        let m2 = m.modpow(&dq, &self.q);
        let q_inv = self.q.modinv(&self.p).expect("p and q are distinct primes");
        let diff = (&m1 + &self.p - (&m2 % &self.p)) % &self.p;
        let h = (q_inv * diff) % &self.p;
        m2 + h * &self.q
    }

    /// RSADP (RFC 8017 §5.1.2): the block `ciphertext` encrypts, as `size()` bytes — what a
    /// server decrypting a ClientKeyExchange then checks the PKCS#1 v1.5 padding of.
    pub(crate) fn decrypt_raw(&self, ciphertext: &[u8]) -> Vec<u8> {
        let c = BigUint::from_bytes_be(ciphertext) % &self.n;
        to_fixed_be(&self.private_op(&c), self.size())
    }

    /// A PKCS#1 v1.5 signature over `payload` (EMSA-PKCS1-v1_5 encoding, block type 1):
    /// `payload` is DigestInfo for TLS 1.2, or the bare 36-byte MD5‖SHA-1 for SSL 3.0–TLS 1.1
    /// (RFC 2246 §7.4.3).
    pub(crate) fn sign_raw(&self, payload: &[u8]) -> Vec<u8> {
        let k = self.size();
        assert!(
            payload.len() + 11 <= k,
            "RSA key too small for this payload"
        );
        let mut em = vec![0x00, 0x01];
        em.resize(k - payload.len() - 1, 0xff);
        em.push(0x00);
        em.extend_from_slice(payload);
        to_fixed_be(&self.private_op(&BigUint::from_bytes_be(&em)), k)
    }

    /// A PKCS#1 v1.5 signature of `message` hashed with `hash` (RFC 8017 §8.2.1).
    pub(crate) fn sign(&self, hash: Hash, message: &[u8]) -> Vec<u8> {
        let mut payload = hash.digest_info_prefix().to_vec();
        payload.extend_from_slice(&hash.digest(message));
        self.sign_raw(&payload)
    }
}

// ---------------------------------------------------------------------------------------------
// Elliptic curves (short Weierstrass, a = -3), affine coordinates

/// The NIST prime curves the responders sign and exchange keys with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
}

#[derive(Debug)]
struct CurveParams {
    p: BigUint,
    b: BigUint,
    n: BigUint,
    gx: BigUint,
    gy: BigUint,
    size: usize,
}

impl Curve {
    fn params(self) -> CurveParams {
        // SEC 2 §2.4.2 and §2.5.1 (also FIPS 186-4 D.1.2.3, D.1.2.4).
        match self {
            Self::P256 => CurveParams {
                p: hex_uint("FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF"),
                b: hex_uint("5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B"),
                n: hex_uint("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"),
                gx: hex_uint("6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296"),
                gy: hex_uint("4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5"),
                size: 32,
            },
            Self::P384 => CurveParams {
                p: hex_uint(concat!(
                    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE",
                    "FFFFFFFF0000000000000000FFFFFFFF"
                )),
                b: hex_uint(concat!(
                    "B3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875A",
                    "C656398D8A2ED19D2A85C8EDD3EC2AEF"
                )),
                n: hex_uint(concat!(
                    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF",
                    "581A0DB248B0A77AECEC196ACCC52973"
                )),
                gx: hex_uint(concat!(
                    "AA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A38",
                    "5502F25DBF55296C3A545E3872760AB7"
                )),
                gy: hex_uint(concat!(
                    "3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C0",
                    "0A60B1CE1D7E819D7A431D7C90EA0E5F"
                )),
                size: 48,
            },
        }
    }
}

/// An affine point; `None` is the point at infinity.
type Point = Option<(BigUint, BigUint)>;

/// A point in Jacobian coordinates: x = X/Z², y = Y/Z³; Z = 0 is the point at infinity.
#[derive(Clone, Debug)]
struct Jacobian {
    x: BigUint,
    y: BigUint,
    z: BigUint,
}

impl Jacobian {
    fn infinity() -> Self {
        Self {
            x: BigUint::from(1u8),
            y: BigUint::from(1u8),
            z: BigUint::ZERO,
        }
    }
}

impl CurveParams {
    fn sub(&self, a: &BigUint, b: &BigUint) -> BigUint {
        ((a % &self.p) + &self.p - (b % &self.p)) % &self.p
    }

    fn modp(&self, a: BigUint) -> BigUint {
        a % &self.p
    }

    /// Doubling in Jacobian coordinates, a = -3 ("dbl-2001-b", Explicit-Formulas Database).
    fn double(&self, q: &Jacobian) -> Jacobian {
        if q.z == BigUint::ZERO || q.y == BigUint::ZERO {
            return Jacobian::infinity();
        }
        let delta = self.modp(&q.z * &q.z);
        let gamma = self.modp(&q.y * &q.y);
        let beta = self.modp(&q.x * &gamma);
        let alpha = self.modp(BigUint::from(3u8) * self.sub(&q.x, &delta) * (&q.x + &delta));
        let x3 = self.sub(&(&alpha * &alpha), &(BigUint::from(8u8) * &beta));
        let z3 = self.sub(&self.sub(&((&q.y + &q.z) * (&q.y + &q.z)), &gamma), &delta);
        let y3 = self.sub(
            &(alpha * self.sub(&(BigUint::from(4u8) * &beta), &x3)),
            &(BigUint::from(8u8) * &gamma * &gamma),
        );
        Jacobian {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// Addition in Jacobian coordinates ("add-2007-bl").
    fn add(&self, a: &Jacobian, b: &Jacobian) -> Jacobian {
        if a.z == BigUint::ZERO {
            return b.clone();
        }
        if b.z == BigUint::ZERO {
            return a.clone();
        }
        let z1z1 = self.modp(&a.z * &a.z);
        let z2z2 = self.modp(&b.z * &b.z);
        let u1 = self.modp(&a.x * &z2z2);
        let u2 = self.modp(&b.x * &z1z1);
        let s1 = self.modp(&a.y * &b.z * &z2z2);
        let s2 = self.modp(&b.y * &a.z * &z1z1);
        let h = self.sub(&u2, &u1);
        let r = self.modp(BigUint::from(2u8) * self.sub(&s2, &s1));
        if h == BigUint::ZERO {
            return if r == BigUint::ZERO {
                self.double(a)
            } else {
                Jacobian::infinity()
            };
        }
        let i = self.modp(BigUint::from(4u8) * &h * &h);
        let j = self.modp(&h * &i);
        let v = self.modp(&u1 * &i);
        let x3 = self.sub(&self.sub(&(&r * &r), &j), &(BigUint::from(2u8) * &v));
        let y3 = self.sub(&(r * self.sub(&v, &x3)), &(BigUint::from(2u8) * s1 * j));
        let z3 = self.modp(self.sub(&self.sub(&((&a.z + &b.z) * (&a.z + &b.z)), &z1z1), &z2z2) * h);
        Jacobian {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// k·point, double-and-add in Jacobian coordinates, one inversion at the end.
    fn mul(&self, k: &BigUint, point: &Point) -> Point {
        let Some((x, y)) = point else { return None };
        let base = Jacobian {
            x: x.clone(),
            y: y.clone(),
            z: BigUint::from(1u8),
        };
        let mut acc = Jacobian::infinity();
        for i in (0..k.bits()).rev() {
            acc = self.double(&acc);
            if k.bit(i) {
                acc = self.add(&acc, &base);
            }
        }
        if acc.z == BigUint::ZERO {
            return None;
        }
        let z_inv = acc.z.modinv(&self.p)?;
        let z_inv2 = self.modp(&z_inv * &z_inv);
        let x = self.modp(&acc.x * &z_inv2);
        let y = self.modp(acc.y * z_inv2 * z_inv);
        Some((x, y))
    }

    /// Whether `point` satisfies y² = x³ - 3x + b.
    fn contains(&self, point: &Point) -> bool {
        let Some((x, y)) = point else { return false };
        let rhs = self.sub(&(x * x * x + &self.b), &(BigUint::from(3u8) * x));
        (y * y) % &self.p == rhs
    }

    fn generator(&self) -> Point {
        Some((self.gx.clone(), self.gy.clone()))
    }

    /// The uncompressed encoding (SEC 1 §2.3.3): 0x04 ‖ X ‖ Y.
    fn encode(&self, point: &Point) -> Vec<u8> {
        let (x, y) = point.as_ref().expect("not the point at infinity");
        let mut out = vec![0x04];
        out.extend(to_fixed_be(x, self.size));
        out.extend(to_fixed_be(y, self.size));
        out
    }
}

/// An ECDSA private key.
#[derive(Clone, Debug)]
pub(crate) struct EcKey {
    pub(crate) curve: Curve,
    d: BigUint,
}

impl EcKey {
    /// A fresh key on `curve` (for ECDHE key shares).
    pub(crate) fn generate(curve: Curve) -> Self {
        Self {
            curve,
            d: random_below(&curve.params().n),
        }
    }

    /// The public point, uncompressed.
    pub(crate) fn public_point(&self) -> Vec<u8> {
        let params = self.curve.params();
        let point = params.mul(&self.d, &params.generator());
        debug_assert!(params.contains(&point));
        params.encode(&point)
    }

    /// An ECDSA signature (SEC 1 §4.1.3) of `message` hashed with `hash`, DER-encoded as
    /// Ecdsa-Sig-Value { r INTEGER, s INTEGER } (RFC 4492 §5.4).
    pub(crate) fn sign(&self, hash: Hash, message: &[u8]) -> Vec<u8> {
        let params = self.curve.params();
        let digest = hash.digest(message);
        // e = the leftmost bitlen(n) bits of the hash.
        let mut e = BigUint::from_bytes_be(&digest);
        let excess = (digest.len() as u64 * 8).saturating_sub(params.n.bits());
        e >>= excess;
        // Bounded: r or s is zero with negligible probability.
        for _ in 0..16 {
            let k = random_below(&params.n);
            let Some((x, _)) = params.mul(&k, &params.generator()) else {
                continue;
            };
            let r = x % &params.n;
            if r == BigUint::ZERO {
                continue;
            }
            let Some(k_inv) = k.modinv(&params.n) else {
                continue;
            };
            let s = (k_inv * ((&e + &r * &self.d) % &params.n)) % &params.n;
            if s == BigUint::ZERO {
                continue;
            }
            let mut body = der_uint(&r);
            body.extend(der_uint(&s));
            return der(0x30, &body);
        }
        panic!("ECDSA signing failed 16 times");
    }
}

/// A private key the responders sign with.
#[derive(Clone, Debug)]
pub(crate) enum PrivateKey {
    Rsa(RsaKey),
    Ec(EcKey),
}

impl PrivateKey {
    /// Reads a PKCS#8 PrivateKeyInfo (RFC 5208 §5) holding an RSA key (RFC 8017 A.1.2) or an
    /// EC key (RFC 5915) on P-256 or P-384.
    pub(crate) fn from_pkcs8(der_bytes: &[u8]) -> Result<Self> {
        let mut info = Der::new(Der::new(der_bytes).expect(0x30)?);
        let _version = info.uint()?;
        let mut algorithm = Der::new(info.expect(0x30)?);
        let oid = algorithm.expect(0x06)?;
        let key = info.expect(0x04)?;
        if oid == OID_RSA {
            return Ok(Self::Rsa(RsaKey::from_pkcs1(key)?));
        }
        if oid != OID_EC {
            return Err(TestbedError::Config(
                "only RSA and EC private keys are supported".into(),
            ));
        }
        let curve = match algorithm.expect(0x06)? {
            c if c == OID_P256 => Curve::P256,
            c if c == OID_P384 => Curve::P384,
            _ => {
                return Err(TestbedError::Config(
                    "only P-256 and P-384 EC keys are supported".into(),
                ));
            }
        };
        let mut ec = Der::new(Der::new(key).expect(0x30)?);
        let _version = ec.uint()?;
        let d = BigUint::from_bytes_be(ec.expect(0x04)?);
        Ok(Self::Ec(EcKey { curve, d }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curve_generators_are_on_their_curves_and_have_order_n() {
        for curve in [Curve::P256, Curve::P384] {
            let c = curve.params();
            assert!(c.contains(&c.generator()), "{curve:?}");
            assert_eq!(c.mul(&c.n, &c.generator()), None, "{curve:?}");
            // 2G computed two ways: doubling, and (n+2)G wrapping around the group order.
            let two = c.mul(&BigUint::from(2u8), &c.generator());
            assert!(c.contains(&two), "{curve:?}");
            assert_eq!(c.mul(&(&c.n + 2u8), &c.generator()), two, "{curve:?}");
        }
    }

    #[test]
    fn primes_are_recognised() {
        assert!(is_probable_prime(
            &hex_uint(concat!(
                "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE",
                "FFFFFFFF0000000000000000FFFFFFFF"
            )),
            8
        ));
        assert!(!is_probable_prime(&(BigUint::from(65537u32) * 65539u32), 8));
        assert_eq!(random_prime(128).bits(), 128);
    }

    #[test]
    fn der_lengths_use_the_short_and_long_forms() {
        assert_eq!(der(0x04, &[1, 2]), vec![0x04, 2, 1, 2]);
        let long = der(0x04, &[0; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
        let mut reader = Der::new(&long);
        assert_eq!(reader.expect(0x04).map(<[u8]>::len).ok(), Some(300));
        assert!(reader.any().is_err());
    }
}
