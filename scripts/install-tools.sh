#!/usr/bin/env bash
# Installs what the service and its tests need beyond npm, at pinned versions, from the Go module proxy:
#   - the Temporal CLI (its dev server is the embedded default and the test server);
#   - kustomize and the Compose Specification's JSON schema (compose-go), for the deployment checks;
#   - promtool, which checks and unit-tests the alerts of the PrometheusRule in k8s/components/prometheus;
# client/ packed as a package, and the example service's own npm dependencies (that package among them). Builds are
# cached per machine, so a second install, or a fresh clone on the same machine, only packs client/ again. SCHEDULER_SKIP_TEMPORAL_CLI=1 skips all of it (the image build).
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_CLI_VERSION=1.5.1 # the newest CLI that `go install` accepts (later go.mod files carry a replace directive)
KUSTOMIZE_VERSION=5.8.1    # the newest whose go.mod this machine's Go (1.26) accepts without a toolchain switch
COMPOSE_GO_VERSION=2.16.2  # compose-go ships schema/compose-spec.json, what `docker compose` validates against
PROMTOOL_VERSION=3.16.0    # Prometheus 3.16.0 is Go module v0.316.0; its go.mod asks Go 1.26.7 and has no replace
[ -n "${SCHEDULER_SKIP_TEMPORAL_CLI:-}" ] && exit 0

# client/ as a package: `npm pack` builds it (prepack) into client/scheduler-service-client-<version>.tgz, the file
# the example service installs it from. Packed on every install (a few seconds), so the example never runs an old copy.
CLIENT_PACKAGE=$(cd client && npm pack --silent --loglevel=error | tail -n 1)
echo "install-tools: packed client/ as client/$CLIENT_PACKAGE"

# The example service's own dependencies (its `npm start` and its test), when missing, older than its lock file, or
# installed from another client package than the one just packed. Its lock names no integrity for the packed file on
# purpose: npm would install an earlier copy of the same version from its cache (test/client-package.int.test.ts).
EXAMPLE=examples/email-service
CLIENT_STAMP="$EXAMPLE/node_modules/.scheduler-client.sha256"
CLIENT_SHA=$(sha256sum "client/$CLIENT_PACKAGE" | cut -d' ' -f1)
if [ ! -f "$EXAMPLE/node_modules/.package-lock.json" ] || [ "$EXAMPLE/package-lock.json" -nt "$EXAMPLE/node_modules/.package-lock.json" ] ||
  [ "$(cat "$CLIENT_STAMP" 2>/dev/null)" != "$CLIENT_SHA" ]; then
  echo "install-tools: installing $EXAMPLE's dependencies"
  npm ci --prefix "$EXAMPLE" --no-audit --no-fund --loglevel=error
  echo "$CLIENT_SHA" >"$CLIENT_STAMP"
fi

if ! command -v go >/dev/null 2>&1; then
  echo "install-tools: Go >= 1.26.7 is needed to build the Temporal CLI $TEMPORAL_CLI_VERSION, kustomize and promtool;" \
    "without it set TEMPORAL_ADDRESS (an existing server) or TEMPORAL_CLI_PATH; the deployment checks will fail" >&2
  exit 0
fi
CACHE="${SCHEDULER_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scheduler-service}"
mkdir -p .tools/bin

# go_install <cached binary> <version flag> <pattern> <module@version> [ldflags]: builds once per machine, links it.
go_install() {
  local binary=$1 flag=$2 pattern=$3 module=$4 ldflags=${5:-}
  if ! { [ -x "$binary" ] && "$binary" "$flag" 2>/dev/null | grep -q -- "$pattern"; }; then
    echo "install-tools: building $module from the Go module proxy (first time only; minutes)..."
    mkdir -p "$(dirname "$binary")"
    build() { CGO_ENABLED=0 GOBIN="$(dirname "$binary")" go install -ldflags "-s -w $ldflags" "$module"; }
    # A checksum-database hiccup is not fatal: the module's own go.sum still pins every dependency.
    build || GOSUMDB=off build
    "$binary" "$flag" 2>/dev/null | grep -q -- "$pattern" || { echo "install-tools: $binary is not $pattern" >&2; exit 1; }
  fi
  ln -sfn "$binary" ".tools/bin/$(basename "$binary")"
}

go_install "$CACHE/temporal-cli-$TEMPORAL_CLI_VERSION/temporal" --version "version $TEMPORAL_CLI_VERSION " \
  "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION" \
  "-X github.com/temporalio/cli/temporalcli.Version=$TEMPORAL_CLI_VERSION"
go_install "$CACHE/kustomize-$KUSTOMIZE_VERSION/kustomize" version "v$KUSTOMIZE_VERSION" \
  "sigs.k8s.io/kustomize/kustomize/v5@v$KUSTOMIZE_VERSION"
# Prometheus tags its Go module v0.<major><minor>.<patch>: 3.16.0 is v0.316.0. The version goes in as `make` puts it.
go_install "$CACHE/promtool-$PROMTOOL_VERSION/promtool" --version "version $PROMTOOL_VERSION " \
  "github.com/prometheus/prometheus/cmd/promtool@v0.$(echo "$PROMTOOL_VERSION" | awk -F. '{ printf "%d%02d.%d", $1, $2, $3 }')" \
  "-X github.com/prometheus/common/version.Version=$PROMTOOL_VERSION"

SCHEMA="$CACHE/compose-spec-$COMPOSE_GO_VERSION.json"
if [ ! -s "$SCHEMA" ]; then
  dir=$(go mod download -json "github.com/compose-spec/compose-go/v2@v$COMPOSE_GO_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  cp "$dir/schema/compose-spec.json" "$SCHEMA"
fi
ln -sfn "$SCHEMA" .tools/compose-spec.json

echo "install-tools: $(.tools/bin/temporal --version); kustomize $(.tools/bin/kustomize version); compose-spec $COMPOSE_GO_VERSION;" \
  "promtool $PROMTOOL_VERSION"
