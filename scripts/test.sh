#!/usr/bin/env bash
# Runs every test (unit, integration, browser) from a fresh Debian machine with the .NET SDK:
# installs what the browser tests need when it is missing (Chromium, nginx), then restores, builds and tests.
# Extra arguments go to `dotnet test`, e.g. scripts/test.sh --filter "FullyQualifiedName~Browser".
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  missing+=(chromium)
fi
# The self-hosting tests run the repository's nginx config in real nginx.
if [ -z "${NGINX_PATH:-}" ] && ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  missing+=(nginx-light)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing from Debian's packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test RealtimeRazor.sln --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log" || status=$?

# One plain closing line for CI readers that do not know dotnet test's summary format.
count() { grep -E "^[[:space:]]+$1: [0-9]+" "$log" | tail -n 1 | grep -oE '[0-9]+' || echo 0; }
if grep -qE '^Total tests: [0-9]+' "$log"; then
  echo "$(count Passed) passed, $(count Failed) failed, $(count Skipped) skipped"
fi
exit "$status"
