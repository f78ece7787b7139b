//! ITU-T G.711 μ-law and A-law, bit-exact with CPython's `audioop` (the Sun reference code).
//!
//! `audioop` quantises a 16-bit sample by first dropping the low bits (`>> 2` for μ-law's
//! 14-bit range, `>> 3` for A-law's 13-bit range) and then running the segment search. The
//! per-sample functions here are tables built at compile time by that same segment algorithm;
//! the slice functions use arithmetic forms that the compiler vectorises, checked equal to
//! the tables for every input.

use crate::level;
use crate::simd::vectorised;

const QUANT_MASK: i32 = 0x0F;
const SEG_SHIFT: u32 = 4;
const ULAW_BIAS: i32 = 0x84;
const ULAW_CLIP: i32 = 8159;
/// Segment end points of the 14-bit μ-law magnitude (after adding the bias).
const SEG_UEND: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];
/// Segment end points of the 13-bit A-law magnitude.
const SEG_AEND: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];

const fn segment(value: i32, ends: &[i32; 8]) -> i32 {
    let mut seg = 0;
    while seg < 8 {
        if value <= ends[seg] {
            return seg as i32;
        }
        seg += 1;
    }
    8
}

/// μ-law code of a 14-bit two's-complement sample: the reference `st_14linear2ulaw` segment
/// search, from which the encode table is built (public for the table-vs-search benchmark).
pub const fn linear14_to_ulaw(sample: i32) -> u8 {
    let (mut magnitude, mask) = if sample < 0 {
        (-sample, 0x7F)
    } else {
        (sample, 0xFF)
    };
    if magnitude > ULAW_CLIP {
        magnitude = ULAW_CLIP;
    }
    magnitude += ULAW_BIAS >> 2;
    let seg = segment(magnitude, &SEG_UEND);
    let code = if seg >= 8 {
        0x7F
    } else {
        (seg << SEG_SHIFT) | ((magnitude >> (seg + 1)) & QUANT_MASK)
    };
    (code ^ mask) as u8
}

/// A-law code of a 13-bit two's-complement sample: the reference `st_linear2alaw` segment
/// search, from which the encode table is built.
pub const fn linear13_to_alaw(sample: i32) -> u8 {
    let (magnitude, mask) = if sample >= 0 {
        (sample, 0xD5)
    } else {
        (-sample - 1, 0x55)
    };
    let seg = segment(magnitude, &SEG_AEND);
    let code = if seg >= 8 {
        0x7F
    } else if seg < 2 {
        (seg << SEG_SHIFT) | ((magnitude >> 1) & QUANT_MASK)
    } else {
        (seg << SEG_SHIFT) | ((magnitude >> seg) & QUANT_MASK)
    };
    (code ^ mask) as u8
}

const fn ulaw_to_linear(code: u8) -> i16 {
    let inverted = !code as i32;
    let mut t = ((inverted & QUANT_MASK) << 3) + ULAW_BIAS;
    t <<= (inverted & 0x70) >> SEG_SHIFT;
    (if inverted & 0x80 != 0 {
        ULAW_BIAS - t
    } else {
        t - ULAW_BIAS
    }) as i16
}

const fn alaw_to_linear(code: u8) -> i16 {
    let toggled = (code ^ 0x55) as i32;
    let mut t = (toggled & QUANT_MASK) << 4;
    let seg = (toggled & 0x70) >> SEG_SHIFT;
    t += if seg == 0 { 8 } else { 0x108 };
    if seg > 1 {
        t <<= seg - 1;
    }
    (if toggled & 0x80 != 0 { t } else { -t }) as i16
}

const ULAW_ENCODE_BITS: u32 = 14;
const ALAW_ENCODE_BITS: u32 = 13;

/// Encode table indexed by the top bits of a 16-bit sample (14 for μ-law, 13 for A-law),
/// read as an unsigned index.
const fn encode_table<const N: usize>(law: Law) -> [u8; N] {
    let bits = N.trailing_zeros();
    let mut table = [0u8; N];
    let mut index = 0;
    while index < N {
        // Sign-extend the `bits`-wide index back to the sample it stands for.
        let sample = ((index as i32) << (32 - bits)) >> (32 - bits);
        table[index] = match law {
            Law::Mu => linear14_to_ulaw(sample),
            Law::A => linear13_to_alaw(sample),
        };
        index += 1;
    }
    table
}

