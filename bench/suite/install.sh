#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the peers and the plotter from Debian (prosody, ejabberd, gnuplot-nox) when missing,
# with the SQLite drivers of their archives (lua-dbi-sqlite3 for Prosody's mod_storage_sql,
# erlang-p1-sqlite3 for ejabberd's SQL storage),
# and makes sure their system services neither run nor start at boot: the suite starts each
# server itself, with its own config, pinned to one core, and stops it by PID.
set -eu
cd "$(dirname "$0")/../.."

# Debian starts a daemon as soon as its package is installed unless policy-rc.d says no. Keep
# them from starting (and grabbing 5222/5269) with a temporary policy when none is in place.
made_policy=""
if [ ! -e /usr/sbin/policy-rc.d ] && [ "$(id -u)" -eq 0 ]; then
    printf '#!/bin/sh\n# temporary, from parley bench/suite/install.sh\nexit 101\n' \
        >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=yes
fi
rc=0
conf/install-deps.sh prosody ejabberd gnuplot-nox lua-dbi-sqlite3 erlang-p1-sqlite3 || rc=$?
[ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
[ "$rc" -eq 0 ] || exit "$rc"

# A system instance runs with the packaged config: Prosody without --config (or with the one
# in /etc), ejabberd with its Mnesia spool in /var/lib/ejabberd.
system_instances() {
    for pid in $(pidof lua5.4 lua5.3 lua5.2 lua5.1 lua 2>/dev/null); do
        args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
        case "$args" in
        *prosody*--config*/etc/prosody*) echo "$pid prosody" ;;
        *prosody*--config*) ;;
        *bin/prosody*) echo "$pid prosody" ;;
        esac
    done
    for pid in $(pidof beam.smp 2>/dev/null); do
        args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
        case "$args" in *ejabberd*/var/lib/ejabberd*) echo "$pid ejabberd" ;; esac
    done
}

# Keep the system services off at boot; stop running system instances through the service
# manager that is there. Nothing here kills a process by name, and nothing asks the ejabberd
# service for its status: `ejabberdctl status` would start an Erlang port mapper (epmd) that
# listens on every address and stays behind.
for svc in prosody ejabberd; do
    if command -v systemctl >/dev/null 2>&1; then
        systemctl disable "$svc" >/dev/null 2>&1 || true # works offline on the unit links
    fi
    if command -v update-rc.d >/dev/null 2>&1; then
        update-rc.d "$svc" disable >/dev/null 2>&1 || true
    fi
done
running=$(system_instances | awk '{ print $2 }' | sort -u)
for svc in $running; do
    echo "bench: stopping the system $svc service"
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        systemctl stop "$svc" || true
    elif command -v service >/dev/null 2>&1; then
        service "$svc" stop || true
    fi
done
[ -z "$running" ] || sleep 2
left=$(system_instances)
if [ -n "$left" ]; then
    echo "bench: system instances still running after 'stop' (PID name):" >&2
    echo "$left" >&2
    echo "bench: stop them (service prosody stop; service ejabberd stop) and run again" >&2
    exit 1
fi
exit 0
