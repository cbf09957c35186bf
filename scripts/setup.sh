#!/usr/bin/env bash
# Installs what Longhand needs on a Debian or Ubuntu machine: its npm dependencies and, when it
# can (root or sudo), the system packages the sandboxes use. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
minor=$(node -p 'process.versions.node.split(".")[1]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -lt 19 ]; }; then
  echo "Longhand needs Node.js 20.19 or newer (found: $(node --version 2>/dev/null || echo none))." >&2
  exit 1
fi

packages=()
command -v bwrap >/dev/null 2>&1 || packages+=(bubblewrap)
command -v rg >/dev/null 2>&1 || packages+=(ripgrep)
if [ ${#packages[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
    if [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; then
      echo "Installing ${packages[*]} ..."
      $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}"
    else
      echo "Note: install ${packages[*]} (apt-get install ${packages[*]}) for sandboxed tools." >&2
    fi
  else
    echo "Note: install ${packages[*]} with your package manager for sandboxed tools." >&2
  fi
fi

npm ci --no-audit --no-fund

# The web console that `longhand serve` shows at http://127.0.0.1:4680/ (the API works without it).
npm run build:console
