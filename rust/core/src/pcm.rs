//! 16-bit linear PCM: L16 bytes in either byte order, float conversion (float32, and
//! float64 by way of float32), and the finiteness rule for float input.

use crate::alloc;
use crate::error::{Error, ErrorKind, Result};
use crate::format::ByteOrder;
use crate::level;
use crate::simd::vectorised;

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

/// [`l16_decode`], also returning the samples' sum of squares (for
/// [`crate::level::FrameEnergy`]), added up as the samples are written.
pub fn l16_decode_measured(bytes: &[u8], order: ByteOrder, out: &mut [i16]) -> Result<u64> {
    l16_sample_count(bytes.len())?;
    let (pairs, _) = bytes.as_chunks::<2>();
    Ok(match order {
        ByteOrder::Little => level::decode_measured(out, pairs, i16::from_le_bytes),
        ByteOrder::Big => level::decode_measured(out, pairs, i16::from_be_bytes),
    })
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
/// clipped to [-32768, 32767]. NaN becomes 0 (callers taking floats from outside refuse NaN
/// and infinities first, see [`check_finite`]).
#[inline(always)]
pub fn f32_to_i16(x: f32) -> i16 {
    // `as` saturates and maps NaN to 0, which is the clipping we document.
    (x * 32768.0).round() as i16
}

/// One float64 sample to float32: rounded to the nearest float32; values beyond float32's
/// range (infinities included) saturate to its largest magnitude, NaN stays NaN.
#[inline(always)]
pub fn f64_to_f32(x: f64) -> f32 {
    let max = f64::from(f32::MAX);
    // `clamp` keeps NaN; `f64_to_f32_slice` refuses NaN and infinities in the same pass.
    x.clamp(-max, max) as f32
}

/// Samples checked per block before looking for the first bad one: short enough that a bad
/// sample early in a long input stops the work soon, long enough to vectorise.
const FINITE_BLOCK: usize = 256;

/// The error for the first sample of `samples` (which start at index `start` of argument
/// `name`) that is not finite.
fn non_finite_error<T: Copy + Into<f64>>(samples: &[T], start: usize, name: &str) -> Error {
    let (offset, value) = samples
        .iter()
        .map(|&x| x.into())
        .enumerate()
        .find(|(_, x)| !x.is_finite())
        .unwrap_or((0, f64::NAN));
    let shown = if value.is_nan() {
        "nan"
    } else if value > 0.0 {
        "inf"
    } else {
        "-inf"
    };
    Error::Codec(
        ErrorKind::BadValue,
        format!(
            "{name}[{}] is {shown}: float samples must be finite (NaN and ±inf are refused)",
            start + offset
        ),
    )
}

/// `out[i] = convert(samples[i])` a block at a time (vectorised), stopping after the first
/// block that holds a sample which is not finite, with the error for that sample (see
/// [`check_finite`]); what `out` holds after an error is unspecified.
fn convert_finite<T: Copy + Into<f64>, U>(
    samples: &[T],
    out: &mut [U],
    name: &str,
    convert: impl Fn(T) -> U,
) -> Result<()> {
    let out = &mut out[..samples.len()];
    let bad_block = vectorised(|| {
        let blocks = samples
            .chunks(FINITE_BLOCK)
            .zip(out.chunks_mut(FINITE_BLOCK));
        blocks.into_iter().position(|(block, out)| {
            let mut finite = true;
            for (o, &x) in out.iter_mut().zip(block) {
                finite &= x.into().is_finite();
                *o = convert(x);
            }
            !finite
        })
    });
    match bad_block {
        None => Ok(()),
        Some(block) => {
            let start = block * FINITE_BLOCK;
            Err(non_finite_error(&samples[start..], start, name))
        }
    }
}

/// Refuse float samples that are not finite: an [`Error::Codec`] of kind
/// [`ErrorKind::BadValue`] naming `name` and the first such sample's index and value
/// (`nan`, `inf` or `-inf`). Finite values beyond ±1 pass (converted to int16 they clip to
/// full scale).
pub fn check_finite(samples: &[f32], name: &str) -> Result<()> {
    let bad_block = vectorised(|| {
        samples
            .chunks(FINITE_BLOCK)
            .position(|block| !block.iter().fold(true, |ok, x| ok & x.is_finite()))
    });
    match bad_block {
        None => Ok(()),
        Some(block) => {
            let start = block * FINITE_BLOCK;
            Err(non_finite_error(&samples[start..], start, name))
        }
    }
}

/// Convert float64 samples to float32 (see [`f64_to_f32`]) into `out`, refusing samples
/// that are not finite as [`check_finite`] does, in the same pass (what `out` holds after
/// an error is unspecified).
pub fn f64_to_f32_slice(samples: &[f64], out: &mut [f32], name: &str) -> Result<()> {
    convert_finite(samples, out, name, f64_to_f32)
}

/// Convert float samples to int16 (see [`f32_to_i16`]) into `out`, refusing samples that
/// are not finite as [`check_finite`] does, in the same pass (what `out` holds after an
/// error is unspecified).
pub fn f32_to_i16_finite(samples: &[f32], out: &mut [i16], name: &str) -> Result<()> {
    convert_finite(samples, out, name, f32_to_i16)
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

/// Little-endian int16 bytes (any alignment) to samples; the length must be even (else an
/// error naming `what`). The samples' memory is taken as [`alloc::filled`] takes it, an
/// error naming `what` if it cannot be had.
pub fn le_bytes_to_i16(bytes: &[u8], what: &str) -> Result<Vec<i16>> {
    let len = l16_sample_count(bytes.len()).map_err(|error| error.in_field(what))?;
    let mut out = alloc::filled(len, 0i16, what)?;
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

    #[test]
    fn float64_goes_by_way_of_float32_and_saturates() {
        let x = [
            0.0,
            -0.0,
            0.25,
            1e-320,
            1.5,
            -1e300,
            1e39,
            f64::from(f32::MAX),
        ];
        let mut out = [1.0f32; 8];
        f64_to_f32_slice(&x, &mut out, "pcm").unwrap();
        assert_eq!(out[..5], [0.0, -0.0, 0.25, 0.0, 1.5]);
        assert!(out[1].is_sign_negative());
        assert_eq!(out[5..], [-f32::MAX, f32::MAX, f32::MAX]);
    }

    #[test]
    fn samples_that_are_not_finite_are_refused_naming_the_first() {
        for (bad, shown) in [
            (f32::NAN, "nan"),
            (f32::INFINITY, "inf"),
            (f32::NEG_INFINITY, "-inf"),
        ] {
            // Past the first block, so the index counts whole blocks.
            let mut x = vec![0.5f32; 700];
            x[600] = bad;
            x[650] = f32::NAN;
            let expected = format!(
                "pcm[600] is {shown}: float samples must be finite (NaN and ±inf are refused)"
            );
            let error = check_finite(&x, "pcm").unwrap_err();
            assert_eq!(
                (error.kind(), error.to_string()),
                (ErrorKind::BadValue, expected.clone())
            );
            let error = f32_to_i16_finite(&x, &mut [0; 700], "pcm").unwrap_err();
            assert_eq!(error.to_string(), expected);
            let wide: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
            let error = f64_to_f32_slice(&wide, &mut [0.0; 700], "pcm").unwrap_err();
            assert_eq!(error.to_string(), expected);
        }
        let mut out = [0; 3];
        f32_to_i16_finite(&[1.5, -2.0, 0.5 / 32768.0], &mut out, "pcm").unwrap();
        assert_eq!(out, [i16::MAX, i16::MIN, 1]);
        assert!(check_finite(&[f32::MAX, -f32::MAX, f32::MIN_POSITIVE / 2.0], "pcm").is_ok());
    }
}
