#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian packages named as arguments that are not installed yet.
set -e
missing=""
for p in "$@"; do
    # A Node.js built by NodeSource carries its own npm, and conflicts with Debian's package.
    [ "$p" = npm ] && command -v npm >/dev/null 2>&1 && continue
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages:$missing (run as root or install them)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
