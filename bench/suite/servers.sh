# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# The three servers for bench/suite/bench.sh (bash): config, accounts, start pinned to CPU 0,
# stop by PID. Sourced, not run. Each server NAME has its own folder $WORK/NAME.
#
# Reads: ROOT, WORK (copies of the binaries in $WORK/bin), SUITE, DOMAIN, KEYCACHE,
# PARLEY_ARCHIVE_ON, PARLEY_ARCHIVE_OFF, PROSODY_MAM_STORAGE, PASSWORD, BOT, CERT, KEY,
# RSA_CERT, RSA_KEY, SERVER_CPU, BOT_CPU, WS_TLS, WS_PATH, and the per-server ports
# PORT_<name>, TLS_PORT_<name>, WS_PORT_<name> (ws://), WSS_PORT_<name> (wss://). Sets SRV_PID
# and SRV_NAME while a server runs.
#
# Each server has a primary config (ECDSA P-256, $CERT) and variants of it (srv_variants): the
# "rsa" one differs only in the certificate (RSA-2048, $RSA_CERT); the others add the message
# archive, stream management, or XMPP over WebSocket. All use the same accounts.

SRV_PID=""
SRV_NAME=""

srv_port() { local v="PORT_$1"; echo "${!v}"; }
srv_tls_port() { local v="TLS_PORT_$1"; echo "${!v}"; }
srv_ws_port() { local v="WS_PORT_$1"; echo "${!v}"; }
srv_wss_port() { local v="WSS_PORT_$1"; echo "${!v}"; }
# The port of the bot's WebSocket runs: wss:// (WS_TLS=direct) or ws:// (WS_TLS=none).
srv_ws_bot_port() {
    if [ "$WS_TLS" = none ]; then srv_ws_port "$1"; else srv_wss_port "$1"; fi
}

# The SASL mechanism the bot uses: Parley stores SCRAM keys, so SCRAM-SHA-256 never runs
# PBKDF2 on its side; the peers store plaintext passwords, and PLAIN is their fastest login.
srv_sasl() { [ "$1" = parley ] && echo scram-sha-256 || echo plain; }

# The file where NAME writes its errors (console.log holds what it printed).
srv_logfile() {
    case $1 in
    prosody) echo "$WORK/prosody/prosody.log" ;;
    ejabberd) echo "$WORK/ejabberd/ejabberd.log" ;;
    *) echo "$WORK/$1/console.log" ;;
    esac
}

# The last lines NAME logged, on one line, for an error report.
srv_last_words() {
    local f
    f=$(srv_logfile "$1")
    [ -s "$f" ] || f=$WORK/$1/console.log
    grep -v '^[[:space:]*]*$' "$f" 2>/dev/null | tail -n 2 | paste -sd ' ' - | cut -c1-400
}

# The config file of NAME for VARIANT ("" for the primary one, or rsa).
srv_config() {
    local name=$1 variant=${2:-} dir="$WORK/$1" suffix=""
    [ -n "$variant" ] && suffix="-$variant"
    case $name in
    parley) echo "$dir/parley$suffix.conf" ;;
    prosody) echo "$dir/prosody$suffix.cfg.lua" ;;
    ejabberd) echo "$dir/ejabberd$suffix.yml" ;;
    *) die "unknown server $name" ;;
    esac
}

# The variants of a server's config, beside the primary one (""): rsa (the RSA-2048
# certificate), mam (the message archive on: Parley's [archive] section from
# PARLEY_ARCHIVE_ON, Prosody's mod_mam on mod_storage_sql with SQLite, ejabberd's mod_mam on
# SQL storage with SQLite), nomam (Parley only: its archive off, from PARLEY_ARCHIVE_OFF) and sm
# (stream management with resumption: Prosody's mod_smacks, ejabberd's mod_stream_mgmt;
# Parley's is always on) and ws (XMPP over WebSocket at $WS_PATH, ws:// on WS_PORT_<name> and
# wss:// on WSS_PORT_<name>, beside c2s as always: Parley's http_port and https_port, Prosody's
# mod_websocket, ejabberd's ejabberd_http_ws). The archive variants keep their archive apart
# (srv_reset_archive). Every Parley config but mam has its archive off, as the peers have none
# outside mam.
srv_variants() {
    case $1 in
    parley) echo "rsa mam nomam sm ws" ;;
    *) echo "rsa mam sm ws" ;;
    esac
}

