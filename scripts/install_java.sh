#!/usr/bin/env bash
# Installs the Java runtime ScienceWorld's simulator needs (a jar inside the scienceworld package): Debian's
# default-jre-headless. Never fails the set-up: without Java, the ScienceWorld tests that start the simulator
# are skipped with this same command named.
set -u
if command -v java >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing default-jre-headless (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -q && apt-get install -y -q default-jre-headless; } >/dev/null 2>&1 \
    || echo "note: Java did not install; ScienceWorld simulator tests will be skipped"
else
  echo "note: no Java found; install it with: sudo apt-get install default-jre-headless"
fi
exit 0
