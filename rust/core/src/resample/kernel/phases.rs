//! The phase layout's loop, per output: one phase's taps against its input window, eight at
//! a time, then a horizontal sum.

use super::super::buffer::Copies;
use crate::simd::lanes::{Lanes, Portable};
use crate::simd::Simd;

/// The walk of a phase-table resampler over one block: output `i` is the dot product of
/// phase `phase_i`'s taps with the window starting at float `start_i` of the first copy, and
/// each step moves to `next[phase]`, advancing `start` by `advance[phase]`.
#[derive(Clone, Copy)]
pub(crate) struct PhaseWalk<'a> {
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
pub(crate) fn phase_outputs(simd: Simd, buf: &[f32], walk: PhaseWalk<'_>, ys: &mut [f32]) {
    match simd {
        // SAFETY: AVX2 and FMA were detected.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2Fma => unsafe { avx2::phases(buf, walk, ys) },
        // SAFETY: the portable lanes need nothing of the CPU.
        Simd::Portable => unsafe { phase_run::<Portable>(buf, walk, ys) },
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::PhaseWalk;
    use crate::simd::lanes::Avx2;

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn phases(buf: &[f32], walk: PhaseWalk<'_>, ys: &mut [f32]) {
        unsafe { super::phase_run::<Avx2>(buf, walk, ys) }
    }
}