# True when this Parley serves XMPP over WebSocket (its config documents http_port).
parley_has_websocket() { grep -q '^http_port' "$ROOT/conf/parley.conf" 2>/dev/null; }

# ejabberd's two WebSocket listeners, one YAML line each (with \n between them for render).
ejabberd_ws_listeners() {
    local handler="request_handlers: {\"$WS_PATH\": ejabberd_http_ws}}"
    printf '  - {port: %s, ip: "127.0.0.1", module: ejabberd_http, %s\\n' \
        "$(srv_ws_port ejabberd)" "$handler"
    printf '  - {port: %s, ip: "127.0.0.1", module: ejabberd_http, tls: true, %s' \
        "$(srv_wss_port ejabberd)" "$handler"
}

# Parley's ws variant: its HTTP and HTTPS ports, and for ws:// the loopback exception that
# lets a session without TLS log in (PLAIN is still never offered there).
parley_ws_config() {
    sed -i -e "s|^http_port = .*|http_port = $(srv_ws_port parley)|" \
        -e "s|^https_port = .*|https_port = $(srv_wss_port parley)|" "$1"
    # beside the ports, before any [section] a variant appends
    [ "$WS_TLS" = none ] && sed -i "/^https_port = /a allow_plaintext_loopback = true" "$1"
    return 0
}

# True when this Parley has a message archive (its config documents an [archive] section).
parley_has_archive() { grep -q '^\[archive\]' "$ROOT/conf/parley.conf" 2>/dev/null; }

# What NAME's VARIANT adds to the primary config (after rendering), on stdout.
srv_variant_tail() {
    local name=$1 variant=$2
    case $name-$variant in
    parley-mam) parley_has_archive && printf '%b\n' "$PARLEY_ARCHIVE_ON" ;;
    # the other runs compare Parley with peers that archive nothing: its archive is off too
    parley-*) parley_has_archive && printf '%b\n' "$PARLEY_ARCHIVE_OFF" ;;
    ejabberd-mam) render_stdout "$SUITE/ejabberd-mam.yml.in" "WORK=$WORK/$name" ;;
    ejabberd-sm) cat "$SUITE/ejabberd-sm.yml.in" ;;
    esac
}

srv_prepare() {
    local name=$1 dir="$WORK/$1" tmpl variant crt k mods store conf http https listeners
    mkdir -p "$dir"
    case $name in
    parley) tmpl=parley.conf.in; mkdir -p "$dir/data" && chmod 700 "$dir/data" ;;
    prosody) tmpl=prosody.cfg.lua.in; mkdir -p "$dir/data" ;;
    ejabberd) tmpl=ejabberd.yml.in; mkdir -p "$dir/spool" ;;
    *) die "unknown server $name" ;;
    esac
    for variant in "" $(srv_variants "$name"); do
        crt=$CERT k=$KEY mods="" store='"internal"' http="" https="" listeners=""
        [ "$variant" = rsa ] && crt=$RSA_CERT k=$RSA_KEY
        [ "$variant" = mam ] && mods=', "mam"' store=$PROSODY_MAM_STORAGE
        [ "$variant" = sm ] && mods=', "smacks"'
        if [ "$variant" = ws ]; then
            mods=', "websocket"' http=$(srv_ws_port "$name") https=$(srv_wss_port "$name")
            listeners=$(ejabberd_ws_listeners)
        fi
        conf=$(srv_config "$name" "$variant")
        render "$SUITE/$tmpl" "$conf" "WORK=$dir" \
            "PORT=$(srv_port "$name")" "TLS_PORT=$(srv_tls_port "$name")" "CERT=$crt" \
            "KEY=$k" "CERT_DIR=$(dirname "$crt")" "DOMAIN=$DOMAIN" "MODULES=$mods" \
            "STORAGE=$store" "HTTP_PORTS=$http" "HTTPS_PORTS=$https" "WS_LISTENERS=$listeners"
        # Parley's archive runs write to a copy of its data (srv_reset_archive)
        [[ $name-$variant == parley-*mam ]] &&
            sed -i "s|^data_dir = .*|data_dir = $dir/data-archive|" "$conf"
        [ "$name-$variant" = parley-ws ] && parley_ws_config "$conf"
        srv_variant_tail "$name" "$variant" >>"$conf"
    done
}

