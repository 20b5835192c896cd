#!/usr/bin/env bash
# Installs everything ddplint needs on a fresh Debian 12 machine, then fetches the
# pinned tree-sitter-python grammar. Safe to run again: every step is idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

GRAMMAR_VERSION=0.23.6
GRAMMAR_SHA256=aab5b860d93dbf84b37fed532f7dacc0468ede5387d0c74911d68f964287662a
PACKAGES="cmake g++ ninja-build ccache pkg-config libtree-sitter-dev libcli11-dev libfmt-dev
  nlohmann-json3-dev libtomlplusplus-dev libgtest-dev ca-certificates pre-commit git clang-14 libclang-rt-14-dev
  python3-torch libtorch-dev zlib1g-dev libjemalloc-dev"
# python3-torch: Debian's torch 1.13 for /usr/bin/python3, which `ddplint verify` and its
# gloo tests run with, and which writes the TorchScript test archives. libtorch-dev: the
# LibTorch headers and TorchConfig.cmake the TorchScript plugin builds against (only
# the plugin links it; ddplint loads it when an archive is among its inputs).
# libjemalloc-dev: ddplint's allocator (a few per cent faster on large trees); optional.

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# node/npm and python3 may come from outside Debian (the base image has both); only
# install Debian's when the command is absent.
command -v npm >/dev/null 2>&1 || missing="$missing npm"
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
if [ -n "$missing" ]; then
  echo "bootstrap: installing$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

dest=third_party/tree-sitter-python
if [ ! -f "$dest/.sha256" ] || [ "$(cat "$dest/.sha256")" != "$GRAMMAR_SHA256" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "tree-sitter-python@$GRAMMAR_VERSION" >/dev/null)
  tgz="$tmp/tree-sitter-python-$GRAMMAR_VERSION.tgz"
  got=$(sha256sum "$tgz" | cut -d' ' -f1)
  if [ "$got" != "$GRAMMAR_SHA256" ]; then
    echo "bootstrap: tree-sitter-python $GRAMMAR_VERSION has sha256 $got, expected $GRAMMAR_SHA256" >&2
    exit 1
  fi
  rm -rf "$dest" && mkdir -p "$dest"
  tar -xzf "$tgz" -C "$tmp"
  cp -r "$tmp/package/src" "$tmp/package/LICENSE" "$dest/"
  echo "$GRAMMAR_SHA256" > "$dest/.sha256"
  echo "bootstrap: tree-sitter-python $GRAMMAR_VERSION in $dest"
fi
