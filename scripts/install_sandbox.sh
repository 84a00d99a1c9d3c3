#!/usr/bin/env bash
# Installs what the Code tool's OS-level sandbox needs: bubblewrap (bwrap) and libseccomp (Debian's packages).
# Never fails the set-up by itself: without them, Code refuses to run (fail closed) with this same fix named,
# and CI's sandbox tests fail loudly.
set -u
if command -v bwrap >/dev/null 2>&1 && ldconfig -p 2>/dev/null | grep -q libseccomp.so.2; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing bubblewrap and libseccomp2 (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -q && apt-get install -y -q bubblewrap libseccomp2; } >/dev/null 2>&1 \
    || echo "note: bubblewrap did not install; the Code tool will refuse to run until it is"
else
  echo "note: the Code tool's sandbox needs bubblewrap: sudo apt-get install bubblewrap libseccomp2"
fi
exit 0
