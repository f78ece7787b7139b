//! The inner loops of the resampler, one file per layout, each written once over the
//! [`Lanes`](crate::simd::lanes::Lanes) vector type and compiled twice: with AVX2+FMA
//! intrinsics behind runtime detection, and portably (plain arrays the compiler vectorises
//! for the baseline target).
//!
//! Every output sample is computed by one fixed sequence of operations that does not depend
//! on where it falls in a block or a call, which is what makes the output independent of how
//! the input is chunked, bit for bit. (The two builds differ from each other, fused or not;
//! one process always uses the same one.)
//!
//! The loops are bound by loads (every multiply-add reads one 8-float window), so a window
//! read once feeds as many multiply-adds as registers allow, and no window straddles a
//! cache line (the buffer layout of module `buffer`).
//!
//! The loads are unchecked: each entry point first makes sure that what it reads lies in its
//! slices (asserting, up front or step by step in the phase and group walks; the conversions
//! bound themselves by the slices' lengths), so a wrong size panics or stops short rather
//! than reading out of bounds.

mod branches;
mod convert;
mod dot;
mod groups;
mod phases;

pub(super) use branches::{
    branch_rows, reach, shared_rows, shared_supports, BranchTaps, SharedTaps,
};
pub(super) use convert::{interleave2_f32, interleave2_i16, to_i16};
pub(super) use dot::{dot_outputs, DotWalk, DOT_MAX_TAPS};
pub(super) use groups::{group_outputs, GroupWalk};
pub(super) use phases::{phase_outputs, PhaseWalk};
