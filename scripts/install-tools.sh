#!/usr/bin/env bash
# Installs the Temporal CLI (its dev server is the embedded default and the test server) at the pinned
# version, built from the Go module proxy. The build is cached per machine, so a second install, or a
# fresh clone on the same machine, is a no-op.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=1.5.1 # the newest CLI that `go install` accepts (later go.mod files carry a replace directive)
[ -n "${SCHEDULER_SKIP_TEMPORAL_CLI:-}" ] && exit 0

# The example service's own dependencies (its `npm start` and its test), when missing or older than its lock file.
EXAMPLE=examples/email-service
if [ ! -f "$EXAMPLE/node_modules/.package-lock.json" ] || [ "$EXAMPLE/package-lock.json" -nt "$EXAMPLE/node_modules/.package-lock.json" ]; then
  echo "install-tools: installing $EXAMPLE's dependencies"
  npm ci --prefix "$EXAMPLE" --no-audit --no-fund --loglevel=error
fi

CACHE="${SCHEDULER_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scheduler-service}/temporal-cli-$VERSION"
LINK=.tools/bin/temporal
is_pinned() { [ -x "$1" ] && "$1" --version 2>/dev/null | grep -q "version $VERSION "; }

if ! is_pinned "$CACHE/temporal"; then
  if ! command -v go >/dev/null 2>&1; then
    echo "install-tools: Go >= 1.25 is needed to build the Temporal CLI $VERSION; without it set TEMPORAL_ADDRESS" \
      "(an existing server) or TEMPORAL_CLI_PATH" >&2
    exit 0
  fi
  echo "install-tools: building Temporal CLI $VERSION from the Go module proxy (first time only; minutes)..."
  mkdir -p "$CACHE"
  build() {
    CGO_ENABLED=0 GOBIN="$CACHE" go install \
      -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=$VERSION" \
      "github.com/temporalio/cli/cmd/temporal@v$VERSION"
  }
  # A checksum-database hiccup is not fatal: the module's own go.sum still pins every dependency.
  build || GOSUMDB=off build
  is_pinned "$CACHE/temporal" || { echo "install-tools: the built CLI does not report version $VERSION" >&2; exit 1; }
fi
mkdir -p "$(dirname "$LINK")"
ln -sfn "$CACHE/temporal" "$LINK"
echo "install-tools: $("$LINK" --version)"
