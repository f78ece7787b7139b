//! Every message of a telephony audio stream, both directions, in each [`Dialect`] (Vobiz,
//! Plivo, Twilio): parsed from JSON text into typed values and written back. The values are
//! the same in every dialect (a Twilio `mark` from the platform is a [`PlayedStream`], from
//! the app a [`Checkpoint`]); only the text differs.
//!
//! Parsing is liberal (every documented variant: nested and flat `start`, timestamps and
//! rates as numbers or strings, optional ids) and borrows the large fields (`payload`) from
//! the input. Writing emits the newest documented form. Errors are
//! [`Error::Protocol`], with the [`ErrorKind`] of what was wrong, and
//! name the field by [`field_path`]'s rule,
//! e.g. `start.mediaFormat.sampleRate: 44100 is not allowed for audio/x-mulaw (allowed: 8000)`.

mod batch;
mod build;
mod dialect;
mod headers;
mod json;
mod parse;
mod reader;

use std::borrow::Cow;

pub use batch::Batch;
pub use build::{
    write_checkpoint, write_clear_audio, write_cleared_audio, write_connected, write_dtmf,
    write_media, write_play_audio, write_played_stream, write_send_dtmf, write_start, write_stop,
    MediaFields, StartFields,
};
pub use dialect::{Dialect, Sender, Shown};
pub use headers::parse_extra_headers;
pub use json::push_escaped;
pub use parse::{parse, parse_shown, ParseOptions};

use crate::error::{Error, ErrorKind, Result};
use crate::format::{allowed_rates, Encoding, MediaFormat};

/// Default limit on one message's size, checked before any parsing.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 1 << 20;

/// Highest limit a caller may set on one message's size (1 GiB).
pub const MAX_MESSAGE_BYTES_LIMIT: usize = 1 << 30;

/// The one rule for naming a field in an error: the event, then the field's JSON path from
/// the message root, except that a path starting at the event's own body object (`dtmf` in a
/// `dtmf` message) is not prefixed twice. So `checkpoint.name`, `playAudio.media.sampleRate`,
/// `dtmf.digit`, and `media` for a `media` message without its body.
pub fn field_path(event: &str, path: &str) -> String {
    let own_body = path
        .strip_prefix(event)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'));
    if own_body {
        path.to_owned()
    } else {
        format!("{event}.{path}")
    }
}

/// A message that arrived as bytes (a binary WebSocket frame, say) as text, or a
/// [`Error::Protocol`] naming the byte where it stops being UTF-8.
pub fn message_str(bytes: &[u8]) -> Result<&str> {
    std::str::from_utf8(bytes).map_err(|error| {
        let message = format!("message is not valid UTF-8 at byte {}", error.valid_up_to());
        Error::Protocol(ErrorKind::BadUtf8, message)
    })
}

/// Whether the app's audio messages of `dialect` can carry `format`: Twilio's `media` only
/// μ-law at 8000 Hz, else as [`check_play_audio_format`].
pub fn check_app_audio_format(format: &MediaFormat, dialect: Dialect) -> Result<()> {
    if !dialect.is_twilio() || *format == MediaFormat::TWILIO {
        return check_play_audio_format(format);
    }
    let kind = match format.encoding {
        Encoding::Mulaw => ErrorKind::BadRate,
        Encoding::Alaw | Encoding::L16 => ErrorKind::BadEncoding,
    };
    Err(Error::Format(
        kind,
        format!(
            "Twilio's media carries audio/x-mulaw at 8000 Hz only, not {}",
            format.content_type()
        ),
    ))
}

/// Whether `playAudio` can carry `format`: L16 at 8000, 16000 or 24000 Hz, or μ-law at
/// 8000 Hz. The error says what it can carry.
pub fn check_play_audio_format(format: &MediaFormat) -> Result<()> {
    let allowed = format.encoding != Encoding::Alaw
        && allowed_rates(format.encoding).contains(&format.sample_rate);
    if allowed {
        return Ok(());
    }
    let kind = match format.encoding {
        Encoding::Alaw => ErrorKind::BadEncoding,
        Encoding::Mulaw | Encoding::L16 => ErrorKind::BadRate,
    };
    Err(Error::Format(
        kind,
        format!(
        "playAudio carries audio/x-l16 at 8000, 16000 or 24000 Hz or audio/x-mulaw at 8000 Hz, \
         not {}",
        format.content_type()
    ),
    ))
}

