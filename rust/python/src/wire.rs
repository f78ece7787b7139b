//! `parse_message` and the message builders.

use audiofork_core::wire::{self, MediaFields, ParseOptions, StartFields, Track};
use pyo3::prelude::*;

use crate::args::TrackArg;
use crate::errors;
use crate::events;
use crate::format::PyMediaFormat;
use crate::input::TextArg;

/// Text of a message given as `str` or UTF-8 bytes, or a `ProtocolError`.
pub fn message_text<'a>(text: &'a TextArg<'_>) -> PyResult<&'a str> {
    let bytes = match text {
        TextArg::Str(s) => {
            return s.to_str().map_err(|_| {
                errors::to_py(audiofork_core::Error::Protocol(
                    "message is not valid UTF-8: it holds a lone surrogate".into(),
                ))
            })
        }
        TextArg::Bytes(b) => b.as_slice(),
    };
    std::str::from_utf8(bytes).map_err(|e| {
        errors::to_py(audiofork_core::Error::Protocol(format!(
            "message is not valid UTF-8 at byte {}",
            e.valid_up_to()
        )))
    })
}

/// Parse one stream message (either direction) into its event. Unknown events become
/// ``UnknownEvent``; malformed or oversized messages raise ``ProtocolError`` naming the
/// event and field.
#[pyfunction]
#[pyo3(signature = (text, *, max_size = wire::DEFAULT_MAX_MESSAGE_BYTES))]
fn parse_message<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyAny>,
    max_size: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let arg = TextArg::extract(text, "text")?;
    let text = message_text(&arg)?;
    let options = ParseOptions {
        max_bytes: max_size,
        check_payload: true,
    };
    let message = wire::parse(text, &options).map_err(errors::to_py)?;
    events::to_py(py, message, text, arg.immutable_source().as_ref(), None)
}

fn escaped_payload(payload: &str) -> impl FnOnce(&mut String) + '_ {
    move |out| wire::push_escaped(out, payload)
}

/// A ``playAudio`` message carrying ``payload`` (base64) in ``media_format``, which must be
/// one ``playAudio`` carries (L16 at 8, 16 or 24 kHz, or μ-law at 8 kHz).
#[pyfunction]
fn play_audio(stream_id: &str, media_format: PyMediaFormat, payload: &str) -> PyResult<String> {
    wire::check_play_audio_format(&media_format.0).map_err(errors::to_py)?;
    let mut out = String::with_capacity(payload.len() + 128);
    wire::write_play_audio(
        &mut out,
        stream_id,
        &media_format.0,
        escaped_payload(payload),
    );
    Ok(out)
}

/// A ``checkpoint`` message.
#[pyfunction]
fn checkpoint(stream_id: &str, name: &str) -> String {
    let mut out = String::new();
    wire::write_checkpoint(&mut out, stream_id, name);
    out
}

/// A ``clearAudio`` message.
#[pyfunction]
fn clear_audio(stream_id: &str) -> String {
    let mut out = String::new();
    wire::write_clear_audio(&mut out, stream_id);
    out
}

/// A ``stop`` message.
#[pyfunction]
fn stop(stream_id: &str) -> String {
    let mut out = String::new();
    wire::write_stop(&mut out, stream_id);
    out
}

/// A ``start`` message (nested form), as the platform sends it.
#[pyfunction]
#[pyo3(signature = (stream_id, media_format, *, call_id, account_id = "", tracks = vec![TrackArg(Track::Inbound)], sequence_number = 0, extra_headers = "{}"))]
fn start(
    stream_id: &str,
    media_format: PyMediaFormat,
    call_id: &str,
    account_id: &str,
    tracks: Vec<TrackArg>,
    sequence_number: u64,
    extra_headers: &str,
) -> String {
    let tracks: Vec<Track> = tracks.into_iter().map(|track| track.0).collect();
    let mut out = String::new();
    wire::write_start(
        &mut out,
        &StartFields {
            sequence_number,
            stream_id,
            call_id,
            account_id,
            tracks: &tracks,
            media_format: media_format.0,
            extra_headers,
        },
    );
    out
}

/// A ``media`` message, as the platform sends it.
#[pyfunction]
#[pyo3(signature = (stream_id, payload, *, sequence_number, chunk, timestamp_ms, track = TrackArg(Track::Inbound), extra_headers = "{}"))]
fn media(
    stream_id: &str,
    payload: &str,
    sequence_number: u64,
    chunk: u64,
    timestamp_ms: u64,
    track: TrackArg,
    extra_headers: &str,
) -> String {
    let mut out = String::with_capacity(payload.len() + 192);
    let fields = MediaFields {
        sequence_number,
        stream_id,
        track: track.0,
        timestamp_ms,
        chunk,
        extra_headers,
    };
    wire::write_media(&mut out, &fields, escaped_payload(payload));
    out
}

/// A ``playedStream`` message.
#[pyfunction]
#[pyo3(signature = (name, stream_id = None, sequence_number = None))]
fn played_stream(name: &str, stream_id: Option<&str>, sequence_number: Option<u64>) -> String {
    let mut out = String::new();
    wire::write_played_stream(&mut out, name, stream_id, sequence_number);
    out
}

/// A ``clearedAudio`` message.
#[pyfunction]
#[pyo3(signature = (stream_id = None, sequence_number = None))]
fn cleared_audio(stream_id: Option<&str>, sequence_number: Option<u64>) -> String {
    let mut out = String::new();
    wire::write_cleared_audio(&mut out, stream_id, sequence_number);
    out
}

/// A ``dtmf`` message.
#[pyfunction]
#[pyo3(signature = (stream_id, digit, *, sequence_number, timestamp_ms, track = TrackArg(Track::Inbound)))]
fn dtmf(
    stream_id: &str,
    digit: &str,
    sequence_number: u64,
    timestamp_ms: u64,
    track: TrackArg,
) -> String {
    let mut out = String::new();
    wire::write_dtmf(
        &mut out,
        sequence_number,
        stream_id,
        track.0,
        digit,
        timestamp_ms,
    );
    out
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("DEFAULT_MAX_MESSAGE_BYTES", wire::DEFAULT_MAX_MESSAGE_BYTES)?;
    m.add_function(wrap_pyfunction!(parse_message, m)?)?;
    m.add_function(wrap_pyfunction!(play_audio, m)?)?;
    m.add_function(wrap_pyfunction!(checkpoint, m)?)?;
    m.add_function(wrap_pyfunction!(clear_audio, m)?)?;
    m.add_function(wrap_pyfunction!(stop, m)?)?;
    m.add_function(wrap_pyfunction!(start, m)?)?;
    m.add_function(wrap_pyfunction!(media, m)?)?;
    m.add_function(wrap_pyfunction!(played_stream, m)?)?;
    m.add_function(wrap_pyfunction!(cleared_audio, m)?)?;
    m.add_function(wrap_pyfunction!(dtmf, m)?)?;
    Ok(())
}
