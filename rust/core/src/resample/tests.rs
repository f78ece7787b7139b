use super::*;
use crate::simd::Simd;

/// Every ordered pair of distinct supported rates.
fn pairs() -> impl Iterator<Item = (u32, u32)> {
    RATES
        .iter()
        .flat_map(|&a| RATES.iter().map(move |&b| (a, b)))
        .filter(|(a, b)| a != b)
}

/// Pairs among 8/16/24/32/48 kHz: 20 ms is a whole number of samples on both sides.
fn whole_pairs() -> impl Iterator<Item = (u32, u32)> {
    pairs().filter(|&(a, b)| a % 8000 == 0 && b % 8000 == 0)
}

fn ratio(a: u32, b: u32) -> (u64, u64) {
    let g = design::gcd(u64::from(a), u64::from(b));
    (u64::from(b) / g, u64::from(a) / g)
}

/// A deterministic test signal: two tones and some noise, within ±0.9.
fn signal(n: usize, rate: u32) -> Vec<f32> {
    let mut seed = 0x1234_5678_u32;
    (0..n)
        .map(|i| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
            let t = i as f32 / rate as f32;
            0.5 * (std::f32::consts::TAU * 440.0 * t).sin()
                + 0.2 * (std::f32::consts::TAU * 3000.0 * t).sin()
                + 0.2 * noise
        })
        .collect()
}

/// Chunk sizes from 1 to `max`, deterministic.
fn chunk_sizes(total: usize, max: usize, mut seed: u32) -> Vec<usize> {
    let mut sizes = Vec::new();
    let mut left = total;
    while left > 0 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let n = ((seed >> 16) as usize % max + 1).min(left);
        sizes.push(n);
        left -= n;
    }
    sizes
}

#[test]
fn quality_parses_and_rejects() {
    assert_eq!(Quality::parse("default").unwrap(), Quality::Default);
    assert_eq!(Quality::parse("high").unwrap(), Quality::High);
    // The message names the value, not the parameter: the caller's prefix names that once.
    assert_eq!(
        Quality::parse("best").unwrap_err().in_field("quality"),
        Error::Format(
            ErrorKind::BadValue,
            "quality: \"best\" is not a quality; expected \"default\" or \"high\"".into()
        )
    );
}

#[test]
fn unsupported_rates_name_the_rate() {
    for (a, b, bad) in [
        (8000, 12000, "12000"),
        (0, 8000, "0"),
        (96000, 8000, "96000"),
    ] {
        let err = Resampler::new(a, b, Quality::Default).unwrap_err();
        assert!(
            matches!(&err, Error::Format(ErrorKind::BadRate, m) if m.contains(bad)),
            "{err}"
        );
    }
}

#[test]
fn equal_rates_pass_through() {
    let mut r = Resampler::new(16000, 16000, Quality::High).unwrap();
    assert_eq!(r.delay_samples(), 0);
    let mut out = Vec::new();
    r.process_i16(&[1, -2, 3], &mut out).unwrap();
    assert_eq!(out, [1, -2, 3]);
    r.flush_i16(&mut out);
    assert_eq!(out, [1, -2, 3]);
    let mut f = vec![9.0];
    r.process_f32(&[0.25], &mut f).unwrap();
    assert_eq!(f, [9.0, 0.25]);
}

#[test]
fn every_20ms_chunk_gives_20ms() {
    for (a, b) in whole_pairs() {
        for quality in [Quality::Default, Quality::High] {
            let mut r = Resampler::new(a, b, quality).unwrap();
            let x = signal(a as usize / 50 * 6, a);
            let mut out = Vec::new();
            for chunk in x.chunks(a as usize / 50) {
                let before = out.len();
                assert_eq!(r.output_len(chunk.len()), b as usize / 50);
                r.process_f32(chunk, &mut out).unwrap();
                assert_eq!(out.len() - before, b as usize / 50, "{a}->{b} {quality:?}");
            }
        }
    }
}

#[test]
fn other_pairs_stay_within_one_sample() {
    for (a, b) in pairs().filter(|&(a, b)| a % 8000 != 0 || b % 8000 != 0) {
        let mut r = Resampler::new(a, b, Quality::Default).unwrap();
        let x = signal(a as usize / 10, a);
        let mut out = Vec::new();
        let mut total_in = 0u64;
        for n in chunk_sizes(x.len(), 500, a ^ b) {
            r.process_f32(&x[total_in as usize..][..n], &mut out)
                .unwrap();
            total_in += n as u64;
            let exact = total_in * u64::from(b) / u64::from(a);
            assert!(
                out.len() as u64 - exact <= 1,
                "{a}->{b}: {} vs {exact}",
                out.len()
            );
        }
    }
}

