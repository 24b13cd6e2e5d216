//! Protocol versions, and how each server program spells them.

use std::fmt;

/// An SSL/TLS protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProtocolVersion {
    /// SSL 2.0 (Hickman's draft, 1995). Wire value 0x0002.
    Ssl2,
    /// SSL 3.0 (RFC 6101). Wire value 0x0300.
    Ssl3,
    /// TLS 1.0 (RFC 2246). Wire value 0x0301.
    Tls10,
    /// TLS 1.1 (RFC 4346). Wire value 0x0302.
    Tls11,
    /// TLS 1.2 (RFC 5246). Wire value 0x0303.
    Tls12,
    /// TLS 1.3 (RFC 8446). Wire value 0x0304.
    Tls13,
}

impl ProtocolVersion {
    /// Every version, oldest first.
    pub const ALL: [Self; 6] = [
        Self::Ssl2,
        Self::Ssl3,
        Self::Tls10,
        Self::Tls11,
        Self::Tls12,
        Self::Tls13,
    ];

    /// The versions OpenSSL 3, GnuTLS 3.7 and nginx can serve: TLS 1.0 to 1.3.
    pub const TLS: [Self; 4] = [Self::Tls10, Self::Tls11, Self::Tls12, Self::Tls13];

    /// The two bytes on the wire.
    pub const fn wire(self) -> u16 {
        match self {
            Self::Ssl2 => 0x0002,
            Self::Ssl3 => 0x0300,
            Self::Tls10 => 0x0301,
            Self::Tls11 => 0x0302,
            Self::Tls12 => 0x0303,
            Self::Tls13 => 0x0304,
        }
    }

    /// The version with these two bytes on the wire.
    pub const fn from_wire(wire: u16) -> Option<Self> {
        Some(match wire {
            0x0002 => Self::Ssl2,
            0x0300 => Self::Ssl3,
            0x0301 => Self::Tls10,
            0x0302 => Self::Tls11,
            0x0303 => Self::Tls12,
            0x0304 => Self::Tls13,
            _ => return None,
        })
    }

    /// The suffix of OpenSSL's `-tls1_2` / `-no_tls1_2` options.
    pub(crate) const fn openssl_option(self) -> &'static str {
        match self {
            Self::Ssl2 => "ssl2",
            Self::Ssl3 => "ssl3",
            Self::Tls10 => "tls1",
            Self::Tls11 => "tls1_1",
            Self::Tls12 => "tls1_2",
            Self::Tls13 => "tls1_3",
        }
    }

    /// nginx's `ssl_protocols` word.
    pub(crate) const fn nginx_name(self) -> &'static str {
        match self {
            Self::Ssl2 => "SSLv2",
            Self::Ssl3 => "SSLv3",
            Self::Tls10 => "TLSv1",
            Self::Tls11 => "TLSv1.1",
            Self::Tls12 => "TLSv1.2",
            Self::Tls13 => "TLSv1.3",
        }
    }

    /// GnuTLS's priority-string keyword.
    pub(crate) const fn gnutls_name(self) -> &'static str {
        match self {
            Self::Ssl2 => "VERS-SSL2.0",
            Self::Ssl3 => "VERS-SSL3.0",
            Self::Tls10 => "VERS-TLS1.0",
            Self::Tls11 => "VERS-TLS1.1",
            Self::Tls12 => "VERS-TLS1.2",
            Self::Tls13 => "VERS-TLS1.3",
        }
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ssl2 => "SSL 2.0",
            Self::Ssl3 => "SSL 3.0",
            Self::Tls10 => "TLS 1.0",
            Self::Tls11 => "TLS 1.1",
            Self::Tls12 => "TLS 1.2",
            Self::Tls13 => "TLS 1.3",
        })
    }
}
