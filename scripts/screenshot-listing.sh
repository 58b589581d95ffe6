#!/usr/bin/env bash
# Remakes docs/serve-listing.png and docs/serve-listing-dark.png, the README's pictures of `dartio serve`'s folder
# listing: the browser test that draws the listing of a sample folder in headless Chromium, light and dark, and checks
# the pictures are not blank, keeps them in docs/ (DARTIO_LISTING_SCREENSHOTS). Needs chromium (scripts/test.sh
# installs it on Debian).
# Usage: bash scripts/screenshot-listing.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if ! command -v chromium >/dev/null 2>&1; then
  echo "screenshot-listing: needs chromium (Debian: apt-get install chromium)" >&2
  exit 1
fi

DARTIO_LISTING_SCREENSHOTS="$PWD/docs" dotnet test tests/DartIo.FunctionalTests -c Release \
  --filter "FullyQualifiedName~ListingPageBrowserTests"
ls -l docs/serve-listing.png docs/serve-listing-dark.png
