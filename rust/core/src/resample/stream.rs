//! One stream's state: position counters and the input history that carries from one call
//! to the next, and the block loop that feeds it through the plan's layout.
//!
//! After `t_in` inputs, `t_out = ceil(t_in * L / M)` outputs have been produced; the buffer
//! holds just the history the next output needs (from absolute index `base`), in the layout
//! of the plan.

use std::sync::Arc;

use super::buffer::{shift_down, Aligned};
use super::edges::{
    convert_in_once, convert_in_twice, convert_out, deinterleave, interleave, Sample,
};
use super::kernel::{self, BranchTaps, DotWalk, GroupWalk, PhaseWalk, SharedTaps};
use super::plan::{Branches, Layout, Phases, Plan, Taps, BRANCHES_MAX};

/// One stream's state: position counters and the history buffer.
#[derive(Debug, Clone)]
pub(super) struct Stream {
    plan: Arc<Plan>,
    /// Input samples consumed.
    t_in: u64,
    /// Output samples produced (always `ceil(t_in * L / M)`).
    t_out: u64,
    /// Absolute index held at buffer position 0 (branches: per stream segment, in
    /// super-samples; phases: in input samples). Negative while the zero history lasts.
    base: i64,
    /// Input history: two copies (see [`Copies`]), or one for the group layout.
    buf: Aligned,
    /// Kernel output: branch rows, or (phases) the block's outputs.
    ys: Aligned,
}

impl Stream {
    pub fn new(plan: Arc<Plan>) -> Stream {
        let (buf, ys) = plan.state_sizes();
        Stream {
            base: plan.fresh_base(),
            plan,
            t_in: 0,
            t_out: 0,
            buf: Aligned::zeros(buf),
            ys: Aligned::zeros(ys),
        }
    }

    #[cfg(test)]
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    pub fn reset(&mut self) {
        self.t_in = 0;
        self.t_out = 0;
        self.base = self.plan.fresh_base();
        self.buf.as_mut_slice().fill(0.0);
    }

