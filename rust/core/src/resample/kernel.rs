//! The inner loops, written once over an 8-lane vector type and compiled twice: with AVX2+FMA
//! intrinsics behind runtime detection, and portably (plain arrays the compiler vectorises
//! for the baseline target).
//!
//! Every output sample is computed by one fixed sequence of operations that does not depend
//! on where it falls in a block or a call, which is what makes the output independent of how
//! the input is chunked, bit for bit. (The two builds differ from each other, fused or not;
//! one process always uses the same one.)
//!
//! The loops are bound by loads (every multiply-add reads one 8-float window), so two things
//! matter: no load may straddle a 64-byte cache line (a straddling load costs two: measured
//! 3.5 G/s against 4.9 G/s for multiply-adds from memory on the development machine), and
//! a window read once should feed as many multiply-adds as registers allow. For the first,
//! input buffers are 64-byte aligned and hold two copies of the data, the second 32 bytes
//! out of phase: a window starting at float `p` is read from the first copy when
//! `p % 16 <= 8` and from the second otherwise, so no window ever straddles a line. (The
//! group walk reads its input one float at a time, broadcast, and its tables are aligned:
//! it needs one copy.)

/// Which build of the kernels this CPU runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Simd {
    /// 256-bit AVX2 with fused multiply-add.
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
    /// Plain Rust, vectorised by the compiler for the baseline target.
    Portable,
}

impl Simd {
    /// The best build this CPU supports.
    pub fn detect() -> Simd {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return Simd::Avx2Fma;
        }
        Simd::Portable
    }
}

/// Work compiled for the detected instruction set: [`run`] inlines `Task::run` (which must be
/// `#[inline(always)]`, with everything it calls) into a function built with AVX2 and FMA
/// enabled, so plain loops in it are vectorised 256 bits wide.
pub(super) trait Task {
    type Output;
    fn run(self) -> Self::Output;
}

/// Run `task` with the instruction set `simd` names.
#[inline(always)]
pub(super) fn run<T: Task>(simd: Simd, task: T) -> T::Output {
    match simd {
        // SAFETY: `Simd::Avx2Fma` is only ever detected on CPUs with AVX2 and FMA.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2Fma => unsafe { avx2::task(task) },
        Simd::Portable => task.run(),
    }
}

/// 16 floats on a 64-byte boundary.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
struct Line([f32; 16]);

/// A float buffer starting on a 64-byte boundary (clones too).
#[derive(Debug, Clone, Default)]
pub(super) struct Aligned {
    lines: Vec<Line>,
    len: usize,
}

impl Aligned {
    pub fn zeros(len: usize) -> Aligned {
        Aligned {
            lines: vec![Line([0.0; 16]); len.div_ceil(16)],
            len,
        }
    }

    pub fn as_slice(&self) -> &[f32] {
        // SAFETY: `Line` is `repr(C)` around `[f32; 16]` with no padding (64 bytes, align
        // 64), so the lines are `16 * lines.len() >= len` contiguous initialised floats.
        unsafe { std::slice::from_raw_parts(self.lines.as_ptr().cast::<f32>(), self.len) }
    }

    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        // SAFETY: as in `as_slice`, and the borrow is unique.
        unsafe { std::slice::from_raw_parts_mut(self.lines.as_mut_ptr().cast::<f32>(), self.len) }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.lines.capacity() * std::mem::size_of::<Line>()
    }
}

/// Two copies of `len` floats: the second starts at `stride`, 32 bytes out of line phase.
#[derive(Debug, Clone, Copy)]
pub(super) struct Copies {
    pub stride: usize,
}

impl Copies {
    pub fn new(len: usize) -> Copies {
        Copies {
            stride: len.div_ceil(16) * 16 + 8,
        }
    }

    /// Floats of buffer both copies take.
    pub fn total(self) -> usize {
        2 * self.stride
    }

    /// Where to read the window starting at float `p` (of the first copy) without crossing
    /// a cache line.
    pub fn pick(self, p: usize) -> usize {
        if p % 16 <= 8 {
            p
        } else {
            p + self.stride
        }
    }

    /// The (even, odd) offsets of a tap whose window for vector `g` (8 rows each) starts at
    /// `p + 8 g`: vector `g` reads at `offset + 8 g`, the even offset for even `g`.
    pub fn pair(self, p: usize) -> (u32, u32) {
        (self.pick(p) as u32, (self.pick(p + 8) - 8) as u32)
    }
}

