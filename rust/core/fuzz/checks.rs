//! What the fuzz targets check, shared with the short smoke run in `tests/fuzz_smoke.rs`:
//! any input gives a value or an error, never a panic, and what parses builds back.

use audiofork_core::format::{ByteOrder, Encoding};
use audiofork_core::payload::PayloadCodec;
use audiofork_core::wire::{self, Message, ParseOptions};

/// Parse arbitrary bytes as a message. The parser must agree with serde_json on what is
/// JSON, and messages that parse are rebuilt and must parse to the same value.
pub fn wire_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = wire::parse(text, &ParseOptions::default());
    let is_json = serde_json::from_str::<serde_json::Value>(text).is_ok();
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

/// Decode arbitrary bytes as a base64 payload of every encoding.
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
                assert_eq!(again.len(), out.len());
            }
        }
    }
}
