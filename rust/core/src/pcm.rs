//! 16-bit linear PCM: L16 bytes in either byte order, and float32 conversion.

use crate::alloc;
use crate::error::{Error, ErrorKind, Result};
use crate::format::ByteOrder;

/// The type of the samples a caller reads: 16-bit integers or floats in [-1, 1].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SampleType {
    /// Signed 16-bit integers.
    #[default]
    Int16,
    /// 32-bit floats, full scale ±1.
    Float32,
}

impl SampleType {
    /// `"int16"` or `"float32"`.
    pub fn parse(name: &str) -> Result<SampleType> {
        match name {
            "int16" => Ok(SampleType::Int16),
            "float32" => Ok(SampleType::Float32),
            _ => Err(Error::Format(
                ErrorKind::BadValue,
                format!("{name:?} is not a sample type; expected \"int16\" or \"float32\""),
            )),
        }
    }

    /// The name [`SampleType::parse`] reads.
    pub fn name(self) -> &'static str {
        match self {
            SampleType::Int16 => "int16",
            SampleType::Float32 => "float32",
        }
    }
}

/// Number of samples in `len` bytes of L16, or a [`Error::Codec`] naming an odd length.
pub fn l16_sample_count(len: usize) -> Result<usize> {
    if !len.is_multiple_of(2) {
        return Err(Error::Codec(
            ErrorKind::OddLength,
            format!("L16 data must have an even number of bytes, got {len}"),
        ));
    }
    Ok(len / 2)
}

/// Decode L16 `bytes` into `out` (`bytes.len() / 2` samples; the length must be even).
pub fn l16_decode(bytes: &[u8], order: ByteOrder, out: &mut [i16]) -> Result<()> {
    let n = l16_sample_count(bytes.len())?;
    let out = &mut out[..n];
    let pairs = bytes.chunks_exact(2).map(|p| [p[0], p[1]]);
    match order {
        ByteOrder::Little => out
            .iter_mut()
            .zip(pairs)
            .for_each(|(o, p)| *o = i16::from_le_bytes(p)),
        ByteOrder::Big => out
            .iter_mut()
            .zip(pairs)
            .for_each(|(o, p)| *o = i16::from_be_bytes(p)),
    }
    Ok(())
}

/// Encode `samples` as L16 into `out` (`2 * samples.len()` bytes).
pub fn l16_encode(samples: &[i16], order: ByteOrder, out: &mut [u8]) {
    let out = &mut out[..samples.len() * 2];
    let pairs = out.chunks_exact_mut(2);
    match order {
        ByteOrder::Little => pairs
            .zip(samples)
            .for_each(|(p, s)| p.copy_from_slice(&s.to_le_bytes())),
        ByteOrder::Big => pairs
            .zip(samples)
            .for_each(|(p, s)| p.copy_from_slice(&s.to_be_bytes())),
    }
}

/// One float sample in [-1, 1] to int16: scaled by 32768, rounded half away from zero,
/// clipped to [-32768, 32767]. NaN becomes 0.
#[inline]
pub fn f32_to_i16(x: f32) -> i16 {
    // `as` saturates and maps NaN to 0, which is the clipping we document.
    (x * 32768.0).round() as i16
}

/// One int16 sample to float: divided by 32768, so -32768 maps to exactly -1.0.
#[inline]
pub fn i16_to_f32(x: i16) -> f32 {
    x as f32 * (1.0 / 32768.0)
}

/// Convert float samples to int16 (see [`f32_to_i16`]) into `out`.
pub fn f32_to_i16_slice(samples: &[f32], out: &mut [i16]) {
    out[..samples.len()]
        .iter_mut()
        .zip(samples)
        .for_each(|(o, &x)| *o = f32_to_i16(x));
}

/// Convert int16 samples to float (see [`i16_to_f32`]) into `out`.
pub fn i16_to_f32_slice(samples: &[i16], out: &mut [f32]) {
    out[..samples.len()]
        .iter_mut()
        .zip(samples)
        .for_each(|(o, &x)| *o = i16_to_f32(x));
}

/// Little-endian int16 bytes (any alignment) to samples; the length must be even. The
/// samples' memory is taken as [`alloc::filled`] takes it, an error naming `what` if it
/// cannot be had.
pub fn le_bytes_to_i16(bytes: &[u8], what: &str) -> Result<Vec<i16>> {
    let mut out = alloc::filled(l16_sample_count(bytes.len())?, 0i16, what)?;
    l16_decode(bytes, ByteOrder::Little, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l16_round_trips_both_orders() {
        let samples = [0i16, 1, -1, i16::MAX, i16::MIN, 0x1234];
        for order in [ByteOrder::Little, ByteOrder::Big] {
            let mut bytes = vec![0u8; samples.len() * 2];
            l16_encode(&samples, order, &mut bytes);
            let mut back = vec![0i16; samples.len()];
            l16_decode(&bytes, order, &mut back).unwrap();
            assert_eq!(back, samples);
        }
        let mut bytes = [0u8; 2];
        l16_encode(&[0x1234], ByteOrder::Big, &mut bytes);
        assert_eq!(bytes, [0x12, 0x34]);
    }

    #[test]
    fn odd_length_names_the_length() {
        let err = l16_decode(&[1, 2, 3], ByteOrder::Little, &mut [0; 2]).unwrap_err();
        assert!(err.to_string().contains('3'));
    }

    #[test]
    fn float_conversion_rounds_and_clips() {
        assert_eq!(f32_to_i16(1.0), i16::MAX);
        assert_eq!(f32_to_i16(-1.0), i16::MIN);
        assert_eq!(f32_to_i16(2.5), i16::MAX);
        assert_eq!(f32_to_i16(f32::NAN), 0);
        assert_eq!(f32_to_i16(0.5 / 32768.0), 1);
        assert_eq!(f32_to_i16(-0.5 / 32768.0), -1);
        assert_eq!(i16_to_f32(i16::MIN), -1.0);
    }
}
