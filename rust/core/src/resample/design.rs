//! Filter design: the linear-phase lowpass prototype of a rational resampler.
//!
//! The prototype `h[k]`, `k = 0..K`, lives on the fine grid `F = L * in_rate = M * out_rate`
//! (`L/M` the reduced ratio `out/in`). It is symmetric about `k = M * delay`, so the resampler's
//! delay is exactly `delay` output samples, and `K = 2 * M * delay + 1`.
//!
//! Two ways to fill it, both computed in f64 when a rate pair is first used:
//!
//! - **Direct** (every pair within the 8/16/24/32/48 kHz family, and within 11.025/22.05/44.1
//!   kHz, where `K` is at most a few hundred taps): an equiripple filter on the fine grid by
//!   the Remez exchange, weighted so the passband ripple uses the ±0.1 dB the contract allows
//!   while the stopband meets 90 dB (100 dB for "high").
//! - **Interpolated** (pairs across the two families, where `L` or `M` is in the hundreds and
//!   `K` in the tens of thousands): an equiripple filter `g` at a modest rate `F0 = 8 x` the
//!   lower Nyquist frequency, turned into a continuous impulse response by a Kaiser-windowed
//!   sinc interpolator `phi` (cut-off `F0/2`, 120 dB) and sampled on the fine grid:
//!   `h(t) = sum_j g[j] phi(t F0 - j)`. `phi` passes `g`'s band flat to 1e-6 and removes its
//!   images at multiples of `F0` by 120 dB, so `h` keeps `g`'s equiripple response.
//!
//! The delay is the shortest that meets the contract, tabulated per ratio in [`DELAYS`], so
//! construction designs one filter, once per process and pair (plans are cached). A
//! Kaiser-windowed sinc remains as a fallback that the tests check is never taken.
//!
//! Why not a Kaiser-windowed sinc throughout, the textbook choice: a window design has equal
//! passband and stopband ripple, so at 90 dB its passband is far flatter than the 0.1 dB
//! required, and it pays for that in length: a longer delay (over the 8 ms budget at "high")
//! and more taps, that is more work per sample (the comparison: `docs/performance.md`).

use std::f64::consts::PI;

use super::Quality;

/// Passband and stopband of one rate pair at one quality, and the ripples designed for.
#[derive(Debug, Clone, Copy)]
pub(super) struct Spec {
    /// The lower of the two Nyquist frequencies, Hz.
    pub nyquist: f64,
    /// Passband edge, Hz.
    pub pass_hz: f64,
    /// Stopband edge, Hz.
    pub stop_hz: f64,
    /// Largest passband deviation designed for (linear, around 1).
    pub pass_dev: f64,
    /// Largest stopband gain designed for (linear).
    pub stop_dev: f64,
}

impl Spec {
    /// The contract's bands with a margin on both ripples: the design aims at ±0.08 dB and
    /// 91 dB (101 dB) so that f32 coefficients and rounding keep ±0.1 dB and 90 dB (100 dB).
    pub fn new(in_rate: u32, out_rate: u32, quality: Quality) -> Spec {
        let nyquist = f64::from(in_rate.min(out_rate)) / 2.0;
        let (pass, stop, atten_db) = match quality {
            Quality::Default => (0.85, 1.1, 91.0),
            Quality::High => (0.9, 1.0, 101.0),
        };
        Spec {
            nyquist,
            pass_hz: pass * nyquist,
            stop_hz: stop * nyquist,
            pass_dev: 1.0 - 10f64.powf(-0.08 / 20.0),
            stop_dev: 10f64.powf(-atten_db / 20.0),
        }
    }
}

/// A designed prototype: `taps[k]` on the fine grid, DC gain `L` (each polyphase branch
/// sums to 1), symmetric about `k = M * delay`.
#[derive(Debug, Clone)]
pub(super) struct Prototype {
    pub taps: Vec<f64>,
    /// Group delay in output samples.
    pub delay: usize,
    /// Whether the Kaiser fallback made it (never, for the supported rates).
    pub fallback: bool,
}

