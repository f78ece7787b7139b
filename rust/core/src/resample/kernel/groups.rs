//! The phase layout's loop by groups: eight consecutive outputs a vector, one broadcast input
//! times one table row per multiply-add.

use crate::simd::lanes::{Lanes, Portable};
use crate::simd::Simd;

/// The walk of a phase-table resampler laid out by groups: eight consecutive outputs
/// `8g..8g+8` (`g` counted from the stream's first output, so groups never depend on call
/// boundaries) are computed together, one per lane. The phases repeat every
/// `patterns = lcm(L, 8) / 8` groups; pattern `r` has a table of `rows` rows of eight lanes,
/// row `k` holding each lane's coefficient for input `base + k` (zero outside its window),
/// and output lane `j` is `sum_k x[base + k] * table[k][j]`: one broadcast input and one
/// table row per multiply-add, no horizontal sums.
#[derive(Clone, Copy)]
pub(crate) struct GroupWalk<'a> {
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
pub(crate) fn group_outputs(simd: Simd, buf: &[f32], walk: GroupWalk<'_>, ys: &mut [f32]) {
    match simd {
        // SAFETY: AVX2 and FMA were detected.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2Fma => unsafe { avx2::groups(buf, walk, ys) },
        // SAFETY: the portable lanes need nothing of the CPU.
        Simd::Portable => unsafe { group_run::<Portable>(buf, walk, ys) },
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::GroupWalk;
    use crate::simd::lanes::Avx2;

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn groups(buf: &[f32], walk: GroupWalk<'_>, ys: &mut [f32]) {
        unsafe { super::group_run::<Avx2>(buf, walk, ys) }
    }
}