# KiB the archive's storage of NAME takes (for Parley: its data folder of the archive runs
# beyond the primary one's), to show what a run with the archive on or off wrote.
srv_archive_kib() {
    local dir="$WORK/$1" a b
    case $1 in
    parley)
        a=$(du -sk "$dir/data-archive" 2>/dev/null | cut -f1)
        b=$(du -sk "$dir/data" 2>/dev/null | cut -f1)
        echo $((${a:-0} - ${b:-0}))
        ;;
    prosody) du -ck "$dir/data/prosody.sqlite"* 2>/dev/null | tail -n 1 | cut -f1 ;;
    ejabberd) du -ck "$dir/mam.db"* 2>/dev/null | tail -n 1 | cut -f1 ;;
    esac
}

# Before an archive run: an empty archive, so every run writes to one of the same size.
# Parley's archive lives with its accounts: the run gets a fresh copy of the data folder.
srv_reset_archive() {
    local name=$1 dir="$WORK/$1"
    case $name in
    parley) rm -rf "$dir/data-archive" && cp -a "$dir/data" "$dir/data-archive" ;;
    prosody) rm -f "$dir/data/prosody.sqlite" "$dir/data/prosody.sqlite-"* ;;
    ejabberd) rm -f "$dir/mam.db" "$dir/mam.db-"* ;;
    esac
}

# Starts NAME pinned to $SERVER_CPU with the config of VARIANT (optional, see srv_variants), waits
# for its c2s port (and the ws variant for its WebSocket port too); false (with its log shown)
# when it does not come up within 90 s.
srv_start() {
    local name=$1 dir="$WORK/$1" port conf p
    port=$(srv_port "$name")
    conf=$(srv_config "$name" "${2:-}")
    # (the ports sit below the ephemeral range, so no client socket of the bot can hold them)
    for p in "$port" "$(srv_tls_port "$name")" "$(srv_ws_port "$name")" \
        "$(srv_wss_port "$name")"; do
        if port_listening "$p"; then
            log "$name: port $p is already in use by another program"
            return 1
        fi
    done
    : >"$dir/console.log"
    : >"$(srv_logfile "$name")" # so that its last words are this start's
    case $name in
    parley)
        taskset -c "$SERVER_CPU" "$WORK/bin/parleyd" -c "$conf" \
            >>"$dir/console.log" 2>&1 &
        ;;
    prosody)
        # -F: stay in the foreground, so $! is the Lua process itself.
        taskset -c "$SERVER_CPU" prosody -F --config "$conf" \
            >>"$dir/console.log" 2>&1 &
        ;;
    ejabberd)
        # The erl script execs erlexec, which execs beam.smp: $! is the VM, and taskset pins
        # every thread of it. One scheduler and one dirty-CPU scheduler for the one core, and
        # no scheduler busy-waiting, so that the VM neither fights itself for CPU 0 nor burns it
        # spinning. No distribution (no -sname): no epmd is started, nothing else to stop.
        (
            cd "$dir" || exit 1
            export EJABBERD_CONFIG_PATH="$conf" EJABBERD_LOG_PATH="$dir/ejabberd.log"
            export ERL_LIBS=/usr/lib/x86_64-linux-gnu ERL_MAX_PORTS=65536
            export ERL_CRASH_DUMP="$dir/erl_crash.dump" ERL_CRASH_DUMP_BYTES=0
            exec taskset -c "$SERVER_CPU" erl -noinput +K true +P 1000000 +S 1:1 +SDcpu 1:1 \
                +sbwt none +sbwtdcpu none +sbwtdio none \
                -mnesia dir "\"$dir/spool\"" -s ejabberd
        ) >>"$dir/console.log" 2>&1 &
        ;;
    esac
    SRV_PID=$!
    SRV_NAME=$name
    echo "$SRV_PID" >"$dir/server.pid"
    [ "${2:-}" = ws ] && port="$port $(srv_ws_bot_port "$name")"
    for p in $port; do
        wait_listen "$SRV_PID" "$p" 90 && continue
        log "$name did not start listening on $p; its output:"
        tail -n 20 "$dir/console.log" >&2
        [ "$(srv_logfile "$name")" = "$dir/console.log" ] || tail -n 5 "$(srv_logfile "$name")" >&2
        srv_stop
        return 1
    done
    sleep 1 # listeners come up before every module is ready in the peers
    [ "$name-${2:-}" = ejabberd-mam ] && ejabberd_sql_warm
    return 0
}

