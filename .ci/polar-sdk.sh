#!/usr/bin/env bash
# Installs the pinned Polar SDK for the compatibility test (compat/polar):
# Debian's nodejs and npm with apt-get when `node` or `npm` is missing, then
# `npm ci` from compat/polar's package-lock.json.
#
#   bash .ci/polar-sdk.sh
#
# Non-interactive; apt-get's and npm's output goes to stderr. Needs root (or
# sudo without a password) when Node is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "polar-sdk.sh: $*" >&2; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	log "installing nodejs and npm with apt-get"
	bash .ci/apt-install.sh nodejs npm
fi
log "node $(node --version), npm $(npm --version)"

(cd compat/polar && npm ci --no-audit --no-fund >&2)
log "installed @polar-sh/sdk $(node -p 'require("./compat/polar/node_modules/@polar-sh/sdk/package.json").version')"
