"""Run every fuzz target for a fixed time and write what each did to benches/results/fuzz.md.

    python benches/fuzz.py --seconds 180 [--out benches/results/fuzz.md] [TARGET ...]

The cargo-fuzz targets of rust/core/fuzz (libFuzzer, AddressSanitizer; corpora kept in
rust/core/fuzz/corpus/<target>, seeded from corpus/seed) and the atheris + hypothesis
targets for ``StreamSession.receive`` and ``PlatformStream.receive``
(benches/fuzz_session.py, benches/fuzz_platform.py; corpora in benches/out/fuzz/). Per
target: executions, executions per second, coverage and corpus at the end, and findings
(a crash, with the input libFuzzer saved and the first lines of its report). Exits 1 if
any target found something.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRATE = ROOT / "rust/core"
CARGO_TARGETS = ("wire_parse", "payload_decode", "inbound_decode", "resample_chunks")
PYTHON_TARGETS = {"session_receive": "fuzz_session.py", "platform_receive": "fuzz_platform.py"}
LOGS = ROOT / "benches/out/fuzz"
ABOUT = {
    "wire_parse": "`wire::parse` on any bytes: agrees with serde_json on what is JSON; "
    "what parses builds back to the same message",
    "payload_decode": "base64 payload decoding, every encoding and byte order: what "
    "decodes encodes and decodes back to the same samples",
    "inbound_decode": "`InboundDecoder` (μ-law/8k -> 16k) on any message: a frame of "
    "exactly the announced length, or an error",
    "resample_chunks": "the resampler, any rate pair and quality, input cut at random: "
    "bit-identical to one call (int16 and float), exact lengths, flush starts afresh",
    "session_receive": "`StreamSession.receive` over mutated message sequences mixed with "
    "the app's calls: only AudioforkError, refused messages leave no trace, no checkpoint "
    "pending after clear/stop/close, each resolved once",
    "platform_receive": "`PlatformStream.receive` over mutated app message sequences "
    "(playAudio, checkpoint, clearAudio, stop, garbage) mixed with the driver's calls: only "
    "StreamStateError when not streaming, bad input refused with a documented kind and no "
    "trace, no checkpoint pending after clear/stop/close, each answered at most once and "
    "accounted for, memory within its bound",
}

# What the fuzzers found before, kept in the report beside each run's own findings.
EARLIER_FINDINGS = [
    "`wire_parse`, 2026-12-04, 64,624 executions in: "
    '`{"even-": 333333333333333333e33333ber` failed the check, not the parser. serde_json '
    "stops at a number beyond f64's range, and the check counted any such text as JSON, so "
    "the parser's correct refusal (bad_json) looked wrong. Fixed in the check "
    "(rust/core/fuzz/checks.rs: numbers out of range are replaced and the text read "
    "again); the input and two relatives are cases in rust/core/tests/fuzz_smoke.rs.",
]


@dataclass
class Outcome:
    target: str
    seconds: float
    execs: int | None
    coverage: str
    status: str
    finding: str


def stat(log: str, name: str) -> int | None:
    found = re.search(rf"stat::{name}:\s+(\d+)", log)
    return int(found.group(1)) if found else None


def last_progress(log: str) -> str:
    lines = [line for line in log.splitlines() if re.match(r"#\d+\s+(DONE|NEW|REDUCE|pulse)", line)]
    if not lines:
        return ""
    cov = re.search(r"cov: (\d+) ft: (\d+) corp: (\S+)", lines[-1])
    return f"cov {cov.group(1)}, features {cov.group(2)}, corpus {cov.group(3)}" if cov else ""


def finding(log: str) -> str:
    """The report's first lines and the saved input, when the run crashed."""
    keep = [
        line.strip()
        for line in log.splitlines()
        if re.search(
            r"panicked at|ERROR: |Uncaught Python exception|Error:|assert|written to", line
        )
    ]
    return "; ".join(dict.fromkeys(keep))[:600]


def run(target: str, seconds: int) -> Outcome:
    LOGS.mkdir(parents=True, exist_ok=True)
    flags = [f"-max_total_time={seconds}", "-print_final_stats=1"]
    if target in PYTHON_TARGETS:
        corpus = LOGS / "corpus" / target
        corpus.mkdir(parents=True, exist_ok=True)
        script = ROOT / "benches" / PYTHON_TARGETS[target]
        command = [sys.executable, str(script), str(corpus), *flags]
        command.append(f"-artifact_prefix={LOGS}/")
        cwd, env = ROOT, os.environ
    else:
        corpus = CRATE / "fuzz/corpus" / target
        corpus.mkdir(parents=True, exist_ok=True)
        seeds = CRATE / "fuzz/corpus/seed"
        command = ["cargo", "fuzz", "run", target, str(corpus), str(seeds), "--", *flags]
        cwd, env = CRATE, {**os.environ, "RUSTC_BOOTSTRAP": "1"}
    print(f"=== {target}: {seconds} s", flush=True)
    started = time.monotonic()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    log = result.stdout + result.stderr
    (LOGS / f"{target}.log").write_text(log)
    execs = stat(log, "number_of_executed_units")
    status = "clean" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
    print(f"    {status}: {execs} executions, {last_progress(log)}", flush=True)
    return Outcome(
        target,
        elapsed,
        execs,
        last_progress(log),
        status,
        finding(log) if result.returncode else "",
    )


def markdown(outcomes: list[Outcome], seconds: int) -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rows = []
    for o in outcomes:
        execs = f"{o.execs:,}" if o.execs is not None else "?"
        rate = f"{o.execs / o.seconds:,.0f}" if o.execs else "?"
        rows.append(
            f"| `{o.target}` | {ABOUT[o.target]} | {o.seconds:.0f} s | {execs} | {rate} | "
            f"{o.coverage} | {o.status}{': ' + o.finding if o.finding else ''} |"
        )
    return "\n".join(
        [
            "# Fuzzing report",
            "",
            f"`make fuzz FUZZ_SECONDS={seconds}`, {when}; load average at the end {load} "
            f"({os.cpu_count()} cores, shared).",
            "",
            "| target | what must hold | time | executions | per second | at the end | outcome |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            "Executions per second are per target on one core; the Python targets run a "
            "whole message sequence (up to 40 steps) per execution.",
            "",
            "## Earlier findings",
            "",
            *(f"- {finding}" for finding in EARLIER_FINDINGS),
            "",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--seconds", type=int, default=180)
    parser.add_argument("--out", type=Path, default=ROOT / "benches/results/fuzz.md")
    parser.add_argument("targets", nargs="*", default=[*CARGO_TARGETS, *PYTHON_TARGETS])
    args = parser.parse_args()
    unknown = set(args.targets) - set(ABOUT)
    if unknown:
        parser.error(f"unknown targets {sorted(unknown)}; known: {', '.join(ABOUT)}")
    if set(args.targets) & set(CARGO_TARGETS):  # built first, so the time is all fuzzing
        env = {**os.environ, "RUSTC_BOOTSTRAP": "1"}
        subprocess.run(["cargo", "fuzz", "build"], cwd=CRATE, env=env, check=True)
    outcomes = [run(target, args.seconds) for target in args.targets]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown(outcomes, args.seconds))
    print(f"wrote {args.out}")
    return 1 if any(o.status != "clean" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
