//! `InboundDecoder` and `OutboundEncoder`: one Python→Rust crossing per WebSocket message.

use audiofork_core::pcm::SampleType;
use audiofork_core::pipeline::{InboundDecoder, OutboundEncoder};
use audiofork_core::resample::Quality;
use audiofork_core::wire::{Batch, DEFAULT_MAX_MESSAGE_BYTES};
use audiofork_core::wire::{Dialect, Track};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::args::{
    DialectArg, FrameMs, MaxMessageSize, OutRate, QualityArg, SampleRate, SampleTypeArg, StreamId,
    TrackArg,
};
use crate::array::new_filled;
use crate::errors;
use crate::events;
use crate::exclusive::{exclusive, shared};
use crate::format::PyMediaFormat;
use crate::input::{detach_if_large, PcmArg, Samples, TextArg};
use crate::wire::message_text;

/// A stats dict of `(key, count)` pairs.
fn stats_dict<'py>(py: Python<'py>, pairs: [(&str, u64); 3]) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, count) in pairs {
        dict.set_item(key, count)?;
    }
    Ok(dict)
}

/// Decodes inbound stream messages to PCM at the app's rate, one call per message.
///
/// ``decode_message(text)`` parses any message; a ``media`` event comes back with ``pcm``
/// already base64-decoded, G.711/L16-decoded and resampled to ``out_rate`` (resampler state
/// is kept per track across frames), and with ``level_dbfs``, the frame's level measured as
/// it was decoded (at the wire rate, in the same pass). ``out_dtype`` is ``"int16"`` or ``"float32"``.
/// ``max_message_size`` (1 to 2**30 bytes, default 1 MiB) refuses longer messages. A
/// ``start`` message switches the decoder to the format it announces, unless
/// ``follow_start`` is false (for a caller that decides itself whether a ``start`` counts,
/// as :class:`~audiofork.session.StreamSession` does: parsing one then changes nothing).
/// ``dialect`` reads messages as that platform writes them; ``None`` takes the first one a
/// message shows (``dialect`` then says which) and refuses the other family from then on.
#[pyclass(module = "audiofork._core", name = "InboundDecoder")]
pub struct PyInboundDecoder {
    inner: InboundDecoder,
    dtype: SampleType,
}

impl PyInboundDecoder {
    /// The frame just read, resampled straight into a new array of `len` samples.
    fn write_pcm<'py>(&mut self, py: Python<'py>, len: usize) -> PyResult<Bound<'py, PyAny>> {
        let inner = &mut self.inner;
        let work = 4 * len;
        Ok(match self.dtype {
            SampleType::Int16 => new_filled(py, len, work, |out| inner.write_i16(out))?.into_any(),
            SampleType::Float32 => {
                new_filled(py, len, work, |out| inner.write_f32(out))?.into_any()
            }
        })
    }
}

#[pymethods]
impl PyInboundDecoder {
    #[new]
    #[pyo3(signature = (media_format, out_rate = None, out_dtype = SampleTypeArg(SampleType::Int16), *, quality = QualityArg(Quality::Default), max_message_size = MaxMessageSize(DEFAULT_MAX_MESSAGE_BYTES), follow_start = true, dialect = None))]
    fn new(
        media_format: PyMediaFormat,
        out_rate: Option<OutRate>,
        out_dtype: SampleTypeArg,
        quality: QualityArg,
        max_message_size: MaxMessageSize,
        follow_start: bool,
        dialect: Option<DialectArg>,
    ) -> PyResult<Self> {
        let format = media_format.0;
        let out_rate = out_rate.map_or(format.sample_rate, |rate| rate.0);
        let mut inner = InboundDecoder::new(format, out_rate, quality.0).map_err(errors::to_py)?;
        inner.set_max_message_bytes(max_message_size.0);
        inner.set_follow_start(follow_start);
        inner.set_dialect(dialect.map(|d| d.0));
        Ok(PyInboundDecoder {
            inner,
            dtype: out_dtype.0,
        })
    }

