//! The fused per-frame pipelines without Python: one 20 ms μ-law/8 kHz `media` message to
//! int16 at 16 kHz, and 20 ms of 24 kHz PCM to one μ-law/8 kHz `playAudio` message; each
//! in the Vobiz and the Twilio dialect, whose costs should match.

use std::hint::black_box;

use audiofork_core::format::{ByteOrder, Encoding, MediaFormat};
use audiofork_core::payload::PayloadCodec;
use audiofork_core::pipeline::{InboundDecoder, OutboundEncoder};
use audiofork_core::resample::Quality;
use audiofork_core::wire::{self, Batch, Dialect, MediaFields, Track};
use criterion::{criterion_group, criterion_main, Criterion};

const ULAW: MediaFormat = MediaFormat {
    encoding: Encoding::Mulaw,
    sample_rate: 8000,
    byte_order: ByteOrder::Little,
};

fn tone(n: usize, rate: f32) -> Vec<i16> {
    (0..n)
        .map(|i| (8000.0 * (i as f32 * 440.0 * std::f32::consts::TAU / rate).sin()) as i16)
        .collect()
}

fn pipelines(c: &mut Criterion) {
    let mut payload = String::new();
    PayloadCodec::new().encode(
        &tone(160, 8000.0),
        Encoding::Mulaw,
        ByteOrder::Little,
        &mut payload,
    );
    let tts = tone(480, 24000.0);
    for dialect in [Dialect::Vobiz, Dialect::Twilio] {
        let name = dialect.name();
        let mut text = String::new();
        let fields = MediaFields {
            dialect,
            sequence_number: 2,
            stream_id: "c4dfd815-a92a-4140-ab85-5ff28c004116",
            track: Track::Inbound,
            timestamp_ms: 1778597597091,
            chunk: 2,
            extra_headers: "{}",
        };
        wire::write_media(&mut text, &fields, |o| o.push_str(&payload));

        let mut decoder = InboundDecoder::new(ULAW, 16000, Quality::Default).expect("decoder");
        decoder.set_dialect(Some(dialect));
        let mut pcm = Vec::with_capacity(320);
        c.bench_function(
            &format!("{name}: inbound media μ-law/8k -> int16/16k"),
            |b| {
                b.iter(|| {
                    pcm.clear();
                    decoder
                        .decode_message_i16(black_box(&text), &mut pcm)
                        .map(|_| pcm.len())
                })
            },
        );

        let mut encoder = OutboundEncoder::new(
            ULAW,
            "c4dfd815-a92a-4140-ab85-5ff28c004116",
            20,
            Quality::Default,
            dialect,
        )
        .expect("encoder");
        let mut out = Batch::new();
        c.bench_function(
            &format!("{name}: outbound 20 ms 24k -> μ-law/8k message"),
            |b| {
                b.iter(|| {
                    out.clear();
                    encoder.push_i16(black_box(&tts), 24000, &mut out)
                })
            },
        );
    }
}

criterion_group!(benches, pipelines);
criterion_main!(benches);
