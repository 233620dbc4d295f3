#!/usr/bin/env bash
# Installs Debian packages with apt-get, as root or with sudo without a
# password: non-interactive, its output on stderr.
#
#   bash .ci/apt-install.sh PACKAGE...
set -euo pipefail

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo -n"
	else
		echo "apt-install.sh: need root (or sudo) to install $*" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq "$@" >&2
