//! Frame levels: the sum of the squares of decoded samples, added up in the loop that writes
//! them (no second pass over the samples), and the RMS level in dBFS it gives
//! ([`FrameEnergy`]).
//!
//! The sum is exact (an integer). With AVX2 each block of 16 samples is decoded into
//! registers, stored, and squared and summed pairwise by one `vpmaddwd` (two squares of at
//! most 2^30 each, so each pair fits 32 unsigned bits); the pair sums are kept as their high
//! and low 16-bit halves in 32-bit lanes, which cannot overflow within [`SPAN`] samples, and
//! added into a 64-bit total after each span. The portable build adds each square into a
//! 64-bit total.

use crate::simd::Simd;

/// The lowest level [`FrameEnergy::level_dbfs`] reports: digital silence, and anything quieter than this,
/// reads -100 dBFS. (The quantisation noise of 16-bit audio is about -101 dBFS, so nothing
/// below this is signal; a finite floor also keeps averages of levels finite.)
pub const LEVEL_FLOOR_DBFS: f64 = -100.0;

/// What a frame's level is computed from: its int16 samples' sum of squares and their
/// count. Kept as is per frame, so the logarithm is taken only when the level is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrameEnergy {
    /// The sum of the samples' squares.
    pub sum_squares: u64,
    /// How many samples.
    pub samples: usize,
}

impl FrameEnergy {
    /// RMS level in dB relative to full scale: `10 * log10(sum_squares / samples /
    /// 32768^2)`, so a square wave at -32768/32767 reads 0 dBFS and a full-scale sine about
    /// -3.01 dBFS. Never below [`LEVEL_FLOOR_DBFS`], which an empty frame also reads.
    pub fn level_dbfs(self) -> f64 {
        if self.samples == 0 || self.sum_squares == 0 {
            return LEVEL_FLOOR_DBFS;
        }
        let full_scale = 32768.0 * 32768.0;
        let mean_square = self.sum_squares as f64 / self.samples as f64 / full_scale;
        (10.0 * mean_square.log10()).max(LEVEL_FLOOR_DBFS)
    }
}

/// Samples between carries of the AVX2 lanes into the 64-bit total: each lane then holds at
/// most `SPAN / 16` pair sums, whose low halves (< 2^16 each) and high halves (<= 2^15 each)
/// add up to less than 2^32.
const SPAN: usize = 1 << 16;

/// The square of one sample, as an exact unsigned integer (at most 2^30).
#[inline(always)]
fn square(sample: i16) -> u64 {
    u64::from(sample.unsigned_abs()).pow(2)
}

/// `out[i] = decode(codes[i])` for every code (`out` at least as long), returning the sum of
/// the squares of the samples written, added up as they are written.
#[inline(always)]
pub(crate) fn decode_measured<C: Copy>(
    out: &mut [i16],
    codes: &[C],
    decode: impl Fn(C) -> i16,
) -> u64 {
    let out = &mut out[..codes.len()];
    match Simd::detect() {
        // SAFETY: `Simd::Avx2Fma` is only ever detected on CPUs with AVX2 and FMA.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2Fma => unsafe { avx2::decode_measured(out, codes, decode) },
        Simd::Portable => portable(out, codes, decode),
    }
}

