#!/usr/bin/env bash
# Runs every test (unit, integration, browser) on a fresh Debian or Ubuntu machine with the .NET SDK, and
# in CI (.github/workflows/ci.yml): installs what the browser tests need when it is missing, then
# restores, builds and tests.
#   Chromium: CHROMIUM_PATH if set; else Debian's chromium package; anywhere else (Ubuntu's chromium
#   package is only a snap stub) Playwright's own Chromium, installed by the built test project's
#   playwright.ps1, which needs PowerShell (GitHub's runners have it).
#   nginx: NGINX_PATH if set, else the system's nginx; the self-hosting tests run the repository's config in it.
#   redis-server: REDIS_SERVER_PATH if set, else the system's; the scale-out tests start their own on a free port.
#   PostgreSQL: POSTGRES_BIN if set, else the postgresql package's server binaries; the records tests start a
#   throwaway cluster of their own (RealtimeRazor.Testing/PostgresServer.cs), no system service is needed.
# Results go to artifacts/test-results/ (TRX); a failed browser test's Playwright traces to artifacts/playwright-traces/.
# Extra arguments go to `dotnet test`, e.g. scripts/test.sh --filter "FullyQualifiedName~Browser".
set -euo pipefail
cd "$(dirname "$0")/.."

debian=false
if grep -qx 'ID=debian' /etc/os-release 2>/dev/null; then debian=true; fi

missing=()
playwright_chromium=false
# The same choice as RealtimeRazor.Testing/Chromium.cs makes.
if [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/lib/chromium/chromium ]; then
  if $debian; then missing+=(chromium); else playwright_chromium=true; fi
fi
if [ -z "${NGINX_PATH:-}" ] && ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  missing+=(nginx)
fi
if [ -z "${REDIS_SERVER_PATH:-}" ] && [ ! -x /usr/bin/redis-server ]; then
  missing+=(redis-server)
fi
# The same lookup as RealtimeRazor.Testing/PostgresServer.cs makes.
if [ -z "${POSTGRES_BIN:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing with apt-get: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if $playwright_chromium; then
  if ! command -v pwsh >/dev/null 2>&1; then
    echo "No Chromium: set CHROMIUM_PATH, or install PowerShell (pwsh) so Playwright can install its own." >&2
    exit 1
  fi
  dotnet build RealtimeRazor.Tests -nologo -v quiet
  pwsh RealtimeRazor.Tests/bin/Debug/net10.0/playwright.ps1 install --with-deps chromium
fi

# Only this run's results and traces.
rm -rf artifacts/test-results artifacts/playwright-traces
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test RealtimeRazor.sln --logger "console;verbosity=normal" --logger trx --results-directory artifacts/test-results "$@" 2>&1 | tee "$log" || status=$?

# One plain closing line for CI readers that do not know dotnet test's summary format.
count() { grep -E "^[[:space:]]+$1: [0-9]+" "$log" | tail -n 1 | grep -oE '[0-9]+' || echo 0; }
if grep -qE '^Total tests: [0-9]+' "$log"; then
  echo "$(count Passed) passed, $(count Failed) failed, $(count Skipped) skipped"
fi
if [ -d artifacts/playwright-traces ] && [ -n "$(ls -A artifacts/playwright-traces)" ]; then
  echo "Playwright traces of the failed browser tests: artifacts/playwright-traces/ (pwsh RealtimeRazor.Tests/bin/Debug/net10.0/playwright.ps1 show-trace <zip>)"
fi
exit "$status"
