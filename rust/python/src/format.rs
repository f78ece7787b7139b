//! `MediaFormat`: a stream's encoding, sample rate and byte order, as a frozen Python value.

use audiofork_core::format::{
    allowed_rates, resolve_format, Encoding, FormatProblem, FormatSpec, MediaFormat,
};
use audiofork_core::{ByteOrder, Error};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyType};

use crate::args::{type_name, ByteOrderArg, DefaultRate, Ms, SampleRate};
use crate::errors;

/// How a stream's audio is carried: ``MediaFormat("audio/x-l16", 16000)``.
///
/// ``encoding`` takes a wire content type (``"audio/x-mulaw"``, optionally with ``;rate=``)
/// or an alias (``"mulaw"``, ``"ulaw"``, ``"alaw"``, ``"l16"``) and is stored in its wire
/// form. ``byteorder`` ("little" or "big") matters only for L16. With ``strict=True`` (the
/// default) only the rates telephony platforms allow are accepted: μ-law and A-law at 8000,
/// L16 at 8000, 16000 and 24000; ``strict=False`` allows any rate from 1 to 384000. Frozen and
/// hashable; ``strict`` is not part of the value.
#[pyclass(
    module = "audiofork._core",
    name = "MediaFormat",
    frozen,
    eq,
    hash,
    from_py_object
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PyMediaFormat(pub MediaFormat);

impl PyMediaFormat {
    /// [`resolve_format`] with errors naming the Python arguments.
    fn resolve(spec: FormatSpec<'_>, fields: (&str, &str)) -> PyResult<Self> {
        resolve_format(&spec).map(PyMediaFormat).map_err(|problem| {
            let mut message = problem.message(fields.0, fields.1);
            if let FormatProblem::RateNotAllowed { .. } = problem {
                message.push_str("; pass strict=False for other rates");
            }
            errors::to_py(Error::Format(problem.kind(), message))
        })
    }
}

/// Positional constructor arguments: encoding, sample rate, byte order.
type NewArgs = (&'static str, u32, &'static str);

#[pymethods]
impl PyMediaFormat {
    #[new]
    #[pyo3(signature = (encoding, sample_rate, byteorder = ByteOrderArg(ByteOrder::Little), *, strict = true))]
    fn new(
        encoding: &Bound<'_, PyAny>,
        sample_rate: SampleRate,
        byteorder: ByteOrderArg,
        strict: bool,
    ) -> PyResult<Self> {
        let encoding = encoding.cast::<PyString>().map_err(|_| {
            PyTypeError::new_err(format!(
                "encoding must be a str, got {}",
                type_name(encoding)
            ))
        })?;
        let spec = FormatSpec {
            content_type: &encoding.to_string_lossy(),
            rate: Some(u64::from(sample_rate.0)),
            default_rate: None,
            byte_order: byteorder.0,
            strict,
        };
        Self::resolve(spec, ("encoding", "sample_rate"))
    }

    /// Parse ``"audio/x-l16;rate=16000"``. ``rate`` is the only parameter. G.711 types
    /// without ``;rate=`` mean 8000 Hz; L16 without a rate takes ``default_rate`` or raises
    /// ``FormatError``.
    #[classmethod]
    #[pyo3(signature = (content_type, *, byteorder = ByteOrderArg(ByteOrder::Little), strict = true, default_rate = None))]
    fn parse(
        _cls: &Bound<'_, PyType>,
        content_type: &Bound<'_, PyString>,
        byteorder: ByteOrderArg,
        strict: bool,
        default_rate: Option<DefaultRate>,
    ) -> PyResult<Self> {
        let spec = FormatSpec {
            content_type: &content_type.to_string_lossy(),
            rate: None,
            default_rate: default_rate.map(|rate| rate.0),
            byte_order: byteorder.0,
            strict,
        };
        Self::resolve(spec, ("content_type", "default_rate"))
    }

    /// The encoding's wire content type without parameters, e.g. ``"audio/x-l16"``.
    #[getter]
    fn encoding(&self) -> &'static str {
        self.0.encoding.mime()
    }

    /// Samples per second.
    #[getter]
    fn sample_rate(&self) -> u32 {
        self.0.sample_rate
    }

    /// ``"little"`` or ``"big"`` (L16 only; G.711 is one byte a sample).
    #[getter]
    fn byteorder(&self) -> &'static str {
        self.0.byte_order.name()
    }

    /// The wire content type with its rate, e.g. ``"audio/x-l16;rate=16000"``.
    #[getter]
    fn content_type(&self) -> String {
        self.0.content_type()
    }

    /// 1 for G.711, 2 for L16.
    #[getter]
    fn bytes_per_sample(&self) -> usize {
        self.0.encoding.bytes_per_sample()
    }

    /// Samples in ``ms`` milliseconds; ``ArgumentError`` if that is not whole.
    #[pyo3(signature = (ms = Ms(20)))]
    fn samples_per_frame(&self, ms: Ms) -> PyResult<usize> {
        self.0.samples_per_ms(ms.0).map_err(errors::to_py)
    }

    /// Wire bytes in ``ms`` milliseconds: 160 for 20 ms of μ-law, 640 for L16/16k.
    #[pyo3(signature = (ms = Ms(20)))]
    fn bytes_per_frame(&self, ms: Ms) -> PyResult<usize> {
        Ok(self.samples_per_frame(ms)? * self.bytes_per_sample())
    }

    #[classattr]
    fn __match_args__() -> (&'static str, &'static str, &'static str) {
        ("encoding", "sample_rate", "byteorder")
    }

    fn __repr__(&self) -> String {
        format!(
            "MediaFormat(encoding='{}', sample_rate={}, byteorder='{}')",
            self.encoding(),
            self.0.sample_rate,
            self.byteorder()
        )
    }

    /// Pickle and copy support: rebuilt with ``strict=False`` (it was validated already).
    fn __getnewargs_ex__<'py>(&self, py: Python<'py>) -> PyResult<(NewArgs, Bound<'py, PyDict>)> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("strict", false)?;
        Ok((
            (self.encoding(), self.0.sample_rate, self.byteorder()),
            kwargs,
        ))
    }
}

/// Sample rates `encoding` allows with ``strict=True``.
#[pyfunction]
fn allowed_rates_for(encoding: &Bound<'_, PyString>) -> PyResult<Vec<u32>> {
    Encoding::parse(&encoding.to_string_lossy())
        .map(|e| allowed_rates(e).to_vec())
        .map_err(|error| errors::to_py(error.in_field("encoding")))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyMediaFormat>()?;
    m.add_function(wrap_pyfunction!(allowed_rates_for, m)?)?;
    Ok(())
}