const fn decode_table(law: Law) -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut code = 0;
    while code < 256 {
        table[code] = match law {
            Law::Mu => ulaw_to_linear(code as u8),
            Law::A => alaw_to_linear(code as u8),
        };
        code += 1;
    }
    table
}

static ULAW_ENCODE: [u8; 1 << ULAW_ENCODE_BITS] = encode_table(Law::Mu);
static ALAW_ENCODE: [u8; 1 << ALAW_ENCODE_BITS] = encode_table(Law::A);
static ULAW_DECODE: [i16; 256] = decode_table(Law::Mu);
static ALAW_DECODE: [i16; 256] = decode_table(Law::A);

/// μ-law code of one 16-bit sample.
#[inline]
pub fn ulaw_encode_sample(sample: i16) -> u8 {
    ULAW_ENCODE[((sample >> 2) as u16 as usize) & ((1 << ULAW_ENCODE_BITS) - 1)]
}

/// A-law code of one 16-bit sample.
#[inline]
pub fn alaw_encode_sample(sample: i16) -> u8 {
    ALAW_ENCODE[((sample >> 3) as u16 as usize) & ((1 << ALAW_ENCODE_BITS) - 1)]
}

/// 16-bit sample of one μ-law code.
#[inline]
pub fn ulaw_decode_sample(code: u8) -> i16 {
    ULAW_DECODE[code as usize]
}

/// 16-bit sample of one A-law code.
#[inline]
pub fn alaw_decode_sample(code: u8) -> i16 {
    ALAW_DECODE[code as usize]
}

/// The two G.711 companding laws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Law {
    /// μ-law (North America, Japan; Vobiz `audio/x-mulaw`).
    Mu,
    /// A-law (Europe and most of the world).
    A,
}

/// μ-law code of one sample without tables, in a form that vectorises: the biased magnitude
/// (33..=8192) is converted to f32, whose exponent field is the segment and whose top four
/// mantissa bits are the quantisation step, exactly as the segment search would find them.
#[inline(always)]
fn ulaw_encode_arith(sample: i16) -> u8 {
    let x = (sample as i32) >> 2;
    let negative = x >> 31; // -1 or 0
    let magnitude = ((x ^ negative) - negative).min(ULAW_CLIP) + (ULAW_BIAS >> 2);
    // (f32 exponent << 4 | top 4 mantissa bits) - ((127 + 5) << 4) == segment << 4 | step.
    let code = (((magnitude as f32).to_bits() >> 19) as i32 - (132 << 4)).min(0x7F);
    (code ^ (0xFF ^ (negative & 0x80))) as u8
}

/// A-law code of one sample without tables (see [`ulaw_encode_arith`]); magnitudes below 32
/// are segment 0, where the step is the magnitude halved.
#[inline(always)]
fn alaw_encode_arith(sample: i16) -> u8 {
    let x = (sample as i32) >> 3;
    let negative = x >> 31;
    let magnitude = x ^ negative; // -x - 1 for negative x, as the reference does
    let segmented = ((magnitude as f32).to_bits() >> 19) as i32 - (131 << 4);
    let code = if magnitude < 32 {
        magnitude >> 1
    } else {
        segmented
    };
    (code ^ (0x55 | (!negative & 0x80))) as u8
}

/// Sample of one μ-law code without tables, in a form that vectorises (variable shifts).
#[inline(always)]
fn ulaw_decode_arith(code: u8) -> i16 {
    let inverted = !code as i32;
    let t = (((inverted & QUANT_MASK) << 3) + ULAW_BIAS) << ((inverted & 0x70) >> SEG_SHIFT);
    let magnitude = t - ULAW_BIAS;
    (if inverted & 0x80 != 0 {
        -magnitude
    } else {
        magnitude
    }) as i16
}

