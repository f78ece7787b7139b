"""Run the whole emulator: one virtual clock, the exchange, and the HTTP server.

In a program or a test::

    async with Emulator(EmulatorConfig({"MA_TEST": "token"}, speed=20)) as emulator:
        ...  # emulator.url is "http://127.0.0.1:<port>"

From a shell, :func:`serve` runs it until SIGINT or SIGTERM (``audiofork emulator``).
Closing hangs up every call, waits for the streams to end and recordings to be written,
then for pending status callbacks (both bounded), and stops the server.

Besides the REST API (place calls, start and stop streams, read them back), a program that
runs the emulator in-process can watch its calls with :meth:`Emulator.call_info` and
:meth:`Emulator.call_ended`, read a stream's audio with :meth:`Emulator.captured_audio`,
act as the caller with :meth:`Emulator.send_dtmf`, :meth:`Emulator.speak`,
:meth:`Emulator.stop_speaking` and :meth:`Emulator.hangup` (what the ``/emulator/v1``
endpoints do, :mod:`audiofork.emulator.caller`), and give an app its :attr:`Emulator.clock`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import signal
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

from audiofork.dialects import Dialect
from audiofork.emulator import caller
from audiofork.emulator.app import make_app
from audiofork.emulator.audio import AudioSource
from audiofork.emulator.billing import Tariff
from audiofork.emulator.callbacks import CallbackSender
from audiofork.emulator.calls import Call, CallInfo
from audiofork.emulator.clock import VirtualClock
from audiofork.emulator.config import EmulatorConfig
from audiofork.emulator.console import Console
from audiofork.emulator.driver import DriverFactory
from audiofork.emulator.exchange import Exchange
from audiofork.emulator.forks import Fork
from audiofork.emulator.monitor import Monitors
from audiofork.emulator.services import Services
from audiofork.errors import ArgumentError, ValidationError
from audiofork.platform import DTMF_SPACING_MS, PcmInput, TalkMode

if TYPE_CHECKING:
    from typing import Self

    import numpy as np
    import numpy.typing as npt

__all__ = ["Emulator", "serve"]

_log = logging.getLogger("audiofork.emulator")

#: Real seconds allowed at shutdown for streams to end, then for callbacks to leave.
CLOSE_CALLS_S = 10.0
CLOSE_CALLBACKS_S = 5.0


class Emulator:
    """The Vobiz platform on one local port. :meth:`start`, then :meth:`close`.

    ``capture_audio`` keeps each stream's caller track and played audio in memory
    (:meth:`captured_audio`). ``stream_driver`` makes the driver of each stream the calls
    start (:mod:`audiofork.emulator.driver`), for a program that plays the platform's side
    of the media itself; the emulator keeps the answer URL, the XML, the status callbacks,
    billing and the hangups."""

    def __init__(
        self,
        config: EmulatorConfig,
        *,
        capture_audio: bool = False,
        stream_driver: DriverFactory | None = None,
    ) -> None:
        self.config = config
        self._capture_audio = capture_audio
        self._stream_driver = stream_driver
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._exchange: Exchange | None = None
        self._console: Console | None = None
        self.url = ""

    @property
    def exchange(self) -> Exchange:
        """The accounts and calls (after :meth:`start`)."""
        if self._exchange is None:
            raise RuntimeError("the emulator is not started")
        return self._exchange

    @property
    def clock(self) -> Callable[[], float]:
        """The emulator's clock: virtual seconds (monotonic), running ``speed`` times real
        time. An app in the same process that measures time against the platform (the
        heard-time estimates between checkpoints, ``pace_ms``) passes it as its session's
        ``clock``, e.g. ``AudioStream(ws, clock=emulator.clock)``."""
        return self.exchange.services.clock.now

    @property
    def caller_audio_s(self) -> float | None:
        """How long the caller's audio lasts, in seconds (``None``: it does not end)."""
        return self.exchange.services.caller.duration_s

    def _call(self, call_uuid: str) -> Call:
        call = self.exchange.calls.get(call_uuid)
        if call is None:
            raise ArgumentError(f"call_uuid {call_uuid!r} names no call of this emulator")
        return call

    def call_info(self, call_uuid: str) -> CallInfo:
        """A snapshot of a call (any account's) and its streams: status, hangup cause,
        duration, and each stream's status, counters and recordings. :class:`ArgumentError`
        for an id that names no call (or one already forgotten)."""
        return self._call(call_uuid).info()

    async def call_ended(self, call_uuid: str) -> CallInfo:
        """Wait until the call has hung up and its streams have closed; its last snapshot."""
        call = self._call(call_uuid)
        await call.finished()
        return call.info()

    def captured_audio(self, stream_id: str) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.int16]]:
        """A stream's caller track as forked and what the caller heard from the app, int16
        at the stream's rate on one timeline, when the emulator was made with
        ``capture_audio=True`` (else both are empty). :class:`ArgumentError` for an id that
        names no stream."""
        return self._fork(stream_id).captured_audio()

    def send_dtmf(
        self, call_uuid: str, digits: str, *, spacing_ms: int = DTMF_SPACING_MS
    ) -> tuple[str, ...]:
        """The caller presses ``digits`` (``0``-``9``, ``*``, ``#``, ``A``-``D``, at most 32):
        a ``dtmf`` message per key on every connected stream of the call that forks the
        caller's track, the first at once, each next ``spacing_ms`` later (whole frames).
        Returns those streams' ids. See :mod:`audiofork.emulator.caller` for the errors."""
        return caller.press_keys(self._call(call_uuid), digits, spacing_ms)

    def speak(
        self,
        call_uuid: str,
        audio: str | PcmInput = "speech",
        rate: int | None = None,
        *,
        seconds: float | None = None,
        mode: TalkMode = "replace",
    ) -> tuple[str, ...]:
        """The caller says ``audio`` from the next frame on (after what it was already
        given to say), on every live stream of the call that forks the caller's track:
        ``"speech"`` (the bundled sample), ``"tone"``, ``"tone:<Hz>"``, ``"silence"`` or a
        WAV path (cut to its first ``seconds``; a tone or silence needs ``seconds``), or
        PCM (int16/float32 array or int16 bytes) at ``rate`` Hz. ``mode="replace"`` says it
        instead of the caller audio, which runs on muted underneath; ``"mix"`` mixes it
        over. Returns the streams' ids."""
        pcm: PcmInput
        if isinstance(audio, str):
            if rate is not None:
                raise ArgumentError("rate is for PCM audio; a named clip has its own")
            pcm, rate = caller.clip_of(audio, seconds)
        else:
            if rate is None:
                raise ArgumentError("rate is required with PCM audio")
            if seconds is not None:
                raise ArgumentError("seconds is for a named clip; cut PCM yourself")
            pcm = audio
        return caller.talk(self._call(call_uuid), pcm, rate, mode).stream_ids

    def stop_speaking(self, call_uuid: str) -> tuple[str, ...]:
        """Drop what the caller was still to say (:meth:`speak`); the streams' ids."""
        return caller.stop_talking(self._call(call_uuid))

    def hangup(self, call_uuid: str) -> None:
        """The caller hangs up (idempotent): every stream gets ``stop``, then the call ends
        with the cause ``caller_hangup``; :meth:`call_ended` waits for the rest."""
        caller.hang_up(self._call(call_uuid))

    def login_link(self, account_id: str) -> str:
        """A link that signs ``account_id`` in to the console once (after :meth:`start`):
        opened in a browser, it sets a session cookie and shows the console at ``/``."""
        if self._console is None:
            raise RuntimeError("the emulator is not started")
        if account_id not in self.config.accounts:
            raise ArgumentError(f"account_id {account_id!r} is not an account of this emulator")
        return self._console.auth.login_link(self.url, account_id)

    def _fork(self, stream_id: str) -> Fork:
        for call in self.exchange.calls.values():
            fork = call.fork(stream_id)
            if fork is not None:
                return fork
        raise ArgumentError(f"stream_id {stream_id!r} names no stream of this emulator")

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (``0``: any free port); returns the base URL. If it
        cannot (the port is taken, say), what it had opened is closed before it raises."""
        if isinstance(port, bool) or not isinstance(port, int):
            raise TypeError(f"port must be an int, got {port!r}")
        if not 0 <= port <= 65535:
            raise ValidationError(f"port must be from 0 to 65535, got {port}")
        try:
            return await self._start(host, port)
        except BaseException:
            await self.close()
            raise

    async def _start(self, host: str, port: int) -> str:
        config = self.config
        self._http = aiohttp.ClientSession()
        monitors = Monitors()
        services = Services(
            clock=VirtualClock(config.speed),
            http=self._http,
            callbacks=CallbackSender(
                self._http, config.callback_retry, on_result=monitors.callback_result
            ),
            tariff=Tariff(config.rate_per_minute),
            caller=AudioSource.from_spec(config.caller_audio),
            callee=AudioSource.from_spec(config.callee_audio),
            record_dir=config.record_dir,
            hangup_grace_s=config.hangup_grace_s,
            answer_timeout_s=config.answer_timeout_s,
            capture_audio=self._capture_audio,
            dialect=Dialect(config.dialect),
            monitors=monitors,
            stream_driver=self._stream_driver,
        )
        self._exchange = Exchange(
            dict(config.accounts), services, max_ended_calls=config.max_ended_calls
        )
        self._console = Console(self._exchange)
        self._runner = web.AppRunner(make_app(self._exchange, self._console), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0]
        shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        self.url = f"http://{shown}:{bound[1]}"
        self._console.base_url = self.url
        _log.info(
            "emulator listening on %s (speed %g, accounts %s)",
            self.url,
            config.speed,
            ", ".join(config.accounts),
        )
        if not _loopback(bound[0]):
            _log.warning(
                "%s is reachable beyond this machine: the emulator serves plain HTTP, so "
                "auth tokens, stream URLs and audio cross the network unencrypted",
                self.url,
            )
        return self.url

    async def close(self) -> None:
        """Hang up every call, flush recordings and callbacks, stop serving (idempotent)."""
        if self._exchange is not None:
            await self._exchange.close(CLOSE_CALLS_S)
            await self._exchange.services.callbacks.flush(CLOSE_CALLBACKS_S)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.partition("%")[0]).is_loopback
    except ValueError:
        return False


async def serve(
    config: EmulatorConfig,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    ready: Callable[[str], None] | None = None,
    login_links: Callable[[dict[str, str]], None] | None = None,
) -> None:
    """Run an emulator until SIGINT or SIGTERM, then close it cleanly. ``ready`` is called
    with the base URL once it serves, ``login_links`` with a one-time console login link
    per account."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    emulator = Emulator(config)
    try:
        url = await emulator.start(host, port)
        if ready is not None:
            ready(url)
        if login_links is not None:
            login_links({account: emulator.login_link(account) for account in config.accounts})
        await stopping.wait()
        _log.info("shutting down: ending calls and flushing recordings")
    finally:
        await emulator.close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    _log.info("emulator stopped")
