//! JSON text → [`Message`]: one pass of [`Reader`] over the text fills a liberal raw shape
//! (every documented variant's fields, borrowed), then checks that name the event and field.
//! A value of the wrong type is remembered with its path and reported once the whole text
//! has been read, so the report can name the event even when `event` comes last; for an
//! unknown event such values are ignored, so new platform events never fail to parse.

use std::borrow::Cow;

use super::reader::{ReadError, ReadResult, Reader, MAX_DEPTH};
use super::{
    check_play_audio_format, field_path, Checkpoint, ClearAudio, ClearedAudio, Dtmf, Media,
    Message, PlayAudio, PlayedStream, Start, Stop, Track, DEFAULT_MAX_MESSAGE_BYTES,
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
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            max_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            check_payload: true,
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
            "dtmf" => {
                let dtmf = read_dtmf(r, bad);
                raw.dtmf = typed(bad, "dtmf", dtmf)?.map(Box::new);
            }
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
            _ => return None,
        })
    }
}

/// Parse one message. See the module docs for what is accepted.
pub fn parse<'a>(text: &'a str, options: &ParseOptions) -> Result<Message<'a>> {
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
        return Ok(Message::Unknown {
            event: event.to_owned(),
        });
    };
    if let Some((path, message)) = bad {
        return Err(protocol(ErrorKind::WrongType, event, &path, message));
    }
    Ok(match kind {
        EventKind::Start => Message::Start(Box::new(start(raw)?)),
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
        EventKind::Dtmf => Message::Dtmf(dtmf(raw)?),
        EventKind::Stop => Message::Stop(Stop {
            stream_id: owned(raw.stream_id),
            sequence_number: raw.sequence_number,
        }),
        EventKind::PlayAudio => Message::PlayAudio(play_audio(raw, options)?),
        EventKind::Checkpoint => Message::Checkpoint(Checkpoint {
            stream_id: required(raw.stream_id, "checkpoint", "streamId")?.into_owned(),
            name: required(raw.name, "checkpoint", "name")?.into_owned(),
        }),
        EventKind::ClearAudio => Message::ClearAudio(ClearAudio {
            stream_id: required(raw.stream_id, "clearAudio", "streamId")?.into_owned(),
        }),
    })
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

fn start(raw: RawMessage<'_>) -> Result<Start> {
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
                stream_id: required(
                    nested.stream_id.or(raw.stream_id),
                    "start",
                    "start.streamId",
                )?
                .into_owned(),
                call_id: owned(nested.call_id.or(call_id)),
                account_id: owned(nested.account_id.or(account_id)),
                tracks: match nested.tracks {
                    Some(names) => names
                        .iter()
                        .map(|name| track(name, "start", "start.tracks"))
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
                stream_id: required(raw.stream_id, "start", "streamId")?.into_owned(),
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

fn dtmf(raw: RawMessage<'_>) -> Result<Dtmf> {
    let body = raw.dtmf.ok_or_else(|| missing("dtmf", "dtmf"))?;
    Ok(Dtmf {
        sequence_number: raw.sequence_number,
        stream_id: owned(raw.stream_id),
        track: optional_track(body.track, "dtmf", "dtmf.track")?,
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
mod tests;