    /// Parse one message; ``media`` events carry the decoded, resampled ``pcm``.
    fn decode_message<'py>(
        slf: &Bound<'py, Self>,
        text: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (py, mut this) = (slf.py(), exclusive(slf)?);
        let arg = TextArg::extract(text, "text")?;
        let text = message_text(&arg)?;
        let message = this.inner.read_message(text).map_err(errors::to_py)?;
        let decoded = match (this.inner.unwritten_len(), this.inner.frame_energy()) {
            (Some(len), Some(energy)) => Some(events::Decoded {
                pcm: this.write_pcm(py, len)?.unbind(),
                energy,
            }),
            _ => None,
        };
        events::to_py(py, message, text, arg.immutable_source().as_ref(), decoded)
    }

    /// Decode one base64 payload of ``track`` to PCM at ``out_rate``.
    #[pyo3(signature = (payload, track = TrackArg(Track::Inbound)))]
    fn decode_payload<'py>(
        slf: &Bound<'py, Self>,
        payload: &Bound<'py, PyAny>,
        track: TrackArg,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (py, mut this) = (slf.py(), exclusive(slf)?);
        let arg = TextArg::extract(payload, "payload")?;
        let text = message_text(&arg)?;
        let len = this
            .inner
            .read_payload(text, track.0)
            .map_err(errors::to_py)?;
        this.write_pcm(py, len)
    }

    /// Forget resampler history.
    fn reset(slf: &Bound<'_, Self>) -> PyResult<()> {
        exclusive(slf)?.inner.reset();
        Ok(())
    }

    /// The wire format being decoded.
    #[getter]
    fn media_format(slf: &Bound<'_, Self>) -> PyResult<PyMediaFormat> {
        Ok(PyMediaFormat(shared(slf)?.inner.format()))
    }

    /// The stream's dialect (``"vobiz"``, ``"plivo"``, ``"twilio"``): given, or shown by a
    /// message read; ``None`` until one is known.
    #[getter]
    fn dialect(slf: &Bound<'_, Self>) -> PyResult<Option<&'static str>> {
        Ok(shared(slf)?.inner.dialect().map(Dialect::name))
    }

    /// The output sample rate.
    #[getter]
    fn out_rate(slf: &Bound<'_, Self>) -> PyResult<u32> {
        Ok(shared(slf)?.inner.out_rate())
    }

    /// ``"int16"`` or ``"float32"``.
    #[getter]
    fn out_dtype(slf: &Bound<'_, Self>) -> PyResult<&'static str> {
        Ok(shared(slf)?.dtype.name())
    }

    /// ``frames_decoded``: media frames decoded; ``payload_bytes``: wire bytes (before
    /// base64) decoded; ``frames_refused``: media frames refused as malformed.
    #[getter]
    fn stats<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        let (py, c) = (slf.py(), shared(slf)?.inner.counters());
        stats_dict(
            py,
            [
                ("frames_decoded", c.frames_decoded),
                ("payload_bytes", c.payload_bytes),
                ("frames_refused", c.frames_refused),
            ],
        )
    }
}

/// Encodes app PCM into ``playAudio`` messages of exactly ``frame_ms`` each.
///
/// ``push(pcm, sample_rate)`` takes any chunk size at any supported rate and returns the
/// complete messages it produced; ``flush()`` emits the rest, padded with silence to a whole
/// frame; ``pad_frame()`` pads only the partial frame, keeping resampler history; ``clear()``
/// drops what was not emitted (barge-in). ``frame_ms`` is 1 to 1000; the format must be one
/// ``playAudio`` carries (L16 at 8, 16 or 24 kHz, μ-law at 8 kHz). With ``stream_id=None``
/// (audio played before the stream's id is known) whole frames stay queued, none emitted,
/// until ``address(stream_id)`` returns them. ``dialect="twilio"`` writes Twilio's
/// ``media`` (payload only; μ-law at 8 kHz only) instead of ``playAudio``.
#[pyclass(module = "audiofork._core", name = "OutboundEncoder")]
pub struct PyOutboundEncoder {
    inner: OutboundEncoder,
    batch: Batch,
}

impl PyOutboundEncoder {
    /// The messages written since the last call, as a list of `str`.
    fn take_messages<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::new(py, self.batch.iter().map(|m| PyString::new(py, m)))?;
        self.batch.clear();
        Ok(list)
    }
}

#[pymethods]
impl PyOutboundEncoder {
    #[new]
    #[pyo3(signature = (media_format, stream_id, frame_ms = FrameMs(20), *, quality = QualityArg(Quality::Default), dialect = DialectArg(Dialect::Vobiz)))]
    fn new(
        media_format: PyMediaFormat,
        stream_id: Option<StreamId<'_>>,
        frame_ms: FrameMs,
        quality: QualityArg,
        dialect: DialectArg,
    ) -> PyResult<Self> {
        let (format, frame_ms, quality) = (media_format.0, frame_ms.0, quality.0);
        let dialect = dialect.0;
        let inner = match stream_id {
            Some(id) => OutboundEncoder::new(format, id.as_str(), frame_ms, quality, dialect),
            None => OutboundEncoder::unaddressed(format, frame_ms, quality, dialect),
        }
        .map_err(errors::to_py)?;
        Ok(PyOutboundEncoder {
            inner,
            batch: Batch::new(),
        })
    }

