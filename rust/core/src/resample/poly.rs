//! The polyphase engine: tables built from a prototype (shared between streams), and the
//! per-stream state that carries history from one call to the next.
//!
//! Notation: the reduced ratio is `out/in = L/M`; output `m` sits at fine-grid position
//! `m*M`, input `n` at `n*L`, and input `n` contributes `h[m*M - n*L]` to output `m`.
//!
//! Three ways to lay the work out, chosen per rate pair for the machine's load ports, which
//! bound these loops (each 8-float window read feeds at most a few multiply-adds):
//!
//! - **Branches**, for small `L` and `M` (pairs inside a rate family). Write `m = a*L + b`
//!   and `n = j*M + r`. Output branch `b` is then an ordinary FIR over the de-interleaved
//!   input streams `x_r[j] = x[j*M + r]`, all at the common rate `in/M`:
//!   `y_b[a] = sum_{r, lag} h[lag*L*M + b*M - r*L] * x_r[a - lag]`. Eight consecutive `a`
//!   share every tap, so the inner loop broadcasts one coefficient and multiply-adds it into
//!   eight outputs from one load: no horizontal sums, no gathers. When `M = 1` (integer
//!   upsampling) all branches read the same windows and are computed together, one load
//!   feeding `L` multiply-adds.
//! - **Dot**, for decimators (`L = 1`) whose filter fits in registers (at most 96 taps:
//!   16 -> 8, 24 -> 8, 48 -> 16 kHz and the like at "default"): each output is one dot
//!   product of the input window with the register-resident filter, read straight from the
//!   input with no de-interleaving.
//! - **Phases**, for everything else (pairs across the 8 kHz and 11.025 kHz families, `L` up
//!   to 1280): each output is the dot product of one of `L` coefficient phases with a
//!   contiguous window of input, computed one of two ways:
//!   - *By groups*, when the tables take at most 256 KiB (all these pairs but those with
//!     `L = 441`, from 8, 16 and 32 kHz into the 11.025 kHz family, and a few with `L = 147`
//!     or at "high"). Eight consecutive outputs, counted from the stream's first, are one
//!     vector, a lane each. Their windows start at most `ceil(7M/L)` inputs apart, so a table
//!     of `rows` rows (the union of the eight windows) of eight lanes, row `k` holding each
//!     lane's coefficient for input `base + k` (zero outside its window), makes the group
//!     `rows` multiply-adds of a broadcast input with a table row: no horizontal sums. The
//!     pattern repeats every `lcm(L, 8) / 8` groups (20 at 44.1 -> 48 kHz: 40 rows, 25 KiB),
//!     and each table row read feeds up to four groups one period apart.
//!   - *Per output* otherwise: the phase's taps, rounded up to a multiple of 8, against the
//!     window eight at a time, then a horizontal sum.
//!
//! In all three, output `m` can be produced as soon as input `floor(m*M/L)` has arrived, so
//! after `t` input samples exactly `ceil(t*L/M)` outputs exist: a 20 ms chunk yields a 20 ms
//! chunk whenever that is a whole number of samples, from the very first call.
//!
//! Measured on an AVX2 machine, per 20 ms int16 frame, the Rust call alone: a first version
//! with one kernel per output and scalar glue took 1.8 µs at 8 -> 16 kHz; cache-line-safe
//! double buffers, the shared-window upsampler, vectorised rounding and interleaving bring it
//! to 0.35 µs; 24 -> 8 kHz went from 2.1 µs to 0.6 µs (the dot layout saves the
//! de-interleaving, 0.12 µs). Folding symmetric taps (half the multiply-adds) was tried for
//! 2x upsampling and measured slower: the loop is then bound by its loads and the latency of
//! fewer, longer chains.
//!
//! 44.1 -> 48 kHz (`L/M = 160/147`, 33 or 34 taps a phase, rounded to 40), on a 2-core AMD
//! EPYC (Zen 4) VM: per output, 16.8 ms for 60 s of int16 in one call and 6.1 µs per 20 ms
//! frame; by groups, 9.0 ms, then 6.0 ms with one input copy and the one-shot path writing in
//! place, and 1.8 µs a frame. From Python that is 4.1-4.3x `soxr.resample` at "HQ" (about
//! 25 ms), against 1.6-1.8x before. Earlier attempts at the per-output form, batching the
//! horizontal sums of several outputs and folding symmetric taps, measured slower. By groups
//! was also faster for every other phase pair tried, warm, with tables of up to 800 KiB
//! (this machine has 1 MiB of L2 a core): in one call, 8 -> 44.1 kHz 7.4 -> 2.4 ns an output
//! (470 KiB), 48 -> 44.1 kHz 5.9 -> 3.2 ns; per frame, 16 -> 11.025 kHz 1.9 -> 1.5 µs
//! (800 KiB). The 256 KiB limit is for smaller caches (a stream walks the whole table once
//! per period of the patterns) and for memory: a table is several times the size of the
//! plain phases.

