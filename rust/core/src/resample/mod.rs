//! Streaming sample-rate conversion for telephony: 20 ms in, 20 ms out, from the first call.
//!
//! A linear-phase polyphase FIR between any two of 8, 16, 24, 32 and 48 kHz, and 11.025,
//! 22.05 and 44.1 kHz to and from those (and among those):
//!
//! - **Exact framing.** After `t` input samples the stream has produced exactly
//!   `ceil(t * out / in)` outputs: a 20 ms chunk yields exactly 20 ms whenever that is a
//!   whole number of samples, the first call included, and never more than one sample away
//!   from `floor(t * out / in)` otherwise. The filter starts from silence, so the output lags
//!   the input by [`Resampler::delay_samples`] and nothing is held back beyond that;
//!   [`Resampler::flush_i16`] returns the last `delay_samples`.
//! - **Chunking does not matter.** Every output sample is computed by the same sequence of
//!   operations whatever the chunk sizes, so any split of the input gives bit-identical
//!   output, int16 and finite float. (A NaN or infinity in float input spoils the outputs
//!   whose filter covers it, and where the group layout of module `plan` is used up to
//!   seven more on either side: eight outputs read the union of their windows, with zero
//!   coefficients outside each one's own, and zero times NaN is NaN. Those after it are
//!   spoiled in every split; of those before it, a split may have put zeros in place of
//!   inputs that had not arrived yet, so they may be NaN in one split and finite in another.)
//! - **Quality.** `Default`: passband flat to ±0.1 dB up to 0.85 x the lower Nyquist
//!   frequency, aliases and images at least 90 dB down beyond 1.1 x, delay at most 3 ms.
//!   `High`: ±0.1 dB to 0.9 x, 100 dB beyond 1.0 x, at most 8 ms. The tests check every
//!   pair, recovering the whole filter from impulse responses.
//! - **Cost.** Filters are designed once per rate pair and quality (module `design`) and
//!   shared between streams; a stream holds only its history and scratch, 5-14 KiB.
//!
//! Samples are f32 inside; int16 at the edges is scaled by 1/32768 on the way in and
//! rounded half away from zero (saturating) on the way out, exactly as
//! [`crate::pcm::f32_to_i16`] does, so the int16 path is the float path rounded.
//!
//! Modules: `design` (the prototype filter), `plan` (the tables and layouts built from it,
//! shared), `stream` (one stream's state), `edges` (int16/float in and out, and
//! (de)interleaving), `buffer` (aligned two-copy buffers), `kernel` (the vector loops).
//!
//! Written here rather than taken from `rubato` because neither of its resamplers meets the
//! framing, delay and passband contract above at once; the measurements, and those behind
//! the layouts and the filter design, are in `docs/performance.md`.

mod buffer;
mod design;
mod edges;
mod kernel;
mod plan;
mod stream;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::alloc;
use crate::error::{Error, ErrorKind, Result};

use edges::Sample;
use plan::Plan;
use stream::Stream;

/// Filter quality of a [`Resampler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Quality {
    /// ±0.1 dB to 0.85 x the lower Nyquist frequency, 90 dB beyond 1.1 x, delay ≤ 3 ms.
    #[default]
    Default,
    /// ±0.1 dB to 0.9 x the lower Nyquist frequency, 100 dB beyond 1.0 x, delay ≤ 8 ms.
    High,
}

impl Quality {
    /// `"default"` or `"high"`.
    pub fn parse(name: &str) -> Result<Quality> {
        match name {
            "default" => Ok(Quality::Default),
            "high" => Ok(Quality::High),
            _ => Err(Error::Format(
                ErrorKind::BadValue,
                format!("{name:?} is not a quality; expected \"default\" or \"high\""),
            )),
        }
    }

    /// The name [`Quality::parse`] reads.
    pub fn name(self) -> &'static str {
        match self {
            Quality::Default => "default",
            Quality::High => "high",
        }
    }
}

/// The sample rates a [`Resampler`] converts between (any two of them, either way).
pub const RATES: [u32; 8] = [8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000];

/// `rate` as a supported rate, or [`Error::Format`] naming `what` and the value (which may
/// come from a caller as any integer).
pub fn check_rate(what: &str, rate: i64) -> Result<u32> {
    match u32::try_from(rate) {
        Ok(r) if RATES.contains(&r) => Ok(r),
        _ => Err(Error::Format(
            ErrorKind::BadRate,
            format!(
                "{what} {rate} Hz is not supported; supported rates: {}",
                RATES.map(|r| r.to_string()).join(", ")
            ),
        )),
    }
}

/// Plans already designed, per (in rate, out rate, quality).
type PlanCache = Mutex<HashMap<(u32, u32, Quality), Arc<Plan>>>;

