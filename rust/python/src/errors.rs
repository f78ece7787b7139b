//! Core errors to Python exceptions. The classes are defined once, in `audiofork.errors`
//! (they need multiple inheritance, e.g. `CodecError(AudioforkError, ValueError)`, which
//! `create_exception!` cannot express), and looked up here once per process. Every
//! exception raised here carries the core's [`ErrorKind`] as its `kind` attribute.

use audiofork_core::{Error, ErrorKind};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

/// An exception class of `audiofork.errors`, imported once.
struct Class {
    name: &'static str,
    cell: PyOnceLock<Py<PyType>>,
}

impl Class {
    const fn new(name: &'static str) -> Class {
        Class {
            name,
            cell: PyOnceLock::new(),
        }
    }

    /// The exception `self(message, kind=kind)`.
    fn raise(&'static self, py: Python<'_>, kind: ErrorKind, message: String) -> PyErr {
        let build = || -> PyResult<PyErr> {
            let class = self.cell.import(py, "audiofork.errors", self.name)?;
            let kwargs = PyDict::new(py);
            kwargs.set_item(pyo3::intern!(py, "kind"), kind.name())?;
            Ok(PyErr::from_value(class.call((message,), Some(&kwargs))?))
        };
        build().unwrap_or_else(|failure| failure)
    }
}

static CODEC_ERROR: Class = Class::new("CodecError");
static FORMAT_ERROR: Class = Class::new("FormatError");
static PROTOCOL_ERROR: Class = Class::new("ProtocolError");
static OVERFLOW_ERROR: Class = Class::new("BufferOverflowError");
static ARGUMENT_ERROR: Class = Class::new("ArgumentError");
static CONCURRENT_USE_ERROR: Class = Class::new("ConcurrentUseError");

/// Map an audiofork-core error to its Python exception: the one mapping every error of the
/// extension goes through. The variant picks the class; the kind becomes `.kind`.
pub fn to_py(err: Error) -> PyErr {
    let kind = err.kind();
    let (class, message) = match err {
        Error::Codec(_, message) => (&CODEC_ERROR, message),
        Error::Format(_, message) => (&FORMAT_ERROR, message),
        Error::Protocol(_, message) => (&PROTOCOL_ERROR, message),
        Error::Overflow(_, message) => (&OVERFLOW_ERROR, message),
        Error::Argument(_, message) => (&ARGUMENT_ERROR, message),
    };
    Python::attach(|py| class.raise(py, kind, message))
}

/// `ConcurrentUseError` (kind `wrong_state`): an object of one stream used from two threads
/// at once (a binding error; Rust's borrow rules rule it out in the core).
pub fn concurrent_use(message: String) -> PyErr {
    Python::attach(|py| CONCURRENT_USE_ERROR.raise(py, ErrorKind::WrongState, message))
}

/// `ERROR_KINDS`: every kind's name, as `AudioforkError.kind` holds it.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let names = ErrorKind::ALL.iter().map(|kind| kind.name());
    m.add("ERROR_KINDS", PyTuple::new(m.py(), names)?)?;
    Ok(())
}
