//! One error type for the crate. Each variant maps to one Python exception class
//! (`CodecError`, `FormatError`, `ProtocolError`, ...); the message names the field and value.

use thiserror::Error;

/// Everything that can go wrong in audiofork-core.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// Bytes that are not valid audio of the declared encoding (odd L16 length, bad base64).
    #[error("{0}")]
    Codec(String),
    /// An encoding, rate or byte order that is not supported.
    #[error("{0}")]
    Format(String),
    /// A malformed or oversized stream message; the text names the event and field.
    #[error("{0}")]
    Protocol(String),
    /// A write that does not fit a ring buffer that rejects overflow.
    #[error("{0}")]
    Overflow(String),
    /// Caller misuse: an argument outside its documented range, an output buffer of the
    /// wrong length, or a call out of order.
    #[error("{0}")]
    Argument(String),
}

impl Error {
    /// The same error, its message prefixed with the field it concerns: `field: message`.
    pub fn in_field(self, field: &str) -> Error {
        let prefix = |message: String| format!("{field}: {message}");
        match self {
            Error::Codec(m) => Error::Codec(prefix(m)),
            Error::Format(m) => Error::Format(prefix(m)),
            Error::Protocol(m) => Error::Protocol(prefix(m)),
            Error::Overflow(m) => Error::Overflow(prefix(m)),
            Error::Argument(m) => Error::Argument(prefix(m)),
        }
    }
}

/// Result alias for audiofork-core.
pub type Result<T> = std::result::Result<T, Error>;
