//! Decoders, encoders and resamplers hold one stream's state and are not shareable between
//! threads. A call made while another thread's call on the same object is under way (its GIL
//! released for large work) raises `ConcurrentUseError` at once, rather than waiting.
//!
//! Not a lock: a lock held across the GIL hand-off could only be taken safely with the GIL
//! released, one more hand-off per call on the per-frame path, to serve a use (one stream's
//! frames from two threads) whose order of frames would be undefined anyway.

use pyo3::prelude::*;
use pyo3::pyclass::boolean_struct::False;
use pyo3::PyClass;

use crate::errors;

fn in_use<T: PyClass>(slf: &Bound<'_, T>) -> PyErr {
    let class = slf.as_any().get_type().name();
    let class = class.map(|name| name.to_string()).unwrap_or_default();
    errors::concurrent_use(format!(
        "{class} is in use by another thread: not shareable between threads; use one per stream"
    ))
}

/// `slf` for a call that changes it.
pub fn exclusive<'py, T: PyClass<Frozen = False>>(
    slf: &Bound<'py, T>,
) -> PyResult<PyRefMut<'py, T>> {
    slf.try_borrow_mut().map_err(|_| in_use(slf))
}

/// `slf` for a call that only reads it.
pub fn shared<'py, T: PyClass>(slf: &Bound<'py, T>) -> PyResult<PyRef<'py, T>> {
    slf.try_borrow().map_err(|_| in_use(slf))
}
