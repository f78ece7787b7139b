//! Twilio and Plivo: the example messages of their public documentation, parsed into the
//! common values; the builders' text checked with serde_json; detection and the errors for
//! a message of the other dialect.

use serde_json::{json, Value};

use super::*;
use crate::format::Encoding;
use crate::wire::{self, MediaFields, StartFields};

const SID: &str = "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";

fn read(
    text: &str,
    dialect: Option<Dialect>,
    sender: Sender,
) -> Result<(Message<'_>, Option<Shown>)> {
    let options = ParseOptions {
        dialect,
        sender,
        ..ParseOptions::default()
    };
    parse_shown(text, &options)
}

fn twilio(text: &str) -> Message<'_> {
    let (message, shown) = read(text, Some(Dialect::Twilio), Sender::Platform)
        .unwrap_or_else(|e| panic!("{text}: {e}"));
    if let Some(shown) = shown {
        assert!(shown.twilio, "{text}");
    }
    message
}

fn twilio_from_app(text: &str) -> Message<'_> {
    read(text, Some(Dialect::Twilio), Sender::App)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .0
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn twilio_connected_example() {
    let text = r#"{"event": "connected", "protocol": "Call", "version": "1.0.0"}"#;
    let (message, shown) = read(text, None, Sender::Platform).unwrap();
    assert_eq!(
        message,
        Message::Connected(Connected {
            protocol: Some("Call".into()),
            version: Some("1.0.0".into()),
        })
    );
    assert_eq!(shown.map(Shown::dialect), Some(Dialect::Twilio));
}

#[test]
fn twilio_start_example() {
    let text = r#"{
  "event": "start",
  "sequenceNumber": "1",
  "start": {
    "accountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "callSid": "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "tracks": [ "inbound" ],
    "mediaFormat": { "encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1 },
    "customParameters": { "FirstName": "Jane", "LastName": "Doe", "RemoteParty": "Bob" }
  },
  "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
}"#;
    let (message, shown) = read(text, None, Sender::Platform).unwrap();
    assert_eq!(shown.map(Shown::dialect), Some(Dialect::Twilio));
    let Message::Start(start) = message else {
        panic!("{message:?}")
    };
    assert_eq!(start.stream_id, SID);
    assert_eq!(
        start.call_id.as_deref(),
        Some("CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX")
    );
    assert_eq!(
        start.account_id.as_deref(),
        Some("ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX")
    );
    assert_eq!(start.sequence_number, Some(1));
    assert_eq!(start.tracks, vec![Track::Inbound]);
    assert_eq!(start.media_format, MediaFormat::TWILIO);
    let params = wire::parse_extra_headers(start.extra_headers.as_deref().unwrap());
    assert_eq!(params[0], ("FirstName".to_owned(), "Jane".to_owned()));
    assert_eq!(params.len(), 3);
}

#[test]
fn twilio_media_example_has_string_counters() {
    let text = r#"{
  "event": "media",
  "sequenceNumber": "3",
  "media": { "track": "outbound", "chunk": "1", "timestamp": "5", "payload": "no+JhoaJjpzSHxAKBgYJDhtEopGKh4aIjZm7JhILBwYIDRg1qZSLh4aIi5exLBYMCAYHCxQsrJeMiIaHipWqMRkNCAYHChEnr5qNiYaHiZKlOB4PCQYGCQ8hvJ2PioaHiZCfRSMSCgcGCA0cS6KRi4eGiI6bxCkUCwcGCAwZO6aUjIeGiI2YtS4XDQgGBwsVL66XjYiGh4qUrDQbDgkHBwoSJbSbjomHh4mRojwfEAoHBgkOH0qejomGh4mQnUsmEgsHBggNG0+lkYuHhoiOmsAqFQwIBggMFzSolIyIh4eLlq8vGA0JBgcLFCyvmI2Jh4eKk6k3Gw8JBwcKESe3m46KhoeJkaE+IBEKBwcJDh5F" },
  "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
}"#;
    let Message::Media(media) = twilio(text) else {
        panic!()
    };
    assert_eq!(
        (
            media.sequence_number,
            media.track,
            media.chunk,
            media.timestamp_ms
        ),
        (Some(3), Track::Outbound, Some(1), Some(5))
    );
    assert_eq!(media.stream_id.as_deref(), Some(SID));
    assert_eq!(media.extra_headers, None);
}

