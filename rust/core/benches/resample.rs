//! Resampler benchmarks: one 20 ms frame through a warm stream (the per-frame cost a voice
//! pipeline pays), into a slice and appended to a vector, and 60 s in one call (bulk
//! throughput), int16 and float.

use std::hint::black_box;

use audiofork_core::resample::{Quality, Resampler};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const PAIRS: [(u32, u32); 8] = [
    (8000, 16000),
    (16000, 8000),
    (24000, 8000),
    (8000, 24000),
    (16000, 24000),
    (48000, 8000),
    (8000, 48000),
    (44100, 48000),
];

fn speech_like(n: usize, rate: u32) -> Vec<i16> {
    (0..n)
        .map(|i| {
            let t = i as f32 / rate as f32;
            (9000.0 * (t * 440.0 * std::f32::consts::TAU).sin()
                + 3000.0 * (t * 2345.0 * std::f32::consts::TAU).sin()) as i16
        })
        .collect()
}

fn frame(c: &mut Criterion) {
    for quality in [Quality::Default, Quality::High] {
        let mut group = c.benchmark_group(format!("frame_20ms_{}", quality.name()));
        for (a, b) in PAIRS {
            let x = speech_like(a as usize / 50, a);
            let mut r = Resampler::new(a, b, quality).unwrap();
            let mut out = vec![0i16; r.output_len(x.len()) + 1];
            group.bench_function(BenchmarkId::new("i16", format!("{a}->{b}")), |bench| {
                bench.iter(|| {
                    let n = r.output_len(x.len());
                    r.process_i16_into(black_box(&x), &mut out[..n]).unwrap();
                })
            });
            let mut appended = Vec::with_capacity(out.len());
            group.bench_function(
                BenchmarkId::new("i16_append", format!("{a}->{b}")),
                |bench| {
                    bench.iter(|| {
                        appended.clear();
                        r.process_i16(black_box(&x), &mut appended).unwrap();
                    })
                },
            );
        }
        group.finish();
    }
}

fn bulk(c: &mut Criterion) {
    for quality in [Quality::Default, Quality::High] {
        let mut group = c.benchmark_group(format!("bulk_60s_{}", quality.name()));
        group.sample_size(10);
        for (a, b) in PAIRS {
            let x = speech_like(60 * a as usize, a);
            let xf: Vec<f32> = x.iter().map(|&s| f32::from(s) / 32768.0).collect();
            group.throughput(Throughput::Elements(x.len() as u64));
            group.bench_function(BenchmarkId::new("i16", format!("{a}->{b}")), |bench| {
                bench.iter(|| {
                    audiofork_core::resample::resample_i16(black_box(&x), a, b, quality).unwrap()
                })
            });
            group.bench_function(BenchmarkId::new("f32", format!("{a}->{b}")), |bench| {
                bench.iter(|| {
                    audiofork_core::resample::resample_f32(black_box(&xf), a, b, quality).unwrap()
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, frame, bulk);
criterion_main!(benches);