/// Greatest common divisor.
pub(super) fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Modified Bessel function of the first kind, order 0 (power series; `x` up to ~20 here).
pub(super) fn bessel_i0(x: f64) -> f64 {
    let q = x * x / 4.0;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut k = 1.0;
    while term > sum * 1e-17 {
        term *= q / (k * k);
        sum += term;
        k += 1.0;
    }
    sum
}

/// Kaiser's β for a stopband attenuation of `atten_db`.
pub(super) fn kaiser_beta(atten_db: f64) -> f64 {
    if atten_db > 50.0 {
        0.1102 * (atten_db - 8.7)
    } else if atten_db >= 21.0 {
        0.5842 * (atten_db - 21.0).powf(0.4) + 0.07886 * (atten_db - 21.0)
    } else {
        0.0
    }
}

/// `sin(pi x) / (pi x)`.
fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        1.0
    } else {
        (PI * x).sin() / (PI * x)
    }
}

/// A Kaiser-windowed sinc of cut-off `1/2` (per unit of `u`), `half_width` units each side.
#[derive(Debug, Clone, Copy)]
struct WindowedSinc {
    half_width: f64,
    beta: f64,
    norm: f64,
}

impl WindowedSinc {
    /// `atten_db` of stopband with the transition band `width` (cycles per unit) centred on
    /// the cut-off 1/2.
    fn new(atten_db: f64, width: f64) -> WindowedSinc {
        // Kaiser's length estimate, in units of u.
        let length = (atten_db - 7.95) / (2.285 * 2.0 * PI * width);
        let beta = kaiser_beta(atten_db);
        WindowedSinc {
            half_width: length / 2.0,
            beta,
            norm: 1.0 / bessel_i0(beta),
        }
    }

    fn at(&self, u: f64) -> f64 {
        let r = u / self.half_width;
        if r.abs() >= 1.0 {
            return 0.0;
        }
        sinc(u) * bessel_i0(self.beta * (1.0 - r * r).sqrt()) * self.norm
    }
}

/// The outcome of [`remez_lowpass`]: the centre half of a type-I filter of `2R+1` taps and
/// the deviations measured on the design grid.
#[derive(Debug, Clone)]
pub(super) struct Equiripple {
    /// `half[k] = h[R + k] = h[R - k]`, `k = 0..=R`; DC gain 1 (within the ripple).
    pub half: Vec<f64>,
    pub pass_dev: f64,
    pub stop_dev: f64,
}

/// Barycentric weights `1 / prod_{j != i} (x_i - x_j)`, scaled by a common factor (which
/// the barycentric formulas do not see), computed in the log domain so hundreds of nodes
/// neither overflow nor underflow.
fn barycentric_weights(x: &[f64]) -> Vec<f64> {
    let mut logs = Vec::with_capacity(x.len());
    let mut signs = Vec::with_capacity(x.len());
    for (i, &xi) in x.iter().enumerate() {
        let mut log = 0.0;
        let mut negative = false;
        for (j, &xj) in x.iter().enumerate() {
            if i != j {
                let d = xi - xj;
                log -= d.abs().ln();
                negative ^= d < 0.0;
            }
        }
        logs.push(log);
        signs.push(if negative { -1.0 } else { 1.0 });
    }
    let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    logs.iter()
        .zip(&signs)
        .map(|(&l, &s)| s * (l - top).exp())
        .collect()
}

/// The degree-`n-1` polynomial through `(x_i, y_i)`, evaluated by the barycentric formula.
struct Interpolant {
    x: Vec<f64>,
    y: Vec<f64>,
    w: Vec<f64>,
}

impl Interpolant {
    fn at(&self, x: f64) -> f64 {
        let mut num = 0.0;
        let mut den = 0.0;
        for ((&xi, &yi), &wi) in self.x.iter().zip(&self.y).zip(&self.w) {
            let d = x - xi;
            if d == 0.0 {
                return yi;
            }
            let t = wi / d;
            num += t * yi;
            den += t;
        }
        num / den
    }
}

