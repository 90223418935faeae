#!/bin/sh
# SPDX-License-Identifier: MIT
# First-run setup for `make run`: data dir, self-signed certificate, database.
set -e
conf=${1:-conf/parley.conf}
# Reads one top-level key from the config (paths there are relative to the config's folder).
key() { sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\"\{0,1\}\([^\"#]*[^\"#[:space:]]\).*/\1/p" "$conf" | head -n 1; }
abs() { case "$1" in /*) echo "$1" ;; *) echo "$(cd "$(dirname "$conf")" && pwd)/$1" ;; esac; }
domain=$(key domain); domain=${domain:-localhost}
data=$(abs "$(key data_dir)"); cert=$(abs "$(key tls_cert)"); tkey=$(abs "$(key tls_key)")
mkdir -p "$data"
chmod 700 "$data"
if [ ! -f "$cert" ] || [ ! -f "$tkey" ]; then
    echo "creating a self-signed certificate for $domain in $(dirname "$cert")"
    mkdir -p "$(dirname "$cert")" "$(dirname "$tkey")"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
        -subj "/CN=$domain" -addext "subjectAltName=DNS:$domain" \
        -keyout "$tkey" -out "$cert" 2>/dev/null
    chmod 600 "$tkey"
fi
# Opening the store creates and migrates the database.
bin/parleyctl -c "$conf" users >/dev/null
echo "database ready in $data"
