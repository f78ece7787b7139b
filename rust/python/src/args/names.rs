//! Arguments from closed sets of names (`byteorder`, `quality`, `overflow`, `out_dtype`):
//! each read by its one core parser, so every spelling error is the family's `FormatError`.

use audiofork_core::pcm::SampleType;
use audiofork_core::resample::Quality;
use audiofork_core::ring::Overflow;
use audiofork_core::wire::{Dialect, Sender, Track};
use audiofork_core::ByteOrder;
use pyo3::prelude::*;
use std::convert::Infallible;

use pyo3::types::PyString;

use super::wrong_type;
use crate::errors;

/// Declares an argument type read from a `str` by a core `parse` function; errors read
/// `parameter: reason`.
macro_rules! named_arg {
    ($(#[$doc:meta])* $name:ident($core:ty) $param:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub $core);

        impl<'py> FromPyObject<'_, 'py> for $name {
            type Error = PyErr;

            fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
                let text = obj
                    .cast::<PyString>()
                    .map_err(|_| wrong_type(&obj, Some($param), "a str"))?;
                <$core>::parse(&text.to_string_lossy())
                    .map($name)
                    .map_err(|error| errors::to_py(error.in_field($param)))
            }
        }
    };
}

named_arg!(
    /// `byteorder`: `"little"` or `"big"`.
    ByteOrderArg(ByteOrder) "byteorder"
);
named_arg!(
    /// `quality`: `"default"` or `"high"`.
    QualityArg(Quality) "quality"
);
named_arg!(
    /// `overflow`: `"drop_oldest"` or `"reject"`.
    OverflowArg(Overflow) "overflow"
);
named_arg!(
    /// `out_dtype`: `"int16"` or `"float32"`.
    SampleTypeArg(SampleType) "out_dtype"
);
named_arg!(
    /// `track`: `"inbound"` or `"outbound"`.
    TrackArg(Track) "track"
);
named_arg!(
    /// `dialect`: `"vobiz"`, `"plivo"` or `"twilio"` (an `audiofork.Dialect` is a `str`).
    DialectArg(Dialect) "dialect"
);
named_arg!(
    /// `sender`: `"platform"` or `"app"`.
    SenderArg(Sender) "sender"
);

impl<'py> IntoPyObject<'py> for TrackArg {
    type Target = PyString;
    type Output = Bound<'py, PyString>;
    type Error = Infallible;

    fn into_pyobject(self, py: Python<'py>) -> Result<Bound<'py, PyString>, Infallible> {
        Ok(PyString::intern(py, self.0.name()))
    }
}