/// The largest absolute difference between two equally long signals.
fn largest_difference(got: &[f32], want: &[f32]) -> f32 {
    assert_eq!(got.len(), want.len(), "lengths");
    got.iter()
        .zip(want)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f32::max)
}

/// Equal slices, or a short message naming the first difference.
fn assert_same<T: PartialEq + std::fmt::Debug>(got: &[T], want: &[T], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    if let Some(i) = (0..got.len()).find(|&i| got[i] != want[i]) {
        panic!(
            "{what}: first difference at {i}: {:?} != {:?}",
            got[i], want[i]
        );
    }
}

fn check_chunking(a: u32, b: u32, quality: Quality) {
    let x = signal(3 * a as usize / 10, a);
    let xi: Vec<i16> = x.iter().map(|&v| crate::pcm::f32_to_i16(v)).collect();
    let mut whole = Resampler::new(a, b, quality).unwrap();
    let (mut yf, mut yi) = (Vec::new(), Vec::new());
    whole.process_f32(&x, &mut yf).unwrap();
    whole.flush_f32(&mut yf);
    whole.process_i16(&xi, &mut yi).unwrap();
    whole.flush_i16(&mut yi);
    for seed in 1..4 {
        let mut r = Resampler::new(a, b, quality).unwrap();
        let (mut zf, mut zi) = (Vec::new(), Vec::new());
        let mut at = 0;
        for n in chunk_sizes(x.len(), [2000, 7, 300][seed as usize - 1], seed) {
            r.process_f32(&x[at..at + n], &mut zf).unwrap();
            at += n;
        }
        r.flush_f32(&mut zf);
        let mut at = 0;
        for n in chunk_sizes(x.len(), [3, 1999, 161][seed as usize - 1], seed * 7) {
            r.process_i16(&xi[at..at + n], &mut zi).unwrap();
            at += n;
        }
        r.flush_i16(&mut zi);
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        let what = format!("{a}->{b} {quality:?} seed {seed}");
        assert_same(&bits(&zf), &bits(&yf), &format!("{what} float"));
        assert_same(&zi, &yi, &format!("{what} int16"));
    }
}

#[test]
fn chunking_is_bit_exact() {
    // Both layouts, up and down, integer and fractional ratios.
    for (a, b) in [
        (8000, 16000),
        (24000, 8000),
        (16000, 24000),
        (48000, 32000),
        (8000, 48000),
        (44100, 48000),
        (8000, 11025),
        (22050, 8000),
        (48000, 44100),
    ] {
        check_chunking(a, b, Quality::Default);
    }
    check_chunking(16000, 8000, Quality::High);
    check_chunking(44100, 48000, Quality::High);
}

#[test]
fn int16_path_is_the_float_path_rounded() {
    for (a, b) in [(8000, 16000), (48000, 8000), (44100, 16000)] {
        let x = signal(a as usize / 20, a);
        let xi: Vec<i16> = x.iter().map(|&v| crate::pcm::f32_to_i16(v)).collect();
        let xf: Vec<f32> = xi.iter().map(|&v| crate::pcm::i16_to_f32(v)).collect();
        let (mut yi, mut yf) = (Vec::new(), Vec::new());
        Resampler::new(a, b, Quality::Default)
            .unwrap()
            .process_i16(&xi, &mut yi)
            .unwrap();
        Resampler::new(a, b, Quality::Default)
            .unwrap()
            .process_f32(&xf, &mut yf)
            .unwrap();
        let rounded: Vec<i16> = yf.iter().map(|&v| crate::pcm::f32_to_i16(v)).collect();
        assert_eq!(yi, rounded, "{a}->{b}");
    }
}

