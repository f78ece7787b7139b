"""The ``audiofork simulate`` and ``audiofork inspect`` commands: their options, the live
progress line, and the outputs. Exit status: 0 when every call and gate passed, 1 when the
app misbehaved or a gate failed, 2 for a bad option, scenario or baseline."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from audiofork.dialects import Dialect
from audiofork.errors import AudioforkError, ValidationError
from audiofork.simulate.api import gates_from, load_audio, resolve_scenario
from audiofork.simulate.impairment import Impairment, parse_burst
from audiofork.simulate.placement import AnswerUrl
from audiofork.simulate.runner import (
    DEFAULT_CONTENT_TYPE,
    TWILIO_CONTENT_TYPE,
    CallOptions,
    CallResult,
)
from audiofork.simulate.scenario import BUNDLED
from audiofork.simulate.timeline import describe

__all__ = ["add_commands", "run_inspect", "run_simulate"]

#: Real seconds between progress lines when stderr is not a terminal.
PROGRESS_EVERY_S = 5.0


def _number(name: str, low: float, high: float) -> Any:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{name} must be a number from {low:g} to {high:g}")
        return value

    return parse


def _count(name: str, high: int) -> Any:
    def parse(text: str) -> int:
        if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"{name} must be an integer from 1 to {high}")
        return int(text)

    return parse


def _seed(text: str) -> int:
    if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 20:
        raise argparse.ArgumentTypeError(f"seed must be an integer, got {text!r:.40}")
    return int(text)


def _burst(text: str) -> tuple[float, float]:
    try:
        return parse_burst(text)
    except AudioforkError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _headers(text: str) -> dict[str, str]:
    pairs = [item.partition("=") for item in text.split(",") if item]
    if any(not sep or not key for key, sep, _ in pairs):
        raise argparse.ArgumentTypeError(f"extra headers must be k=v,k2=v2, got {text!r:.80}")
    return {key: value for key, _, value in pairs}


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``simulate`` and ``inspect``."""
    sim = commands.add_parser(
        "simulate",
        help="call a voice app's WebSocket as the platform would, with a scripted caller",
        description="Drive URL (the app's stream WebSocket) as the platform: stream the "
        "caller's audio or a scenario, play the app's audio with checkpoints and clears, "
        "measure latency, barge-in and playout, and exit non-zero when the app misbehaves or "
        "a gate fails.",
    )
    sim.add_argument("url", nargs="?", help="the app's WebSocket URL, e.g. ws://127.0.0.1:8765/ws")
    sim.add_argument(
        "--answer-url",
        help="instead of URL: place each call through an in-process emulator, which asks "
        "this answer URL for its XML, runs it and sends its status callbacks; the simulated "
        "caller is on the stream the XML starts",
    )
    sim.add_argument("--answer-method", choices=("POST", "GET"), default="POST")
    sim.add_argument(
        "--auth-token",
        help="--answer-url: sign the answer request and the status callbacks with this token",
    )
    sim.add_argument(
        "--dialect",
        choices=[d.value for d in Dialect],
        default=Dialect.VOBIZ.value,
        help="the platform's message shapes (vobiz); twilio carries "
        f"{TWILIO_CONTENT_TYPE} only, and its answer URL returns TwiML",
    )
    sim.add_argument(
        "--scenario",
        help=f"a TOML scenario file, or a bundled one: {', '.join(BUNDLED)} (default: say the "
        "audio, listen 2 s, hang up)",
    )
    sim.add_argument("--audio", type=Path, help="the caller's audio, a mono 16-bit WAV (speech)")
    sim.add_argument(
        "--content-type",
        help=f"the stream's format ({DEFAULT_CONTENT_TYPE}; not with --answer-url)",
    )
    sim.add_argument(
        "--track",
        choices=("inbound", "both"),
        help="inbound (default) or both; not with --answer-url",
    )
    sim.add_argument("--extra-headers", type=_headers, help="k=v,k2=v2; not with --answer-url")
    sim.add_argument(
        "--speed", type=_number("speed", 0.01, 100), default=1.0, help="call time per real time"
    )
    sim.add_argument(
        "--duration",
        type=_number("duration", 0.02, 86400),
        help="call time in seconds: without a scenario the call lasts this long; with one, "
        "the platform ends the call at this limit (600)",
    )
    sim.add_argument("--record", type=Path, metavar="OUT_DIR", help="caller/played/stereo WAVs")
    sim.add_argument("--calls", type=_count("calls", 10_000), default=1, help="concurrent calls")
    sim.add_argument("--repeat", type=_count("repeat", 100_000), default=1, help="rounds of calls")
    sim.add_argument("--seed", type=_seed, default=0, help="the impairment's seed (0)")
    sim.add_argument("--loss", type=_number("loss", 0, 0.99), default=0.0, help="frame loss")
    sim.add_argument("--jitter-ms", type=_number("jitter", 0, 10_000), default=0.0)
    sim.add_argument("--burst", type=_burst, metavar="STALL_MS:EVERY_S", help="stalls, e.g. 400:5")
    for gate in ("first-audio", "response", "barge-in", "gap"):
        sim.add_argument(f"--max-{gate}-ms", type=_number(gate, 0, 3_600_000), metavar="MS")
    sim.add_argument("--json", type=Path, metavar="OUT", help="write the report as JSON")
    sim.add_argument("--junit", type=Path, metavar="OUT.xml", help="write a JUnit report")
    sim.add_argument("--trace", type=Path, metavar="OUT.jsonl", help="write the event trace")
    sim.add_argument(
        "--trace-payloads", action="store_true", help="--trace: the audio too, not only hashes"
    )
    sim.add_argument("--baseline", type=Path, help="compare with a saved --json report")
    sim.add_argument(
        "--connect-timeout",
        type=_number("connect timeout", 0.1, 600),
        default=10.0,
        help="real seconds for the WebSocket upgrade (10)",
    )
    sim.add_argument("-v", "--verbose", action="store_true", help="print the event log")
    sim.add_argument("-q", "--quiet", action="store_true", help="no progress line")

    ins = commands.add_parser(
        "inspect",
        help="a simulate trace as a timeline and a PNG",
        description="Print the timeline of a trace written by audiofork simulate --trace, "
        "and draw the caller's and the played audio with checkpoints, clears, keys and the "
        "gates (needs the plot extra: pip install 'audiofork[plot]').",
    )
    ins.add_argument("trace", type=Path)
    ins.add_argument("--png", type=Path, help="where to draw (default: TRACE with .png)")
    ins.add_argument("--call", type=_count("call", 10**9), help="which call (the first)")
    ins.add_argument("--no-png", action="store_true", help="the timeline only")


