//! Which platform's message shapes a stream speaks, and which side sent a message.
//!
//! - [`Dialect::Vobiz`]: the default; ids are `streamId`/`callId`, the app sends
//!   `playAudio`, `checkpoint`, `clearAudio`, `stop`, and the platform answers
//!   `playedStream` and `clearedAudio`.
//! - [`Dialect::Plivo`]: the same shapes (Vobiz is Plivo-compatible); `sequenceNumber`
//!   counts from 1, `extra_headers` is `k=v;k=v`, and the app may also send `sendDTMF`.
//! - [`Dialect::Twilio`]: opens with `connected`; ids are `streamSid`/`callSid`;
//!   `sequenceNumber`, `chunk` and `timestamp` are strings; μ-law at 8 kHz only; the app
//!   sends `media` (payload only), `mark` and `clear`, and the platform echoes each `mark`
//!   once its audio played, or at once when a `clear` dropped it.
//!
//! Vobiz and Plivo messages cannot be told apart; Twilio's can be told from theirs by an
//! event name or an id field ([`Shown`]), which is how a stream's dialect is detected.

use crate::error::{Error, ErrorKind, Result};

/// A platform's message shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dialect {
    #[default]
    Vobiz,
    Plivo,
    Twilio,
}

impl Dialect {
    /// Every dialect.
    pub const ALL: [Dialect; 3] = [Dialect::Vobiz, Dialect::Plivo, Dialect::Twilio];

    /// `"vobiz"`, `"plivo"` or `"twilio"`.
    pub fn parse(name: &str) -> Result<Dialect> {
        match name {
            "vobiz" => Ok(Dialect::Vobiz),
            "plivo" => Ok(Dialect::Plivo),
            "twilio" => Ok(Dialect::Twilio),
            _ => Err(Error::Format(
                ErrorKind::BadValue,
                format!("{name:?} is not a dialect; expected \"vobiz\", \"plivo\" or \"twilio\""),
            )),
        }
    }

    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Vobiz => "vobiz",
            Dialect::Plivo => "plivo",
            Dialect::Twilio => "twilio",
        }
    }

    /// The name as written in messages to people.
    pub fn title(self) -> &'static str {
        match self {
            Dialect::Vobiz => "Vobiz",
            Dialect::Plivo => "Plivo",
            Dialect::Twilio => "Twilio",
        }
    }

    /// Whether this is Twilio's family of shapes (rather than the Vobiz/Plivo one).
    pub fn is_twilio(self) -> bool {
        self == Dialect::Twilio
    }
}

/// Which side sent a message. Only Twilio needs to know: its `media` and `mark` go both
/// ways (the platform's `mark` answers the app's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Sender {
    /// The telephony platform (`start`, `media` of the call, acknowledgements).
    #[default]
    Platform,
    /// The app (audio to play, checkpoints, clears).
    App,
}

impl Sender {
    /// `"platform"` or `"app"`.
    pub fn parse(name: &str) -> Result<Sender> {
        match name {
            "platform" => Ok(Sender::Platform),
            "app" => Ok(Sender::App),
            _ => Err(Error::Format(
                ErrorKind::BadValue,
                format!("{name:?} is not a sender; expected \"platform\" or \"app\""),
            )),
        }
    }
}

/// What one message shows of its dialect: the Twilio family or the Vobiz/Plivo one, and the
/// first field or event that shows it (for error messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    pub twilio: bool,
    pub evidence: &'static str,
}

impl Shown {
    /// The dialect a stream is taken to speak when this is its first telling message.
    pub fn dialect(self) -> Dialect {
        if self.twilio {
            Dialect::Twilio
        } else {
            Dialect::Vobiz
        }
    }

    /// A [`ErrorKind::WrongDialect`] error when this contradicts `dialect`.
    pub fn check(self, dialect: Dialect) -> Result<()> {
        if self.twilio == dialect.is_twilio() {
            return Ok(());
        }
        let family = if self.twilio { "Twilio" } else { "Vobiz/Plivo" };
        Err(Error::Protocol(
            ErrorKind::WrongDialect,
            format!(
                "{}: a {family} message, but the stream speaks {}",
                self.evidence,
                dialect.title()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for dialect in Dialect::ALL {
            assert_eq!(Dialect::parse(dialect.name()), Ok(dialect));
        }
        let error = Dialect::parse("telnyx").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::BadValue);
        assert!(error.to_string().contains("\"telnyx\" is not a dialect"));
        assert_eq!(Sender::parse("app"), Ok(Sender::App));
        assert!(Sender::parse("both").is_err());
    }

    #[test]
    fn a_contradiction_names_both_dialects() {
        let shown = Shown {
            twilio: true,
            evidence: "streamSid",
        };
        assert!(shown.check(Dialect::Twilio).is_ok());
        let error = shown.check(Dialect::Plivo).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::WrongDialect);
        assert_eq!(
            error.to_string(),
            "streamSid: a Twilio message, but the stream speaks Plivo"
        );
    }
}
