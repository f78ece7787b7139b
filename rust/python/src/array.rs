//! New numpy arrays written in place by the core, with no intermediate buffer.

use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;

use crate::errors;
use crate::input::detach_if_large;

/// A new 1-D array of `len` elements filled by `fill`, with the GIL released when
/// `work_bytes` is large.
pub fn new_filled<'py, T: numpy::Element + Send>(
    py: Python<'py>,
    len: usize,
    work_bytes: usize,
    fill: impl FnOnce(&mut [T]) -> audiofork_core::Result<()> + Send,
) -> PyResult<Bound<'py, PyArray1<T>>> {
    // SAFETY: the array is new and uninitialised; `fill` writes every element (the core
    // checks the length) before it is returned to Python, and on error it is dropped unseen.
    let array = unsafe { PyArray1::<T>::new(py, len, false) };
    // SAFETY: nothing else can reference an array created on the line above, so a mutable
    // slice of it aliases nothing. (This skips numpy's dynamic borrow registry, which costs
    // about 50 ns a call: a tenth of a 20 ms frame's budget.)
    let out = unsafe { array.as_slice_mut()? };
    detach_if_large(py, work_bytes, || fill(out)).map_err(errors::to_py)?;
    Ok(array)
}