class _Progress:
    """The live progress line (stderr) and, with ``-v``, the event log (stdout)."""

    def __init__(self, total: int, out: TextIO, err: TextIO, verbose: bool, quiet: bool) -> None:
        self.total, self.out, self.err = total, out, err
        self.verbose, self.quiet = verbose, quiet
        self.calls: list[CallResult] = []
        self.tty = err.isatty()
        self.last = 0.0
        self.started = time.monotonic()

    def on_call(self, result: CallResult) -> None:
        self.calls.append(result)
        if self.verbose:
            tag = f"[call {result.call}] " if self.total > 1 else ""

            def show(event: Any) -> None:
                text = describe(event.kind, event.data)
                if text is not None:
                    print(f"{tag}{event.t_ms:9.1f} ms  {text}", file=self.out, flush=True)

            result.log.listeners.append(show)

    def line(self) -> str:
        """``calls D/N done, L live, F failing; T s``, and the furthest live call time."""
        live = [c for c in self.calls if not c.ended]
        done = len(self.calls) - len(live)
        failed = sum(1 for c in self.calls if c.failures)
        reached = max((c.log.events[-1].t_ms for c in live if c.log.events), default=None)
        return (
            f"calls {done}/{self.total} done, {len(live)} live, {failed} failing; "
            f"{time.monotonic() - self.started:.1f} s"
            + ("" if reached is None else f", call time {reached / 1000:.1f} s")
        )

    async def run(self) -> None:
        if self.quiet:
            return
        every = 0.25 if self.tty else PROGRESS_EVERY_S
        while True:
            await asyncio.sleep(every)
            self.show()

    def show(self, final: bool = False) -> None:
        if self.quiet:
            return
        if self.tty:
            print(f"\r{self.line():79}", end="\n" if final else "", file=self.err, flush=True)
        else:
            print(self.line(), file=self.err, flush=True)


