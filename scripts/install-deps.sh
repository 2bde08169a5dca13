#!/bin/sh
# Installs the Debian 12 packages routestat needs, only those missing.
# Used by scripts/demo.sh and scripts/test.sh, so a fresh machine needs nothing by hand.
# Why each package is there: README.md, "Dependencies".
set -eu

PACKAGES="gcc libc6-dev make cmake pkg-config procps liburing-dev libck-dev libcriterion-dev libjansson-dev libjsmn-dev libncurses-dev tmux clang libclang-rt-14-dev"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root (or sudo) to install:$missing" >&2; exit 1; }
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
