#!/usr/bin/env bash
# Install Debian's Chromium and its WebDriver for the browser tests (tests/browser/).
# Idempotent: does nothing when /usr/bin/chromium is already there. Playwright drives this
# binary through executable_path; `playwright install` (a browser download) is never used.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "chromium: already installed ($(/usr/bin/chromium --version 2>/dev/null || echo unknown))"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
# apt may be busy with another install on a shared machine: wait for its lock (bounded).
for attempt in 1 2 3; do
  if $SUDO apt-get -o DPkg::Lock::Timeout=300 update -q \
      && $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends \
           chromium chromium-driver fonts-liberation; then
    break
  fi
  if [ "$attempt" -eq 3 ]; then
    echo "chromium: apt-get install failed" >&2
    exit 1
  fi
  sleep 10
done

/usr/bin/chromium --version
