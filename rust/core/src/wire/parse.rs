//! JSON text → [`Message`]: one pass of [`Reader`] over the text fills a liberal raw shape
//! (every documented variant's fields, borrowed), then checks that name the event and field.
//! A value of the wrong type is remembered with its path and reported once the whole text
//! has been read, so the report can name the event even when `event` comes last; for an
//! unknown event such values are ignored, so new platform events never fail to parse.
//!
//! Every dialect is read in the same pass: the raw shape holds Twilio's fields (`streamSid`,
//! `mark`, `start.customParameters`) beside Vobiz's, the message [`Shown`] its dialect by
//! them, and [`ParseOptions::dialect`] (or, when unset, what the message shows) decides how
//! it is read. A message showing the other family than the one asked for is an
//! [`ErrorKind::WrongDialect`] error naming both.

use std::borrow::Cow;

use super::dialect::{Dialect, Sender, Shown};
use super::reader::{Kind, ReadError, ReadResult, Reader, MAX_DEPTH};
use super::{
    check_play_audio_format, field_path, Checkpoint, ClearAudio, ClearedAudio, Connected, Dtmf,
    Media, Message, PlayAudio, PlayedStream, SendDtmf, Start, Stop, Track,
    DEFAULT_MAX_MESSAGE_BYTES,
};
use crate::error::{Error, ErrorKind, Result};
use crate::format::{resolve_format, ByteOrder, FormatSpec, MediaFormat};

/// Limits and checks applied by [`parse`].
#[derive(Debug, Clone, Copy)]
pub struct ParseOptions {
    /// Messages longer than this many bytes are refused before parsing.
    pub max_bytes: usize,
    /// Check that `media`/`playAudio` payloads are valid base64 (decoders that decode the
    /// payload right away skip this; decoding checks it anyway).
    pub check_payload: bool,
    /// The stream's dialect; `None` reads each message in the dialect it shows (Vobiz when
    /// it shows none).
    pub dialect: Option<Dialect>,
    /// Who sent the message: decides Twilio's two-way `media` and `mark`.
    pub sender: Sender,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            max_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            check_payload: true,
            dialect: None,
            sender: Sender::Platform,
        }
    }
}

type Text<'a> = Option<Cow<'a, str>>;

/// Every field any message may carry, as read.
#[derive(Default)]
struct RawMessage<'a> {
    event: Text<'a>,
    /// Why `event` was not read, when it was there but not a string.
    event_error: TypeError,
    sequence_number: Option<u64>,
    stream_id: Text<'a>,
    name: Text<'a>,
    start: Option<Box<RawStart<'a>>>,
    media: Option<RawMedia<'a>>,
    dtmf: Option<Box<RawDtmf<'a>>>,
    /// The `extra_headers` value's JSON text.
    extra_headers: Option<&'a str>,
    /// Twilio's top-level `streamSid`.
    stream_sid: Text<'a>,
    /// Top-level fields of `start` only, boxed to keep the hot `media` path small.
    top: Option<Box<RawTop<'a>>>,
}

/// Fields only `start` carries at the top level: the flat (older) form's ids and format, and
/// the call's parties.
#[derive(Default)]
struct RawTop<'a> {
    call_id: Text<'a>,
    account_id: Text<'a>,
    content_type: Text<'a>,
    audio_track: Text<'a>,
    from: Text<'a>,
    to: Text<'a>,
    direction: Text<'a>,
    /// Twilio's `mark.name`, and whether a `mark` object was there.
    mark: Option<Text<'a>>,
    /// Plivo's `sendDTMF`: `dtmf` is the digits, a string.
    dtmf_digits: Text<'a>,
    /// Twilio's `connected`.
    protocol: Text<'a>,
    version: Text<'a>,
}

impl<'a> RawMessage<'a> {
    fn top(&mut self) -> &mut RawTop<'a> {
        self.top.get_or_insert_with(Box::default)
    }
}

