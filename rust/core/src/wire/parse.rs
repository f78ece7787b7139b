//! JSON text → [`Message`]: serde_json borrowing from the input into one liberal raw shape,
//! then checks that name the event and field.
//!
//! Measured on a 20 ms μ-law `media` message (`benches/wire.rs`): this parser ~670 ns, a
//! minimal jiter walk that only extracts `event` and `media.payload` ~400 ns, a generic
//! `serde_json::Value` parse slower than both. serde_json with derived, borrowed structs is
//! kept for now because every variant is declared once and type errors get their field path
//! (from `serde_path_to_error`, on a second pass that runs only for messages that already
//! failed); a hand-written jiter parser is the known way to win back part of the gap.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::json::{FlexibleU64, JsonStr};
use super::{
    Checkpoint, ClearAudio, ClearedAudio, Dtmf, Media, Message, PlayAudio, PlayedStream, Start,
    Stop, DEFAULT_MAX_MESSAGE_BYTES,
};
use crate::error::{Error, Result};
use crate::format::{check_rate, ByteOrder, ContentType, Encoding, MediaFormat};

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

type Text<'a> = Option<JsonStr<'a>>;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMessage<'a> {
    #[serde(borrow)]
    event: Text<'a>,
    sequence_number: Option<FlexibleU64>,
    #[serde(borrow)]
    stream_id: Text<'a>,
    #[serde(borrow)]
    name: Text<'a>,
    // Boxed: rare messages should not make every parse move a larger struct.
    #[serde(borrow)]
    start: Option<Box<RawStart<'a>>>,
    #[serde(borrow)]
    media: Option<RawMedia<'a>>,
    #[serde(borrow)]
    dtmf: Option<Box<RawDtmf<'a>>>,
    #[serde(borrow, rename = "extra_headers")]
    extra_headers: Option<&'a RawValue>,
}

/// The flat (older) `start` form's top-level fields, read in a second pass only for such
/// messages so that the common path moves a smaller struct.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFlatStart<'a> {
    #[serde(borrow)]
    call_id: Text<'a>,
    #[serde(borrow)]
    account_id: Text<'a>,
    #[serde(borrow)]
    content_type: Text<'a>,
    #[serde(borrow)]
    audio_track: Text<'a>,
    #[serde(borrow)]
    from: Text<'a>,
    #[serde(borrow)]
    to: Text<'a>,
    #[serde(borrow)]
    direction: Text<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawStart<'a> {
    #[serde(borrow)]
    call_id: Text<'a>,
    #[serde(borrow)]
    stream_id: Text<'a>,
    #[serde(borrow)]
    account_id: Text<'a>,
    tracks: Option<Vec<String>>,
    #[serde(borrow)]
    media_format: Option<RawMediaFormat<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMediaFormat<'a> {
    #[serde(borrow)]
    encoding: Text<'a>,
    sample_rate: Option<FlexibleU64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMedia<'a> {
    #[serde(borrow)]
    track: Text<'a>,
    timestamp: Option<FlexibleU64>,
    chunk: Option<FlexibleU64>,
    #[serde(borrow)]
    payload: Text<'a>,
    #[serde(borrow)]
    content_type: Text<'a>,
    sample_rate: Option<FlexibleU64>,
}

#[derive(Deserialize)]
struct RawDtmf<'a> {
    #[serde(borrow)]
    track: Text<'a>,
    #[serde(borrow)]
    digit: Text<'a>,
    timestamp: Option<FlexibleU64>,
}

fn protocol(event: &str, field: &str, reason: impl std::fmt::Display) -> Error {
    Error::Protocol(format!("{event}.{field}: {reason}"))
}

fn required<'a>(value: Text<'a>, event: &str, field: &str) -> Result<Cow<'a, str>> {
    value
        .map(|text| text.0)
        .ok_or_else(|| protocol(event, field, "missing"))
}

fn owned(value: Text<'_>) -> Option<String> {
    value.map(|text| text.0.into_owned())
}

fn as_str<'a, 'b>(value: &'b Text<'a>) -> Option<&'b str> {
    value.as_ref().map(|text| text.0.as_ref())
}

fn number(value: Option<FlexibleU64>) -> Option<u64> {
    value.map(|n| n.0)
}

