//! The events that are plain values: one frozen class per message, built by one macro, and
//! `UnknownEvent` for messages this library does not know.

use audiofork_core::wire::{self, Track};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use pyo3::IntoPyObjectExt;

use crate::args::{SequenceNumber, StrArg, TimestampMs, TrackArg};
use crate::format::PyMediaFormat;

/// `extra_headers` parsed to a dict, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    pub fn parse(raw: Option<&str>) -> Headers {
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
        let text = |item: Bound<'py, PyAny>| -> PyResult<String> {
            item.extract::<StrArg>()?.into_string("extra_headers")
        };
        dict.iter()
            .map(|(k, v)| Ok((text(k)?, text(v)?)))
            .collect::<PyResult<_>>()
            .map(Headers)
    }
}

/// `name=repr(value), …` for a dataclass-style repr.
pub(super) fn field_reprs(fields: Vec<(&str, PyResult<Bound<'_, PyAny>>)>) -> PyResult<String> {
    let parts: PyResult<Vec<String>> = fields
        .into_iter()
        .map(|(name, value)| Ok(format!("{name}={}", value?.repr()?)))
        .collect();
    Ok(parts?.join(", "))
}

/// An event field as its constructor reads it: text is checked to be UTF-8 under the
/// field's name; other types are read as they are stored.
pub(super) trait Field: Sized {
    type Arg;
    fn from_arg(arg: Self::Arg, name: &str) -> PyResult<Self>;
}

impl Field for String {
    type Arg = StrArg;
    fn from_arg(arg: StrArg, name: &str) -> PyResult<Self> {
        arg.into_string(name)
    }
}

impl Field for Option<String> {
    type Arg = Option<StrArg>;
    fn from_arg(arg: Option<StrArg>, name: &str) -> PyResult<Self> {
        arg.map(|text| text.into_string(name)).transpose()
    }
}

/// Fields read as they are stored.
macro_rules! stored_fields {
    ($($ty:ty),*) => {$(
        impl Field for $ty {
            type Arg = $ty;
            fn from_arg(arg: $ty, _name: &str) -> PyResult<Self> {
                Ok(arg)
            }
        }
    )*};
}

stored_fields!(
    PyMediaFormat,
    TrackArg,
    Vec<TrackArg>,
    Headers,
    Option<SequenceNumber>,
    Option<TimestampMs>
);

/// Declares an event class: a frozen pyclass with a keyword constructor (fields without a
/// default are required, as on the wire), getters, equality, hashing, `__match_args__`, a
/// repr in dataclass style and its wire `event` name. `check = f` has the constructor
/// refuse what `f(&event)` refuses.
macro_rules! event_class {
    ($(#[$doc:meta])* $name:ident = $event:literal $(check = $check:path,)? { $($field:ident : $ty:ty $(= $default:expr)?),* $(,)? }) => {
        $(#[$doc])*
        #[pyclass(module = "audiofork._core", frozen, get_all, eq, hash)]
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name {
            $(pub $field: $ty,)*
        }

        #[pymethods]
        impl $name {
            #[new]
            #[pyo3(signature = (*, $($field $(= $default)?),*))]
            #[allow(clippy::too_many_arguments)]
            fn py_new($($field: <$ty as Field>::Arg),*) -> PyResult<Self> {
                let event = Self { $($field: <$ty as Field>::from_arg($field, stringify!($field))?),* };
                $($check(&event)?;)?
                Ok(event)
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
        stream_id: String,
        media_format: PyMediaFormat,
        call_id: Option<String> = None,
        account_id: Option<String> = None,
        tracks: Vec<TrackArg> = vec![TrackArg(Track::Inbound)],
        sequence_number: Option<SequenceNumber> = None,
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
        name: String,
        stream_id: Option<String> = None,
        sequence_number: Option<SequenceNumber> = None,
    }
}

event_class! {
    /// ``clearedAudio``: the playback queue was flushed.
    ClearedAudio = "clearedAudio" {
        stream_id: Option<String> = None,
        sequence_number: Option<SequenceNumber> = None,
    }
}

event_class! {
    /// ``dtmf``: a keypad digit.
    Dtmf = "dtmf" {
        digit: String,
        stream_id: Option<String> = None,
        track: TrackArg = TrackArg(Track::Inbound),
        sequence_number: Option<SequenceNumber> = None,
        timestamp_ms: Option<TimestampMs> = None,
    }
}

event_class! {
    /// ``connected``: Twilio's first message, before ``start``.
    Connected = "connected" {
        protocol: Option<String> = None,
        version: Option<String> = None,
    }
}

event_class! {
    /// ``sendDTMF``: Plivo's command to play keypad ``digits`` into the call.
    SendDtmf = "sendDTMF" {
        digits: String,
        stream_id: Option<String> = None,
    }
}

event_class! {
    /// ``stop``: the end of the stream (an app command, or an older platform form).
    Stop = "stop" {
        stream_id: Option<String> = None,
        sequence_number: Option<SequenceNumber> = None,
    }
}

/// A `PlayAudio`'s format is one the platform plays, as `wire.play_audio` requires.
fn play_audio_format(event: &PlayAudio) -> PyResult<()> {
    wire::check_play_audio_format(&event.media_format.0).map_err(crate::errors::to_py)
}

event_class! {
    /// ``playAudio``: audio the app queues for the caller (what the platform receives).
    PlayAudio = "playAudio" check = play_audio_format, {
        media_format: PyMediaFormat,
        payload: String,
        stream_id: Option<String> = None,
    }
}

event_class! {
    /// ``checkpoint``: ask for ``playedStream`` once everything queued so far has played.
    Checkpoint = "checkpoint" {
        stream_id: String,
        name: String,
    }
}

event_class! {
    /// ``clearAudio``: drop all queued audio.
    ClearAudio = "clearAudio" {
        stream_id: String,
    }
}

/// An event this library does not know, kept so new platform events do not break apps:
/// ``event`` is its name and ``raw`` the whole message as a dict.
#[pyclass(module = "audiofork._core", frozen)]
pub struct UnknownEvent {
    #[pyo3(get)]
    pub event: String,
    #[pyo3(get)]
    pub raw: Py<PyAny>,
}

#[pymethods]
impl UnknownEvent {
    #[new]
    fn py_new(event: StrArg, raw: Py<PyAny>) -> PyResult<Self> {
        Ok(UnknownEvent {
            event: String::from_arg(event, "event")?,
            raw,
        })
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
        let fields = field_reprs(vec![
            ("event", self.event.clone().into_bound_py_any(py)),
            ("raw", Ok(self.raw.bind(py).clone())),
        ])?;
        Ok(format!("UnknownEvent({fields})"))
    }
}
