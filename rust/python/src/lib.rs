//! `audiofork._core`: thin PyO3 wrappers over audiofork-core. Numpy in and out, the GIL
//! released around large work, core errors mapped to the `audiofork.errors` classes.
//!
//! Modules depend one way, each only on those before it: `errors` <- `args` (argument
//! extraction) <- `format` (`MediaFormat`) <- `events` <- the rest (`input`, `array`,
//! `exclusive`, `codec`, `wire`, `pipeline`, `resample`, `ring`), which do not form a cycle
//! among themselves either (`tests/core/test_binding_layers.py` checks both).

mod args;
mod array;
mod codec;
mod errors;
mod events;
mod exclusive;
mod format;
mod input;
mod pipeline;
mod resample;
mod ring;
mod wire;

use pyo3::prelude::*;

/// `gil_used = true`: the module has not been tested on a free-threaded CPython, and the
/// small-array path in [`input`] reads numpy memory relying on the GIL. A free-threaded
/// interpreter therefore re-enables the GIL when it imports this module.
#[pymodule(gil_used = true)]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    codec::register(m)?;
    format::register(m)?;
    events::register(m)?;
    wire::register(m)?;
    ring::register(m)?;
    pipeline::register(m)?;
    resample::register(m)?;
    Ok(())
}