#[derive(Default)]
struct RawStart<'a> {
    call_id: Text<'a>,
    stream_id: Text<'a>,
    account_id: Text<'a>,
    tracks: Option<Vec<Cow<'a, str>>>,
    media_format: Option<RawMediaFormat<'a>>,
    /// Twilio's ids and `customParameters` (its JSON text).
    stream_sid: Text<'a>,
    call_sid: Text<'a>,
    account_sid: Text<'a>,
    custom_parameters: Option<&'a str>,
}

#[derive(Default)]
struct RawMediaFormat<'a> {
    encoding: Text<'a>,
    sample_rate: Option<u64>,
}

#[derive(Default)]
struct RawMedia<'a> {
    track: Text<'a>,
    timestamp: Option<u64>,
    chunk: Option<u64>,
    payload: Text<'a>,
    content_type: Text<'a>,
    sample_rate: Option<u64>,
}

#[derive(Default)]
struct RawDtmf<'a> {
    track: Text<'a>,
    digit: Text<'a>,
    timestamp: Option<u64>,
}

/// The first wrong-typed value: its path and what was wrong.
type TypeError = Option<(String, String)>;

/// `Some(value)`, or `None` after recording a type error at `path`; syntax errors propagate.
#[inline]
fn typed<T>(first: &mut TypeError, path: &str, result: ReadResult<T>) -> ReadResult<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(ReadError::Type(message)) => {
            first.get_or_insert_with(|| (path.to_owned(), message));
            Ok(None)
        }
        Err(syntax) => Err(syntax),
    }
}

fn read_message<'a>(reader: &mut Reader<'a>, bad: &mut TypeError) -> ReadResult<RawMessage<'a>> {
    let mut raw = RawMessage::default();
    reader.object(|r, key| {
        match key.as_ref() {
            "event" => raw.event = typed(&mut raw.event_error, "event", r.string())?,
            "sequenceNumber" => {
                raw.sequence_number = typed(bad, "sequenceNumber", r.flexible_u64())?
            }
            "streamId" => raw.stream_id = typed(bad, "streamId", r.string())?,
            "name" => raw.name = typed(bad, "name", r.string())?,
            "start" => {
                let start = read_start(r, bad);
                raw.start = typed(bad, "start", start)?.map(Box::new);
            }
            "media" => {
                let media = read_media(r, bad);
                raw.media = typed(bad, "media", media)?;
            }
            "dtmf" if r.kind()? == Kind::String => {
                raw.top().dtmf_digits = typed(bad, "dtmf", r.string())?
            }
            "dtmf" => {
                let dtmf = read_dtmf(r, bad);
                raw.dtmf = typed(bad, "dtmf", dtmf)?.map(Box::new);
            }
            "streamSid" => raw.stream_sid = typed(bad, "streamSid", r.string())?,
            "mark" => {
                let mut name = None;
                let read = r.object(|r, key| {
                    match key.as_ref() {
                        "name" => name = typed(bad, "mark.name", r.string())?,
                        _ => r.skip_value()?,
                    }
                    Ok(())
                });
                raw.top().mark = typed(bad, "mark", read)?.map(|()| name);
            }
            "protocol" => raw.top().protocol = typed(bad, "protocol", r.string())?,
            "version" => raw.top().version = typed(bad, "version", r.string())?,
            "extra_headers" => raw.extra_headers = Some(r.raw_value()?),
            "callId" => raw.top().call_id = typed(bad, "callId", r.string())?,
            "accountId" => raw.top().account_id = typed(bad, "accountId", r.string())?,
            "contentType" => raw.top().content_type = typed(bad, "contentType", r.string())?,
            "audioTrack" => raw.top().audio_track = typed(bad, "audioTrack", r.string())?,
            "from" => raw.top().from = typed(bad, "from", r.string())?,
            "to" => raw.top().to = typed(bad, "to", r.string())?,
            "direction" => raw.top().direction = typed(bad, "direction", r.string())?,
            _ => r.skip_value()?,
        }
        Ok(())
    })?;
    Ok(raw)
}

