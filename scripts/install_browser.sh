#!/usr/bin/env bash
# Installs the system browser lumos drives (MiniWoB++ tasks, the trace viewer's tests): Debian's chromium and
# chromium-driver. Nothing downloads a browser build of its own. Never fails the set-up: without a browser,
# the browser tests are skipped with this same command named.
set -u
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium and chromium-driver (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -q && apt-get install -y -q chromium chromium-driver; } >/dev/null 2>&1 \
    || echo "note: chromium did not install; browser tests will be skipped"
else
  echo "note: no browser found; install one with: sudo apt-get install chromium chromium-driver"
fi
exit 0
