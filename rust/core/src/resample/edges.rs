//! The edges of the engine: samples in and out as int16 (scaled by 1/32768, rounded and
//! saturated as `pcm` does) or float32, and the moves between sample order and the branch
//! layout (de-interleaving the input into `M` streams, interleaving `L` branch rows into the
//! output).

use super::kernel;
use super::plan::BRANCHES_MAX;
use crate::simd::{self, Simd, Task};

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
pub(super) fn convert_in_twice<S: Sample>(
    simd: Simd,
    src: &[S],
    buf: &mut [f32],
    at: usize,
    stride: usize,
) {
    let (first, second) = buf.split_at_mut(stride);
    let a = &mut first[at..at + src.len()];
    let b = Some(&mut second[at..at + src.len()]);
    simd::run(simd, ConvertIn { src, a, b });
}

/// Write `src` converted to a buffer of one copy at `at`.
pub(super) fn convert_in_once<S: Sample>(simd: Simd, src: &[S], buf: &mut [f32], at: usize) {
    let a = &mut buf[at..at + src.len()];
    simd::run(simd, ConvertIn { src, a, b: None });
}

/// `dst[i] = S::from_f32(src[i])`.
pub(super) fn convert_out<S: Sample>(simd: Simd, src: &[f32], dst: &mut [S]) {
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
pub(super) fn interleave<S: Sample>(
    simd: Simd,
    ys: &[f32],
    cap: usize,
    l: usize,
    b0: usize,
    out: &mut [S],
) {
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
    simd::run(
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
pub(super) fn deinterleave<S: Sample>(
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
        simd::run(
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