/// Sample of one A-law code without tables, in a form that vectorises.
#[inline(always)]
fn alaw_decode_arith(code: u8) -> i16 {
    let toggled = (code ^ 0x55) as i32;
    let step = (toggled & QUANT_MASK) << 4;
    let seg = (toggled & 0x70) >> SEG_SHIFT;
    let magnitude = if seg == 0 {
        step + 8
    } else {
        (step + 0x108) << (seg - 1)
    };
    (if toggled & 0x80 != 0 {
        magnitude
    } else {
        -magnitude
    }) as i16
}

/// Encode `samples` into `out`, one code per sample. `out` must be at least as long.
///
/// The arithmetic forms vectorise (AVX2 when the CPU has it, SSE2 otherwise), which makes
/// them faster than the tables (`docs/performance.md`).
pub fn encode(law: Law, samples: &[i16], out: &mut [u8]) {
    let pairs = out[..samples.len()].iter_mut().zip(samples);
    match law {
        Law::Mu => vectorised(|| pairs.for_each(|(o, &s)| *o = ulaw_encode_arith(s))),
        Law::A => vectorised(|| pairs.for_each(|(o, &s)| *o = alaw_encode_arith(s))),
    }
}

/// Decode `codes` into `out`, one sample per code. `out` must be at least as long.
///
/// The arithmetic form (variable shifts) vectorises with AVX2; without AVX2 it runs as
/// scalar code, as a table lookup would.
pub fn decode(law: Law, codes: &[u8], out: &mut [i16]) {
    let pairs = out[..codes.len()].iter_mut().zip(codes);
    match law {
        Law::Mu => vectorised(|| pairs.for_each(|(o, &c)| *o = ulaw_decode_arith(c))),
        Law::A => vectorised(|| pairs.for_each(|(o, &c)| *o = alaw_decode_arith(c))),
    }
}

/// [`decode`], also returning the samples' sum of squares (for
/// [`crate::level::FrameEnergy`]), added up as the samples are written.
pub fn decode_measured(law: Law, codes: &[u8], out: &mut [i16]) -> u64 {
    match law {
        Law::Mu => level::decode_measured(out, codes, ulaw_decode_arith),
        Law::A => level::decode_measured(out, codes, alaw_decode_arith),
    }
}

#[cfg(test)]
mod tests {
    //! The lookup tables against an independent statement of G.711: the segment (exponent)
    //! found from the highest set bit rather than by search, and the decoded values from the
    //! reconstruction formulas of the recommendation.
    use super::*;

    fn ulaw_formula(sample: i16) -> u8 {
        let x = (sample as i32) >> 2; // audioop keeps 14 bits
        let sign = if x < 0 { 0x00 } else { 0x80 };
        let magnitude = x.unsigned_abs().min(8159) + 33;
        let exponent = (31 - magnitude.leading_zeros()) as i32 - 5; // 33..=8191 -> 0..=7
        let code = if exponent > 7 {
            0x7F // the clip level itself lands past the last segment: the top code
        } else {
            (exponent as u32) << 4 | ((magnitude >> (exponent + 1)) & 0xF)
        };
        !(code as u8) & 0x7F | sign
    }

    fn alaw_formula(sample: i16) -> u8 {
        let x = (sample as i32) >> 3; // audioop keeps 13 bits
        let (magnitude, sign) = if x >= 0 { (x, 0x80) } else { (-x - 1, 0x00) };
        let code = if magnitude < 32 {
            (magnitude >> 1) as u32
        } else {
            let exponent = (31 - (magnitude as u32).leading_zeros()) - 4; // 32..=4095 -> 1..=7
            exponent << 4 | ((magnitude as u32 >> exponent) & 0xF)
        };
        ((code as u8) | sign) ^ 0x55
    }

    fn ulaw_reconstruction(code: u8) -> i16 {
        let c = !code;
        let exponent = ((c >> 4) & 7) as i32;
        let mantissa = (c & 0xF) as i32;
        let magnitude = 4 * (((2 * mantissa + 33) << exponent) - 33);
        (if c & 0x80 != 0 { -magnitude } else { magnitude }) as i16
    }

