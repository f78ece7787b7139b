#!/usr/bin/env bash
# Check the abi3 wheel as a user gets it: installed with the emulator extra into a fresh venv
# outside the source tree, imported, `audiofork demo` (a call through the emulator) run; with
# only the fastapi extra in another, the FastAPI example serving a stream; and
# every wheel in dist/ checked by auditwheel to need nothing newer than manylinux2014 (glibc 2.17).
# Usage: tools/check-wheel.sh VENV_BIN   (a venv's bin/ holding auditwheel)
set -euo pipefail
bin=$(cd "$1" && pwd)
shopt -s nullglob
abi3=(dist/*-abi3-*.whl)
[[ ${#abi3[@]} -eq 1 ]] || { echo "expected one abi3 wheel in dist/ (make wheel)" >&2; exit 1; }
wheel=$(realpath "${abi3[0]}")
python=$(tools/pythons.sh | awk '$1 != "3.10" {print $2; exit}')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "$wheel[emulator]"
(
  cd "$work"
  venv/bin/python -c 'import audiofork, sys; print("imported", audiofork.__version__, "from", audiofork.__file__); sys.exit("site-packages" not in audiofork.__file__)'
  venv/bin/audiofork demo --speed 4
)
"$python" -m venv "$work/fastapi"
"$work/fastapi/bin/python" -m pip install -q "$wheel[fastapi]"
"$work/fastapi/bin/python" tools/fastapi-extra-check.py examples/fastapi_app.py
for whl in dist/*.whl; do
  report=$("$bin/auditwheel" show "$whl" | tr '\n' ' ')
  glibc=$(grep -oP 'consistent with the following platform tag: "manylinux_2_\K[0-9]+' <<<"$report" || true)
  if [[ -z "$glibc" || "$glibc" -gt 17 ]]; then
    echo "FAIL: $whl is not manylinux2014 (glibc 2.17): $report" >&2
    exit 1
  fi
  echo "ok: $(basename "$whl") needs glibc 2.$glibc at most ($(du -k "$whl" | cut -f1) kB)"
done
