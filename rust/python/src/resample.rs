//! `Resampler` and `resample`: streaming and one-shot sample-rate conversion.

use audiofork_core::resample::{self as core, Quality};
use audiofork_core::{alloc, pcm, Result as CoreResult};
use numpy::PyArray1;
use pyo3::prelude::*;

use crate::args::{InRate, InputLen, OutRate, QualityArg};
use crate::array::new_filled;
use crate::errors;
use crate::exclusive::{exclusive, shared};
use crate::input::{detach_if_large, PcmArg, Samples};

/// A rate the resampler converts (one of [`core::RATES`]).
fn rate(what: &str, value: u32) -> PyResult<u32> {
    core::check_rate(what, i64::from(value)).map_err(errors::to_py)
}

/// The sample type a stream was last fed, which `flush()` returns.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dtype {
    Int16,
    Float32,
    Float64,
}

/// `samples` widened to float64, into `out` (of the same length).
fn widen(samples: &[f32], out: &mut [f64]) {
    out.iter_mut()
        .zip(samples)
        .for_each(|(o, &x)| *o = f64::from(x));
}

/// Float samples resampled by `work` (which fills a float32 buffer of `len`) into a new
/// float64 array: the resampler works in float32, float64 callers get their dtype back.
fn float64_array<'py>(
    py: Python<'py>,
    len: usize,
    work_bytes: usize,
    work: impl FnOnce(&mut [f32]) -> CoreResult<()> + Send,
) -> PyResult<Bound<'py, PyAny>> {
    let mut floats = alloc::filled(len, 0f32, "output array").map_err(errors::to_py)?;
    let array = new_filled(py, len, work_bytes, |out: &mut [f64]| {
        work(&mut floats)?;
        widen(&floats, out);
        Ok(())
    })?;
    Ok(array.into_any())
}

/// Streaming resampler for one mono stream, between 8, 16, 24, 32 and 48 kHz and 11.025,
/// 22.05 and 44.1 kHz (any two; equal rates pass through).
///
/// ``process(chunk)`` returns exactly ``len(chunk) * out_rate / in_rate`` samples when that
/// is whole (a 20 ms chunk gives 20 ms, the first call included) and carries the fraction
/// otherwise; the output has the input's dtype: int16 (or bytes-like) in gives int16 out,
/// float32 gives float32, float64 gives float64 (computed in float32: float64 input is
/// converted first). Float samples must be finite: NaN or ±inf is a ``CodecError`` (kind
/// ``bad_value``) naming the sample, and nothing is processed. Any chunking of the input
/// gives the same samples as one call (bit-exact). The output lags the input by
/// ``delay_samples``;
/// ``flush()`` returns that tail and starts the stream afresh.
#[pyclass(module = "audiofork._core", name = "Resampler")]
pub struct PyResampler {
    inner: core::Resampler,
    dtype: Dtype,
}

#[pymethods]
impl PyResampler {
    #[new]
    #[pyo3(signature = (in_rate, out_rate, quality = QualityArg(Quality::Default)))]
    fn new(in_rate: InRate, out_rate: OutRate, quality: QualityArg) -> PyResult<Self> {
        let (in_rate, out_rate) = (rate("in_rate", in_rate.0)?, rate("out_rate", out_rate.0)?);
        let inner = core::Resampler::new(in_rate, out_rate, quality.0).map_err(errors::to_py)?;
        Ok(PyResampler {
            inner,
            dtype: Dtype::Int16,
        })
    }