fn read_start<'a>(reader: &mut Reader<'a>, bad: &mut TypeError) -> ReadResult<RawStart<'a>> {
    let mut start = RawStart::default();
    reader.object(|r, key| {
        match key.as_ref() {
            "callId" => start.call_id = typed(bad, "start.callId", r.string())?,
            "streamId" => start.stream_id = typed(bad, "start.streamId", r.string())?,
            "accountId" => start.account_id = typed(bad, "start.accountId", r.string())?,
            "streamSid" => start.stream_sid = typed(bad, "start.streamSid", r.string())?,
            "callSid" => start.call_sid = typed(bad, "start.callSid", r.string())?,
            "accountSid" => start.account_sid = typed(bad, "start.accountSid", r.string())?,
            "customParameters" => {
                let value = r.raw_value()?;
                let object = value.starts_with('{').then_some(value);
                if object.is_none() {
                    let found = "expected an object".to_owned();
                    bad.get_or_insert_with(|| ("start.customParameters".to_owned(), found));
                }
                start.custom_parameters = object;
            }
            "tracks" => {
                // The reader checks the rest of the array after an element of the wrong type.
                let mut tracks = Vec::new();
                let read = r.array(|r| r.string().map(|track| tracks.push(track)));
                start.tracks = typed(bad, "start.tracks", read)?.map(|()| tracks);
            }
            "mediaFormat" => {
                let mut format = RawMediaFormat::default();
                let read = r.object(|r, key| {
                    match key.as_ref() {
                        "encoding" => {
                            format.encoding = typed(bad, "start.mediaFormat.encoding", r.string())?
                        }
                        "sampleRate" => {
                            let rate = r.flexible_u64();
                            format.sample_rate = typed(bad, "start.mediaFormat.sampleRate", rate)?
                        }
                        _ => r.skip_value()?,
                    }
                    Ok(())
                });
                start.media_format = typed(bad, "start.mediaFormat", read)?.map(|()| format);
            }
            _ => r.skip_value()?,
        }
        Ok(())
    })?;
    Ok(start)
}

fn read_media<'a>(reader: &mut Reader<'a>, bad: &mut TypeError) -> ReadResult<RawMedia<'a>> {
    let mut media = RawMedia::default();
    reader.object(|r, key| {
        match key.as_ref() {
            "payload" => media.payload = typed(bad, "media.payload", r.string())?,
            "track" => media.track = typed(bad, "media.track", r.string())?,
            "timestamp" => media.timestamp = typed(bad, "media.timestamp", r.flexible_u64())?,
            "chunk" => media.chunk = typed(bad, "media.chunk", r.flexible_u64())?,
            "contentType" => media.content_type = typed(bad, "media.contentType", r.string())?,
            "sampleRate" => media.sample_rate = typed(bad, "media.sampleRate", r.flexible_u64())?,
            _ => r.skip_value()?,
        }
        Ok(())
    })?;
    Ok(media)
}

fn read_dtmf<'a>(reader: &mut Reader<'a>, bad: &mut TypeError) -> ReadResult<RawDtmf<'a>> {
    let mut dtmf = RawDtmf::default();
    reader.object(|r, key| {
        match key.as_ref() {
            "digit" => dtmf.digit = typed(bad, "dtmf.digit", r.string())?,
            "track" => dtmf.track = typed(bad, "dtmf.track", r.string())?,
            "timestamp" => dtmf.timestamp = typed(bad, "dtmf.timestamp", r.flexible_u64())?,
            _ => r.skip_value()?,
        }
        Ok(())
    })?;
    Ok(dtmf)
}

/// An error of `kind` at `path` (the field's JSON path from the root) of an `event` message.
fn protocol(kind: ErrorKind, event: &str, path: &str, reason: impl std::fmt::Display) -> Error {
    Error::Protocol(kind, format!("{}: {reason}", field_path(event, path)))
}