use std::sync::Arc;

use super::design::{self, Prototype};
use super::kernel::{
    self, Aligned, BranchTaps, Copies, DotWalk, GroupWalk, PhaseWalk, SharedTaps, Simd, Task,
};

/// Largest `L` and `M` handled by the branch layout (the largest within a rate family is 6).
const BRANCHES_MAX: usize = 8;
/// Samples per block: at most about this many inputs and outputs are processed at once,
/// which bounds the per-stream buffers.
const BLOCK_SAMPLES: usize = 1024;

/// Tables for one rate pair and quality, shared by every stream of that pair.
pub(super) struct Plan {
    pub l: usize,
    pub m: usize,
    /// Delay in output samples.
    pub delay: usize,
    pub simd: Simd,
    /// Whether the filter came from the design fallback (see `design`).
    pub fallback: bool,
    layout: Layout,
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let layout = match &self.layout {
            Layout::Branches(_) => "branches",
            Layout::Phases(p) if p.groups.is_some() => "phase groups",
            Layout::Phases(_) => "phases",
        };
        f.debug_struct("Plan")
            .field("l", &self.l)
            .field("m", &self.m)
            .field("delay", &self.delay)
            .field("simd", &self.simd)
            .field("fallback", &self.fallback)
            .field("layout", &layout)
            .finish()
    }
}

enum Layout {
    Branches(Branches),
    Phases(Phases),
}

/// Window offsets and coefficients of the branch layout.
enum Taps {
    /// `M = 1`: one set of windows, coefficients for every branch at each.
    Shared {
        coefs: Vec<f32>,
        even: Vec<u32>,
        odd: Vec<u32>,
        reach: usize,
    },
    /// Branch `b` owns taps `starts[b]..starts[b + 1]`.
    Separate {
        starts: Vec<usize>,
        coefs: Vec<f32>,
        even: Vec<u32>,
        odd: Vec<u32>,
        /// The largest offset of each branch.
        reach: Vec<usize>,
    },
}

struct Branches {
    /// History kept per de-interleaved stream (the largest lag).
    lags: usize,
    /// Super-samples (`M` inputs, `L` outputs) per block.
    block: usize,
    /// Length of each of the `M` stream segments.
    seg: usize,
    copies: Copies,
    /// Stride between the `L` branch rows of the kernel output.
    rows_cap: usize,
    taps: Taps,
}

struct Phases {
    /// Taps per phase (a multiple of 8).
    taps: usize,
    /// Inputs kept before the newest input of the next output.
    history: usize,
    /// Inputs past the newest one arrived that a call may read (kept zero).
    pad: usize,
    /// The group layout, when its table is small enough.
    groups: Option<Groups>,
    /// Input samples per block.
    block: usize,
    copies: Copies,
    /// Phase `p` covers `coefs[p * taps..][..taps]`, in input order (oldest first).
    coefs: Aligned,
    next: Vec<u32>,
    advance: Vec<u32>,
}

impl Plan {
    pub fn new(l: usize, m: usize, proto: &Prototype, simd: Simd) -> Plan {
        Plan::with_groups_max(l, m, proto, simd, GROUPS_MAX_BYTES)
    }

    /// As [`Plan::new`], with the group layout taken only for tables of at most
    /// `groups_max_bytes`.
    pub fn with_groups_max(
        l: usize,
        m: usize,
        proto: &Prototype,
        simd: Simd,
        groups_max_bytes: usize,
    ) -> Plan {
        // A decimator short enough to keep its filter in registers reads the input as it
        // is; other pairs within a family use branches; the rest, phases.
        let short = l == 1 && proto.taps.len().div_ceil(8) * 8 <= kernel::DOT_MAX_TAPS;
        let layout = if l <= BRANCHES_MAX && m <= BRANCHES_MAX && !short {
            Layout::Branches(Branches::new(l, m, &proto.taps))
        } else {
            Layout::Phases(Phases::new(l, m, &proto.taps, groups_max_bytes))
        };
        Plan {
            l,
            m,
            delay: proto.delay,
            simd,
            fallback: proto.fallback,
            layout,
        }
    }

