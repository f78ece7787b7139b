"""The ``audiofork`` command line: ``demo``, ``emulator`` (the platform on this machine),
``caller`` (act as the caller of a live call on a running emulator: keys, speech, hang-up),
``simulate`` (a scripted caller against an app's WebSocket, with gates) and ``inspect`` (a
simulate trace as a timeline and a PNG)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from audiofork.errors import AudioforkError, ValidationError

#: What ``--speed`` asks of an app, said in the help of every command that takes it.
SPEED_HELP = (
    "virtual time per real second (1). At N > 1 the platform plays audio, paces frames and "
    "answers checkpoints N times faster than real time: an app that measures time (heard "
    "estimates between checkpoints, pace_ms) must run its session on a clock N times faster, "
    "e.g. AudioStream(ws, clock=lambda: time.monotonic() * N), or in-process "
    "clock=emulator.clock; when timing matters and the app cannot, run at speed 1"
)


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


def _answer_timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(
            f"answer timeout must be a number of seconds above 0 and at most 3600, got {text!r}"
        )
    return value


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
    emulator.add_argument("--speed", type=_speed, default=1.0, help=SPEED_HELP)
    emulator.add_argument(
        "--answer-timeout",
        type=_answer_timeout,
        default=10.0,
        metavar="SECONDS",
        help="real seconds an answer URL has to answer before the call fails with "
        "answer_failed: timeout (10)",
    )
    emulator.add_argument(
        "--caller-audio",
        default="speech",
        help="what the caller says: speech (the bundled sample), silence, tone[:HZ] or a WAV path",
    )
    emulator.add_argument(
        "--callee-audio", default="silence", help="the callee (outbound) track, as --caller-audio"
    )
    emulator.add_argument(
        "--dialect",
        choices=["vobiz", "plivo", "twilio"],
        default="vobiz",
        help="the streams' message shapes (vobiz); twilio's answer URLs return TwiML "
        "(<Connect><Stream>, <Start><Stream>, <Parameter>)",
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
            answer_timeout_s=args.answer_timeout,
            dialect=args.dialect,
        )

        def ready(url: str) -> None:
            print(
                f"audiofork emulator on {url} (console {url}/, signed in as an account: "
                f"user AUTH_ID, password AUTH_TOKEN, e.g. curl -u AUTH_ID:AUTH_TOKEN "
                f"{url}/status; Ctrl-C stops)",
                flush=True,
            )
            print(
                f"act as a call's caller: audiofork caller dtmf|speak|stop-speaking|hangup "
                f"--url {url} --account AUTH_ID:AUTH_TOKEN CALL_UUID ...",
                flush=True,
            )
            if args.speed != 1:
                print(
                    f"speed {args.speed:g}: audio plays {args.speed:g} times faster than real "
                    f"time; an app that measures time must run its session on a clock "
                    f"{args.speed:g} times faster (audiofork emulator --help, --speed)",
                    flush=True,
                )

        def login_links(links: dict[str, str]) -> None:
            for account, link in links.items():
                print(f"console for {account} (this link works once): {link}", flush=True)

        asyncio.run(serve(config, args.host, args.port, ready=ready, login_links=login_links))
    except (AudioforkError, OSError) as exc:
        print(f"audiofork emulator: {exc}", file=sys.stderr)
        return 1
    return 0


def _spacing(text: str) -> int:
    return _integer("spacing", text, 20, 60_000)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 120:
        raise argparse.ArgumentTypeError(
            f"seconds must be a number above 0 and at most 120, got {text!r}"
        )
    return value


def _add_caller(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url",
        default=os.environ.get("AUDIOFORK_EMULATOR_URL", "http://127.0.0.1:8080"),
        help="the running emulator (AUDIOFORK_EMULATOR_URL, else http://127.0.0.1:8080)",
    )
    common.add_argument(
        "--account",
        type=_account,
        default=os.environ.get("AUDIOFORK_ACCOUNT"),
        metavar="AUTH_ID:AUTH_TOKEN",
        help="the account the call belongs to (AUDIOFORK_ACCOUNT)",
    )
    common.add_argument("call_uuid", metavar="CALL_UUID", help="the live call")
    caller = commands.add_parser(
        "caller",
        help="act as the caller of a live call on a running emulator: keys, speech, hang-up",
        description="Act as the caller of a live call on a running `audiofork emulator`, "
        "through its emulator-only endpoints (/emulator/v1/...): press keys, talk over the "
        "app (barge-in), stop talking, hang up.",
    )
    verbs = caller.add_subparsers(dest="verb", required=True, metavar="VERB")
    dtmf = verbs.add_parser(
        "dtmf",
        parents=[common],
        help="press keys: a dtmf message per key on every stream forking the caller",
        description="Press DIGITS (0-9, *, #, A-D, at most 32) on every connected stream of "
        "the call that forks the caller's track: one dtmf message per key, the first at "
        "once, each next --spacing-ms later.",
    )
    dtmf.add_argument("digits", metavar="DIGITS", help="the keys, e.g. 123#")
    dtmf.add_argument(
        "--spacing-ms",
        type=_spacing,
        default=100,
        help="time between keys in ms, rounded up to whole 20 ms frames (100)",
    )
    speak = verbs.add_parser(
        "speak",
        parents=[common],
        help="talk: say the bundled speech, a tone or a WAV file as the caller, from now on",
        description="The caller says AUDIO from the next frame on, after what it was already "
        "given to say: with --mode replace instead of its usual audio (which runs on muted), "
        "with --mode mix over it.",
    )
    speak.add_argument(
        "--audio",
        default="speech",
        help="speech (the bundled sample), silence, tone[:HZ] or the path of a mono 16-bit "
        "WAV file, uploaded (speech)",
    )
    speak.add_argument(
        "--seconds",
        type=_seconds,
        help="how long a tone or silence lasts (needed for them); a recording is cut to it",
    )
    speak.add_argument("--mode", choices=("replace", "mix"), default="replace")
    verbs.add_parser(
        "stop-speaking",
        parents=[common],
        help="drop what the caller was still to say",
        description="Drop what the caller was still to say; its usual audio plays on.",
    )
    verbs.add_parser(
        "hangup",
        parents=[common],
        help="hang up as the caller (hangup cause caller_hangup)",
        description="Hang up as the caller: every stream gets stop, then the call ends with "
        "the cause caller_hangup.",
    )


def _run_caller(args: argparse.Namespace) -> int:
    _require_emulator_extra("caller")
    from audiofork.emulator.client import CallerClient

    if args.account is None:
        print("audiofork caller: --account AUTH_ID:AUTH_TOKEN is required", file=sys.stderr)
        return 2
    auth_id, token = args.account
    call = args.call_uuid
    try:
        with CallerClient(args.url, auth_id, token) as client:
            if args.verb == "dtmf":
                ids = client.dtmf(call, args.digits, spacing_ms=args.spacing_ms)
                print(f"pressed {args.digits} on {_streams(ids)}")
            elif args.verb == "speak":
                reply = client.speak(call, args.audio, seconds=args.seconds, mode=args.mode)
                seconds, ids = reply["duration_ms"] / 1000, reply["stream_ids"]
                print(f"the caller says {seconds:g} s ({args.mode}) on {_streams(ids)}")
            elif args.verb == "stop-speaking":
                client.stop_speaking(call)
                print(f"the caller of {call} stopped speaking")
            else:
                client.hangup(call)
                print(f"the caller hung up {call}")
    except AudioforkError as exc:
        print(f"audiofork caller {args.verb}: {exc}", file=sys.stderr)
        return 1
    return 0


def _streams(ids: Sequence[str]) -> str:
    return f"{len(ids)} stream{'s' if len(ids) != 1 else ''}: {', '.join(ids)}"


def _add_simulate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    try:
        from audiofork.simulate.command import add_commands
    except ImportError as exc:  # aiohttp (the simulate extra) is missing
        missing = exc.name

        def refuse(args: argparse.Namespace) -> int:
            sys.exit(
                f"audiofork {args.command} needs the simulate extra ({missing} is missing): "
                "pip install 'audiofork[simulate]'"
            )

        for name in ("simulate", "inspect"):
            commands.add_parser(name, help="(needs audiofork[simulate])").set_defaults(
                refuse=refuse
            )
        return
    add_commands(commands)


def _run_simulate(args: argparse.Namespace) -> int:
    if hasattr(args, "refuse"):
        return int(args.refuse(args))
    from audiofork.simulate import command

    return command.run_simulate(args) if args.command == "simulate" else command.run_inspect(args)


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
    demo.add_argument("--speed", type=_speed, default=1.0, help=SPEED_HELP)
    demo.add_argument("--record-dir", type=Path, help="where to write the recordings (a temp dir)")
    demo.add_argument(
        "--codecs", action="store_true", help="the codec tour: sizes, SNR and timings per codec"
    )
    demo.add_argument(
        "--repeat", type=_repeat, default=20, help="--codecs: timing repetitions per codec (20)"
    )
    _add_emulator(commands)
    _add_caller(commands)
    _add_simulate(commands)
    args = parser.parse_args(argv)
    if args.command in ("simulate", "inspect"):
        return _run_simulate(args)
    if args.command == "emulator":
        return _run_emulator(args)
    if args.command == "caller":
        return _run_caller(args)
    if args.codecs:
        from audiofork.demo import codecs

        codecs.run(repeat=args.repeat, out=sys.stdout)
        return 0
    _require_emulator_extra("demo")
    from audiofork.demo import call

    return call.run(sys.stdout, speed=args.speed, record_dir=args.record_dir)


if __name__ == "__main__":
    raise SystemExit(main())
