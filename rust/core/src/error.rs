//! One error type for the crate. Each variant maps to one Python exception class
//! (`CodecError`, `FormatError`, `ProtocolError`, ...) and carries an [`ErrorKind`], what
//! was wrong in machine-readable form; the message names the field and value.

use thiserror::Error;

/// Declares [`ErrorKind`] with its Python names, and [`ErrorKind::ALL`] from the same list,
/// so the list cannot miss a kind.
macro_rules! error_kinds {
    ($($(#[$doc:meta])* $kind:ident => $name:literal,)*) => {
        /// What was wrong, in machine-readable form: one closed set for every error the crate
        /// raises, independent of the variant (a bad base64 payload is an [`Error::Codec`]
        /// from a codec call and an [`Error::Protocol`] inside a message; both are
        /// [`ErrorKind::BadBase64`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorKind {
            $($(#[$doc])* $kind,)*
        }

        impl ErrorKind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$kind),*];

            /// The snake_case name Python's `AudioforkError.kind` holds, e.g. `"bad_base64"`.
            pub fn name(self) -> &'static str {
                match self {
                    $(ErrorKind::$kind => $name,)*
                }
            }
        }
    };
}

error_kinds! {
    /// Text that is not JSON.
    BadJson => "bad_json",
    /// JSON nested deeper than the parser's limit.
    TooDeep => "too_deep",
    /// A required field (or a message's `event`) that is absent.
    FieldMissing => "field_missing",
    /// A value of the wrong JSON type, e.g. a number where a string belongs.
    WrongType => "wrong_type",
    /// Text that is not valid UTF-8 (bytes, or a `str` holding a lone surrogate).
    BadUtf8 => "bad_utf8",
    /// Text that is not valid base64.
    BadBase64 => "bad_base64",
    /// L16 bytes of odd length.
    OddLength => "odd_length",
    /// An encoding or content type that is not understood (unknown name or parameter), or
    /// one a `playAudio` message cannot carry.
    BadEncoding => "bad_encoding",
    /// A sample rate that is not supported or allowed here, is not a positive integer where
    /// a content type states it, or disagrees with another statement of it.
    BadRate => "bad_rate",
    /// A number outside its documented range.
    OutOfRange => "out_of_range",
    /// More than a documented size limit or memory allows.
    TooLarge => "too_large",
    /// A value of the right type that is not accepted: not one of a closed set of names
    /// (byte order, quality, overflow policy, sample type, track), not a whole number of
    /// samples, or an output buffer of the wrong length.
    BadValue => "bad_value",
    /// A write that does not fit a bounded buffer.
    Overflow => "overflow",
    /// A call the object's current state does not allow (a frame written before one was
    /// read; in the Python binding, an object in use by another thread).
    WrongState => "wrong_state",
    /// A message of another platform's dialect than the stream's (a Twilio `mark` on a
    /// Vobiz stream, say).
    WrongDialect => "wrong_dialect",
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything that can go wrong in audiofork-core: the variant says which Python class it
/// becomes, the [`ErrorKind`] what was wrong, the message the field and value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// Bytes that are not valid audio of the declared encoding (odd L16 length, bad base64).
    #[error("{1}")]
    Codec(ErrorKind, String),
    /// An encoding, rate or byte order that is not supported.
    #[error("{1}")]
    Format(ErrorKind, String),
    /// A malformed or oversized stream message; the text names the event and field.
    #[error("{1}")]
    Protocol(ErrorKind, String),
    /// A write that does not fit a ring buffer that rejects overflow.
    #[error("{1}")]
    Overflow(ErrorKind, String),
    /// Caller misuse: an argument outside its documented range, an output buffer of the
    /// wrong length, or a call out of order.
    #[error("{1}")]
    Argument(ErrorKind, String),
}

impl Error {
    /// What was wrong.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Codec(kind, _)
            | Error::Format(kind, _)
            | Error::Protocol(kind, _)
            | Error::Overflow(kind, _)
            | Error::Argument(kind, _) => *kind,
        }
    }

    /// The message: the field and value concerned, and what is wrong with them.
    pub fn message(&self) -> &str {
        match self {
            Error::Codec(_, message)
            | Error::Format(_, message)
            | Error::Protocol(_, message)
            | Error::Overflow(_, message)
            | Error::Argument(_, message) => message,
        }
    }

    /// The same error, its message prefixed with the field it concerns: `field: message`.
    pub fn in_field(self, field: &str) -> Error {
        let prefix = |message: String| format!("{field}: {message}");
        match self {
            Error::Codec(kind, m) => Error::Codec(kind, prefix(m)),
            Error::Format(kind, m) => Error::Format(kind, prefix(m)),
            Error::Protocol(kind, m) => Error::Protocol(kind, prefix(m)),
            Error::Overflow(kind, m) => Error::Overflow(kind, prefix(m)),
            Error::Argument(kind, m) => Error::Argument(kind, prefix(m)),
        }
    }
}

/// Result alias for audiofork-core.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct_snake_case() {
        let names: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
        for name in &names {
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{name}"
            );
            assert_eq!(names.iter().filter(|n| *n == name).count(), 1, "{name}");
        }
    }

    #[test]
    fn a_field_prefix_keeps_variant_and_kind() {
        let error = Error::Format(ErrorKind::BadValue, "no".into()).in_field("byteorder");
        assert_eq!(
            error,
            Error::Format(ErrorKind::BadValue, "byteorder: no".into())
        );
        assert_eq!(error.kind(), ErrorKind::BadValue);
        assert_eq!(error.message(), "byteorder: no");
        assert_eq!(error.to_string(), "byteorder: no");
    }
}