/// Eight f32 lanes.
trait Lanes: Copy {
    /// # Safety
    /// The CPU supports the instructions of the implementation (for all methods).
    unsafe fn zero() -> Self;
    /// # Safety
    /// As [`Lanes::zero`].
    unsafe fn splat(x: f32) -> Self;
    /// # Safety
    /// `p..p+8` is readable; and as [`Lanes::zero`].
    unsafe fn load(p: *const f32) -> Self;
    /// # Safety
    /// `p..p+8` is writable; and as [`Lanes::zero`].
    unsafe fn store(self, p: *mut f32);
    /// `self + a * b`, lane by lane.
    /// # Safety
    /// As [`Lanes::zero`].
    unsafe fn mul_add(self, a: Self, b: Self) -> Self;
    /// `self + other`.
    /// # Safety
    /// As [`Lanes::zero`].
    unsafe fn add(self, other: Self) -> Self;
    /// The sum of the lanes, as `((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7))`.
    /// # Safety
    /// As [`Lanes::zero`].
    unsafe fn sum(self) -> f32;
}

#[derive(Clone, Copy)]
struct Portable([f32; 8]);

impl Lanes for Portable {
    #[inline(always)]
    unsafe fn zero() -> Self {
        Portable([0.0; 8])
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        Portable([x; 8])
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees eight readable floats.
        Portable(unsafe { p.cast::<[f32; 8]>().read_unaligned() })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller guarantees eight writable floats.
        unsafe { p.cast::<[f32; 8]>().write_unaligned(self.0) }
    }
    #[inline(always)]
    unsafe fn mul_add(self, a: Self, b: Self) -> Self {
        let mut r = self.0;
        for ((r, a), b) in r.iter_mut().zip(a.0).zip(b.0) {
            *r += a * b;
        }
        Portable(r)
    }
    #[inline(always)]
    unsafe fn add(self, other: Self) -> Self {
        let mut r = self.0;
        for (r, o) in r.iter_mut().zip(other.0) {
            *r += o;
        }
        Portable(r)
    }
    #[inline(always)]
    unsafe fn sum(self) -> f32 {
        let l = self.0;
        let h = [l[0] + l[4], l[1] + l[5], l[2] + l[6], l[3] + l[7]];
        let q = [h[0] + h[2], h[1] + h[3]];
        q[0] + q[1]
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{BranchTaps, Lanes, PhaseWalk, SharedTaps};

    #[derive(Clone, Copy)]
    pub(super) struct Avx2(__m256);

    // Only ever inlined into the functions below, compiled with AVX2 and FMA enabled, which
    // `super` calls only after detecting both.
    impl Lanes for Avx2 {
        #[inline(always)]
        unsafe fn zero() -> Self {
            Avx2(unsafe { _mm256_setzero_ps() })
        }
        #[inline(always)]
        unsafe fn splat(x: f32) -> Self {
            Avx2(unsafe { _mm256_set1_ps(x) })
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            Avx2(unsafe { _mm256_loadu_ps(p) })
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            unsafe { _mm256_storeu_ps(p, self.0) }
        }
        #[inline(always)]
        unsafe fn mul_add(self, a: Self, b: Self) -> Self {
            Avx2(unsafe { _mm256_fmadd_ps(a.0, b.0, self.0) })
        }
        #[inline(always)]
        unsafe fn add(self, other: Self) -> Self {
            Avx2(unsafe { _mm256_add_ps(self.0, other.0) })
        }
        #[inline(always)]
        unsafe fn sum(self) -> f32 {
            unsafe {
                let h = _mm_add_ps(
                    _mm256_castps256_ps128(self.0),
                    _mm256_extractf128_ps(self.0, 1),
                );
                let q = _mm_add_ps(h, _mm_movehl_ps(h, h));
                _mm_cvtss_f32(_mm_add_ss(q, _mm_shuffle_ps(q, q, 1)))
            }
        }
    }

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

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn task<T: super::Task>(task: T) -> T::Output {
        task.run()
    }

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

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dot(buf: &[f32], walk: super::DotWalk<'_>, ys: &mut [f32]) {
        unsafe { super::dot_run::<Avx2>(buf, walk, ys) }
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn phases(buf: &[f32], walk: PhaseWalk<'_>, ys: &mut [f32]) {
        unsafe { super::phase_run::<Avx2>(buf, walk, ys) }
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn groups(buf: &[f32], walk: super::GroupWalk<'_>, ys: &mut [f32]) {
        unsafe { super::group_run::<Avx2>(buf, walk, ys) }
    }
}

/// The taps of one polyphase branch: tap `t` multiplies `coefs[t]` into vector `g` (rows
/// `8g..8g+8`) from the window at `even[t] + 8g` (`g` even) or `odd[t] + 8g` (`g` odd).
#[derive(Clone, Copy)]
pub(super) struct BranchTaps<'a> {
    pub coefs: &'a [f32],
    pub even: &'a [u32],
    pub odd: &'a [u32],
    /// The largest offset in `even` and `odd` (see [`reach`]).
    pub reach: usize,
}

/// The largest of the offsets, which plans store next to their taps so that each call
/// checks its bounds in O(1).
pub(super) fn reach(even: &[u32], odd: &[u32]) -> usize {
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
        let (first, second) = if v.is_multiple_of(2) {
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
pub(super) fn branch_rows(
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
pub(super) struct SharedTaps<'a> {
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
        let (first, second) = if v.is_multiple_of(2) {
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
pub(super) fn shared_supports(branches: usize) -> bool {
    matches!(branches, 2 | 3 | 4 | 6)
}

/// All branches of an integer upsampler, rows `0..rows` (and up to 7 beyond, scratch).
///
/// Panics if a window would leave `buf` or a row `ys` (the callers size both so it cannot).
pub(super) fn shared_rows(
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

/// The walk of a phase-table resampler over one block: output `i` is the dot product of
/// phase `phase_i`'s taps with the window starting at float `start_i` of the first copy, and
/// each step moves to `next[phase]`, advancing `start` by `advance[phase]`.
#[derive(Clone, Copy)]
pub(super) struct PhaseWalk<'a> {
    /// `phases * taps` coefficients, each phase's in input order, 64-byte aligned.
    pub coefs: &'a [f32],
    /// Taps per phase, a multiple of 8.
    pub taps: usize,
    pub next: &'a [u32],
    pub advance: &'a [u32],
    pub start: usize,
    pub phase: usize,
    pub copies: Copies,
}

/// Panics if a window would leave `buf` or a phase `coefs`.
///
/// # Safety
/// The CPU supports `V`'s instructions.
#[inline(always)]
unsafe fn phase_run<V: Lanes>(buf: &[f32], walk: PhaseWalk<'_>, ys: &mut [f32]) {
    let PhaseWalk {
        coefs,
        taps,
        next,
        advance,
        mut start,
        mut phase,
        copies,
    } = walk;
    let reach = copies.stride + taps;
    assert!(taps % 8 == 0 && next.len() == advance.len() && coefs.len() == next.len() * taps);
    let chunks = taps / 8;
    for y in ys.iter_mut() {
        assert!(start + reach <= buf.len() && phase < next.len());
        // SAFETY: the window and the phase's coefficients were checked just above.
        unsafe {
            let c = coefs.as_ptr().add(phase * taps);
            let (even, odd) = copies.pair(start);
            let (x0, x1) = (
                buf.as_ptr().add(even as usize),
                buf.as_ptr().add(odd as usize),
            );
            // Chunk i goes to accumulator i % 4 and reads copy i % 2.
            let mut part = [V::zero(); 4];
            let mut i = 0;
            while i + 4 <= chunks {
                for (u, part) in part.iter_mut().enumerate() {
                    let x = if u % 2 == 0 { x0 } else { x1 };
                    let k = 8 * (i + u);
                    *part = part.mul_add(V::load(c.add(k)), V::load(x.add(k)));
                }
                i += 4;
            }
            for (u, part) in part.iter_mut().enumerate().take(chunks - i) {
                let x = if u % 2 == 0 { x0 } else { x1 };
                let k = 8 * (i + u);
                *part = part.mul_add(V::load(c.add(k)), V::load(x.add(k)));
            }
            *y = part[0].add(part[1]).add(part[2].add(part[3])).sum();
        }
        start += advance[phase] as usize;
        phase = next[phase] as usize;
    }
}

/// Run a [`PhaseWalk`] for `ys.len()` outputs.
///
/// Panics if the walk would leave `buf` or the tables (the callers size them so it cannot).
pub(super) fn phase_outputs(simd: Simd, buf: &[f32], walk: PhaseWalk<'_>, ys: &mut [f32]) {
    match simd {
        // SAFETY: AVX2 and FMA were detected.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2Fma => unsafe { avx2::phases(buf, walk, ys) },
        // SAFETY: the portable lanes need nothing of the CPU.
        Simd::Portable => unsafe { phase_run::<Portable>(buf, walk, ys) },
    }
}

/// The walk of a phase-table resampler laid out by groups: eight consecutive outputs
/// `8g..8g+8` (`g` counted from the stream's first output, so groups never depend on call
/// boundaries) are computed together, one per lane. The phases repeat every
/// `patterns = lcm(L, 8) / 8` groups; pattern `r` has a table of `rows` rows of eight lanes,
/// row `k` holding each lane's coefficient for input `base + k` (zero outside its window),
/// and output lane `j` is `sum_k x[base + k] * table[k][j]`: one broadcast input and one
/// table row per multiply-add, no horizontal sums.
#[derive(Clone, Copy)]
pub(super) struct GroupWalk<'a> {
    /// `patterns * rows * 8` coefficients: pattern `r`, row `k`, lane `j` at
    /// `(r * rows + k) * 8 + j`; 64-byte aligned.
    pub table: &'a [f32],
    /// Rows per pattern, even.
    pub rows: usize,
    /// `advance[r]`: inputs from the first row of a group of pattern `r` to that of the next
    /// group; `advance.len()` is the number of patterns.
    pub advance: &'a [u32],
    /// Inputs from a group to the group `patterns` later (the sum of `advance`).
    pub period: usize,
    /// Where the first group's row 0 is in `buf`, and its pattern.
    pub start: usize,
    pub pattern: usize,
    /// Outputs of the first group that precede `ys[0]` (less than 8).
    pub skip: usize,
}

/// `G` groups of one pattern, `period` inputs apart (so each table row read feeds `G`
/// multiply-adds). Lane by lane the arithmetic is the same whatever `G`: row `k` goes to
/// accumulator `k % 2`, and the two are added at the end.
///
/// # Safety
/// The CPU supports `V`'s instructions; `x + g * period + rows` floats are readable for each
/// `g < G`; `tab` has `8 * rows` floats; `rows` is even.
#[inline(always)]
unsafe fn group_bundle<V: Lanes, const G: usize>(
    x: *const f32,
    period: usize,
    tab: *const f32,
    rows: usize,
) -> [V; G] {
    unsafe {
        let mut even = [V::zero(); G];
        let mut odd = [V::zero(); G];
        let xs: [*const f32; G] = std::array::from_fn(|g| x.add(g * period));
        let mut k = 0;
        while k < rows {
            let t0 = V::load(tab.add(8 * k));
            let t1 = V::load(tab.add(8 * k + 8));
            for g in 0..G {
                even[g] = even[g].mul_add(V::splat(*xs[g].add(k)), t0);
                odd[g] = odd[g].mul_add(V::splat(*xs[g].add(k + 1)), t1);
            }
            k += 2;
        }
        std::array::from_fn(|g| even[g].add(odd[g]))
    }
}

/// Store the eight outputs of group `i` (counted from the walk's first group) into `ys`,
/// dropping lanes outside it.
///
/// # Safety
/// As [`Lanes::zero`].
#[inline(always)]
unsafe fn group_store<V: Lanes>(v: V, i: usize, skip: usize, ys: &mut [f32]) {
    let at = 8 * i;
    unsafe {
        if at >= skip && at - skip + 8 <= ys.len() {
            v.store(ys.as_mut_ptr().add(at - skip));
        } else {
            let mut lanes = [0.0f32; 8];
            v.store(lanes.as_mut_ptr());
            for (j, &y) in lanes.iter().enumerate() {
                if let Some(o) = (at + j).checked_sub(skip).and_then(|o| ys.get_mut(o)) {
                    *o = y;
                }
            }
        }
    }
}

/// Panics if a window would leave `buf` or the tables are inconsistent.
///
/// # Safety
/// The CPU supports `V`'s instructions.
#[inline(always)]
unsafe fn group_run<V: Lanes>(buf: &[f32], walk: GroupWalk<'_>, ys: &mut [f32]) {
    let GroupWalk {
        table,
        rows,
        advance,
        period,
        mut start,
        mut pattern,
        skip,
    } = walk;
    let patterns = advance.len();
    assert!(rows % 2 == 0 && skip < 8 && pattern < patterns);
    assert!(table.len() == patterns * rows * 8);
    let groups = (skip + ys.len()).div_ceil(8);
    // Sweeps of `patterns` groups, each bundled with up to three groups one, two and three
    // periods later; the next sweep starts after the last of those.
    let mut first = 0;
    while first < groups {
        let end = (first + patterns).min(groups);
        for i in first..end {
            let members = ((groups - 1 - i) / patterns + 1).min(4);
            assert!(start + (members - 1) * period + rows <= buf.len());
            // SAFETY: the windows were checked just above, the pattern's rows lie in `table`
            // (`pattern < patterns`, length checked on entry), `rows` is even.
            unsafe {
                let x = buf.as_ptr().add(start);
                let tab = table.as_ptr().add(pattern * rows * 8);
                match members {
                    4 => {
                        let v = group_bundle::<V, 4>(x, period, tab, rows);
                        for (g, v) in v.into_iter().enumerate() {
                            group_store(v, i + g * patterns, skip, ys);
                        }
                    }
                    3 => {
                        let v = group_bundle::<V, 3>(x, period, tab, rows);
                        for (g, v) in v.into_iter().enumerate() {
                            group_store(v, i + g * patterns, skip, ys);
                        }
                    }
                    2 => {
                        let v = group_bundle::<V, 2>(x, period, tab, rows);
                        for (g, v) in v.into_iter().enumerate() {
                            group_store(v, i + g * patterns, skip, ys);
                        }
                    }
                    _ => {
                        let [v] = group_bundle::<V, 1>(x, period, tab, rows);
                        group_store(v, i, skip, ys);
                    }
                }
            }
            start += advance[pattern] as usize;
            pattern = if pattern + 1 == patterns {
                0
            } else {
                pattern + 1
            };
        }
        // A whole sweep moved `start` one period on; the bundled groups cover three more.
        start += 3 * period;
        first += 4 * patterns;
    }
}

/// Run a [`GroupWalk`] for `ys.len()` outputs.
///
/// Panics if the walk would leave `buf` or the tables (the callers size them so it cannot).
pub(super) fn group_outputs(simd: Simd, buf: &[f32], walk: GroupWalk<'_>, ys: &mut [f32]) {
    match simd {
        // SAFETY: AVX2 and FMA were detected.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2Fma => unsafe { avx2::groups(buf, walk, ys) },
        // SAFETY: the portable lanes need nothing of the CPU.
        Simd::Portable => unsafe { group_run::<Portable>(buf, walk, ys) },
    }
}

/// A decimator's walk (one phase, `L = 1`) with a short filter: output `i` is the dot product
/// of `coefs` with the window starting at `start + i * step`. The coefficients stay in
/// registers, so each 8 taps cost one load: no de-interleaving, no tables.
#[derive(Clone, Copy)]
pub(super) struct DotWalk<'a> {
    /// At most [`DOT_MAX_TAPS`] coefficients, a multiple of 8, in input order.
    pub coefs: &'a [f32],
    pub start: usize,
    pub step: usize,
    pub copies: Copies,
}

/// The longest filter [`dot_outputs`] keeps in registers.
pub(super) const DOT_MAX_TAPS: usize = 96;

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
pub(super) fn dot_outputs(simd: Simd, buf: &[f32], walk: DotWalk<'_>, ys: &mut [f32]) {
    let taps = walk.coefs.len();
    assert!(taps.is_multiple_of(8) && (8..=DOT_MAX_TAPS).contains(&taps));
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

/// `dst[i] = pcm::f32_to_i16(src[i])` for `i < min(len)`: the int16 edge of the resampler.
pub(super) fn to_i16(simd: Simd, src: &[f32], dst: &mut [i16]) {
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
pub(super) fn interleave2_i16(simd: Simd, a: &[f32], b: &[f32], out: &mut [i16]) {
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
pub(super) fn interleave2_f32(simd: Simd, a: &[f32], b: &[f32], out: &mut [f32]) {
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
