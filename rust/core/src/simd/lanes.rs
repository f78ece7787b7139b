//! Eight f32 lanes, the vector type the resampler's loops are written over once: [`Portable`]
//! (plain arrays the compiler vectorises for the baseline target) and, on x86-64, [`Avx2`]
//! (AVX2 and FMA intrinsics; only inside functions compiled with both, after
//! [`super::Simd::detect`] found them).
//!
//! The two differ in one respect: `mul_add` is fused in [`Avx2`] and not in [`Portable`], so
//! their results may differ in the last bit; every plan a process builds uses the one
//! detected.

/// Eight f32 lanes.
pub(crate) trait Lanes: Copy {
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
pub(crate) struct Portable([f32; 8]);

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
pub(crate) use avx2::Avx2;

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::Lanes;

    #[derive(Clone, Copy)]
    pub(crate) struct Avx2(__m256);

    // Only ever inlined into functions compiled with AVX2 and FMA enabled, which are called
    // only after detecting both.
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
}
