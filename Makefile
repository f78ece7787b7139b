# Everything runs from a fresh clone with only python3, a Rust toolchain and the package
# registries: the first target that needs it creates .venv and builds the package.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
RUST_SOURCES := $(shell find rust -name '*.rs' -not -path '*/fuzz/*') Cargo.toml rust/core/Cargo.toml rust/python/Cargo.toml
BUILT := $(VENV)/.built

.PHONY: demo test lint rust-test py-test stubtest bench load fmt dev clean fuzz wheel wheel-check test-versions

demo: $(BUILT)
	$(BIN)/audiofork demo

test: lint rust-test stubtest py-test

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Test and bench dependencies, installed once per change of pyproject.toml.
# Requirements whose markers do not match this Python are left out (pip would print a line
# for each), and so is the pipecat extra: pipecat runs in .venv-pipecat (below).
$(INSTALLED): pyproject.toml | $(PY)
	$(PY) -m pip install -q "maturin>=1.9,<2" "packaging>=23"
	$(PY) -c 'import tomllib; from packaging.requirements import Requirement as R; d = tomllib.load(open("pyproject.toml", "rb")); o = d["project"]["optional-dependencies"]; rs = d["project"]["dependencies"] + [r for k in o if k != "pipecat" for r in o[k] if not r.startswith("audiofork")]; print("\n".join(r for r in rs if R(r).marker is None or R(r).marker.evaluate()))' > $(VENV)/requirements.txt
	$(PY) -m pip install -q -r $(VENV)/requirements.txt
	touch $@

# The extension module, release profile, installed into .venv in development mode.
$(BUILT): $(INSTALLED) $(RUST_SOURCES) pyproject.toml
	VIRTUAL_ENV=$(abspath $(VENV)) $(BIN)/maturin develop --release
	touch $@

dev: $(BUILT)

lint: $(INSTALLED)
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(BIN)/ruff check python tests benches examples
	$(BIN)/ruff format --check python tests benches examples

rust-test:
	cargo test -p audiofork-core --all-targets

stubtest: $(BUILT)
	$(PY) -m mypy.stubtest audiofork._core
	$(PY) -m mypy

# Interop: streamdouble (a third-party Twilio Media Streams simulator) in a venv of its own:
# its pytest plugin's simulated_call fixture shares a name with audiofork.simulate's.
INTEROP_VENV := .venv-interop
$(INTEROP_VENV)/.installed:
	$(PYTHON) -m venv $(INTEROP_VENV)
	$(INTEROP_VENV)/bin/pip install -q "streamdouble>=0.3,<0.4"
	touch $@

# pipecat (the integration's tests, the pipecat benches, make load's references) in a venv of
# its own: it pulls in onnxruntime, numba and openai, and pipecat-vobiz installs over a file
# of pipecat-ai. The development tree is on its path (a .pth to python/, with the extension
# make dev built for the same interpreter).
PIPECAT_VENV := .venv-pipecat
$(PIPECAT_VENV)/.installed:
	$(PYTHON) -m venv $(PIPECAT_VENV)
	$(PIPECAT_VENV)/bin/pip install -q "pipecat-ai[websocket]==1.14.*" "pipecat-vobiz==0.0.3" fastapi uvicorn
	touch $@

$(PIPECAT_VENV)/.audiofork: $(PIPECAT_VENV)/.installed $(BUILT)
	echo "$(abspath python)" > "$$($(PIPECAT_VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/audiofork-dev.pth"
	$(PIPECAT_VENV)/bin/python -c "import audiofork.integrations.pipecat"
	touch $@

py-test: $(BUILT) $(INTEROP_VENV)/.installed $(PIPECAT_VENV)/.audiofork
	$(PY) -m pytest -q --benchmark-disable

# Release wheels (tools/build-wheels.sh): abi3 for CPython >= 3.11 and cp310, manylinux2014
# via zig, stripped, plus the sdist, into dist/.
RELEASE_TOOLS := $(VENV)/.release-tools
$(RELEASE_TOOLS): | $(PY)
	$(PY) -m pip install -q "maturin>=1.9,<2" "ziglang>=0.13" "auditwheel>=6"
	touch $@

wheel: $(RELEASE_TOOLS)
	tools/build-wheels.sh $(BIN)

# The abi3 wheel installed outside the tree, imported, demo run; auditwheel on every wheel.
wheel-check: $(RELEASE_TOOLS)
	tools/check-wheel.sh $(BIN)

# The wheels built once, checked, then tests/ on every CPython 3.10-3.13 found.
test-versions: wheel
	tools/check-wheel.sh $(BIN)
	tools/test-versions.sh

# Benchmarks, soak and fuzzing. `bench`: every hot path against its peers in one
# pytest-benchmark run, written up by benches/report.py as benches/results/report.md and
# its plots, then the Rust-only criterion benches. `bench-quick` (CI, under 2 minutes): the
# same with few rounds, printing the ratio table; no thresholds. `soak`: a million frames,
# 10,000 sessions and a 30-minute call, into benches/results/soak.md (tests/soak has the
# short version `make test` runs). `fuzz`: every cargo-fuzz target and the atheris targets of
# StreamSession.receive and PlatformStream.receive for FUZZ_SECONDS each, into
# benches/results/fuzz.md; rust/core/tests/fuzz_smoke.rs and tests/faults/test_platform_fuzz.py
# are the short versions in `make test`.
.PHONY: bench-quick soak
BENCH_RUN := $(PY) -m pytest benches -q -p no:cacheprovider --benchmark-only --benchmark-quiet
bench: $(BUILT)
	mkdir -p benches/out
	$(BENCH_RUN) --benchmark-max-time=2 --benchmark-json=benches/out/bench.json
	$(PY) benches/report.py benches/out/bench.json
	cargo bench -p audiofork-core

bench-quick: $(BUILT)
	$(BENCH_RUN) --benchmark-min-rounds=3 --benchmark-max-time=0.05 --benchmark-warmup=off

soak: $(BUILT)
	$(PY) tests/soak/soak.py --out benches/results/soak.md

# Calls per core (opt-in, about half an hour; not part of make test): real-time echo calls
# against every echo app and two pipecat references, app and generator pinned to their own
# cores; py-spy profiles. pipecat runs in a venv of its own. Writes benches/results/load.*
load: $(BUILT) $(PIPECAT_VENV)/.audiofork
	$(PY) benches/load/run.py
	LOAD_REALTIME=0 $(PY) benches/load/profile_split.py --out benches/results/load.json
	$(PY) benches/load/report.py

# audiofork's pipecat serializer against pipecat's own, same bot and pipeline, one run through
# the emulator (opt-in, a few minutes): CPU per frame, echo delay, barge-in time to silence and
# the "bot stopped speaking" error, into benches/results/pipecat.md. tests/with_pipecat runs a
# short version.
.PHONY: bench-pipecat
bench-pipecat: $(BUILT) $(PIPECAT_VENV)/.audiofork
	$(PY) benches/pipecat_compare/compare.py

FUZZ_SECONDS ?= 180
fuzz: $(BUILT)
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	$(PY) benches/fuzz.py --seconds $(FUZZ_SECONDS)

fmt: $(INSTALLED)
	cargo fmt --all
	$(BIN)/ruff format python tests benches examples
	$(BIN)/ruff check --fix python tests benches examples

clean:
	rm -rf $(VENV) target dist
