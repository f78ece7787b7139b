//! [`Message`](super::Message)s as JSON text, in the newest documented form of each
//! [`Dialect`], appended to a caller's `String` so a stream can reuse one buffer. Payload
//! contents are written by a closure, so encoders can put base64 straight into the message.
//! Vobiz and Plivo write the same text; Twilio's differs in names (`streamSid`, `mark`,
//! `clear`, `media` for the app's audio) and writes its counters as strings.

use std::fmt::Write as _;

use super::headers::parse_extra_headers;
use super::json::push_str_literal;
use super::{Dialect, Track};
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

/// A counter as Twilio writes it: a string of digits.
fn push_number_text(out: &mut String, name: &str, value: u64) {
    let _ = write!(out, ",\"{name}\":\"{value}\"");
}

/// `"streamSid":"…"` (Twilio) or `"streamId":"…"`, after a comma.
fn push_stream_id(out: &mut String, dialect: Dialect, stream_id: &str) {
    let name = if dialect.is_twilio() {
        "streamSid"
    } else {
        "streamId"
    };
    push_field(out, name, stream_id);
}

/// The fields of a `start` message (nested form). Twilio's names the ids `streamSid`,
/// `callSid` and `accountSid`, and writes the extra headers as `customParameters`, an
/// object of strings (see [`parse_extra_headers`] for the forms read).
#[derive(Debug, Clone)]
pub struct StartFields<'a> {
    pub dialect: Dialect,
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
    if f.dialect.is_twilio() {
        return write_twilio_start(out, f);
    }
    out.push_str("{\"event\":\"start\"");
    push_number(out, "sequenceNumber", f.sequence_number);
    out.push_str(",\"start\":{\"callId\":");
    push_str_literal(out, f.call_id);
    push_field(out, "streamId", f.stream_id);
    push_field(out, "accountId", f.account_id);
    push_tracks(out, f.tracks);
    out.push_str(",\"mediaFormat\":{\"encoding\":\"");
    out.push_str(f.media_format.encoding.mime());
    out.push('"');
    push_number(out, "sampleRate", u64::from(f.media_format.sample_rate));
    out.push_str("}}");
    push_field(out, "extra_headers", f.extra_headers);
    out.push('}');
}

fn push_tracks(out: &mut String, tracks: &[Track]) {
    out.push_str(",\"tracks\":[");
    for (i, track) in tracks.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str_literal(out, track.name());
    }
    out.push(']');
}

fn write_twilio_start(out: &mut String, f: &StartFields<'_>) {
    out.push_str("{\"event\":\"start\"");
    push_number_text(out, "sequenceNumber", f.sequence_number);
    out.push_str(",\"start\":{\"accountSid\":");
    push_str_literal(out, f.account_id);
    push_field(out, "streamSid", f.stream_id);
    push_field(out, "callSid", f.call_id);
    push_tracks(out, f.tracks);
    out.push_str(",\"customParameters\":{");
    for (i, (key, value)) in parse_extra_headers(f.extra_headers).iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str_literal(out, key);
        out.push(':');
        push_str_literal(out, value);
    }
    out.push_str("},\"mediaFormat\":{\"encoding\":\"");
    out.push_str(f.media_format.encoding.mime());
    out.push('"');
    push_number(out, "sampleRate", u64::from(f.media_format.sample_rate));
    out.push_str(",\"channels\":1}}");
    push_field(out, "streamSid", f.stream_id);
    out.push('}');
}

/// The fields of a `media` message other than its payload (Twilio's has no extra headers).
#[derive(Debug, Clone)]
pub struct MediaFields<'a> {
    pub dialect: Dialect,
    pub sequence_number: u64,
    pub stream_id: &'a str,
    pub track: Track,
    pub timestamp_ms: u64,
    pub chunk: u64,
    pub extra_headers: &'a str,
}

