//! The branch layout's loops: one branch at a time ([`branch_rows`]), or all branches of an
//! integer upsampler at once ([`shared_rows`]), eight rows a vector.

use crate::simd::lanes::{Lanes, Portable};
use crate::simd::Simd;

/// The taps of one polyphase branch: tap `t` multiplies `coefs[t]` into vector `g` (rows
/// `8g..8g+8`) from the window at `even[t] + 8g` (`g` even) or `odd[t] + 8g` (`g` odd).
#[derive(Clone, Copy)]
pub(crate) struct BranchTaps<'a> {
    pub coefs: &'a [f32],
    pub even: &'a [u32],
    pub odd: &'a [u32],
    /// The largest offset in `even` and `odd` (see [`reach`]).
    pub reach: usize,
}

/// The largest of the offsets, which plans store next to their taps so that each call
/// checks its bounds in O(1).
pub(crate) fn reach(even: &[u32], odd: &[u32]) -> usize {
    even.iter().chain(odd).copied().max().unwrap_or(0) as usize
}

/// `G` vectors from vector `v`: `ys[row] = sum_t coefs[t] * window_t[row]`, the sum in tap
/// order, one (fused) multiply-add per tap.
///
/// # Safety
/// Every window of vectors `v..v+G` lies in `buf`; `8 * (v + G) <= ys.len()`.
#[inline(always)]
unsafe fn branch_group<V: Lanes, const G: usize>(
    buf: &[f32],
    taps: BranchTaps<'_>,
    ys: &mut [f32],
    v: usize,
) {
    unsafe {
        let mut acc = [V::zero(); G];
        let base = buf.as_ptr().add(8 * v);
        let (first, second) = if v % 2 == 0 {
            (taps.even, taps.odd)
        } else {
            (taps.odd, taps.even)
        };
        for ((&c, &p0), &p1) in taps.coefs.iter().zip(first).zip(second) {
            let c = V::splat(c);
            let (p0, p1) = (base.add(p0 as usize), base.add(p1 as usize));
            for (g, acc) in acc.iter_mut().enumerate() {
                let p = if g % 2 == 0 { p0 } else { p1 };
                *acc = acc.mul_add(c, V::load(p.add(8 * g)));
            }
        }
        let out = ys.as_mut_ptr().add(8 * v);
        for (g, acc) in acc.iter().enumerate() {
            acc.store(out.add(8 * g));
        }
    }
}

/// # Safety
/// As [`branch_group`] for every vector up to `rows.div_ceil(8)`.
#[inline(always)]
unsafe fn branch_run<V: Lanes>(buf: &[f32], taps: BranchTaps<'_>, ys: &mut [f32], rows: usize) {
    let vectors = rows.div_ceil(8);
    let mut v = 0;
    unsafe {
        while v + 8 <= vectors {
            branch_group::<V, 8>(buf, taps, ys, v);
            v += 8;
        }
        if v + 4 <= vectors {
            branch_group::<V, 4>(buf, taps, ys, v);
            v += 4;
        }
        if v + 2 <= vectors {
            branch_group::<V, 2>(buf, taps, ys, v);
            v += 2;
        }
        if v < vectors {
            branch_group::<V, 1>(buf, taps, ys, v);
        }
    }
}

/// One branch: `ys[row] = sum_t coefs[t] * window_t[row]` for `row` in `0..rows` (and up to
/// 7 rows beyond, scratch).
///
/// Panics if a window would leave `buf` or a row `ys` (the callers size both so it cannot).
pub(crate) fn branch_rows(
    simd: Simd,
    buf: &[f32],
    taps: BranchTaps<'_>,
    ys: &mut [f32],
    rows: usize,
) {
    let span = rows.div_ceil(8) * 8;
    assert!(taps.coefs.len() == taps.even.len() && taps.coefs.len() == taps.odd.len());
    assert!(span <= ys.len() && taps.reach + span <= buf.len());
    debug_assert_eq!(taps.reach, reach(taps.even, taps.odd));
    match simd {
        // SAFETY: AVX2 and FMA were detected; bounds checked just above.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2Fma => unsafe { avx2::branch(buf, taps, ys, rows) },
        // SAFETY: bounds checked just above.
        Simd::Portable => unsafe { branch_run::<Portable>(buf, taps, ys, rows) },
    }
}

/// All branches of an integer upsampler at once: they read the same windows, so each window
/// load feeds every branch. Tap `t` has window offsets `even[t]`/`odd[t]` (as in
/// [`BranchTaps`]) and coefficients `coefs[t * branches..][..branches]` (zero where a branch
/// has no such tap). Branch `b`'s rows go to `ys[b * cap..]`.
#[derive(Clone, Copy)]
pub(crate) struct SharedTaps<'a> {
    pub branches: usize,
    pub coefs: &'a [f32],
    pub even: &'a [u32],
    pub odd: &'a [u32],
    /// The largest offset in `even` and `odd` (see [`reach`]).
    pub reach: usize,
}

