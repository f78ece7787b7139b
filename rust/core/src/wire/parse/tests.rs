//! Every example of the protocol reference, each documented variant, build→parse round trips
//! and the errors that name the field.

use super::*;
use crate::format::Encoding;
use crate::wire::{self, MediaFields, StartFields};

fn ok(text: &str) -> Message<'_> {
    parse(text, &ParseOptions::default()).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn err(text: &str) -> String {
    parse(text, &ParseOptions::default())
        .expect_err(text)
        .to_string()
}

fn l16(rate: u32) -> MediaFormat {
    MediaFormat {
        encoding: Encoding::L16,
        sample_rate: rate,
        byte_order: ByteOrder::Little,
    }
}

#[test]
fn start_nested_example() {
    let text = r#"{"event": "start", "sequenceNumber": 0,
 "start": {"callId": "5401fd2e-6344-40df-a22c-c8ffea7a92e7", "streamId": "c4dfd815-a92a-4140-ab85-5ff28c004116", "accountId": "500025",
           "tracks": ["inbound"],
           "mediaFormat": {"encoding": "audio/x-l16", "sampleRate": 16000}},
 "extra_headers": "{}"}"#;
    let Message::Start(start) = ok(text) else {
        panic!("not a start")
    };
    assert_eq!(start.sequence_number, Some(0));
    assert_eq!(start.stream_id, "c4dfd815-a92a-4140-ab85-5ff28c004116");
    assert_eq!(
        start.call_id.as_deref(),
        Some("5401fd2e-6344-40df-a22c-c8ffea7a92e7")
    );
    assert_eq!(start.account_id.as_deref(), Some("500025"));
    assert_eq!(start.tracks, [Track::Inbound]);
    assert_eq!(start.media_format, l16(16000));
    assert_eq!(start.extra_headers.as_deref(), Some("{}"));
}

#[test]
fn start_flat_example() {
    let text = r#"{"event":"start","streamId":"s1","accountId":"MA1","callId":"c1","from":"+1555","to":"+1666","direction":"inbound","contentType":"audio/x-l16;rate=8000","audioTrack":"both"}"#;
    let Message::Start(start) = ok(text) else {
        panic!("not a start")
    };
    assert_eq!(start.stream_id, "s1");
    assert_eq!(start.call_id.as_deref(), Some("c1"));
    assert_eq!(start.from.as_deref(), Some("+1555"));
    assert_eq!(start.to.as_deref(), Some("+1666"));
    assert_eq!(start.direction.as_deref(), Some("inbound"));
    assert_eq!(start.tracks, Track::ALL);
    assert_eq!(start.media_format, l16(8000));
}

#[test]
fn start_with_mulaw_and_string_rate() {
    let text = r#"{"event":"start","start":{"streamId":"s","mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":"8000"}}}"#;
    let Message::Start(start) = ok(text) else {
        panic!()
    };
    assert_eq!(start.media_format.encoding, Encoding::Mulaw);
    assert_eq!(start.tracks, [Track::Inbound]);
}

#[test]
fn media_example_and_variants() {
    let text = r#"{"event": "media", "sequenceNumber": 2, "streamId": "c4dfd815-a92a-4140-ab85-5ff28c004116",
 "media": {"track": "inbound", "timestamp": "1778597597091", "chunk": 2,
           "payload": "AAAA"},
 "extra_headers": "{}"}"#;
    let Message::Media(media) = ok(text) else {
        panic!()
    };
    assert_eq!(media.sequence_number, Some(2));
    assert_eq!(media.track, Track::Inbound);
    assert_eq!(media.timestamp_ms, Some(1778597597091));
    assert_eq!(media.chunk, Some(2));
    assert!(matches!(media.payload, Cow::Borrowed("AAAA")));
    assert_eq!(media.extra_headers.as_deref(), Some("{}"));

    let numeric = ok(r#"{"event":"media","media":{"timestamp":1778597597091,"payload":"AAAA"}}"#);
    let Message::Media(media) = numeric else {
        panic!()
    };
    assert_eq!(media.timestamp_ms, Some(1778597597091));
    assert_eq!(media.track, Track::Inbound);
    assert_eq!(media.stream_id, None);
}

#[test]
fn media_payload_with_escaped_slash_is_unescaped() {
    let Message::Media(media) = ok(r#"{"event":"media","media":{"payload":"ab\/c"}}"#) else {
        panic!()
    };
    assert_eq!(media.payload, "ab/c");
}

