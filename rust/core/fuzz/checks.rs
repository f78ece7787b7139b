//! What the fuzz targets check, shared with the short smoke run in `tests/fuzz_smoke.rs`:
//! any input gives a value or an error, never a panic, and what parses builds back; the
//! resampler gives the same samples however its input is cut.

// Each fuzz target uses one of these.
#![allow(dead_code)]

use audiofork_core::format::{ByteOrder, Encoding, MediaFormat};
use audiofork_core::payload::PayloadCodec;
use audiofork_core::pipeline::InboundDecoder;
use audiofork_core::resample::{Quality, Resampler, RATES};
use audiofork_core::wire::{self, Dialect, Message, ParseOptions, Track};
use audiofork_core::ErrorKind;

/// Parse arbitrary bytes as a message. The parser must agree with serde_json on what is
/// JSON, and messages that parse are rebuilt in the dialect they show and must parse to the
/// same value.
pub fn wire_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = wire::parse_shown(text, &ParseOptions::default());
    match &parsed {
        Ok(_) => assert!(is_json(text), "accepted text serde_json refuses: {text:?}"),
        Err(error) if error.kind() == ErrorKind::BadJson => assert!(
            !is_json(text),
            "refused JSON serde_json accepts ({error}): {text:?}"
        ),
        Err(_) => {}
    }
    let Ok((message, shown)) = parsed else {
        return;
    };
    let dialect = shown.map_or(Dialect::Vobiz, |shown| shown.dialect());
    if let Message::Media(media) = &message {
        assert!(Track::ALL.contains(&media.track));
    }
    let mut rebuilt = String::new();
    match &message {
        Message::Checkpoint(c) => {
            wire::write_checkpoint(&mut rebuilt, dialect, &c.stream_id, &c.name)
        }
        Message::ClearAudio(c) => wire::write_clear_audio(&mut rebuilt, dialect, &c.stream_id),
        Message::PlayAudio(p) => {
            // Builders always write `streamId`; one parsed without it cannot come back equal.
            let Some(stream_id) = &p.stream_id else {
                return;
            };
            wire::write_play_audio(&mut rebuilt, dialect, stream_id, &p.media_format, |o| {
                o.push_str(&p.payload)
            })
        }
        Message::PlayedStream(p) => wire::write_played_stream(
            &mut rebuilt,
            dialect,
            &p.name,
            p.stream_id.as_deref(),
            p.sequence_number,
        ),
        _ => return,
    }
    let reparsed = wire::parse(&rebuilt, &ParseOptions::default());
    assert_eq!(reparsed.as_ref().ok(), Some(&message), "{rebuilt}");
}

/// Whether serde_json reads `text` as JSON, except that numbers beyond f64's range count as
/// numbers, as RFC 8259 allows (serde_json refuses them): each is replaced by `0 ` and the
/// text read again. The space ends the token, so what followed the number still has to
/// be valid after one (`1e400.5` stays invalid).
fn is_json(text: &str) -> bool {
    let mut text = text.to_owned();
    loop {
        let error = match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(_) => return true,
            Err(error) if error.to_string().starts_with("number out of range") => error,
            Err(_) => return false,
        };
        // The error's column (1-based, in bytes) is inside the number; it starts after the
        // `[`, `,`, `:` or space before it.
        let line_start: usize = text
            .split_inclusive('\n')
            .take(error.line() - 1)
            .map(str::len)
            .sum();
        let bytes = text.as_bytes();
        let inside = (line_start + error.column()).saturating_sub(1);
        let number_byte = |b: &u8| b.is_ascii_digit() || b"+-.eE".contains(b);
        let start = bytes[..inside]
            .iter()
            .rposition(|b| !number_byte(b))
            .map_or(0, |i| i + 1);
        let end = number_end(bytes, start);
        // Each replacement shortens the text (a number out of range has at least 5 bytes).
        assert!(end >= start + 5, "no number at byte {start} of {text:?}");
        text.replace_range(start..end, "0 ");
    }
}

