//! The dot layout's loop: a short decimating filter held in registers, one dot product per
//! output straight from the input.

use super::super::buffer::Copies;
use crate::simd::lanes::{Lanes, Portable};
use crate::simd::Simd;

/// A decimator's walk (one phase, `L = 1`) with a short filter: output `i` is the dot product
/// of `coefs` with the window starting at `start + i * step`. The coefficients stay in
/// registers, so each 8 taps cost one load: no de-interleaving, no tables.
#[derive(Clone, Copy)]
pub(crate) struct DotWalk<'a> {
    /// At most [`DOT_MAX_TAPS`] coefficients, a multiple of 8, in input order.
    pub coefs: &'a [f32],
    pub start: usize,
    pub step: usize,
    pub copies: Copies,
}

/// The longest filter [`dot_outputs`] keeps in registers.
pub(crate) const DOT_MAX_TAPS: usize = 96;

/// # Safety
/// The CPU supports `V`'s instructions; `walk.coefs.len() == 8 * N`; every window lies in
/// `buf` (both copies).
#[inline(always)]
unsafe fn dot_vectors<V: Lanes, const N: usize>(buf: &[f32], walk: DotWalk<'_>, ys: &mut [f32]) {
    unsafe {
        let c: [V; N] = std::array::from_fn(|i| V::load(walk.coefs.as_ptr().add(8 * i)));
        let mut start = walk.start;
        for y in ys.iter_mut() {
            let (even, odd) = walk.copies.pair(start);
            let (x0, x1) = (
                buf.as_ptr().add(even as usize),
                buf.as_ptr().add(odd as usize),
            );
            // Chunk i goes to accumulator i % 2 and reads copy i % 2.
            let mut acc = [V::zero(); 2];
            for (i, c) in c.iter().enumerate() {
                let x = if i % 2 == 0 { x0 } else { x1 };
                acc[i % 2] = acc[i % 2].mul_add(*c, V::load(x.add(8 * i)));
            }
            *y = acc[0].add(acc[1]).sum();
            start += walk.step;
        }
    }
}

/// # Safety
/// As [`dot_vectors`], for `N = coefs.len() / 8` in 1..=12.
#[inline(always)]
unsafe fn dot_run<V: Lanes>(buf: &[f32], walk: DotWalk<'_>, ys: &mut [f32]) {
    unsafe {
        match walk.coefs.len() / 8 {
            1 => dot_vectors::<V, 1>(buf, walk, ys),
            2 => dot_vectors::<V, 2>(buf, walk, ys),
            3 => dot_vectors::<V, 3>(buf, walk, ys),
            4 => dot_vectors::<V, 4>(buf, walk, ys),
            5 => dot_vectors::<V, 5>(buf, walk, ys),
            6 => dot_vectors::<V, 6>(buf, walk, ys),
            7 => dot_vectors::<V, 7>(buf, walk, ys),
            8 => dot_vectors::<V, 8>(buf, walk, ys),
            9 => dot_vectors::<V, 9>(buf, walk, ys),
            10 => dot_vectors::<V, 10>(buf, walk, ys),
            11 => dot_vectors::<V, 11>(buf, walk, ys),
            _ => dot_vectors::<V, 12>(buf, walk, ys),
        }
    }
}

/// Run a [`DotWalk`] for `ys.len()` outputs.
///
/// Panics if a window would leave `buf` or the filter is not 8 to [`DOT_MAX_TAPS`] taps in
/// whole vectors.
pub(crate) fn dot_outputs(simd: Simd, buf: &[f32], walk: DotWalk<'_>, ys: &mut [f32]) {
    let taps = walk.coefs.len();
    assert!(taps % 8 == 0 && (8..=DOT_MAX_TAPS).contains(&taps));
    if let Some(last) = ys.len().checked_sub(1) {
        let last_start = walk.start + last * walk.step;
        assert!(last_start + walk.copies.stride + taps <= buf.len());
    }
    match simd {
        // SAFETY: AVX2 and FMA were detected; bounds checked just above.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2Fma => unsafe { avx2::dot(buf, walk, ys) },
        // SAFETY: bounds checked just above.
        Simd::Portable => unsafe { dot_run::<Portable>(buf, walk, ys) },
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::DotWalk;
    use crate::simd::lanes::Avx2;

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dot(buf: &[f32], walk: DotWalk<'_>, ys: &mut [f32]) {
        unsafe { super::dot_run::<Avx2>(buf, walk, ys) }
    }
}