#[test]
fn int16_rounding_matches_pcm() {
    use edges::Sample;
    let mut cases = vec![0.0f32, -0.0, 1.0, -1.0, 2.0, -2.0, f32::NAN, f32::INFINITY];
    cases.extend([f32::NEG_INFINITY, 1e-30, -1e-30, 0.999_999, 1e9, -1e9]);
    for k in -70_000i32..70_000 {
        let half = (k as f32 + 0.5) / 32768.0;
        cases.extend([
            half,
            f32::from_bits(half.to_bits() + 1),
            f32::from_bits(half.to_bits() - 1),
        ]);
    }
    for &x in &cases {
        assert_eq!(i16::from_f32(x), crate::pcm::f32_to_i16(x), "{x:e}");
    }
    // The vector conversions (whatever this CPU runs) agree, lane by lane.
    let want: Vec<i16> = cases.iter().map(|&x| crate::pcm::f32_to_i16(x)).collect();
    for simd in [Simd::detect(), Simd::Portable] {
        let mut got = vec![0i16; cases.len()];
        kernel::to_i16(simd, &cases, &mut got);
        assert_same(&got, &want, "to_i16");
        let half = cases.len() / 2;
        let mut got = vec![0i16; 2 * half];
        kernel::interleave2_i16(simd, &cases[..half], &cases[half..2 * half], &mut got);
        let mixed: Vec<i16> = (0..2 * half)
            .map(|i| want[i / 2 + (i % 2) * half])
            .collect();
        assert_same(&got, &mixed, "interleave2_i16");
        let mut got = vec![0.0f32; 2 * half];
        kernel::interleave2_f32(simd, &cases[..half], &cases[half..2 * half], &mut got);
        let mixed: Vec<u32> = (0..2 * half)
            .map(|i| cases[i / 2 + (i % 2) * half].to_bits())
            .collect();
        let got: Vec<u32> = got.iter().map(|f| f.to_bits()).collect();
        assert_same(&got, &mixed, "interleave2_f32");
    }
}

#[test]
fn impulse_peaks_at_the_declared_delay() {
    for (a, b) in [
        (8000, 16000),
        (16000, 8000),
        (24000, 16000),
        (8000, 44100),
        (48000, 22050),
    ] {
        for quality in [Quality::Default, Quality::High] {
            let mut r = Resampler::new(a, b, quality).unwrap();
            let mut x = vec![0.0f32; a as usize / 10];
            x[0] = 1.0;
            let mut y = Vec::new();
            r.process_f32(&x, &mut y).unwrap();
            let peak = (0..y.len())
                .max_by(|&i, &j| y[i].abs().total_cmp(&y[j].abs()))
                .unwrap();
            assert_eq!(peak, r.delay_samples(), "{a}->{b} {quality:?}");
            let limit = if quality == Quality::Default {
                3.0
            } else {
                8.0
            };
            assert!(
                r.delay_ms() <= limit,
                "{a}->{b} {quality:?}: {} ms",
                r.delay_ms()
            );
        }
    }
}

#[test]
fn dc_passes_at_unity_gain() {
    for (a, b) in [(8000, 48000), (48000, 8000), (11025, 16000), (32000, 24000)] {
        let mut r = Resampler::new(a, b, Quality::Default).unwrap();
        let mut y = Vec::new();
        r.process_f32(&vec![0.5; a as usize / 10], &mut y).unwrap();
        let settled = &y[2 * r.delay_samples()..];
        for &v in settled {
            // Within the passband ripple, ±0.1 dB.
            assert!((v / 0.5 - 1.0).abs() < 0.0115, "{a}->{b}: {v}");
        }
    }
}

#[test]
fn flush_returns_the_delayed_tail_then_starts_afresh() {
    let mut r = Resampler::new(16000, 8000, Quality::Default).unwrap();
    let x = signal(321, 16000);
    let mut first = Vec::new();
    r.process_f32(&x, &mut first).unwrap();
    let before = first.len();
    r.flush_f32(&mut first);
    assert_eq!(first.len() - before, r.delay_samples());
    // After flush the stream is new: the same input gives the same output.
    let mut second = Vec::new();
    r.process_f32(&x, &mut second).unwrap();
    r.flush_f32(&mut second);
    assert_eq!(first, second);
    // Flushing an empty stream yields the (silent) tail only.
    let mut tail = Vec::new();
    r.flush_f32(&mut tail);
    assert_eq!(tail, vec![0.0; r.delay_samples()]);
}

#[test]
fn reset_forgets_history() {
    let mut r = Resampler::new(8000, 24000, Quality::High).unwrap();
    let x = signal(500, 8000);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    r.process_f32(&x, &mut a).unwrap();
    r.reset();
    r.process_f32(&x, &mut b).unwrap();
    assert_eq!(a, b);
}

