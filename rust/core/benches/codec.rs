//! Core codec benchmarks: G.711 tables against the reference segment search, and the two
//! base64 crates on the payload sizes of real frames (20 ms μ-law: 216 chars; 20 ms L16 at
//! 16 kHz: 1,280 chars).

use std::hint::black_box;

use audiofork_core::g711::{self, Law};
use audiofork_core::payload::{decode_base64, encode_base64};
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

fn base64_crates(c: &mut Criterion) {
    for raw_len in [160usize, 960] {
        // 160 bytes -> 216 chars (20 ms of μ-law); 960 bytes -> 1,280 chars (20 ms of L16 at
        // 24 kHz).
        let raw: Vec<u8> = (0..raw_len).map(|i| (i * 37) as u8).collect();
        let text = base64::engine::general_purpose::STANDARD.encode(&raw);
        let mut group = c.benchmark_group(format!("base64_decode_{}chars", text.len()));
        let mut scratch = Vec::new();
        group.bench_with_input(BenchmarkId::new("base64-simd", ""), &text, |b, t| {
            b.iter(|| decode_base64(black_box(t.as_bytes()), &mut scratch))
        });
        let mut buf = vec![0u8; raw_len + 3];
        group.bench_with_input(BenchmarkId::new("base64", ""), &text, |b, t| {
            b.iter(|| {
                base64::engine::general_purpose::STANDARD
                    .decode_slice(black_box(t.as_bytes()), &mut buf)
            })
        });
        group.finish();

        let mut group = c.benchmark_group(format!("base64_encode_{}chars", text.len()));
        let mut out = String::with_capacity(text.len());
        group.bench_function("base64-simd", |b| {
            b.iter(|| {
                out.clear();
                encode_base64(black_box(&raw), &mut out)
            })
        });
        group.bench_function("base64", |b| {
            b.iter(|| {
                out.clear();
                base64::engine::general_purpose::STANDARD.encode_string(black_box(&raw), &mut out)
            })
        });
        group.finish();
    }
}

criterion_group!(benches, g711_encode, base64_crates);
criterion_main!(benches);