    /// Floats of per-stream state: (input buffer, kernel output).
    fn state_sizes(&self) -> (usize, usize) {
        match &self.layout {
            Layout::Branches(b) => (b.copies.total(), self.l * b.rows_cap),
            // The group layout reads single floats, which never straddle a cache line: one
            // copy of the input.
            Layout::Phases(p) if p.groups.is_some() => {
                (p.copies.stride, (p.block * self.l).div_ceil(self.m) + 2)
            }
            Layout::Phases(p) => (p.copies.total(), (p.block * self.l).div_ceil(self.m) + 2),
        }
    }

    /// Where the buffer starts (absolute index) in a fresh stream: history of zeros.
    fn fresh_base(&self) -> i64 {
        match &self.layout {
            Layout::Branches(b) => -(b.lags as i64),
            Layout::Phases(p) => -(p.history as i64),
        }
    }

    /// Input samples per block.
    fn block_inputs(&self) -> usize {
        match &self.layout {
            Layout::Branches(b) => b.block * self.m,
            Layout::Phases(p) => p.block,
        }
    }
}

impl Branches {
    fn new(l: usize, m: usize, h: &[f64]) -> Branches {
        let lm = l * m;
        // Tap k = lag*L*M + b*M - r*L; collect per branch b, with its stream r and lag.
        let mut branches: Vec<Vec<(usize, usize, f32)>> = vec![Vec::new(); l];
        let mut lags = 0;
        for (b, branch) in branches.iter_mut().enumerate() {
            for r in 0..m {
                for lag in 0.. {
                    let k = (lag * lm + b * m) as i64 - (r * l) as i64;
                    if k >= h.len() as i64 {
                        break;
                    }
                    if k >= 0 && h[k as usize] != 0.0 {
                        branch.push((r, lag, h[k as usize] as f32));
                        lags = lags.max(lag);
                    }
                }
            }
        }
        let block = (BLOCK_SAMPLES / l.max(m)).max(8);
        let seg = lags + block + 16;
        let copies = Copies::new(m * seg);
        let rows_cap = (block + 2).div_ceil(8) * 8 + 8;
        // The window of stream r at lag `lag` for row 0 starts at r*seg + lags - lag.
        let window = |r: usize, lag: usize| copies.pair(r * seg + lags - lag);
        let taps = if m == 1 && kernel::shared_supports(l) {
            let (mut coefs, mut even, mut odd) = (Vec::new(), Vec::new(), Vec::new());
            for lag in (0..=lags).rev() {
                let (e, o) = window(0, lag);
                even.push(e);
                odd.push(o);
                for branch in &branches {
                    let c = branch.iter().find(|t| t.1 == lag).map_or(0.0, |t| t.2);
                    coefs.push(c);
                }
            }
            let reach = kernel::reach(&even, &odd);
            Taps::Shared {
                coefs,
                even,
                odd,
                reach,
            }
        } else {
            let (mut starts, mut coefs, mut even, mut odd) = (vec![0], vec![], vec![], vec![]);
            for branch in &mut branches {
                // Memory order: stream by stream, oldest sample first.
                branch.sort_by_key(|&(r, lag, _)| (r, std::cmp::Reverse(lag)));
                for &(r, lag, c) in branch.iter() {
                    let (e, o) = window(r, lag);
                    even.push(e);
                    odd.push(o);
                    coefs.push(c);
                }
                starts.push(coefs.len());
            }
            let reach = starts
                .windows(2)
                .map(|w| kernel::reach(&even[w[0]..w[1]], &odd[w[0]..w[1]]))
                .collect();
            Taps::Separate {
                starts,
                coefs,
                even,
                odd,
                reach,
            }
        };
        Branches {
            lags,
            block,
            seg,
            copies,
            rows_cap,
            taps,
        }
    }
}

