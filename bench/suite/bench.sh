#!/bin/bash
# SPDX-License-Identifier: MIT
# Side-by-side benchmark: Parley, Prosody and ejabberd, one at a time, each pinned to CPU 0
# with the load bot (bin/parley-bench) on CPU 1, same scenarios, same certificates; then
# bench/RESULTS.md and its plots. `make bench` runs `bench.sh full`, `make bench-quick`
# runs `bench.sh quick` (a few minutes).
#
# Scenarios, each on a freshly started server: login storms (ECDSA P-256 certificate, the
# primary figures), 1:1 chat at stepped rates, login storms again with an RSA-2048
# certificate, churn (connect/login/close cycles), and, when the bot has them, MUC (only on
# servers where a client can join a room: see probe.py --muc), mixed traffic, and XMPP over
# WebSocket (RFC 7395) beside TCP (idle memory per session and CPU per chat message, each over
# both transports on the same server); last, in the full run, a soak of Parley alone: 10,000
# sessions churning for 10 minutes (connect, STARTTLS, login, a few messages to themselves, a
# while online, close, again) with the server's RSS sampled every second.
#
# Environment (all optional):
#   BENCH_SERVERS    servers to run, in order (default: "parley prosody ejabberd")
#   BENCH_WORK       work folder: certificate, configs, accounts, raw results (build/bench)
#   BENCH_OUT        where RESULTS.md and the PNGs go (bench)
#   BENCH_QUIET_WAIT seconds to wait for other work to leave the CPUs before each run (60)
#   BENCH_RETRIES    runs of a scenario again when other work shared its cores (1)
#   SOAK_S           seconds of the soak (full: 600; quick: 0, no soak); e.g. SOAK_S=60 for a try
#   SOAK_SESSIONS    sessions churning in the soak (10000)
#   SOAK_HOLD        mean seconds a soak session stays online, each drawn from [S/2, 3S/2] (20)
#   SOAK_MESSAGES    messages each soak session sends itself per cycle (3)
#   BENCH_SCENARIOS  only these, e.g. "resume offline" (default: all of login chat rsa churn muc
#                    botcap mixed archive offline resume mam soak ws)
#   ARCHIVE_RATES    1:1 chat rates with the archive on (full: 200,...,20000; quick: 0, no such
#                    run)
#   ARCHIVE_ROUNDS   Parley's runs with the archive off and on alternate this many times (5),
#                    so that its cost is a median of ratios from neighbouring runs
#   ARCHIVE_PAIR_RATES, ARCHIVE_PAIR_ROUNDS  the rates (full: 200,...,10000; quick: 0, none)
#                    and rounds (3) of Parley's archive off and on side by side, at the same
#                    time on the same core: its archive's cost from these runs
#   PARLEY_ARCHIVE_ON, PARLEY_ARCHIVE_OFF  what Parley's config gets for the runs with its
#                    archive on and off ('[archive]\ndefault = always' / '... = never')
#   OFFLINE_LOGINS   logins that each get OFFLINE_MESSAGES kept messages (5; 0: no such run)
#   OFFLINE_MESSAGES messages kept for each (1000)
#   RESUME_SESSIONS  sessions that drop their connections and resume (full 2000, quick 500)
#   MAM_ROWS         messages of the generated archive (full: 10000000; quick: 0, no MAM run);
#                    generated once per work folder by bin/parley-mam-bench (~2 min for 10M)
#   MAM_S            seconds of archive queries, idle and beside chat (20)
#   MAM_CHAT_RATE    chat msg/s beside the queries (5000)
#   WS_TLS           the WebSocket runs' TLS: direct (wss://, default: TLS like the TCP runs'
#                    STARTTLS) or none (ws://)
#   WS_LOGIN_COUNT   idle sessions of the WebSocket memory runs (full: 10000, quick: 1000; 0:
#                    no such run), held as long as the login storms'
#   WS_CHAT_RATES    1:1 chat rates over WebSocket and over TCP beside it (full: 1000,2000,5000,
#                    10000; quick: 1000,5000; 0: no such run)
#   WS_ROUNDS        the chat runs over TCP and over WebSocket alternate this many times (full 3,
#                    quick 1): the WebSocket's extra CPU per message is the median of the rounds'
#   PORT_parley ... TLS_PORT_ejabberd   loopback ports (15222/15223, 16222/16223, 17222/17223:
#                    below the kernel's ephemeral range, where the bot's own connections could
#                    already hold the port)
#   WS_PORT_parley ... WSS_PORT_ejabberd   the same for ws:// and wss:// (15280/15281,
#                    16280/16281, 17280/17281)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=$ROOT/bench/suite
cd "$ROOT" || exit 1
# shellcheck source=lib.sh
. "$SUITE/lib.sh"
# shellcheck source=servers.sh
. "$SUITE/servers.sh"

MODE=${1:-quick}
SERVERS=${BENCH_SERVERS:-parley prosody ejabberd}
WORK=$(mkdir -p "${BENCH_WORK:-build/bench}" && cd "${BENCH_WORK:-build/bench}" && pwd)
OUT=${BENCH_OUT:-bench}
QUIET_WAIT=${BENCH_QUIET_WAIT:-60}
RETRIES=${BENCH_RETRIES:-1}
: "${PORT_parley:=15222}" "${TLS_PORT_parley:=15223}"
: "${PORT_prosody:=16222}" "${TLS_PORT_prosody:=16223}"
: "${PORT_ejabberd:=17222}" "${TLS_PORT_ejabberd:=17223}"
: "${WS_PORT_parley:=15280}" "${WSS_PORT_parley:=15281}"
: "${WS_PORT_prosody:=16280}" "${WSS_PORT_prosody:=16281}"
: "${WS_PORT_ejabberd:=17280}" "${WSS_PORT_ejabberd:=17281}"
WS_TLS=${WS_TLS:-direct}
WS_PATH=/xmpp-websocket # the path of all three (Prosody's default, set so for the others)
DOMAIN=localhost
PASSWORD=bench-pw-1
SERVER_CPU=0
BOT_CPU=1
SOURCES=127.0.1.1-127.0.1.50 # spreads the bot's connections over 50 source addresses
PARALLEL=50                  # logins in flight at once, the same for every server

MUC_DOMAIN=conference.$DOMAIN
MUC_ROOMS=20
MUC_OCCUPANTS=50 # account i joins room bench{i/50}: 20 full rooms
MUC_BIG_OCCUPANTS=500 # and a run with one room of this many

