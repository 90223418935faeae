# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Helpers for bench/suite/bench.sh (bash): logging, bounded waits, CPU sampling, stopping by PID.
# Sourced, not run.

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Fills @KEY@ placeholders of a template: render TEMPLATE OUT KEY=VALUE...
render() {
    local tmpl=$1 out=$2 expr="" kv
    shift 2
    for kv in "$@"; do
        expr="${expr}s|@${kv%%=*}@|${kv#*=}|g;"
    done
    sed -e "$expr" "$tmpl" >"$out"
    if grep -q '@[A-Z_]*@' "$out"; then
        die "unfilled placeholder in $out: $(grep -o '@[A-Z_]*@' "$out" | head -n 1)"
    fi
}

# The same, to stdout: render_stdout TEMPLATE KEY=VALUE...
render_stdout() {
    local tmpl=$1 expr="" kv
    shift
    for kv in "$@"; do
        expr="${expr}s|@${kv%%=*}@|${kv#*=}|g;"
    done
    sed -e "$expr" "$tmpl"
}

# True when something listens on PORT (any address).
port_listening() {
    ss -Htln "sport = :$1" 2>/dev/null | grep -q .
}

# Waits up to SECONDS for PID to listen on PORT; false when it died or the time ran out.
wait_listen() {
    local pid=$1 port=$2 secs=$3 i
    for ((i = 0; i < secs * 10; i++)); do
        alive "$pid" || return 1
        port_listening "$port" && return 0
        sleep 0.1
    done
    return 1
}

# True while PID runs (an exited child of this shell, not reaped yet, is a zombie: not running).
alive() {
    local state
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

# Stops PID: SIGTERM, up to 30 s, then SIGKILL; false if it is still there afterwards.
stop_pid() {
    local pid=$1 name=$2 i
    if alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null
        for ((i = 0; i < 300; i++)); do
            alive "$pid" || break
            sleep 0.1
        done
        if alive "$pid"; then
            log "$name (PID $pid) ignored SIGTERM for 30 s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null
            for ((i = 0; i < 50; i++)); do
                alive "$pid" || break
                sleep 0.1
            done
        fi
    fi
    wait "$pid" 2>/dev/null # reaps it when it is our child
    if alive "$pid"; then
        log "$name (PID $pid) is still running"
        return 1
    fi
    return 0
}

# "user+nice+system+irq+softirq+steal total" jiffies of one CPU line (cpu0, cpu1) of /proc/stat.
cpu_jiffies() {
    awk -v c="$1" '$1 == c { busy = $2 + $3 + $4 + $7 + $8 + $9; total = busy + $5 + $6;
                              print busy, total }' /proc/stat
}

# utime + stime of PID in clock ticks (the unit of /proc/stat); 0 when it is gone. The fields
# are counted after the ")" that ends the command name, which may hold blanks.
proc_ticks() {
    sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }' || echo 0
}

# Every second, "SECONDS_SINCE_START BOT_TICKS SERVER_TICKS" for the parley-bench child of
# PARENT (the subshell that runs it) and SERVER_PID, until stopped or PARENT ends. Runs
# itself on CPU (the bot's: about 1 % of it), so that it never takes the server's core.
sample_cpu() {
    local parent=$1 srv=$2 cpu=$3 t0 bpid i
    taskset -pc "$cpu" "$BASHPID" >/dev/null 2>&1
    t0=$(date +%s.%N)
    for ((i = 0; i < 14400; i++)); do
        alive "$parent" || break # the run is over, however it ended
        bpid=$(pgrep -P "$parent" -x parley-bench | head -n 1)
        [ -n "$bpid" ] && echo "$(awk -v a="$t0" -v b="$(date +%s.%N)" \
            'BEGIN { printf "%.2f", b - a }') $(proc_ticks "$bpid") $(proc_ticks "$srv")"
        sleep 1
    done
}

# Busy percentage of a CPU between two cpu_jiffies samples.
cpu_pct() {
    awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ");
        dt = y[2] - x[2]; printf "%.1f", (dt > 0 ? 100 * (y[1] - x[1]) / dt : 0) }'
}

# Busy percentage of CPU 0 and CPU 1 over one second, while none of ours runs: "P0 P1".
background_load() {
    local a0 a1 b0 b1
    a0=$(cpu_jiffies cpu0) a1=$(cpu_jiffies cpu1)
    sleep 1
    b0=$(cpu_jiffies cpu0) b1=$(cpu_jiffies cpu1)
    echo "$(cpu_pct "$a0" "$b0") $(cpu_pct "$a1" "$b1")"
}

# Waits (at most SECONDS) until both CPUs are nearly idle, so that other work on the machine
# does not share the benchmark's cores. Prints the last "P0 P1" sample; never fails.
wait_quiet() {
    local secs=$1 load i
    for ((i = 0; i <= secs; i++)); do
        load=$(background_load)
        awk -v l="$load" 'BEGIN { split(l, x, " "); exit !(x[1] < 10 && x[2] < 10) }' && break
        ((i == 0)) && log "other work is using the CPUs (CPU 0 ${load% *}%, CPU 1 ${load#* }% \
busy); waiting up to ${secs} s"
    done
    echo "$load"
}
