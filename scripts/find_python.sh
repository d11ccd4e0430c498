#!/usr/bin/env bash
# Print the path of a Python >= 3.12 interpreter (DOLFINx 0.11 needs it), or fail clearly.
# Order: python3.12 / python3.13 / python3 on PATH, then pyenv's versions folder.
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }
for cand in python3.12 python3.13 python3; do
  p=$(command -v "$cand" 2>/dev/null) && ok "$p" && { echo "$p"; exit 0; }
done
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for p in $(ls -d "$root"/versions/3.1[2-9]* 2>/dev/null | sort -V); do
  ok "$p/bin/python" && { echo "$p/bin/python"; exit 0; }
done
echo "error: no Python >= 3.12 found (DOLFINx 0.11 needs it). Install one (e.g. 'pyenv install 3.12') or set PYTHON=/path/to/python3.12." >&2
exit 1