case $MODE in
full)
    LOGIN_COUNTS="1000 5000 10000"
    RSA_LOGIN_COUNTS="1000 10000"
    HOLD=10
    CHAT_RATES=1000,2000,5000,10000,20000,40000,80000,120000,160000,200000
    CHAT_STEP=10
    CHURN_S=20
    # groupchat messages/s, each to 50 occupants; then to all 500 of the big room
    MUC_RATES=${MUC_RATES:-100,200,500,1000,1500,2000,2500,3000,4000}
    MUC_BIG_RATES=${MUC_BIG_RATES:-20,50,100,150,200,250,300,400}
    MUC_STEP=10
    MIXED_RATES=1000,2000,5000,10000,20000,40000
    MIXED_STEP=10
    BOTCAP_RATES=50000,100000,120000 # the bot's own capacity, against Parley only
    SOAK_S=${SOAK_S:-600}
    ARCHIVE_RATES=${ARCHIVE_RATES:-200,500,1000,2000,5000,10000,20000}
    ARCHIVE_PAIR_RATES=${ARCHIVE_PAIR_RATES:-200,500,1000,2000,5000,10000}
    RESUME_SESSIONS=${RESUME_SESSIONS:-2000}
    MAM_ROWS=${MAM_ROWS:-10000000}
    WS_LOGIN_COUNT=${WS_LOGIN_COUNT:-10000}
    WS_CHAT_RATES=${WS_CHAT_RATES:-1000,2000,5000,10000}
    WS_ROUNDS=${WS_ROUNDS:-3}
    ;;
quick) # about three minutes: the ECDSA storm, chat, MUC, the offline flush and resumption; no
    # RSA, churn, mixed, archive or MAM runs
    LOGIN_COUNTS="1000"
    RSA_LOGIN_COUNTS=""
    HOLD=5
    CHAT_RATES=1000,2000,5000,10000,20000
    CHAT_STEP=3
    CHURN_S=0
    MUC_RATES=${MUC_RATES:-100,200,500}
    MUC_BIG_RATES=${MUC_BIG_RATES:-20,100}
    MUC_STEP=3
    MIXED_RATES=""
    MIXED_STEP=3
    BOTCAP_RATES=
    SOAK_S=${SOAK_S:-0}
    ARCHIVE_RATES=${ARCHIVE_RATES:-0}
    ARCHIVE_PAIR_RATES=${ARCHIVE_PAIR_RATES:-0}
    RESUME_SESSIONS=${RESUME_SESSIONS:-500}
    MAM_ROWS=${MAM_ROWS:-0}
    WS_LOGIN_COUNT=${WS_LOGIN_COUNT:-1000}
    WS_CHAT_RATES=${WS_CHAT_RATES:-1000,5000}
    WS_ROUNDS=${WS_ROUNDS:-1}
    ;;
*) die "usage: bench.sh quick|full" ;;
esac
CHAT_USERS=1000
BOTCAP_USERS=200
[ "$ARCHIVE_RATES" = 0 ] && ARCHIVE_RATES=""
ARCHIVE_ROUNDS=${ARCHIVE_ROUNDS:-5}
[ "$ARCHIVE_PAIR_RATES" = 0 ] && ARCHIVE_PAIR_RATES=""
[ "$WS_CHAT_RATES" = 0 ] && WS_CHAT_RATES=""
case $WS_TLS in direct | none) ;; *) die "WS_TLS must be direct (wss://) or none (ws://)" ;; esac
ARCHIVE_PAIR_ROUNDS=${ARCHIVE_PAIR_ROUNDS:-3}
PARLEY_ARCHIVE_ON=${PARLEY_ARCHIVE_ON:-'[archive]\ndefault = always'}
PARLEY_ARCHIVE_OFF=${PARLEY_ARCHIVE_OFF:-'[archive]\ndefault = never'}
# Prosody's archive store on mod_storage_sql with SQLite (LuaDBI), everything archived
PROSODY_MAM_STORAGE='{ archive = "sql" }; sql = { driver = "SQLite3", '\
'database = "prosody.sqlite" }; default_archive_policy = true; archive_expires_after = "never"'
OFFLINE_LOGINS=${OFFLINE_LOGINS:-5}
OFFLINE_MESSAGES=${OFFLINE_MESSAGES:-1000}
MAM_S=${MAM_S:-20}
MAM_CHAT_RATE=${MAM_CHAT_RATE:-5000}
MAM_DOMAIN=bench # the domain of bin/parley-mam-bench's generated archive (big@bench)
MAM_CHAT_USERS=1000
CHURN_USERS=1000 # accounts the churn cycles go round; $PARALLEL of them in flight
SOAK_SESSIONS=${SOAK_SESSIONS:-10000}
SOAK_HOLD=${SOAK_HOLD:-20}
SOAK_MESSAGES=${SOAK_MESSAGES:-3}
# the login latency per minute; a short trial run gets six windows
SOAK_WINDOW=$((SOAK_S >= 360 ? 60 : (SOAK_S >= 30 ? SOAK_S / 6 : 5)))
MUC_USERS=$((MUC_ROOMS * MUC_OCCUPANTS))
MIXED_USERS=$((CHAT_USERS > MUC_USERS ? CHAT_USERS : MUC_USERS)) # its MUC share uses the rooms
OFFLINE_FIRST=$((MIXED_USERS + 1)) # accounts no other scenario messages: nothing else is kept
# the mixed traffic: Parley has no MUC yet, so a server without MUC gets no MUC share
MIX_MUC=chat=80,presence=15,muc=5
MIX_NO_MUC=chat=85,presence=15
ACCOUNTS=$CHAT_USERS
for n in $LOGIN_COUNTS $RSA_LOGIN_COUNTS $CHURN_USERS $MUC_USERS $MIXED_USERS $WS_LOGIN_COUNT \
    $((SOAK_S > 0 ? SOAK_SESSIONS : 0)) $RESUME_SESSIONS \
    $((OFFLINE_LOGINS > 0 ? OFFLINE_FIRST + 2 * OFFLINE_LOGINS - 1 : 0)); do
    ((n > ACCOUNTS)) && ACCOUNTS=$n
done

RES=$WORK/results-$MODE
BOT=$WORK/bin/parley-bench # a copy: the bench keeps its binaries even if bin/ is rebuilt
CERT=$WORK/cert.pem # ECDSA P-256: the primary figures
KEY=$WORK/key.pem
RSA_CERT=$WORK/rsa-cert.pem # RSA-2048: the login storms again
RSA_KEY=$WORK/rsa-key.pem
KEYCACHE=$WORK/scram-keys

