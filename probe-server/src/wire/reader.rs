//! Byte-level reading and writing: a cursor over a borrowed slice that turns every short
//! read into an error value, and an encoder that back-patches vector length prefixes.

use super::WireError;

/// A cursor over received bytes. Every read either returns the value or
/// [`WireError::Truncated`]; nothing here can panic on any input.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    context: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`; errors name `context` ("ServerHello", "extension", ...).
    pub const fn new(buf: &'a [u8], context: &'static str) -> Self {
        Self {
            buf,
            pos: 0,
            context,
        }
    }

    /// The bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// True when every byte was read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// How many bytes were read so far.
    pub const fn position(&self) -> usize {
        self.pos
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let available = self.remaining();
        let end = self.pos.checked_add(n).filter(|_| n <= available);
        match end.and_then(|end| self.buf.get(self.pos..end).map(|s| (s, end))) {
            Some((slice, end)) => {
                self.pos = end;
                Ok(slice)
            }
            None => Err(WireError::Truncated {
                context: self.context,
                needed: n,
                available,
            }),
        }
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    /// One byte.
    pub fn read_u8(&mut self) -> Result<u8, WireError> {
        Ok(self.array::<1>()?[0])
    }

    /// A big-endian u16.
    pub fn read_u16(&mut self) -> Result<u16, WireError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// A big-endian 24-bit number.
    pub fn read_u24(&mut self) -> Result<u32, WireError> {
        let [a, b, c] = self.array()?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    /// A big-endian u32.
    pub fn read_u32(&mut self) -> Result<u32, WireError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// A vector with a one-byte length prefix (`opaque x<0..2^8-1>`).
    pub fn vec_u8(&mut self) -> Result<&'a [u8], WireError> {
        let n = self.read_u8()?;
        self.bytes(usize::from(n))
    }

    /// A vector with a two-byte length prefix.
    pub fn vec_u16(&mut self) -> Result<&'a [u8], WireError> {
        let n = self.read_u16()?;
        self.bytes(usize::from(n))
    }

    /// A vector with a three-byte length prefix.
    pub fn vec_u24(&mut self) -> Result<&'a [u8], WireError> {
        let n = self.read_u24()?;
        // A u24 always fits a usize on the 32- and 64-bit targets we build for.
        self.bytes(n as usize)
    }

    /// A reader over the body of a u8-prefixed vector.
    pub fn sub_u8(&mut self, context: &'static str) -> Result<Self, WireError> {
        Ok(Self::new(self.vec_u8()?, context))
    }

    /// A reader over the body of a u16-prefixed vector.
    pub fn sub_u16(&mut self, context: &'static str) -> Result<Self, WireError> {
        Ok(Self::new(self.vec_u16()?, context))
    }

    /// A reader over the body of a u24-prefixed vector.
    pub fn sub_u24(&mut self, context: &'static str) -> Result<Self, WireError> {
        Ok(Self::new(self.vec_u24()?, context))
    }

    /// Every byte not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        self.pos = self.buf.len();
        rest
    }

    /// A list of u16 values filling the rest of the reader (length must be even).
    pub fn u16_list(&mut self) -> Result<Vec<u16>, WireError> {
        if !self.remaining().is_multiple_of(2) {
            return Err(WireError::BadLength(self.context));
        }
        let mut out = Vec::with_capacity(self.remaining() / 2);
        while !self.is_empty() {
            out.push(self.read_u16()?);
        }
        Ok(out)
    }

    /// Fails with [`WireError::TrailingData`] unless every byte was read.
    pub fn expect_empty(&self) -> Result<(), WireError> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(WireError::TrailingData {
                context: self.context,
                count,
            }),
        }
    }
}

/// Appends wire encodings to a byte vector. Length prefixes are back-patched once their
/// body is written.
///
/// A body longer than its prefix can express gets the prefix's maximum as its length: the
/// result is then malformed on purpose or by mistake, never a panic. (A scanner sometimes
/// wants malformed messages; the builders above this keep to the limits.)
#[derive(Clone, Debug, Default)]
pub struct Encoder {
    buf: Vec<u8>,
}

