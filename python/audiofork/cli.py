"""The ``audiofork`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from audiofork import _demo


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``audiofork`` command."""
    parser = argparse.ArgumentParser(prog="audiofork", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="push the bundled speech sample through every codec and report"
    )
    demo.add_argument(
        "--repeat", type=int, default=20, help="timing repetitions per codec (default 20)"
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        _demo.run(repeat=args.repeat, out=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
