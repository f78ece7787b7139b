//! Reading Python arguments: PCM in any accepted form, bytes-like data, encodings.

use std::borrow::Cow;

use audiofork_core::{alloc, pcm, ByteOrder, ContentType, Encoding, Error, ErrorKind};
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::buffer::PyBuffer;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};

use crate::args::type_name;
use crate::errors;
use crate::format::PyMediaFormat;

/// Inputs at least this many bytes long are processed with the GIL released.
pub const DETACH_BYTES: usize = 8 * 1024;

/// Run `work` with the GIL released when `size` bytes make it worth the hand-off.
///
/// Callers pass a `size` no larger than the PCM input's byte length, so an input read
/// without numpy's borrow registry ([`PcmArg::SmallI16`], under `DETACH_BYTES`) is never
/// read with the GIL released.
pub fn detach_if_large<T: Send>(py: Python<'_>, size: usize, work: impl FnOnce() -> T + Send) -> T {
    if size >= DETACH_BYTES {
        py.detach(work)
    } else {
        work()
    }
}

const PCM_ACCEPTED: &str = "a 1-D numpy array of int16, float32 or float64 samples, or a \
                            bytes-like object of little-endian int16 samples";

/// PCM as the library accepts it everywhere: contiguous, aligned int16 and float32 numpy
/// arrays are borrowed, anything else (strided or misaligned arrays, bytes-like objects) is
/// copied once, and float64 arrays are converted to float32 once, here in Rust. Float
/// samples that are not finite are refused (see [`PcmArg::extract`]).
///
/// Small arrays (a 20 ms frame) skip numpy's dynamic borrow registry, which costs ~75 ns a
/// call; they are read only while this call holds the GIL (see [`detach_if_large`]), so no
/// Python code can change them meanwhile. Larger arrays, which are processed with the GIL
/// released, go through `PyReadonlyArray` so a concurrent Rust writer would be refused.
pub enum PcmArg<'py> {
    SmallI16(Bound<'py, PyArray1<i16>>),
    SmallF32(Bound<'py, PyArray1<f32>>),
    I16Array(PyReadonlyArray1<'py, i16>),
    F32Array(PyReadonlyArray1<'py, f32>),
    I16(Vec<i16>),
    F32(Vec<f32>),
    /// A float64 array, converted to float32.
    F64(Vec<f32>),
}

/// Borrowed view of a [`PcmArg`]'s samples, in the type they came in.
pub enum Samples<'a> {
    I16(&'a [i16]),
    F32(&'a [f32]),
}

fn array_description(array: &Bound<'_, PyUntypedArray>) -> String {
    let attribute = |name: &str| {
        array
            .getattr(name)
            .and_then(|value| value.str())
            .map(|text| text.to_string())
            .unwrap_or_default()
    };
    format!(
        "ndarray of dtype {} with shape {}",
        attribute("dtype"),
        attribute("shape")
    )
}

/// A copy of `buffer`'s items, its memory taken with `try_reserve`: a strided view can
/// describe far more items than it has memory (a stride of 0), and a copy too large for
/// memory is an `ArgumentError` naming `name`.
fn buffer_copy<T: pyo3::buffer::Element + Copy + Default>(
    obj: &Bound<'_, PyAny>,
    buffer: &PyBuffer<T>,
    name: &str,
) -> PyResult<Vec<T>> {
    let mut items =
        alloc::filled(buffer.item_count(), T::default(), name).map_err(errors::to_py)?;
    buffer.copy_to_slice(obj.py(), &mut items)?;
    Ok(items)
}

/// A copy of a numpy array that cannot be borrowed as a slice (strided, or its data not
/// aligned for its dtype), its memory taken as [`buffer_copy`] takes it. Each item is read
/// unaligned at its byte offset, so any stride and any data address are read correctly.
fn strided_copy<T: numpy::Element + Copy + Default>(
    array: &PyReadonlyArray1<'_, T>,
    name: &str,
) -> PyResult<Vec<T>> {
    let mut items = alloc::filled(array.len(), T::default(), name).map_err(errors::to_py)?;
    let data = array.data().cast::<u8>().cast_const();
    let stride = array.strides()[0];
    for (index, item) in items.iter_mut().enumerate() {
        // SAFETY: numpy guarantees that `data + index * stride` for `index < len` is the
        // address of an item inside the array's memory; `read_unaligned` needs no alignment,
        // and the readonly borrow keeps Rust writers out while we read (the GIL keeps out
        // Python ones).
        *item = unsafe {
            data.offset(index as isize * stride)
                .cast::<T>()
                .read_unaligned()
        };
    }
    Ok(items)
}

/// Samples from a buffer-protocol object: little-endian int16 bytes (`bytes` and
/// `bytearray` decoded in place, any other byte buffer copied once first) or native int16
/// items (array.array('h'), memoryview.cast('h')). `None` if `obj` is neither; an error if
/// the memory needed cannot be had.
fn buffer_samples(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Option<Vec<i16>>> {
    let decode = |bytes: &[u8]| pcm::le_bytes_to_i16(bytes, name).map_err(errors::to_py);
    if let Ok(bytes) = obj.cast::<PyBytes>() {
        return decode(bytes.as_bytes()).map(Some);
    }
    if let Ok(array) = obj.cast::<PyByteArray>() {
        // SAFETY: the GIL is held until the decode returns and no Python code runs
        // meanwhile, so nothing can resize or write the bytearray while it is read.
        return decode(unsafe { array.as_bytes() }).map(Some);
    }
    if let Ok(buffer) = PyBuffer::<u8>::get(obj) {
        return decode(&buffer_copy(obj, &buffer, name)?).map(Some);
    }
    let Ok(buffer) = PyBuffer::<i16>::get(obj) else {
        return Ok(None);
    };
    buffer_copy(obj, &buffer, name).map(Some)
}

impl<'py> PcmArg<'py> {
    /// PCM from the argument `obj` of the caller's parameter `name`, which every error
    /// names. Float64 samples are converted to float32 here and refused if not finite;
    /// float32 samples are checked by each call after it has sized its output (so that an
    /// input too large for memory is an `ArgumentError` at once, not a scan of all of it),
    /// before anything is done with them: [`Self::to_i16`] as it converts, the resampling
    /// calls with `pcm::check_finite`.
    pub fn extract(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<Self> {
        if let Ok(a) = obj.cast::<PyArray1<i16>>() {
            if a.is_c_contiguous() && a.is_aligned() && 2 * a.len() < DETACH_BYTES {
                return Ok(PcmArg::SmallI16(a.clone()));
            }
        }
        if let Ok(a) = obj.cast::<PyArray1<f32>>() {
            if a.is_c_contiguous() && a.is_aligned() && 4 * a.len() < DETACH_BYTES {
                return Ok(PcmArg::SmallF32(a.clone()));
            }
        }
        if let Ok(array) = obj.cast::<PyUntypedArray>() {
            if array.ndim() == 1 {
                if let Ok(a) = obj.extract::<PyReadonlyArray1<'py, i16>>() {
                    return Ok(match a.as_slice() {
                        Ok(_) => PcmArg::I16Array(a),
                        Err(_) => PcmArg::I16(strided_copy(&a, name)?),
                    });
                }
                if let Ok(a) = obj.extract::<PyReadonlyArray1<'py, f32>>() {
                    return Ok(match a.as_slice() {
                        Ok(_) => PcmArg::F32Array(a),
                        Err(_) => PcmArg::F32(strided_copy(&a, name)?),
                    });
                }
                if let Ok(a) = obj.extract::<PyReadonlyArray1<'py, f64>>() {
                    return f64_converted(&a, name).map(PcmArg::F64);
                }
            }
            return Err(PyTypeError::new_err(format!(
                "{name} must be {PCM_ACCEPTED}, got {}",
                array_description(array)
            )));
        }
        let not_pcm = || {
            PyTypeError::new_err(format!(
                "{name} must be {PCM_ACCEPTED}, got {}",
                type_name(obj)
            ))
        };
        if obj.is_instance_of::<PyString>() {
            return Err(not_pcm());
        }
        let samples = buffer_samples(obj, name)?.ok_or_else(not_pcm)?;
        Ok(PcmArg::I16(samples))
    }

    /// The samples in the type they came in. Arrays kept borrowed were checked contiguous
    /// and aligned at extraction, so their slices exist; should one not, this is an error,
    /// never an empty slice.
    pub fn samples(&self) -> PyResult<Samples<'_>> {
        Ok(match self {
            // SAFETY: contiguous and aligned (checked at extraction), so the slice covers
            // exactly the array's memory. What keeps writers out while the slice lives is the
            // GIL: this call holds it from extraction until the slice is dropped (small inputs
            // are never detached, see `detach_if_large`), and the module is declared
            // `gil_used`, so a free-threaded interpreter runs it with the GIL enabled too. No
            // Python code and no extension code that holds the GIL can write the array
            // meanwhile. numpy's borrow registry is not consulted: native code that writes
            // numpy memory with the GIL released, or keeps a mutable borrow across a call into
            // us, is not guarded against, as with any extension that reads arrays under the
            // GIL.
            PcmArg::SmallI16(a) => Samples::I16(borrowed(unsafe { a.as_slice() })?),
            PcmArg::SmallF32(a) => Samples::F32(borrowed(unsafe { a.as_slice() })?),
            PcmArg::I16Array(a) => Samples::I16(borrowed(a.as_slice())?),
            PcmArg::F32Array(a) => Samples::F32(borrowed(a.as_slice())?),
            PcmArg::I16(v) => Samples::I16(v),
            PcmArg::F32(v) | PcmArg::F64(v) => Samples::F32(v),
        })
    }

    /// Whether the samples came as float64 (and are held converted to float32).
    pub fn is_float64(&self) -> bool {
        matches!(self, PcmArg::F64(_))
    }

    /// Whether the samples may be read with the GIL released.
    pub fn readable_without_gil(&self) -> bool {
        !matches!(self, PcmArg::SmallI16(_) | PcmArg::SmallF32(_))
    }

    /// The samples as int16 (float input converted: ×32768, rounded half away from zero,
    /// clipped to full scale; float64 by way of float32); an `ArgumentError` naming `name`
    /// if the converted copy does not fit in memory, a `CodecError` if a float sample is not
    /// finite.
    pub fn to_i16(&self, name: &str) -> PyResult<Cow<'_, [i16]>> {
        Ok(match self.samples()? {
            Samples::I16(s) => Cow::Borrowed(s),
            Samples::F32(f) => {
                let mut out = alloc::filled(f.len(), 0i16, name).map_err(errors::to_py)?;
                pcm::f32_to_i16_finite(f, &mut out, name).map_err(errors::to_py)?;
                Cow::Owned(out)
            }
        })
    }
}

/// A float64 array converted to float32 (`pcm::f64_to_f32_slice`: refused if a sample is
/// not finite), its memory taken as [`buffer_copy`] takes it. Read where it lies when
/// contiguous and aligned, else copied first.
fn f64_converted(array: &PyReadonlyArray1<'_, f64>, name: &str) -> PyResult<Vec<f32>> {
    let copy;
    let samples = match array.as_slice() {
        Ok(samples) => samples,
        Err(_) => {
            copy = strided_copy(array, name)?;
            &copy
        }
    };
    let mut out = alloc::filled(samples.len(), 0f32, name).map_err(errors::to_py)?;
    pcm::f64_to_f32_slice(samples, &mut out, name).map_err(errors::to_py)?;
    Ok(out)
}

/// A borrowed array's slice; numpy refusing it (not contiguous or not aligned, which
/// extraction rules out) is an error rather than silently no samples.
fn borrowed<T>(slice: Result<&[T], numpy::AsSliceError>) -> PyResult<&[T]> {
    slice.map_err(|err| PyRuntimeError::new_err(format!("PCM array not readable: {err}")))
}

/// Bytes-like data (codes, L16 bytes), borrowed from `bytes` and copied from anything else.
pub enum BytesArg<'py> {
    Bytes(Bound<'py, PyBytes>),
    Owned(Vec<u8>),
}

impl<'py> BytesArg<'py> {
    pub fn extract(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<Self> {
        if let Ok(bytes) = obj.cast::<PyBytes>() {
            return Ok(BytesArg::Bytes(bytes.clone()));
        }
        if let Ok(array) = obj.cast::<PyByteArray>() {
            return Ok(BytesArg::Owned(array.to_vec()));
        }
        if !obj.is_instance_of::<PyString>() {
            if let Ok(buffer) = PyBuffer::<u8>::get(obj) {
                return Ok(BytesArg::Owned(buffer_copy(obj, &buffer, name)?));
            }
        }
        Err(PyTypeError::new_err(format!(
            "{name} must be a bytes-like object, got {}",
            type_name(obj)
        )))
    }

    pub fn as_slice(&self) -> &[u8] {
        match self {
            BytesArg::Bytes(b) => b.as_bytes(),
            BytesArg::Owned(v) => v,
        }
    }
}

/// Base64 text given as `str` or any bytes-like object.
pub enum TextArg<'py> {
    Str(Bound<'py, PyString>),
    Bytes(BytesArg<'py>),
}

impl<'py> TextArg<'py> {
    pub fn extract(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<Self> {
        if let Ok(s) = obj.cast::<PyString>() {
            return Ok(TextArg::Str(s.clone()));
        }
        BytesArg::extract(obj, name)
            .map(TextArg::Bytes)
            .map_err(|_| {
                PyTypeError::new_err(format!(
                    "{name} must be str or bytes-like, got {}",
                    type_name(obj)
                ))
            })
    }

    /// The Python object holding the text, when it is immutable (`str` or `bytes`), so
    /// views into the text can keep it instead of copying.
    pub fn immutable_source(&self) -> Option<Bound<'py, PyAny>> {
        match self {
            TextArg::Str(s) => Some(s.clone().into_any()),
            TextArg::Bytes(BytesArg::Bytes(b)) => Some(b.clone().into_any()),
            TextArg::Bytes(BytesArg::Owned(_)) => None,
        }
    }

    /// The UTF-8 bytes; a `str` holding a lone surrogate is a `CodecError` naming `name`.
    pub fn as_bytes(&self, name: &str) -> PyResult<&[u8]> {
        match self {
            TextArg::Str(s) => s.to_str().map(str::as_bytes).map_err(|_| {
                errors::to_py(Error::Codec(
                    ErrorKind::BadUtf8,
                    format!("{name}: not valid UTF-8 (it holds a lone surrogate)"),
                ))
            }),
            TextArg::Bytes(b) => Ok(b.as_slice()),
        }
    }
}

/// An `encoding` argument: a content type or alias string, or a `MediaFormat`, whose byte
/// order then wins over `byteorder`.
pub fn encoding_arg(
    obj: &Bound<'_, PyAny>,
    byteorder: ByteOrder,
) -> PyResult<(Encoding, ByteOrder)> {
    if let Ok(text) = obj.cast::<PyString>() {
        let content_type = ContentType::parse(&text.to_string_lossy())
            .map_err(|error| errors::to_py(error.in_field("encoding")))?;
        return Ok((content_type.encoding, byteorder));
    }
    if let Ok(format) = obj.cast::<PyMediaFormat>() {
        let format = format.get().0;
        return Ok((format.encoding, format.byte_order));
    }
    Err(PyTypeError::new_err(format!(
        "encoding must be a content type string or a MediaFormat, got {}",
        type_name(obj)
    )))
}
