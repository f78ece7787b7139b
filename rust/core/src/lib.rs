//! audiofork-core: the sample-level work of a telephony media stream, with no Python in it.
//!
//! - [`error`]: the error type every fallible function returns, with its [`ErrorKind`].
//! - [`format`]: encodings and wire content types (`audio/x-l16;rate=16000`).
//! - [`g711`]: μ-law and A-law, bit-exact with ITU-T G.711 (as CPython's `audioop`).
//! - [`level`]: frame levels in dBFS, measured while samples are decoded.
//! - [`payload`]: base64 text straight to samples and back, in one pass.
//! - [`pcm`]: 16-bit linear PCM (L16) in either byte order, float conversion, finiteness.
//! - [`pipeline`]: per-frame inbound decoding and outbound encoding, message to samples and back.
//! - [`resample`]: streaming sample-rate conversion with exact 20 ms framing.
//! - [`ring`]: bounded sample FIFO with markers (playback tracking, packetising).
//! - `simd`: runtime CPU-feature dispatch and the 8-lane vector type (crate-internal).
//! - [`wire`]: every stream message parsed from and written to JSON text.

pub mod alloc;
pub mod error;
pub mod format;
pub mod g711;
pub mod level;
pub mod payload;
pub mod pcm;
pub mod pipeline;
pub mod resample;
pub mod ring;
mod simd;
pub mod wire;

pub use error::{Error, ErrorKind, Result};
pub use format::{ByteOrder, ContentType, Encoding, MediaFormat};
