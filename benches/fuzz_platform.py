"""Fuzz ``PlatformStream.receive`` with mutated app message sequences (hypothesis, driven by
atheris); the property is benches/fuzz_platform_checks.py.

    python benches/fuzz_platform.py [CORPUS_DIR] -max_total_time=SECONDS   # coverage-guided
    python benches/fuzz_platform.py --examples N                         # hypothesis alone

atheris instruments audiofork's Python modules for coverage; the Rust core underneath is
fuzzed on its own by cargo-fuzz (rust/core/fuzz).
"""

from __future__ import annotations

import sys

import atheris


def main(argv: list[str]) -> None:
    with atheris.instrument_imports(include=["audiofork"]):
        from fuzz_platform_checks import platform_receive
    if argv[1:2] == ["--examples"]:
        platform_receive(int(argv[2]))()
        return
    # Hypothesis reads its choices from the input: short inputs run out before a sequence
    # is drawn, so inputs are allowed long from the start.
    defaults = ["-max_len=8192", "-len_control=0"]
    argv = argv[:1] + [d for d in defaults if d.partition("=")[0] not in " ".join(argv)] + argv[1:]
    atheris.Setup(argv, platform_receive().hypothesis.fuzz_one_input)  # type: ignore[attr-defined]
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
