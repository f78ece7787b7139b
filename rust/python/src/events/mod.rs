//! Stream events as frozen Python values: one class per message of the protocol, with
//! snake_case fields, equality, a readable repr and `__match_args__` for `match` statements.
//!
//! - `simple`: the plain-value events (one macro) and `UnknownEvent`;
//! - `media`: `Media`, whose text fields are spans of the message it came from;
//! - `convert`: a parsed core `Message` → its Python event.

mod convert;
mod media;
mod simple;

use pyo3::prelude::*;

pub use convert::to_py;
pub use media::Decoded;
use media::Media;
use simple::{
    Checkpoint, ClearAudio, ClearedAudio, Connected, Dtmf, PlayAudio, PlayedStream, SendDtmf,
    Start, Stop, UnknownEvent,
};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Start>()?;
    m.add_class::<Media>()?;
    m.add_class::<PlayedStream>()?;
    m.add_class::<ClearedAudio>()?;
    m.add_class::<Dtmf>()?;
    m.add_class::<Stop>()?;
    m.add_class::<PlayAudio>()?;
    m.add_class::<Checkpoint>()?;
    m.add_class::<ClearAudio>()?;
    m.add_class::<Connected>()?;
    m.add_class::<SendDtmf>()?;
    m.add_class::<UnknownEvent>()?;
    Ok(())
}
