//! Fused payload codec: base64 text straight to samples, and samples straight to base64.
//!
//! Base64 comes from `base64-simd` (runtime-detected AVX2/SSE4.1/NEON). The `base64` crate's
//! SIMD engine (0.23) encodes 20 ms frames about half as fast and has no check-only decode,
//! which `parse_message` uses on every payload; `benches/codec.rs` runs both side by side
//! (numbers in docs/packaging.md).

use base64_simd::{STANDARD, STANDARD_NO_PAD};

use crate::error::{Error, ErrorKind, Result};
use crate::format::{ByteOrder, Encoding};
use crate::{g711, pcm};

/// Offset of the first character that makes `text` invalid base64, for error messages.
/// Padding is allowed only as the last one or two characters of a length that is a multiple
/// of four. Returns the length of the text when every character is valid but the length or
/// padding is not.
pub fn invalid_base64_offset(text: &[u8]) -> usize {
    let body_len = text.iter().rposition(|&c| c != b'=').map_or(0, |p| p + 1);
    let valid_char = |c: u8| c.is_ascii_alphanumeric() || c == b'+' || c == b'/';
    text[..body_len]
        .iter()
        .position(|&c| !valid_char(c))
        .unwrap_or(text.len())
}

fn base64_error(text: &[u8]) -> Error {
    let offset = invalid_base64_offset(text);
    if offset < text.len() {
        let bad = text[offset];
        let shown = if bad.is_ascii_graphic() {
            format!("{:?}", bad as char)
        } else {
            format!("byte {bad:#04x}")
        };
        Error::Codec(
            ErrorKind::BadBase64,
            format!("invalid base64 at offset {offset} ({shown})"),
        )
    } else {
        Error::Codec(
            ErrorKind::BadBase64,
            format!(
                "invalid base64: length {} or padding is not valid",
                text.len()
            ),
        )
    }
}

fn engine_for(text: &[u8]) -> &'static base64_simd::Base64 {
    if text.len().is_multiple_of(4) {
        &STANDARD
    } else {
        &STANDARD_NO_PAD
    }
}

/// Check that `text` is valid base64 (padded or not) without decoding it anywhere.
pub fn check_base64(text: &[u8]) -> Result<()> {
    engine_for(text).check(text).map_err(|_| base64_error(text))
}

/// Decode base64 `text` into raw bytes, replacing the contents of `bytes`.
/// Padded and unpadded text are both accepted.
pub fn decode_base64(text: &[u8], bytes: &mut Vec<u8>) -> Result<()> {
    // Appending writes straight into the spare capacity: no zero fill per frame.
    bytes.clear();
    engine_for(text)
        .decode_append(text, bytes)
        .map_err(|_| base64_error(text))
}

/// Append the base64 of `bytes` (padded) to `text`.
pub fn encode_base64(bytes: &[u8], text: &mut String) {
    STANDARD.encode_append(bytes, text);
}

/// Number of samples in `byte_len` bytes of `encoding` (L16 needs an even length).
pub fn sample_count(byte_len: usize, encoding: Encoding) -> Result<usize> {
    match encoding {
        Encoding::L16 => pcm::l16_sample_count(byte_len),
        Encoding::Mulaw | Encoding::Alaw => Ok(byte_len),
    }
}

/// Decode raw wire `bytes` of `encoding` into `out`, which holds exactly
/// [`sample_count`] samples.
pub fn decode_bytes(
    bytes: &[u8],
    encoding: Encoding,
    order: ByteOrder,
    out: &mut [i16],
) -> Result<()> {
    match encoding.law() {
        Some(law) => g711::decode(law, bytes, out),
        None => pcm::l16_decode(bytes, order, out)?,
    }
    Ok(())
}

/// [`decode_bytes`], also returning the samples' sum of squares (for
/// [`crate::level::FrameEnergy`]), summed in the same pass.
pub fn decode_bytes_measured(
    bytes: &[u8],
    encoding: Encoding,
    order: ByteOrder,
    out: &mut [i16],
) -> Result<u64> {
    match encoding.law() {
        Some(law) => Ok(g711::decode_measured(law, bytes, out)),
        None => pcm::l16_decode_measured(bytes, order, out),
    }
}