fn plan(in_rate: u32, out_rate: u32, quality: Quality) -> Arc<Plan> {
    static CACHE: OnceLock<PlanCache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (in_rate, out_rate, quality);
    if let Some(plan) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Arc::clone(plan);
    }
    // Design outside the lock: two threads may race to design one pair, and one wins.
    let g = design::gcd(u64::from(in_rate), u64::from(out_rate));
    let (l, m) = (u64::from(out_rate) / g, u64::from(in_rate) / g);
    let proto = design::design(in_rate, out_rate, quality, l, m);
    let plan = Arc::new(Plan::new(
        l as usize,
        m as usize,
        &proto,
        crate::simd::Simd::detect(),
    ));
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    Arc::clone(cache.entry(key).or_insert(plan))
}

/// A streaming resampler for one mono stream. Cheap to create once a rate pair has been
/// used (the filter is cached), `Send` and `Clone` (a clone continues the same stream).
#[derive(Debug, Clone)]
pub struct Resampler {
    in_rate: u32,
    out_rate: u32,
    quality: Quality,
    /// `None` when the rates are equal: samples pass through.
    stream: Option<Stream>,
}

impl Resampler {
    /// A resampler from `in_rate` to `out_rate` Hz. Both must be among [`RATES`];
    /// otherwise [`Error::Format`] naming the rate.
    pub fn new(in_rate: u32, out_rate: u32, quality: Quality) -> Result<Self> {
        check_rate("in_rate", i64::from(in_rate))?;
        check_rate("out_rate", i64::from(out_rate))?;
        let stream = (in_rate != out_rate).then(|| Stream::new(plan(in_rate, out_rate, quality)));
        Ok(Resampler {
            in_rate,
            out_rate,
            quality,
            stream,
        })
    }

    /// Input rate, Hz.
    pub fn in_rate(&self) -> u32 {
        self.in_rate
    }

    /// Output rate, Hz.
    pub fn out_rate(&self) -> u32 {
        self.out_rate
    }

    /// The quality it was made with.
    pub fn quality(&self) -> Quality {
        self.quality
    }

    /// How many samples the next `process` of the input at hand, `input_len` samples long,
    /// will append. For a length from elsewhere, use [`Resampler::checked_output_len`]: this
    /// form wraps when the count does not fit in `usize`.
    pub fn output_len(&self, input_len: usize) -> usize {
        match &self.stream {
            Some(s) => s.output_len(input_len),
            None => input_len,
        }
    }

    /// How many samples the next `process` of `input_len` samples would append, exactly;
    /// [`Error::Argument`] naming `input_len` when that count does not fit in `usize` (as for
    /// 2^62 samples at 8 -> 48 kHz, far more than any buffer holds).
    pub fn checked_output_len(&self, input_len: usize) -> Result<usize> {
        let len = match &self.stream {
            Some(s) => s.checked_output_len(input_len),
            None => Some(input_len),
        };
        len.ok_or_else(|| self.too_long(input_len))
    }

    fn too_long(&self, input_len: usize) -> Error {
        Error::Argument(
            ErrorKind::TooLarge,
            format!(
                "input_len {input_len} at {} -> {} Hz gives more output samples than a buffer can \
             hold ({} at most)",
                self.in_rate,
                self.out_rate,
                usize::MAX
            ),
        )
    }

    /// Delay in output samples (a whole number): an impulse at input time 0 peaks at output
    /// sample `delay_samples()`. Zero for equal rates.
    pub fn delay_samples(&self) -> usize {
        self.stream.as_ref().map_or(0, Stream::tail_len)
    }

    /// Delay in milliseconds.
    pub fn delay_ms(&self) -> f64 {
        self.delay_samples() as f64 * 1000.0 / f64::from(self.out_rate)
    }

