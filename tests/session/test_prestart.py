"""What a stream keeps before start: the platform's media, bounded in count and bytes, and
the app's audio, encoded once by the encoder that later sends it."""

from __future__ import annotations

import base64
import json
import sys

import numpy as np
import pytest

import audiofork as af
from audiofork import OutboundEncoder, StreamSession
from audiofork.session import MAX_EARLY_MEDIA, MAX_EARLY_MEDIA_BYTES
from audiofork.session._outbox import Outbox
from audiofork.session._playback import Playback
from audiofork.session._prestart import PreStart
from support.scripted_platform import STREAM_ID, l16, media_message, start_message, tone

L16_16K = af.MediaFormat("audio/x-l16", 16000)


def media_of_bytes(size: int, sequence: int) -> str:
    """A media message of about ``size`` bytes in memory."""
    frame = media_message("", sequence)
    payload = "A" * ((size - sys.getsizeof(frame)) // 4 * 4)
    return media_message(payload, sequence)


def outbox() -> Outbox:
    def clock() -> float:
        return 0.0

    return Outbox(Playback(clock), 20, clock)


# --- the platform's media --------------------------------------------------------------


def test_media_is_held_in_order_up_to_a_count() -> None:
    prestart = PreStart(None, 20)
    for i in range(MAX_EARLY_MEDIA + 3):
        prestart.hold_media(media_message(l16(tone(20)), i + 1))
    assert len(prestart.media) == MAX_EARLY_MEDIA and prestart.media_dropped == 3
    assert json.loads(prestart.media[0])["sequenceNumber"] == 4
    assert prestart.media_bytes == sum(sys.getsizeof(m) for m in prestart.media)


def test_media_is_held_up_to_a_size_in_bytes_dropping_the_oldest() -> None:
    prestart = PreStart(None, 20)
    quarter = MAX_EARLY_MEDIA_BYTES // 4
    for i in range(6):
        prestart.hold_media(media_of_bytes(quarter, i + 1))
        assert prestart.media_bytes == sum(sys.getsizeof(m) for m in prestart.media)
        assert prestart.media_bytes <= MAX_EARLY_MEDIA_BYTES
    assert [json.loads(m)["sequenceNumber"] for m in prestart.media] == [3, 4, 5, 6]
    assert prestart.media_dropped == 2


def test_a_message_larger_than_the_whole_bound_is_dropped_alone() -> None:
    prestart = PreStart(None, 20)
    prestart.hold_media(media_message(l16(tone(20)), 1))
    prestart.hold_media(media_of_bytes(MAX_EARLY_MEDIA_BYTES + 1024, 2))
    assert [json.loads(m)["sequenceNumber"] for m in prestart.media] == [1]
    assert prestart.media_dropped == 1


def test_bytes_messages_count_by_their_size_too() -> None:
    prestart = PreStart(None, 20)
    message = media_message(l16(tone(20)), 1).encode()
    prestart.hold_media(message)
    assert prestart.media_bytes == sys.getsizeof(message)


def test_held_media_decodes_in_order_and_undecodable_frames_are_dropped() -> None:
    prestart = PreStart(None, 20)
    prestart.hold_media(media_message(l16(tone(20)), 1))
    prestart.hold_media(media_message("AAEC", 2))  # three bytes: not L16
    prestart.hold_media(media_message(l16(tone(20)), 3))
    decoded = prestart.decode_media(af.InboundDecoder(L16_16K, 16000))
    assert [m.sequence_number for m in decoded] == [1, 3]
    assert prestart.media_dropped == 1
    assert not prestart.media and prestart.media_bytes == 0


def test_a_session_keeps_media_before_start_within_the_byte_bound() -> None:
    session = StreamSession()
    frames = [media_message(l16(tone(8000, hz=200 + i)), i + 1) for i in range(6)]  # 340 kB
    for frame in frames:
        session.receive(frame)
    events = session.receive(start_message())
    media = [e for e in events if isinstance(e, af.Media)]
    kept = MAX_EARLY_MEDIA_BYTES // sys.getsizeof(frames[0])
    assert kept == 3
    assert [m.sequence_number for m in media] == list(range(7 - kept, 7))
    assert session.stats["early_media_dropped"] == 6 - kept


# --- the app's audio -----------------------------------------------------------------------


def test_an_encoder_without_a_stream_id_holds_whole_frames_until_addressed() -> None:
    encoder = OutboundEncoder(L16_16K, None)
    assert encoder.stream_id is None
    assert encoder.push(tone(50), 16000) == [] and encoder.held_frames == 2
    assert encoder.pending_ms == 50.0
    frames = encoder.address("s-1")
    assert len(frames) == 2 and encoder.held_frames == 0 and encoder.stream_id == "s-1"
    assert all(json.loads(f)["streamId"] == "s-1" for f in frames)
    assert len(encoder.push(tone(30), 16000)) == 2  # addressed: frames leave when whole


def test_audio_and_checkpoints_are_counted_at_once_and_sent_in_order_at_start() -> None:
    encoder = OutboundEncoder(L16_16K, None)
    prestart = PreStart(encoder, 20)
    prestart.play(tone(30), 16000)
    assert (prestart.queued_ms, prestart.playable_ms) == (30.0, 20.0)
    assert prestart.checkpoint("first") == 40.0  # the partial frame, padded
    prestart.play(tone(45), 16000)
    prestart.flush()
    assert prestart.checkpoint("second") == 100.0
    box = outbox()
    assert prestart.begin(STREAM_ID, box) is encoder  # one encoder, now addressed
    events = [json.loads(text) for text in box.messages]
    assert [m["event"] for m in events] == ["playAudio"] * 2 + ["checkpoint"] + [
        "playAudio"
    ] * 3 + ["checkpoint"]
    assert [m["name"] for m in events if m["event"] == "checkpoint"] == ["first", "second"]
    assert all(m["streamId"] == STREAM_ID for m in events)
    assert box.frames == 5 and prestart.encoder is None and prestart.queued_ms == 0.0


def test_audio_kept_before_start_is_the_audio_an_addressed_encoder_sends() -> None:
    speech = tone(300, rate=24000)
    early = PreStart(OutboundEncoder(L16_16K, None), 20)
    direct = OutboundEncoder(L16_16K, STREAM_ID)
    sent = []
    for chunk in np.array_split(speech, 7):
        early.play(chunk, 24000)
        sent += direct.push(chunk, 24000)
    box = outbox()
    early.begin(STREAM_ID, box)
    assert box.messages == sent


def test_a_name_the_message_cannot_carry_is_refused_before_anything_is_kept() -> None:
    prestart = PreStart(OutboundEncoder(L16_16K, None), 20)
    prestart.play(tone(30), 16000)
    with pytest.raises(af.ArgumentError, match="name"):
        prestart.checkpoint("\udcff")
    assert (prestart.queued_ms, prestart.playable_ms) == (30.0, 20.0)
    box = outbox()
    prestart.begin(STREAM_ID, box)
    assert [json.loads(t)["event"] for t in box.messages] == ["playAudio"]


def test_clear_drops_the_audio_and_checkpoints_kept() -> None:
    prestart = PreStart(OutboundEncoder(L16_16K, None), 20)
    prestart.play(tone(30), 16000)
    prestart.checkpoint("gone")
    prestart.play(tone(5), 16000)
    assert prestart.clear() == 45.0
    assert prestart.queued_ms == 0.0
    box = outbox()
    prestart.begin(STREAM_ID, box)
    assert box.messages == []


def test_without_a_format_nothing_is_kept_and_start_hands_over_no_encoder() -> None:
    prestart = PreStart(None, 20)
    assert (prestart.queued_ms, prestart.playable_ms, prestart.clear()) == (0.0, 0.0, 0.0)
    box = outbox()
    assert prestart.begin(STREAM_ID, box) is None and box.messages == []


def test_discard_forgets_everything() -> None:
    prestart = PreStart(OutboundEncoder(L16_16K, None), 20)
    prestart.hold_media(media_message(l16(tone(20)), 1))
    prestart.play(tone(30), 16000)
    prestart.discard()
    assert prestart.encoder is None and not prestart.media and prestart.media_bytes == 0
    assert prestart.queued_ms == 0.0


def test_a_session_encodes_audio_played_before_start_once() -> None:
    session = StreamSession(playback_format=L16_16K)
    early = session._prestart.encoder
    assert early is not None
    session.play(tone(100), 16000)
    session.receive(start_message())
    assert session._encoder is early
    assert early.stats["frames_emitted"] == 5
    payloads = [json.loads(t)["media"]["payload"] for t in session.data_to_send()]
    audio = np.frombuffer(b"".join(base64.b64decode(p) for p in payloads), "<i2")
    np.testing.assert_array_equal(audio, tone(100))