#[test]
fn played_cleared_dtmf_stop() {
    assert_eq!(
        ok(r#"{"event": "playedStream", "name": "greeting"}"#),
        Message::PlayedStream(PlayedStream {
            name: "greeting".into(),
            stream_id: None,
            sequence_number: None
        })
    );
    assert_eq!(
        ok(r#"{"event":"playedStream","name":"g","streamId":"s","sequenceNumber":"9"}"#),
        Message::PlayedStream(PlayedStream {
            name: "g".into(),
            stream_id: Some("s".into()),
            sequence_number: Some(9)
        })
    );
    assert_eq!(
        ok(r#"{"event": "clearedAudio", "streamId": "s", "sequenceNumber": 7}"#),
        Message::ClearedAudio(ClearedAudio {
            stream_id: Some("s".into()),
            sequence_number: Some(7)
        })
    );
    assert_eq!(
        ok(
            r#"{"event": "dtmf", "sequenceNumber": 50, "streamId": "s", "dtmf": {"track": "inbound", "digit": "5", "timestamp": "1778597597091"}}"#
        ),
        Message::Dtmf(Dtmf {
            sequence_number: Some(50),
            stream_id: Some("s".into()),
            track: Track::Inbound,
            digit: "5".into(),
            timestamp_ms: Some(1778597597091),
        })
    );
    assert_eq!(
        ok(r#"{"event":"stop","streamId":"s"}"#),
        Message::Stop(Stop {
            stream_id: Some("s".into()),
            sequence_number: None
        })
    );
}

#[test]
fn app_commands() {
    let Message::PlayAudio(play) = ok(
        r#"{"event": "playAudio", "streamId": "s", "media": {"contentType": "audio/x-l16", "sampleRate": 16000, "payload": "AAAA"}}"#,
    ) else {
        panic!()
    };
    assert_eq!(play.media_format, l16(16000));
    assert_eq!(play.payload, "AAAA");
    let Message::PlayAudio(play) = ok(
        r#"{"event":"playAudio","streamId":"s","media":{"contentType":"audio/x-mulaw","sampleRate":"8000","payload":""}}"#,
    ) else {
        panic!()
    };
    assert_eq!(play.media_format.encoding, Encoding::Mulaw);
    // The `<Stream>` reference lists no `streamId` for playAudio: it is optional.
    let Message::PlayAudio(play) = ok(
        r#"{"event":"playAudio","media":{"contentType":"audio/x-mulaw","sampleRate":8000,"payload":""}}"#,
    ) else {
        panic!()
    };
    assert_eq!(play.stream_id, None);
    assert_eq!(
        ok(r#"{"event": "checkpoint", "streamId": "s", "name": "greeting"}"#),
        Message::Checkpoint(Checkpoint {
            stream_id: "s".into(),
            name: "greeting".into()
        })
    );
    assert_eq!(
        ok(r#"{"event": "clearAudio", "streamId": "s"}"#),
        Message::ClearAudio(ClearAudio {
            stream_id: "s".into()
        })
    );
}

#[test]
fn unknown_events_are_values_not_errors() {
    assert_eq!(
        ok(r#"{"event":"transcription","protocol":"Call"}"#),
        Message::Unknown {
            event: "transcription".into()
        }
    );
}

#[test]
fn errors_name_the_event_and_field() {
    assert_eq!(
        err(
            r#"{"event":"start","start":{"streamId":"s","mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":44100}}}"#
        ),
        "start.mediaFormat.sampleRate: 44100 is not allowed for audio/x-mulaw (allowed: 8000)"
    );
    assert!(err(r#"{"event":"media","media":{"payload":"AAAA*AAA"}}"#)
        .starts_with("media.payload: invalid base64 at offset 4"));
    assert_eq!(
        err(r#"{"event":"checkpoint","streamId":"s"}"#),
        "checkpoint.name: missing"
    );
    assert_eq!(
        err(r#"{"event":"clearAudio"}"#),
        "clearAudio.streamId: missing"
    );
    assert_eq!(err(r#"{"event":"media"}"#), "media: missing");
    assert_eq!(
        err(r#"{"event":"playedStream"}"#),
        "playedStream.name: missing"
    );
    assert_eq!(
        err(r#"{"event":"media","media":{"payload":5}}"#),
        "media.payload: expected a string, found a number"
    );
    // The event is named even when it comes after the bad field.
    assert_eq!(
        err(r#"{"streamId":7,"name":"x","event":"checkpoint"}"#),
        "checkpoint.streamId: expected a string, found a number"
    );
    assert_eq!(
        err(r#"{"event":"start","start":[]}"#),
        "start: expected an object, found an array"
    );
    let nested_rate = err(
        r#"{"event":"playAudio","streamId":"s","media":{"contentType":"audio/x-l16","sampleRate":"fast","payload":""}}"#,
    );
    assert!(
        nested_rate.starts_with("playAudio.media.sampleRate:"),
        "{nested_rate}"
    );
    assert!(err(
        r#"{"event":"playAudio","streamId":"s","media":{"contentType":"audio/x-alaw","sampleRate":8000,"payload":""}}"#
    )
    .contains("playAudio carries audio/x-l16 at 8000, 16000 or 24000 Hz or audio/x-mulaw at 8000 Hz, not audio/x-alaw;rate=8000"));
    assert!(
        err(r#"{"event":"media","media":{"payload":"AA"#).starts_with("message is not valid JSON")
    );
    assert_eq!(
        err("[1,2]"),
        "message must be a JSON object: expected an object, found an array"
    );
    assert!(err("{}").contains("no \"event\""));
    assert_eq!(
        err(""),
        "message is not valid JSON: unexpected end of text at byte 0"
    );
    assert_eq!(
        err(r#"{"event":"stop"} x"#),
        "message is not valid JSON: trailing characters at byte 17"
    );
}

#[test]
fn error_paths_follow_one_rule() {
    assert_eq!(field_path("checkpoint", "name"), "checkpoint.name");
    assert_eq!(field_path("dtmf", "dtmf.digit"), "dtmf.digit");
    assert_eq!(field_path("dtmf", "dtmf"), "dtmf");
    assert_eq!(field_path("dtmf", "dtmfx"), "dtmf.dtmfx");
    assert_eq!(
        field_path("playAudio", "media.sampleRate"),
        "playAudio.media.sampleRate"
    );
    // Missing fields, wrong types and bad values all name the field by that rule.
    assert_eq!(
        err(r#"{"event":"dtmf","dtmf":{"track":"inbound"}}"#),
        "dtmf.digit: missing"
    );
    assert_eq!(err(r#"{"event":"dtmf"}"#), "dtmf: missing");
    assert_eq!(
        err(r#"{"event":"dtmf","dtmf":{"digit":5}}"#),
        "dtmf.digit: expected a string, found a number"
    );
    assert!(err(r#"{"event":"media","media":{"payload":"AAAAA"}}"#)
        .starts_with("media.payload: invalid base64"));
    assert!(err(
        r#"{"event":"playAudio","streamId":"s","media":{"contentType":"audio/x-mulaw","payload":"A"}}"#
    )
    .starts_with("playAudio.media.payload: invalid base64"));
    assert_eq!(
        err(
            r#"{"event":"playAudio","streamId":"s","media":{"contentType":"audio/x-l16;rate=16000","sampleRate":8000,"payload":""}}"#
        ),
        "playAudio.media.sampleRate: 8000 conflicts with rate=16000 in playAudio.media.contentType"
    );
    assert_eq!(
        err(r#"{"event":"start","start":{"streamId":"s","mediaFormat":{"encoding":"audio/x-l16"}}}"#),
        "start.mediaFormat.sampleRate: missing; audio/x-l16 needs a rate, e.g. audio/x-l16;rate=8000"
    );
}

#[test]
fn tracks_are_inbound_or_outbound() {
    for text in [
        r#"{"event":"media","media":{"track":"both","payload":""}}"#,
        r#"{"event":"dtmf","dtmf":{"track":"x","digit":"1"}}"#,
        r#"{"event":"start","start":{"streamId":"s","tracks":["inbound","mixed"],"mediaFormat":{"encoding":"audio/x-mulaw"}}}"#,
        r#"{"event":"start","streamId":"s","audioTrack":"mixed"}"#,
    ] {
        assert!(err(text).contains("is not a track"), "{text}");
    }
    assert!(
        err(r#"{"event":"media","media":{"track":"both","payload":""}}"#)
            .starts_with("media.track: \"both\" is not a track")
    );
}

#[test]
fn values_of_the_wrong_type_inside_arrays_do_not_hide_invalid_json() {
    // A wrong-typed element used to end the array early, so text after it went unchecked.
    for text in [
        r#"{"event":"x","start":{"tracks":[1}}"#,
        r#"{"event":"start","start":{"tracks":[1}}"#,
        r#"{"event":"x","start":{"tracks":[1,]}}"#,
    ] {
        assert!(err(text).starts_with("message is not valid JSON"), "{text}");
    }
    assert_eq!(
        err(r#"{"event":"start","start":{"streamId":"s","tracks":[1,"inbound"]}}"#),
        "start.tracks: expected a string, found a number"
    );
}

#[test]
fn size_limit_is_checked_before_parsing() {
    let options = ParseOptions {
        max_bytes: 10,
        ..ParseOptions::default()
    };
    let error = parse("{\"event\":\"stop\"}", &options).unwrap_err();
    assert_eq!(error.to_string(), "message is 16 bytes, limit 10");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for text in [
        format!("{{\"event\":\"media\",\"x\":{deep}}}"),
        format!("{{\"event\":\"media\",\"media\":{deep}}}"),
    ] {
        assert!(err(&text).contains("nesting deeper than 128 levels"));
    }
}

#[test]
fn unknown_events_ignore_field_types() {
    assert_eq!(
        ok(r#"{"event":"error","media":[1],"streamId":5}"#),
        Message::Unknown {
            event: "error".into()
        }
    );
    // A wrongly typed field deep inside: the rest of its object is still read as such.
    for text in [
        r#"{"event":"x","start":{"tracks":5,"a":[1,{"b":2}]},"c":3}"#,
        r#"{"event":"x","start":{"mediaFormat":{"sampleRate":[1],"a":1},"b":2}}"#,
        r#"{"start":{"tracks":[1,2],"a":{}},"event":"x"}"#,
    ] {
        assert_eq!(ok(text), Message::Unknown { event: "x".into() }, "{text}");
    }
    // ...and invalid JSON after it is refused, wherever it is.
    for text in [
        r#"{"event":"x","start":{"tracks":5}"#,
        r#"{"event":"x","start":{"tracks":5,"a":[1}}"#,
        r#"{"event":"x","start":{"tracks":[1,}}"#,
        r#"{"event":"x","start":{"tracks":[1,"a"}}"#,
        r#"{"start":{"tracks":[1,"a"],"event":"x"}"#,
        r#"{"event":"x","start":{"mediaFormat":{"sampleRate":[1],"a":}}}"#,
        r#"{"event":"x","media":{"payload":5,"a":tru}}"#,
    ] {
        assert!(
            err(text).contains("not valid JSON"),
            "{text}: {}",
            err(text)
        );
    }
}

#[test]
fn builders_round_trip() {
    let format = l16(24000);
    let mut out = String::new();
    wire::write_start(
        &mut out,
        &StartFields {
            dialect: Dialect::Vobiz,
            sequence_number: 0,
            stream_id: "s\"1",
            call_id: "c",
            account_id: "a",
            tracks: &Track::ALL,
            media_format: format,
            extra_headers: "k=v;x=\u{e9}",
        },
    );
    let Message::Start(start) = ok(&out) else {
        panic!()
    };
    assert_eq!(start.stream_id, "s\"1");
    assert_eq!(start.tracks, Track::ALL);
    assert_eq!(start.media_format, format);
    assert_eq!(start.extra_headers.as_deref(), Some("k=v;x=\u{e9}"));

    out.clear();
    let fields = MediaFields {
        dialect: Dialect::Vobiz,
        sequence_number: 3,
        stream_id: "s",
        track: Track::Outbound,
        timestamp_ms: 1778597597091,
        chunk: 2,
        extra_headers: "{}",
    };
    wire::write_media(&mut out, &fields, |o| o.push_str("AAAA"));
    let Message::Media(media) = ok(&out) else {
        panic!()
    };
    assert_eq!(
        (
            media.sequence_number,
            media.track,
            media.timestamp_ms,
            media.chunk
        ),
        (Some(3), Track::Outbound, Some(1778597597091), Some(2))
    );

    for (written, expected) in [
        (
            {
                let mut o = String::new();
                wire::write_play_audio(&mut o, Dialect::Vobiz, "s", &format, |o| {
                    o.push_str("AAAA")
                });
                o
            },
            Message::PlayAudio(PlayAudio {
                stream_id: Some("s".into()),
                media_format: format,
                payload: Cow::Borrowed("AAAA"),
            }),
        ),
        (
            {
                let mut o = String::new();
                wire::write_checkpoint(&mut o, Dialect::Vobiz, "s", "名前\n");
                o
            },
            Message::Checkpoint(Checkpoint {
                stream_id: "s".into(),
                name: "名前\n".into(),
            }),
        ),
        (
            {
                let mut o = String::new();
                wire::write_played_stream(&mut o, Dialect::Vobiz, "g", Some("s"), Some(4));
                o
            },
            Message::PlayedStream(PlayedStream {
                name: "g".into(),
                stream_id: Some("s".into()),
                sequence_number: Some(4),
            }),
        ),
        (
            {
                let mut o = String::new();
                wire::write_dtmf(&mut o, Dialect::Vobiz, 5, "s", Track::Inbound, "#", 12);
                o
            },
            Message::Dtmf(Dtmf {
                sequence_number: Some(5),
                stream_id: Some("s".into()),
                track: Track::Inbound,
                digit: "#".into(),
                timestamp_ms: Some(12),
            }),
        ),
    ] {
        assert_eq!(ok(&written), expected, "{written}");
    }
}
