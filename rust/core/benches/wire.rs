//! Parsing a 20 ms μ-law `media` message: the crate's parser (its own JSON reader)
//! against a minimal jiter walk that only finds `event` and `media.payload` (a lower bound
//! for any full parser built on jiter) and a generic `serde_json::Value` parse.

use std::hint::black_box;

use audiofork_core::wire::{self, Dialect, MediaFields, ParseOptions, Track};
use criterion::{criterion_group, criterion_main, Criterion};
use jiter::{Jiter, Peek};

fn media_message() -> String {
    let mut out = String::new();
    let fields = MediaFields {
        dialect: Dialect::Vobiz,
        sequence_number: 2,
        stream_id: "c4dfd815-a92a-4140-ab85-5ff28c004116",
        track: Track::Inbound,
        timestamp_ms: 1778597597091,
        chunk: 2,
        extra_headers: "{}",
    };
    wire::write_media(&mut out, &fields, |o| o.push_str(&"/".repeat(216)));
    out
}

/// Finds `event` and `media.payload`, skipping everything else.
fn jiter_payload(text: &str) -> Option<(String, usize)> {
    let mut jiter = Jiter::new(text.as_bytes());
    let mut event = String::new();
    let mut payload_len = 0;
    let mut key = jiter.next_object().ok()?;
    while let Some(k) = key {
        match k {
            "event" => event = jiter.next_str().ok()?.to_owned(),
            "media" => {
                let mut inner = jiter.next_object().ok()?;
                while let Some(ik) = inner {
                    if ik == "payload" {
                        payload_len = jiter.next_str().ok()?.len();
                    } else {
                        let peek = jiter.peek().ok()?;
                        if peek == Peek::String {
                            jiter.next_str().ok()?;
                        } else {
                            jiter.next_skip().ok()?;
                        }
                    }
                    inner = jiter.next_key().ok()?;
                }
            }
            _ => jiter.next_skip().ok()?,
        }
        key = jiter.next_key().ok()?;
    }
    Some((event, payload_len))
}

fn parse_media(c: &mut Criterion) {
    let text = media_message();
    let options = ParseOptions {
        check_payload: false,
        ..ParseOptions::default()
    };
    let mut group = c.benchmark_group("parse media (20 ms μ-law)");
    group.bench_function("audiofork wire::parse", |b| {
        b.iter(|| wire::parse(black_box(&text), &options))
    });
    group.bench_function("jiter minimal walk", |b| {
        b.iter(|| jiter_payload(black_box(&text)))
    });
    group.bench_function("serde_json::Value", |b| {
        b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(&text)))
    });
    group.finish();
}

criterion_group!(benches, parse_media);
criterion_main!(benches);