/// [`decode_measured`] for any CPU: one square at a time into the total.
#[inline(always)]
fn portable<C: Copy>(out: &mut [i16], codes: &[C], decode: impl Fn(C) -> i16) -> u64 {
    let mut sum = 0;
    for (o, &c) in out.iter_mut().zip(codes) {
        let sample = decode(c);
        *o = sample;
        sum += square(sample);
    }
    sum
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{portable, SPAN};

    /// The lanes' total: high halves shifted back into place, plus the low halves.
    #[inline(always)]
    unsafe fn total(high: __m256i, low: __m256i) -> u64 {
        let (mut h, mut l) = ([0u32; 8], [0u32; 8]);
        // SAFETY: both arrays are 32 bytes, as the stores write.
        unsafe {
            _mm256_storeu_si256(h.as_mut_ptr().cast(), high);
            _mm256_storeu_si256(l.as_mut_ptr().cast(), low);
        }
        let high: u64 = h.iter().map(|&x| u64::from(x)).sum();
        let low: u64 = l.iter().map(|&x| u64::from(x)).sum();
        (high << 16) + low
    }

    /// `super::decode_measured` with 16 samples a step: decoded into a block (which the
    /// compiler keeps in registers), stored, and squared and summed by `vpmaddwd`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn decode_measured<C: Copy>(
        out: &mut [i16],
        codes: &[C],
        decode: impl Fn(C) -> i16,
    ) -> u64 {
        let mut sum = 0;
        for (out, codes) in out.chunks_mut(SPAN).zip(codes.chunks(SPAN)) {
            let mut outs = out.chunks_exact_mut(16);
            let mut ins = codes.chunks_exact(16);
            let mask = _mm256_set1_epi32(0xFFFF);
            let (mut high, mut low) = (_mm256_setzero_si256(), _mm256_setzero_si256());
            for (o, c) in (&mut outs).zip(&mut ins) {
                let block: [i16; 16] = std::array::from_fn(|i| decode(c[i]));
                o.copy_from_slice(&block);
                // SAFETY: `block` is 16 samples, 32 bytes, as the load reads.
                let v = unsafe { _mm256_loadu_si256(block.as_ptr().cast()) };
                let pairs = _mm256_madd_epi16(v, v);
                high = _mm256_add_epi32(high, _mm256_srli_epi32::<16>(pairs));
                low = _mm256_add_epi32(low, _mm256_and_si256(pairs, mask));
            }
            // SAFETY: AVX2 is enabled in this function.
            sum += unsafe { total(high, low) };
            sum += portable(outs.into_remainder(), ins.remainder(), &decode);
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(samples: &[i16]) -> u64 {
        samples
            .iter()
            .map(|&s| (i64::from(s) * i64::from(s)) as u64)
            .sum()
    }

    fn check(samples: &[i16]) {
        let mut out = vec![0i16; samples.len()];
        let sum = decode_measured(&mut out, samples, |s| s);
        assert_eq!(out, samples);
        assert_eq!(sum, reference(samples), "{} samples", samples.len());
        let mut out = vec![0i16; samples.len()];
        assert_eq!(portable(&mut out, samples, |s| s), reference(samples));
        assert_eq!(out, samples);
    }

    #[test]
    fn sums_are_exact_at_every_length_and_at_full_scale() {
        let noise: Vec<i16> = (0..40_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 16) as i16)
            .collect();
        for len in [0, 1, 15, 16, 17, 31, 160, 333, 40_000] {
            check(&noise[..len]);
        }
        // Beyond one span, at the largest magnitude, where the lanes come closest to their
        // limits.
        check(&vec![i16::MIN; 3 * SPAN + 21]);
        check(&vec![i16::MAX; SPAN + 16]);
    }

    fn level(samples: &[i16]) -> f64 {
        let sum_squares = reference(samples);
        let samples = samples.len();
        FrameEnergy {
            sum_squares,
            samples,
        }
        .level_dbfs()
    }

    #[test]
    fn levels_read_in_dbfs_with_a_floor() {
        assert_eq!(level(&[0; 160]), LEVEL_FLOOR_DBFS);
        assert_eq!(level(&[]), LEVEL_FLOOR_DBFS);
        let mut faint = vec![0; 1_000_000];
        faint[0] = 1;
        assert_eq!(level(&faint), LEVEL_FLOOR_DBFS);
        assert_eq!(level(&[i16::MIN; 160]), 0.0);
        let half = level(&[16384, -16384, 16384, -16384]);
        assert!((half - 20.0 * 0.5f64.log10()).abs() < 1e-12, "{half}");
    }
}