    fn alaw_reconstruction(code: u8) -> i16 {
        let c = code ^ 0x55;
        let exponent = ((c >> 4) & 7) as i32;
        let mantissa = (c & 0xF) as i32;
        let magnitude = if exponent == 0 {
            (2 * mantissa + 1) * 8
        } else {
            (2 * mantissa + 33) << (exponent + 2)
        };
        (if c & 0x80 != 0 { magnitude } else { -magnitude }) as i16
    }

    #[test]
    fn ulaw_encode_matches_formula_for_every_sample() {
        for s in i16::MIN..=i16::MAX {
            assert_eq!(ulaw_encode_sample(s), ulaw_formula(s), "sample {s}");
        }
    }

    #[test]
    fn alaw_encode_matches_formula_for_every_sample() {
        for s in i16::MIN..=i16::MAX {
            assert_eq!(alaw_encode_sample(s), alaw_formula(s), "sample {s}");
        }
    }

    #[test]
    fn decode_matches_reconstruction_for_every_code() {
        for c in 0..=255u8 {
            assert_eq!(
                ulaw_decode_sample(c),
                ulaw_reconstruction(c),
                "ulaw {c:#04x}"
            );
            assert_eq!(
                alaw_decode_sample(c),
                alaw_reconstruction(c),
                "alaw {c:#04x}"
            );
        }
    }

    #[test]
    fn known_reference_values() {
        // Silence, full scale and the two sign conventions of the recommendation.
        assert_eq!(ulaw_encode_sample(0), 0xFF);
        assert_eq!(ulaw_encode_sample(-1), 0x7E);
        assert_eq!(ulaw_encode_sample(i16::MAX), 0x80);
        assert_eq!(ulaw_encode_sample(i16::MIN), 0x00);
        assert_eq!(alaw_encode_sample(0), 0xD5);
        assert_eq!(alaw_encode_sample(-1), 0x55);
        assert_eq!(ulaw_decode_sample(0x00), -32124);
        assert_eq!(ulaw_decode_sample(0x80), 32124);
        assert_eq!(alaw_decode_sample(0xAA), 32256);
        assert_eq!(alaw_decode_sample(0x2A), -32256);
    }

    #[test]
    fn decode_then_encode_is_identity_except_negative_zero() {
        for c in 0..=255u8 {
            let back = ulaw_encode_sample(ulaw_decode_sample(c));
            // 0x7F decodes to 0, the same as 0xFF: the one code μ-law cannot round trip.
            let expected = if c == 0x7F { 0xFF } else { c };
            assert_eq!(back, expected, "ulaw {c:#04x}");
            assert_eq!(
                alaw_encode_sample(alaw_decode_sample(c)),
                c,
                "alaw {c:#04x}"
            );
        }
    }

    #[test]
    fn arithmetic_encoders_match_tables_for_every_sample() {
        for s in i16::MIN..=i16::MAX {
            assert_eq!(ulaw_encode_arith(s), ulaw_encode_sample(s), "ulaw {s}");
            assert_eq!(alaw_encode_arith(s), alaw_encode_sample(s), "alaw {s}");
        }
    }

    #[test]
    fn arithmetic_decoders_match_tables_for_every_code() {
        for c in 0..=255u8 {
            assert_eq!(ulaw_decode_arith(c), ulaw_decode_sample(c), "ulaw {c:#04x}");
            assert_eq!(alaw_decode_arith(c), alaw_decode_sample(c), "alaw {c:#04x}");
        }
    }

    #[test]
    fn slices_agree_with_samples() {
        let samples: Vec<i16> = (-300..300).map(|i| (i * 109) as i16).collect();
        let mut codes = vec![0u8; samples.len()];
        let mut back = vec![0i16; samples.len()];
        for law in [Law::Mu, Law::A] {
            encode(law, &samples, &mut codes);
            decode(law, &codes, &mut back);
            for (i, &s) in samples.iter().enumerate() {
                let (c, d) = match law {
                    Law::Mu => (ulaw_encode_sample(s), ulaw_decode_sample(codes[i])),
                    Law::A => (alaw_encode_sample(s), alaw_decode_sample(codes[i])),
                };
                assert_eq!(codes[i], c);
                assert_eq!(back[i], d);
            }
        }
    }
}
