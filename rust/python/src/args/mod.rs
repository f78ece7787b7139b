//! Python arguments checked once, at extraction, into family errors that name the parameter:
//! closed sets of names (`names`), integers within documented ranges (`ints`) and strings
//! that must be valid UTF-8 (`text`).

mod ints;
mod names;
mod text;

pub use ints::*;
pub use names::*;
pub use text::*;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::input::type_name;

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
