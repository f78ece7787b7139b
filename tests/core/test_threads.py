"""Shared objects across threads: decoders, encoders and resamplers belong to one stream. A
second thread calling one while another thread's call is under way (the GIL released for large
work) gets ConcurrentUseError at once; nothing else goes wrong and nothing waits."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable

import numpy as np
import pytest

import audiofork as af
from audiofork import ConcurrentUseError, MediaFormat, wire

ULAW8K = MediaFormat("mulaw", 8000)
THREADS = 4
CALLS_PER_THREAD = 30
#: Each thread goes on past CALLS_PER_THREAD until some call has been refused, up to this
#: many calls: when the calls overlap is up to the scheduler, so the test keeps calling
#: (boundedly) until they have.
MAX_CALLS_PER_THREAD = 3000
SECONDS = np.zeros(8000 * 4, np.int16)  # 4 s at 8 kHz: large enough to release the GIL
SECONDS_48K = np.zeros(48000 * 4, np.int16)  # the encoder resamples it: a longer call


def _media() -> str:
    payload = base64.b64encode(af.ulaw_encode(SECONDS)).decode()
    return wire.media("s", payload, sequence_number=1, chunk=1, timestamp_ms=0)


def _resampler() -> Callable[[], int]:
    resampler = af.Resampler(8000, 48000)
    return lambda: len(resampler.process(SECONDS))


def _decoder() -> Callable[[], int]:
    decoder, text = af.InboundDecoder(ULAW8K, 48000), _media()

    def call() -> int:
        event = decoder.decode_message(text)
        assert isinstance(event, af.Media) and event.pcm is not None
        return len(event.pcm)

    return call


def _encoder() -> Callable[[], int]:
    encoder = af.OutboundEncoder(ULAW8K, "s")
    return lambda: len(encoder.push(SECONDS_48K, 48000))


@pytest.mark.parametrize(
    ("make", "expected"),
    [(_resampler, 6 * len(SECONDS)), (_decoder, 6 * len(SECONDS)), (_encoder, 200)],
    ids=["Resampler", "InboundDecoder", "OutboundEncoder"],
)
def test_a_shared_instance_refuses_a_second_thread(
    make: Callable[[], Callable[[], int]], expected: int
) -> None:
    call = make()
    start = threading.Barrier(THREADS)
    results: list[int] = []
    refusals: list[ConcurrentUseError] = []
    others: list[BaseException] = []

    def worker() -> None:
        start.wait(timeout=30)
        for calls in range(MAX_CALLS_PER_THREAD):
            if calls >= CALLS_PER_THREAD and refusals:
                break
            try:
                results.append(call())
            except ConcurrentUseError as error:
                refusals.append(error)
            except BaseException as error:  # recorded, and the test fails below
                others.append(error)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert others == []
    assert len(results) + len(refusals) >= THREADS * CALLS_PER_THREAD
    assert results and all(n == expected for n in results)
    assert refusals, "no call overlapped; the test did not exercise sharing"
    assert "not shareable between threads; use one per stream" in str(refusals[0])
    assert isinstance(refusals[0], RuntimeError)
    assert refusals[0].kind == "wrong_state"
