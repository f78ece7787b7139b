//! The fixed-size buffers the loops read: 64-byte aligned floats, the two-copy layout that
//! keeps every 8-float window inside one cache line, and moving history down in both copies.
//!
//! The loops are bound by loads, and a load that straddles a 64-byte cache line costs two.
//! So input buffers are 64-byte aligned and hold two copies of the data, the second 32 bytes
//! out of phase: a window starting at float `p` is read from the first copy when
//! `p % 16 <= 8` and from the second otherwise, and no window ever straddles a line. (The
//! group walk reads its input one float at a time, broadcast, and its tables are aligned: it
//! needs one copy.)

use crate::simd::{self, Simd, Task};

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
pub(super) fn shift_down(
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
    simd::run(
        simd,
        ShiftDown {
            first,
            second,
            shift,
        },
    );
}
