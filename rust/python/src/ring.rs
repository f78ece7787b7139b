//! `Ring`: the core sample ring behind a mutex, so one writer thread and one reader thread
//! can use it with the GIL released.

use std::borrow::Cow;
use std::sync::{Mutex, MutexGuard};

use audiofork_core::ring::{Overflow, Ring};
use numpy::PyArray1;
use pyo3::prelude::*;

use crate::args::{Capacity, Count, Name, OverflowArg};
use crate::errors;
use crate::input::PcmArg;

/// A fixed-capacity int16 sample FIFO with named markers.
///
/// ``write`` queues samples (overflow policy ``"drop_oldest"`` or ``"reject"``); ``read(n)``
/// returns exactly ``n`` samples and the markers the read passed, or ``None``; ``mark(name)``
/// sets a marker at the current write position; ``clear()`` drops everything and reports it.
/// Thread-safe: one writer and one reader may use it from two threads at once. ``capacity``
/// is 1 to 2**27 samples; memory grows with what is queued.
#[pyclass(module = "audiofork._core", name = "Ring", frozen)]
pub struct PyRing {
    inner: Mutex<Ring>,
}

impl PyRing {
    fn ring(&self) -> MutexGuard<'_, Ring> {
        // A panic cannot happen while the lock is held (no caller code runs under it), so a
        // poisoned lock still guards consistent data.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[pymethods]
impl PyRing {
    #[new]
    #[pyo3(signature = (capacity, overflow = OverflowArg(Overflow::DropOldest)))]
    fn new(capacity: Capacity, overflow: OverflowArg) -> PyResult<Self> {
        let ring = Ring::new(capacity.0, overflow.0).map_err(errors::to_py)?;
        Ok(PyRing {
            inner: Mutex::new(ring),
        })
    }

    /// Queue ``pcm`` (float input converted to int16: x32768, rounded, clipped; NaN or ±inf
    /// is a ``CodecError`` and nothing is queued); returns ``(samples_dropped,
    /// markers_dropped)`` (always ``(0, [])`` with ``"reject"``, which raises
    /// ``BufferOverflowError`` instead of dropping).
    fn write(&self, py: Python<'_>, pcm: &Bound<'_, PyAny>) -> PyResult<(usize, Vec<String>)> {
        let pcm = PcmArg::extract(pcm, "pcm")?;
        // Writes always release the GIL (the lock may be contended): copy what may not be
        // read without it.
        let samples = match pcm.to_i16("pcm")? {
            Cow::Borrowed(s) if !pcm.readable_without_gil() => Cow::Owned(s.to_vec()),
            samples => samples,
        };
        let dropped = py
            .detach(|| self.ring().write(&samples))
            .map_err(errors::to_py)?;
        Ok((dropped.samples, dropped.markers))
    }

    /// Exactly ``n`` samples and the markers passed, or ``None`` if fewer are queued.
    fn read<'py>(
        &self,
        py: Python<'py>,
        n: Count,
    ) -> Option<(Bound<'py, PyArray1<i16>>, Vec<String>)> {
        let n = n.0;
        let mut out = Vec::with_capacity(n.min(1 << 20));
        let markers = py.detach(|| self.ring().read(n, &mut out))?;
        Some((PyArray1::from_vec(py, out), markers))
    }

    /// The next ``n`` samples without consuming them, or ``None`` if fewer are queued.
    fn peek<'py>(&self, py: Python<'py>, n: Count) -> Option<Bound<'py, PyArray1<i16>>> {
        let n = n.0;
        let mut out = Vec::with_capacity(n.min(1 << 20));
        py.detach(|| self.ring().peek(n, &mut out))
            .then(|| PyArray1::from_vec(py, out))
    }

    /// Set marker ``name`` at the current write position.
    fn mark(&self, name: Name<'_>) {
        self.ring().mark(name.as_str());
    }

    /// Markers the read position has reached (e.g. set while the ring was empty), removed.
    fn take_passed_markers(&self) -> Vec<String> {
        self.ring().take_passed_markers()
    }

    /// Drop all queued samples and markers; returns ``(samples_dropped, markers_dropped)``.
    fn clear(&self) -> (usize, Vec<String>) {
        let dropped = self.ring().clear();
        (dropped.samples, dropped.markers)
    }

    /// Samples queued.
    #[getter]
    fn available(&self) -> usize {
        self.ring().available()
    }

    /// Maximum samples queued.
    #[getter]
    fn capacity(&self) -> usize {
        self.ring().capacity()
    }

    /// Samples read or dropped so far (absolute position of the next read).
    #[getter]
    fn read_position(&self) -> u64 {
        self.ring().read_position()
    }

    /// Samples ever written (absolute position of the next write).
    #[getter]
    fn write_position(&self) -> u64 {
        self.ring().write_position()
    }

    fn __len__(&self) -> usize {
        self.available()
    }

    fn __repr__(&self) -> String {
        let ring = self.ring();
        format!(
            "Ring(capacity={}, available={}, markers={})",
            ring.capacity(),
            ring.available(),
            ring.pending_markers().count()
        )
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRing>()
}