/// The path of a type error, from a second, slower pass that tracks it.
fn describe_json_error<'a, T: Deserialize<'a>>(text: &'a str, error: serde_json::Error) -> Error {
    if error.is_syntax() || error.is_eof() {
        return Error::Protocol(format!("message is not valid JSON: {error}"));
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(tracked) if tracked.path().to_string() != "." => {
            let path = tracked.path().to_string();
            let event = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v.get("event")?.as_str().map(str::to_owned));
            let qualified = match event {
                Some(event) if path != event && !path.starts_with(&format!("{event}.")) => {
                    format!("{event}.{path}")
                }
                _ => path,
            };
            Error::Protocol(format!("{qualified}: {}", tracked.inner()))
        }
        _ => Error::Protocol(format!("message is not valid: {error}")),
    }
}

/// Parse one message. See the module docs for what is accepted.
pub fn parse<'a>(text: &'a str, options: &ParseOptions) -> Result<Message<'a>> {
    if text.len() > options.max_bytes {
        return Err(Error::Protocol(format!(
            "message is {} bytes, limit {}",
            text.len(),
            options.max_bytes
        )));
    }
    if !text.trim_start().starts_with('{') {
        return Err(Error::Protocol(
            "message must be a JSON object with an \"event\" field".into(),
        ));
    }
    let raw: RawMessage<'_> =
        serde_json::from_str(text).map_err(|e| describe_json_error::<RawMessage<'_>>(text, e))?;
    let event = as_str(&raw.event)
        .ok_or_else(|| Error::Protocol("message has no \"event\" field".into()))?;
    Ok(match event {
        "start" => Message::Start(Box::new(start(raw, text)?)),
        "media" => Message::Media(media(raw, options)?),
        "playedStream" => Message::PlayedStream(PlayedStream {
            name: required(raw.name, "playedStream", "name")?.into_owned(),
            stream_id: owned(raw.stream_id),
            sequence_number: number(raw.sequence_number),
        }),
        "clearedAudio" => Message::ClearedAudio(ClearedAudio {
            stream_id: owned(raw.stream_id),
            sequence_number: number(raw.sequence_number),
        }),
        "dtmf" => Message::Dtmf(dtmf(raw)?),
        "stop" => Message::Stop(Stop {
            stream_id: owned(raw.stream_id),
            sequence_number: number(raw.sequence_number),
        }),
        "playAudio" => Message::PlayAudio(play_audio(raw, options)?),
        "checkpoint" => Message::Checkpoint(Checkpoint {
            stream_id: required(raw.stream_id, "checkpoint", "streamId")?.into_owned(),
            name: required(raw.name, "checkpoint", "name")?.into_owned(),
        }),
        "clearAudio" => Message::ClearAudio(ClearAudio {
            stream_id: required(raw.stream_id, "clearAudio", "streamId")?.into_owned(),
        }),
        other => Message::Unknown {
            event: other.to_owned(),
        },
    })
}

fn rate_u32(rate: u64, event: &str, field: &str) -> Result<u32> {
    u32::try_from(rate)
        .ok()
        .filter(|&r| r > 0)
        .ok_or_else(|| protocol(event, field, format!("{rate} is not a valid sample rate")))
}

/// A validated inbound format from an encoding (maybe with `;rate=`) and an optional rate.
/// `default_rate` applies when neither the field nor the content type gives one.
fn media_format(
    encoding: &str,
    rate: Option<u64>,
    default_rate: Option<u32>,
    event: &str,
    (encoding_field, rate_field): (&str, &str),
) -> Result<MediaFormat> {
    let content_type =
        ContentType::parse(encoding).map_err(|e| protocol(event, encoding_field, e))?;
    let rate = match (rate, content_type.rate.or(default_rate)) {
        (Some(rate), _) => rate_u32(rate, event, rate_field)?,
        (None, Some(rate)) => rate,
        (None, None) => return Err(protocol(event, rate_field, "missing")),
    };
    check_rate(content_type.encoding, rate)
        .map_err(|reason| protocol(event, rate_field, reason))?;
    Ok(MediaFormat {
        encoding: content_type.encoding,
        sample_rate: rate,
        byte_order: ByteOrder::Little,
    })
}