#[test]
fn twilio_stop_dtmf_and_mark_examples() {
    let stop = r#"{"event": "stop", "sequenceNumber": "5",
      "stop": {"accountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "callSid": "CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"},
      "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"}"#;
    assert_eq!(
        twilio(stop),
        Message::Stop(Stop {
            stream_id: Some(SID.into()),
            sequence_number: Some(5)
        })
    );
    let dtmf = r#"{"event": "dtmf", "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "sequenceNumber": "5",
      "dtmf": {"track": "inbound_track", "digit": "1"}}"#;
    assert_eq!(
        twilio(dtmf),
        Message::Dtmf(Dtmf {
            sequence_number: Some(5),
            stream_id: Some(SID.into()),
            track: Track::Inbound,
            digit: "1".into(),
            timestamp_ms: None,
        })
    );
    let mark = r#"{"event": "mark", "sequenceNumber": "4", "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
      "mark": {"name": "my label"}}"#;
    assert_eq!(
        twilio(mark),
        Message::PlayedStream(PlayedStream {
            name: "my label".into(),
            stream_id: Some(SID.into()),
            sequence_number: Some(4),
        })
    );
}

#[test]
fn twilio_app_messages_examples() {
    let media = r#"{"event": "media", "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "media": {"payload": "a3242sa"}}"#;
    let options = ParseOptions {
        dialect: Some(Dialect::Twilio),
        sender: Sender::App,
        check_payload: false,
        ..ParseOptions::default()
    };
    assert_eq!(
        parse(media, &options).unwrap(),
        Message::PlayAudio(PlayAudio {
            stream_id: Some(SID.into()),
            media_format: MediaFormat::TWILIO,
            payload: Cow::Borrowed("a3242sa"),
        })
    );
    let mark = r#"{"event": "mark", "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "mark": {"name": "my label"}}"#;
    assert_eq!(
        twilio_from_app(mark),
        Message::Checkpoint(Checkpoint {
            stream_id: SID.into(),
            name: "my label".into()
        })
    );
    let clear = r#"{"event": "clear", "streamSid": "MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"}"#;
    assert_eq!(
        twilio_from_app(clear),
        Message::ClearAudio(ClearAudio {
            stream_id: SID.into()
        })
    );
}

