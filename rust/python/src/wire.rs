//! `parse_message`, `detect_dialect` and the message builders, each in a dialect.

use audiofork_core::wire::{self, Dialect, MediaFields, ParseOptions, Sender, StartFields, Track};
use audiofork_core::{Error, ErrorKind};
use pyo3::prelude::*;

use crate::args::{
    AccountId, CallId, Chunk, DialectArg, Digit, Digits, ExtraHeaders, MaxSize, Name, Payload,
    SenderArg, SequenceNumber, StreamId, TimestampMs, TrackArg,
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
/// event and field. ``dialect`` (``None``: the one the message shows, else Vobiz) reads
/// the message as that platform writes it, and refuses one of the other family
/// (``kind="wrong_dialect"``); ``sender`` decides Twilio's two-way ``media`` and ``mark``.
#[pyfunction]
#[pyo3(signature = (text, *, max_size = MaxSize(wire::DEFAULT_MAX_MESSAGE_BYTES), dialect = None, sender = SenderArg(Sender::Platform)))]
fn parse_message<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyAny>,
    max_size: MaxSize,
    dialect: Option<DialectArg>,
    sender: SenderArg,
) -> PyResult<Bound<'py, PyAny>> {
    let arg = TextArg::extract(text, "text")?;
    let text = message_text(&arg)?;
    let options = ParseOptions {
        max_bytes: max_size.0,
        check_payload: true,
        dialect: dialect.map(|d| d.0),
        sender: sender.0,
    };
    let message = wire::parse(text, &options).map_err(errors::to_py)?;
    events::to_py(py, message, text, arg.immutable_source().as_ref(), None)
}

