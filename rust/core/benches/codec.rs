//! Core codec benchmarks: G.711 tables against the reference segment search, and the base64
//! engines on the payload sizes of real frames (20 ms μ-law: 216 chars; 20 ms L16 at 24 kHz:
//! 1,280 chars).

use std::hint::black_box;

use audiofork_core::g711::{self, Law};
use base64::Engine as _;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

fn speech_like(n: usize) -> Vec<i16> {
    (0..n)
        .map(|i| {
            let t = i as f32 / 8000.0;
            (12000.0 * (t * 440.0 * std::f32::consts::TAU).sin()
                + 3000.0 * (t * 1234.0 * std::f32::consts::TAU).sin()) as i16
        })
        .collect()
}

fn g711_encode(c: &mut Criterion) {
    let samples = speech_like(8000);
    let mut out = vec![0u8; samples.len()];
    let mut group = c.benchmark_group("ulaw_encode_1s");
    group.bench_function("arithmetic", |b| {
        b.iter(|| g711::encode(Law::Mu, black_box(&samples), &mut out))
    });
    group.bench_function("table", |b| {
        b.iter(|| {
            for (o, &s) in out.iter_mut().zip(black_box(&samples)) {
                *o = g711::ulaw_encode_sample(s);
            }
        })
    });
    group.bench_function("segment_search", |b| {
        b.iter(|| {
            for (o, &s) in out.iter_mut().zip(black_box(&samples)) {
                *o = g711::linear14_to_ulaw((s >> 2) as i32);
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("alaw_encode_1s");
    group.bench_function("arithmetic", |b| {
        b.iter(|| g711::encode(Law::A, black_box(&samples), &mut out))
    });
    group.bench_function("table", |b| {
        b.iter(|| {
            for (o, &s) in out.iter_mut().zip(black_box(&samples)) {
                *o = g711::alaw_encode_sample(s);
            }
        })
    });
    group.bench_function("segment_search", |b| {
        b.iter(|| {
            for (o, &s) in out.iter_mut().zip(black_box(&samples)) {
                *o = g711::linear13_to_alaw((s >> 3) as i32);
            }
        })
    });
    group.finish();

    let codes = out.clone();
    let mut pcm = vec![0i16; codes.len()];
    c.bench_function("ulaw_decode_1s", |b| {
        b.iter(|| g711::decode(Law::Mu, black_box(&codes), &mut pcm))
    });
}

/// The base64 engines side by side, each appending into a reused buffer as the payload codec
/// does: `base64-simd` 0.8, the `base64` crate's runtime-detected SIMD engine (0.23) and its
/// scalar general-purpose engine.
fn base64_crates(c: &mut Criterion) {
    use base64::engine::{general_purpose, DecodePaddingMode, GeneralPurposeConfig, Simd};
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let simd = Simd::standard(config);
    let scalar = general_purpose::GeneralPurpose::new(&base64::alphabet::STANDARD, config);
    for raw_len in [160usize, 960] {
        // 160 bytes -> 216 chars (20 ms of μ-law); 960 bytes -> 1,280 chars (20 ms of L16 at
        // 24 kHz).
        let raw: Vec<u8> = (0..raw_len).map(|i| (i * 37) as u8).collect();
        let text = general_purpose::STANDARD.encode(&raw);
        let mut group = c.benchmark_group(format!("base64_decode_{}chars", text.len()));
        let mut buf = Vec::with_capacity(raw_len);
        group.bench_with_input(BenchmarkId::new("base64-simd 0.8", ""), &text, |b, t| {
            b.iter(|| {
                buf.clear();
                base64_simd::STANDARD.decode_append(black_box(t.as_bytes()), &mut buf)
            })
        });
        group.bench_with_input(BenchmarkId::new("base64 0.23 Simd", ""), &text, |b, t| {
            b.iter(|| {
                buf.clear();
                simd.decode_vec(black_box(t.as_bytes()), &mut buf)
            })
        });
        group.bench_with_input(BenchmarkId::new("base64 0.23 scalar", ""), &text, |b, t| {
            b.iter(|| {
                buf.clear();
                scalar.decode_vec(black_box(t.as_bytes()), &mut buf)
            })
        });
        group.finish();

        let mut group = c.benchmark_group(format!("base64_encode_{}chars", text.len()));
        let mut out = String::with_capacity(text.len());
        group.bench_function("base64-simd 0.8", |b| {
            b.iter(|| {
                out.clear();
                base64_simd::STANDARD.encode_append(black_box(&raw), &mut out)
            })
        });
        group.bench_function("base64 0.23 Simd", |b| {
            b.iter(|| {
                out.clear();
                simd.encode_string(black_box(&raw), &mut out)
            })
        });
        group.bench_function("base64 0.23 scalar", |b| {
            b.iter(|| {
                out.clear();
                scalar.encode_string(black_box(&raw), &mut out)
            })
        });
        group.finish();
    }
}

criterion_group!(benches, g711_encode, base64_crates);
criterion_main!(benches);