/// `G` vectors of all `L` branches.
///
/// # Safety
/// As [`branch_group`], with `coefs.len() == L * even.len()` and every branch's rows inside
/// `ys` at stride `cap`.
#[inline(always)]
unsafe fn shared_group<V: Lanes, const L: usize, const G: usize>(
    buf: &[f32],
    taps: SharedTaps<'_>,
    ys: &mut [f32],
    cap: usize,
    v: usize,
) {
    unsafe {
        let mut acc = [[V::zero(); G]; L];
        let base = buf.as_ptr().add(8 * v);
        let (first, second) = if v % 2 == 0 {
            (taps.even, taps.odd)
        } else {
            (taps.odd, taps.even)
        };
        let coefs = taps.coefs.as_ptr();
        for (t, (&p0, &p1)) in first.iter().zip(second).enumerate() {
            let c: [V; L] = std::array::from_fn(|b| V::splat(*coefs.add(t * L + b)));
            let (p0, p1) = (base.add(p0 as usize), base.add(p1 as usize));
            for g in 0..G {
                let p = if g % 2 == 0 { p0 } else { p1 };
                let x = V::load(p.add(8 * g));
                for (acc, c) in acc.iter_mut().zip(&c) {
                    acc[g] = acc[g].mul_add(*c, x);
                }
            }
        }
        let out = ys.as_mut_ptr().add(8 * v);
        for (b, acc) in acc.iter().enumerate() {
            for (g, acc) in acc.iter().enumerate() {
                acc.store(out.add(b * cap + 8 * g));
            }
        }
    }
}

/// # Safety
/// As [`shared_group`] for every vector up to `rows.div_ceil(8)`.
#[inline(always)]
unsafe fn shared_branches<V: Lanes, const L: usize, const G: usize>(
    buf: &[f32],
    taps: SharedTaps<'_>,
    ys: &mut [f32],
    cap: usize,
    rows: usize,
) {
    let vectors = rows.div_ceil(8);
    let mut v = 0;
    unsafe {
        while v + G <= vectors {
            shared_group::<V, L, G>(buf, taps, ys, cap, v);
            v += G;
        }
        while v < vectors {
            shared_group::<V, L, 1>(buf, taps, ys, cap, v);
            v += 1;
        }
    }
}

/// # Safety
/// As [`shared_branches`]; `taps.branches` is 2, 3, 4 or 6.
#[inline(always)]
unsafe fn shared_run<V: Lanes>(
    buf: &[f32],
    taps: SharedTaps<'_>,
    ys: &mut [f32],
    cap: usize,
    rows: usize,
) {
    // As many accumulators as registers allow: L * G of them, L broadcasts, one window.
    unsafe {
        match taps.branches {
            2 => shared_branches::<V, 2, 4>(buf, taps, ys, cap, rows),
            3 => shared_branches::<V, 3, 3>(buf, taps, ys, cap, rows),
            4 => shared_branches::<V, 4, 2>(buf, taps, ys, cap, rows),
            _ => shared_branches::<V, 6, 1>(buf, taps, ys, cap, rows),
        }
    }
}

/// Which branch counts [`shared_rows`] handles.
pub(crate) fn shared_supports(branches: usize) -> bool {
    matches!(branches, 2 | 3 | 4 | 6)
}

/// All branches of an integer upsampler, rows `0..rows` (and up to 7 beyond, scratch).
///
/// Panics if a window would leave `buf` or a row `ys` (the callers size both so it cannot).
pub(crate) fn shared_rows(
    simd: Simd,
    buf: &[f32],
    taps: SharedTaps<'_>,
    ys: &mut [f32],
    cap: usize,
    rows: usize,
) {
    let span = rows.div_ceil(8) * 8;
    let l = taps.branches;
    assert!(shared_supports(l) && taps.even.len() == taps.odd.len());
    assert!(taps.coefs.len() == l * taps.even.len());
    assert!(span <= cap && (l - 1) * cap + span <= ys.len());
    assert!(taps.reach + span <= buf.len());
    debug_assert_eq!(taps.reach, reach(taps.even, taps.odd));
    match simd {
        // SAFETY: AVX2 and FMA were detected; bounds checked just above.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2Fma => unsafe { avx2::shared(buf, taps, ys, cap, rows) },
        // SAFETY: bounds checked just above.
        Simd::Portable => unsafe { shared_run::<Portable>(buf, taps, ys, cap, rows) },
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{BranchTaps, SharedTaps};
    use crate::simd::lanes::Avx2;

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn branch(buf: &[f32], taps: BranchTaps<'_>, ys: &mut [f32], rows: usize) {
        unsafe { super::branch_run::<Avx2>(buf, taps, ys, rows) }
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn shared(
        buf: &[f32],
        taps: SharedTaps<'_>,
        ys: &mut [f32],
        cap: usize,
        rows: usize,
    ) {
        unsafe { super::shared_run::<Avx2>(buf, taps, ys, cap, rows) }
    }
}
