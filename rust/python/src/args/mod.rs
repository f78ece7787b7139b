//! Python arguments checked once, at extraction, into family errors that name the parameter:
//! closed sets of names (`names`), integers within documented ranges (`ints`) and strings
//! that must be valid UTF-8 (`text`); and the type names those errors show.

mod ints;
mod names;
mod text;

pub use ints::*;
pub use names::*;
pub use text::*;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

/// The name of `obj`'s type, for messages: `int`, `NoneType`, `ndarray`.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_owned())
}

/// `TypeError`: `name: expected <expected>, got <type of obj>`, the parameter named in the
/// message itself (PyO3 names it only in a note, `while processing 'name'`). Without `name`
/// (an argument type shared by several parameters), just `expected ..., got ...`.
fn wrong_type(obj: &Bound<'_, PyAny>, name: Option<&str>, expected: &str) -> PyErr {
    let prefix = name.map(|name| format!("{name}: ")).unwrap_or_default();
    PyTypeError::new_err(format!(
        "{prefix}expected {expected}, got {}",
        type_name(obj)
    ))
}