/// The end of the longest JSON number starting at `start`.
fn number_end(bytes: &[u8], start: usize) -> usize {
    let digit = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    let digits_from = |mut i: usize| {
        while digit(i) {
            i += 1;
        }
        i
    };
    let mut i = start + usize::from(bytes.get(start) == Some(&b'-'));
    i = if bytes.get(i) == Some(&b'0') {
        i + 1
    } else {
        digits_from(i)
    };
    if bytes.get(i) == Some(&b'.') && digit(i + 1) {
        i = digits_from(i + 1);
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(i + 1), Some(b'+' | b'-')));
        if digit(i + 1 + sign) {
            i = digits_from(i + 1 + sign);
        }
    }
    i
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

/// Resample int16 samples taken from `data` between two rates it picks, in chunks it picks,
/// against one call on the whole input: bit-identical output, exactly `ceil(n * out / in)`
/// samples before the flush and `delay_samples()` in it; the same for float input (finite,
/// from the same samples); and after the flush the stream starts afresh, as new.
///
/// Layout of `data`: in rate, out rate, quality (low bit), number of cuts `k` (at most 15),
/// `k` little-endian u16 chunk lengths, then the samples (little-endian int16).
pub fn resample_chunks(data: &[u8]) {
    let [a, b, q, k, rest @ ..] = data else {
        return;
    };
    let (in_rate, out_rate) = (RATES[usize::from(*a) % 8], RATES[usize::from(*b) % 8]);
    let quality = if q & 1 == 0 {
        Quality::Default
    } else {
        Quality::High
    };
    let cuts = usize::from(k % 16);
    if rest.len() < 2 * cuts {
        return;
    }
    let (lengths, samples) = rest.split_at(2 * cuts);
    let lengths: Vec<usize> = lengths
        .chunks_exact(2)
        .map(|c| usize::from(u16::from_le_bytes([c[0], c[1]])))
        .collect();
    let input: Vec<i16> = samples
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    let chunks = split(&input, &lengths);
    let new = || match Resampler::new(in_rate, out_rate, quality) {
        Ok(r) => r,
        Err(e) => panic!("{in_rate} -> {out_rate} Hz must build: {e}"),
    };
    let owed = (input.len() as u64 * u64::from(out_rate)).div_ceil(u64::from(in_rate));
    // A few thousand samples always have the memory they need.
    let ok = |done: audiofork_core::Result<()>| {
        if let Err(error) = done {
            panic!("{in_rate} -> {out_rate}, {} samples: {error}", input.len());
        }
    };

    let mut one = new();
    let mut whole = Vec::new();
    ok(one.process_i16(&input, &mut whole));
    assert_eq!(
        whole.len() as u64,
        owed,
        "{in_rate} -> {out_rate}: {} in",
        input.len()
    );
    let mut chunked = new();
    let mut pieces = Vec::new();
    for chunk in &chunks {
        ok(chunked.process_i16(chunk, &mut pieces));
    }
    assert_eq!(
        pieces, whole,
        "{in_rate} -> {out_rate} {quality:?}, cut {lengths:?}"
    );
    let (mut tail, mut pieces_tail) = (Vec::new(), Vec::new());
    one.flush_i16(&mut tail);
    chunked.flush_i16(&mut pieces_tail);
    assert_eq!(tail.len(), one.delay_samples());
    assert_eq!(pieces_tail, tail);
    // Flushed: the stream starts afresh, as a new one would.
    let mut again = Vec::new();
    for chunk in &chunks {
        ok(chunked.process_i16(chunk, &mut again));
    }
    assert_eq!(
        again, whole,
        "after flush, {in_rate} -> {out_rate} {quality:?}"
    );

    let floats: Vec<f32> = input.iter().map(|&s| f32::from(s) / 32768.0).collect();
    let mut whole_f = Vec::new();
    ok(new().process_f32(&floats, &mut whole_f));
    let mut chunked_f = new();
    let mut pieces_f = Vec::new();
    for chunk in split(&floats, &lengths) {
        ok(chunked_f.process_f32(chunk, &mut pieces_f));
    }
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(&pieces_f),
        bits(&whole_f),
        "float {in_rate} -> {out_rate} {quality:?}"
    );
}

/// `input` cut at the given lengths (each capped at what is left), the rest in one chunk.
fn split<'a, T>(input: &'a [T], lengths: &[usize]) -> Vec<&'a [T]> {
    let mut chunks = Vec::new();
    let mut rest = input;
    for &n in lengths {
        let (chunk, after) = rest.split_at(n.min(rest.len()));
        chunks.push(chunk);
        rest = after;
    }
    chunks.push(rest);
    chunks
}