impl Encoder {
    /// An empty encoder.
    pub const fn new() -> Self {
        Self { buf: Vec::new() }
    }

    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The number of bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The finished bytes.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }

    /// One byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    /// A big-endian u16.
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// A big-endian 24-bit number (the top byte of `v` is dropped).
    pub fn u24(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes()[1..]);
        self
    }

    /// A big-endian u32.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Raw bytes.
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }

    /// A u8-prefixed vector whose body `f` writes.
    pub fn vec_u8(&mut self, f: impl FnOnce(&mut Self)) -> &mut Self {
        self.prefixed(1, f)
    }

    /// A u16-prefixed vector whose body `f` writes.
    pub fn vec_u16(&mut self, f: impl FnOnce(&mut Self)) -> &mut Self {
        self.prefixed(2, f)
    }

    /// A u24-prefixed vector whose body `f` writes.
    pub fn vec_u24(&mut self, f: impl FnOnce(&mut Self)) -> &mut Self {
        self.prefixed(3, f)
    }

    /// A u8-prefixed vector of raw bytes.
    pub fn opaque_u8(&mut self, v: &[u8]) -> &mut Self {
        self.vec_u8(|e| {
            e.bytes(v);
        })
    }

    /// A u16-prefixed vector of raw bytes.
    pub fn opaque_u16(&mut self, v: &[u8]) -> &mut Self {
        self.vec_u16(|e| {
            e.bytes(v);
        })
    }

    /// A u24-prefixed vector of raw bytes.
    pub fn opaque_u24(&mut self, v: &[u8]) -> &mut Self {
        self.vec_u24(|e| {
            e.bytes(v);
        })
    }

    fn prefixed(&mut self, width: usize, f: impl FnOnce(&mut Self)) -> &mut Self {
        let at = self.buf.len();
        self.buf.extend(std::iter::repeat_n(0, width));
        f(self);
        let body = self.buf.len() - at - width;
        let max = (1usize << (8 * width)) - 1;
        let len = body.min(max) as u32;
        let be = len.to_be_bytes();
        if let Some(slot) = self.buf.get_mut(at..at + width) {
            slot.copy_from_slice(&be[4 - width..]);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_width() {
        let data = [1, 0, 2, 0, 0, 3, 0, 0, 0, 4, 2, 0xAA, 0xBB];
        let mut r = Reader::new(&data, "test");
        assert_eq!(r.read_u8(), Ok(1));
        assert_eq!(r.read_u16(), Ok(2));
        assert_eq!(r.read_u24(), Ok(3));
        assert_eq!(r.read_u32(), Ok(4));
        assert_eq!(r.vec_u8(), Ok(&[0xAA, 0xBB][..]));
        assert!(r.is_empty());
        assert!(r.expect_empty().is_ok());
    }

    #[test]
    fn every_short_read_is_an_error() {
        for len in 0..4 {
            let data = vec![0xFF; len];
            let mut r = Reader::new(&data, "test");
            assert!(r.read_u32().is_err());
            assert_eq!(r.position(), 0, "a failed read consumes nothing");
        }
        let mut r = Reader::new(&[0, 5, 1, 2], "test");
        assert_eq!(
            r.vec_u16(),
            Err(WireError::Truncated {
                context: "test",
                needed: 5,
                available: 2
            })
        );
        let mut r = Reader::new(&[0xFF, 0xFF, 0xFF], "test");
        assert!(r.vec_u24().is_err());
        let mut r = Reader::new(&[1, 2, 3], "test");
        assert!(r.bytes(usize::MAX).is_err());
        assert_eq!(r.u16_list(), Err(WireError::BadLength("test")));
        assert!(matches!(
            r.expect_empty(),
            Err(WireError::TrailingData { count: 3, .. })
        ));
    }

    #[test]
    fn encoder_backpatches_lengths() {
        let mut e = Encoder::new();
        e.u16(0x0303).vec_u16(|e| {
            e.u8(1).vec_u8(|e| {
                e.bytes(&[9, 9]);
            });
        });
        e.opaque_u24(&[7]);
        assert_eq!(e.finish(), [3, 3, 0, 4, 1, 2, 9, 9, 0, 0, 1, 7]);

        let mut e = Encoder::new();
        e.opaque_u8(&[0; 300]);
        assert_eq!(e.as_bytes()[0], 0xFF, "saturates, never panics");
    }
}