#[test]
fn oneshot_is_aligned_and_rounded() {
    let x = signal(1001, 44100);
    let y = resample_f32(&x, 44100, 48000, Quality::Default).unwrap();
    assert_eq!(y.len(), (1001.0f64 * 48000.0 / 44100.0).round() as usize);
    // An impulse in the middle comes out in the middle.
    let mut x = vec![0i16; 1600];
    x[800] = 20000;
    let y = resample_i16(&x, 16000, 8000, Quality::High).unwrap();
    assert_eq!(y.len(), 800);
    let peak = (0..y.len()).max_by_key(|&i| y[i]).unwrap();
    assert_eq!(peak, 400);
    assert!(resample_i16(&[], 8000, 16000, Quality::Default)
        .unwrap()
        .is_empty());
    assert!(resample_f32(&[1.0], 8000, 8001, Quality::Default).is_err());
}

#[test]
fn state_stays_under_16_kib_and_no_design_falls_back() {
    for (a, b) in pairs() {
        for quality in [Quality::Default, Quality::High] {
            let r = Resampler::new(a, b, quality).unwrap();
            let bytes = r.state_bytes();
            assert!(bytes < 16 * 1024, "{a}->{b} {quality:?}: {bytes}");
            let plan = r.stream.as_ref().unwrap().plan();
            assert!(!plan.fallback, "{a}->{b} {quality:?} fell back to Kaiser");
            let (l, m) = ratio(a, b);
            assert_eq!((plan.l as u64, plan.m as u64), (l, m));
        }
    }
}

#[test]
fn slices_of_the_wrong_length_are_refused() {
    let mut r = Resampler::new(8000, 16000, Quality::Default).unwrap();
    for wrong in [0, 3, 5] {
        let mut out = vec![0i16; wrong];
        let err = r.process_i16_into(&[1, 2], &mut out).unwrap_err();
        assert!(
            matches!(err, Error::Argument(ErrorKind::BadValue, _)),
            "{err:?}"
        );
        let mut out = vec![0.0f32; wrong];
        let err = r.process_f32_into(&[1.0, 2.0], &mut out).unwrap_err();
        assert!(
            matches!(err, Error::Argument(ErrorKind::BadValue, _)),
            "{err:?}"
        );
    }
    let mut out = [0i16; 4];
    assert!(r.process_i16_into(&[1, 2], &mut out).is_ok());
}

#[test]
fn output_len_is_exact_or_an_error() {
    let mut r = Resampler::new(8000, 48000, Quality::Default).unwrap();
    assert_eq!(r.checked_output_len(160), Ok(960));
    // The largest lengths whose count fits, exactly, also after some input moved the phase.
    assert_eq!(r.checked_output_len(1 << 61), Ok(6 << 61));
    let mut down = Resampler::new(48000, 44100, Quality::Default).unwrap();
    assert_eq!(
        down.checked_output_len(usize::MAX),
        Ok(16_947_946_117_720_650_547)
    );
    down.process_f32(&[0.0; 7], &mut Vec::new()).unwrap();
    assert_eq!(down.checked_output_len(0), Ok(0));
    assert_eq!(
        down.checked_output_len(usize::MAX),
        Ok(16_947_946_117_720_650_546)
    );
    let err = r.checked_output_len(1 << 62).unwrap_err();
    assert!(matches!(err, Error::Argument(ErrorKind::TooLarge, _)));
    assert!(
        err.to_string().contains("input_len 4611686018427387904"),
        "{err}"
    );
    assert!(r.checked_output_len(usize::MAX).is_err());
    r.process_i16(&[0; 3], &mut Vec::new()).unwrap();
    assert_eq!(r.checked_output_len(5), Ok(r.output_len(5)));
    let same = Resampler::new(16000, 16000, Quality::Default).unwrap();
    assert_eq!(same.checked_output_len(usize::MAX), Ok(usize::MAX));
}

/// Amplitude response of a symmetric prototype at `f` cycles per fine-grid sample.
fn amplitude(h: &[f64], f: f64) -> f64 {
    let c = h.len() / 2;
    // Clenshaw for h[c] + 2 sum_k h[c+k] cos(k w).
    let x = (2.0 * std::f64::consts::PI * f).cos();
    let (mut b1, mut b2) = (0.0, 0.0);
    for k in (1..=c).rev() {
        let b0 = 2.0 * h[c + k] + 2.0 * x * b1 - b2;
        b2 = b1;
        b1 = b0;
    }
    h[c] + x * b1 - b2
}

