#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Turns the raw results of bench/suite/bench.sh into bench/RESULTS.md and its plots.

Usage:
  report.py --results build/bench/results-quick [--out bench]   writes RESULTS.md + PNGs
  report.py --results build/bench/results-quick --headline      prints the README table

Reads meta.env (machine, versions, settings, probes), the bot's --json output of each run
(NAME-login-N.json, NAME-chat.json, NAME-login-rsa-N.json, NAME-churn.json, NAME-muc.json,
NAME-mixed.json, parley-soak.json, NAME-chat-archive.json, parley-chat-archive-off.json,
NAME-offline.json, NAME-resume.json, parley-mam-*.json, parley-mam-storage.txt, and over
WebSocket beside TCP NAME-ws-login[-tcp].json and NAME-ws-chat[-tcp][-rN].json; any of them
may be missing: older runs, a bot without the muc or mixed scenario, a server without MUC), NAME-*.run (CPU accounting of each run) and
NAME.error (why a server could not be measured). Plots with gnuplot (Debian's gnuplot-nox).
Standard library only.
"""

import argparse
import os
import shutil
import subprocess
import sys

from report_data import (
    TITLES, P99_LIMIT_MS, Results, fanout, md_table, MucBig,
)
from report_tables import (
    headline_table, login_section, rsa_section, churn_section, muc_section, mixed_section,
    chat_section, botcap_section, pending_section,
)
from report_soak import soak_section, soak_plot
import report_history
import report_ws


def noisy_runs(res):
    """Runs in which other work took more than 10 % of the server's or the bot's core."""
    return [f"{TITLES[s]} {tag}" for (s, tag), r in res.runs.items() if r and
            (float(r.get("cpu0_others_pct") or 0) > 10 or
             float(r.get("cpu1_others_pct") or 0) > 10)]


def hygiene_section(res):
    out = ["## Measurement hygiene", ""]
    out.append(
        "What else ran on the two cores while each run went on, from /proc/stat and the "
        "processes' own CPU time. CPU 0 others is CPU 0's busy time not spent in the server "
        "(other programs, and interrupts served on CPU 0); CPU 1 others likewise for the bot. "
        "Before each run the suite waits (at most "
        f"{res.meta.get('quiet_wait_s', '?')} s) for both CPUs to fall below 10 % busy (the "
        "last sample is shown), and runs a scenario again (at most "
        f"{res.meta.get('retries', '?')} more time) when other work took more than 10 % of "
        "either core; the figures are the last attempt's.")
    out.append("")
    rows = []
    noisy = noisy_runs(res)
    for (s, tag), r in res.runs.items():
        if not r:
            continue
        f = {k: float(r.get(k) or 0) for k in ("wall_s", "server_cpu_pct", "cpu0_others_pct",
                                               "bot_cpu_pct", "cpu1_others_pct")}
        bg = r.get("background_before", "").split()
        rows.append([TITLES[s], tag, r.get("attempts", "1"), f"{f['wall_s']:.1f}",
                     f"{f['server_cpu_pct']:.0f}", f"{f['cpu0_others_pct']:.1f}",
                     f"{f['bot_cpu_pct']:.0f}", f"{f['cpu1_others_pct']:.1f}",
                     " / ".join(x + " %" for x in bg) if bg else "—", r.get("rc", "?")])
    out.append(md_table(["server", "run", "attempts", "wall s", "server % of CPU 0",
                         "CPU 0 others %", "bot % of CPU 1", "CPU 1 others %",
                         "CPU 0 / 1 busy before", "bot exit"], rows))
    out.append("")
    if noisy:
        out.append("**Other work shared the cores during: " + ", ".join(noisy) +
                   "** — those figures understate what the servers can do; rerun on a quiet "
                   "machine before quoting them.")
    else:
        out.append("No run shared its cores with other work beyond 10 %.")
    out.append("")
    return out


def method_section(res):
    m = res.meta
    out = ["## Method", ""]
    out.append(
        f"- **Pinning**: one server at a time, started by the suite with `taskset -c 0`, the "
        f"bot (`bin/parley-bench`) with `taskset -c 1`, so the comparison is per-core "
        f"efficiency. ejabberd runs as `taskset -c 0 erl ... +S 1:1 +SDcpu 1:1 +sbwt none "
        f"+sbwtdcpu none +sbwtdio none` (one scheduler for the one core, no busy-waiting; the "
        f"whole BEAM is pinned); Prosody as `taskset -c 0 prosody -F --config ...` (Lua 5.4, "
        f"epoll backend); Parley as `taskset -c 0 bin/parleyd -c ...`. Each server is stopped "
        f"by PID after each scenario and started afresh for the next.")
    if res.rsa_counts:
        out.append(
            "- **TLS**: STARTTLS on the c2s port for every login, self-signed certificates made "
            "by the suite with openssl, the same for all three: ECDSA P-256 for every scenario "
            "(the primary figures), RSA-2048 for the second set of login storms only. What each "
            "negotiated with each:")
    else:
        out.append(
            "- **TLS**: STARTTLS on the c2s port for every login, one self-signed ECDSA P-256 "
            "certificate (made by the suite with openssl) for all three; what each negotiated:")
    for s in res.servers:
        tls = (m.get(s + "_tls") or "not probed").replace(";", ", ")
        offer = m.get(s + "_offer") or ""
        offer = offer[offer.find("SASL offered"):] if "SASL offered" in offer else offer
        out.append(f"  - {TITLES[s]}: {tls}" + (f"; {offer}" if offer else ""))
        if res.rsa_counts:
            out.append(f"  - {TITLES[s]} with the RSA-2048 certificate: "
                       f"{(m.get(s + '_tls_rsa') or 'not probed').replace(';', ', ')}")
    out.append(
        "- **SASL and storage**: " + "; ".join(
            f"{TITLES[s]} {m.get(s + '_sasl', '?')}" for s in res.servers) +
        ". Parley stores SCRAM keys (no PBKDF2 at login on either side: the bot caches its "
        "client keys across runs). The peers keep **plaintext passwords** (Prosody "
        "`authentication = \"internal_plain\"`, file storage; ejabberd "
        "`auth_password_format: plain`, Mnesia) and are driven with PLAIN, their fastest "
        "login, as the issue allows.")
    out.append(
        "- **Limits off**: Prosody without mod_limits, c2s_stanza_size_limit 10 MiB; ejabberd "
        "`shaper: none` on c2s, max_fsm_queue 1,000,000, registration_timeout infinity; Parley "
        "max_stanzas_per_second 1,000,000 and auth throttles raised. Logging at error level "
        "for all three. Loopback only (127.0.0.1); configs in `bench/suite/`.")
    if "muc_domain" in m:
        probes = "; ".join(f"{TITLES[s]} {muc_probe_text(m.get(s + '_muc'))}"
                           for s in res.servers)
        out.append(
            f"- **MUC**: {m['muc_domain']} on the peers: Prosody's `Component \"muc\"` "
            "with rooms made on join and open at once (`muc_room_locking = false`), no "
            "history (`muc_room_default_history_length = 0`, `max_history_messages = 0`), no "
            "tombstones, no room cap, occupant ids off (mod_muc in 0.12 has no rate limits; "
            "mod_muc_limits is not loaded); ejabberd's mod_muc with `access_create: all`, "
            "`max_users: 1000`, `history_size: 0`, no room/message/presence shapers, "
            "`min_message_interval: 0`, no MAM or logging. Before the runs the suite checks "
            f"that a client can join a room (`probe.py --muc`): {probes}.")
    out.append(
        "- **Accounts**: user1…userN, created once per work folder: Parley's with "
        "`parley-bench register --register-cmd 'bin/parleyctl -c CONF adduser %s %s'`, the "
        "peers' by in-band registration (XEP-0077) through `parley-bench register`. After "
        "creation every account logs in once, unmeasured (warm-up).")
    out.append(
        f"- **Settings**: logins {m.get('parallel', '?')} in flight; sources "
        f"{m.get('sources', '?')}; storms of {', '.join(m.get('login_counts', '').split())} "
        f"sessions held {m.get('hold_s', '?')} s; chat with {m.get('chat_users', '?')} users at "
        f"{m.get('chat_rates', '').replace(',', ', ')} msg/s, {m.get('chat_step_s', '?')} s per "
        "step" + (f"; RSA-2048 storms of {', '.join(m['rsa_login_counts'].split())} sessions"
                  if m.get("rsa_login_counts") else "") +
        (f"; churn for {m['churn_s']} s over {m.get('churn_users', '?')} accounts"
         if m.get("churn_s", "0") not in ("", "0") else "") +
        (f"; MUC {m.get('muc_rooms')} rooms × {m.get('muc_occupants')} at "
         f"{m['muc_rates'].replace(',', ', ')} msg/s, {m.get('muc_step_s')} s per step"
         if m.get("muc_rates") else "") +
        (f"; mixed at {m['mixed_rates'].replace(',', ', ')} actions/s, "
         f"{m.get('mixed_step_s')} s per step" if m.get("mixed_rates") else "") +
        (f"; chat with the archive at {m['archive_rates'].replace(',', ', ')} msg/s"
         if m.get("archive_rates") else "") +
        (f"; offline flushes of {m['offline_messages']} messages at {m['offline_logins']} "
         "logins" if m.get("offline_logins", "0") not in ("", "0") else "") +
        (f"; resumption of {m['resume_sessions']} sessions"
         if m.get("resume_sessions", "0") not in ("", "0") else "") +
        (f"; over WebSocket ({'ws://' if m.get('ws_tls') == 'none' else 'wss://'}) "
         f"{int(m.get('ws_login_count') or 0):,} idle sessions and chat at "
         f"{m['ws_chat_rates'].replace(',', ', ')} msg/s, {m.get('ws_rounds', '1')} round(s)"
         if m.get("ws_chat_rates") else "") +
        (f"; archive queries on {int(m['mam_rows']):,} generated messages, {m.get('mam_s')} s "
         f"each, beside {m.get('mam_chat_rate')} msg/s of chat" if m.get("mam_rows") else "") +
        (f"; only the scenarios {m['bench_scenarios']}" if m.get("bench_scenarios") else "") +
        (f"; the bot's scenarios: {', '.join(m['bot_scenarios'].split())}"
         if m.get("bot_scenarios") else "") +
        f". Run: `make bench{'-quick' if res.quick else ''}` "
        f"({int(m.get('duration_s', '0') or 0)} s).")
    out.append("")
    return out


def muc_probe_text(verdict):
    """The MUC probe's verdict, short: joins work, or why not."""
    if not verdict:
        return "not probed"
    if verdict.startswith("ok"):
        return "joins work"
    return "no MUC (" + verdict.split(":", 1)[-1].strip() + ")"


def machine_section(res):
    m = res.meta
    return ["## Machine and versions", "",
            md_table(["", ""], [
                ["date", m.get("date", "?")],
                ["CPU", f"{m.get('cpu_model', '?')}, {m.get('nproc', '?')} CPUs"],
                ["memory", m.get("memory", "?")],
                ["kernel", m.get("kernel", "?")],
                ["OS", m.get("os", "?")],
                ["Parley", f"{m.get('parley_version', '?')}, commit {m.get('commit', '?')}"],
                ["Prosody", m.get("prosody_version", "?")],
                ["ejabberd", m.get("ejabberd_version", "?")],
                ["OpenSSL", m.get("openssl_version", "?")],
            ]), ""]


def errors_section(res):
    if not res.errors:
        return []
    out = ["## Servers that could not be measured", ""]
    for s, e in res.errors.items():
        out.append(f"- **{TITLES[s]}**: {e}")
    out.append("")
    return out


def results_md(res):
    kind = "quick run (`make bench-quick`)" if res.quick else "full run (`make bench`)"
    out = [f"# Parley vs Prosody vs ejabberd — {kind}", ""]
    report_ws.loaded(res)
    if res.quick:
        extra = []
        if res.rsa_counts:
            extra.append("the storm again with an RSA-2048 certificate")
        if res.meta.get("churn_s", "0") not in ("", "0"):
            extra.append(f"{res.meta['churn_s']} s of churn")
        if any(res.muc.get(s) for s in res.servers):
            extra.append(f"MUC steps up to {max(res.rates('muc_rates')):,.0f} msg/s")
        if any(res.mixed.get(s) for s in res.servers):
            extra.append(f"mixed steps up to {max(res.rates('mixed_rates')):,.0f} actions/s")
        if any(res.ws_login.values()) or any(res.ws_rounds.values()):
            extra.append("XMPP over WebSocket beside TCP (idle memory, chat CPU)")
        if res.soak:
            extra.append(f"a {float(res.soak.get('duration_s') or 0):g} s soak of "
                         f"{res.soak.get('count', 0):,} sessions")
        out += ["> **Quick run**: one 1,000-session login storm and chat steps of "
                f"{res.step_s:g} s up to {max(res.rates()):,.0f} msg/s" +
                "".join(f", {x}" for x in extra) + ". Indicative only: one "
                "short storm and 3-second steps move by tens of percent from one run to the next "
                "(one stall of 30 ms is 1 % of a 10,000 msg/s step). `make bench` runs the full "
                "set (storms of 1,000 / 5,000 / 10,000, chat steps of 10 s up to 200,000 "
                "msg/s, RSA-2048 storms of 1,000 / 10,000, 20 s of churn, MUC and mixed steps "
                "of 10 s, and a 10-minute soak of 10,000 sessions).", ""]
    out += [f"Generated by `bench/suite/report.py` on {res.meta.get('date', '?')}; each server "
            "pinned to CPU 0, the load bot to CPU 1. ↑ higher is better, ↓ lower is better; "
            "ratios are Parley/peer.", "", "## Headline", "", headline_table(res), ""]
    noisy = noisy_runs(res)
    if noisy:
        out += [f"⚠ Other work shared the cores during {len(noisy)} run(s) "
                f"({', '.join(noisy)}): see Measurement hygiene below.", ""]
    out += errors_section(res)
    out += login_section(res)
    out += rsa_section(res)
    out += chat_section(res)
    out += report_ws.ws_section(res)
    out += botcap_section(res)
    out += churn_section(res)
    out += muc_section(res)
    out += muc_section(MucBig(res), big=True)
    out += mixed_section(res)
    out += soak_section(res)
    out += report_history.archive_section(res)
    out += report_history.offline_section(res)
    out += report_history.resume_section(res)
    out += report_history.mam_section(res)
    out += pending_section(res)
    out += method_section(res)
    out += machine_section(res)
    out += hygiene_section(res)
    return "\n".join(out)


# ---- plots -----------------------------------------------------------------------------

COLORS = {"parley": "#1b7837", "prosody": "#2166ac", "ejabberd": "#b2182b"}


def write_dat(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(" ".join(str(x) for x in r) + "\n")


def muc_plot(res, dat, out_dir, name, label):
    """The gnuplot commands for one MUC run's latency plot ("" when nothing was measured)."""
    lines = []
    for s in res.servers:
        j = res.muc.get(s)
        rows = [(st["target_rate"] * fanout(st, res), max(st["p50_ms"], 0.01),
                 max(st["p99_ms"], 0.01)) for st in (j or {}).get("steps") or []
                if st["received"] > 0 and st["p50_ms"] is not None and st["p99_ms"] is not None]
        if rows:
            f = os.path.join(dat, f"{s}-{name}.dat")
            write_dat(f, rows)
            lines.append(f"'{f}' using 1:3 with linespoints lw 2 pt 7 lc rgb '{COLORS[s]}' "
                         f"title '{TITLES[s]} p99'")
            lines.append(f"'{f}' using 1:2 with linespoints lw 1 dt 2 pt 6 "
                         f"lc rgb '{COLORS[s]}' title '{TITLES[s]} p50'")
    if not lines:
        return ""
    rooms, occ = res.meta.get("muc_rooms", "20"), res.meta.get("muc_occupants", "50")
    shape = f"{rooms} rooms × {occ}" if rooms != "1" else f"one room of {occ}"
    return (f"set output '{os.path.join(out_dir, name + '_latency.png')}'\n"
            f"set title 'MUC, {shape}: latency vs deliveries/s ({label})'\n"
            "set logscale xy\nset xlabel 'target deliveries/s'\n"
            "set xrange [*:*]\nset format x '%.0s%c'\n"
            "set ylabel 'delivery latency, ms'\n"
            f"set arrow from graph 0, first {P99_LIMIT_MS} to graph 1, first "
            f"{P99_LIMIT_MS} nohead dt 3 lc rgb 'gray40'\n"
            "plot " + ", ".join(lines) + "\n"
            "unset arrow\nunset logscale\nset autoscale\n")


def plots(res, out_dir):
    if not shutil.which("gnuplot"):
        print("report: gnuplot is missing, no plots", file=sys.stderr)
        return
    label = "quick run" if res.quick else "full run"
    dat = res.folder
    chat_lines, cpu_lines, login_lines = [], [], []
    for s in res.servers:
        chat = res.chat.get(s)
        if chat and chat.get("steps"):
            rows = [(st["target_rate"], max(st["p50_ms"], 0.01), max(st["p99_ms"], 0.01),
                     st["server_cpu_pct"]) for st in chat["steps"] if st["received"] > 0]
            if rows:
                write_dat(os.path.join(dat, f"{s}-chat.dat"), rows)
                f = os.path.join(dat, f"{s}-chat.dat")
                chat_lines.append(
                    f"'{f}' using 1:3 with linespoints lw 2 pt 7 lc rgb '{COLORS[s]}' "
                    f"title '{TITLES[s]} p99'")
                chat_lines.append(
                    f"'{f}' using 1:2 with linespoints lw 1 dt 2 pt 6 lc rgb '{COLORS[s]}' "
                    f"title '{TITLES[s]} p50'")
                cpu_lines.append(
                    f"'{f}' using 1:4 with linespoints lw 2 pt 7 lc rgb '{COLORS[s]}' "
                    f"title '{TITLES[s]}'")
        rows = [(j["logins_per_s"], j["login_p99_ms"], n) for n in res.login_counts
                if (j := res.login.get((s, n)))]
        if rows:
            f = os.path.join(dat, f"{s}-login.dat")
            write_dat(f, rows)
            login_lines.append(
                f"'{f}' using 1:2 with linespoints lw 2 pt 7 ps 1.5 lc rgb '{COLORS[s]}' "
                f"title '{TITLES[s]}', '{f}' using 1:2:(sprintf('%gk', $3 / 1000)) "
                f"with labels left "
                f"offset 1,0 font ',9' notitle")
    muc_plots = [muc_plot(res, dat, out_dir, "muc", label),
                 muc_plot(MucBig(res), dat, out_dir, "muc_big", label)]
    common = ("set terminal pngcairo size 900,560 font 'DejaVu Sans,11'\n"
              "set grid\nset key top left\n")
    script = common
    if chat_lines:
        script += (f"set output '{os.path.join(out_dir, 'chat_latency.png')}'\n"
                   f"set title '1:1 chat, {res.meta.get('chat_users', '1000')} online users: "
                   f"latency vs rate ({label})'\n"
                   "set logscale xy\nset xlabel 'target messages/s'\n"
                   f"set xrange [{min(res.rates()) / 1.5}:{max(res.rates()) * 1.5}]\n"
                   "set format x '%.0s%c'\n"
                   "set ylabel 'delivery latency, ms'\n"
                   f"set arrow from graph 0, first {P99_LIMIT_MS} to graph 1, first "
                   f"{P99_LIMIT_MS} nohead dt 3 lc rgb 'gray40'\n"
                   "plot " + ", ".join(chat_lines) + "\n"
                   "unset arrow\nunset logscale\n")
        script += (f"set output '{os.path.join(out_dir, 'chat_cpu.png')}'\n"
                   f"set title '1:1 chat: server CPU (one core) vs rate ({label})'\n"
                   "set logscale x\nset xlabel 'target messages/s'\n"
                   "set ylabel 'server CPU, % of one core'\nset yrange [0:110]\n"
                   "plot " + ", ".join(cpu_lines) + "\n"
                   "unset logscale\nset autoscale y\n")
    script += "".join(muc_plots)
    if login_lines:
        script += (f"set output '{os.path.join(out_dir, 'login_latency.png')}'\n"
                   f"set title 'TLS login storm: login p99 vs logins/s, labels: sessions "
                   f"({label})'\n"
                   "set xlabel 'logins/s'\nset ylabel 'login p99, ms'\n"
                   "set xrange [0:*]\nset yrange [0:*]\nset format x '%g'\n"
                   "set offsets 0, graph 0.1, graph 0.15, 0\n"
                   "plot " + ", ".join(login_lines) + "\n")
    script += soak_plot(res, out_dir, dat, label)
    gp = os.path.join(dat, "plots.gp")
    with open(gp, "w", encoding="utf-8") as f:
        f.write(script)
    subprocess.run(["gnuplot", gp], check=True, timeout=60)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", required=True, help="results folder of bench.sh")
    ap.add_argument("--out", default="bench", help="folder for RESULTS.md and the PNGs")
    ap.add_argument("--headline", action="store_true",
                    help="print only the headline table (for README's Benchmarks section)")
    args = ap.parse_args()
    res = Results(args.results)
    report_history.load(res)
    report_ws.load(res)
    if not res.meta:
        sys.exit(f"report: no meta.env in {args.results}: run bench/suite/bench.sh first")
    if args.headline:
        print(headline_table(res))
        return
    os.makedirs(args.out, exist_ok=True)
    plots(res, args.out)
    with open(os.path.join(args.out, "RESULTS.md"), "w", encoding="utf-8") as f:
        f.write(results_md(res) + "\n")


if __name__ == "__main__":
    main()