/// `error` as a protocol error at `path` of an `event` message, keeping its kind.
fn at_field(error: Error, event: &str, path: &str) -> Error {
    protocol(error.kind(), event, path, error)
}

fn missing(event: &str, path: &str) -> Error {
    protocol(ErrorKind::FieldMissing, event, path, "missing")
}

fn required<'a>(value: Text<'a>, event: &str, field: &str) -> Result<Cow<'a, str>> {
    value.ok_or_else(|| missing(event, field))
}

/// The track named at `path`.
fn track(name: &str, event: &str, path: &str) -> Result<Track> {
    Track::parse(name).map_err(|error| at_field(error, event, path))
}

/// The track named at `path`, inbound when absent.
fn optional_track(name: Text<'_>, event: &str, path: &str) -> Result<Track> {
    name.map_or(Ok(Track::Inbound), |name| track(&name, event, path))
}

fn owned(value: Text<'_>) -> Option<String> {
    value.map(Cow::into_owned)
}

fn syntax_error(error: ReadError) -> Error {
    let not_json = |kind, message: &str, offset| {
        let message = format!("message is not valid JSON: {message} at byte {offset}");
        Error::Protocol(kind, message)
    };
    match error {
        ReadError::Syntax { message, offset } => not_json(ErrorKind::BadJson, &message, offset),
        ReadError::TooDeep { offset } => {
            let message = format!("nesting deeper than {MAX_DEPTH} levels");
            not_json(ErrorKind::TooDeep, &message, offset)
        }
        ReadError::Type(message) => Error::Protocol(
            ErrorKind::WrongType,
            format!("message must be a JSON object: {message}"),
        ),
    }
}

/// The events this parser knows, so the dispatch on `event` needs no copy of it.
#[derive(Clone, Copy)]
enum EventKind {
    Start,
    Media,
    PlayedStream,
    ClearedAudio,
    Dtmf,
    Stop,
    PlayAudio,
    Checkpoint,
    ClearAudio,
    SendDtmf,
    Connected,
    Mark,
    Clear,
}

impl EventKind {
    fn of(event: &str) -> Option<EventKind> {
        Some(match event {
            "start" => EventKind::Start,
            "media" => EventKind::Media,
            "playedStream" => EventKind::PlayedStream,
            "clearedAudio" => EventKind::ClearedAudio,
            "dtmf" => EventKind::Dtmf,
            "stop" => EventKind::Stop,
            "playAudio" => EventKind::PlayAudio,
            "checkpoint" => EventKind::Checkpoint,
            "clearAudio" => EventKind::ClearAudio,
            "sendDTMF" => EventKind::SendDtmf,
            "connected" => EventKind::Connected,
            "mark" => EventKind::Mark,
            "clear" => EventKind::Clear,
            _ => return None,
        })
    }

    /// The event's own evidence of a dialect family, when only one family has it.
    fn shows(self) -> Option<Shown> {
        let (twilio, evidence) = match self {
            EventKind::Connected => (true, "event \"connected\""),
            EventKind::Mark => (true, "event \"mark\""),
            EventKind::Clear => (true, "event \"clear\""),
            EventKind::PlayedStream => (false, "event \"playedStream\""),
            EventKind::ClearedAudio => (false, "event \"clearedAudio\""),
            EventKind::PlayAudio => (false, "event \"playAudio\""),
            EventKind::Checkpoint => (false, "event \"checkpoint\""),
            EventKind::ClearAudio => (false, "event \"clearAudio\""),
            EventKind::SendDtmf => (false, "event \"sendDTMF\""),
            EventKind::Start | EventKind::Media | EventKind::Dtmf | EventKind::Stop => return None,
        };
        Some(Shown { twilio, evidence })
    }
}

