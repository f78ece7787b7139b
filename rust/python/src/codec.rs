//! One-shot codec functions: G.711, L16, fused base64 payloads, content types.

use std::cell::RefCell;

use audiofork_core::alloc;
use audiofork_core::payload::{self, decode_base64, encode_base64, encode_bytes, sample_count};
use audiofork_core::{g711::Law, pcm, ByteOrder, Error, ErrorKind};
use numpy::PyArray1;
use pyo3::exceptions::PyMemoryError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::args::ByteOrderArg;
use crate::array::new_filled;
use crate::errors;
use crate::input::{detach_if_large, encoding_arg, BytesArg, PcmArg, TextArg};

thread_local! {
    /// Per-thread scratch for base64 bytes, so one-shot calls do not allocate per frame.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A new int16 array of `len` samples filled by `fill` (with the GIL released when large).
fn new_i16_array<'py>(
    py: Python<'py>,
    len: usize,
    fill: impl FnOnce(&mut [i16]) -> audiofork_core::Result<()> + Send,
) -> PyResult<Bound<'py, PyArray1<i16>>> {
    new_filled(py, len, 2 * len, fill)
}

/// New `bytes` of `len` filled by `fill` (with the GIL released when large); `bytes` too
/// large for memory is an `ArgumentError` naming `pcm`, like every output sized by input.
fn new_bytes<'py>(
    py: Python<'py>,
    len: usize,
    fill: impl FnOnce(&mut [u8]) + Send,
) -> PyResult<Bound<'py, PyBytes>> {
    PyBytes::new_with(py, len, |out| {
        detach_if_large(py, len, || fill(out));
        Ok(())
    })
    .map_err(|error| {
        if error.is_instance_of::<PyMemoryError>(py) {
            let message = format!("pcm: cannot allocate {len} bytes: too large for memory");
            errors::to_py(Error::Argument(ErrorKind::TooLarge, message))
        } else {
            error
        }
    })
}

/// G.711 codes of the PCM argument `pcm` of the caller's parameter `name`.
fn g711_encode<'py>(
    py: Python<'py>,
    law: Law,
    pcm: &Bound<'py, PyAny>,
    name: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    let pcm = PcmArg::extract(pcm, name)?;
    let samples = pcm.to_i16(name)?;
    new_bytes(py, samples.len(), |out| {
        audiofork_core::g711::encode(law, &samples, out)
    })
}

fn g711_decode<'py>(
    py: Python<'py>,
    law: Law,
    data: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyArray1<i16>>> {
    let data = BytesArg::extract(data, "data")?;
    let codes = data.as_slice();
    new_i16_array(py, codes.len(), |out| {
        audiofork_core::g711::decode(law, codes, out);
        Ok(())
    })
}

/// Encode PCM to G.711 μ-law bytes, one byte a sample (bit-exact with `audioop.lin2ulaw`).
#[pyfunction]
fn ulaw_encode<'py>(py: Python<'py>, pcm: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    g711_encode(py, Law::Mu, pcm, "pcm")
}

/// Encode PCM to G.711 A-law bytes, one byte a sample (bit-exact with `audioop.lin2alaw`).
#[pyfunction]
fn alaw_encode<'py>(py: Python<'py>, pcm: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    g711_encode(py, Law::A, pcm, "pcm")
}

/// Decode G.711 μ-law bytes to an int16 array (bit-exact with `audioop.ulaw2lin`).
#[pyfunction]
fn ulaw_decode<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyArray1<i16>>> {
    g711_decode(py, Law::Mu, data)
}

/// Decode G.711 A-law bytes to an int16 array (bit-exact with `audioop.alaw2lin`).
#[pyfunction]
fn alaw_decode<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyArray1<i16>>> {
    g711_decode(py, Law::A, data)
}