/// Check one design against the contract on `points` frequencies per band.
fn check_design(a: u32, b: u32, quality: Quality, points: usize) {
    let (l, m) = ratio(a, b);
    let proto = design::design(a, b, quality, l, m);
    let fine = f64::from(a) * l as f64;
    let nyq = f64::from(a.min(b)) / 2.0;
    let (pass, stop, atten) = match quality {
        Quality::Default => (0.85 * nyq, 1.1 * nyq, 90.0),
        Quality::High => (0.9 * nyq, nyq, 100.0),
    };
    let gain = l as f64;
    for i in 0..=points {
        let f = pass * i as f64 / points as f64;
        let db = 20.0 * (amplitude(&proto.taps, f / fine) / gain).abs().log10();
        assert!(db.abs() <= 0.1, "{a}->{b} {quality:?}: {db} dB at {f} Hz");
    }
    // Stopband: dense near the edge, then out to the fine grid's Nyquist frequency.
    let top = fine / 2.0;
    for i in 0..=points * 4 {
        let t = i as f64 / (points * 4) as f64;
        let f = stop + (top - stop) * t * t;
        let db = 20.0 * (amplitude(&proto.taps, f / fine) / gain).abs().log10();
        assert!(db <= -atten, "{a}->{b} {quality:?}: {db} dB at {f} Hz");
    }
}

#[test]
fn designs_meet_the_contract() {
    for (a, b, q) in [
        (8000, 16000, Quality::Default),
        (48000, 8000, Quality::High),
        (44100, 48000, Quality::Default),
        (8000, 11025, Quality::High),
    ] {
        check_design(a, b, q, 200);
    }
}

#[test]
#[ignore = "slow: every design, densely; run with --release --ignored"]
fn all_designs_meet_the_contract() {
    for quality in [Quality::Default, Quality::High] {
        for (a, b) in pairs() {
            check_design(a, b, quality, 2000);
        }
    }
}

#[test]
#[ignore = "slow: searches every design; run with --release --ignored"]
fn delay_table_is_shortest() {
    for quality in [Quality::Default, Quality::High] {
        for (a, b) in pairs() {
            let (l, m) = ratio(a, b);
            let problem = design::Problem::new(a, b, quality, l, m);
            let table = Resampler::new(a, b, quality).unwrap().delay_samples();
            assert_eq!(
                problem.shortest_delay(),
                Some(table),
                "{a}->{b} {quality:?}"
            );
        }
    }
}

#[test]
fn portable_build_is_chunk_exact_and_agrees_with_the_detected_one() {
    use std::sync::Arc;
    for (a, b) in [
        (8000, 16000),
        (24000, 8000),
        (16000, 24000),
        (48000, 32000),
        (8000, 48000),
        (44100, 48000),
    ] {
        let (l, m) = ratio(a, b);
        let proto = design::design(a, b, Quality::Default, l, m);
        let plan = plan::Plan::new(l as usize, m as usize, &proto, Simd::Portable);
        let plan = Arc::new(plan);
        let x = signal(a as usize / 5, a);
        let mut whole = stream::Stream::new(Arc::clone(&plan));
        let mut want = vec![0.0f32; whole.output_len(x.len())];
        whole.process(&x, &mut want);
        let mut chunked = stream::Stream::new(plan);
        let mut got = Vec::new();
        let mut at = 0;
        for n in chunk_sizes(x.len(), 700, a + b) {
            let mut out = vec![0.0f32; chunked.output_len(n)];
            chunked.process(&x[at..at + n], &mut out);
            got.extend(out);
            at += n;
        }
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_same(&bits(&got), &bits(&want), &format!("{a}->{b} portable"));
        let mut detected = Vec::new();
        Resampler::new(a, b, Quality::Default)
            .unwrap()
            .process_f32(&x, &mut detected)
            .unwrap();
        let worst = largest_difference(&detected, &want);
        assert!(worst < 1e-5, "{a}->{b}: builds differ by {worst}");
    }
}