    /// Queue ``pcm`` recorded at ``sample_rate``; returns the ``playAudio`` messages completed.
    /// ``pcm`` is int16, float32 or float64 (full scale ±1, clipped beyond) or little-endian
    /// int16 bytes; a float sample that is NaN or ±inf is a ``CodecError`` naming it, and
    /// nothing is queued.
    fn push<'py>(
        slf: &Bound<'py, Self>,
        pcm: &Bound<'py, PyAny>,
        sample_rate: SampleRate,
    ) -> PyResult<Bound<'py, PyList>> {
        let (py, mut this) = (slf.py(), exclusive(slf)?);
        let sample_rate = sample_rate.0;
        let pcm = PcmArg::extract(pcm, "pcm")?;
        let this = &mut *this;
        let (inner, batch) = (&mut this.inner, &mut this.batch);
        match pcm.samples()? {
            Samples::I16(s) => {
                detach_if_large(py, s.len() * 2, || inner.push_i16(s, sample_rate, batch))
            }
            Samples::F32(s) => {
                detach_if_large(py, s.len() * 4, || inner.push_f32(s, sample_rate, batch))
            }
        }
        .map_err(errors::to_py)?;
        this.take_messages(py)
    }

    /// Emit everything queued, the last frame padded with silence (end of an utterance: the
    /// resampler's delay tail comes out and its history is forgotten).
    fn flush<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyList>> {
        let mut this = exclusive(slf)?;
        let this = &mut *this;
        this.inner.flush(&mut this.batch);
        this.take_messages(slf.py())
    }

    /// Emit the partial frame queued, if any, padded with silence; the resampler keeps its
    /// history, so audio pushed next continues seamlessly (e.g. before a checkpoint).
    fn pad_frame<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyList>> {
        let mut this = exclusive(slf)?;
        let this = &mut *this;
        this.inner.pad_frame(&mut this.batch);
        this.take_messages(slf.py())
    }

    /// Write ``stream_id`` into every message from now on, in ``dialect`` when given (one
    /// detected only with ``start``); returns the whole frames held while no id was known.
    /// A ``dialect`` that cannot carry the format is a ``FormatError`` and changes nothing.
    #[pyo3(signature = (stream_id, dialect = None))]
    fn address<'py>(
        slf: &Bound<'py, Self>,
        stream_id: StreamId<'_>,
        dialect: Option<DialectArg>,
    ) -> PyResult<Bound<'py, PyList>> {
        let mut this = exclusive(slf)?;
        let this = &mut *this;
        let dialect = dialect.map(|d| d.0);
        this.inner
            .address(stream_id.as_str(), dialect, &mut this.batch)
            .map_err(errors::to_py)?;
        this.take_messages(slf.py())
    }

    /// The dialect of the messages written.
    #[getter]
    fn dialect(slf: &Bound<'_, Self>) -> PyResult<&'static str> {
        Ok(shared(slf)?.inner.dialect().name())
    }

    /// Drop what was not yet emitted; returns the milliseconds dropped.
    fn clear(slf: &Bound<'_, Self>) -> PyResult<f64> {
        Ok(exclusive(slf)?.inner.clear())
    }

    /// Milliseconds queued but not yet emitted.
    #[getter]
    fn pending_ms(slf: &Bound<'_, Self>) -> PyResult<f64> {
        Ok(shared(slf)?.inner.pending_ms())
    }

    /// The wire format of the messages.
    #[getter]
    fn media_format(slf: &Bound<'_, Self>) -> PyResult<PyMediaFormat> {
        Ok(PyMediaFormat(shared(slf)?.inner.format()))
    }

    /// The stream id in every message; ``None`` until ``address`` gives one.
    #[getter]
    fn stream_id(slf: &Bound<'_, Self>) -> PyResult<Option<String>> {
        Ok(shared(slf)?.inner.stream_id().map(str::to_owned))
    }

    /// Whole frames queued but not emitted: held until ``address`` while no stream id is
    /// known (an addressed encoder emits each frame as soon as it is whole).
    #[getter]
    fn held_frames(slf: &Bound<'_, Self>) -> PyResult<usize> {
        Ok(shared(slf)?.inner.held_frames())
    }

    /// Samples per frame at the wire rate.
    #[getter]
    fn frame_samples(slf: &Bound<'_, Self>) -> PyResult<usize> {
        Ok(shared(slf)?.inner.frame_samples())
    }

    /// ``frames_emitted``: ``playAudio`` messages emitted; ``payload_bytes``: wire bytes
    /// (before base64) encoded; ``samples_cleared``: samples at the wire rate dropped by
    /// ``clear()``.
    #[getter]
    fn stats<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        let (py, c) = (slf.py(), shared(slf)?.inner.counters());
        stats_dict(
            py,
            [
                ("frames_emitted", c.frames_emitted),
                ("payload_bytes", c.payload_bytes),
                ("samples_cleared", c.samples_cleared),
            ],
        )
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyInboundDecoder>()?;
    m.add_class::<PyOutboundEncoder>()?;
    Ok(())
}