    /// Bytes of per-stream state, buffers included.
    pub fn state_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.buf.bytes() + self.ys.bytes()
    }

    /// Outputs the next `input_len` inputs will produce (the per-block form, for inputs at
    /// hand: a count that does not fit wraps; see [`Stream::checked_output_len`]).
    pub fn output_len(&self, input_len: usize) -> usize {
        let p = &*self.plan;
        (ceil_mul_div(self.t_in + input_len as u64, p.l, p.m) - self.t_out) as usize
    }

    /// [`Stream::output_len`] computed exactly for any `input_len`; `None` when the count
    /// does not fit in `usize`.
    pub fn checked_output_len(&self, input_len: usize) -> Option<usize> {
        let p = &*self.plan;
        let end = (u128::from(self.t_in) + input_len as u128) * p.l as u128;
        usize::try_from(end.div_ceil(p.m as u128) - u128::from(self.t_out)).ok()
    }

    /// Outputs owed after the last input: the rest of the filter's response, `delay`
    /// samples, as if zeros followed.
    pub fn tail_len(&self) -> usize {
        self.plan.delay
    }

    /// Resample `input` into `out`, which must hold exactly `output_len(input.len())`.
    pub fn process<S: Sample>(&mut self, input: &[S], out: &mut [S]) {
        debug_assert_eq!(out.len(), self.output_len(input.len()));
        let plan = Arc::clone(&self.plan);
        let mut done = 0;
        for chunk in input.chunks(plan.block_inputs()) {
            let n = self.output_len(chunk.len());
            let Some(dest) = out.get_mut(done..done + n) else {
                return;
            };
            match &plan.layout {
                Layout::Branches(b) => self.branches_block(&plan, b, chunk, dest),
                Layout::Phases(p) => self.phases_block(&plan, p, chunk, dest),
            }
            done += n;
        }
    }

    /// Append the tail to `out`: `tail_len()` outputs of the response to zeros after the
    /// last input. Then the stream starts afresh.
    pub fn flush<S: Sample>(&mut self, out: &mut Vec<S>) {
        let (l, m) = (self.plan.l as u64, self.plan.m as u64);
        let want = self.t_out + self.plan.delay as u64;
        // Fewest zeros after which ceil(t_in * L / M) reaches `want`.
        let feed = (u128::from(want) * u128::from(m)).div_ceil(u128::from(l)) as u64;
        let feed = feed.saturating_sub(self.t_in) as usize;
        let zeros = vec![S::from_f32(0.0); feed];
        let start = out.len();
        out.resize(start + self.output_len(feed), S::from_f32(0.0));
        self.process(&zeros, &mut out[start..]);
        out.truncate(start + self.plan.delay);
        self.reset();
    }

    fn branches_block<S: Sample>(
        &mut self,
        plan: &Plan,
        br: &Branches,
        input: &[S],
        out: &mut [S],
    ) {
        let (l, m) = (plan.l, plan.m);
        let stride = br.copies.stride;
        let buf = self.buf.as_mut_slice();
        // De-interleave into the M stream segments of the first copy, then mirror what was
        // written into the second.
        if m == 1 {
            let pos = (self.t_in as i64 - self.base) as usize;
            convert_in_twice(plan.simd, input, buf, pos, stride);
        } else {
            // Where the next sample of each stream goes: stream r's next super-index is
            // ceil((t_in - r) / M), counting from `base`.
            let mut pos = [0usize; BRANCHES_MAX];
            for (r, p) in pos[..m].iter_mut().enumerate() {
                let next = (self.t_in + (m - 1 - r) as u64) / m as u64;
                *p = (next as i64 - self.base) as usize;
            }
            let r0 = (self.t_in % m as u64) as usize;
            deinterleave(plan.simd, input, r0, &mut pos[..m], buf, br.seg, stride);
        }
        self.t_in += input.len() as u64;
        let m_end = ceil_mul_div(self.t_in, l, m);
        if m_end > self.t_out {
            let a_first = self.t_out / l as u64;
            let rows = ((m_end - 1) / l as u64 - a_first + 1) as usize;
            debug_assert_eq!(a_first as i64 - self.base, br.lags as i64);
            let buf = self.buf.as_slice();
            let ys = self.ys.as_mut_slice();
            let cap = br.rows_cap;
            match &br.taps {
                Taps::Shared {
                    coefs,
                    even,
                    odd,
                    reach,
                } => {
                    let taps = SharedTaps {
                        branches: l,
                        coefs,
                        even,
                        odd,
                        reach: *reach,
                    };
                    kernel::shared_rows(plan.simd, buf, taps, ys, cap, rows);
                }
                Taps::Separate {
                    starts,
                    coefs,
                    even,
                    odd,
                    reach,
                } => {
                    for (b, ys) in ys.chunks_exact_mut(cap).take(l).enumerate() {
                        let t = starts[b]..starts[b + 1];
                        let taps = BranchTaps {
                            coefs: &coefs[t.clone()],
                            even: &even[t.clone()],
                            odd: &odd[t],
                            reach: reach[b],
                        };
                        kernel::branch_rows(plan.simd, buf, taps, ys, rows);
                    }
                }
            }
            let b0 = (self.t_out % l as u64) as usize;
            interleave(plan.simd, self.ys.as_slice(), cap, l, b0, out);
            self.t_out = m_end;
        }
        // Keep `lags` super-samples of history before the next row, in both copies.
        let new_base = (self.t_out / l as u64) as i64 - br.lags as i64;
        let shift = (new_base - self.base) as usize;
        if shift > 0 {
            let buf = self.buf.as_mut_slice();
            for r in 0..m {
                let end = if self.t_in > r as u64 {
                    (self.t_in - r as u64 - 1) / m as u64 + 1
                } else {
                    0
                };
                let valid = (end as i64 - self.base).max(0) as usize;
                if valid > shift {
                    shift_down(
                        plan.simd,
                        buf,
                        r * br.seg,
                        Some(stride),
                        shift,
                        valid - shift,
                    );
                }
            }
            self.base = new_base;
        }
    }

    fn phases_block<S: Sample>(&mut self, plan: &Plan, ph: &Phases, input: &[S], out: &mut [S]) {
        let (l, m) = (plan.l, plan.m);
        let stride = ph.copies.stride;
        let pos = (self.t_in as i64 - self.base) as usize;
        if ph.groups.is_some() {
            convert_in_once(plan.simd, input, self.buf.as_mut_slice(), pos);
        } else {
            convert_in_twice(plan.simd, input, self.buf.as_mut_slice(), pos, stride);
        }
        if ph.pad > 0 {
            // The last group of a call may read a few inputs that have not arrived: zeros,
            // whatever the buffer held, so that chunking cannot change what is read.
            let end = pos + input.len();
            self.buf.as_mut_slice()[end..end + ph.pad].fill(0.0);
        }
        self.t_in += input.len() as u64;
        let m_end = ceil_mul_div(self.t_in, l, m);
        let n = (m_end - self.t_out) as usize;
        if let (true, Some(g)) = (n > 0, &ph.groups) {
            let group = self.t_out / 8;
            let patterns = g.advance.len() as u64;
            let pattern = (group % patterns) as usize;
            let first = (group / patterns) as i64 * g.period as i64 + g.base[pattern];
            let walk = GroupWalk {
                table: g.table.as_slice(),
                rows: g.rows,
                advance: &g.advance,
                period: g.period,
                start: (first - self.base) as usize,
                pattern,
                skip: (self.t_out % 8) as usize,
            };
            let buf = self.buf.as_slice();
            match S::as_f32(out) {
                Some(ys) => kernel::group_outputs(plan.simd, buf, walk, ys),
                None => {
                    let ys = &mut self.ys.as_mut_slice()[..n];
                    kernel::group_outputs(plan.simd, buf, walk, ys);
                    convert_out(plan.simd, &self.ys.as_slice()[..n], out);
                }
            }
            self.t_out = m_end;
        } else if n > 0 {
            let q = u128::from(self.t_out) * m as u128;
            let newest = (q / l as u128) as i64;
            let start = (newest - (ph.taps as i64 - 1) - self.base) as usize;
            let buf = self.buf.as_slice();
            let ys = match S::as_f32(out) {
                Some(out) => out,
                None => &mut self.ys.as_mut_slice()[..n],
            };
            if l == 1 && ph.taps <= kernel::DOT_MAX_TAPS {
                let walk = DotWalk {
                    coefs: ph.coefs.as_slice(),
                    start,
                    step: m,
                    copies: ph.copies,
                };
                kernel::dot_outputs(plan.simd, buf, walk, ys);
            } else {
                let walk = PhaseWalk {
                    coefs: ph.coefs.as_slice(),
                    taps: ph.taps,
                    next: &ph.next,
                    advance: &ph.advance,
                    start,
                    phase: (q % l as u128) as usize,
                    copies: ph.copies,
                };
                kernel::phase_outputs(plan.simd, buf, walk, ys);
            }
            if S::as_f32(out).is_none() {
                convert_out(plan.simd, &self.ys.as_slice()[..n], out);
            }
            self.t_out = m_end;
        }
        let new_base = floor_mul_div(self.t_out, m, l) as i64 - ph.history as i64;
        let shift = (new_base - self.base) as usize;
        if shift > 0 {
            let valid = (self.t_in as i64 - self.base) as usize;
            if valid > shift {
                // The group layout reads single floats, from the first copy only.
                let stride = ph.groups.is_none().then_some(stride);
                shift_down(
                    plan.simd,
                    self.buf.as_mut_slice(),
                    0,
                    stride,
                    shift,
                    valid - shift,
                );
            }
            self.base = new_base;
        }
    }
}

/// `ceil(a * b / c)`, in 64 bits while the product fits (the first few thousand years of a
/// stream), in 128 after.
#[inline]
fn ceil_mul_div(a: u64, b: usize, c: usize) -> u64 {
    match a.checked_mul(b as u64) {
        Some(p) => p.div_ceil(c as u64),
        None => (u128::from(a) * b as u128).div_ceil(c as u128) as u64,
    }
}

/// `floor(a * b / c)`, as [`ceil_mul_div`].
#[inline]
fn floor_mul_div(a: u64, b: usize, c: usize) -> u64 {
    match a.checked_mul(b as u64) {
        Some(p) => p / c as u64,
        None => (u128::from(a) * b as u128 / c as u128) as u64,
    }
}