/// Encode `samples` as `encoding`, replacing the contents of `bytes`.
pub fn encode_bytes(samples: &[i16], encoding: Encoding, order: ByteOrder, bytes: &mut Vec<u8>) {
    bytes.clear();
    bytes.resize(samples.len() * encoding.bytes_per_sample(), 0);
    match encoding.law() {
        Some(law) => g711::encode(law, samples, bytes),
        None => pcm::l16_encode(samples, order, bytes),
    }
}

/// Reusable buffers for the fused payload codec, so a stream allocates once, not per frame.
#[derive(Debug, Default, Clone)]
pub struct PayloadCodec {
    scratch: Vec<u8>,
}

impl PayloadCodec {
    /// A codec with empty scratch space.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decode a base64 payload of `encoding` and append its samples to `out`.
    pub fn decode(
        &mut self,
        text: &[u8],
        encoding: Encoding,
        order: ByteOrder,
        out: &mut Vec<i16>,
    ) -> Result<()> {
        let start = self.decode_text(text, encoding, out)?;
        decode_bytes(&self.scratch, encoding, order, &mut out[start..])
    }

    /// [`Self::decode`], also returning the appended samples' sum of squares (for
    /// [`crate::level::FrameEnergy`]), summed in the same pass.
    pub fn decode_measured(
        &mut self,
        text: &[u8],
        encoding: Encoding,
        order: ByteOrder,
        out: &mut Vec<i16>,
    ) -> Result<u64> {
        let start = self.decode_text(text, encoding, out)?;
        decode_bytes_measured(&self.scratch, encoding, order, &mut out[start..])
    }

    /// Base64-decode `text` into the scratch bytes and make room in `out` for their samples;
    /// returns where the samples go.
    fn decode_text(
        &mut self,
        text: &[u8],
        encoding: Encoding,
        out: &mut Vec<i16>,
    ) -> Result<usize> {
        decode_base64(text, &mut self.scratch)?;
        let start = out.len();
        out.resize(start + sample_count(self.scratch.len(), encoding)?, 0);
        Ok(start)
    }

    /// Encode `samples` as `encoding` and append the base64 payload to `text`.
    pub fn encode(
        &mut self,
        samples: &[i16],
        encoding: Encoding,
        order: ByteOrder,
        text: &mut String,
    ) {
        encode_bytes(samples, encoding, order, &mut self.scratch);
        encode_base64(&self.scratch, text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_encoding() {
        let samples: Vec<i16> = (0..160)
            .map(|i| ((i * 811) % 65536 - 32768) as i16)
            .collect();
        let mut codec = PayloadCodec::new();
        for encoding in [Encoding::Mulaw, Encoding::Alaw, Encoding::L16] {
            for order in [ByteOrder::Little, ByteOrder::Big] {
                let mut text = String::new();
                codec.encode(&samples, encoding, order, &mut text);
                let mut back = Vec::new();
                codec
                    .decode(text.as_bytes(), encoding, order, &mut back)
                    .unwrap();
                assert_eq!(back.len(), samples.len());
                if encoding == Encoding::L16 {
                    assert_eq!(back, samples);
                }
            }
        }
    }

    #[test]
    fn twenty_ms_ulaw_is_216_chars() {
        let mut text = String::new();
        PayloadCodec::new().encode(&[0; 160], Encoding::Mulaw, ByteOrder::Little, &mut text);
        assert_eq!(text.len(), 216);
    }

    #[test]
    fn bad_base64_names_the_offset() {
        let mut out = Vec::new();
        let err = PayloadCodec::new()
            .decode(b"AAAA*AAA", Encoding::Mulaw, ByteOrder::Little, &mut out)
            .unwrap_err();
        assert_eq!(err.to_string(), "invalid base64 at offset 4 ('*')");
        let err = decode_base64(b"AAAAA", &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("length 5"), "{err}");
    }

    #[test]
    fn unpadded_is_accepted() {
        let mut bytes = Vec::new();
        decode_base64(b"AAE", &mut bytes).unwrap();
        assert_eq!(bytes, [0, 1]);
    }

    #[test]
    fn odd_l16_payload_is_a_codec_error() {
        let mut out = Vec::new();
        let err = PayloadCodec::new()
            .decode(b"AAEC", Encoding::L16, ByteOrder::Little, &mut out)
            .unwrap_err();
        assert!(matches!(err, Error::Codec(ErrorKind::OddLength, _)));
        assert!(err.to_string().contains("got 3"), "{err}");
    }
}