#[test]
fn group_layout_agrees_with_the_plain_phase_tables() {
    use std::sync::Arc;
    for (a, b, quality) in [
        (44100, 48000, Quality::Default),
        (44100, 48000, Quality::High),
        (48000, 44100, Quality::Default),
        (22050, 8000, Quality::Default),
        (11025, 16000, Quality::Default),
    ] {
        let (l, m) = ratio(a, b);
        let proto = design::design(a, b, quality, l, m);
        let x = signal(a as usize / 5, a);
        let run = |max_bytes: usize, simd: Simd| {
            let plan = plan::Plan::with_groups_max(l as usize, m as usize, &proto, simd, max_bytes);
            let layout = format!("{plan:?}");
            let mut s = stream::Stream::new(Arc::new(plan));
            let mut y = vec![0.0f32; s.output_len(x.len())];
            s.process(&x, &mut y);
            (layout, y)
        };
        for simd in [Simd::detect(), Simd::Portable] {
            let (grouped, want) = run(usize::MAX, simd);
            let (plain, got) = run(0, simd);
            let what = format!("{a}->{b} {quality:?} {simd:?}");
            assert!(grouped.contains("\"phase groups\""), "{what}: {grouped}");
            assert!(plain.contains("\"phases\""), "{what}: {plain}");
            let worst = largest_difference(&got, &want);
            assert!(worst < 1e-5, "{what}: layouts differ by {worst}");
        }
    }
}

#[test]
fn group_layout_is_taken_where_its_table_is_small() {
    for quality in [Quality::Default, Quality::High] {
        let r = Resampler::new(44100, 48000, quality).unwrap();
        let plan = format!("{:?}", r.stream.as_ref().unwrap().plan());
        assert!(plan.contains("\"phase groups\""), "{quality:?}: {plan}");
    }
    // 441 patterns of 38 rows of 8 floats: 524 KiB, over the limit.
    let r = Resampler::new(8000, 11025, Quality::Default).unwrap();
    let plan = format!("{:?}", r.stream.as_ref().unwrap().plan());
    assert!(plan.contains("\"phases\""), "{plan}");
}

#[test]
fn oneshot_is_the_stream_and_its_tail_without_the_delay() {
    for (a, b) in [(44100, 48000), (8000, 16000), (48000, 8000), (16000, 16000)] {
        let delay = Resampler::new(a, b, Quality::Default)
            .unwrap()
            .delay_samples();
        let head = (delay * a as usize).div_ceil(b as usize);
        for n in [0, 1, 5, head.saturating_sub(1), head, head + 1, 3000] {
            let x = signal(n, a);
            let mut r = Resampler::new(a, b, Quality::Default).unwrap();
            let mut want = Vec::new();
            r.process_f32(&x, &mut want).unwrap();
            r.flush_f32(&mut want);
            want.drain(..delay.min(want.len()));
            let len = (n as f64 * f64::from(b) / f64::from(a)).round() as usize;
            want.resize(len, 0.0);
            let got = resample_f32(&x, a, b, Quality::Default).unwrap();
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_same(&bits(&got), &bits(&want), &format!("{a}->{b} {n} samples"));
        }
    }
}

#[test]
fn int16_tail_of_a_float_fed_stream_rounds_like_pcm() {
    // A stream fed floats and flushed as int16 (as `OutboundEncoder::flush` does) converts
    // whatever the floats made, NaN, infinities and far-out values included.
    for (a, b) in [(8000, 16000), (24000, 8000), (44100, 48000)] {
        let mut x = signal(a as usize / 50, a);
        let n = x.len();
        for (i, bad) in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 3e5, -3e5]
            .into_iter()
            .enumerate()
        {
            x[n - 2 - 3 * i] = bad;
        }
        let mut as_i16 = Resampler::new(a, b, Quality::Default).unwrap();
        let mut as_f32 = as_i16.clone();
        let mut ignored = Vec::new();
        as_i16.process_f32(&x, &mut ignored).unwrap();
        as_f32.process_f32(&x, &mut ignored).unwrap();
        let mut got = Vec::new();
        as_i16.flush_i16(&mut got);
        let mut tail = Vec::new();
        as_f32.flush_f32(&mut tail);
        let want: Vec<i16> = tail.iter().map(|&y| crate::pcm::f32_to_i16(y)).collect();
        assert_same(&got, &want, &format!("{a}->{b}"));
        assert!(
            tail.iter().any(|y| !y.is_finite()),
            "{a}->{b}: the test needs non-finite"
        );
    }
}
