//! What the fuzz targets check, shared with the short smoke run in `tests/fuzz_smoke.rs`:
//! any input gives a value or an error, never a panic, and what parses builds back.

use audiofork_core::format::{ByteOrder, Encoding, MediaFormat};
use audiofork_core::payload::PayloadCodec;
use audiofork_core::pipeline::InboundDecoder;
use audiofork_core::resample::Quality;
use audiofork_core::wire::{self, Message, ParseOptions, Track};

/// Parse arbitrary bytes as a message. The parser must agree with serde_json on what is
/// JSON, and messages that parse are rebuilt and must parse to the same value.
pub fn wire_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = wire::parse(text, &ParseOptions::default());
    // serde_json refuses numbers beyond f64's range, which RFC 8259 allows.
    let is_json = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(_) => true,
        Err(error) => error.to_string().starts_with("number out of range"),
    };
    match &parsed {
        Ok(_) => assert!(is_json, "accepted text serde_json refuses: {text:?}"),
        Err(error) => {
            let message = error.to_string();
            if message.starts_with("message is not valid JSON") && !message.contains("nesting") {
                assert!(
                    !is_json,
                    "refused JSON serde_json accepts ({message}): {text:?}"
                );
            }
        }
    }
    let Ok(message) = parsed else {
        return;
    };
    if let Message::Media(media) = &message {
        assert!(Track::ALL.contains(&media.track));
    }
    let mut rebuilt = String::new();
    match &message {
        Message::Checkpoint(c) => wire::write_checkpoint(&mut rebuilt, &c.stream_id, &c.name),
        Message::ClearAudio(c) => wire::write_clear_audio(&mut rebuilt, &c.stream_id),
        Message::PlayAudio(p) => {
            // Builders always write `streamId`; one parsed without it cannot come back equal.
            let Some(stream_id) = &p.stream_id else {
                return;
            };
            wire::write_play_audio(&mut rebuilt, stream_id, &p.media_format, |o| {
                o.push_str(&p.payload)
            })
        }
        Message::PlayedStream(p) => wire::write_played_stream(
            &mut rebuilt,
            &p.name,
            p.stream_id.as_deref(),
            p.sequence_number,
        ),
        _ => return,
    }
    let reparsed = wire::parse(&rebuilt, &ParseOptions::default());
    assert_eq!(reparsed.as_ref().ok(), Some(&message), "{rebuilt}");
}

/// Feed arbitrary bytes to an inbound decoder: a message or an error, and for `media` a frame
/// whose announced length is exactly what it writes.
pub fn inbound_decode(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let format = MediaFormat {
        encoding: Encoding::Mulaw,
        sample_rate: 8000,
        byte_order: ByteOrder::Little,
    };
    let Ok(mut decoder) = InboundDecoder::new(format, 16000, Quality::Default) else {
        panic!("a μ-law/8k → 16k decoder must build");
    };
    if decoder.read_message(text).is_ok() {
        if let Some(len) = decoder.unwritten_len() {
            let mut out = vec![0i16; len];
            assert!(decoder.write_i16(&mut out).is_ok(), "{text:?}");
        }
    }
}

/// Decode arbitrary bytes as a base64 payload of every encoding; what decodes must encode and
/// decode again to the same samples (G.711 decodes to reconstruction levels, which encode
/// back to a code of the same level; L16 is lossless).
pub fn payload_decode(data: &[u8]) {
    let mut codec = PayloadCodec::new();
    for encoding in [Encoding::Mulaw, Encoding::Alaw, Encoding::L16] {
        for order in [ByteOrder::Little, ByteOrder::Big] {
            let mut out = Vec::new();
            if codec.decode(data, encoding, order, &mut out).is_ok() {
                let mut text = String::new();
                codec.encode(&out, encoding, order, &mut text);
                let mut again = Vec::new();
                assert!(codec
                    .decode(text.as_bytes(), encoding, order, &mut again)
                    .is_ok());
                assert_eq!(again, out, "{encoding:?} {order:?}: {text}");
            }
        }
    }
}
