//! `Media`: the per-frame event. Its large text fields stay spans of the message object
//! they were parsed from, so a frame's payload is never copied into a new Python string
//! unless asked for.

use std::borrow::Cow;

use audiofork_core::level::{FrameEnergy, LEVEL_FLOOR_DBFS};
use audiofork_core::wire::{self, Track};
use audiofork_core::{Error, ErrorKind};
use numpy::{PyArray1, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyString};
use pyo3::IntoPyObjectExt;

use super::simple::{field_reprs, Headers};
use crate::args::{type_name, Chunk, SequenceNumber, StrArg, TimestampMs, TrackArg};
use crate::errors;

/// A decoded frame: its samples (a numpy array) and energy, which gives its level.
pub struct Decoded {
    pub pcm: Py<PyAny>,
    pub energy: FrameEnergy,
}

/// A `Media` event's level: measured by the decoder (its logarithm taken only when read,
/// so a frame whose level nobody reads costs only the sum of squares), or given.
#[derive(Clone, Copy)]
enum Level {
    Measured(FrameEnergy),
    Given(f64),
}

impl Level {
    fn dbfs(self) -> f64 {
        match self {
            Level::Measured(energy) => energy.level_dbfs(),
            Level::Given(dbfs) => dbfs,
        }
    }
}

/// Text of a `Media` field: a span of the message object it was parsed from (kept alive, not
/// copied: payloads are most of a message), or an owned copy.
enum FieldText {
    Owned(Cow<'static, str>),
    InMessage {
        message: Py<PyAny>,
        start: usize,
        end: usize,
    },
}

impl FieldText {
    /// `value` as a span of `text` (held by `message`) when it points into it.
    fn new(value: Cow<'_, str>, text: &str, message: Option<&Bound<'_, PyAny>>) -> FieldText {
        if let (Cow::Borrowed(slice), Some(message)) = (&value, message) {
            let start = (slice.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
            if start <= text.len() && start + slice.len() <= text.len() {
                return FieldText::InMessage {
                    message: message.clone().unbind(),
                    start,
                    end: start + slice.len(),
                };
            }
        }
        FieldText::Owned(Cow::Owned(value.into_owned()))
    }

    /// Call `f` with the text, without copying it out of the message.
    fn with_str<R>(&self, py: Python<'_>, f: impl FnOnce(&str) -> R) -> PyResult<R> {
        let (message, span) = match self {
            FieldText::Owned(text) => return Ok(f(text)),
            FieldText::InMessage {
                message,
                start,
                end,
            } => (message.bind(py), *start..*end),
        };
        if let Ok(text) = message.cast::<PyString>() {
            return Ok(f(&text.to_str()?[span]));
        }
        // The span was borrowed from this UTF-8 text when the event was made, so only the
        // span needs checking, and the check cannot fail.
        let bytes = message.cast::<PyBytes>()?.as_bytes();
        let text =
            std::str::from_utf8(&bytes[span]).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(f(text))
    }

    fn get<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        self.with_str(py, |text| PyString::new(py, text))
    }