/// Decode L16 bytes (`byteorder` "little" or "big") to an int16 array.
#[pyfunction]
#[pyo3(signature = (data, byteorder = ByteOrderArg(ByteOrder::Little)))]
fn l16_decode<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    byteorder: ByteOrderArg,
) -> PyResult<Bound<'py, PyArray1<i16>>> {
    let order = byteorder.0;
    let data = BytesArg::extract(data, "data")?;
    let bytes = data.as_slice();
    let len = pcm::l16_sample_count(bytes.len()).map_err(errors::to_py)?;
    new_i16_array(py, len, |out| pcm::l16_decode(bytes, order, out))
}

/// Encode PCM as L16 bytes in `byteorder` ("little" or "big").
#[pyfunction]
#[pyo3(signature = (pcm, byteorder = ByteOrderArg(ByteOrder::Little)))]
fn l16_encode<'py>(
    py: Python<'py>,
    pcm: &Bound<'py, PyAny>,
    byteorder: ByteOrderArg,
) -> PyResult<Bound<'py, PyBytes>> {
    let order = byteorder.0;
    let pcm = PcmArg::extract(pcm, "pcm")?;
    let samples = pcm.to_i16("pcm")?;
    new_bytes(py, samples.len() * 2, |out| {
        pcm::l16_encode(&samples, order, out)
    })
}

/// Decode a base64 media payload straight to an int16 array.
#[pyfunction]
#[pyo3(signature = (payload, encoding, byteorder = ByteOrderArg(ByteOrder::Little)))]
fn decode_payload<'py>(
    py: Python<'py>,
    payload: &Bound<'py, PyAny>,
    encoding: &Bound<'py, PyAny>,
    byteorder: ByteOrderArg,
) -> PyResult<Bound<'py, PyArray1<i16>>> {
    let (encoding, order) = encoding_arg(encoding, byteorder.0)?;
    let text = TextArg::extract(payload, "payload")?;
    let text = text.as_bytes("payload")?;
    SCRATCH.with_borrow_mut(|bytes| {
        detach_if_large(py, text.len(), || decode_base64(text, bytes)).map_err(errors::to_py)?;
        let len = sample_count(bytes.len(), encoding).map_err(errors::to_py)?;
        let bytes = &*bytes;
        new_i16_array(py, len, |out| {
            payload::decode_bytes(bytes, encoding, order, out)
        })
    })
}

/// Encode PCM as a base64 media payload of `encoding`.
#[pyfunction]
#[pyo3(signature = (pcm, encoding, byteorder = ByteOrderArg(ByteOrder::Little)))]
fn encode_payload<'py>(
    py: Python<'py>,
    pcm: &Bound<'py, PyAny>,
    encoding: &Bound<'py, PyAny>,
    byteorder: ByteOrderArg,
) -> PyResult<Bound<'py, PyString>> {
    let (encoding, order) = encoding_arg(encoding, byteorder.0)?;
    let pcm = PcmArg::extract(pcm, "pcm")?;
    let samples = pcm.to_i16("pcm")?;
    let text = SCRATCH.with_borrow_mut(|bytes| {
        // Room for the bytes and their base64 is taken first: an input far larger than its
        // memory (a memory-mapped file) is an error, not an abort.
        let byte_len = samples.len().saturating_mul(encoding.bytes_per_sample());
        bytes.clear();
        alloc::reserve(bytes, byte_len, "pcm")?;
        let mut text = alloc::text(byte_len.div_ceil(3).saturating_mul(4), "pcm")?;
        detach_if_large(py, samples.len() * 2, || {
            encode_bytes(&samples, encoding, order, bytes);
            encode_base64(bytes, &mut text);
        });
        Ok::<_, audiofork_core::Error>(text)
    });
    Ok(PyString::new(py, &text.map_err(errors::to_py)?))
}

