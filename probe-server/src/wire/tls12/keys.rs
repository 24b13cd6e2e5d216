//! The TLS 1.2 key schedule and record protection, every primitive from aws-lc-rs: the PRF
//! (`tls_prf`), the transcript hash (`digest`), AES-GCM (`aead`). What is ours is only the
//! framing RFC 5246 and RFC 5288 put around them: labels, seeds, nonce and additional data.

use aws_lc_rs::{aead, digest, tls_prf};

use super::Tls12Error;
use super::suites::Suite;

/// The master secret's length (RFC 5246 8.1).
pub const MASTER_SECRET_LEN: usize = 48;
/// The Finished verify_data length of every suite this client offers.
pub const VERIFY_DATA_LEN: usize = 12;
/// AES-GCM in TLS 1.2: 8 explicit nonce bytes before the ciphertext, a 16-byte tag after.
const EXPLICIT_NONCE_LEN: usize = 8;
const TAG_LEN: usize = 16;
const FIXED_IV_LEN: usize = 4;

fn prf_algorithm(suite: &Suite) -> &'static tls_prf::Algorithm {
    if suite.sha384 {
        &tls_prf::P_SHA384
    } else {
        &tls_prf::P_SHA256
    }
}

/// The suite's PRF: `PRF(secret, label, seed)` truncated to `len` bytes.
pub fn prf(
    suite: &Suite,
    secret: &[u8],
    label: &[u8],
    seed: &[u8],
    len: usize,
) -> Result<Vec<u8>, Tls12Error> {
    let secret = tls_prf::Secret::new(prf_algorithm(suite), secret)
        .map_err(|_| Tls12Error::Crypto("empty PRF secret"))?;
    let out = secret
        .derive(label, seed, len)
        .map_err(|_| Tls12Error::Crypto("PRF derivation failed"))?;
    Ok(out.as_ref().to_vec())
}

/// The suite's hash over the handshake messages so far.
pub fn transcript_hash(suite: &Suite, transcript: &[u8]) -> Vec<u8> {
    let algorithm = if suite.sha384 {
        &digest::SHA384
    } else {
        &digest::SHA256
    };
    digest::digest(algorithm, transcript).as_ref().to_vec()
}

/// The master secret: RFC 7627's extended form (over the session hash, the transcript up to
/// and including the ClientKeyExchange) when both sides negotiated it, else RFC 5246's
/// (over the two randoms).
pub fn master_secret(
    suite: &Suite,
    pre_master: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    session_hash: Option<&[u8]>,
) -> Result<Vec<u8>, Tls12Error> {
    match session_hash {
        Some(hash) => prf(
            suite,
            pre_master,
            b"extended master secret",
            hash,
            MASTER_SECRET_LEN,
        ),
        None => {
            let seed = [client_random.as_slice(), server_random.as_slice()].concat();
            prf(
                suite,
                pre_master,
                b"master secret",
                &seed,
                MASTER_SECRET_LEN,
            )
        }
    }
}

/// A Finished message's verify_data (`"client finished"` or `"server finished"`).
pub fn verify_data(
    suite: &Suite,
    master: &[u8],
    label: &[u8],
    transcript: &[u8],
) -> Result<Vec<u8>, Tls12Error> {
    prf(
        suite,
        master,
        label,
        &transcript_hash(suite, transcript),
        VERIFY_DATA_LEN,
    )
}

/// Both directions' record keys, from the key block (RFC 5246 6.3).
pub struct KeyBlock {
    /// What the client seals with.
    pub client: RecordCipher,
    /// What the server seals with (the client opens with it).
    pub server: RecordCipher,
}

impl std::fmt::Debug for KeyBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyBlock(..)")
    }
}

impl KeyBlock {
    /// Derives the key block of `suite` from the master secret.
    pub fn derive(
        suite: &Suite,
        master: &[u8],
        client_random: &[u8; 32],
        server_random: &[u8; 32],
    ) -> Result<Self, Tls12Error> {
        let algorithm = suite.aead();
        let key_len = algorithm.key_len();
        let seed = [server_random.as_slice(), client_random.as_slice()].concat();
        let block = prf(
            suite,
            master,
            b"key expansion",
            &seed,
            2 * key_len + 2 * FIXED_IV_LEN,
        )?;
        let (client_key, rest) = block.split_at(key_len);
        let (server_key, rest) = rest.split_at(key_len);
        let (client_iv, server_iv) = rest.split_at(FIXED_IV_LEN);
        Ok(Self {
            client: RecordCipher::new(algorithm, client_key, client_iv)?,
            server: RecordCipher::new(algorithm, server_key, server_iv)?,
        })
    }
}

/// One direction's AES-GCM record protection (RFC 5288), with its sequence number.
pub struct RecordCipher {
    key: aead::LessSafeKey,
    fixed_iv: [u8; FIXED_IV_LEN],
    sequence: u64,
}

impl std::fmt::Debug for RecordCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordCipher")
            .field("sequence", &self.sequence)
            .finish_non_exhaustive()
    }
}

