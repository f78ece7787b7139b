"""The layering of DESIGN.md, enforced with import-linter's contracts in pyproject.toml:
the codec and session layers import neither the asyncio layer, vobiz nor the emulator; the
session is sans-I/O; vobiz does not import the emulator; nothing below the CLI imports the
demo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import audiofork

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
PACKAGE = Path(audiofork.__file__).parent


def lint_imports(pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    """import-linter with the project's contracts, in a subprocess (it imports the package
    from ``pythonpath`` when given, else from wherever the tests import it)."""
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    code = (
        "import sys; from importlinter.cli import lint_imports;"
        f" sys.exit(lint_imports(config_filename={str(PYPROJECT)!r}, no_cache=True))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )


def test_every_layering_contract_is_kept() -> None:
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_module_below_the_cli_is_under_contract() -> None:
    """A new module must be placed in a layer: listed in the demo contract at least."""
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    below_cli = next(c for c in config["contracts"] if "below the CLI" in c["name"])
    listed = {name.removeprefix("audiofork.") for name in below_cli["source_modules"]}
    present = {
        path.stem if path.is_file() else path.name
        for path in PACKAGE.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    assert present - {"cli", "demo"} <= listed, sorted(present - {"cli", "demo"} - listed)


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("session/__init__.py", "import asyncio"),
        ("codec.py", "import audiofork.aio"),
        ("vobiz/xml.py", "from audiofork.emulator import config"),
        ("emulator/app.py", "from audiofork.demo import call"),
    ],
)
def test_a_forbidden_import_breaks_a_contract(tmp_path: Path, module: str, line: str) -> None:
    """The contracts catch a direct import: checked on a copy of the package with one added."""
    copy = tmp_path / "audiofork"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    target = copy / module
    if not target.exists():  # session.py before it became a package
        target = copy / module.replace("/__init__.py", ".py")
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    result = lint_imports(pythonpath=tmp_path)
    assert result.returncode != 0, result.stdout
    assert "1 broken" in result.stdout, result.stdout
