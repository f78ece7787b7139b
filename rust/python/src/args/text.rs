//! String arguments that must be valid UTF-8: a `str` holding a lone surrogate raises
//! `ArgumentError` naming the parameter, not `UnicodeEncodeError`.

use audiofork_core::{Error, ErrorKind};
use pyo3::prelude::*;
use pyo3::types::PyString;

use super::wrong_type;
use crate::errors;

/// `obj` as a `str`, or a `TypeError` naming `name` when known.
fn py_str<'a, 'py>(
    obj: &'a Bound<'py, PyAny>,
    name: Option<&str>,
) -> PyResult<&'a Bound<'py, PyString>> {
    obj.cast::<PyString>()
        .map_err(|_| wrong_type(obj, name, "a str"))
}

fn not_utf8(name: &str) -> PyErr {
    let message = format!("{name}: not valid UTF-8 (it holds a lone surrogate)");
    errors::to_py(Error::Argument(ErrorKind::BadUtf8, message))
}

/// `obj` as a `str` whose UTF-8 form exists.
fn utf8_str<'py>(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<Bound<'py, PyString>> {
    let text = py_str(obj, Some(name))?;
    if text.to_str().is_err() {
        return Err(not_utf8(name));
    }
    Ok(text.clone())
}

/// A `str` argument copied out, whose UTF-8 check is reported by [`StrArg::into_string`]
/// under the name the caller gives (for constructors a macro declares).
pub struct StrArg(Option<String>);

impl StrArg {
    /// The text, or `ArgumentError` naming `name` if it is not valid UTF-8.
    pub fn into_string(self, name: &str) -> PyResult<String> {
        self.0.ok_or_else(|| not_utf8(name))
    }
}

impl<'py> FromPyObject<'_, 'py> for StrArg {
    type Error = PyErr;

    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        Ok(StrArg(py_str(&obj, None)?.to_str().ok().map(str::to_owned)))
    }
}

/// Declares a string argument type: a `str` checked to be UTF-8, read without a copy.
macro_rules! text_args {
    ($($(#[$doc:meta])* $name:ident $param:literal;)*) => {$(
        $(#[$doc])*
        pub struct $name<'py>(Bound<'py, PyString>);

        impl $name<'_> {
            /// The text (checked to be UTF-8 at extraction, so this cannot come out empty
            /// for a non-empty string).
            pub fn as_str(&self) -> &str {
                self.0.to_str().unwrap_or_default()
            }
        }

        impl<'py> FromPyObject<'_, 'py> for $name<'py> {
            type Error = PyErr;

            fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
                utf8_str(&obj, $param).map($name)
            }
        }
    )*};
}

text_args! {
    /// `stream_id`.
    StreamId "stream_id";
    /// `name` of a checkpoint or marker.
    Name "name";
    /// `payload`: base64 text.
    Payload "payload";
    /// `call_id`.
    CallId "call_id";
    /// `account_id`.
    AccountId "account_id";
    /// `extra_headers` text.
    ExtraHeaders "extra_headers";
    /// `digit` of a DTMF event.
    Digit "digit";
    /// `digits` to play into a call.
    Digits "digits";
}