/// The dialect a message shows: ``"twilio"`` (``connected``, ``mark``, ``streamSid``, …),
/// ``"vobiz"`` for the Vobiz/Plivo family (``playedStream``, ``streamId``, …), or ``None``
/// when any dialect could have sent it. ``ProtocolError`` for a malformed message.
#[pyfunction]
#[pyo3(signature = (text, *, max_size = MaxSize(wire::DEFAULT_MAX_MESSAGE_BYTES)))]
fn detect_dialect(text: &Bound<'_, PyAny>, max_size: MaxSize) -> PyResult<Option<&'static str>> {
    let arg = TextArg::extract(text, "text")?;
    let text = message_text(&arg)?;
    let options = ParseOptions {
        max_bytes: max_size.0,
        check_payload: false,
        ..ParseOptions::default()
    };
    let (_, shown) = wire::parse_shown(text, &options).map_err(errors::to_py)?;
    Ok(shown.map(|shown| shown.dialect().name()))
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

const VOBIZ: DialectArg = DialectArg(Dialect::Vobiz);

/// A ``playAudio`` message carrying ``payload`` (base64) in ``media_format``, which must be
/// one ``playAudio`` carries (L16 at 8, 16 or 24 kHz, or μ-law at 8 kHz); Twilio's ``media``
/// (payload only), which carries μ-law at 8 kHz only.
#[pyfunction]
#[pyo3(signature = (stream_id, media_format, payload, *, dialect = VOBIZ))]
fn play_audio(
    stream_id: StreamId<'_>,
    media_format: PyMediaFormat,
    payload: Payload<'_>,
    dialect: DialectArg,
) -> PyResult<String> {
    wire::check_app_audio_format(&media_format.0, dialect.0).map_err(errors::to_py)?;
    let payload = payload.as_str();
    let mut out = String::with_capacity(payload.len() + 128);
    wire::write_play_audio(
        &mut out,
        dialect.0,
        stream_id.as_str(),
        &media_format.0,
        escaped_payload(payload),
    );
    Ok(out)
}

/// A ``checkpoint`` message (Twilio: the app's ``mark``).
#[pyfunction]
#[pyo3(signature = (stream_id, name, *, dialect = VOBIZ))]
fn checkpoint(stream_id: StreamId<'_>, name: Name<'_>, dialect: DialectArg) -> String {
    written(|out| wire::write_checkpoint(out, dialect.0, stream_id.as_str(), name.as_str()))
}

/// A ``clearAudio`` message (Twilio: ``clear``).
#[pyfunction]
#[pyo3(signature = (stream_id, *, dialect = VOBIZ))]
fn clear_audio(stream_id: StreamId<'_>, dialect: DialectArg) -> String {
    written(|out| wire::write_clear_audio(out, dialect.0, stream_id.as_str()))
}

/// A ``stop`` message (Twilio: the bare form of the platform's ``stop``).
#[pyfunction]
#[pyo3(signature = (stream_id, *, dialect = VOBIZ))]
fn stop(stream_id: StreamId<'_>, dialect: DialectArg) -> String {
    written(|out| wire::write_stop(out, dialect.0, stream_id.as_str()))
}

/// Twilio's ``connected`` message, the first of a stream.
#[pyfunction]
fn connected() -> String {
    written(wire::write_connected)
}

/// Plivo's ``sendDTMF`` message: play ``digits`` into the call.
#[pyfunction]
fn send_dtmf(digits: Digits<'_>) -> String {
    written(|out| wire::write_send_dtmf(out, digits.as_str()))
}

/// A ``start`` message (nested form), as the platform sends it; ``account_id`` defaults to
/// ``""``, ``tracks`` to ``["inbound"]``, ``sequence_number`` to 0, ``extra_headers`` to
/// ``"{}"``. Twilio's names the ids ``streamSid``, ``callSid`` and ``accountSid`` and
/// writes ``extra_headers`` (``k=v;k=v`` or a JSON object) as ``customParameters``.
#[pyfunction]
#[pyo3(signature = (stream_id, media_format, *, call_id, account_id = None, tracks = vec![TrackArg(Track::Inbound)], sequence_number = SequenceNumber(0), extra_headers = None, dialect = VOBIZ))]
#[allow(clippy::too_many_arguments)]
fn start(
    stream_id: StreamId<'_>,
    media_format: PyMediaFormat,
    call_id: CallId<'_>,
    account_id: Option<AccountId<'_>>,
    tracks: Vec<TrackArg>,
    sequence_number: SequenceNumber,
    extra_headers: Option<ExtraHeaders<'_>>,
    dialect: DialectArg,
) -> String {
    let tracks: Vec<Track> = tracks.into_iter().map(|track| track.0).collect();
    let fields = StartFields {
        dialect: dialect.0,
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

/// A ``media`` message, as the platform sends it; ``extra_headers`` defaults to ``"{}"``
/// (Twilio's has none, and writes its counters as strings).
#[pyfunction]
#[pyo3(signature = (stream_id, payload, *, sequence_number, chunk, timestamp_ms, track = TrackArg(Track::Inbound), extra_headers = None, dialect = VOBIZ))]
#[allow(clippy::too_many_arguments)]
fn media(
    stream_id: StreamId<'_>,
    payload: Payload<'_>,
    sequence_number: SequenceNumber,
    chunk: Chunk,
    timestamp_ms: TimestampMs,
    track: TrackArg,
    extra_headers: Option<ExtraHeaders<'_>>,
    dialect: DialectArg,
) -> String {
    let payload = payload.as_str();
    let mut out = String::with_capacity(payload.len() + 192);
    let fields = MediaFields {
        dialect: dialect.0,
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

/// A ``playedStream`` message (Twilio: the platform's ``mark``).
#[pyfunction]
#[pyo3(signature = (name, stream_id = None, sequence_number = None, *, dialect = VOBIZ))]
fn played_stream(
    name: Name<'_>,
    stream_id: Option<StreamId<'_>>,
    sequence_number: Option<SequenceNumber>,
    dialect: DialectArg,
) -> String {
    written(|out| {
        wire::write_played_stream(
            out,
            dialect.0,
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

/// A ``dtmf`` message (Twilio's has no timestamp and names the track ``inbound_track``).
#[pyfunction]
#[pyo3(signature = (stream_id, digit, *, sequence_number, timestamp_ms, track = TrackArg(Track::Inbound), dialect = VOBIZ))]
fn dtmf(
    stream_id: StreamId<'_>,
    digit: Digit<'_>,
    sequence_number: SequenceNumber,
    timestamp_ms: TimestampMs,
    track: TrackArg,
    dialect: DialectArg,
) -> String {
    written(|out| {
        wire::write_dtmf(
            out,
            dialect.0,
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
    m.add_function(wrap_pyfunction!(detect_dialect, m)?)?;
    m.add_function(wrap_pyfunction!(connected, m)?)?;
    m.add_function(wrap_pyfunction!(send_dtmf, m)?)?;
    Ok(())
}
