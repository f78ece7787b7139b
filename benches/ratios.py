"""A pytest-benchmark run as groups of the same work, each with its audiofork reference.

Every benchmark belongs to a group: the same work done by audiofork and by its peers. The
reference of a group is its first benchmark whose name contains ``audiofork``; each entry's
ratio is its time over the reference's, from the same run (above 1: audiofork is faster).
Ratios are taken on the fastest round of each (``min``), with the medians' ratio beside: on
a shared machine another process only ever makes a round slower, and it interrupts one
contender's rounds and not the next one's, so the fastest round is the closest to each one's
own cost. Times are per frame where a benchmark handles many (``extra_info["frames"]``).
Groups come from any bench module, so suites added later appear without changes here.
Read by benches/report.py and, for the table printed after a timed run, benches/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Entry:
    """One benchmark of a run, timed per unit (frame or call)."""

    name: str
    module: str
    group: str
    min_s: float
    median_s: float
    q1_s: float
    q3_s: float
    rounds: int
    frames: int
    extra: dict[str, Any]

    @classmethod
    def from_json(cls, bench: dict[str, Any]) -> Entry:
        stats, extra = bench["stats"], bench.get("extra_info", {})
        frames = int(extra.get("frames", 1))
        return cls(
            name=bench["name"].removeprefix("test_"),
            module=Path(bench["fullname"].partition("::")[0]).name,
            group=bench.get("group") or bench["name"],
            min_s=stats["min"] / frames,
            median_s=stats["median"] / frames,
            q1_s=stats["q1"] / frames,
            q3_s=stats["q3"] / frames,
            rounds=int(stats["rounds"]),
            frames=frames,
            extra=extra,
        )

    @property
    def label(self) -> str:
        """The parameters when the name has them (`inbound[audiofork]` -> `audiofork`)."""
        return self.name.partition("[")[2].rstrip("]") or self.name

    @property
    def ours(self) -> bool:
        return "audiofork" in self.name

    @property
    def unit(self) -> str:
        return "frame" if self.frames > 1 else "call"

    def throughput(self) -> str:
        samples = self.extra.get("out_samples") or self.extra.get("samples")
        if samples:
            return f"{samples / (self.median_s * self.frames) / 1e6:,.1f} M samples/s"
        return f"{1 / self.median_s:,.0f} {self.unit}s/s"


@dataclass
class Group:
    name: str
    module: str
    entries: list[Entry] = field(default_factory=list)

    @property
    def reference(self) -> Entry | None:
        return next((e for e in self.entries if e.ours), None)

    def ratio(self, entry: Entry) -> float | None:
        """Fastest round over the reference's fastest round."""
        ref = self.reference
        return entry.min_s / ref.min_s if ref is not None else None

    def median_ratio(self, entry: Entry) -> float | None:
        ref = self.reference
        return entry.median_s / ref.median_s if ref is not None else None


def group(entries: Iterable[Entry]) -> list[Group]:
    """Entries by group, groups and entries in the order they ran."""
    groups: dict[str, Group] = {}
    for entry in entries:
        groups.setdefault(entry.group, Group(entry.group, entry.module)).entries.append(entry)
    return list(groups.values())


def timed(benchmarks: Iterable[dict[str, Any]]) -> list[Entry]:
    return [Entry.from_json(b) for b in benchmarks if b.get("stats")]


def us(seconds: float) -> str:
    value = seconds * 1e6
    return f"{value:,.3f}" if value < 10 else f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"


def ratio_lines(groups: Sequence[Group]) -> list[str]:
    """The ratio table as text: each group's reference, then every other entry's fastest
    round and median, and the ratios of both to the reference's."""
    lines = [
        "audiofork vs peers, one run: per frame (or call), the fastest round and the median;"
        " ratio = time / audiofork's (above 1, audiofork is faster), of the fastest rounds and"
        " of the medians"
    ]
    for g in groups:
        ref = g.reference
        head = (
            f"{ref.name} {us(ref.min_s)} / {us(ref.median_s)} µs/{ref.unit}"
            if ref
            else "no audiofork entry"
        )
        lines.append(f"  {g.name}  [{head}]")
        for entry in g.entries:
            if entry is ref:
                continue
            ratio, median_ratio = g.ratio(entry), g.median_ratio(entry)
            shown = f"{ratio:8.2f}x {median_ratio:8.2f}x" if ratio and median_ratio else ""
            times = f"{us(entry.min_s):>10} / {us(entry.median_s):>10} µs"
            lines.append(f"    {entry.name:<52} {times} {shown}")
    return lines