impl Phases {
    fn new(l: usize, m: usize, h: &[f64], groups_max_bytes: usize) -> Phases {
        let taps = h.len().div_ceil(l).div_ceil(8) * 8;
        let mut coefs = Aligned::zeros(l * taps);
        // Phase p, slot i (input order) holds h[p + (taps - 1 - i) * L].
        for (p, phase) in coefs.as_mut_slice().chunks_exact_mut(taps).enumerate() {
            for (i, c) in phase.iter_mut().enumerate() {
                let k = p + (taps - 1 - i) * l;
                if k < h.len() {
                    *c = h[k] as f32;
                }
            }
        }
        let next = (0..l).map(|p| ((p + m) % l) as u32).collect();
        let advance = (0..l).map(|p| ((p + m) / l) as u32).collect();
        // About BLOCK_SAMPLES inputs and at most that many outputs a block.
        let block = (BLOCK_SAMPLES * m / l.max(m)).max(8);
        let groups = (l > 1)
            .then(|| Groups::new(l, m, h, groups_max_bytes))
            .flatten();
        let (history, pad) = match &groups {
            Some(g) => ((taps - 1).max(g.rows - 1), g.pad),
            None => (taps - 1, 0),
        };
        Phases {
            taps,
            history,
            pad,
            groups,
            block,
            copies: Copies::new(history + 1 + block + pad + 8),
            coefs,
            next,
            advance,
        }
    }
}

/// Largest table of the group layout: 256 KiB, the smallest second-level cache of a core
/// with AVX2. A stream walks the whole table once per period of the patterns (`lcm(L, 8)`
/// outputs: 160 at 44.1 -> 48 kHz, 3,528 where `L` = 441), so the table should stay in the
/// core's own cache; and it is
/// memory held for as long as the process runs, several times that of the plain phases.
const GROUPS_MAX_BYTES: usize = 256 * 1024;

/// The group layout of the phase tables (see [`GroupWalk`]).
struct Groups {
    /// Rows per pattern (even).
    rows: usize,
    /// `patterns * rows * 8` coefficients.
    table: Aligned,
    /// Pattern `r`'s first row, relative to the first input of its period (may be negative).
    base: Vec<i64>,
    /// `base[r + 1] - base[r]`, wrapping to the next period.
    advance: Vec<u32>,
    /// Inputs per period of `patterns` groups.
    period: usize,
    /// The most inputs past the newest of a group's first output that its rows reach.
    pad: usize,
}

impl Groups {
    /// The tables, unless they would take more than `max_bytes`.
    fn new(l: usize, m: usize, h: &[f64], max_bytes: usize) -> Option<Groups> {
        let patterns = l / design::gcd(l as u64, 8) as usize;
        let period = patterns * 8 * m / l;
        let k = h.len() as i64;
        let (l64, m64) = (l as i64, m as i64);
        // Output `o` reads inputs `lo(o)..=newest(o)`: those with 0 <= o*M - n*L < K.
        let newest = |o: i64| (o * m64).div_euclid(l64);
        let lo = |o: i64| (o * m64 - k).div_euclid(l64) + 1;
        let top: Vec<i64> = (0..patterns as i64).map(|r| newest(8 * r + 7)).collect();
        let span = (0..patterns as i64)
            .map(|r| top[r as usize] - lo(8 * r) + 1)
            .max()?;
        let rows = (span as usize).next_multiple_of(2);
        let pad = (0..patterns as i64)
            .map(|r| top[r as usize] - newest(8 * r))
            .max()? as usize;
        if patterns * rows * 8 * std::mem::size_of::<f32>() > max_bytes {
            return None;
        }
        let base: Vec<i64> = top.iter().map(|&t| t - rows as i64 + 1).collect();
        let mut table = Aligned::zeros(patterns * rows * 8);
        for (r, rows_r) in table.as_mut_slice().chunks_exact_mut(rows * 8).enumerate() {
            for (row, lanes) in rows_r.chunks_exact_mut(8).enumerate() {
                let n = base[r] + row as i64;
                for (j, c) in lanes.iter_mut().enumerate() {
                    let i = (8 * r + j) as i64 * m64 - n * l64;
                    if (0..k).contains(&i) {
                        *c = h[i as usize] as f32;
                    }
                }
            }
        }
        let advance = (0..patterns)
            .map(|r| {
                let next = base.get(r + 1).copied().unwrap_or(period as i64 + base[0]);
                u32::try_from(next - base[r]).ok()
            })
            .collect::<Option<Vec<u32>>>()?;
        Some(Groups {
            rows,
            table,
            base,
            advance,
            period,
            pad,
        })
    }
}

