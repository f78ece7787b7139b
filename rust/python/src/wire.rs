//! `parse_message` and the message builders.

use audiofork_core::wire::{self, MediaFields, ParseOptions, StartFields, Track};
use audiofork_core::{Error, ErrorKind};
use pyo3::prelude::*;

use crate::args::{
    AccountId, CallId, Chunk, Digit, ExtraHeaders, MaxSize, Name, Payload, SequenceNumber,
    StreamId, TimestampMs, TrackArg,
};
use crate::errors;
use crate::events;
use crate::format::PyMediaFormat;
use crate::input::TextArg;

/// Text of a message given as `str` or UTF-8 bytes, or a `ProtocolError`.
pub fn message_text<'a>(text: &'a TextArg<'_>) -> PyResult<&'a str> {
    match text {
        TextArg::Str(s) => s.to_str().map_err(|_| {
            let message = "message is not valid UTF-8: it holds a lone surrogate";
            errors::to_py(Error::Protocol(ErrorKind::BadUtf8, message.into()))
        }),
        TextArg::Bytes(b) => wire::message_str(b.as_slice()).map_err(errors::to_py),
    }
}

/// Parse one stream message (either direction) into its event. Unknown events become
/// ``UnknownEvent``; malformed or oversized messages raise ``ProtocolError`` naming the
/// event and field.
#[pyfunction]
#[pyo3(signature = (text, *, max_size = MaxSize(wire::DEFAULT_MAX_MESSAGE_BYTES)))]
fn parse_message<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyAny>,
    max_size: MaxSize,
) -> PyResult<Bound<'py, PyAny>> {
    let arg = TextArg::extract(text, "text")?;
    let text = message_text(&arg)?;
    let options = ParseOptions {
        max_bytes: max_size.0,
        check_payload: true,
    };
    let message = wire::parse(text, &options).map_err(errors::to_py)?;
    events::to_py(py, message, text, arg.immutable_source().as_ref(), None)
}

fn escaped_payload(payload: &str) -> impl FnOnce(&mut String) + '_ {
    move |out| wire::push_escaped(out, payload)
}

/// One message written by `write` into a new string.
fn written(write: impl FnOnce(&mut String)) -> String {
    let mut out = String::new();
    write(&mut out);
    out
}

/// A ``playAudio`` message carrying ``payload`` (base64) in ``media_format``, which must be
/// one ``playAudio`` carries (L16 at 8, 16 or 24 kHz, or μ-law at 8 kHz).
#[pyfunction]
fn play_audio(
    stream_id: StreamId<'_>,
    media_format: PyMediaFormat,
    payload: Payload<'_>,
) -> PyResult<String> {
    wire::check_play_audio_format(&media_format.0).map_err(errors::to_py)?;
    let payload = payload.as_str();
    let mut out = String::with_capacity(payload.len() + 128);
    wire::write_play_audio(
        &mut out,
        stream_id.as_str(),
        &media_format.0,
        escaped_payload(payload),
    );
    Ok(out)
}

/// A ``checkpoint`` message.
#[pyfunction]
fn checkpoint(stream_id: StreamId<'_>, name: Name<'_>) -> String {
    written(|out| wire::write_checkpoint(out, stream_id.as_str(), name.as_str()))
}

/// A ``clearAudio`` message.
#[pyfunction]
fn clear_audio(stream_id: StreamId<'_>) -> String {
    written(|out| wire::write_clear_audio(out, stream_id.as_str()))
}

/// A ``stop`` message.
#[pyfunction]
fn stop(stream_id: StreamId<'_>) -> String {
    written(|out| wire::write_stop(out, stream_id.as_str()))
}

/// A ``start`` message (nested form), as the platform sends it; ``account_id`` defaults to
/// ``""``, ``tracks`` to ``["inbound"]``, ``sequence_number`` to 0, ``extra_headers`` to
/// ``"{}"``.
#[pyfunction]
#[pyo3(signature = (stream_id, media_format, *, call_id, account_id = None, tracks = vec![TrackArg(Track::Inbound)], sequence_number = SequenceNumber(0), extra_headers = None))]
fn start(
    stream_id: StreamId<'_>,
    media_format: PyMediaFormat,
    call_id: CallId<'_>,
    account_id: Option<AccountId<'_>>,
    tracks: Vec<TrackArg>,
    sequence_number: SequenceNumber,
    extra_headers: Option<ExtraHeaders<'_>>,
) -> String {
    let tracks: Vec<Track> = tracks.into_iter().map(|track| track.0).collect();
    let fields = StartFields {
        sequence_number: sequence_number.0,
        stream_id: stream_id.as_str(),
        call_id: call_id.as_str(),
        account_id: account_id.as_ref().map_or("", AccountId::as_str),
        tracks: &tracks,
        media_format: media_format.0,
        extra_headers: extra_headers.as_ref().map_or("{}", ExtraHeaders::as_str),
    };
    written(|out| wire::write_start(out, &fields))
}

/// A ``media`` message, as the platform sends it; ``extra_headers`` defaults to ``"{}"``.
#[pyfunction]
#[pyo3(signature = (stream_id, payload, *, sequence_number, chunk, timestamp_ms, track = TrackArg(Track::Inbound), extra_headers = None))]
fn media(
    stream_id: StreamId<'_>,
    payload: Payload<'_>,
    sequence_number: SequenceNumber,
    chunk: Chunk,
    timestamp_ms: TimestampMs,
    track: TrackArg,
    extra_headers: Option<ExtraHeaders<'_>>,
) -> String {
    let payload = payload.as_str();
    let mut out = String::with_capacity(payload.len() + 192);
    let fields = MediaFields {
        sequence_number: sequence_number.0,
        stream_id: stream_id.as_str(),
        track: track.0,
        timestamp_ms: timestamp_ms.0,
        chunk: chunk.0,
        extra_headers: extra_headers.as_ref().map_or("{}", ExtraHeaders::as_str),
    };
    wire::write_media(&mut out, &fields, escaped_payload(payload));
    out
}

/// A ``playedStream`` message.
#[pyfunction]
#[pyo3(signature = (name, stream_id = None, sequence_number = None))]
fn played_stream(
    name: Name<'_>,
    stream_id: Option<StreamId<'_>>,
    sequence_number: Option<SequenceNumber>,
) -> String {
    written(|out| {
        wire::write_played_stream(
            out,
            name.as_str(),
            stream_id.as_ref().map(StreamId::as_str),
            sequence_number.map(|n| n.0),
        )
    })
}

/// A ``clearedAudio`` message.
#[pyfunction]
#[pyo3(signature = (stream_id = None, sequence_number = None))]
fn cleared_audio(
    stream_id: Option<StreamId<'_>>,
    sequence_number: Option<SequenceNumber>,
) -> String {
    written(|out| {
        wire::write_cleared_audio(
            out,
            stream_id.as_ref().map(StreamId::as_str),
            sequence_number.map(|n| n.0),
        )
    })
}

/// A ``dtmf`` message.
#[pyfunction]
#[pyo3(signature = (stream_id, digit, *, sequence_number, timestamp_ms, track = TrackArg(Track::Inbound)))]
fn dtmf(
    stream_id: StreamId<'_>,
    digit: Digit<'_>,
    sequence_number: SequenceNumber,
    timestamp_ms: TimestampMs,
    track: TrackArg,
) -> String {
    written(|out| {
        wire::write_dtmf(
            out,
            sequence_number.0,
            stream_id.as_str(),
            track.0,
            digit.as_str(),
            timestamp_ms.0,
        )
    })
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
