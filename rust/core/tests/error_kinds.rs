//! Every error kind, reached through the public API on a real input, with the variant (the
//! Python class) it comes in and its message, which still names the field and value.

use audiofork_core::format::{ContentType, Encoding, MediaFormat};
use audiofork_core::pipeline::InboundDecoder;
use audiofork_core::resample::{Quality, Resampler};
use audiofork_core::ring::{Overflow, Ring};
use audiofork_core::wire::{self, ParseOptions};
use audiofork_core::{alloc, payload, pcm, ByteOrder, Error, ErrorKind, Result};

fn parse(text: &str) -> Result<()> {
    wire::parse(text, &ParseOptions::default()).map(drop)
}

fn ulaw() -> MediaFormat {
    MediaFormat::new(Encoding::Mulaw, 8000, ByteOrder::Little, true).unwrap()
}

/// One failing call per kind: (kind, the call's error).
fn one_of_each() -> Vec<(ErrorKind, Error)> {
    let deep = format!(
        "{{\"event\":\"x\",\"a\":{}{}}}",
        "[".repeat(200),
        "]".repeat(200)
    );
    let small = ParseOptions {
        max_bytes: 8,
        ..ParseOptions::default()
    };
    let mut ring = Ring::new(2, Overflow::Reject).unwrap();
    let mut decoder = InboundDecoder::new(ulaw(), 8000, Quality::Default).unwrap();
    let cases: Vec<(ErrorKind, Result<()>)> = vec![
        (ErrorKind::BadJson, parse("{\"event\":")),
        (ErrorKind::TooDeep, parse(&deep)),
        (
            ErrorKind::FieldMissing,
            parse(r#"{"event":"checkpoint","streamId":"s"}"#),
        ),
        (
            ErrorKind::WrongType,
            parse(r#"{"event":"media","media":{"payload":5}}"#),
        ),
        (ErrorKind::BadUtf8, wire::message_str(b"{\xff}").map(drop)),
        (ErrorKind::BadBase64, payload::check_base64(b"@@@@")),
        (ErrorKind::OddLength, pcm::l16_sample_count(3).map(drop)),
        (
            ErrorKind::BadEncoding,
            ContentType::parse("audio/opus").map(drop),
        ),
        (
            ErrorKind::BadRate,
            Resampler::new(12345, 8000, Quality::Default).map(drop),
        ),
        (
            ErrorKind::OutOfRange,
            Ring::new(0, Overflow::Reject).map(drop),
        ),
        (
            ErrorKind::TooLarge,
            wire::parse("{\"event\":\"stop\"}", &small).map(drop),
        ),
        (ErrorKind::BadValue, ByteOrder::parse("middle").map(drop)),
        (ErrorKind::Overflow, ring.write(&[1, 2, 3]).map(drop)),
        (ErrorKind::WrongState, decoder.write_i16(&mut []).map(drop)),
        (
            ErrorKind::WrongDialect,
            // The first message shows Twilio; the second is Vobiz's.
            decoder
                .read_message(r#"{"event":"connected"}"#)
                .map(drop)
                .and_then(|()| {
                    decoder
                        .read_message(r#"{"event":"clearedAudio"}"#)
                        .map(drop)
                }),
        ),
    ];
    cases
        .into_iter()
        .map(|(kind, result)| (kind, result.expect_err(kind.name())))
        .collect()
}

#[test]
fn every_kind_is_reached_on_a_real_input() {
    let errors = one_of_each();
    let reached: Vec<ErrorKind> = errors.iter().map(|(kind, _)| *kind).collect();
    assert_eq!(reached, ErrorKind::ALL);
    for (kind, error) in &errors {
        assert_eq!(error.kind(), *kind, "{error}");
    }
}

#[test]
fn kinds_come_with_the_variant_and_message_of_the_site() {
    let errors = one_of_each();
    let message = |kind: ErrorKind| {
        let (_, error) = errors.iter().find(|(k, _)| *k == kind).unwrap();
        error.to_string()
    };
    let protocol = |kind: ErrorKind| {
        let (_, error) = errors.iter().find(|(k, _)| *k == kind).unwrap();
        matches!(error, Error::Protocol(..))
    };
    for kind in [
        ErrorKind::BadJson,
        ErrorKind::TooDeep,
        ErrorKind::FieldMissing,
        ErrorKind::WrongType,
        ErrorKind::BadUtf8,
        ErrorKind::TooLarge,
    ] {
        assert!(protocol(kind), "{kind}");
    }
    assert_eq!(
        message(ErrorKind::BadJson),
        "message is not valid JSON: unexpected end of text at byte 9"
    );
    assert_eq!(
        message(ErrorKind::TooDeep),
        "message is not valid JSON: nesting deeper than 128 levels at byte 144"
    );
    assert_eq!(message(ErrorKind::FieldMissing), "checkpoint.name: missing");
    assert_eq!(
        message(ErrorKind::WrongType),
        "media.payload: expected a string, found a number"
    );
    assert_eq!(
        message(ErrorKind::BadUtf8),
        "message is not valid UTF-8 at byte 1"
    );
    assert_eq!(message(ErrorKind::TooLarge), "message is 16 bytes, limit 8");
}

#[test]
fn a_payload_or_format_error_inside_a_message_keeps_its_kind() {
    let bad = |text: &str| wire::parse(text, &ParseOptions::default()).unwrap_err();
    let media = |payload: &str| format!(r#"{{"event":"media","media":{{"payload":"{payload}"}}}}"#);
    let error = bad(&media("@@@@"));
    assert_eq!(error.kind(), ErrorKind::BadBase64);
    assert!(matches!(error, Error::Protocol(..)), "{error}");

    let play = |content_type: &str, rate: &str| {
        format!(
            r#"{{"event":"playAudio","media":{{"contentType":"{content_type}","sampleRate":{rate},"payload":""}}}}"#
        )
    };
    let cases = [
        (play("audio/x-wav", "8000"), ErrorKind::BadEncoding),
        (play("audio/x-alaw", "8000"), ErrorKind::BadEncoding),
        (play("audio/x-mulaw", "16000"), ErrorKind::BadRate),
        (play("audio/x-l16;rate=8000", "16000"), ErrorKind::BadRate),
        (play("audio/x-l16;rate=x", "16000"), ErrorKind::BadRate),
        (play("audio/x-l16", "0"), ErrorKind::OutOfRange),
        (play("audio/x-l16", "\"\""), ErrorKind::WrongType),
        (play("audio/x-l16;foo=1", "8000"), ErrorKind::BadEncoding),
        (
            r#"{"event":"playAudio","media":{"contentType":"audio/x-l16","payload":""}}"#
                .to_owned(),
            ErrorKind::FieldMissing,
        ),
        (
            r#"{"event":"dtmf","dtmf":{"digit":"1","track":"both"}}"#.to_owned(),
            ErrorKind::BadValue,
        ),
    ];
    for (text, kind) in cases {
        let error = bad(&text);
        assert_eq!(error.kind(), kind, "{text}: {error}");
        assert!(matches!(error, Error::Protocol(..)), "{error}");
    }

    // A decoder reads the payload too: its codec errors become protocol errors of that kind.
    let l16 = MediaFormat::new(Encoding::L16, 8000, ByteOrder::Little, true).unwrap();
    let mut decoder = InboundDecoder::new(l16, 8000, Quality::Default).unwrap();
    let error = decoder.read_message(&media("AAAA")).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::OddLength);
    assert_eq!(
        error.to_string(),
        "media.payload: L16 data must have an even number of bytes, got 3"
    );
}

#[test]
fn sizes_beyond_memory_are_too_large() {
    let error = alloc::filled(usize::MAX, 0u8, "x").unwrap_err();
    assert!(matches!(error, Error::Argument(ErrorKind::TooLarge, _)));
    let format = MediaFormat::new(Encoding::L16, 11025, ByteOrder::Little, false).unwrap();
    let error = format.samples_per_ms(1).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BadValue);
}
