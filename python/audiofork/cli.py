"""The ``audiofork`` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from audiofork.errors import AudioforkError, ValidationError


def _require_emulator_extra(command: str) -> None:
    """Exit with the install line when a package of the emulator extra is missing: aiohttp,
    which the emulator runs on, or httpx, through which the demo reads its stream back."""
    try:
        import aiohttp  # noqa: F401
        import httpx  # noqa: F401
    except ImportError:
        sys.exit(f"audiofork {command} needs the emulator extra: pip install 'audiofork[emulator]'")


def _account(text: str) -> tuple[str, str]:
    _require_emulator_extra("emulator")
    from audiofork.emulator.config import parse_account

    try:
        return parse_account(text)
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"speed must be a number greater than 0, got {text!r}")
    return value


def _integer(name: str, text: str, low: int, high: int) -> int:
    """``text`` read by the package's one checked integer reader (ASCII digits, bounded)."""
    from audiofork.vobiz import _params

    try:
        return _params.integer(name, text, low, high)
    except ValidationError:
        raise argparse.ArgumentTypeError(
            f"{name} must be an integer from {low} to {high}, got {_params.shown(text)}"
        ) from None


def _port(text: str) -> int:
    return _integer("port", text, 0, 65535)


def _repeat(text: str) -> int:
    return _integer("repeat", text, 1, 1_000_000)


def _add_emulator(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    emulator = commands.add_parser(
        "emulator",
        help="run the Vobiz platform locally: REST API, calls, streams, callbacks, billing",
        description="Run the Vobiz platform on this machine for a voice app to talk to. "
        "Ctrl-C ends every call, writes the recordings and stops.",
    )
    emulator.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    emulator.add_argument("--port", type=_port, default=8080, help="port (8080; 0: any free)")
    emulator.add_argument(
        "--account",
        type=_account,
        action="append",
        required=True,
        metavar="AUTH_ID:AUTH_TOKEN",
        help="an account the API accepts (repeatable)",
    )
    emulator.add_argument(
        "--rate-per-minute", default="0.003", help="price of a minute of streaming (0.003)"
    )
    emulator.add_argument(
        "--record-dir", type=Path, help="write DIR/<call>/<stream>/caller.wav and played.wav"
    )
    emulator.add_argument(
        "--speed", type=_speed, default=1.0, help="virtual time per real second (1)"
    )
    emulator.add_argument(
        "--caller-audio",
        default="speech",
        help="what the caller says: speech (the bundled sample), silence, tone[:HZ] or a WAV path",
    )
    emulator.add_argument(
        "--callee-audio", default="silence", help="the callee (outbound) track, as --caller-audio"
    )


def _run_emulator(args: argparse.Namespace) -> int:
    _require_emulator_extra("emulator")
    from audiofork.emulator import EmulatorConfig, serve

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr
    )
    try:
        config = EmulatorConfig(
            dict(args.account),
            rate_per_minute=args.rate_per_minute,
            speed=args.speed,
            record_dir=args.record_dir,
            caller_audio=args.caller_audio,
            callee_audio=args.callee_audio,
        )

        def ready(url: str) -> None:
            print(
                f"audiofork emulator on {url} (status page {url}/, signed in as an account: "
                f"user AUTH_ID, password AUTH_TOKEN, e.g. curl -u AUTH_ID:AUTH_TOKEN {url}/; "
                "Ctrl-C stops)",
                flush=True,
            )

        asyncio.run(serve(config, args.host, args.port, ready=ready))
    except (AudioforkError, OSError) as exc:
        print(f"audiofork emulator: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``audiofork`` command."""
    parser = argparse.ArgumentParser(prog="audiofork", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="a call on this machine: the emulator calls an echo app with the bundled speech",
        description="Start the emulator and an echo app, place a call with the bundled speech "
        "sample, show its progress, then frames, timings, checkpoints, the echo round trip, "
        "billing and the recordings. --codecs instead pushes the sample through every codec.",
    )
    demo.add_argument("--speed", type=_speed, default=1.0, help="virtual time per real second (1)")
    demo.add_argument("--record-dir", type=Path, help="where to write the recordings (a temp dir)")
    demo.add_argument(
        "--codecs", action="store_true", help="the codec tour: sizes, SNR and timings per codec"
    )
    demo.add_argument(
        "--repeat", type=_repeat, default=20, help="--codecs: timing repetitions per codec (20)"
    )
    _add_emulator(commands)
    args = parser.parse_args(argv)
    if args.command == "emulator":
        return _run_emulator(args)
    if args.codecs:
        from audiofork.demo import codecs

        codecs.run(repeat=args.repeat, out=sys.stdout)
        return 0
    _require_emulator_extra("demo")
    from audiofork.demo import call

    return call.run(sys.stdout, speed=args.speed, record_dir=args.record_dir)


if __name__ == "__main__":
    raise SystemExit(main())
