//! A parsed [`Message`] as its Python event.

use audiofork_core::wire::Message;
use audiofork_core::{Error, ErrorKind};
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyInt};
use pyo3::IntoPyObjectExt;

use super::media::{Decoded, Media};
use super::simple::{
    Checkpoint, ClearAudio, ClearedAudio, Connected, Dtmf, Headers, PlayAudio, PlayedStream,
    SendDtmf, Start, Stop, UnknownEvent,
};
use crate::args::{SequenceNumber, TimestampMs, TrackArg};
use crate::errors;
use crate::format::PyMediaFormat;

/// The Python event for a parsed message. `text` is the message and `source` the Python
/// object holding it, if immutable; `decoded` (the frame's samples and level) is attached to
/// a `Media` event.
pub fn to_py<'py>(
    py: Python<'py>,
    message: Message<'_>,
    text: &str,
    source: Option<&Bound<'py, PyAny>>,
    decoded: Option<Decoded>,
) -> PyResult<Bound<'py, PyAny>> {
    match message {
        Message::Media(media) => {
            Media::from_wire(media, text, source, decoded).into_bound_py_any(py)
        }
        Message::Start(s) => Start {
            extra_headers: Headers::parse(s.extra_headers.as_deref()),
            extra_headers_raw: s.extra_headers,
            stream_id: s.stream_id,
            media_format: PyMediaFormat(s.media_format),
            call_id: s.call_id,
            account_id: s.account_id,
            tracks: s.tracks.into_iter().map(TrackArg).collect(),
            sequence_number: s.sequence_number.map(SequenceNumber),
            from_: s.from,
            to: s.to,
            direction: s.direction,
        }
        .into_bound_py_any(py),
        Message::PlayedStream(p) => PlayedStream {
            name: p.name,
            stream_id: p.stream_id,
            sequence_number: p.sequence_number.map(SequenceNumber),
        }
        .into_bound_py_any(py),
        Message::ClearedAudio(c) => ClearedAudio {
            stream_id: c.stream_id,
            sequence_number: c.sequence_number.map(SequenceNumber),
        }
        .into_bound_py_any(py),
        Message::Dtmf(d) => Dtmf {
            digit: d.digit,
            stream_id: d.stream_id,
            track: TrackArg(d.track),
            sequence_number: d.sequence_number.map(SequenceNumber),
            timestamp_ms: d.timestamp_ms.map(TimestampMs),
        }
        .into_bound_py_any(py),
        Message::Stop(s) => Stop {
            stream_id: s.stream_id,
            sequence_number: s.sequence_number.map(SequenceNumber),
        }
        .into_bound_py_any(py),
        Message::PlayAudio(p) => PlayAudio {
            stream_id: p.stream_id,
            media_format: PyMediaFormat(p.media_format),
            payload: p.payload.into_owned(),
        }
        .into_bound_py_any(py),
        Message::Checkpoint(c) => Checkpoint {
            stream_id: c.stream_id,
            name: c.name,
        }
        .into_bound_py_any(py),
        Message::ClearAudio(c) => ClearAudio {
            stream_id: c.stream_id,
        }
        .into_bound_py_any(py),
        Message::Connected(c) => Connected {
            protocol: c.protocol,
            version: c.version,
        }
        .into_bound_py_any(py),
        Message::SendDtmf(s) => SendDtmf {
            digits: s.digits,
            stream_id: s.stream_id,
        }
        .into_bound_py_any(py),
        Message::Unknown { event } => {
            let raw = unknown_raw(py, text)?;
            UnknownEvent {
                event,
                raw: raw.unbind(),
            }
            .into_bound_py_any(py)
        }
    }
}

/// An unknown event's whole message as Python values. The reader has checked the text is
/// JSON; the one thing `json.loads` can still refuse is an integer longer than Python's
/// `int()` digit limit, which the retry keeps exactly as a `decimal.Decimal`.
fn unknown_raw<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let json = py.import("json")?;
    if let Ok(raw) = json.call_method1("loads", (text,)) {
        return Ok(raw);
    }
    let decimal = py.import("decimal")?.getattr("Decimal")?.unbind();
    let parse_int = PyCFunction::new_closure(
        py,
        None,
        None,
        move |args, _kwargs| -> PyResult<Py<PyAny>> {
            let py = args.py();
            let digits = args.get_item(0)?;
            let value = py.get_type::<PyInt>().call1((&digits,));
            Ok(value
                .or_else(|_| decimal.bind(py).call1((&digits,)))?
                .unbind())
        },
    )?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("parse_int", parse_int)?;
    json.call_method("loads", (text,), Some(&kwargs))
        .map_err(|error| {
            let message = format!("message values: {error}");
            errors::to_py(Error::Protocol(ErrorKind::BadJson, message))
        })
}