/// Equiripple type-I lowpass of `2r+1` taps by the Remez exchange (Parks-McClellan with
/// barycentric interpolation): passband `[0, wp]` with weight 1, stopband `[ws, pi]` with
/// weight `stop_weight` (radians per sample). `None` if the exchange breaks down.
pub(super) fn remez_lowpass(r: usize, wp: f64, ws: f64, stop_weight: f64) -> Option<Equiripple> {
    if r == 0 || !(0.0 < wp && wp < ws && ws < PI) {
        return None;
    }
    // Dense grid: about 16 points per extremum, band edges included.
    let step = (wp + PI - ws) / (16 * (r + 1)) as f64;
    let n_pass = ((wp / step).ceil() as usize).max(2) + 1;
    let n_stop = (((PI - ws) / step).ceil() as usize).max(2) + 1;
    let mut omega = Vec::with_capacity(n_pass + n_stop);
    omega.extend((0..n_pass).map(|i| wp * i as f64 / (n_pass - 1) as f64));
    omega.extend((0..n_stop).map(|i| ws + (PI - ws) * i as f64 / (n_stop - 1) as f64));
    let grid_x: Vec<f64> = omega.iter().map(|w| w.cos()).collect();
    let n = omega.len();
    let desired = |g: usize| if g < n_pass { 1.0 } else { 0.0 };
    let weight = |g: usize| if g < n_pass { 1.0 } else { stop_weight };
    let same_band = |a: usize, b: usize| (a < n_pass) == (b < n_pass);

    let count = r + 2;
    let mut ext: Vec<usize> = (0..count).map(|i| i * (n - 1) / (count - 1)).collect();
    let mut err = vec![0.0; n];
    let mut interp = Interpolant {
        x: Vec::new(),
        y: Vec::new(),
        w: Vec::new(),
    };
    for _ in 0..100 {
        let x: Vec<f64> = ext.iter().map(|&g| grid_x[g]).collect();
        let gamma = barycentric_weights(&x);
        let (mut num, mut den) = (0.0, 0.0);
        for (i, (&g, &c)) in ext.iter().zip(&gamma).enumerate() {
            let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
            num += c * desired(g);
            den += sign * c / weight(g);
        }
        let delta = num / den;
        if !delta.is_finite() {
            return None;
        }
        let nodes = &ext[..count - 1];
        interp.x = nodes.iter().map(|&g| grid_x[g]).collect();
        interp.y = nodes
            .iter()
            .enumerate()
            .map(|(i, &g)| {
                let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
                desired(g) - sign * delta / weight(g)
            })
            .collect();
        interp.w = barycentric_weights(&interp.x);
        for (g, e) in err.iter_mut().enumerate() {
            *e = weight(g) * (desired(g) - interp.at(grid_x[g]));
        }
        // Local extrema of the weighted error, band by band (band edges count).
        let mut found: Vec<usize> = Vec::with_capacity(2 * count);
        for g in 0..n {
            let e = err[g];
            let left = g > 0 && same_band(g - 1, g);
            let right = g + 1 < n && same_band(g, g + 1);
            let peak = if e > 0.0 {
                (!left || e >= err[g - 1]) && (!right || e > err[g + 1])
            } else {
                (!left || e <= err[g - 1]) && (!right || e < err[g + 1])
            };
            if !peak {
                continue;
            }
            // Keep the error alternating: of two neighbours with one sign, the larger wins.
            match found.last() {
                Some(&last) if (err[last] > 0.0) == (e > 0.0) => {
                    if e.abs() > err[last].abs() {
                        *found.last_mut()? = g;
                    }
                }
                _ => found.push(g),
            }
        }
        while found.len() > count {
            let len = found.len();
            let smallest =
                (0..len).min_by(|&a, &b| err[found[a]].abs().total_cmp(&err[found[b]].abs()))?;
            if len - count == 1 || smallest == 0 || smallest == len - 1 {
                // Dropping an end keeps the alternation.
                if err[found[0]].abs() < err[found[len - 1]].abs() {
                    found.remove(0);
                } else {
                    found.pop();
                }
            } else {
                // Dropping an inner extremum joins two of one sign: drop the smaller too.
                found.remove(smallest);
                let keep_left = err[found[smallest - 1]].abs() >= err[found[smallest]].abs();
                found.remove(if keep_left { smallest } else { smallest - 1 });
            }
        }
        let max_err = err.iter().fold(0.0f64, |m, e| m.max(e.abs()));
        let converged = max_err <= delta.abs() * (1.0 + 1e-9);
        if found.len() < count || converged || found == ext {
            break;
        }
        ext = found;
    }

    // Measured deviations on the grid.
    let pass_dev = err[..n_pass].iter().fold(0.0f64, |m, e| m.max(e.abs()));
    let stop_dev = err[n_pass..].iter().fold(0.0f64, |m, e| m.max(e.abs())) / stop_weight;
    // Taps from the amplitude sampled at 2r+1 frequencies (an exact inverse DFT, since the
    // amplitude is a cosine polynomial of degree r).
    let len = 2 * r + 1;
    let samples: Vec<f64> = (0..=r)
        .map(|m| interp.at((2.0 * PI * m as f64 / len as f64).cos()))
        .collect();
    let half = (0..=r)
        .map(|k| {
            let mut s = samples[0];
            for (m, &a) in samples.iter().enumerate().skip(1) {
                s += 2.0 * a * (2.0 * PI * (m * k % len) as f64 / len as f64).cos();
            }
            s / len as f64
        })
        .collect::<Vec<f64>>();
    if half.iter().any(|h| !h.is_finite()) {
        return None;
    }
    Some(Equiripple {
        half,
        pass_dev,
        stop_dev,
    })
}