fn start(raw: RawMessage<'_>, text: &str) -> Result<Start> {
    let extra_headers = raw.extra_headers.map(|v| headers_text(v).into_owned());
    // The same text parsed before, so only a type error in these fields can fail here.
    let flat: RawFlatStart<'_> =
        serde_json::from_str(text).map_err(|e| describe_json_error::<RawFlatStart<'_>>(text, e))?;
    let (call_id, account_id) = (flat.call_id, flat.account_id);
    let (from, to, direction) = (owned(flat.from), owned(flat.to), owned(flat.direction));
    match raw.start {
        Some(nested) => {
            let format = nested
                .media_format
                .ok_or_else(|| protocol("start", "mediaFormat", "missing"))?;
            let encoding = required(format.encoding, "start", "mediaFormat.encoding")?;
            Ok(Start {
                sequence_number: number(raw.sequence_number),
                stream_id: required(nested.stream_id.or(raw.stream_id), "start", "streamId")?
                    .into_owned(),
                call_id: owned(nested.call_id.or(call_id)),
                account_id: owned(nested.account_id.or(account_id)),
                tracks: nested.tracks.unwrap_or_else(|| vec!["inbound".to_owned()]),
                media_format: media_format(
                    &encoding,
                    number(format.sample_rate),
                    None,
                    "start",
                    ("mediaFormat.encoding", "mediaFormat.sampleRate"),
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
            let content_type = as_str(&flat.content_type).unwrap_or("audio/x-l16");
            let media_format = media_format(
                content_type,
                None,
                Some(8000),
                "start",
                ("contentType", "contentType"),
            )?;
            let track = as_str(&flat.audio_track).unwrap_or("inbound");
            let tracks = if track == "both" {
                vec!["inbound".to_owned(), "outbound".to_owned()]
            } else {
                vec![track.to_owned()]
            };
            Ok(Start {
                sequence_number: number(raw.sequence_number),
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
fn headers_text(value: &RawValue) -> Cow<'_, str> {
    let text = value.get();
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) if !inner.contains('\\') => Cow::Borrowed(inner),
        Some(_) => serde_json::from_str::<String>(text)
            .map(Cow::Owned)
            .unwrap_or(Cow::Borrowed(text)),
        None => Cow::Borrowed(text),
    }
}

fn check_payload(payload: &str, event: &str) -> Result<()> {
    crate::payload::check_base64(payload.as_bytes()).map_err(|e| protocol(event, "payload", e))
}

fn media<'a>(raw: RawMessage<'a>, options: &ParseOptions) -> Result<Media<'a>> {
    let body = raw
        .media
        .ok_or_else(|| protocol("media", "media", "missing"))?;
    let payload = required(body.payload, "media", "payload")?;
    if options.check_payload {
        check_payload(&payload, "media")?;
    }
    Ok(Media {
        sequence_number: number(raw.sequence_number),
        stream_id: raw.stream_id.map(|id| id.0),
        track: body.track.map_or(Cow::Borrowed("inbound"), |track| track.0),
        timestamp_ms: number(body.timestamp),
        chunk: number(body.chunk),
        payload,
        extra_headers: raw.extra_headers.map(headers_text),
    })
}

fn dtmf(raw: RawMessage<'_>) -> Result<Dtmf> {
    let body = raw
        .dtmf
        .ok_or_else(|| protocol("dtmf", "dtmf", "missing"))?;
    Ok(Dtmf {
        sequence_number: number(raw.sequence_number),
        stream_id: owned(raw.stream_id),
        track: owned(body.track).unwrap_or_else(|| "inbound".to_owned()),
        digit: required(body.digit, "dtmf", "dtmf.digit")?.into_owned(),
        timestamp_ms: number(body.timestamp),
    })
}

fn play_audio<'a>(raw: RawMessage<'a>, options: &ParseOptions) -> Result<PlayAudio<'a>> {
    let stream_id = required(raw.stream_id, "playAudio", "streamId")?.into_owned();
    let body = raw
        .media
        .ok_or_else(|| protocol("playAudio", "media", "missing"))?;
    let content_type = required(body.content_type, "playAudio", "media.contentType")?;
    let media_format = media_format(
        &content_type,
        number(body.sample_rate),
        None,
        "playAudio",
        ("media.contentType", "media.sampleRate"),
    )?;
    if media_format.encoding == Encoding::Alaw {
        return Err(protocol(
            "playAudio",
            "media.contentType",
            "audio/x-alaw is not accepted (audio/x-l16 or audio/x-mulaw)",
        ));
    }
    let payload = required(body.payload, "playAudio", "media.payload")?;
    if options.check_payload {
        check_payload(&payload, "playAudio.media")?;
    }
    Ok(PlayAudio {
        stream_id,
        media_format,
        payload,
    })
}

#[cfg(test)]
mod tests;