# Whatever happens, no bot and no server of ours stays up.
BOT_JOB=""
cleanup() {
    local rc=$?
    if [ -n "$BOT_JOB" ]; then
        pkill -TERM -P "$BOT_JOB" 2>/dev/null # the bot and the sampler, children of the job
        kill -TERM "$BOT_JOB" 2>/dev/null
        wait "$BOT_JOB" 2>/dev/null
    fi
    if [ -n "$SRV_PID" ]; then
        log "stopping $SRV_NAME (PID $SRV_PID)"
        srv_stop
    fi
    pair_stop
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (server on CPU $SERVER_CPU, bot on CPU $BOT_CPU)"
for b in bin/parleyd bin/parleyctl bin/parley-bench; do
    [ -x "$b" ] || die "$b is missing: run make all"
done
command -v taskset >/dev/null || die "taskset (util-linux) is missing"
ulimit -n "$(ulimit -Hn)" 2>/dev/null # the servers hold 10,000 sessions too

read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range
for s in $SERVERS; do
    for p in "$(srv_port "$s")" "$(srv_tls_port "$s")" "$(srv_ws_port "$s")" \
        "$(srv_wss_port "$s")"; do
        ((p >= eph_lo && p <= eph_hi)) &&
            die "port $p ($s) is in the ephemeral range $eph_lo-$eph_hi: pick one below it"
    done
done

"$SUITE/install.sh" || die "could not install or quiet the peers (see above)"

mkdir -p "$WORK/bin" "$RES"
cp bin/parleyd bin/parleyctl bin/parley-bench "$WORK/bin/"
# the archive generator (tools/mam_bench.c) comes with the message archive
[ -x bin/parley-mam-bench ] && cp bin/parley-mam-bench "$WORK/bin/"
rm -f "$RES"/*.json "$RES"/*.run "$RES"/*.txt "$RES"/*.log "$RES"/*.error "$RES"/*.cpu \
    "$RES"/*.times "$RES"/*.dat "$RES"/plots.gp "$RES"/meta.env

# Self-signed certificates, the same for the three servers: ECDSA P-256 (every scenario) and
# RSA-2048 (the login storms once more). make_cert CERT KEY OPENSSL-KEY-OPTIONS...
make_cert() {
    local cert=$1 key=$2
    shift 2
    [ -s "$cert" ] && [ -s "$key" ] && return 0
    openssl req -x509 "$@" -nodes -days 3650 -subj "/CN=$DOMAIN" \
        -addext "subjectAltName=DNS:$DOMAIN,DNS:$MUC_DOMAIN" -keyout "$key" -out "$cert" \
        2>/dev/null || die "openssl could not make $cert"
    chmod 600 "$key"
}
make_cert "$CERT" "$KEY" -newkey ec -pkeyopt ec_paramgen_curve:P-256
make_cert "$RSA_CERT" "$RSA_KEY" -newkey rsa:2048

# The bot's scenarios and options (muc and mixed come later than the suite: run them only
# when the bot lists them).
BOT_SCENARIOS=$("$BOT" --help 2>&1 | awk '/^scenarios:/ { on = 1; next } /^options:/ { on = 0 }
    on { print $1 }' | paste -sd ' ' -)
bot_has() { [[ " $BOT_SCENARIOS " == *" $1 "* ]]; }
bot_has_option() { "$BOT" --help 2>&1 | grep -q -- "^  $1 "; }

meta() { printf '%s=%s\n' "$1" "$2" >>"$RES/meta.env"; }
write_meta() {
    meta mode "$MODE"
    meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
    meta nproc "$(nproc)"
    meta cpu_model "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
    meta kernel "$(uname -sr)"
    meta memory "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    meta os "$(. /etc/os-release && echo "$PRETTY_NAME")"
    meta commit "$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- server xmpp \
        storage bench 2>/dev/null || echo ' (with local changes)')"
    meta parley_version "$("$WORK/bin/parleyd" --version 2>&1 | head -n 1)"
    local pkg otp erts
    pkg=$(dpkg-query -W -f='${Version}' prosody 2>/dev/null)
    meta prosody_version "Prosody $(cat /usr/lib/prosody/prosody.version 2>/dev/null) (Debian \
$pkg), $(lua5.4 -v 2>&1 | cut -d' ' -f1-2)"
    pkg=$(dpkg-query -W -f='${Version}' ejabberd 2>/dev/null)
    otp=$(erl -noshell -eval 'io:format("~s", [erlang:system_info(otp_release)]), halt().')
    erts=$(erl -noshell -eval 'io:format("~s", [erlang:system_info(version)]), halt().')
    meta ejabberd_version "ejabberd $pkg (Debian), Erlang/OTP $otp (erts $erts)"
    meta openssl_version "$(openssl version)"
    meta login_counts "$LOGIN_COUNTS"
    meta hold_s "$HOLD"
    meta chat_rates "$CHAT_RATES"
    meta chat_step_s "$CHAT_STEP"
    meta chat_users "$CHAT_USERS"
    meta rsa_login_counts "$RSA_LOGIN_COUNTS"
    meta churn_s "$CHURN_S"
    meta churn_users "$CHURN_USERS"
    meta muc_domain "$MUC_DOMAIN"
    meta muc_rooms "$MUC_ROOMS"
    meta muc_occupants "$MUC_OCCUPANTS"
    meta muc_rates "$MUC_RATES"
    meta muc_step_s "$MUC_STEP"
    meta muc_big_rooms 1
    meta muc_big_occupants "$MUC_BIG_OCCUPANTS"
    meta muc_big_rates "$MUC_BIG_RATES"
    meta muc_big_step_s "$MUC_STEP"
    meta mixed_rates "$MIXED_RATES"
    meta botcap_rates "$BOTCAP_RATES"
    meta botcap_users "$BOTCAP_USERS"
    meta mixed_step_s "$MIXED_STEP"
    meta mixed_users "$MIXED_USERS"
    meta soak_s "$SOAK_S"
    meta soak_sessions "$SOAK_SESSIONS"
    meta soak_hold_s "$SOAK_HOLD"
    meta soak_messages "$SOAK_MESSAGES"
    meta soak_window_s "$SOAK_WINDOW"
    meta archive_rates "$ARCHIVE_RATES"
    meta archive_rounds "$ARCHIVE_ROUNDS"
    meta archive_pair_rates "$ARCHIVE_PAIR_RATES"
    meta archive_pair_rounds "$ARCHIVE_PAIR_ROUNDS"
    meta offline_logins "$OFFLINE_LOGINS"
    meta offline_messages "$OFFLINE_MESSAGES"
    meta resume_sessions "$RESUME_SESSIONS"
    meta ws_tls "$WS_TLS"
    meta ws_path "$WS_PATH"
    meta ws_login_count "$WS_LOGIN_COUNT"
    meta ws_chat_rates "$WS_CHAT_RATES"
    meta ws_rounds "$WS_ROUNDS"
    meta bench_scenarios "${BENCH_SCENARIOS:-}"
    meta bot_scenarios "$BOT_SCENARIOS"
    meta parallel "$PARALLEL"
    meta sources "$SOURCES"
    meta servers "$SERVERS"
    meta quiet_wait_s "$QUIET_WAIT"
    meta retries "$RETRIES"
}
write_meta

# What TLS the running server negotiates: version, cipher, key exchange, signature, and the
# key of the certificate it sent (so the RSA runs show that the RSA certificate was served).
tls_probe() {
    local port=$1 tls key
    tls=$(timeout 15 openssl s_client -connect "127.0.0.1:$port" -starttls xmpp \
        -xmpphost "$DOMAIN" -brief </dev/null 2>&1 |
        sed -n 's/^\(Protocol version\|Ciphersuite\|Peer Temp Key\|Server Temp Key\): //p;
            s/^Signature type: \(.*\)/\1 signature/p' |
        sed 's/, \([0-9]* bits\)/ (\1)/' | paste -sd ';' - | sed 's/;/, /g')
    key=$(timeout 15 openssl s_client -connect "127.0.0.1:$port" -starttls xmpp \
        -xmpphost "$DOMAIN" </dev/null 2>/dev/null | openssl x509 -noout -text 2>/dev/null |
        sed -n 's/^ *Public Key Algorithm: //p; s/^ *Public-Key: (\(.*\))/\1/p' |
        sed 's/^rsaEncryption$/RSA/; s/^id-ecPublicKey$/EC/' | paste -sd ' ' -)
    echo "$tls${key:+, certificate key $key}"
}

# TLS and SASL as a client sees them, once per server.
probe() {
    local name=$1 port
    port=$(srv_port "$name")
    meta "${name}_tls" "$(tls_probe "$port")"
    meta "${name}_offer" "$(timeout 20 /usr/bin/python3 "$SUITE/probe.py" "$port" "$DOMAIN")"
    meta "${name}_sasl" "$(srv_sasl "$name" | tr '[:lower:]' '[:upper:]')"
}

# Whether a client can join a room on $MUC_DOMAIN of the running server: two accounts join one
# room (created on the join) and one groupchat message reaches both. Sets MUC_OK[name]
# (yes/no) and records probe.py's one-line verdict.
declare -A MUC_OK=()
muc_probe() {
    local name=$1 verdict
    verdict=$(timeout 60 /usr/bin/python3 "$SUITE/probe.py" --muc "$(srv_port "$name")" \
        "$DOMAIN" "$MUC_DOMAIN" user1 user2 "$PASSWORD" 2>&1 | tail -n 1)
    [ -n "$verdict" ] || verdict="no: the MUC probe printed nothing"
    meta "${name}_muc" "$verdict"
    log "$name: MUC probe: $verdict"
    if [[ $verdict == ok:* ]]; then MUC_OK[$name]=yes; else MUC_OK[$name]=no; fi
}

# Accounting of one run from samples taken before and after it: CPU 0 and CPU 1 jiffies
# ("busy total"), the server's CPU ticks, the bot's CPU seconds, the wall seconds.
run_accounting() {
    awk -v a0="$1" -v b0="$2" -v a1="$3" -v b1="$4" -v s0="$5" -v s1="$6" -v bot="$7" \
        -v wall="$8" 'BEGIN {
        split(a0, x0, " "); split(b0, y0, " "); split(a1, x1, " "); split(b1, y1, " ");
        d0 = y0[2] - x0[2]; d1 = y1[2] - x1[2];
        if (d0 <= 0 || d1 <= 0 || wall <= 0) exit;
        busy0 = 100 * (y0[1] - x0[1]) / d0; busy1 = 100 * (y1[1] - x1[1]) / d1;
        srv = 100 * (s1 - s0) / d0; botp = 100 * bot / wall;
        printf "cpu0_busy_pct=%.1f\nserver_cpu_pct=%.1f\n", busy0, srv;
        printf "cpu0_others_pct=%.1f\n", (busy0 > srv ? busy0 - srv : 0);
        printf "cpu1_busy_pct=%.1f\nbot_cpu_pct=%.1f\n", busy1, botp;
        printf "cpu1_others_pct=%.1f\n", (busy1 > botp ? busy1 - botp : 0) }'
}

# True when other work took more than 10 % of either core during the run in RUNFILE.
run_was_noisy() {
    awk -F= '$1 == "cpu0_others_pct" || $1 == "cpu1_others_pct" { if ($2 > 10) n++ }
             END { exit !n }' "$1"
}

# Runs the bot on $BOT_CPU against the running server (its c2s port, or BOT_PORT); results under
# $RES/NAME-TAG.*.
run_bot() {
    local name=$1 tag=$2 base bg a0 a1 b0 b1 t0 t1 s0 s1 rc bot_s me sampler
    shift 2
    base=$RES/$name-$tag
    bg=$(wait_quiet "$QUIET_WAIT")
    s0=$(proc_ticks "$SRV_PID")
    a0=$(cpu_jiffies "cpu$SERVER_CPU") a1=$(cpu_jiffies "cpu$BOT_CPU") t0=$(date +%s.%N)
    log "$name $tag: parley-bench $*"
    (
        # per-second CPU of the bot and the server, to tell a bot-limited step from the rest
        me=$BASHPID
        sample_cpu "$me" "$SRV_PID" "$BOT_CPU" >"$base.cpu" 2>/dev/null &
        sampler=$!
        taskset -c "$BOT_CPU" "$BOT" "$@" --port "${BOT_PORT:-$(srv_port "$name")}" \
            --domain "${BOT_DOMAIN:-$DOMAIN}" --password "$PASSWORD" --sasl "$(srv_sasl "$name")" \
            --keycache "$KEYCACHE" --server-pid "$SRV_PID" --json "$base.json"
        rc=$?
        kill "$sampler" 2>/dev/null
        # not waited for: `times` then counts the bot alone, not the sampler's pgrep and awk
        times >"$base.times"
        exit $rc
    ) >"$base.txt" 2>"$base.log" &
    BOT_JOB=$! # in the background, so that INT/TERM reach the trap at once, not at its end
    wait "$BOT_JOB"
    rc=$?
    BOT_JOB=""
    b0=$(cpu_jiffies "cpu$SERVER_CPU") b1=$(cpu_jiffies "cpu$BOT_CPU") t1=$(date +%s.%N)
    s1=$(proc_ticks "$SRV_PID")
    # bash `times`: the second line is the children's user and system time, i.e. the bot's
    bot_s=$(sed -n '2p' "$base.times" | awk '{ gsub(/[ms]/, " "); split($0, x, " ");
        printf "%.2f", x[1] * 60 + x[2] + x[3] * 60 + x[4] }')
    {
        echo "rc=$rc"
        echo "wall_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
        echo "bot_cpu_s=$bot_s"
        run_accounting "$a0" "$b0" "$a1" "$b1" "$s0" "$s1" "$bot_s" \
            "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
        echo "background_before=$bg"
    } >"$base.run"
    sed -n '1,/^server:/p' "$base.txt" | sed 's/^/    /' >&2
    if ! alive "$SRV_PID"; then
        log "$name died during $tag"
        tail -n 20 "$WORK/$name/console.log" >&2
        SRV_PID=""
        echo "$name stopped during the $tag run: $(srv_last_words "$name")" >"$RES/$name.error"
        return 1
    fi
    [ "$rc" -eq 0 ] || log "$name $tag: the bot exited with $rc"
    return 0
}

# One scenario on a freshly started server, run again (at most $RETRIES times) when other
# work shared the cores; the last attempt's figures are kept, with the number of attempts.
# scenario [--rsa | --variant V] NAME TAG BOT-ARGS...: --rsa starts the server with the RSA-2048
# certificate, --variant with another config variant (see srv_variants); an archive variant
# starts with an empty archive every time.
scenario() {
    local variant="" name tag try
    [ "$1" = --rsa ] && { variant=rsa; shift; }
    [ "$1" = --variant ] && { variant=$2; shift 2; }
    name=$1 tag=$2
    shift 2
    for ((try = 1; ; try++)); do
        [[ $variant == mam || $variant == nomam ]] && srv_reset_archive "$name"
        srv_start "$name" "$variant" ||
            { fail_server "$name" "restart failed: $(srv_last_words "$name")"; return 1; }
        run_bot "$name" "$tag" "$@" || return 1
        srv_stop
        if ! run_was_noisy "$RES/$name-$tag.run" || ((try > RETRIES)); then
            break
        fi
        log "$name $tag: other work shared the cores during the run; running it again"
    done
    echo "attempts=$try" >>"$RES/$name-$tag.run"
}

fail_server() {
    log "$1: $2"
    echo "$2" >"$RES/$1.error"
    srv_stop
}

# Accounts, warm-up and probes for one server; false when it cannot be made to work.
setup_server() {
    local name=$1
    srv_prepare "$name"
    if [ "$name" = parley ]; then
        parley_register "$ACCOUNTS" || { fail_server parley "parleyctl adduser failed"; return 1; }
    fi
    srv_start "$name" || { fail_server "$name" "the server did not start: $(srv_last_words \
"$name")"; return 1; }
    probe "$name"
    if [ "$name" != parley ]; then
        peer_register "$name" "$ACCOUNTS" ||
            { fail_server "$name" "in-band registration failed: $(tail -n 3 \
"$WORK/$name/register.txt" | paste -sd ' ' -)"; return 1; }
    fi
    # One untimed login of every account: fills the bot's SCRAM key cache (Parley) and
    # whatever the server caches on a first login, so the measured runs all start warm. Again
    # whenever the bot changes, in case its key cache format did.
    local warm
    warm=$WORK/$name/warm.$(cksum <"$BOT" | cut -d' ' -f1) # holds how many accounts were warmed
    if (($(cat "$warm" 2>/dev/null || echo 0) < ACCOUNTS)); then
        log "$name: warm-up login of $ACCOUNTS accounts"
        taskset -c "$BOT_CPU" "$BOT" login --port "$(srv_port "$name")" --domain "$DOMAIN" \
            --count "$ACCOUNTS" --password "$PASSWORD" --sasl "$(srv_sasl "$name")" \
            --keycache "$KEYCACHE" --parallel "$PARALLEL" --source "$SOURCES" --duration 0 \
            --timeout 600 --quiet >"$WORK/$name/warmup.txt" 2>&1
        if ! grep -q "^logins: $ACCOUNTS ok" "$WORK/$name/warmup.txt"; then
            fail_server "$name" "warm-up login failed: $(grep -E '^(logins|last failure)' \
"$WORK/$name/warmup.txt" | paste -sd ' ' -)"
            return 1
        fi
        rm -f "$WORK/$name"/warm.* && echo "$ACCOUNTS" >"$warm"
    fi
    muc_probe "$name"
    srv_stop
    # the same server with the RSA-2048 certificate: what it negotiates then
    srv_start "$name" rsa || { fail_server "$name" "the server did not start with the RSA \
certificate: $(srv_last_words "$name")"; return 1; }
    meta "${name}_tls_rsa" "$(tls_probe "$(srv_port "$name")")"
    srv_stop
}

# True when BENCH_SCENARIOS is unset or names SCENARIO.
want() { [ -z "${BENCH_SCENARIOS:-}" ] || [[ " $BENCH_SCENARIOS " == *" $1 "* ]]; }

# One archive run: server, variant (mam, or Parley's nomam), tag, the bot's arguments; the run
# file records what the archive's storage grew by.
archive_run() {
    local name=$1 variant=$2 tag=$3
    shift 3
    scenario --variant "$variant" "$name" "$tag" "$@" || return 1
    echo "archive_kib=$(srv_archive_kib "$name")" >>"$RES/$name-$tag.run"
}

# 1:1 chat with the message archive on (and for Parley with it off too), the steps of
# ARCHIVE_RATES; each run starts with an empty archive. Parley's off and on runs alternate
# ARCHIVE_ROUNDS times (tags chat-archive-off, chat-archive, then -r2, -r3, ...): this machine
# drifts between runs by more than the cost being measured. Every other round runs the archive
# first, so that a drift within rounds does not favour either.
archive_runs() {
    local name=$1 args round sfx
    [ -n "$ARCHIVE_RATES" ] && want archive || return 0
    args=(chat --count "$CHAT_USERS" --parallel "$PARALLEL" --source "$SOURCES"
        --rates "$ARCHIVE_RATES" --step "$CHAT_STEP" --drain 5 --timeout 600)
    if [ "$name" != parley ]; then
        archive_run "$name" mam chat-archive "${args[@]}"
        return
    fi
    if ! parley_has_archive; then
        meta parley_archive "no archive yet"
        log "parley: no message archive in this build: no archive run"
        return 0
    fi
    meta parley_archive_on "$PARLEY_ARCHIVE_ON"
    meta parley_archive_off "$PARLEY_ARCHIVE_OFF"
    for ((round = 1; round <= ARCHIVE_ROUNDS; round++)); do
        sfx=$( ((round > 1)) && echo "-r$round")
        if ((round % 2)); then
            archive_run parley nomam "chat-archive-off$sfx" "${args[@]}" &&
                archive_run parley mam "chat-archive$sfx" "${args[@]}"
        else
            archive_run parley mam "chat-archive$sfx" "${args[@]}" &&
                archive_run parley nomam "chat-archive-off$sfx" "${args[@]}"
        fi || return 1
    done
}

# Parley's archive off and on side by side: both servers at the same time on $SERVER_CPU, each
# with a bot of its own on $BOT_CPU, ARCHIVE_PAIR_ROUNDS times (tags chat-archive-pair-off and
# chat-archive-pair, then -r2, ...). This machine drifts between runs by more than the archive
# costs; side by side, the drift hits both alike. Both servers and both bots must fit their
# cores, so the rates stop at 10,000 msg/s. The archive-on server listens 10 ports higher.
PAIR_PID="" PAIR_BOTS=""
archive_pair_runs() {
    local round sfx dir=$WORK/parley conf port=$((PORT_parley + 10)) bots side
    [ -n "$ARCHIVE_PAIR_RATES" ] && want archive && parley_has_archive || return 0
    conf=$dir/parley-pair.conf
    sed -e "s|^c2s_port = .*|c2s_port = $port|" \
        -e "s|^c2s_tls_port = .*|c2s_tls_port = $((TLS_PORT_parley + 10))|" \
        -e "s|^data_dir = .*|data_dir = $dir/data-pair|" "$(srv_config parley mam)" >"$conf"
    for ((round = 1; round <= ARCHIVE_PAIR_ROUNDS; round++)); do
        sfx=$( ((round > 1)) && echo "-r$round")
        srv_reset_archive parley
        rm -rf "$dir/data-pair" && cp -a "$dir/data" "$dir/data-pair"
        srv_start parley nomam || { fail_server parley "restart failed"; return 1; }
        taskset -c "$SERVER_CPU" "$WORK/bin/parleyd" -c "$conf" >"$dir/pair.log" 2>&1 &
        PAIR_PID=$!
        if ! wait_listen "$PAIR_PID" "$port" 90; then
            log "parley (archive on, side by side) did not start: $(tail -n 3 "$dir/pair.log")"
            pair_stop
            srv_stop
            return 1
        fi
        bots=$( ((round % 2)) && echo "off on" || echo "on off")
        log "parley archive off and on side by side, round $round: parley-bench chat" \
            "--rates $ARCHIVE_PAIR_RATES"
        for side in $bots; do
            if [ "$side" = off ]; then
                pair_bot "$PORT_parley" "$SRV_PID" "chat-archive-pair-off$sfx" &
            else
                pair_bot "$port" "$PAIR_PID" "chat-archive-pair$sfx" &
            fi
            PAIR_BOTS="$PAIR_BOTS $!"
        done
        wait $PAIR_BOTS
        PAIR_BOTS=""
        pair_stop
        srv_stop
    done
}

# One side's bot: the chat scenario at ARCHIVE_PAIR_RATES against the server at PORT (PID).
pair_bot() {
    local port=$1 pid=$2 base=$RES/parley-$3
    taskset -c "$BOT_CPU" "$BOT" chat --count "$CHAT_USERS" --parallel "$PARALLEL" \
        --source "$SOURCES" --rates "$ARCHIVE_PAIR_RATES" --step "$CHAT_STEP" --drain 5 \
        --timeout 600 --port "$port" --domain "$DOMAIN" --password "$PASSWORD" \
        --sasl scram-sha-256 --keycache "$KEYCACHE" --server-pid "$pid" --json "$base.json" \
        >"$base.txt" 2>"$base.log"
}

pair_stop() {
    [ -n "$PAIR_BOTS" ] && kill -TERM $PAIR_BOTS 2>/dev/null
    PAIR_BOTS=""
    [ -n "$PAIR_PID" ] && stop_pid "$PAIR_PID" parley
    PAIR_PID=""
}

# Offline flush and stream management resumption (see the bot's offline and resume).
history_runs() {
    local name=$1
    if ((OFFLINE_LOGINS > 0)) && want offline && bot_has offline; then
        scenario "$name" offline offline --first "$OFFLINE_FIRST" --count $((2 * OFFLINE_LOGINS)) \
            --messages "$OFFLINE_MESSAGES" --parallel "$PARALLEL" --source "$SOURCES" \
            --timeout 120 || return 1
    fi
    if ((RESUME_SESSIONS > 0)) && want resume && bot_has resume; then
        scenario --variant sm "$name" resume resume --sm --count "$RESUME_SESSIONS" \
            --parallel "$PARALLEL" --source "$SOURCES" --timeout 600 || return 1
    fi
}

# XMPP over WebSocket beside TCP, every run on a freshly started server with its ws variant
# (see srv_variants): a login storm of WS_LOGIN_COUNT sessions held idle over TCP (STARTTLS, tag
# ws-login-tcp) and then over WebSocket (ws-login), for the memory an idle session costs over
# each; then 1:1 chat at WS_CHAT_RATES over TCP (ws-chat-tcp) and over WebSocket (ws-chat),
# WS_ROUNDS times (tags -r2, -r3, ...), every other round WebSocket first, so that the
# machine's drift between runs favours neither: the extra CPU per message is the median of
# the rounds'.
ws_runs() {
    local name=$1 round
    want ws || return 0
    if ! bot_has_option --transport; then
        log "$name: the bot has no WebSocket transport yet: no WebSocket runs"
        return 0
    elif [ "$name" = parley ] && ! parley_has_websocket; then
        meta parley_ws "no WebSocket in this build"
        log "parley: no WebSocket in this build: no WebSocket runs"
        return 0
    fi
    if ((WS_LOGIN_COUNT > 0)); then
        ws_scenario "$name" tcp ws-login-tcp login --count "$WS_LOGIN_COUNT" \
            --parallel "$PARALLEL" --source "$SOURCES" --duration "$HOLD" --timeout 600 &&
            ws_scenario "$name" ws ws-login login --count "$WS_LOGIN_COUNT" \
                --parallel "$PARALLEL" --source "$SOURCES" --duration "$HOLD" --timeout 600 ||
            return 1
    fi
    [ -n "$WS_CHAT_RATES" ] || return 0
    for ((round = 1; round <= WS_ROUNDS; round++)); do
        if ((round % 2)); then
            ws_chat "$name" tcp "$round" && ws_chat "$name" ws "$round"
        else
            ws_chat "$name" ws "$round" && ws_chat "$name" tcp "$round"
        fi || return 1
    done
}

# One run of the ws variant: ws_scenario NAME tcp|ws TAG BOT-ARGS...; ws goes to the WebSocket
# port (wss:// or ws://, WS_TLS).
ws_scenario() {
    local name=$1 how=$2 tag=$3
    shift 3
    if [ "$how" = tcp ]; then
        scenario --variant ws "$name" "$tag" "$@"
    else
        BOT_PORT=$(srv_ws_bot_port "$name") scenario --variant ws "$name" "$tag" "$@" \
            --transport ws --tls "$WS_TLS" --ws-path "$WS_PATH"
    fi
}

# One round's chat run over tcp or ws: ws_chat NAME tcp|ws ROUND.
ws_chat() {
    local name=$1 how=$2 sfx=""
    (($3 > 1)) && sfx="-r$3"
    ws_scenario "$name" "$how" "ws-chat$([ "$how" = tcp ] && echo -tcp)$sfx" chat \
        --count "$CHAT_USERS" --parallel "$PARALLEL" --source "$SOURCES" \
        --rates "$WS_CHAT_RATES" --step "$CHAT_STEP" --drain 5 --timeout 600
}

# Every scenario on a freshly started server, so memory left from the previous one does not
# hide the per-session cost.
run_server() {
    local name=$1 n
    setup_server "$name" || return 1
    for n in $(want login && echo "$LOGIN_COUNTS"); do
        scenario "$name" "login-$n" login --count "$n" --parallel "$PARALLEL" \
            --source "$SOURCES" --duration "$HOLD" --timeout 600 || return 1
    done
    if want chat; then
        scenario "$name" chat chat --count "$CHAT_USERS" --parallel "$PARALLEL" \
            --source "$SOURCES" --rates "$CHAT_RATES" --step "$CHAT_STEP" --drain 5 \
            --timeout 600 || return 1
    fi
    ws_runs "$name" || return 1
    for n in $(want rsa && echo "$RSA_LOGIN_COUNTS"); do
        scenario --rsa "$name" "login-rsa-$n" login --count "$n" --parallel "$PARALLEL" \
            --source "$SOURCES" --duration "$HOLD" --timeout 600 || return 1
    done
    # cycles of connect, STARTTLS, login, bind, presence, close; $PARALLEL in flight
    if ((CHURN_S > 0)) && want churn; then
        scenario "$name" churn churn --count "$CHURN_USERS" --parallel "$PARALLEL" \
            --source "$SOURCES" --duration "$CHURN_S" --drain 5 --timeout 60 || return 1
    fi
    local muc_args=(--muc-domain "$MUC_DOMAIN")
    bot_has_option --rooms && muc_args+=(--rooms "$MUC_ROOMS" --occupants "$MUC_OCCUPANTS")
    if ! want muc; then
        :
    elif ! bot_has muc; then
        log "$name: the bot has no muc scenario yet: no MUC run"
    elif [ "${MUC_OK[$name]:-no}" != yes ]; then
        log "$name: no MUC here (see the MUC probe above): no MUC run"
    else
        scenario "$name" muc muc --count "$MUC_USERS" --parallel "$PARALLEL" \
            --source "$SOURCES" "${muc_args[@]}" --rates "$MUC_RATES" --step "$MUC_STEP" \
            --drain 5 --timeout 600 || return 1
        if [ -n "$MUC_BIG_RATES" ] && bot_has_option --rooms; then
            scenario "$name" muc-big muc --count "$MUC_BIG_OCCUPANTS" --parallel "$PARALLEL" \
                --source "$SOURCES" --muc-domain "$MUC_DOMAIN" --rooms 1 \
                --occupants "$MUC_BIG_OCCUPANTS" --rates "$MUC_BIG_RATES" \
                --step "$MUC_STEP" --drain 5 --timeout 600 || return 1
        fi
    fi
    # The bot's own ceiling: few sessions, so each one carries many messages per second and
    # the server (the fastest of the three) is not what stops it.
    if [ "$name" = parley ] && [ -n "$BOTCAP_RATES" ] && want botcap; then
        scenario "$name" botcap chat --count "$BOTCAP_USERS" --parallel "$PARALLEL" \
            --source "$SOURCES" --rates "$BOTCAP_RATES" --step "$CHAT_STEP" --drain 5 \
            --timeout 600 || return 1
    fi
    if [ -z "$MIXED_RATES" ] || ! want mixed; then
        :
    elif ! bot_has mixed; then
        log "$name: the bot has no mixed scenario yet: no mixed run"
    elif [ "${MUC_OK[$name]:-no}" = yes ]; then
        meta "${name}_mix" "$MIX_MUC"
        scenario "$name" mixed mixed --count "$MIXED_USERS" --parallel "$PARALLEL" \
            --source "$SOURCES" --mix "$MIX_MUC" "${muc_args[@]}" --rates "$MIXED_RATES" \
            --step "$MIXED_STEP" --drain 5 --timeout 600 || return 1
    else
        meta "${name}_mix" "$MIX_NO_MUC"
        scenario "$name" mixed mixed --count "$MIXED_USERS" --parallel "$PARALLEL" \
            --source "$SOURCES" --mix "$MIX_NO_MUC" --rates "$MIXED_RATES" \
            --step "$MIXED_STEP" --drain 5 --timeout 600 || return 1
    fi
    archive_runs "$name" || return 1
    [ "$name" = parley ] && { archive_pair_runs || return 1; }
    history_runs "$name"
}

# The soak, Parley only: SOAK_SESSIONS sessions cycle for SOAK_S s (connect, STARTTLS, login,
# SOAK_MESSAGES messages to themselves, SOAK_HOLD s online on average, close, again), at most
# $PARALLEL logins in flight from $SOURCES; the bot samples the server's RSS every second and
# gives the login latency per SOAK_WINDOW s. Not run again when other work shared the cores:
# its verdicts (memory, failures) do not hang on a quiet machine, and it is long.
soak() {
    if ((SOAK_S <= 0)); then
        return 0
    elif ! bot_has_option --series; then
        log "parley: the bot has no soak options yet: no soak"
        return 0
    fi
    # a cycle may take its longest hold, and a slow login and close on top
    local timeout=$((SOAK_HOLD * 3 / 2 + 60))
    RETRIES=0 scenario parley soak churn --count "$SOAK_SESSIONS" --parallel "$SOAK_SESSIONS" \
        --max-logins "$PARALLEL" --hold "$SOAK_HOLD" --messages "$SOAK_MESSAGES" \
        --series "$SOAK_WINDOW" --source "$SOURCES" --duration "$SOAK_S" --drain 10 \
        --timeout "$timeout"
}

# The generated archive (Parley only): MAM_ROWS messages made by bin/parley-mam-bench straight
# through the storage layer, once per work folder, in a Parley of its own (domain bench, data in
# $WORK/parley-mam, config variant "bigmam"): a tenth of them in big@bench's archive, with 1,000
# peers p0..p999@bench, the rest between 9,000 other accounts, one message per ms up to the
# generation's start. Accounts big@bench and user1..user1001@bench are made with parleyctl.
MAM_DIR=$WORK/parley-mam
mam_prepare() {
    local conf ctl t0 rows
    conf=$(srv_config parley bigmam)
    render "$SUITE/parley.conf.in" "$conf" "WORK=$MAM_DIR" "PORT=$PORT_parley" \
        "TLS_PORT=$TLS_PORT_parley" "CERT=$CERT" "KEY=$KEY" "CERT_DIR=$WORK" \
        "DOMAIN=$MAM_DOMAIN" "MODULES=" "STORAGE="
    printf '%b\n' "$PARLEY_ARCHIVE_ON" >>"$conf"
    rows=$(cat "$MAM_DIR/rows" 2>/dev/null || echo 0)
    if [ "$rows" = "$MAM_ROWS" ] && [ -s "$MAM_DIR/generated_at" ]; then
        return 0
    fi
    rm -rf "$MAM_DIR" && mkdir -p "$MAM_DIR/data" && chmod 700 "$MAM_DIR/data"
    ctl=("$WORK/bin/parleyctl" -c "$conf")
    "${ctl[@]}" adduser "big@$MAM_DOMAIN" "$PASSWORD" >&2 || return 1
    "$BOT" register --domain "$MAM_DOMAIN" --first 1 --count $((MAM_CHAT_USERS + 1)) \
        --password "$PASSWORD" --register-cmd "${ctl[*]} adduser %s %s" >&2 || return 1
    log "parley: generating an archive of $MAM_ROWS messages (bin/parley-mam-bench)"
    t0=$(date +%s)
    taskset -c "$SERVER_CPU" "$WORK/bin/parley-mam-bench" -f -n "$MAM_ROWS" \
        -b $((MAM_ROWS / 10)) "$MAM_DIR/data/parley.db" >"$MAM_DIR/generate.txt" 2>&1 ||
        { tail -n 3 "$MAM_DIR/generate.txt" >&2; return 1; }
    echo "$t0" >"$MAM_DIR/generated_at"
    echo "$MAM_ROWS" >"$MAM_DIR/rows"
    log "parley: archive generated in $(($(date +%s) - t0)) s"
}

# Queries of big@bench's archive through the server (the bot's mam scenario: the last page of
# 50 with p7@bench, the first page of 50 from the middle of the archive's time span, the last
# 50 hits of a full-text search for a frequent word), on the idle server; then beside
# MAM_CHAT_RATE msg/s of chat among 1,000 other accounts; then that chat alone, for its p99
# without the queries. Each on a freshly started server. First the storage layer's own
# figures (bin/parley-mam-bench -m, no server).
mam_runs() {
    local t0 mid q chat
    ((MAM_ROWS > 0)) && want mam || return 0
    if ! parley_has_archive || [ ! -x "$WORK/bin/parley-mam-bench" ]; then
        meta parley_mam "no archive generator (bin/parley-mam-bench) in this build"
        log "parley: no archive generator in this build: no MAM runs"
        return 0
    fi
    if ! mam_prepare; then
        meta parley_mam "the archive could not be generated"
        return 1
    fi
    meta mam_rows "$MAM_ROWS"
    meta mam_s "$MAM_S"
    meta mam_chat_rate "$MAM_CHAT_RATE"
    # Every run starts with the archive in the page cache, as a server's is: generated in an
    # earlier run, the file may have left it, and its first pages then came from the disk
    # (8.1 against 0.72 ms for the last page by with).
    cat "$MAM_DIR/data/parley.db" >/dev/null
    taskset -c "$SERVER_CPU" "$WORK/bin/parley-mam-bench" -m "$MAM_DIR/data/parley.db" \
        >"$RES/parley-mam-storage.txt" 2>&1
    t0=$(cat "$MAM_DIR/generated_at")
    mid=$((t0 - MAM_ROWS / 2000)) # the archive spans MAM_ROWS ms up to t0
    q=(--mam "with,date,text" --mam-user big --mam-with "p7@$MAM_DOMAIN" --mam-text kalo
        --mam-start "$(date -u -d "@$mid" +%Y-%m-%dT%H:%M:%SZ)"
        --mam-end "$(date -u -d "@$t0" +%Y-%m-%dT%H:%M:%SZ)" --mam-rate 20)
    chat=(--parallel "$PARALLEL" --source "$SOURCES" --rates "$MAM_CHAT_RATE" --step "$MAM_S"
        --drain 5 --timeout 600)
    BOT_DOMAIN=$MAM_DOMAIN scenario --variant bigmam parley mam-idle mam --count 1 "${q[@]}" \
        --duration "$MAM_S" --timeout 600 || return 1
    BOT_DOMAIN=$MAM_DOMAIN scenario --variant bigmam parley mam-chat chat \
        --count $((MAM_CHAT_USERS + 1)) "${q[@]}" "${chat[@]}" || return 1
    BOT_DOMAIN=$MAM_DOMAIN scenario --variant bigmam parley mam-chat-alone chat --first 2 \
        --count "$MAM_CHAT_USERS" "${chat[@]}"
}

t_start=$(date +%s)
for s in $SERVERS; do
    log "=== $s ==="
    run_server "$s" || log "$s: skipped the rest of its scenarios"
    if [ "$s" = parley ] && [ ! -e "$RES/parley.error" ]; then
        mam_runs || log "parley: the archive query runs could not run"
        if want soak; then
            soak || log "parley: the soak could not run"
        fi
    fi
done
meta duration_s "$(($(date +%s) - t_start))"

/usr/bin/python3 "$SUITE/report.py" --results "$RES" --out "$OUT" ||
    die "report generation failed"
log "wrote $OUT/RESULTS.md in $(($(date +%s) - t_start)) s"
