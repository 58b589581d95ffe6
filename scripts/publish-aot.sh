#!/usr/bin/env bash
# Publishes the dartio tool as a native AOT binary (issue 11): one executable that needs no .NET runtime and answers
# its first request in a few tens of milliseconds (bench/startup measures it).
#
#   scripts/publish-aot.sh [--output DIR] [--rid RID] [--check] [--no-publish]
#
#   --output DIR   where the binary goes (default: artifacts/aot/RID): DIR/dartio, and its debug symbols
#                  DIR/DartIo.Cli.dbg (gdb and perf find them beside the binary)
#   --rid RID      the runtime identifier (default: this machine's, linux-x64 or linux-arm64)
#   --check        then run, against DIR/dartio, every functional test that starts the tool as a process (serve over
#                  HTTP and HTTPS with a `certs create` entry, echo plain and TLS, certs, the exit codes and errors),
#                  through scripts/test.sh with DARTIO_TOOL=DIR/dartio; exits non-zero when one fails
#   --no-publish   with --check: check the binary already in DIR
#
# It is `dotnet publish src/DartIo.Cli -c Release -r RID -p:PublishAot=true` and a copy. Beyond the .NET SDK the
# native compile needs a C toolchain for the final link: clang (the documented prerequisite; the SDK takes gcc when
# there is no `clang` on PATH) with the C library's headers. As root on Debian, Debian's `clang` is installed when it
# is missing. The ILCompiler packages come from NuGet with the restore; zlib and brotli are linked from the runtime
# pack, so zlib1g-dev is not needed (.NET 9 and later). Publishing takes about 1.5 minutes on 2 cores.
# The NuGet package of the tool stays framework-dependent: PublishAot is set only here, on the command line.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

case $(uname -m) in
  x86_64) rid=linux-x64 ;;
  aarch64 | arm64) rid=linux-arm64 ;;
  *) rid= ;;
esac
out= check=0 publish=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --output) out=$2; shift ;;
    --rid) rid=$2; shift ;;
    --check) check=1 ;;
    --no-publish) publish=0 ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "publish-aot: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ -n $rid ]] || { echo "publish-aot: no runtime identifier for $(uname -m); pass --rid" >&2; exit 2; }
out=${out:-artifacts/aot/$rid}
mkdir -p "$out"
out=$(cd "$out" && pwd)

install_toolchain() {
  command -v clang >/dev/null && return
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "publish-aot: installing clang (the native linker driver)" >&2
    apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends clang >/dev/null
  elif command -v gcc >/dev/null; then
    echo "publish-aot: no clang on PATH; the SDK links with gcc" >&2
  else
    echo "publish-aot: neither clang nor gcc is on PATH; install clang (Debian: apt-get install clang)" >&2
    exit 1
  fi
}

if ((publish == 1)); then
  install_toolchain
  stage=$(mktemp -d)
  trap 'rm -rf "$stage"' EXIT
  echo "publish-aot: publishing the native dartio for $rid (about 1.5 minutes)" >&2
  dotnet publish src/DartIo.Cli -c Release -r "$rid" -p:PublishAot=true -o "$stage" -nologo -v q
  # The binary, and its symbols under the name its .gnu_debuglink gives; the libraries' PDBs and XML docs that
  # publish copies beside it are not needed by a native binary.
  install -m 755 "$stage/DartIo.Cli" "$out/dartio"
  [[ ! -f $stage/DartIo.Cli.dbg ]] || install -m 644 "$stage/DartIo.Cli.dbg" "$out/DartIo.Cli.dbg"
  echo "publish-aot: $out/dartio ($(du -h "$out/dartio" | cut -f1))" >&2
fi

if ((check == 1)); then
  [[ -x $out/dartio ]] || { echo "publish-aot: no $out/dartio to check (publish it first)" >&2; exit 1; }
  "$out/dartio" --help >/dev/null # it starts at all (usage, exit 0)
  # The test classes that run the tool as a process (one primary type per file, the file named after it).
  filter=$(grep -rlE 'DartioProcess\.(Start|StartThrough)|DartioRun\.RunAsync' tests --include='*.cs' |
    xargs -n1 basename | sed 's/\.cs$//' | sort -u | sed 's/.*/FullyQualifiedName~.&./' | paste -sd '|')
  echo "publish-aot: checking $out/dartio with the tool's functional tests" >&2
  DARTIO_TOOL=$out/dartio bash scripts/test.sh --filter "$filter"
fi
