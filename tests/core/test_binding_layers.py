"""The binding crate's modules depend one way: ``errors`` <- ``args`` <- ``format`` <-
``events`` <- the rest, with no cycle among the rest either. Read from the ``crate::`` paths
in ``rust/python/src`` (every ``use crate::x`` and inline ``crate::x::`` path)."""

from __future__ import annotations

import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "rust" / "python" / "src"
#: The layers, lowest first; every other module is in the top layer.
LAYERS = ["errors", "args", "format", "events"]
_CRATE_PATH = re.compile(r"\bcrate::(\w+)")
#: ``crate::{a, b::C}``: the names at the start of each item of the group.
_CRATE_GROUP = re.compile(r"\bcrate::\{([^}]*)\}")
_GROUP_ITEM = re.compile(r"(?:^|,)\s*(\w+)")


def _dependencies() -> dict[str, set[str]]:
    """Each top-level module and the top-level modules its files name through ``crate::``."""
    graph: dict[str, set[str]] = {}
    for path in sorted(SOURCE.rglob("*.rs")):
        relative = path.relative_to(SOURCE)
        if relative == Path("lib.rs"):
            continue
        module = relative.parts[0].removesuffix(".rs")
        code = "\n".join(line.split("//")[0] for line in path.read_text().splitlines())
        names = set(_CRATE_PATH.findall(code))
        for group in _CRATE_GROUP.findall(code):
            names.update(_GROUP_ITEM.findall(group))
        graph.setdefault(module, set()).update(names)
    for module, names in graph.items():
        names.discard(module)
        unknown = names - graph.keys()
        assert not unknown, f"{module} names unknown modules {unknown}"
    return graph


def _layer(module: str) -> int:
    return LAYERS.index(module) if module in LAYERS else len(LAYERS)


def test_the_parser_sees_the_modules_and_their_uses() -> None:
    graph = _dependencies()
    assert set(LAYERS) <= graph.keys()
    assert {"input", "pipeline", "wire"} <= graph.keys()
    assert "errors" in graph["args"]  # use crate::errors; in args/ints.rs
    assert "format" in graph["input"]  # use crate::format::PyMediaFormat;
    group = "use crate::{errors, format::PyMediaFormat};"
    names = {n for g in _CRATE_GROUP.findall(group) for n in _GROUP_ITEM.findall(g)}
    assert names == {"errors", "format"}


def test_each_module_depends_only_on_lower_layers() -> None:
    for module, names in _dependencies().items():
        for name in names:
            if _layer(module) < len(LAYERS):
                assert _layer(name) < _layer(module), f"{module} depends on {name}"
            else:
                assert _layer(name) <= _layer(module), f"{module} depends on {name}"


def test_the_top_layer_has_no_cycle() -> None:
    graph = _dependencies()
    top = {m: {n for n in names if _layer(n) == len(LAYERS)} for m, names in graph.items()}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"cycle: {' -> '.join((*path, module))}"
        if module in done:
            return
        for name in sorted(top.get(module, ())):
            visit(name, (*path, module))
        done.add(module)

    for module in sorted(top):
        visit(module, ())