/// A sample type at the edges: int16 (scaled by 1/32768) or float32.
pub(super) trait Sample: Copy + Send + Sync {
    fn to_f32(self) -> f32;
    fn from_f32(y: f32) -> Self;
    /// `out` itself when it already holds floats (so results can be written in place).
    fn as_f32(out: &mut [Self]) -> Option<&mut [f32]>;
    /// `dst[i] = from_f32(src[i])`.
    fn from_f32_slice(simd: Simd, src: &[f32], dst: &mut [Self]);
    /// `out[2i] = from_f32(a[i])`, `out[2i + 1] = from_f32(b[i])`.
    fn interleave2(simd: Simd, a: &[f32], b: &[f32], out: &mut [Self]);
}

impl Sample for f32 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self
    }
    #[inline(always)]
    fn from_f32(y: f32) -> f32 {
        y
    }
    fn as_f32(out: &mut [f32]) -> Option<&mut [f32]> {
        Some(out)
    }
    fn from_f32_slice(_: Simd, src: &[f32], dst: &mut [f32]) {
        dst.copy_from_slice(&src[..dst.len()]);
    }
    fn interleave2(simd: Simd, a: &[f32], b: &[f32], out: &mut [f32]) {
        kernel::interleave2_f32(simd, a, b, out);
    }
}

impl Sample for i16 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        crate::pcm::i16_to_f32(self)
    }
    /// `pcm::f32_to_i16` (x32768, round half away from zero, saturate; NaN to 0), spelled
    /// so that it compiles to a handful of vector instructions: adding the largest float
    /// below 0.5 with the sign of `s` and truncating rounds half away from zero exactly, and
    /// clamping before the conversion lets it be a plain truncating convert.
    #[inline(always)]
    fn from_f32(y: f32) -> i16 {
        let s = y * 32768.0;
        let r = (s + 0.499_999_97_f32.copysign(s)).clamp(-32768.0, 32767.0);
        let r = if r.is_nan() { 0.0 } else { r };
        // SAFETY: `r` is finite and within i32 (clamped just above, NaN replaced).
        unsafe { r.to_int_unchecked::<i32>() as i16 }
    }
    fn as_f32(_: &mut [i16]) -> Option<&mut [f32]> {
        None
    }
    fn from_f32_slice(simd: Simd, src: &[f32], dst: &mut [i16]) {
        kernel::to_i16(simd, src, dst);
    }
    fn interleave2(simd: Simd, a: &[f32], b: &[f32], out: &mut [i16]) {
        kernel::interleave2_i16(simd, a, b, out);
    }
}

/// `a[i] = S::to_f32(src[i])`, and `b[i]` the same when there is a second copy.
struct ConvertIn<'a, S> {
    src: &'a [S],
    a: &'a mut [f32],
    b: Option<&'a mut [f32]>,
}

impl<S: Sample> Task for ConvertIn<'_, S> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        match self.b {
            Some(b) => {
                for ((a, b), &x) in self.a.iter_mut().zip(b.iter_mut()).zip(self.src) {
                    let v = x.to_f32();
                    *a = v;
                    *b = v;
                }
            }
            None => {
                for (a, &x) in self.a.iter_mut().zip(self.src) {
                    *a = x.to_f32();
                }
            }
        }
    }
}

/// Write `src` converted to both copies of the buffer at `at`.
fn convert_in_twice<S: Sample>(simd: Simd, src: &[S], buf: &mut [f32], at: usize, stride: usize) {
    let (first, second) = buf.split_at_mut(stride);
    let a = &mut first[at..at + src.len()];
    let b = Some(&mut second[at..at + src.len()]);
    kernel::run(simd, ConvertIn { src, a, b });
}

/// Write `src` converted to a buffer of one copy at `at`.
fn convert_in_once<S: Sample>(simd: Simd, src: &[S], buf: &mut [f32], at: usize) {
    let a = &mut buf[at..at + src.len()];
    kernel::run(simd, ConvertIn { src, a, b: None });
}

/// `dst[i] = S::from_f32(src[i])`.
fn convert_out<S: Sample>(simd: Simd, src: &[f32], dst: &mut [S]) {
    S::from_f32_slice(simd, src, dst);
}

