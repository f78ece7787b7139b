//! The int16/float edge loops: float to int16 (as `pcm::f32_to_i16`), and two branches
//! interleaved into output order, with AVX2 intrinsics where the CPU has them.

use crate::simd::Simd;

/// `dst[i] = pcm::f32_to_i16(src[i])` for `i < min(len)`: the int16 edge of the resampler.
pub(crate) fn to_i16(simd: Simd, src: &[f32], dst: &mut [i16]) {
    match simd {
        // SAFETY: AVX2 and FMA were detected; the function bounds itself by both lengths.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2Fma => unsafe { avx2::to_i16(src, dst) },
        Simd::Portable => {
            for (d, &x) in dst.iter_mut().zip(src) {
                *d = crate::pcm::f32_to_i16(x);
            }
        }
    }
}

/// Two branches into output order, converted to int16: `out[2i] = a[i]`, `out[2i+1] = b[i]`
/// for `i < min(a.len(), b.len(), out.len() / 2)`.
pub(crate) fn interleave2_i16(simd: Simd, a: &[f32], b: &[f32], out: &mut [i16]) {
    match simd {
        // SAFETY: AVX2 and FMA were detected; the function bounds itself by all lengths.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2Fma => unsafe { avx2::interleave2_i16(a, b, out) },
        Simd::Portable => {
            for ((o, &x), &y) in out.chunks_exact_mut(2).zip(a).zip(b) {
                o[0] = crate::pcm::f32_to_i16(x);
                o[1] = crate::pcm::f32_to_i16(y);
            }
        }
    }
}

/// Two branches into output order: `out[2i] = a[i]`, `out[2i+1] = b[i]`.
pub(crate) fn interleave2_f32(simd: Simd, a: &[f32], b: &[f32], out: &mut [f32]) {
    match simd {
        // SAFETY: AVX2 and FMA were detected; the function bounds itself by all lengths.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2Fma => unsafe { avx2::interleave2_f32(a, b, out) },
        Simd::Portable => {
            for ((o, &x), &y) in out.chunks_exact_mut(2).zip(a).zip(b) {
                o[0] = x;
                o[1] = y;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// `Sample::from_f32` for int16 on eight lanes: x32768, round half away from zero,
    /// saturate, NaN to 0 (exactly `pcm::f32_to_i16`), as i32.
    #[inline(always)]
    unsafe fn round_i16(v: __m256) -> __m256i {
        unsafe {
            let s = _mm256_mul_ps(v, _mm256_set1_ps(32768.0));
            let sign = _mm256_and_ps(s, _mm256_set1_ps(-0.0));
            let r = _mm256_add_ps(s, _mm256_or_ps(sign, _mm256_set1_ps(0.499_999_97)));
            // maxps returns its second operand for NaN; the mask then zeroes NaN lanes.
            let r = _mm256_min_ps(
                _mm256_max_ps(r, _mm256_set1_ps(-32768.0)),
                _mm256_set1_ps(32767.0),
            );
            let r = _mm256_and_ps(r, _mm256_cmp_ps(s, s, _CMP_ORD_Q));
            _mm256_cvttps_epi32(r)
        }
    }

    /// `dst[i] = pcm::f32_to_i16(src[i])`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn to_i16(src: &[f32], dst: &mut [i16]) {
        let n = src.len().min(dst.len());
        let mut i = 0;
        unsafe {
            while i + 16 <= n {
                let a = round_i16(_mm256_loadu_ps(src.as_ptr().add(i)));
                let b = round_i16(_mm256_loadu_ps(src.as_ptr().add(i + 8)));
                // packs works per 128-bit lane: [a0-3 b0-3 | a4-7 b4-7]; put the halves back.
                let packed = _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xD8);
                _mm256_storeu_si256(dst.as_mut_ptr().add(i).cast(), packed);
                i += 16;
            }
        }
        for (d, &x) in dst[i..n].iter_mut().zip(&src[i..n]) {
            *d = crate::pcm::f32_to_i16(x);
        }
    }

    /// `out[2i] = f(a[i])`, `out[2i + 1] = f(b[i])`, `f` as in [`to_i16`].
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn interleave2_i16(a: &[f32], b: &[f32], out: &mut [i16]) {
        let rows = a.len().min(b.len()).min(out.len() / 2);
        let mut r = 0;
        unsafe {
            while r + 8 <= rows {
                let x = round_i16(_mm256_loadu_ps(a.as_ptr().add(r)));
                let y = round_i16(_mm256_loadu_ps(b.as_ptr().add(r)));
                // [x0 y0 x1 y1 | x4 y4 x5 y5] and [x2 y2 x3 y3 | x6 y6 x7 y7], packed per lane
                // into [x0 y0 .. x3 y3 | x4 y4 .. x7 y7]: already in order.
                let lo = _mm256_unpacklo_epi32(x, y);
                let hi = _mm256_unpackhi_epi32(x, y);
                _mm256_storeu_si256(
                    out.as_mut_ptr().add(2 * r).cast(),
                    _mm256_packs_epi32(lo, hi),
                );
                r += 8;
            }
        }
        for ((o, &x), &y) in out[2 * r..2 * rows]
            .chunks_exact_mut(2)
            .zip(&a[r..rows])
            .zip(&b[r..rows])
        {
            o[0] = crate::pcm::f32_to_i16(x);
            o[1] = crate::pcm::f32_to_i16(y);
        }
    }

    /// `out[2i] = a[i]`, `out[2i + 1] = b[i]`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn interleave2_f32(a: &[f32], b: &[f32], out: &mut [f32]) {
        let rows = a.len().min(b.len()).min(out.len() / 2);
        let mut r = 0;
        unsafe {
            while r + 8 <= rows {
                let x = _mm256_loadu_ps(a.as_ptr().add(r));
                let y = _mm256_loadu_ps(b.as_ptr().add(r));
                let lo = _mm256_unpacklo_ps(x, y);
                let hi = _mm256_unpackhi_ps(x, y);
                let p = out.as_mut_ptr().add(2 * r);
                _mm256_storeu_ps(p, _mm256_permute2f128_ps(lo, hi, 0x20));
                _mm256_storeu_ps(p.add(8), _mm256_permute2f128_ps(lo, hi, 0x31));
                r += 8;
            }
        }
        for ((o, &x), &y) in out[2 * r..2 * rows]
            .chunks_exact_mut(2)
            .zip(&a[r..rows])
            .zip(&b[r..rows])
        {
            o[0] = x;
            o[1] = y;
        }
    }
}