def run_simulate(
    args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run ``audiofork simulate``; its exit status. ``out`` and ``err`` default to the
    streams of the moment (``sys.stdout``, ``sys.stderr``)."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    from audiofork.simulate.baseline import check_comparable, compare, load_baseline
    from audiofork.simulate.batch import run_description

    if (args.url is None) == (args.answer_url is None):
        print("audiofork simulate: give the app's WebSocket URL or --answer-url", file=err)
        return 2
    stream_options = {"--content-type": args.content_type, "--track": args.track}
    stream_options["--extra-headers"] = args.extra_headers
    given = [name for name, value in stream_options.items() if value is not None]
    if args.answer_url is not None and given:
        print(
            f"audiofork simulate: {', '.join(given)}: with --answer-url the app's <Stream> "
            "sets the stream's format, tracks and extra headers",
            file=err,
        )
        return 2
    try:
        audio = load_audio(args.audio)
        duration = args.duration if args.scenario is None else None
        scenario = resolve_scenario(args.scenario, audio, duration)
        impairment = Impairment(args.loss, args.jitter_ms, args.burst)
        gates = gates_from(
            {
                "first_audio": args.max_first_audio_ms,
                "response": args.max_response_ms,
                "barge_in": args.max_barge_in_ms,
                "gap": args.max_gap_ms,
            }
        )
        _check_outputs(args)
        answer = None
        if args.answer_url is not None:
            answer = AnswerUrl(args.answer_url, args.answer_method, args.auth_token)
        baseline = load_baseline(args.baseline) if args.baseline is not None else None
        options = CallOptions(
            url=args.url or args.answer_url,
            scenario=scenario,
            content_type=args.content_type or DEFAULT_CONTENT_TYPE,
            tracks=("inbound", "outbound") if args.track == "both" else ("inbound",),
            extra_headers=args.extra_headers or {},
            speed=args.speed,
            max_call_s=_call_limit(args, audio.seconds),
            impairment=impairment,
            seed=args.seed,
            connect_timeout_s=args.connect_timeout,
            record=args.record is not None,
            trace_payloads=args.trace_payloads,
            dialect=args.dialect,
        )
    except (AudioforkError, ValueError) as exc:
        print(f"audiofork simulate: {exc}", file=err)
        return 2
    if answer is not None:
        print(
            f"answer URL {answer.url}: each call placed through the emulator "
            f"({args.dialect} dialect)",
            file=out,
        )
    if baseline is not None:
        run = run_description(options, audio, args.calls, args.repeat, answer)
        try:
            check_comparable(run, baseline)
        except ValidationError as exc:
            print(f"audiofork simulate: {exc}", file=err)
            return 2
    report = asyncio.run(_simulate(options, audio, args, gates, answer, out, err))
    if baseline is not None:
        try:
            figures = {k: v.to_json() for k, v in report.figures().items()}
            report.baseline = compare(report.run, figures, baseline)
        except ValidationError as exc:  # checked before the run: not expected
            print(f"audiofork simulate: {exc}", file=err)
            return 2
    _write_outputs(report, args, out)
    print(report.text(), file=out)
    return 0 if report.passed else 1


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse output paths that cannot be written before any call is placed (a run's
    report is not lost to a typo): files need an existing directory, ``--record`` a
    directory or a path where one can be made."""
    for option in ("json", "junit", "trace"):
        path: Path | None = getattr(args, option)
        if path is None:
            continue
        if path.is_dir():
            raise ValidationError(f"--{option} {path}: is a directory")
        parent = path.parent
        if not parent.exists():
            raise ValidationError(f"--{option} {path}: no directory {parent}")
        if not parent.is_dir():
            raise ValidationError(f"--{option} {path}: {parent} is not a directory")
    record: Path | None = args.record
    if record is not None:
        if record.exists() and not record.is_dir():
            raise ValidationError(f"--record {record}: not a directory")
        existing = next((p for p in record.parents if p.exists()), None)
        if existing is not None and not existing.is_dir():
            raise ValidationError(f"--record {record}: {existing} is not a directory")


def _call_limit(args: argparse.Namespace, audio_s: float) -> float:
    """The call time after which the platform ends a call: ``--duration`` for a scenario
    (600 s without it); a minute past the natural end of a run without one."""
    if args.scenario is not None:
        return float(args.duration or 600.0)
    return float(args.duration or audio_s + 2.0) + 60.0


async def _simulate(
    options: CallOptions,
    audio: Any,
    args: argparse.Namespace,
    gates: Any,
    answer: AnswerUrl | None,
    out: TextIO,
    err: TextIO,
) -> Any:
    from audiofork.simulate.batch import simulate

    progress = _Progress(args.calls * args.repeat, out, err, args.verbose, args.quiet)
    ticker = asyncio.ensure_future(progress.run())
    try:
        return await simulate(
            options,
            audio=audio,
            calls=args.calls,
            repeat=args.repeat,
            gates=gates,
            on_call=progress.on_call,
            answer=answer,
        )
    finally:
        ticker.cancel()
        progress.show(final=True)


def _write_outputs(report: Any, args: argparse.Namespace, out: TextIO) -> None:
    from audiofork.simulate.junit import junit_xml
    from audiofork.simulate.recording import write_recordings
    from audiofork.simulate.trace import write_trace

    if args.json is not None:
        args.json.write_text(json.dumps(report.to_json(), indent=1) + "\n", encoding="utf-8")
    if args.junit is not None:
        args.junit.write_text(junit_xml(report), encoding="utf-8")
    if args.trace is not None:
        write_trace(args.trace, report)
    if args.record is not None:
        for call in report.calls:
            where = write_recordings(args.record, call, len(report.calls) == 1)
        print(f"recordings: {args.record if len(report.calls) > 1 else where}", file=out)


def run_inspect(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run ``audiofork inspect``; its exit status."""
    out = sys.stdout if out is None else out
    from audiofork.simulate.inspector import inspect_trace

    try:
        return inspect_trace(
            args.trace,
            out,
            call=args.call,
            png=None if args.no_png else (args.png or args.trace.with_suffix(".png")),
        )
    except ValidationError as exc:
        print(f"audiofork inspect: {exc}", file=sys.stderr)
        return 2
