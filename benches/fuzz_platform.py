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

from fuzz_runner import fuzz


def main(argv: list[str]) -> None:
    with atheris.instrument_imports(include=["audiofork"]):
        from fuzz_platform_checks import platform_receive
    fuzz(argv, platform_receive)


if __name__ == "__main__":
    main(sys.argv)
