"""The command line the Python fuzz targets share: ``--examples N`` runs the property under
hypothesis alone; anything else is libFuzzer's arguments for atheris."""

from __future__ import annotations

from collections.abc import Callable

import atheris

# Hypothesis reads its choices from the input: short inputs run out before a sequence is
# drawn, so inputs are allowed long from the start.
DEFAULTS = ["-max_len=8192", "-len_control=0"]


def fuzz(argv: list[str], target: Callable[..., Callable[[], None]]) -> None:
    """Run ``target(max_examples)`` (a property made by ``fuzz_mutations.as_property``)."""
    if argv[1:2] == ["--examples"]:
        target(int(argv[2]))()
        return
    given = " ".join(argv)
    argv = argv[:1] + [d for d in DEFAULTS if d.partition("=")[0] not in given] + argv[1:]
    atheris.Setup(argv, target().hypothesis.fuzz_one_input)  # type: ignore[attr-defined]
    atheris.Fuzz()
