"""StreamSession's overhead per 20 ms frame over the bare pipelines it wraps, in one run.

Inbound: 3,000 μ-law/8 kHz ``media`` messages to int16 at 16 kHz, through
``StreamSession.receive`` against ``InboundDecoder.decode_message``. Outbound: 3,000 frames
of 24 kHz audio in 20 ms chunks to μ-law/8 kHz ``playAudio``, through ``StreamSession.play``
plus ``data_to_send`` against ``OutboundEncoder.push``. The summary's ratio is session time
over bare time; the difference of the two per-frame times is the session's cost.

With ``SESSION_BASELINE=<git revision>`` set, the ``StreamSession`` of that revision (its
single-module ``session.py`` and ``_playback.py``, loaded from a temporary directory) is
measured in the same run, to compare a change with what it replaces.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from audiofork import InboundDecoder, OutboundEncoder, StreamSession, wire
from bench_pipeline import FRAMES, MEDIA, TTS24K, ULAW8K, _frames

STREAM_ID = "c4dfd815-a92a-4140-ab85-5ff28c004116"  # the id of bench_pipeline's messages
START = wire.start(STREAM_ID, ULAW8K, call_id="5401fd2e-6344-40df-a22c-c8ffea7a92e7")
TTS_FRAMES = np.split(TTS24K, FRAMES)  # 20 ms each
BASELINE = os.environ.get("SESSION_BASELINE")
ROOT = Path(__file__).resolve().parents[1]


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _baseline_session(revision: str) -> Any:
    """``StreamSession`` as of ``revision``, loaded from a temporary directory."""

    def show(path: str) -> str:
        return subprocess.run(
            ["git", "show", f"{revision}:{path}"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    directory = Path(tempfile.mkdtemp(prefix="session-baseline-"))
    (directory / "baseline_playback.py").write_text(show("python/audiofork/_playback.py"))
    session = show("python/audiofork/session.py").replace(
        "from audiofork._playback import", "from baseline_playback import"
    )
    (directory / "baseline_session.py").write_text(session)
    _load(directory / "baseline_playback.py", "baseline_playback")
    return _load(directory / "baseline_session.py", "baseline_session").StreamSession


needs_baseline = pytest.mark.skipif(
    BASELINE is None, reason="set SESSION_BASELINE=<git revision> to measure its session too"
)


def _receive(session_class: Any) -> int:
    session = session_class(app_rate=16000)
    session.receive(START)
    return sum(len(session.receive(m)[0].pcm) for m in MEDIA)


def _play(session_class: Any) -> int:
    session = session_class(playback_format=ULAW8K)
    session.receive(START)
    count = 0
    for chunk in TTS_FRAMES:
        session.play(chunk, 24000)
        count += len(session.data_to_send())
    return count


def test_receive_audiofork_bare_decoder(benchmark):
    _frames(benchmark, "session receive(): media μ-law/8k -> int16/16k")

    def run() -> int:
        decoder = InboundDecoder(ULAW8K, 16000)
        return sum(len(decoder.decode_message(m).pcm) for m in MEDIA)

    assert benchmark(run) == FRAMES * 320


def test_receive_session(benchmark):
    _frames(benchmark, "session receive(): media μ-law/8k -> int16/16k")
    assert benchmark(_receive, StreamSession) == FRAMES * 320


@needs_baseline
def test_receive_session_baseline(benchmark):
    _frames(benchmark, "session receive(): media μ-law/8k -> int16/16k")
    assert BASELINE is not None
    assert benchmark(_receive, _baseline_session(BASELINE)) == FRAMES * 320


def test_play_audiofork_bare_encoder(benchmark):
    _frames(benchmark, "session play(): 20 ms of 24 kHz -> playAudio μ-law/8k")

    def run() -> int:
        encoder = OutboundEncoder(ULAW8K, STREAM_ID)
        return sum(len(encoder.push(chunk, 24000)) for chunk in TTS_FRAMES)

    assert benchmark(run) == FRAMES


def test_play_session(benchmark):
    _frames(benchmark, "session play(): 20 ms of 24 kHz -> playAudio μ-law/8k")
    assert benchmark(_play, StreamSession) == FRAMES


@needs_baseline
def test_play_session_baseline(benchmark):
    _frames(benchmark, "session play(): 20 ms of 24 kHz -> playAudio μ-law/8k")
    assert BASELINE is not None
    assert benchmark(_play, _baseline_session(BASELINE)) == FRAMES
