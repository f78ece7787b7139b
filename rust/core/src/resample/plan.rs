//! The tables of the polyphase engine, built once per rate pair and quality from a prototype
//! and shared by every stream of that pair (the per-stream state is module `stream`).
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
//! The choice between the layouts is by measurement (recorded in `docs/performance.md`):
//! branches and dot avoid both gathers and horizontal sums; groups avoid the horizontal sums
//! of the per-output form wherever the table stays small.

use super::buffer::{Aligned, Copies};
use super::design::{self, Prototype};
use super::kernel;
use crate::simd::Simd;

/// Largest `L` and `M` handled by the branch layout (the largest within a rate family is 6).
pub(super) const BRANCHES_MAX: usize = 8;
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
    pub(super) layout: Layout,
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

pub(super) enum Layout {
    Branches(Branches),
    Phases(Phases),
}

/// Window offsets and coefficients of the branch layout.
pub(super) enum Taps {
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

pub(super) struct Branches {
    /// History kept per de-interleaved stream (the largest lag).
    pub(super) lags: usize,
    /// Super-samples (`M` inputs, `L` outputs) per block.
    pub(super) block: usize,
    /// Length of each of the `M` stream segments.
    pub(super) seg: usize,
    pub(super) copies: Copies,
    /// Stride between the `L` branch rows of the kernel output.
    pub(super) rows_cap: usize,
    pub(super) taps: Taps,
}

pub(super) struct Phases {
    /// Taps per phase (a multiple of 8).
    pub(super) taps: usize,
    /// Inputs kept before the newest input of the next output.
    pub(super) history: usize,
    /// Inputs past the newest one arrived that a call may read (kept zero).
    pub(super) pad: usize,
    /// The group layout, when its table is small enough.
    pub(super) groups: Option<Groups>,
    /// Input samples per block.
    pub(super) block: usize,
    pub(super) copies: Copies,
    /// Phase `p` covers `coefs[p * taps..][..taps]`, in input order (oldest first).
    pub(super) coefs: Aligned,
    pub(super) next: Vec<u32>,
    pub(super) advance: Vec<u32>,
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
    pub(super) fn state_sizes(&self) -> (usize, usize) {
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
    pub(super) fn fresh_base(&self) -> i64 {
        match &self.layout {
            Layout::Branches(b) => -(b.lags as i64),
            Layout::Phases(p) => -(p.history as i64),
        }
    }

    /// Input samples per block.
    pub(super) fn block_inputs(&self) -> usize {
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
/// core's own cache; and it is memory held for as long as the process runs, several times
/// that of the plain phases.
const GROUPS_MAX_BYTES: usize = 256 * 1024;

/// The group layout of the phase tables (see [`kernel::GroupWalk`]).
pub(super) struct Groups {
    /// Rows per pattern (even).
    pub(super) rows: usize,
    /// `patterns * rows * 8` coefficients.
    pub(super) table: Aligned,
    /// Pattern `r`'s first row, relative to the first input of its period (may be negative).
    pub(super) base: Vec<i64>,
    /// `base[r + 1] - base[r]`, wrapping to the next period.
    pub(super) advance: Vec<u32>,
    /// Inputs per period of `patterns` groups.
    pub(super) period: usize,
    /// The most inputs past the newest of a group's first output that its rows reach.
    pub(super) pad: usize,
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