/// What a message shows of its dialect: its event, else its stream id field. A message
/// with evidence of both families is refused.
fn shown(kind: EventKind, raw: &RawMessage<'_>) -> Result<Option<Shown>> {
    let start = raw.start.as_deref();
    let field = |twilio: bool, top: bool, nested: bool| {
        let (top_name, nested_name) = if twilio {
            ("streamSid", "start.streamSid")
        } else {
            ("streamId", "start.streamId")
        };
        let evidence = if top {
            top_name
        } else if nested {
            nested_name
        } else {
            return None;
        };
        Some(Shown { twilio, evidence })
    };
    let event = kind.shows();
    let twilio = event.filter(|s| s.twilio).or_else(|| {
        let nested = start.is_some_and(|s| s.stream_sid.is_some());
        field(true, raw.stream_sid.is_some(), nested)
    });
    let vobiz = event.filter(|s| !s.twilio).or_else(|| {
        let nested = start.is_some_and(|s| s.stream_id.is_some());
        field(false, raw.stream_id.is_some(), nested)
    });
    match (twilio, vobiz) {
        (Some(t), Some(v)) => Err(Error::Protocol(
            ErrorKind::WrongDialect,
            format!(
                "message mixes Twilio ({}) and Vobiz/Plivo ({}) fields",
                t.evidence, v.evidence
            ),
        )),
        (shown, None) | (None, shown) => Ok(shown),
    }
}

/// Parse one message. See the module docs for what is accepted.
pub fn parse<'a>(text: &'a str, options: &ParseOptions) -> Result<Message<'a>> {
    parse_shown(text, options).map(|(message, _)| message)
}

/// [`parse`], and what the message showed of its dialect (`None` for one any dialect could
/// send, such as a bare `stop`, and for an unknown event).
pub fn parse_shown<'a>(
    text: &'a str,
    options: &ParseOptions,
) -> Result<(Message<'a>, Option<Shown>)> {
    if text.len() > options.max_bytes {
        return Err(Error::Protocol(
            ErrorKind::TooLarge,
            format!(
                "message is {} bytes, limit {}",
                text.len(),
                options.max_bytes
            ),
        ));
    }
    let mut reader = Reader::new(text);
    let mut bad = None;
    let raw = read_message(&mut reader, &mut bad).map_err(syntax_error)?;
    reader.finish().map_err(syntax_error)?;
    let event = match (raw.event.as_deref(), &raw.event_error) {
        (Some(event), _) => event,
        (None, Some((path, message))) => {
            return Err(Error::Protocol(
                ErrorKind::WrongType,
                format!("{path}: {message}"),
            ))
        }
        (None, None) => {
            let message = "message has no \"event\" field";
            return Err(Error::Protocol(ErrorKind::FieldMissing, message.into()));
        }
    };
    let Some(kind) = EventKind::of(event) else {
        let event = event.to_owned();
        return Ok((Message::Unknown { event }, None));
    };
    if let Some((path, message)) = bad {
        return Err(protocol(ErrorKind::WrongType, event, &path, message));
    }
    let shown = shown(kind, &raw)?;
    let dialect = match (options.dialect, shown) {
        (Some(dialect), Some(shown)) => {
            shown.check(dialect)?;
            dialect
        }
        (Some(dialect), None) => dialect,
        (None, shown) => shown.map(Shown::dialect).unwrap_or_default(),
    };
    let message = if dialect.is_twilio() {
        twilio_message(kind, raw, options)?
    } else {
        vobiz_message(kind, raw, options, dialect)?
    };
    Ok((message, shown))
}