/// Whole rows (from row `row0`) of `l` branch rows into output order, converted.
struct Interleave<'a, S> {
    ys: &'a [f32],
    cap: usize,
    l: usize,
    row0: usize,
    out: &'a mut [S],
}

impl<S: Sample> Task for Interleave<'_, S> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let Interleave {
            ys,
            cap,
            l,
            row0,
            out,
        } = self;
        match l {
            1 => {
                for (o, &y) in out.iter_mut().zip(&ys[row0..]) {
                    *o = S::from_f32(y);
                }
            }
            2 => rows::<S, 2>(ys, cap, row0, out),
            3 => rows::<S, 3>(ys, cap, row0, out),
            4 => rows::<S, 4>(ys, cap, row0, out),
            6 => rows::<S, 6>(ys, cap, row0, out),
            _ => {
                for (i, o) in out.iter_mut().enumerate() {
                    *o = S::from_f32(ys[(i % l) * cap + row0 + i / l]);
                }
            }
        }
    }
}

/// Interleave `L` branch rows into output order, converted: `out[i]` is branch
/// `(b0 + i) % L`, row `(b0 + i) / L`; branch `b`'s rows start at `ys[b * cap]`.
fn interleave<S: Sample>(simd: Simd, ys: &[f32], cap: usize, l: usize, b0: usize, out: &mut [S]) {
    // The partial first row.
    let head = ((l - b0) % l).min(out.len());
    for (b, o) in (b0..).zip(&mut out[..head]) {
        *o = S::from_f32(ys[b * cap]);
    }
    let row0 = usize::from(b0 != 0);
    let out = &mut out[head..];
    if l == 1 {
        return S::from_f32_slice(simd, &ys[row0..row0 + out.len()], out);
    }
    if l == 2 {
        let rows = out.len() / 2;
        let (a, b) = (&ys[row0..cap], &ys[cap + row0..2 * cap]);
        S::interleave2(simd, &a[..rows], &b[..rows], &mut out[..2 * rows]);
        if out.len() % 2 == 1 {
            out[2 * rows] = S::from_f32(a[rows]);
        }
        return;
    }
    kernel::run(
        simd,
        Interleave {
            ys,
            cap,
            l,
            row0,
            out,
        },
    );
}

/// Whole rows (and a partial last row) of `L` branches from row `row0` on, converted.
#[inline(always)]
fn rows<S: Sample, const L: usize>(ys: &[f32], cap: usize, row0: usize, out: &mut [S]) {
    let branches: [&[f32]; L] = std::array::from_fn(|b| &ys[b * cap + row0..(b + 1) * cap]);
    let mut chunks = out.chunks_exact_mut(L);
    for (r, chunk) in (&mut chunks).enumerate() {
        for (o, branch) in chunk.iter_mut().zip(&branches) {
            *o = S::from_f32(branch[r]);
        }
    }
    let full = out.len() / L;
    for (o, branch) in out[full * L..].iter_mut().zip(&branches) {
        *o = S::from_f32(branch[full]);
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

/// Whole groups of `m` inputs, sample `g * m + r` to `a[r][g]` and `b[r][g]` (`m` of the
/// slices used).
struct Columns<'a, 'b, S> {
    input: &'a [S],
    a: &'b mut [&'a mut [f32]],
    b: &'b mut [&'a mut [f32]],
}

impl<S: Sample> Task for Columns<'_, '_, S> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        match self.a.len() {
            2 => columns::<S, 2>(self),
            3 => columns::<S, 3>(self),
            4 => columns::<S, 4>(self),
            6 => columns::<S, 6>(self),
            m => {
                for (g, group) in self.input.chunks_exact(m).enumerate() {
                    for (r, &x) in group.iter().enumerate() {
                        self.a[r][g] = x.to_f32();
                        self.b[r][g] = x.to_f32();
                    }
                }
            }
        }
    }
}

#[inline(always)]
fn columns<S: Sample, const M: usize>(task: Columns<'_, '_, S>) {
    let groups = task.input.len() / M;
    let input = &task.input[..groups * M];
    let a: [&mut [f32]; M] = std::array::from_fn(|r| &mut std::mem::take(&mut task.a[r])[..groups]);
    let b: [&mut [f32]; M] = std::array::from_fn(|r| &mut std::mem::take(&mut task.b[r])[..groups]);
    for (g, group) in input.chunks_exact(M).enumerate() {
        for r in 0..M {
            let v = group[r].to_f32();
            a[r][g] = v;
            b[r][g] = v;
        }
    }
}

