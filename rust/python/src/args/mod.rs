//! Python arguments checked once, at extraction, into family errors that name the parameter:
//! closed sets of names (`names`), integers within documented ranges (`ints`) and strings
//! that must be valid UTF-8 (`text`).

mod ints;
mod names;
mod text;

pub use ints::*;
pub use names::*;
pub use text::*;
