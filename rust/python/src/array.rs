//! New numpy arrays written in place by the core, with no intermediate buffer.

use audiofork_core::alloc;
use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;

use crate::errors;
use crate::input::detach_if_large;

/// Arrays at least this many bytes long are allocated with `try_reserve` and handed to numpy,
/// so a length too large for memory is an `ArgumentError` (numpy's own allocation failing
/// would surface as a panic); smaller ones, every per-frame array, are numpy's.
const FALLIBLE_FROM_BYTES: usize = 1 << 20;

/// A new 1-D array of `len` elements filled by `fill`, with the GIL released when
/// `work_bytes` is large.
pub fn new_filled<'py, T: numpy::Element + Send + Copy + Default>(
    py: Python<'py>,
    len: usize,
    work_bytes: usize,
    fill: impl FnOnce(&mut [T]) -> audiofork_core::Result<()> + Send,
) -> PyResult<Bound<'py, PyArray1<T>>> {
    if len.saturating_mul(std::mem::size_of::<T>()) >= FALLIBLE_FROM_BYTES {
        let mut out = alloc::filled(len, T::default(), "output array").map_err(errors::to_py)?;
        detach_if_large(py, work_bytes, || fill(&mut out)).map_err(errors::to_py)?;
        return Ok(PyArray1::from_vec(py, out));
    }
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