    /// Bytes of state this stream holds (its history and scratch buffers; the filter tables
    /// are shared between streams of one rate pair and not counted).
    pub fn state_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.stream.as_ref().map_or(0, Stream::state_bytes)
    }

    fn process_into<S: Sample>(&mut self, input: &[S], out: &mut [S]) {
        match &mut self.stream {
            Some(s) => s.process(input, out),
            None => out.copy_from_slice(input),
        }
    }

    fn process_append<S: Sample>(&mut self, input: &[S], out: &mut Vec<S>) -> Result<()> {
        let len = self.checked_output_len(input.len())?;
        alloc::grow(out, len, "resampled output")?;
        let start = out.len();
        out.resize(start + len, S::from_f32(0.0));
        self.process_into(input, &mut out[start..]);
        Ok(())
    }

    /// Resample int16 `input`, appending [`Resampler::output_len`] samples to `out`, which
    /// grows as `Vec` does. Memory for them that cannot be had is an [`Error::Argument`]
    /// (kind [`ErrorKind::TooLarge`]) and leaves `out` and the stream as they were.
    pub fn process_i16(&mut self, input: &[i16], out: &mut Vec<i16>) -> Result<()> {
        self.process_append(input, out)
    }

    /// Resample float `input` (full scale ±1), appending [`Resampler::output_len`] samples
    /// (see [`Resampler::process_i16`]).
    pub fn process_f32(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<()> {
        self.process_append(input, out)
    }

    /// Resample int16 `input` into `out`, which must be exactly
    /// `output_len(input.len())` long (the caller allocates, e.g. a numpy array).
    pub fn process_i16_into(&mut self, input: &[i16], out: &mut [i16]) -> Result<()> {
        self.check_len(input.len(), out.len())?;
        self.process_into(input, out);
        Ok(())
    }

    /// Resample float `input` into `out` of exactly `output_len(input.len())`.
    pub fn process_f32_into(&mut self, input: &[f32], out: &mut [f32]) -> Result<()> {
        self.check_len(input.len(), out.len())?;
        self.process_into(input, out);
        Ok(())
    }

    fn check_len(&self, input: usize, output: usize) -> Result<()> {
        let want = self.output_len(input);
        if output != want {
            return Err(Error::Argument(
                ErrorKind::BadValue,
                format!(
                    "output buffer holds {output} samples; {input} input samples produce {want}"
                ),
            ));
        }
        Ok(())
    }

    fn flush_append<S: Sample>(&mut self, out: &mut Vec<S>) {
        if let Some(s) = &mut self.stream {
            s.flush(out);
        }
    }

    /// Append the tail held back by the filter (`delay_samples()` samples: the response
    /// to silence after the last input), then start afresh as if new.
    pub fn flush_i16(&mut self, out: &mut Vec<i16>) {
        self.flush_append(out);
    }

    /// Float version of [`Resampler::flush_i16`].
    pub fn flush_f32(&mut self, out: &mut Vec<f32>) {
        self.flush_append(out);
    }

    /// Forget all history: the next sample starts a new stream.
    pub fn reset(&mut self) {
        if let Some(s) = &mut self.stream {
            s.reset();
        }
    }

    fn oneshot<S: Sample>(mut self, input: &[S]) -> Result<Vec<S>> {
        let delay = self.delay_samples();
        let len = rounded_len(input.len(), self.in_rate, self.out_rate);
        // The first `delay` outputs are dropped: the inputs that produce them go through a
        // small scratch vector, so the rest is written in place rather than moved down after.
        let head = (delay as u64 * u64::from(self.in_rate)).div_ceil(u64::from(self.out_rate));
        let (head, rest) = input.split_at((head as usize).min(input.len()));
        let mut first = Vec::with_capacity(self.output_len(head.len()));
        self.process_append(head, &mut first)?;
        let dropped = delay.min(first.len());
        // Everything the input makes is reserved up front, so nothing below allocates.
        let room = self
            .checked_output_len(rest.len())
            .ok()
            .zip(len)
            .and_then(|(rest_len, len)| {
                let made = (first.len() - dropped).checked_add(rest_len)?;
                Some(made.checked_add(delay)?.max(len))
            });
        let (Some(room), Some(len)) = (room, len) else {
            return Err(self.too_long(input.len()));
        };
        let mut out = Vec::new();
        alloc::reserve(&mut out, room, "resampled output")?;
        out.extend_from_slice(&first[dropped..]);
        self.process_append(rest, &mut out)?;
        self.flush_append(&mut out);
        out.drain(..(delay - dropped).min(out.len()));
        out.resize(len, S::from_f32(0.0));
        Ok(out)
    }
}

/// `round(len * out / in)`, halves up; `None` if that does not fit in `usize`.
fn rounded_len(len: usize, in_rate: u32, out_rate: u32) -> Option<usize> {
    let num = 2 * len as u128 * u128::from(out_rate) + u128::from(in_rate);
    usize::try_from(num / (2 * u128::from(in_rate))).ok()
}

/// Resample a whole int16 signal at once, delay compensated: the output is aligned with the
/// input and `round(len * out / in)` samples long (like `soxr.resample`).
pub fn resample_i16(
    input: &[i16],
    in_rate: u32,
    out_rate: u32,
    quality: Quality,
) -> Result<Vec<i16>> {
    Resampler::new(in_rate, out_rate, quality)?.oneshot(input)
}

/// Float version of [`resample_i16`].
pub fn resample_f32(
    input: &[f32],
    in_rate: u32,
    out_rate: u32,
    quality: Quality,
) -> Result<Vec<f32>> {
    Resampler::new(in_rate, out_rate, quality)?.oneshot(input)
}

#[cfg(test)]
mod tests;
