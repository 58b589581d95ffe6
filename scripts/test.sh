#!/usr/bin/env bash
# Runs every test: installs the Debian tools some tests drive (when missing and we are root), builds, tests, then
# the packaging test (tests/packaging/run: pack, check the packages, install the tool from them and run it).
# Usage: bash scripts/test.sh [extra dotnet test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Tools the functional tests run as peers: openssl (s_client against dartio echo --tls), pk12util (NSS import),
# chromium (a headless browser opening a WebSocket over HTTP/2), haproxy and nginx with its stream module (proxies
# in front of the servers, sending PROXY protocol headers; the tests start them, never the system services).
needed=()
command -v openssl >/dev/null 2>&1 || needed+=(openssl)
command -v pk12util >/dev/null 2>&1 || needed+=(libnss3-tools)
command -v chromium >/dev/null 2>&1 || needed+=(chromium)
command -v python3 >/dev/null 2>&1 || needed+=(python3) # binds the proxies' listening sockets; reads the packages
[[ -x /usr/sbin/haproxy ]] || needed+=(haproxy)
[[ -x /usr/sbin/nginx ]] || needed+=(nginx)
[[ -e /usr/lib/nginx/modules/ngx_stream_module.so ]] || needed+=(libnginx-mod-stream)
if ((${#needed[@]} > 0)); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${needed[*]}" >&2
    # No package may start its service (nginx's would take port 80): policy-rc.d refuses, unless one is there already.
    policy=
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      policy=/usr/sbin/policy-rc.d
      printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
    fi
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${needed[@]}" >/dev/null
    [[ -z $policy ]] || rm -f "$policy"
  else
    echo "note: ${needed[*]} missing and cannot be installed here; the tests that need them will fail" >&2
  fi
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test DartIo.slnx -c Release "$@" 2>&1 | tee "$log" || status=$?

# The packaging test: packs the four packages in a folder of its own (its own bin/ and obj/, so the outputs above
# are untouched), checks them, installs the tool from them and runs it. It runs even when a test failed, and its
# failure fails the run.
echo "== packaging (tests/packaging/run)"
bash tests/packaging/run 2>&1 | tee -a "$log" || status=$?

# One plain closing line over all test assemblies and the packaging checks.
awk '/(Passed|Failed)! +- +Failed: /{
       for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1)); if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     }
     /^packaging: [0-9]+ passed, [0-9]+ failed$/ { p += $2; f += $4 }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