/// Rough number of taps an equiripple lowpass needs (Kaiser's estimate for Parks-McClellan),
/// with `width` the transition band in cycles per sample.
fn equiripple_length(spec: &Spec, width: f64) -> f64 {
    (-10.0 * (spec.pass_dev * spec.stop_dev).log10() - 13.0) / (14.6 * width) + 1.0
}

/// Largest fine-grid prototype designed directly; beyond it the interpolated design is used.
const DIRECT_MAX_TAPS: usize = 2049;

/// One rate pair and quality, ready to design at a given delay.
#[derive(Debug, Clone, Copy)]
pub(super) struct Problem {
    spec: Spec,
    in_rate: f64,
    out_rate: f64,
    l: u64,
    m: u64,
}

impl Problem {
    pub fn new(in_rate: u32, out_rate: u32, quality: Quality, l: u64, m: u64) -> Problem {
        Problem {
            spec: Spec::new(in_rate, out_rate, quality),
            in_rate: f64::from(in_rate),
            out_rate: f64::from(out_rate),
            l,
            m,
        }
    }

    /// The fine-grid rate `L * in_rate`.
    fn fine(&self) -> f64 {
        self.in_rate * self.l as f64
    }

    fn direct(&self) -> bool {
        let estimate = equiripple_length(&self.spec, self.width(self.fine()));
        estimate < 0.8 * DIRECT_MAX_TAPS as f64
    }

    /// Transition band in cycles per sample at `rate`.
    fn width(&self, rate: f64) -> f64 {
        (self.spec.stop_hz - self.spec.pass_hz) / rate
    }

    /// A delay (output samples) a little under what the length estimate predicts.
    pub fn first_guess(&self) -> usize {
        let seconds = if self.direct() {
            let taps = equiripple_length(&self.spec, self.width(self.fine()));
            0.85 * (taps - 1.0) / 2.0 / self.fine()
        } else {
            let f0 = 8.0 * self.spec.nyquist;
            let taps = equiripple_length(&self.spec, self.width(f0));
            0.85 * (taps - 1.0) / 2.0 / f0 + interpolator(&self.spec).half_width / f0
        };
        ((seconds * self.out_rate).floor() as usize).max(1)
    }

    /// The prototype with exactly `delay` output samples of delay, if one meeting the spec
    /// exists by this method.
    pub fn at_delay(&self, delay: usize) -> Option<Prototype> {
        if self.direct() {
            self.direct_at(delay)
        } else {
            self.interpolated_at(delay)
        }
    }

    fn stop_weight(&self) -> f64 {
        self.spec.pass_dev / self.spec.stop_dev
    }

