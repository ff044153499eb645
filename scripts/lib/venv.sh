# Sourced by the set-up scripts: `ensure_venv <folder>` creates a Python virtual environment there
# unless one exists, with the first of python3 / python that has the venv module. Needs `log` defined
# by the caller (its messages carry the script's name).
ensure_venv() {
  local venv="$1" python="" candidate
  if [ -x "$venv/bin/python" ]; then return 0; fi
  for candidate in python3 python; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import venv' >/dev/null 2>&1; then
      python="$candidate"
      break
    fi
  done
  if [ -z "$python" ]; then
    log "needs python3 with the venv module on PATH (Debian: apt-get install python3-venv)"
    return 1
  fi
  mkdir -p "$(dirname "$venv")"
  log "creating $venv"
  "$python" -m venv "$venv" >&2
}