/// PCM in any form the library accepts, as a numpy array: a 1-D int16, float32 or float64
/// array is returned as it is (its samples are checked by the call that takes them), a
/// bytes-like object of little-endian int16 samples decoded into a new int16 array. Anything
/// else is the `TypeError` (or odd length the `CodecError`) every PCM-taking call raises,
/// naming `pcm`. For code that cuts PCM into pieces before passing it on.
#[pyfunction]
fn pcm_array<'py>(py: Python<'py>, pcm: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let is_array = pcm.cast::<PyArray1<i16>>().is_ok()
        || pcm.cast::<PyArray1<f32>>().is_ok()
        || pcm.cast::<PyArray1<f64>>().is_ok();
    if is_array {
        return Ok(pcm.clone());
    }
    let samples = PcmArg::extract(pcm, "pcm")?.to_i16("pcm")?.into_owned();
    Ok(PyArray1::from_vec(py, samples).into_any())
}

/// The `width` of an `audioop` drop-in: 2 (16-bit samples) is the one supported.
fn require_width_2(width: &Bound<'_, PyAny>) -> PyResult<()> {
    if width.eq(2)? {
        return Ok(());
    }
    let message = format!(
        "width must be 2 (16-bit samples); width {} is not supported by audiofork",
        width.repr()?
    );
    Err(errors::to_py(Error::Format(ErrorKind::BadValue, message)))
}

/// G.711 codes as 16-bit little-endian samples, as `bytes` (what `audioop` returns).
fn g711_to_l16_bytes<'py>(
    py: Python<'py>,
    law: Law,
    fragment: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let data = BytesArg::extract(fragment, "fragment")?;
    let codes = data.as_slice();
    let mut samples = alloc::filled(codes.len(), 0i16, "fragment").map_err(errors::to_py)?;
    let bytes_len = 2 * samples.len();
    new_bytes(py, bytes_len, |out| {
        audiofork_core::g711::decode(law, codes, &mut samples);
        pcm::l16_encode(&samples, ByteOrder::Little, out);
    })
}

/// `audioop.lin2ulaw` for 16-bit little-endian fragments (`width` must be 2).
#[pyfunction]
fn lin2ulaw<'py>(
    py: Python<'py>,
    fragment: &Bound<'py, PyAny>,
    width: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    require_width_2(width)?;
    g711_encode(py, Law::Mu, fragment, "fragment")
}

/// `audioop.lin2alaw` for 16-bit little-endian fragments (`width` must be 2).
#[pyfunction]
fn lin2alaw<'py>(
    py: Python<'py>,
    fragment: &Bound<'py, PyAny>,
    width: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    require_width_2(width)?;
    g711_encode(py, Law::A, fragment, "fragment")
}

/// `audioop.ulaw2lin` for 16-bit output: little-endian int16 bytes (`width` must be 2).
#[pyfunction]
fn ulaw2lin<'py>(
    py: Python<'py>,
    fragment: &Bound<'py, PyAny>,
    width: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    require_width_2(width)?;
    g711_to_l16_bytes(py, Law::Mu, fragment)
}

/// `audioop.alaw2lin` for 16-bit output: little-endian int16 bytes (`width` must be 2).
#[pyfunction]
fn alaw2lin<'py>(
    py: Python<'py>,
    fragment: &Bound<'py, PyAny>,
    width: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    require_width_2(width)?;
    g711_to_l16_bytes(py, Law::A, fragment)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(ulaw_encode, m)?)?;
    m.add_function(wrap_pyfunction!(ulaw_decode, m)?)?;
    m.add_function(wrap_pyfunction!(alaw_encode, m)?)?;
    m.add_function(wrap_pyfunction!(alaw_decode, m)?)?;
    m.add_function(wrap_pyfunction!(l16_encode, m)?)?;
    m.add_function(wrap_pyfunction!(l16_decode, m)?)?;
    m.add_function(wrap_pyfunction!(decode_payload, m)?)?;
    m.add_function(wrap_pyfunction!(encode_payload, m)?)?;
    m.add_function(wrap_pyfunction!(pcm_array, m)?)?;
    m.add_function(wrap_pyfunction!(lin2ulaw, m)?)?;
    m.add_function(wrap_pyfunction!(lin2alaw, m)?)?;
    m.add_function(wrap_pyfunction!(ulaw2lin, m)?)?;
    m.add_function(wrap_pyfunction!(alaw2lin, m)?)?;
    Ok(())
}
