#!/usr/bin/env bash
# Print "<minor version> <interpreter path>" for each CPython 3.10-3.13 on this machine, one a
# line: pyenv's installs first, then python3.X on PATH. Free-threaded builds are left out
# (the extension declares that it needs the GIL).
set -euo pipefail
for version in 3.10 3.11 3.12 3.13; do
  candidates=()
  if command -v pyenv >/dev/null && prefix=$(pyenv prefix "$version" 2>/dev/null); then
    candidates+=("$prefix/bin/python$version")
  fi
  candidates+=("$(command -v "python$version" || true)")
  for exe in "${candidates[@]}"; do
    [[ -n "$exe" && -x "$exe" ]] || continue
    if "$exe" -c "import sys, sysconfig; sys.exit(not (sys.implementation.name == 'cpython' \
        and '%d.%d' % sys.version_info[:2] == '$version' \
        and not sysconfig.get_config_var('Py_GIL_DISABLED')))" 2>/dev/null; then
      echo "$version $exe"
      break
    fi
  done
done
