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

.PHONY: demo test lint rust-test py-test stubtest bench fmt dev clean fuzz wheel wheel-check test-versions

demo: $(BUILT)
	$(BIN)/audiofork demo

test: lint rust-test stubtest py-test

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Test and bench dependencies, installed once per change of pyproject.toml.
# Requirements whose markers do not match this Python are left out (pip would print a line
# for each).
$(INSTALLED): pyproject.toml | $(PY)
	$(PY) -m pip install -q "maturin>=1.9,<2" "packaging>=23"
	$(PY) -c 'import tomllib; from packaging.requirements import Requirement as R; d = tomllib.load(open("pyproject.toml", "rb")); o = d["project"]["optional-dependencies"]; rs = d["project"]["dependencies"] + [r for k in o for r in o[k] if not r.startswith("audiofork")]; print("\n".join(r for r in rs if R(r).marker is None or R(r).marker.evaluate()))' > $(VENV)/requirements.txt
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

py-test: $(BUILT)
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

bench: $(BUILT)
	$(PY) -m pytest benches -q --benchmark-only --benchmark-columns=min,median,mean,ops --benchmark-sort=name
	cargo bench -p audiofork-core

# Coverage-guided fuzzing of the wire parser and payload decoders (opt-in; minutes each).
# The normal test run has a short deterministic version (rust/core/tests/fuzz_smoke.rs).
FUZZ_SECONDS ?= 180
fuzz:
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	cd rust/core && for target in wire_parse payload_decode; do \
	  mkdir -p fuzz/corpus/$$target && \
	  RUSTC_BOOTSTRAP=1 cargo fuzz run $$target fuzz/corpus/$$target fuzz/corpus/seed \
	    -- -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done

fmt: $(INSTALLED)
	cargo fmt --all
	$(BIN)/ruff format python tests benches examples
	$(BIN)/ruff check --fix python tests benches examples

clean:
	rm -rf $(VENV) target dist