/// One direction of a call's audio: the caller (`inbound`) or the callee (`outbound`). Media
/// of any other track is a protocol error, so per-track state is bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Track {
    /// The caller's audio.
    #[default]
    Inbound,
    /// The callee's audio.
    Outbound,
}

impl Track {
    /// Both tracks, in index order.
    pub const ALL: [Track; 2] = [Track::Inbound, Track::Outbound];

    /// `"inbound"` or `"outbound"`.
    pub fn parse(name: &str) -> Result<Track> {
        match name {
            "inbound" => Ok(Track::Inbound),
            "outbound" => Ok(Track::Outbound),
            _ => Err(Error::Protocol(
                ErrorKind::BadValue,
                format!("{name:?} is not a track; expected \"inbound\" or \"outbound\""),
            )),
        }
    }

    /// The name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Track::Inbound => "inbound",
            Track::Outbound => "outbound",
        }
    }

    /// 0 for inbound, 1 for outbound: an index into per-track state.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// `start`: the stream's ids and inbound format; the first message of a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Start {
    pub sequence_number: Option<u64>,
    pub stream_id: String,
    pub call_id: Option<String>,
    pub account_id: Option<String>,
    pub tracks: Vec<Track>,
    pub media_format: MediaFormat,
    /// Flat (older) form only: caller, callee and call direction.
    pub from: Option<String>,
    pub to: Option<String>,
    pub direction: Option<String>,
    /// The `extra_headers` field as sent: a string (`"{}"`, `k=v;k=v`) or JSON object text.
    pub extra_headers: Option<String>,
}

/// `media`: one chunk of audio of one track; `payload` is base64 and borrowed when it can be.
#[derive(Debug, Clone, PartialEq)]
pub struct Media<'a> {
    pub sequence_number: Option<u64>,
    pub stream_id: Option<Cow<'a, str>>,
    pub track: Track,
    pub timestamp_ms: Option<u64>,
    pub chunk: Option<u64>,
    pub payload: Cow<'a, str>,
    pub extra_headers: Option<Cow<'a, str>>,
}

/// `playedStream`: the audio queued before checkpoint `name` has played.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayedStream {
    pub name: String,
    pub stream_id: Option<String>,
    pub sequence_number: Option<u64>,
}

/// `clearedAudio`: the playback queue was flushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClearedAudio {
    pub stream_id: Option<String>,
    pub sequence_number: Option<u64>,
}

/// `dtmf`: a keypad digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dtmf {
    pub sequence_number: Option<u64>,
    pub stream_id: Option<String>,
    pub track: Track,
    pub digit: String,
    pub timestamp_ms: Option<u64>,
}

/// `stop`: the end of a stream (an app command, or an old platform form of the close).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    pub stream_id: Option<String>,
    pub sequence_number: Option<u64>,
}

/// `playAudio`: audio the app queues for the caller. `streamId` is optional when parsing (the
/// `<Stream>` reference lists only `event` and `media`); builders always write it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayAudio<'a> {
    pub stream_id: Option<String>,
    pub media_format: MediaFormat,
    pub payload: Cow<'a, str>,
}

/// `checkpoint`: ask for `playedStream` once everything queued so far has played.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub stream_id: String,
    pub name: String,
}

/// `clearAudio`: drop all queued audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClearAudio {
    pub stream_id: String,
}

/// `connected`: Twilio's first message, before `start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connected {
    pub protocol: Option<String>,
    pub version: Option<String>,
}

/// `sendDTMF`: Plivo's command to play keypad digits into the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendDtmf {
    pub stream_id: Option<String>,
    pub digits: String,
}

/// Any message, in either direction.
#[derive(Debug, Clone, PartialEq)]
pub enum Message<'a> {
    /// Boxed: the largest variant, and a rare one.
    Start(Box<Start>),
    Media(Media<'a>),
    PlayedStream(PlayedStream),
    ClearedAudio(ClearedAudio),
    Dtmf(Dtmf),
    Stop(Stop),
    PlayAudio(PlayAudio<'a>),
    Checkpoint(Checkpoint),
    ClearAudio(ClearAudio),
    Connected(Connected),
    SendDtmf(SendDtmf),
    /// An `event` this library does not know; apps can ignore it.
    Unknown {
        event: String,
    },
}