/// Append a `media` message; `payload` appends the base64 payload (no quotes).
pub fn write_media(out: &mut String, f: &MediaFields<'_>, payload: impl FnOnce(&mut String)) {
    if f.dialect.is_twilio() {
        out.push_str("{\"event\":\"media\"");
        push_number_text(out, "sequenceNumber", f.sequence_number);
        out.push_str(",\"media\":{\"track\":");
        push_str_literal(out, f.track.name());
        push_number_text(out, "chunk", f.chunk);
        push_number_text(out, "timestamp", f.timestamp_ms);
        out.push_str(",\"payload\":\"");
        payload(out);
        out.push_str("\"}");
        push_field(out, "streamSid", f.stream_id);
        out.push('}');
        return;
    }
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

/// Append the app's audio message: `playAudio`, or Twilio's `media` (payload only, always
/// μ-law at 8 kHz: `format` is not written); `payload` appends the base64 payload (no
/// quotes).
pub fn write_play_audio(
    out: &mut String,
    dialect: Dialect,
    stream_id: &str,
    format: &MediaFormat,
    payload: impl FnOnce(&mut String),
) {
    if dialect.is_twilio() {
        out.push_str("{\"event\":\"media\",\"streamSid\":");
        push_str_literal(out, stream_id);
        out.push_str(",\"media\":{\"payload\":\"");
        payload(out);
        out.push_str("\"}}");
        return;
    }
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

/// Append a `checkpoint` message (Twilio: the app's `mark`).
pub fn write_checkpoint(out: &mut String, dialect: Dialect, stream_id: &str, name: &str) {
    if dialect.is_twilio() {
        out.push_str("{\"event\":\"mark\",\"streamSid\":");
        push_str_literal(out, stream_id);
        out.push_str(",\"mark\":{\"name\":");
        push_str_literal(out, name);
        out.push_str("}}");
        return;
    }
    out.push_str("{\"event\":\"checkpoint\",\"streamId\":");
    push_str_literal(out, stream_id);
    push_field(out, "name", name);
    out.push('}');
}

/// Append a `clearAudio` message (Twilio: `clear`).
pub fn write_clear_audio(out: &mut String, dialect: Dialect, stream_id: &str) {
    let event = if dialect.is_twilio() {
        "clear"
    } else {
        "clearAudio"
    };
    let _ = write!(out, "{{\"event\":\"{event}\"");
    push_stream_id(out, dialect, stream_id);
    out.push('}');
}

/// Append a `stop` message: the app's (Vobiz, Plivo), or the bare form of Twilio's.
pub fn write_stop(out: &mut String, dialect: Dialect, stream_id: &str) {
    out.push_str("{\"event\":\"stop\"");
    push_stream_id(out, dialect, stream_id);
    out.push('}');
}

fn push_optional_ids(
    out: &mut String,
    dialect: Dialect,
    stream_id: Option<&str>,
    sequence_number: Option<u64>,
) {
    if let Some(seq) = sequence_number {
        if dialect.is_twilio() {
            push_number_text(out, "sequenceNumber", seq);
        } else {
            push_number(out, "sequenceNumber", seq);
        }
    }
    if let Some(id) = stream_id {
        push_stream_id(out, dialect, id);
    }
}

/// Append a `playedStream` message (Twilio: the platform's `mark`).
pub fn write_played_stream(
    out: &mut String,
    dialect: Dialect,
    name: &str,
    stream_id: Option<&str>,
    sequence_number: Option<u64>,
) {
    if dialect.is_twilio() {
        out.push_str("{\"event\":\"mark\"");
        push_optional_ids(out, dialect, stream_id, sequence_number);
        out.push_str(",\"mark\":{\"name\":");
        push_str_literal(out, name);
        out.push_str("}}");
        return;
    }
    out.push_str("{\"event\":\"playedStream\"");
    push_optional_ids(out, dialect, stream_id, sequence_number);
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
    push_optional_ids(out, Dialect::Vobiz, stream_id, sequence_number);
    out.push('}');
}

/// Append a `dtmf` message. Twilio's names the track `inbound_track` and has no timestamp.
pub fn write_dtmf(
    out: &mut String,
    dialect: Dialect,
    sequence_number: u64,
    stream_id: &str,
    track: Track,
    digit: &str,
    timestamp_ms: u64,
) {
    out.push_str("{\"event\":\"dtmf\"");
    push_optional_ids(out, dialect, Some(stream_id), Some(sequence_number));
    if dialect.is_twilio() {
        let _ = write!(out, ",\"dtmf\":{{\"track\":\"{}_track\"", track.name());
        push_field(out, "digit", digit);
        out.push_str("}}");
        return;
    }
    out.push_str(",\"dtmf\":{\"track\":");
    push_str_literal(out, track.name());
    push_field(out, "digit", digit);
    let _ = write!(out, ",\"timestamp\":\"{timestamp_ms}\"}}}}");
}

/// Append Twilio's `connected` message (protocol `Call`, version `1.0.0`).
pub fn write_connected(out: &mut String) {
    out.push_str("{\"event\":\"connected\",\"protocol\":\"Call\",\"version\":\"1.0.0\"}");
}

/// Append Plivo's `sendDTMF` message: play `digits` into the call.
pub fn write_send_dtmf(out: &mut String, digits: &str) {
    out.push_str("{\"event\":\"sendDTMF\"");
    push_field(out, "dtmf", digits);
    out.push('}');
}