    fn meets(&self, eq: &Equiripple) -> bool {
        eq.pass_dev <= self.spec.pass_dev && eq.stop_dev <= self.spec.stop_dev
    }

    fn direct_at(&self, delay: usize) -> Option<Prototype> {
        let r = self.m as usize * delay;
        if 2 * r + 1 > DIRECT_MAX_TAPS {
            return None;
        }
        let fine = self.fine();
        let wp = 2.0 * PI * self.spec.pass_hz / fine;
        let ws = 2.0 * PI * self.spec.stop_hz / fine;
        let eq = remez_lowpass(r, wp, ws, self.stop_weight())?;
        if !self.meets(&eq) {
            return None;
        }
        let scale = self.l as f64;
        let mut taps = vec![0.0; 2 * r + 1];
        for (k, &h) in eq.half.iter().enumerate() {
            taps[r + k] = h * scale;
            taps[r - k] = h * scale;
        }
        Some(Prototype {
            taps,
            delay,
            fallback: false,
        })
    }

    fn interpolated_at(&self, delay: usize) -> Option<Prototype> {
        let spec = &self.spec;
        let f0 = 8.0 * spec.nyquist;
        let phi = interpolator(spec);
        let d_seconds = delay as f64 / self.out_rate;
        let r = ((d_seconds - phi.half_width / f0) * f0).floor();
        if r < 1.0 {
            return None;
        }
        let r = r as usize;
        let wp = 2.0 * PI * spec.pass_hz / f0;
        let ws = 2.0 * PI * spec.stop_hz / f0;
        let eq = remez_lowpass(r, wp, ws, self.stop_weight())?;
        if !self.meets(&eq) {
            return None;
        }
        // h[k] = (f0 / in_rate) * sum_j g[j] phi(u_k - j), u_k = (k - centre) f0 / F, j = -r..=r.
        // f0 / F = p / q in lowest terms, so u_k = s + rho / q with only q distinct fractions
        // rho / q: tabulate phi at those (q is 40 to 441 here) instead of at every tap.
        let f0_hz = (4.0 * spec.nyquist) as u64 * 2;
        let fine_hz = self.in_rate as u64 * self.l;
        let g = gcd(f0_hz, fine_hz);
        let (p, q) = ((f0_hz / g) as i64, (fine_hz / g) as i64);
        let reach = phi.half_width.ceil() as i64 + 1;
        let table: Vec<f64> = (0..q)
            .flat_map(|rho| (-reach..=reach).map(move |i| phi.at(rho as f64 / q as f64 - i as f64)))
            .collect();
        let width = (2 * reach + 1) as usize;
        let centre = self.m as i64 * delay as i64;
        let scale = f0 / self.in_rate;
        let r = r as i64;
        let taps = (0..2 * centre + 1)
            .map(|k| {
                let num = (k - centre) * p;
                let (s, rho) = (num.div_euclid(q), num.rem_euclid(q));
                let row = &table[rho as usize * width..][..width];
                let sum: f64 = (-reach..=reach)
                    .zip(row)
                    .filter(|(i, _)| (s + i).abs() <= r)
                    .map(|(i, &phi)| eq.half[(s + i).unsigned_abs() as usize] * phi)
                    .sum();
                sum * scale
            })
            .collect();
        Some(Prototype {
            taps,
            delay,
            fallback: false,
        })
    }

    /// The shortest delay that meets the spec, by search from below (what [`DELAYS`] holds).
    #[cfg(test)]
    pub fn shortest_delay(&self) -> Option<usize> {
        let first = self.first_guess();
        (first..first * 3 + 8).find(|&d| self.at_delay(d).is_some())
    }
}

/// The interpolation kernel of the interpolated design: passes `[0, stop]` flat to 1e-6 and
/// stops `[f0 - stop, inf)` by 120 dB, `f0 = 8 x` the lower Nyquist frequency.
fn interpolator(spec: &Spec) -> WindowedSinc {
    let f0 = 8.0 * spec.nyquist;
    WindowedSinc::new(120.0, (f0 - 2.0 * spec.stop_hz) / f0)
}

