//! Core errors to Python exceptions. The classes are defined once, in `audiofork.errors`
//! (they need multiple inheritance, e.g. `CodecError(AudioforkError, ValueError)`, which
//! `create_exception!` cannot express), and looked up here once per process.

use audiofork_core::Error;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

/// The Python exception class `audiofork.errors.<name>`, imported once.
fn error_class<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyType>>,
    name: &str,
) -> PyResult<Bound<'py, PyType>> {
    cell.import(py, "audiofork.errors", name).cloned()
}

/// A `PyErr` of the `audiofork.errors` class `name` with `message`.
fn raise(
    py: Python<'_>,
    cell: &'static PyOnceLock<Py<PyType>>,
    name: &str,
    message: String,
) -> PyErr {
    match error_class(py, cell, name) {
        Ok(class) => PyErr::from_type(class, message),
        Err(import_error) => import_error,
    }
}

static CODEC_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static FORMAT_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static PROTOCOL_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static OVERFLOW_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static ARGUMENT_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Map an audiofork-core error to its Python exception: the one mapping every error of the
/// extension goes through.
pub fn to_py(err: Error) -> PyErr {
    Python::attach(|py| match err {
        Error::Codec(message) => raise(py, &CODEC_ERROR, "CodecError", message),
        Error::Format(message) => raise(py, &FORMAT_ERROR, "FormatError", message),
        Error::Protocol(message) => raise(py, &PROTOCOL_ERROR, "ProtocolError", message),
        Error::Overflow(message) => raise(py, &OVERFLOW_ERROR, "BufferOverflowError", message),
        Error::Argument(message) => raise(py, &ARGUMENT_ERROR, "ArgumentError", message),
    })
}

static CONCURRENT_USE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `ConcurrentUseError`: an object of one stream used from two threads at once (a binding
/// error; Rust's borrow rules rule it out in the core).
pub fn concurrent_use(message: String) -> PyErr {
    Python::attach(|py| raise(py, &CONCURRENT_USE_ERROR, "ConcurrentUseError", message))
}