impl RecordCipher {
    fn new(algorithm: &'static aead::Algorithm, key: &[u8], iv: &[u8]) -> Result<Self, Tls12Error> {
        let key = aead::UnboundKey::new(algorithm, key)
            .map_err(|_| Tls12Error::Crypto("bad AEAD key length"))?;
        let fixed_iv = iv
            .try_into()
            .map_err(|_| Tls12Error::Crypto("bad IV length"))?;
        Ok(Self {
            key: aead::LessSafeKey::new(key),
            fixed_iv,
            sequence: 0,
        })
    }

    fn nonce(&self, explicit: [u8; EXPLICIT_NONCE_LEN]) -> aead::Nonce {
        let mut nonce = [0u8; aead::NONCE_LEN];
        nonce[..FIXED_IV_LEN].copy_from_slice(&self.fixed_iv);
        nonce[FIXED_IV_LEN..].copy_from_slice(&explicit);
        aead::Nonce::assume_unique_for_key(nonce)
    }

    fn additional_data(&self, content_type: u8, version: u16, len: usize) -> [u8; 13] {
        let mut aad = [0u8; 13];
        aad[..8].copy_from_slice(&self.sequence.to_be_bytes());
        aad[8] = content_type;
        aad[9..11].copy_from_slice(&version.to_be_bytes());
        // Plaintext records are at most 2^14 bytes, so the length fits.
        aad[11..].copy_from_slice(&u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes());
        aad
    }

    /// Seals one record's plaintext: explicit nonce (the sequence number), ciphertext, tag.
    pub fn seal(
        &mut self,
        content_type: u8,
        version: u16,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Tls12Error> {
        let explicit = self.sequence.to_be_bytes();
        let aad = self.additional_data(content_type, version, plaintext.len());
        let mut in_out = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(self.nonce(explicit), aead::Aad::from(aad), &mut in_out)
            .map_err(|_| Tls12Error::Crypto("AEAD seal failed"))?;
        self.sequence = self.sequence.wrapping_add(1);
        let mut out = explicit.to_vec();
        out.extend(in_out);
        Ok(out)
    }

    /// Opens one record's payload, or says the record is not authentic (bad_record_mac).
    pub fn open(
        &mut self,
        content_type: u8,
        version: u16,
        payload: &[u8],
    ) -> Result<Vec<u8>, Tls12Error> {
        let Some(len) = payload.len().checked_sub(EXPLICIT_NONCE_LEN + TAG_LEN) else {
            return Err(Tls12Error::BadRecordMac(payload.len()));
        };
        let (explicit, sealed) = payload.split_at(EXPLICIT_NONCE_LEN);
        let explicit: [u8; EXPLICIT_NONCE_LEN] = explicit
            .try_into()
            .map_err(|_| Tls12Error::BadRecordMac(payload.len()))?;
        let aad = self.additional_data(content_type, version, len);
        let mut in_out = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(self.nonce(explicit), aead::Aad::from(aad), &mut in_out)
            .map_err(|_| Tls12Error::BadRecordMac(payload.len()))?;
        let plain = plain.to_vec();
        self.sequence = self.sequence.wrapping_add(1);
        Ok(plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::tls12::suites::by_id;

    #[test]
    fn a_sealed_record_opens_with_the_same_keys_and_not_when_altered() {
        let suite = by_id(0xC02F).expect("a suite we offer");
        let cr = [1u8; 32];
        let sr = [2u8; 32];
        let master = master_secret(suite, &[7u8; 32], &cr, &sr, None).expect("prf");
        let mut ours = KeyBlock::derive(suite, &master, &cr, &sr).expect("keys");
        let mut theirs = KeyBlock::derive(suite, &master, &cr, &sr).expect("keys");
        let sealed = ours.client.seal(23, 0x0303, b"hello").expect("seal");
        assert_eq!(sealed.len(), 8 + 5 + 16);
        let mut altered = sealed.clone();
        altered[10] ^= 1;
        assert!(theirs.client.open(23, 0x0303, &altered).is_err());
        let mut fresh = KeyBlock::derive(suite, &master, &cr, &sr).expect("keys");
        assert_eq!(
            fresh.client.open(23, 0x0303, &sealed).expect("open"),
            b"hello"
        );
        // The sequence number is in the additional data: a replay does not open.
        assert!(fresh.client.open(23, 0x0303, &sealed).is_err());
    }

    #[test]
    fn the_extended_master_secret_differs_from_the_classic_one() {
        let suite = by_id(0xC030).expect("a suite we offer");
        let classic = master_secret(suite, &[9u8; 48], &[1; 32], &[2; 32], None).expect("prf");
        let extended =
            master_secret(suite, &[9u8; 48], &[1; 32], &[2; 32], Some(&[3u8; 48])).expect("prf");
        assert_eq!(classic.len(), MASTER_SECRET_LEN);
        assert_ne!(classic, extended);
    }
}