    /// Resample the next chunk: an int16, float32 or float64 numpy array, or bytes-like int16.
    fn process<'py>(
        slf: &Bound<'py, Self>,
        chunk: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (py, mut this) = (slf.py(), exclusive(slf)?);
        let pcm = PcmArg::extract(chunk, "chunk")?;
        let this = &mut *this;
        let inner = &mut this.inner;
        match pcm.samples()? {
            Samples::I16(x) => {
                this.dtype = Dtype::Int16;
                let n = inner.output_len(x.len());
                new_filled(py, n, 2 * x.len(), |out| inner.process_i16_into(x, out))
                    .map(Bound::into_any)
            }
            // Float64 input was checked finite as it was converted; float32 is checked once
            // the output is allocated, before the stream takes it in.
            Samples::F32(x) if pcm.is_float64() => {
                this.dtype = Dtype::Float64;
                let n = inner.output_len(x.len());
                float64_array(py, n, 4 * x.len(), |out| inner.process_f32_into(x, out))
            }
            Samples::F32(x) => {
                this.dtype = Dtype::Float32;
                let n = inner.output_len(x.len());
                new_filled(py, n, 4 * x.len(), |out| {
                    pcm::check_finite(x, "chunk")?;
                    inner.process_f32_into(x, out)
                })
                .map(Bound::into_any)
            }
        }
    }

    /// The tail held back by the filter (``delay_samples`` samples, in the dtype of the last
    /// ``process``), then the stream starts afresh.
    fn flush<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let (py, mut this) = (slf.py(), exclusive(slf)?);
        Ok(match this.dtype {
            Dtype::Int16 => {
                let mut out = Vec::new();
                this.inner.flush_i16(&mut out);
                PyArray1::from_vec(py, out).into_any()
            }
            Dtype::Float32 => {
                let mut out = Vec::new();
                this.inner.flush_f32(&mut out);
                PyArray1::from_vec(py, out).into_any()
            }
            Dtype::Float64 => {
                let mut out = Vec::new();
                this.inner.flush_f32(&mut out);
                PyArray1::from_iter(py, out.into_iter().map(f64::from)).into_any()
            }
        })
    }

    /// Forget all history: the next chunk starts a new stream.
    fn reset(slf: &Bound<'_, Self>) -> PyResult<()> {
        exclusive(slf)?.inner.reset();
        Ok(())
    }

    /// How many samples the next ``process`` of ``input_len`` samples returns (``ArgumentError``
    /// if more than a buffer can hold).
    fn output_len(slf: &Bound<'_, Self>, input_len: InputLen) -> PyResult<usize> {
        shared(slf)?
            .inner
            .checked_output_len(input_len.0)
            .map_err(errors::to_py)
    }

    #[getter]
    fn in_rate(slf: &Bound<'_, Self>) -> PyResult<u32> {
        Ok(shared(slf)?.inner.in_rate())
    }

    #[getter]
    fn out_rate(slf: &Bound<'_, Self>) -> PyResult<u32> {
        Ok(shared(slf)?.inner.out_rate())
    }

    #[getter]
    fn quality(slf: &Bound<'_, Self>) -> PyResult<&'static str> {
        Ok(shared(slf)?.inner.quality().name())
    }

    /// Delay in output samples: an impulse comes out this many samples late.
    #[getter]
    fn delay_samples(slf: &Bound<'_, Self>) -> PyResult<usize> {
        Ok(shared(slf)?.inner.delay_samples())
    }

    /// Delay in milliseconds.
    #[getter]
    fn delay_ms(slf: &Bound<'_, Self>) -> PyResult<f64> {
        Ok(shared(slf)?.inner.delay_ms())
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let this = shared(slf)?;
        Ok(format!(
            "Resampler(in_rate={}, out_rate={}, quality='{}')",
            this.inner.in_rate(),
            this.inner.out_rate(),
            this.inner.quality().name()
        ))
    }
}

/// Resample a whole signal at once, delay compensated: the output is aligned with the input
/// and ``round(len(x) * out_rate / in_rate)`` samples long, in the input's dtype (like
/// ``soxr.resample``; float64 is computed in float32). Float samples must be finite.
#[pyfunction]
#[pyo3(signature = (x, in_rate, out_rate, quality = QualityArg(Quality::Default)))]
fn resample<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    in_rate: InRate,
    out_rate: OutRate,
    quality: QualityArg,
) -> PyResult<Bound<'py, PyAny>> {
    let (in_rate, out_rate) = (rate("in_rate", in_rate.0)?, rate("out_rate", out_rate.0)?);
    let quality = quality.0;
    let pcm = PcmArg::extract(x, "x")?;
    Ok(match pcm.samples()? {
        Samples::I16(x) => {
            let y = detach_if_large(py, 2 * x.len(), || {
                core::resample_i16(x, in_rate, out_rate, quality)
            })
            .map_err(errors::to_py)?;
            PyArray1::from_vec(py, y).into_any()
        }
        Samples::F32(x) => {
            // Checked after resampling, which sizes (and so refuses) an input too large for
            // memory first; a one-shot call keeps no state, so a refusal then leaves no trace.
            let y = detach_if_large(py, 4 * x.len(), || {
                let y = core::resample_f32(x, in_rate, out_rate, quality)?;
                pcm::check_finite(x, "x").map(|()| y)
            })
            .map_err(errors::to_py)?;
            if pcm.is_float64() {
                let mut wide =
                    alloc::filled(y.len(), 0f64, "output array").map_err(errors::to_py)?;
                widen(&y, &mut wide);
                PyArray1::from_vec(py, wide).into_any()
            } else {
                PyArray1::from_vec(py, y).into_any()
            }
        }
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyResampler>()?;
    m.add_function(wrap_pyfunction!(resample, m)?)?;
    Ok(())
}
