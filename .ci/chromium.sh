#!/usr/bin/env bash
# Installs Debian's chromium for the portal's browser test
# (cmd/portal/browser_test.go), unless `chromium` is already on PATH.
#
#   bash .ci/chromium.sh
#
# Non-interactive and quiet; apt-get's output goes to stderr. Needs root (or
# sudo without a password) when chromium is missing.
set -euo pipefail

log() { echo "chromium.sh: $*" >&2; }

if command -v chromium >/dev/null 2>&1; then
	log "chromium already installed: $(command -v chromium)"
	exit 0
fi

log "installing chromium with apt-get"
bash "$(dirname "$0")/apt-install.sh" chromium

if ! command -v chromium >/dev/null 2>&1; then
	log "apt-get finished but chromium is not on PATH"
	exit 1
fi
log "installed $(command -v chromium)"
