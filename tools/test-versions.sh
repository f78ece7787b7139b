#!/usr/bin/env bash
# Run tests/ against the built wheels on every CPython 3.10-3.13 found (tools/pythons.sh):
# the cp310 wheel on 3.10, the abi3 wheel on the others. Each interpreter gets a fresh venv
# outside the source tree with the wheel and its `test` extra, so the tests import the
# installed package, never python/ in the tree. tests/with_pipecat is left to `make test`:
# it runs pipecat in .venv-pipecat (one interpreter, the tree's package), which the Python
# under test here does not change.
set -euo pipefail
root=$PWD
base=${TMPDIR:-/tmp}/test-versions-venvs
shopt -s nullglob
wheels=(dist/*.whl)
[[ ${#wheels[@]} -gt 0 ]] || { echo "no wheels in dist/ (make wheel)" >&2; exit 1; }
failed=()
passed=()
while read -r version python; do
  tag=cp${version/./}
  if [[ $version == 3.10 ]]; then matches=(dist/*-"$tag"-"$tag"-*.whl); else matches=(dist/*-abi3-*.whl); fi
  [[ ${#matches[@]} -eq 1 ]] || { echo "no single wheel for $version in dist/" >&2; exit 1; }
  wheel=$(realpath "${matches[0]}")
  venv=$base/$version
  echo "=== CPython $version ($python): $(basename "$wheel")"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q "$wheel[test]"
  if (cd "$base" && "$venv/bin/python" -c 'import audiofork, sys; sys.exit("site-packages" not in audiofork.__file__)' \
      && "$venv/bin/python" -m pytest -q -p no:cacheprovider -c "$root/pyproject.toml" \
         --rootdir "$root" --ignore "$root/tests/with_pipecat" "$root/tests"); then
    passed+=("$version")
  else
    failed+=("$version")
  fi
done < <(tools/pythons.sh)
echo "passed on: ${passed[*]:-none}; failed on: ${failed[*]:-none}"
[[ ${#failed[@]} -eq 0 && ${#passed[@]} -gt 0 ]]