/// A message of the Vobiz/Plivo family.
fn vobiz_message<'a>(
    kind: EventKind,
    raw: RawMessage<'a>,
    options: &ParseOptions,
    dialect: Dialect,
) -> Result<Message<'a>> {
    Ok(match kind {
        EventKind::Start => Message::Start(Box::new(start(raw, false)?)),
        EventKind::Media => Message::Media(media(raw, options)?),
        EventKind::PlayedStream => Message::PlayedStream(PlayedStream {
            name: required(raw.name, "playedStream", "name")?.into_owned(),
            stream_id: owned(raw.stream_id),
            sequence_number: raw.sequence_number,
        }),
        EventKind::ClearedAudio => Message::ClearedAudio(ClearedAudio {
            stream_id: owned(raw.stream_id),
            sequence_number: raw.sequence_number,
        }),
        EventKind::Dtmf => Message::Dtmf(dtmf(raw, false)?),
        EventKind::Stop => Message::Stop(stop(raw)),
        EventKind::PlayAudio => Message::PlayAudio(play_audio(raw, options)?),
        EventKind::Checkpoint => Message::Checkpoint(Checkpoint {
            stream_id: required(raw.stream_id, "checkpoint", "streamId")?.into_owned(),
            name: required(raw.name, "checkpoint", "name")?.into_owned(),
        }),
        EventKind::ClearAudio => Message::ClearAudio(ClearAudio {
            stream_id: required(raw.stream_id, "clearAudio", "streamId")?.into_owned(),
        }),
        EventKind::SendDtmf => {
            if raw.dtmf.is_some() {
                return Err(dtmf_shape("sendDTMF", "a string", "an object"));
            }
            let top = raw.top.map(|top| *top).unwrap_or_default();
            Message::SendDtmf(SendDtmf {
                stream_id: owned(raw.stream_id),
                digits: required(top.dtmf_digits, "sendDTMF", "dtmf")?.into_owned(),
            })
        }
        EventKind::Connected | EventKind::Mark | EventKind::Clear => {
            return Err(foreign(kind, dialect))
        }
    })
}

/// A message of Twilio's: its `streamSid`, `callSid` and `accountSid` are read as the
/// stream, call and account ids, `customParameters` as the `start`'s extra headers; `media`
/// and `mark` are read as [`ParseOptions::sender`] sends them.
fn twilio_message<'a>(
    kind: EventKind,
    mut raw: RawMessage<'a>,
    options: &ParseOptions,
) -> Result<Message<'a>> {
    raw.stream_id = raw.stream_sid.take();
    let from_app = options.sender == Sender::App;
    Ok(match kind {
        EventKind::Start => {
            let mut nested = raw.start.take().ok_or_else(|| missing("start", "start"))?;
            nested.stream_id = nested.stream_sid.take().or(raw.stream_id.take());
            nested.call_id = nested.call_sid.take();
            nested.account_id = nested.account_sid.take();
            raw.extra_headers = nested.custom_parameters.take();
            raw.start = Some(nested);
            Message::Start(Box::new(start(raw, true)?))
        }
        EventKind::Media if from_app => {
            let body = raw.media.ok_or_else(|| missing("media", "media"))?;
            let payload = required(body.payload, "media", "media.payload")?;
            if options.check_payload {
                check_payload(&payload, "media", "media.payload")?;
            }
            Message::PlayAudio(PlayAudio {
                stream_id: owned(raw.stream_id),
                media_format: MediaFormat::TWILIO,
                payload,
            })
        }
        EventKind::Media => Message::Media(media(raw, options)?),
        EventKind::Mark => {
            let top = raw.top.map(|top| *top).unwrap_or_default();
            let name = top.mark.ok_or_else(|| missing("mark", "mark"))?;
            let name = required(name, "mark", "mark.name")?.into_owned();
            if from_app {
                let stream_id = required(raw.stream_id, "mark", "streamSid")?.into_owned();
                Message::Checkpoint(Checkpoint { stream_id, name })
            } else {
                Message::PlayedStream(PlayedStream {
                    name,
                    stream_id: owned(raw.stream_id),
                    sequence_number: raw.sequence_number,
                })
            }
        }
        EventKind::Clear => Message::ClearAudio(ClearAudio {
            stream_id: required(raw.stream_id, "clear", "streamSid")?.into_owned(),
        }),
        EventKind::Connected => {
            let top = raw.top.map(|top| *top).unwrap_or_default();
            Message::Connected(Connected {
                protocol: owned(top.protocol),
                version: owned(top.version),
            })
        }
        EventKind::Dtmf => Message::Dtmf(dtmf(raw, true)?),
        EventKind::Stop => Message::Stop(stop(raw)),
        EventKind::PlayedStream
        | EventKind::ClearedAudio
        | EventKind::PlayAudio
        | EventKind::Checkpoint
        | EventKind::ClearAudio
        | EventKind::SendDtmf => return Err(foreign(kind, Dialect::Twilio)),
    })
}

