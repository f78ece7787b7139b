//! `Resampler` and `resample`: streaming and one-shot sample-rate conversion.

use audiofork_core::resample::{self as core, Quality};
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
}

/// Streaming resampler for one mono stream, between 8, 16, 24, 32 and 48 kHz and 11.025,
/// 22.05 and 44.1 kHz (any two; equal rates pass through).
///
/// ``process(chunk)`` returns exactly ``len(chunk) * out_rate / in_rate`` samples when that
/// is whole (a 20 ms chunk gives 20 ms, the first call included) and carries the fraction
/// otherwise; int16 in gives int16 out, float32 in gives float32 out. Any chunking of the
/// input gives the same samples as one call (bit-exact for int16 and for finite float32; a
/// NaN or infinity may spoil a few more outputs before it in one split than in another).
/// The output lags the input by ``delay_samples``;
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

    /// Resample the next chunk: int16 or float32 numpy array, or bytes-like int16.
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
            Samples::F32(x) => {
                this.dtype = Dtype::Float32;
                let n = inner.output_len(x.len());
                new_filled(py, n, 4 * x.len(), |out| inner.process_f32_into(x, out))
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
/// and ``round(len(x) * out_rate / in_rate)`` samples long (like ``soxr.resample``).
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
            let y = detach_if_large(py, 4 * x.len(), || {
                core::resample_f32(x, in_rate, out_rate, quality)
            })
            .map_err(errors::to_py)?;
            PyArray1::from_vec(py, y).into_any()
        }
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyResampler>()?;
    m.add_function(wrap_pyfunction!(resample, m)?)?;
    Ok(())
}
