//! Stream events as frozen Python values: one class per message of the protocol, with
//! snake_case fields, equality, a readable repr and `__match_args__` for `match` statements.

use std::borrow::Cow;

use audiofork_core::wire::{self, Message};
use numpy::PyUntypedArrayMethods;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};
use pyo3::IntoPyObjectExt;

use crate::format::PyMediaFormat;

/// `extra_headers` parsed to a dict, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    fn parse(raw: Option<&str>) -> Headers {
        Headers(raw.map(wire::parse_extra_headers).unwrap_or_default())
    }
}

impl<'py> IntoPyObject<'py> for Headers {
    type Target = PyDict;
    type Output = Bound<'py, PyDict>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (key, value) in self.0 {
            dict.set_item(key, value)?;
        }
        Ok(dict)
    }
}

impl<'py> FromPyObject<'_, 'py> for Headers {
    type Error = PyErr;

    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        let dict = obj.cast::<PyDict>()?;
        dict.iter()
            .map(|(k, v)| Ok((k.extract()?, v.extract()?)))
            .collect::<PyResult<_>>()
            .map(Headers)
    }
}

/// `name=repr(value), …` for a dataclass-style repr.
fn field_reprs(fields: Vec<(&str, PyResult<Bound<'_, PyAny>>)>) -> PyResult<String> {
    let parts: PyResult<Vec<String>> = fields
        .into_iter()
        .map(|(name, value)| Ok(format!("{name}={}", value?.repr()?)))
        .collect();
    Ok(parts?.join(", "))
}

/// Declares an event class: a frozen pyclass with a keyword constructor, getters, equality,
/// hashing, `__match_args__`, a repr in dataclass style and its wire `event` name.
macro_rules! event_class {
    ($(#[$doc:meta])* $name:ident = $event:literal { $($field:ident : $ty:ty = $default:expr),* $(,)? }) => {
        $(#[$doc])*
        #[pyclass(module = "audiofork._core", frozen, get_all, eq, hash)]
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name {
            $(pub $field: $ty,)*
        }

        #[pymethods]
        impl $name {
            #[new]
            #[pyo3(signature = (*, $($field = $default),*))]
            #[allow(clippy::too_many_arguments)]
            fn py_new($($field: $ty),*) -> Self {
                Self { $($field),* }
            }

            /// The message's `event` value on the wire.
            #[classattr]
            const EVENT: &'static str = $event;

            #[classattr]
            fn __match_args__(py: Python<'_>) -> PyResult<Py<PyTuple>> {
                Ok(PyTuple::new(py, [$(stringify!($field)),*])?.unbind())
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                let fields = vec![$((stringify!($field), self.$field.clone().into_bound_py_any(py))),*];
                Ok(format!("{}({})", stringify!($name), field_reprs(fields)?))
            }
        }
    };
}

event_class! {
    /// ``start``: the stream's ids and inbound format; the first message of a stream.
    Start = "start" {
        stream_id: String = String::new(),
        media_format: PyMediaFormat = PyMediaFormat(audiofork_core::MediaFormat { encoding: audiofork_core::Encoding::L16, sample_rate: 8000, byte_order: audiofork_core::ByteOrder::Little }),
        call_id: Option<String> = None,
        account_id: Option<String> = None,
        tracks: Vec<String> = vec!["inbound".to_owned()],
        sequence_number: Option<u64> = None,
        from_: Option<String> = None,
        to: Option<String> = None,
        direction: Option<String> = None,
        extra_headers: Headers = Headers::default(),
        extra_headers_raw: Option<String> = None,
    }
}

event_class! {
    /// ``playedStream``: everything queued before checkpoint ``name`` has played.
    PlayedStream = "playedStream" {
        name: String = String::new(),
        stream_id: Option<String> = None,
        sequence_number: Option<u64> = None,
    }
}

event_class! {
    /// ``clearedAudio``: the playback queue was flushed.
    ClearedAudio = "clearedAudio" {
        stream_id: Option<String> = None,
        sequence_number: Option<u64> = None,
    }
}

event_class! {
    /// ``dtmf``: a keypad digit.
    Dtmf = "dtmf" {
        digit: String = String::new(),
        stream_id: Option<String> = None,
        track: String = "inbound".to_owned(),
        sequence_number: Option<u64> = None,
        timestamp_ms: Option<u64> = None,
    }
}

event_class! {
    /// ``stop``: the end of the stream (an app command, or an older platform form).
    Stop = "stop" {
        stream_id: Option<String> = None,
        sequence_number: Option<u64> = None,
    }
}

event_class! {
    /// ``playAudio``: audio the app queues for the caller (what the platform receives).
    PlayAudio = "playAudio" {
        stream_id: String = String::new(),
        media_format: PyMediaFormat = PyMediaFormat(audiofork_core::MediaFormat { encoding: audiofork_core::Encoding::L16, sample_rate: 8000, byte_order: audiofork_core::ByteOrder::Little }),
        payload: String = String::new(),
    }
}

event_class! {
    /// ``checkpoint``: ask for ``playedStream`` once everything queued so far has played.
    Checkpoint = "checkpoint" {
        stream_id: String = String::new(),
        name: String = String::new(),
    }
}

event_class! {
    /// ``clearAudio``: drop all queued audio.
    ClearAudio = "clearAudio" {
        stream_id: String = String::new(),
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

/// Common short values shared rather than allocated per frame.
fn interned(value: Cow<'_, str>) -> Cow<'static, str> {
    match value.as_ref() {
        "inbound" => Cow::Borrowed("inbound"),
        "outbound" => Cow::Borrowed("outbound"),
        "{}" => Cow::Borrowed("{}"),
        _ => Cow::Owned(value.into_owned()),
    }
}

/// ``media``: one chunk of one track. ``payload`` is the base64 text; ``pcm`` holds the
/// decoded int16 samples when an ``InboundDecoder`` produced the event (else ``None``).
#[pyclass(module = "audiofork._core", frozen)]
pub struct Media {
    stream_id: Option<FieldText>,
    sequence_number: Option<u64>,
    track: Cow<'static, str>,
    timestamp_ms: Option<u64>,
    chunk: Option<u64>,
    payload: FieldText,
    extra_headers_raw: Option<Cow<'static, str>>,
    pcm: Option<Py<PyAny>>,
}

impl Media {
    /// The event for `media` parsed from `text`; `message` is the Python object holding
    /// `text`, if immutable, so the payload can stay in it.
    pub fn from_wire(
        media: wire::Media<'_>,
        text: &str,
        message: Option<&Bound<'_, PyAny>>,
        pcm: Option<Py<PyAny>>,
    ) -> Media {
        Media {
            stream_id: media.stream_id.map(|id| FieldText::new(id, text, message)),
            sequence_number: media.sequence_number,
            track: interned(media.track),
            timestamp_ms: media.timestamp_ms,
            chunk: media.chunk,
            payload: FieldText::new(media.payload, text, message),
            extra_headers_raw: media.extra_headers.map(interned),
            pcm,
        }
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
    #[pyo3(signature = (*, payload, stream_id = None, sequence_number = None, track = "inbound".to_owned(), timestamp_ms = None, chunk = None, extra_headers_raw = None, pcm = None))]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        payload: String,
        stream_id: Option<String>,
        sequence_number: Option<u64>,
        track: String,
        timestamp_ms: Option<u64>,
        chunk: Option<u64>,
        extra_headers_raw: Option<String>,
        pcm: Option<Py<PyAny>>,
    ) -> Self {
        Media {
            stream_id: stream_id.map(|id| FieldText::Owned(Cow::Owned(id))),
            sequence_number,
            track: Cow::Owned(track),
            timestamp_ms,
            chunk,
            payload: FieldText::Owned(Cow::Owned(payload)),
            extra_headers_raw: extra_headers_raw.map(Cow::Owned),
            pcm,
        }
    }

    #[classattr]
    const EVENT: &'static str = "media";

    #[classattr]
    fn __match_args__() -> (&'static str, &'static str, &'static str, &'static str) {
        ("stream_id", "track", "payload", "pcm")
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
    fn track(&self) -> &str {
        &self.track
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
        ) == (
            other.stream_id_text(py)?,
            other.sequence_number,
            &other.track,
            other.timestamp_ms,
            other.chunk,
            other.payload_text(py)?,
            &other.extra_headers_raw,
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

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let payload = self.payload_text(py)?;
        let shown: String = payload.chars().take(24).collect();
        let ellipsis = if shown.len() < payload.len() {
            "…"
        } else {
            ""
        };
        let pcm = match &self.pcm {
            Some(pcm) => match pcm.bind(py).cast::<numpy::PyUntypedArray>() {
                Ok(array) => format!("<{} samples>", array.len()),
                Err(_) => pcm.bind(py).repr()?.to_string(),
            },
            None => "None".to_owned(),
        };
        Ok(format!(
            "Media(stream_id={:?}, sequence_number={:?}, track={:?}, timestamp_ms={:?}, chunk={:?}, payload='{shown}{ellipsis}' ({} chars), pcm={pcm})",
            self.stream_id_text(py)?, self.sequence_number, self.track, self.timestamp_ms, self.chunk, payload.len()
        ))
    }
}

/// An event this library does not know, kept so new platform events do not break apps:
/// ``event`` is its name and ``raw`` the whole message as a dict.
#[pyclass(module = "audiofork._core", frozen)]
pub struct UnknownEvent {
    #[pyo3(get)]
    event: String,
    #[pyo3(get)]
    raw: Py<PyAny>,
}

#[pymethods]
impl UnknownEvent {
    #[new]
    fn py_new(event: String, raw: Py<PyAny>) -> Self {
        UnknownEvent { event, raw }
    }

    #[classattr]
    fn __match_args__() -> (&'static str, &'static str) {
        ("event", "raw")
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Ok(other) = other.cast::<UnknownEvent>() else {
            return Ok(false);
        };
        let other = other.get();
        Ok(self.event == other.event && self.raw.bind(py).eq(other.raw.bind(py))?)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "UnknownEvent(event={:?}, raw={})",
            self.event,
            self.raw.bind(py).repr()?
        ))
    }
}

/// The Python event for a parsed message. `text` is the message and `source` the Python
/// object holding it, if immutable; `pcm` is attached to a `Media` event.
pub fn to_py<'py>(
    py: Python<'py>,
    message: Message<'_>,
    text: &str,
    source: Option<&Bound<'py, PyAny>>,
    pcm: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    match message {
        Message::Media(media) => Media::from_wire(media, text, source, pcm).into_bound_py_any(py),
        Message::Start(s) => Start {
            extra_headers: Headers::parse(s.extra_headers.as_deref()),
            extra_headers_raw: s.extra_headers,
            stream_id: s.stream_id,
            media_format: PyMediaFormat(s.media_format),
            call_id: s.call_id,
            account_id: s.account_id,
            tracks: s.tracks,
            sequence_number: s.sequence_number,
            from_: s.from,
            to: s.to,
            direction: s.direction,
        }
        .into_bound_py_any(py),
        Message::PlayedStream(p) => PlayedStream {
            name: p.name,
            stream_id: p.stream_id,
            sequence_number: p.sequence_number,
        }
        .into_bound_py_any(py),
        Message::ClearedAudio(c) => ClearedAudio {
            stream_id: c.stream_id,
            sequence_number: c.sequence_number,
        }
        .into_bound_py_any(py),
        Message::Dtmf(d) => Dtmf {
            digit: d.digit,
            stream_id: d.stream_id,
            track: d.track,
            sequence_number: d.sequence_number,
            timestamp_ms: d.timestamp_ms,
        }
        .into_bound_py_any(py),
        Message::Stop(s) => Stop {
            stream_id: s.stream_id,
            sequence_number: s.sequence_number,
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
        Message::Unknown { event } => {
            let raw = py.import("json")?.call_method1("loads", (text,))?;
            UnknownEvent {
                event,
                raw: raw.unbind(),
            }
            .into_bound_py_any(py)
        }
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Start>()?;
    m.add_class::<Media>()?;
    m.add_class::<PlayedStream>()?;
    m.add_class::<ClearedAudio>()?;
    m.add_class::<Dtmf>()?;
    m.add_class::<Stop>()?;
    m.add_class::<PlayAudio>()?;
    m.add_class::<Checkpoint>()?;
    m.add_class::<ClearAudio>()?;
    m.add_class::<UnknownEvent>()?;
    Ok(())
}