/// The error for an event of the other family than `dialect`'s (which [`shown`] reports
/// first; this keeps the dispatch total).
fn foreign(kind: EventKind, dialect: Dialect) -> Error {
    match kind.shows().map(|shown| shown.check(dialect)) {
        Some(Err(error)) => error,
        _ => Error::Protocol(
            ErrorKind::WrongDialect,
            format!("event: not one of {}'s", dialect.title()),
        ),
    }
}

fn stop(raw: RawMessage<'_>) -> Stop {
    Stop {
        stream_id: owned(raw.stream_id),
        sequence_number: raw.sequence_number,
    }
}

/// The format of an `event` from its content type and rate fields (see [`resolve_format`]);
/// `default_rate` applies when neither gives a rate.
fn media_format(
    content_type: &str,
    rate: Option<u64>,
    default_rate: Option<u32>,
    event: &str,
    (content_type_field, rate_field): (&str, &str),
) -> Result<MediaFormat> {
    let spec = FormatSpec {
        content_type,
        rate,
        default_rate,
        byte_order: ByteOrder::Little,
        strict: true,
    };
    resolve_format(&spec).map_err(|problem| {
        let message = problem.message(
            &field_path(event, content_type_field),
            &field_path(event, rate_field),
        );
        Error::Protocol(problem.kind(), message)
    })
}

/// A `start`; `twilio` names the id fields as Twilio does (their values were moved into
/// the id slots).
fn start(raw: RawMessage<'_>, twilio: bool) -> Result<Start> {
    let (stream_id_path, flat_stream_id) = if twilio {
        ("start.streamSid", "streamSid")
    } else {
        ("start.streamId", "streamId")
    };
    let extra_headers = raw.extra_headers.map(|v| headers_text(v).into_owned());
    let top = raw.top.map(|top| *top).unwrap_or_default();
    let (call_id, account_id) = (top.call_id, top.account_id);
    let (from, to, direction) = (owned(top.from), owned(top.to), owned(top.direction));
    match raw.start {
        Some(nested) => {
            let format = nested
                .media_format
                .ok_or_else(|| missing("start", "start.mediaFormat"))?;
            let encoding = required(format.encoding, "start", "start.mediaFormat.encoding")?;
            Ok(Start {
                sequence_number: raw.sequence_number,
                stream_id: required(nested.stream_id.or(raw.stream_id), "start", stream_id_path)?
                    .into_owned(),
                call_id: owned(nested.call_id.or(call_id)),
                account_id: owned(nested.account_id.or(account_id)),
                tracks: match nested.tracks {
                    Some(names) => names
                        .iter()
                        .map(|name| track(track_name(name, twilio), "start", "start.tracks"))
                        .collect::<Result<_>>()?,
                    None => vec![Track::Inbound],
                },
                media_format: media_format(
                    &encoding,
                    format.sample_rate,
                    None,
                    "start",
                    ("start.mediaFormat.encoding", "start.mediaFormat.sampleRate"),
                )?,
                from,
                to,
                direction,
                extra_headers,
            })
        }
        None => {
            // Flat form: ids and `contentType` ("audio/x-l16;rate=8000") at the top level;
            // the platform's default content type when absent.
            let content_type = top.content_type.as_deref().unwrap_or("audio/x-l16");
            let media_format = media_format(
                content_type,
                None,
                Some(8000),
                "start",
                ("contentType", "contentType"),
            )?;
            let tracks = match top.audio_track.as_deref() {
                None => vec![Track::Inbound],
                Some("both") => Track::ALL.to_vec(),
                Some(name) => vec![track(name, "start", "audioTrack")?],
            };
            Ok(Start {
                sequence_number: raw.sequence_number,
                stream_id: required(raw.stream_id, "start", flat_stream_id)?.into_owned(),
                call_id: owned(call_id),
                account_id: owned(account_id),
                tracks,
                media_format,
                from,
                to,
                direction,
                extra_headers,
            })
        }
    }
}

