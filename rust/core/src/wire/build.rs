//! [`Message`](super::Message)s as JSON text, in the newest documented form, appended to a
//! caller's `String` so a stream can reuse one buffer. Payload contents are written by a
//! closure, so encoders can put base64 straight into the message.

use std::fmt::Write as _;

use super::json::push_str_literal;
use super::Track;
use crate::format::MediaFormat;

fn push_field(out: &mut String, name: &str, value: &str) {
    out.push_str(",\"");
    out.push_str(name);
    out.push_str("\":");
    push_str_literal(out, value);
}

fn push_number(out: &mut String, name: &str, value: u64) {
    // Writing to a String cannot fail.
    let _ = write!(out, ",\"{name}\":{value}");
}

/// The fields of a `start` message (nested form).
#[derive(Debug, Clone)]
pub struct StartFields<'a> {
    pub sequence_number: u64,
    pub stream_id: &'a str,
    pub call_id: &'a str,
    pub account_id: &'a str,
    pub tracks: &'a [Track],
    pub media_format: MediaFormat,
    pub extra_headers: &'a str,
}

/// Append a `start` message.
pub fn write_start(out: &mut String, f: &StartFields<'_>) {
    out.push_str("{\"event\":\"start\"");
    push_number(out, "sequenceNumber", f.sequence_number);
    out.push_str(",\"start\":{\"callId\":");
    push_str_literal(out, f.call_id);
    push_field(out, "streamId", f.stream_id);
    push_field(out, "accountId", f.account_id);
    out.push_str(",\"tracks\":[");
    for (i, track) in f.tracks.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str_literal(out, track.name());
    }
    out.push_str("],\"mediaFormat\":{\"encoding\":\"");
    out.push_str(f.media_format.encoding.mime());
    out.push('"');
    push_number(out, "sampleRate", u64::from(f.media_format.sample_rate));
    out.push_str("}}");
    push_field(out, "extra_headers", f.extra_headers);
    out.push('}');
}

/// The fields of a `media` message other than its payload.
#[derive(Debug, Clone)]
pub struct MediaFields<'a> {
    pub sequence_number: u64,
    pub stream_id: &'a str,
    pub track: Track,
    pub timestamp_ms: u64,
    pub chunk: u64,
    pub extra_headers: &'a str,
}

/// Append a `media` message; `payload` appends the base64 payload (no quotes).
pub fn write_media(out: &mut String, f: &MediaFields<'_>, payload: impl FnOnce(&mut String)) {
    out.push_str("{\"event\":\"media\"");
    push_number(out, "sequenceNumber", f.sequence_number);
    push_field(out, "streamId", f.stream_id);
    out.push_str(",\"media\":{\"track\":");
    push_str_literal(out, f.track.name());
    // The timestamp is a string on the wire (newest form).
    let _ = write!(out, ",\"timestamp\":\"{}\"", f.timestamp_ms);
    push_number(out, "chunk", f.chunk);
    out.push_str(",\"payload\":\"");
    payload(out);
    out.push_str("\"}");
    push_field(out, "extra_headers", f.extra_headers);
    out.push('}');
}

/// Append a `playAudio` message; `payload` appends the base64 payload (no quotes).
pub fn write_play_audio(
    out: &mut String,
    stream_id: &str,
    format: &MediaFormat,
    payload: impl FnOnce(&mut String),
) {
    out.push_str("{\"event\":\"playAudio\",\"streamId\":");
    push_str_literal(out, stream_id);
    out.push_str(",\"media\":{\"contentType\":\"");
    out.push_str(format.encoding.mime());
    out.push('"');
    push_number(out, "sampleRate", u64::from(format.sample_rate));
    out.push_str(",\"payload\":\"");
    payload(out);
    out.push_str("\"}}");
}

/// Append a `checkpoint` message.
pub fn write_checkpoint(out: &mut String, stream_id: &str, name: &str) {
    out.push_str("{\"event\":\"checkpoint\",\"streamId\":");
    push_str_literal(out, stream_id);
    push_field(out, "name", name);
    out.push('}');
}

/// Append a `clearAudio` message.
pub fn write_clear_audio(out: &mut String, stream_id: &str) {
    out.push_str("{\"event\":\"clearAudio\",\"streamId\":");
    push_str_literal(out, stream_id);
    out.push('}');
}

/// Append a `stop` message.
pub fn write_stop(out: &mut String, stream_id: &str) {
    out.push_str("{\"event\":\"stop\",\"streamId\":");
    push_str_literal(out, stream_id);
    out.push('}');
}

fn push_optional_ids(out: &mut String, stream_id: Option<&str>, sequence_number: Option<u64>) {
    if let Some(seq) = sequence_number {
        push_number(out, "sequenceNumber", seq);
    }
    if let Some(id) = stream_id {
        push_field(out, "streamId", id);
    }
}

/// Append a `playedStream` message.
pub fn write_played_stream(
    out: &mut String,
    name: &str,
    stream_id: Option<&str>,
    sequence_number: Option<u64>,
) {
    out.push_str("{\"event\":\"playedStream\"");
    push_optional_ids(out, stream_id, sequence_number);
    push_field(out, "name", name);
    out.push('}');
}

/// Append a `clearedAudio` message.
pub fn write_cleared_audio(
    out: &mut String,
    stream_id: Option<&str>,
    sequence_number: Option<u64>,
) {
    out.push_str("{\"event\":\"clearedAudio\"");
    push_optional_ids(out, stream_id, sequence_number);
    out.push('}');
}

/// Append a `dtmf` message.
pub fn write_dtmf(
    out: &mut String,
    sequence_number: u64,
    stream_id: &str,
    track: Track,
    digit: &str,
    timestamp_ms: u64,
) {
    out.push_str("{\"event\":\"dtmf\"");
    push_optional_ids(out, Some(stream_id), Some(sequence_number));
    out.push_str(",\"dtmf\":{\"track\":");
    push_str_literal(out, track.name());
    push_field(out, "digit", digit);
    let _ = write!(out, ",\"timestamp\":\"{timestamp_ms}\"}}}}");
}
