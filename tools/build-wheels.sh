#!/usr/bin/env bash
# Release artefacts into dist/: an abi3 wheel (CPython 3.11 and later) and a cp310 wheel,
# both manylinux2014 (linked by zig against glibc 2.17) and stripped, plus the sdist.
# Usage: tools/build-wheels.sh VENV_BIN   (a venv's bin/ holding maturin and ziglang)
set -euo pipefail
bin=$(cd "$1" && pwd)
export PATH="$bin:$PATH"  # maturin runs zig as `python3 -m ziglang` from this venv
pythons=$(tools/pythons.sh)
py310=$(awk '$1 == "3.10" {print $2}' <<<"$pythons")
py_abi3=$(awk '$1 != "3.10" {print $2; exit}' <<<"$pythons")
if [[ -z "$py310" || -z "$py_abi3" ]]; then
  echo "need CPython 3.10 (cp310 wheel) and one of 3.11-3.13 (abi3 wheel); found:" >&2
  echo "${pythons:-nothing}" >&2
  exit 1
fi
rm -rf dist
flags=(--release --strip --zig --compatibility manylinux2014 --out dist)
maturin build "${flags[@]}" --features abi3 --interpreter "$py_abi3"
maturin build "${flags[@]}" --interpreter "$py310"
maturin sdist --out dist
ls -l dist