    fn text(&self, py: Python<'_>) -> PyResult<String> {
        self.with_str(py, str::to_owned)
    }
}

/// `extra_headers` text, shared rather than allocated per frame when it is the usual `{}`.
fn interned(value: Cow<'_, str>) -> Cow<'static, str> {
    match value.as_ref() {
        "{}" => Cow::Borrowed("{}"),
        _ => Cow::Owned(value.into_owned()),
    }
}

/// `pcm` as the constructor accepts it: a 1-D int16 or float32 numpy array, or `None`.
fn checked_pcm(pcm: Option<Bound<'_, PyAny>>) -> PyResult<Option<Py<PyAny>>> {
    let Some(pcm) = pcm else {
        return Ok(None);
    };
    if pcm.cast::<PyArray1<i16>>().is_ok() || pcm.cast::<PyArray1<f32>>().is_ok() {
        return Ok(Some(pcm.unbind()));
    }
    Err(PyTypeError::new_err(format!(
        "pcm must be a 1-D int16 or float32 numpy array or None, got {}",
        type_name(&pcm)
    )))
}

/// `level_dbfs` as the constructor accepts it: a real number from the level floor to 0 dBFS
/// (the loudest a frame can be), or `None`.
fn checked_level(level: Option<Bound<'_, PyAny>>) -> PyResult<Option<f64>> {
    let Some(level) = level else {
        return Ok(None);
    };
    let value = match level.extract::<f64>() {
        Ok(value) if !level.is_instance_of::<PyBool>() => value,
        _ => {
            return Err(PyTypeError::new_err(format!(
                "level_dbfs: expected a float or None, got {}",
                type_name(&level)
            )))
        }
    };
    if (LEVEL_FLOOR_DBFS..=0.0).contains(&value) {
        return Ok(Some(value));
    }
    let message = format!("level_dbfs: {value} is out of range ({LEVEL_FLOOR_DBFS} to 0)");
    Err(errors::to_py(Error::Argument(
        ErrorKind::OutOfRange,
        message,
    )))
}

/// ``media``: one chunk of one track. ``payload`` is the base64 text. When an
/// ``InboundDecoder`` produced the event, ``pcm`` holds the decoded samples (int16 or
/// float32, as the decoder's ``out_dtype``) and ``level_dbfs`` the frame's RMS level in dB
/// relative to full scale, measured on the samples as decoded at the wire rate, before any
/// resampling (so the same whatever ``out_rate`` and ``out_dtype``): ``20 * log10(rms /
/// 32768)``, a full-scale sine reading about -3 dBFS, and never below
/// ``LEVEL_FLOOR_DBFS`` (-100.0), which digital silence reads. Otherwise both are ``None``.
#[pyclass(module = "audiofork._core", frozen)]
pub struct Media {
    stream_id: Option<FieldText>,
    sequence_number: Option<u64>,
    track: Track,
    timestamp_ms: Option<u64>,
    chunk: Option<u64>,
    payload: FieldText,
    extra_headers_raw: Option<Cow<'static, str>>,
    pcm: Option<Py<PyAny>>,
    level: Option<Level>,
}

impl Media {
    /// The event for `media` parsed from `text`; `message` is the Python object holding
    /// `text`, if immutable, so the payload can stay in it. `decoded` is the frame's samples
    /// and level, when it was decoded.
    pub fn from_wire(
        media: wire::Media<'_>,
        text: &str,
        message: Option<&Bound<'_, PyAny>>,
        decoded: Option<Decoded>,
    ) -> Media {
        let (pcm, level) = match decoded {
            Some(Decoded { pcm, energy }) => (Some(pcm), Some(Level::Measured(energy))),
            None => (None, None),
        };
        Media {
            stream_id: media.stream_id.map(|id| FieldText::new(id, text, message)),
            sequence_number: media.sequence_number,
            track: media.track,
            timestamp_ms: media.timestamp_ms,
            chunk: media.chunk,
            payload: FieldText::new(media.payload, text, message),
            extra_headers_raw: media.extra_headers.map(interned),
            pcm,
            level,
        }
    }

    fn level_value(&self) -> Option<f64> {
        self.level.map(Level::dbfs)
    }

    fn payload_text(&self, py: Python<'_>) -> PyResult<String> {
        self.payload.text(py)
    }

    fn stream_id_text(&self, py: Python<'_>) -> PyResult<Option<String>> {
        self.stream_id.as_ref().map(|id| id.text(py)).transpose()
    }
}

#[pymethods]
impl Media {
    #[new]
    #[pyo3(signature = (*, payload, stream_id = None, sequence_number = None, track = TrackArg(Track::Inbound), timestamp_ms = None, chunk = None, extra_headers_raw = None, pcm = None, level_dbfs = None))]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        payload: StrArg,
        stream_id: Option<StrArg>,
        sequence_number: Option<SequenceNumber>,
        track: TrackArg,
        timestamp_ms: Option<TimestampMs>,
        chunk: Option<Chunk>,
        extra_headers_raw: Option<StrArg>,
        pcm: Option<Bound<'_, PyAny>>,
        level_dbfs: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let payload = payload.into_string("payload")?;
        let stream_id = stream_id
            .map(|id| id.into_string("stream_id"))
            .transpose()?;
        let extra_headers_raw = extra_headers_raw
            .map(|raw| raw.into_string("extra_headers_raw"))
            .transpose()?;
        Ok(Media {
            stream_id: stream_id.map(|id| FieldText::Owned(Cow::Owned(id))),
            sequence_number: sequence_number.map(|n| n.0),
            track: track.0,
            timestamp_ms: timestamp_ms.map(|t| t.0),
            chunk: chunk.map(|c| c.0),
            payload: FieldText::Owned(Cow::Owned(payload)),
            extra_headers_raw: extra_headers_raw.map(Cow::Owned),
            pcm: checked_pcm(pcm)?,
            level: checked_level(level_dbfs)?.map(Level::Given),
        })
    }

    #[classattr]
    const EVENT: &'static str = "media";

    /// The lowest ``level_dbfs`` reads: digital silence, and anything quieter.
    #[classattr]
    const LEVEL_FLOOR_DBFS: f64 = LEVEL_FLOOR_DBFS;

    #[classattr]
    fn __match_args__() -> (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    ) {
        ("stream_id", "track", "payload", "pcm", "level_dbfs")
    }

    #[getter]
    fn stream_id<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyString>>> {
        self.stream_id.as_ref().map(|id| id.get(py)).transpose()
    }
    #[getter]
    fn sequence_number(&self) -> Option<u64> {
        self.sequence_number
    }
    #[getter]
    fn track(&self) -> &'static str {
        self.track.name()
    }
    #[getter]
    fn timestamp_ms(&self) -> Option<u64> {
        self.timestamp_ms
    }
    #[getter]
    fn chunk(&self) -> Option<u64> {
        self.chunk
    }
    #[getter]
    fn payload<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        self.payload.get(py)
    }
    #[getter]
    fn extra_headers_raw(&self) -> Option<&str> {
        self.extra_headers_raw.as_deref()
    }
    /// ``extra_headers`` parsed to a dict.
    #[getter]
    fn extra_headers(&self) -> Headers {
        Headers::parse(self.extra_headers_raw.as_deref())
    }
    #[getter]
    fn pcm<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        self.pcm.as_ref().map(|pcm| pcm.bind(py).clone())
    }
    #[getter]
    fn level_dbfs(&self) -> Option<f64> {
        self.level_value()
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Ok(other) = other.cast::<Media>() else {
            return Ok(false);
        };
        let other = other.get();
        let same_fields = (
            self.stream_id_text(py)?,
            self.sequence_number,
            &self.track,
            self.timestamp_ms,
            self.chunk,
            self.payload_text(py)?,
            &self.extra_headers_raw,
            self.level_value(),
        ) == (
            other.stream_id_text(py)?,
            other.sequence_number,
            &other.track,
            other.timestamp_ms,
            other.chunk,
            other.payload_text(py)?,
            &other.extra_headers_raw,
            other.level_value(),
        );
        let same_pcm = match (&self.pcm, &other.pcm) {
            (None, None) => true,
            (Some(a), Some(b)) => py
                .import("numpy")?
                .call_method1("array_equal", (a, b))?
                .is_truthy()?,
            _ => false,
        };
        Ok(same_fields && same_pcm)
    }

    /// Python reprs of the fields; the payload shortened to its start and length, the
    /// samples to their count.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let payload = self.payload_text(py)?;
        let start: String = payload.chars().take(24).collect();
        let shown = if start.len() < payload.len() {
            format!(
                "{}… ({} chars)",
                PyString::new(py, &start).repr()?,
                payload.len()
            )
        } else {
            PyString::new(py, &payload).repr()?.to_string()
        };
        let pcm = match &self.pcm {
            Some(pcm) => match pcm.bind(py).cast::<numpy::PyUntypedArray>() {
                Ok(array) => format!("<{} samples>", array.len()),
                Err(_) => pcm.bind(py).repr()?.to_string(),
            },
            None => "None".to_owned(),
        };
        let fields = field_reprs(vec![
            ("stream_id", self.stream_id_text(py)?.into_bound_py_any(py)),
            (
                "sequence_number",
                self.sequence_number.into_bound_py_any(py),
            ),
            ("track", self.track.name().into_bound_py_any(py)),
            ("timestamp_ms", self.timestamp_ms.into_bound_py_any(py)),
            ("chunk", self.chunk.into_bound_py_any(py)),
        ])?;
        let level = self.level_value().into_bound_py_any(py)?.repr()?;
        Ok(format!(
            "Media({fields}, payload={shown}, pcm={pcm}, level_dbfs={level})"
        ))
    }
}
