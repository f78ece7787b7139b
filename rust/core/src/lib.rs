//! audiofork-core: the sample-level work of a telephony media stream, with no Python in it.
//!
//! - [`g711`]: μ-law and A-law, bit-exact with ITU-T G.711 (as CPython's `audioop`).
//! - [`pcm`]: 16-bit linear PCM (L16) in either byte order, float conversion.
//! - [`format`]: encodings and wire content types (`audio/x-l16;rate=16000`).
//! - [`payload`]: base64 text straight to samples and back, in one pass.
//! - [`ring`]: bounded sample FIFO with markers (playback tracking, packetising).
//! - [`wire`]: every stream message parsed from and written to JSON text.
//! - [`error`]: the error type every fallible function returns.

pub mod dispatch;
pub mod error;
pub mod format;
pub mod g711;
pub mod payload;
pub mod pcm;
pub mod pipeline;
pub mod resample;
pub mod ring;
pub mod wire;

pub use error::{Error, Result};
pub use format::{ByteOrder, ContentType, Encoding, MediaFormat};