/// `extra_headers` as text: a string's contents (borrowed unless it has escapes), or an
/// inline object's JSON text.
fn headers_text(value: &str) -> Cow<'_, str> {
    if value.starts_with('"') {
        if let Ok(text) = Reader::new(value).string() {
            return text;
        }
    }
    Cow::Borrowed(value)
}

fn check_payload(payload: &str, event: &str, path: &str) -> Result<()> {
    crate::payload::check_base64(payload.as_bytes()).map_err(|e| at_field(e, event, path))
}

fn media<'a>(raw: RawMessage<'a>, options: &ParseOptions) -> Result<Media<'a>> {
    let body = raw.media.ok_or_else(|| missing("media", "media"))?;
    let payload = required(body.payload, "media", "media.payload")?;
    if options.check_payload {
        check_payload(&payload, "media", "media.payload")?;
    }
    Ok(Media {
        sequence_number: raw.sequence_number,
        stream_id: raw.stream_id,
        track: optional_track(body.track, "media", "media.track")?,
        timestamp_ms: body.timestamp,
        chunk: body.chunk,
        payload,
        extra_headers: raw.extra_headers.map(headers_text),
    })
}

/// A track name as `twilio` writes it, which may end in `_track` (`inbound_track`).
fn track_name(name: &str, twilio: bool) -> &str {
    match name.strip_suffix("_track") {
        Some(short) if twilio => short,
        _ => name,
    }
}

/// The error for a `dtmf` field of the other shape than the event's: an object (a keypad
/// digit, `dtmf`) where the digits of Plivo's `sendDTMF` belong, or the reverse.
fn dtmf_shape(event: &str, expected: &str, found: &str) -> Error {
    let reason = format!("expected {expected}, found {found}");
    protocol(ErrorKind::WrongType, event, "dtmf", reason)
}

fn dtmf(raw: RawMessage<'_>, twilio: bool) -> Result<Dtmf> {
    let digits = raw
        .top
        .as_ref()
        .is_some_and(|top| top.dtmf_digits.is_some());
    let body = raw.dtmf.ok_or_else(|| match digits {
        true => dtmf_shape("dtmf", "an object", "a string"),
        false => missing("dtmf", "dtmf"),
    })?;
    let track_text = body.track.as_deref().map(|name| track_name(name, twilio));
    Ok(Dtmf {
        sequence_number: raw.sequence_number,
        stream_id: owned(raw.stream_id),
        track: match track_text {
            Some(name) => track(name, "dtmf", "dtmf.track")?,
            None => Track::Inbound,
        },
        digit: required(body.digit, "dtmf", "dtmf.digit")?.into_owned(),
        timestamp_ms: body.timestamp,
    })
}

fn play_audio<'a>(raw: RawMessage<'a>, options: &ParseOptions) -> Result<PlayAudio<'a>> {
    let body = raw.media.ok_or_else(|| missing("playAudio", "media"))?;
    let content_type = required(body.content_type, "playAudio", "media.contentType")?;
    let media_format = media_format(
        &content_type,
        body.sample_rate,
        None,
        "playAudio",
        ("media.contentType", "media.sampleRate"),
    )?;
    check_play_audio_format(&media_format)
        .map_err(|error| at_field(error, "playAudio", "media.contentType"))?;
    let payload = required(body.payload, "playAudio", "media.payload")?;
    if options.check_payload {
        check_payload(&payload, "playAudio", "media.payload")?;
    }
    Ok(PlayAudio {
        stream_id: owned(raw.stream_id),
        media_format,
        payload,
    })
}

#[cfg(test)]
mod dialect_tests;
#[cfg(test)]
mod tests;