# ejabberd 23.01 starts a host's SQL pool at its first query, and queries that arrive together
# before the pool is up crash (binary_to_existing_atom in ejabberd_sql:get_worker): a few
# messages between two accounts start it before the measured run.
ejabberd_sql_warm() {
    taskset -c "$BOT_CPU" "$BOT" chat --port "$(srv_port ejabberd)" --domain "$DOMAIN" \
        --count 2 --rates 5 --step 1 --drain 1 --password "$PASSWORD" --sasl plain \
        --keycache "$KEYCACHE" --quiet >/dev/null 2>&1
}

srv_stop() {
    [ -n "$SRV_PID" ] || return 0
    local pid=$SRV_PID name=$SRV_NAME
    SRV_PID=""
    SRV_NAME=""
    stop_pid "$pid" "$name" || die "could not stop $name (PID $pid)"
    rm -f "$WORK/$name/server.pid"
}

# Accounts user1..userN with $PASSWORD: Parley's through parleyctl (before start), the peers'
# through in-band registration with the bot (server running). Remembered in $dir/accounts.
srv_accounts_have() { cat "$WORK/$1/accounts" 2>/dev/null || echo 0; }

# The accounts user1..userN that Parley's database lacks, one JID a line, in order.
parley_missing() {
    local n=$1 i
    comm -23 <(for ((i = 1; i <= n; i++)); do echo "user$i@$DOMAIN"; done | sort) \
        <("$WORK/bin/parleyctl" -c "$WORK/parley/parley.conf" users | sort) | sort -V
}

parley_register() {
    local n=$1 have dir="$WORK/parley" t0 ctl jid first failed=0
    have=$(srv_accounts_have parley)
    ((have >= n)) && return 0
    t0=$(date +%s.%N)
    ctl=("$WORK/bin/parleyctl" -c "$dir/parley.conf")
    if [ ! -e "$dir/data/parley.db" ]; then
        # The first parleyctl creates the database and switches it to WAL: alone, or the
        # others started with it find it locked.
        "${ctl[@]}" adduser "user1@$DOMAIN" "$PASSWORD" >&2 || return 1
        have=1
    else
        # an earlier run may have stopped half-way: go on from the first one missing
        first=$(parley_missing "$n" | head -n 1)
        first=${first#user}
        have=$((${first%%@*} - 1))
        ((have < 0)) && have=$n # none missing
    fi
    if ((have < n)) && ! "$BOT" register --domain "$DOMAIN" --first $((have + 1)) \
        --count $((n - have)) --password "$PASSWORD" --timeout 1800 \
        --register-cmd "${ctl[*]} adduser %s %s" >&2; then
        # some failed: add what is missing one at a time
        while read -r jid; do
            "${ctl[@]}" adduser "$jid" "$PASSWORD" </dev/null >&2 || failed=$((failed + 1))
        done < <(parley_missing "$n")
        ((failed == 0)) || return 1
    fi
    echo "$n" >"$dir/accounts"
    log "parley: $((n - have)) accounts with parleyctl in $(awk -v a="$t0" -v b="$(date +%s.%N)" \
        'BEGIN { printf "%.1f", b - a }') s"
}

peer_register() {
    local name=$1 n=$2 have t0
    have=$(srv_accounts_have "$name")
    ((have >= n)) && return 0
    t0=$(date +%s.%N)
    taskset -c "$BOT_CPU" "$BOT" register --port "$(srv_port "$name")" --domain "$DOMAIN" \
        --first $((have + 1)) --count $((n - have)) --password "$PASSWORD" --parallel 50 \
        --timeout 1800 --quiet >"$WORK/$name/register.txt" 2>&1
    if ! grep -q "^registered: $((n - have)) of $((n - have))" "$WORK/$name/register.txt"; then
        log "$name: in-band registration failed:"
        cat "$WORK/$name/register.txt" >&2
        return 1
    fi
    echo "$n" >"$WORK/$name/accounts"
    log "$name: $((n - have)) accounts by in-band registration in $(awk -v a="$t0" \
        -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
}