/// The shortest delay (output samples) meeting the spec for each reduced ratio `L/M` and
/// quality, found by [`Problem::shortest_delay`] (the test `delay_table_is_shortest`, run
/// with `--ignored`, checks it), so construction designs one filter instead of searching.
/// The design depends only on `L`, `M` and the quality: the spec scales with the rates.
#[rustfmt::skip]
const DELAYS: &[(u64, u64, Quality, usize)] = &[
    (1, 2, D, 15), (1, 3, D, 15), (1, 4, D, 15), (1, 6, D, 15),
    (2, 1, D, 29), (2, 3, D, 15), (3, 1, D, 44), (3, 2, D, 22),
    (3, 4, D, 15), (4, 1, D, 58), (4, 3, D, 20), (6, 1, D, 88),
    (80, 147, D, 16), (80, 441, D, 16), (147, 80, D, 30), (147, 160, D, 16),
    (147, 320, D, 16), (147, 640, D, 16), (160, 147, D, 18), (160, 441, D, 16),
    (320, 147, D, 35), (320, 441, D, 16), (441, 80, D, 88), (441, 160, D, 44),
    (441, 320, D, 22), (441, 640, D, 16), (441, 1280, D, 16), (640, 147, D, 69),
    (640, 441, D, 23), (1280, 441, D, 46),
    (1, 2, H, 39), (1, 3, H, 39), (1, 4, H, 39), (1, 6, H, 39),
    (2, 1, H, 77), (2, 3, H, 39), (3, 1, H, 115), (3, 2, H, 58),
    (3, 4, H, 39), (4, 1, H, 154), (4, 3, H, 52), (6, 1, H, 230),
    (80, 147, H, 40), (80, 441, H, 40), (147, 80, H, 74), (147, 160, H, 40),
    (147, 320, H, 40), (147, 640, H, 40), (160, 147, H, 44), (160, 441, H, 40),
    (320, 147, H, 87), (320, 441, H, 40), (441, 80, H, 220), (441, 160, H, 110),
    (441, 320, H, 55), (441, 640, H, 40), (441, 1280, H, 40), (640, 147, H, 174),
    (640, 441, H, 58), (1280, 441, H, 116),
];
const D: Quality = Quality::Default;
const H: Quality = Quality::High;

/// Design the prototype for `in_rate -> out_rate` (unequal, reduced ratio `l/m`).
pub(super) fn design(in_rate: u32, out_rate: u32, quality: Quality, l: u64, m: u64) -> Prototype {
    let problem = Problem::new(in_rate, out_rate, quality, l, m);
    let known = DELAYS
        .iter()
        .find(|&&(tl, tm, tq, _)| (tl, tm, tq) == (l, m, quality))
        .map(|&(.., d)| d);
    let first = known.unwrap_or_else(|| problem.first_guess());
    (first..first * 3 + 8)
        .find_map(|d| problem.at_delay(d))
        .unwrap_or_else(|| kaiser(&problem.spec, in_rate, l, m))
}

/// Kaiser-windowed sinc: the fallback should an equiripple design ever fail (tests check that
/// none does for the supported rates).
fn kaiser(spec: &Spec, in_rate: u32, l: u64, m: u64) -> Prototype {
    let fine = f64::from(in_rate) * l as f64;
    let atten = -20.0 * spec.stop_dev.log10();
    let cutoff = (spec.pass_hz + spec.stop_hz) / 2.0 / fine; // cycles per fine sample
    let width = (spec.stop_hz - spec.pass_hz) / fine;
    // In units of u = 2 * cutoff * k, the sinc has cut-off 1/2 and transition width/(2 cutoff).
    let phi = WindowedSinc::new(atten, width / (2.0 * cutoff));
    let half_fine = phi.half_width / (2.0 * cutoff);
    let delay = ((half_fine / m as f64).ceil() as usize).max(1);
    let centre = m as usize * delay;
    let scale = 2.0 * cutoff * l as f64;
    let taps = (0..2 * centre + 1)
        .map(|k| scale * phi.at(2.0 * cutoff * (k as f64 - centre as f64)))
        .collect();
    Prototype {
        taps,
        delay,
        fallback: true,
    }
}