/// Write `input` (converted to f32) into `M = pos.len()` de-interleaved stream segments of
/// both copies (segment `r` of the first copy starts at `buf[r * seg]`, of the second at
/// `buf[stride + r * seg]`): the first input belongs to stream `r0`, and `pos[r]` is where
/// stream `r`'s next sample goes. Advances `pos`.
fn deinterleave<S: Sample>(
    simd: Simd,
    input: &[S],
    r0: usize,
    pos: &mut [usize],
    buf: &mut [f32],
    seg: usize,
    stride: usize,
) {
    let m = pos.len();
    let put = |buf: &mut [f32], pos: &mut [usize], r: usize, x: S| {
        let at = r * seg + pos[r];
        buf[at] = x.to_f32();
        buf[at + stride] = x.to_f32();
        pos[r] += 1;
    };
    // The partial first group, one by one.
    let head = ((m - r0) % m).min(input.len());
    for (i, &x) in input[..head].iter().enumerate() {
        put(buf, pos, r0 + i, x);
    }
    let rest = &input[head..];
    let groups = rest.len() / m;
    if groups > 0 {
        let (first, second) = buf.split_at_mut(stride);
        let mut a: [&mut [f32]; BRANCHES_MAX] = std::array::from_fn(|_| &mut [][..]);
        let mut b: [&mut [f32]; BRANCHES_MAX] = std::array::from_fn(|_| &mut [][..]);
        let (mut first, mut second) = (first, second);
        for r in 0..m {
            // Stream r's run starts at r * seg + pos[r], after everything of stream r - 1.
            let skip = r * seg + pos[r]
                - if r == 0 {
                    0
                } else {
                    (r - 1) * seg + pos[r - 1] + groups
                };
            let (_, tail) = std::mem::take(&mut first).split_at_mut(skip);
            let (run, tail) = tail.split_at_mut(groups);
            a[r] = run;
            first = tail;
            let (_, tail) = std::mem::take(&mut second).split_at_mut(skip);
            let (run, tail) = tail.split_at_mut(groups);
            b[r] = run;
            second = tail;
        }
        let input = &rest[..groups * m];
        kernel::run(
            simd,
            Columns {
                input,
                a: &mut a[..m],
                b: &mut b[..m],
            },
        );
        for p in pos.iter_mut() {
            *p += groups;
        }
    }
    // The partial last group.
    for (r, &x) in rest[groups * m..].iter().enumerate() {
        put(buf, pos, r, x);
    }
}

/// `first[i] = first[i + shift]`, and `second[i]` the same when there is a second copy,
/// ascending (each read is `shift` ahead of every write so far).
struct ShiftDown<'a> {
    first: &'a mut [f32],
    second: Option<&'a mut [f32]>,
    shift: usize,
}

impl Task for ShiftDown<'_> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        match self.second {
            Some(second) => {
                for (i, b) in second.iter_mut().enumerate() {
                    let v = self.first[i + self.shift];
                    self.first[i] = v;
                    *b = v;
                }
            }
            None => {
                let len = self.first.len() - self.shift;
                for i in 0..len {
                    self.first[i] = self.first[i + self.shift];
                }
            }
        }
    }
}

/// Move `len` floats down by `shift` in the first copy and mirror them into the second:
/// `buf[at + i] = buf[stride + at + i] = buf[at + shift + i]`; with no `stride`, a buffer of
/// one copy. (A plain loop: these runs are short, and library `memmove` calls cost more than
/// the copying.)
fn shift_down(
    simd: Simd,
    buf: &mut [f32],
    at: usize,
    stride: Option<usize>,
    shift: usize,
    len: usize,
) {
    let (first, second) = match stride {
        Some(stride) => {
            let (first, second) = buf.split_at_mut(stride);
            (first, Some(&mut second[at..at + len]))
        }
        None => (buf, None),
    };
    let first = &mut first[at..at + shift + len];
    kernel::run(
        simd,
        ShiftDown {
            first,
            second,
            shift,
        },
    );
}

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

    /// Outputs the next `input_len` inputs will produce.
    pub fn output_len(&self, input_len: usize) -> usize {
        let p = &*self.plan;
        (ceil_mul_div(self.t_in + input_len as u64, p.l, p.m) - self.t_out) as usize
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
