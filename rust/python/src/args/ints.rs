//! Integer arguments, each with its documented range, checked during extraction: a value
//! out of range (however large) raises `ArgumentError` (`FormatError` for sample rates), both
//! `ValueError`s naming the parameter and the range, never `OverflowError`.

use std::convert::Infallible;

use audiofork_core::format::MAX_SAMPLE_RATE;
use audiofork_core::pipeline::MAX_FRAME_MS;
use audiofork_core::ring::MAX_CAPACITY;
use audiofork_core::wire::MAX_MESSAGE_BYTES_LIMIT;
use audiofork_core::{Error, ErrorKind};
use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt};

use super::wrong_type;
use crate::errors;

/// `obj` as an integer in `min..=max`, or an error of `class` (an [`Error`] variant) and
/// kind [`ErrorKind::OutOfRange`] naming `name` and the range. `bool` is refused (it is an
/// `int` in Python, but never meant as a count).
fn int_in_range(
    obj: &Bound<'_, PyAny>,
    name: &str,
    (min, max): (i128, i128),
    class: fn(ErrorKind, String) -> Error,
) -> PyResult<i128> {
    if obj.is_instance_of::<PyBool>() {
        return Err(wrong_type(obj, Some(name), "an int"));
    }
    let value = match obj.extract::<i64>() {
        Ok(value) => Some(i128::from(value)),
        Err(error) if error.is_instance_of::<PyOverflowError>(obj.py()) => {
            obj.extract::<u64>().ok().map(i128::from)
        }
        Err(error) if error.is_instance_of::<PyTypeError>(obj.py()) => {
            return Err(wrong_type(obj, Some(name), "an int"));
        }
        Err(error) => return Err(error),
    };
    match value {
        Some(value) if (min..=max).contains(&value) => Ok(value),
        _ => {
            let shown = match value {
                Some(value) => value.to_string(),
                None if obj.is_instance_of::<PyInt>() => "an integer beyond 64 bits".to_owned(),
                None => "a value that is not an integer".to_owned(),
            };
            let message = format!("{name}: {shown} is out of range ({min} to {max})");
            Err(errors::to_py(class(ErrorKind::OutOfRange, message)))
        }
    }
}

/// Declares an integer argument type: its Python name, Rust type, range and error class.
macro_rules! int_args {
    ($($(#[$doc:meta])* $name:ident($ty:ty) $param:literal in $min:expr, $max:expr => $class:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub $ty);

        impl<'py> FromPyObject<'_, 'py> for $name {
            type Error = PyErr;

            fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
                let range = ($min as i128, $max as i128);
                let value = int_in_range(&obj, $param, range, Error::$class)?;
                // In range, so it fits the type.
                Ok($name(value as $ty))
            }
        }

        impl<'py> IntoPyObject<'py> for $name {
            type Target = PyInt;
            type Output = Bound<'py, PyInt>;
            type Error = Infallible;

            fn into_pyobject(self, py: Python<'py>) -> Result<Bound<'py, PyInt>, Infallible> {
                self.0.into_pyobject(py)
            }
        }
    )*};
}

int_args! {
    /// `sample_rate`: samples per second of PCM or a format.
    SampleRate(u32) "sample_rate" in 1, MAX_SAMPLE_RATE => Format;
    /// `default_rate`: the rate of a content type that states none.
    DefaultRate(u32) "default_rate" in 1, MAX_SAMPLE_RATE => Format;
    /// `in_rate`: a resampler's input rate.
    InRate(u32) "in_rate" in 1, MAX_SAMPLE_RATE => Format;
    /// `out_rate`: a resampler's or decoder's output rate.
    OutRate(u32) "out_rate" in 1, MAX_SAMPLE_RATE => Format;
    /// `frame_ms`: an outbound frame's length.
    FrameMs(u32) "frame_ms" in 1, MAX_FRAME_MS => Argument;
    /// `ms`: a frame length to size.
    Ms(u32) "ms" in 1, MAX_FRAME_MS => Argument;
    /// `capacity`: a ring's size in samples.
    Capacity(usize) "capacity" in 1, MAX_CAPACITY => Argument;
    /// `n`: samples to read from a ring.
    Count(usize) "n" in 0, MAX_CAPACITY => Argument;
    /// `input_len`: samples a resampler would be given (the answer is exact or an error).
    InputLen(usize) "input_len" in 0, usize::MAX => Argument;
    /// `max_size`: a limit on one message's bytes.
    MaxSize(usize) "max_size" in 1, MAX_MESSAGE_BYTES_LIMIT => Argument;
    /// `max_message_size`: a limit on one message's bytes.
    MaxMessageSize(usize) "max_message_size" in 1, MAX_MESSAGE_BYTES_LIMIT => Argument;
    /// `sequence_number`: a message's position in its stream.
    SequenceNumber(u64) "sequence_number" in 0, u64::MAX => Argument;
    /// `chunk`: a media message's count in its stream.
    Chunk(u64) "chunk" in 0, u64::MAX => Argument;
    /// `timestamp_ms`: a message's time in milliseconds.
    TimestampMs(u64) "timestamp_ms" in 0, u64::MAX => Argument;
}
