#!/usr/bin/env bash
# Install the Debian packages longerlives needs beyond Python: fonts and HarfBuzz
# subsetting for PDF letters (WeasyPrint), poppler-utils to inspect PDFs, and Debian's
# Chromium for browser tests (Playwright drives /usr/bin/chromium; it never downloads a browser).
# PostgreSQL 15 ships with the machine image; scripts/services.sh starts it for tests.
# util-linux provides `unshare`: the issue-12 tests mount a tiny tmpfs in a user namespace
# to make a real full disk and a real read-only disk (no root needed).
set -u
need=()
for pkg in fonts-liberation libharfbuzz-subset0 poppler-utils chromium chromium-driver util-linux; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "system-deps: please install: ${need[*]} (no root, skipping)"; exit 0; fi
fi
echo "system-deps: installing ${need[*]}"
$SUDO apt-get update -qq >/dev/null 2>&1 || true
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null || echo "system-deps: apt-get failed for ${need[*]}"
