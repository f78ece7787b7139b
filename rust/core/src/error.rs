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
}

/// Result alias for audiofork-core.
pub type Result<T> = std::result::Result<T, Error>;