#[test]
fn twilio_errors_name_twilio_fields() {
    let check = |text: &str, expected: &str| {
        let error = read(text, Some(Dialect::Twilio), Sender::App).unwrap_err();
        assert_eq!(error.to_string(), expected, "{text}");
    };
    check(r#"{"event":"mark","streamSid":"s"}"#, "mark: missing");
    check(
        r#"{"event":"mark","streamSid":"s","mark":{}}"#,
        "mark.name: missing",
    );
    check(
        r#"{"event":"mark","mark":{"name":"x"}}"#,
        "mark.streamSid: missing",
    );
    check(r#"{"event":"clear"}"#, "clear.streamSid: missing");
    check(
        r#"{"event":"mark","streamSid":"s","mark":{"name":7}}"#,
        "mark.name: expected a string, found a number",
    );
    check(
        r#"{"event":"start","start":{"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000}}}"#,
        "start.streamSid: missing",
    );
    check(
        r#"{"event":"start","streamSid":"s","start":{"streamSid":"s","customParameters":"a=b","mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000}}}"#,
        "start.customParameters: expected an object",
    );
}

#[test]
fn a_message_of_the_other_dialect_is_refused_naming_both() {
    let cases = [
        (
            Dialect::Vobiz,
            r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#,
            "event \"connected\": a Twilio message, but the stream speaks Vobiz",
        ),
        (
            Dialect::Plivo,
            r#"{"event":"mark","streamSid":"s","mark":{"name":"x"}}"#,
            "event \"mark\": a Twilio message, but the stream speaks Plivo",
        ),
        (
            Dialect::Vobiz,
            r#"{"event":"media","streamSid":"s","media":{"payload":""}}"#,
            "streamSid: a Twilio message, but the stream speaks Vobiz",
        ),
        (
            Dialect::Twilio,
            r#"{"event":"playedStream","name":"x"}"#,
            "event \"playedStream\": a Vobiz/Plivo message, but the stream speaks Twilio",
        ),
        (
            Dialect::Twilio,
            r#"{"event":"start","start":{"streamId":"s","mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000}}}"#,
            "start.streamId: a Vobiz/Plivo message, but the stream speaks Twilio",
        ),
    ];
    for (dialect, text, expected) in cases {
        let error = read(text, Some(dialect), Sender::Platform).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::WrongDialect, "{text}");
        assert_eq!(error.to_string(), expected, "{text}");
    }
    let mixed = r#"{"event":"stop","streamSid":"a","streamId":"b"}"#;
    let error = read(mixed, None, Sender::Platform).unwrap_err();
    assert_eq!(
        error.to_string(),
        "message mixes Twilio (streamSid) and Vobiz/Plivo (streamId) fields"
    );
    // A message either dialect sends shows none and is read in the one given.
    let (stop, shown) = read(r#"{"event":"stop"}"#, Some(Dialect::Twilio), Sender::App).unwrap();
    assert_eq!(
        (stop, shown),
        (
            Message::Stop(Stop {
                stream_id: None,
                sequence_number: None
            }),
            None
        )
    );
}

#[test]
fn plivo_examples() {
    let start = r#"{
  "event": "start",
  "sequenceNumber": 1,
  "start": {
    "callId": "12345678-1234-1234-1234-123456789abc",
    "streamId": "87654321-4321-4321-4321-cba987654321",
    "accountId": "MAXXXXXXXXXXXXXXXXXX",
    "tracks": ["inbound"],
    "mediaFormat": { "encoding": "audio/x-mulaw", "sampleRate": 8000 }
  },
  "extra_headers": "userId=12345;sessionId=abc-xyz"
}"#;
    let (message, shown) = read(start, Some(Dialect::Plivo), Sender::Platform).unwrap();
    assert_eq!(shown.map(|s| s.twilio), Some(false));
    let Message::Start(start) = message else {
        panic!()
    };
    assert_eq!(start.sequence_number, Some(1));
    assert_eq!(
        wire::parse_extra_headers(start.extra_headers.as_deref().unwrap()),
        vec![
            ("userId".to_owned(), "12345".to_owned()),
            ("sessionId".to_owned(), "abc-xyz".to_owned())
        ]
    );
    let send = r#"{"event": "sendDTMF", "dtmf": "1234#"}"#;
    assert_eq!(
        read(send, Some(Dialect::Plivo), Sender::App).unwrap().0,
        Message::SendDtmf(SendDtmf {
            stream_id: None,
            digits: "1234#".into()
        })
    );
    let error = read(r#"{"event":"sendDTMF"}"#, None, Sender::App).unwrap_err();
    assert_eq!(error.to_string(), "sendDTMF.dtmf: missing");
    let shapes = [
        (
            r#"{"event":"sendDTMF","dtmf":{"digit":"1"}}"#,
            "sendDTMF.dtmf: expected a string, found an object",
        ),
        (
            r#"{"event":"dtmf","dtmf":"1"}"#,
            "dtmf: expected an object, found a string",
        ),
    ];
    for (text, expected) in shapes {
        let error = read(text, None, Sender::App).unwrap_err();
        assert_eq!(
            (error.to_string().as_str(), error.kind()),
            (expected, ErrorKind::WrongType)
        );
    }
}

#[test]
fn twilio_builders_write_the_documented_shapes() {
    let mut out = String::new();
    wire::write_connected(&mut out);
    assert_eq!(
        json_of(&out),
        json!({"event": "connected", "protocol": "Call", "version": "1.0.0"})
    );

    out.clear();
    wire::write_start(
        &mut out,
        &StartFields {
            dialect: Dialect::Twilio,
            sequence_number: 1,
            stream_id: SID,
            call_id: "CA1",
            account_id: "AC1",
            tracks: &[Track::Inbound],
            media_format: MediaFormat::TWILIO,
            extra_headers: "FirstName=Jane;LastName=Doe",
        },
    );
    assert_eq!(
        json_of(&out),
        json!({"event": "start", "sequenceNumber": "1", "streamSid": SID,
               "start": {"accountSid": "AC1", "streamSid": SID, "callSid": "CA1",
                         "tracks": ["inbound"],
                         "customParameters": {"FirstName": "Jane", "LastName": "Doe"},
                         "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000,
                                         "channels": 1}}})
    );

    out.clear();
    let fields = MediaFields {
        dialect: Dialect::Twilio,
        sequence_number: 3,
        stream_id: SID,
        track: Track::Inbound,
        timestamp_ms: 5,
        chunk: 1,
        extra_headers: "ignored",
    };
    wire::write_media(&mut out, &fields, |o| o.push_str("AAAA"));
    assert_eq!(
        json_of(&out),
        json!({"event": "media", "sequenceNumber": "3", "streamSid": SID,
               "media": {"track": "inbound", "chunk": "1", "timestamp": "5", "payload": "AAAA"}})
    );

    let built = |write: &dyn Fn(&mut String)| {
        let mut out = String::new();
        write(&mut out);
        json_of(&out)
    };
    let t = Dialect::Twilio;
    let ulaw = MediaFormat::TWILIO;
    assert_eq!(
        built(&|o| wire::write_play_audio(o, t, SID, &ulaw, |o| o.push_str("AAAA"))),
        json!({"event": "media", "streamSid": SID, "media": {"payload": "AAAA"}})
    );
    assert_eq!(
        built(&|o| wire::write_checkpoint(o, t, SID, "my label")),
        json!({"event": "mark", "streamSid": SID, "mark": {"name": "my label"}})
    );
    assert_eq!(
        built(&|o| wire::write_clear_audio(o, t, SID)),
        json!({"event": "clear", "streamSid": SID})
    );
    assert_eq!(
        built(&|o| wire::write_played_stream(o, t, "my label", Some(SID), Some(4))),
        json!({"event": "mark", "sequenceNumber": "4", "streamSid": SID, "mark": {"name": "my label"}})
    );
    assert_eq!(
        built(&|o| wire::write_dtmf(o, t, 5, SID, Track::Inbound, "1", 0)),
        json!({"event": "dtmf", "sequenceNumber": "5", "streamSid": SID,
               "dtmf": {"track": "inbound_track", "digit": "1"}})
    );
    assert_eq!(
        built(&|o| wire::write_send_dtmf(o, "1234#")),
        json!({"event": "sendDTMF", "dtmf": "1234#"})
    );
}

#[test]
fn twilio_app_audio_is_mulaw_8k_only() {
    assert!(wire::check_app_audio_format(&MediaFormat::TWILIO, Dialect::Twilio).is_ok());
    let l16 = MediaFormat {
        encoding: Encoding::L16,
        ..MediaFormat::TWILIO
    };
    let error = wire::check_app_audio_format(&l16, Dialect::Twilio).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BadEncoding);
    assert!(error
        .to_string()
        .contains("Twilio's media carries audio/x-mulaw at 8000 Hz only"));
    assert!(wire::check_app_audio_format(&l16, Dialect::Plivo).is_ok());
}
