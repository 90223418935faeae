# SPDX-License-Identifier: MIT
"""The benchmark report's soak: sessions churning for minutes, judged on memory, failures and
login latency over time (Parley only)."""

import os

from report_data import fmt_num, md_table

RSS_FLAT_PCT = 5.0  # memory is flat when the last window's mean RSS is within this of the 2nd's
RSS_WINDOW_S = 60.0  # the windows compared: the second minute and the last one


def rss_windows(rss, end_s):
    """The windows whose mean RSS is compared: the second [w, 2w) and the last (end - w, end],
    w = RSS_WINDOW_S, or end / 5 for a run shorter than five of them (a short trial run).
    Returns (w, early samples, late samples) from RSS, [[seconds, KiB], ...]."""
    w = min(RSS_WINDOW_S, end_s / 5)
    early = [kib for t, kib in rss if w <= t < 2 * w]
    late = [kib for t, kib in rss if end_s - w < t <= end_s]
    return w, early, late


def rss_verdict(rss, end_s):
    """(change of the mean RSS from the second window to the last, as a fraction; flat?) or
    (None, None) when either window has no sample."""
    _, early, late = rss_windows(rss or [], end_s)
    if not early or not late:
        return None, None
    a, b = sum(early) / len(early), sum(late) / len(late)
    change = (b - a) / a
    return change, abs(change) * 100 <= RSS_FLAT_PCT


def soak_failures(j):
    """Sessions or cycles that failed, as the bot counts them: logins refused or timed out,
    sessions whose own messages did not come back, streams the server did not end."""
    return j.get("failures") or 0


def soak_summary(j):
    """One line for the headline: memory, failures, worst login p99 of a window."""
    if not j:
        return None
    change, flat = rss_verdict(j.get("rss"), j.get("duration_s") or 0)
    mem = ("RSS too short a run to judge" if change is None else
           f"RSS {'flat' if flat else 'NOT flat'} ({change * 100:+.1f} %)")
    worst = max((w["login_p99_ms"] for w in j.get("series") or []), default=None)
    return (f"{mem} · {soak_failures(j):,} of {j.get('cycles', 0):,} cycles failed" +
            (f" · login p99 ≤ {worst:,.1f} ms in every window" if worst is not None else ""))


def soak_rows(res):
    """The headline row of the soak, when the run had one."""
    j = res.soak
    if not j:
        return []
    m = res.meta
    dur = float(j.get("duration_s") or 0)
    w = rss_windows([], dur)[0]
    span = "minute" if w == RSS_WINDOW_S else f"{w:g} s"
    label = (f"soak: {int(m.get('soak_sessions', j.get('count', 0))):,} sessions churning for "
             f"{dur / 60:g} min (RSS of the last vs the second {span}, cycles failed, login "
             f"p99)")
    return [(label, {s: soak_summary(j) if s == "parley" else "not run" for s in res.servers},
             "", "soak", 0)]


def soak_section(res):
    j = res.soak
    m = res.meta
    if not j:
        if m.get("soak_s") and int(m.get("soak_s") or 0) > 0 and "parley" in res.servers:
            return ["## Soak", "", "Not measured: " +
                    (res.errors.get("parley") or "the soak left no results") + ".", ""]
        return []
    dur = float(j.get("duration_s") or 0)
    out = ["## Soak (Parley)", ""]
    out.append(
        f"{j.get('count', 0):,} sessions churn for {dur:g} s on one freshly started server: "
        f"each connects, does STARTTLS, SASL, bind and initial presence, sends itself "
        f"{j.get('messages_per_cycle', 0)} messages and waits for them, stays online for a "
        f"random time of {j.get('hold_s', 0) / 2:g} to {j.get('hold_s', 0) * 1.5:g} s "
        f"(the sessions spread out instead of leaving in waves), ends its stream, and starts "
        f"again; at most {j.get('max_logins', '?')} logins in flight, from "
        f"{m.get('sources', '?')}. The bot samples the server's RSS every second; the login "
        f"latency (connect to the bind result) is given per window of "
        f"{j.get('series_s', 0):g} s. Only Parley is soaked, to keep the run time sane.")
    out.append("")
    change, flat = rss_verdict(j.get("rss"), dur)
    w, early, late = rss_windows(j.get("rss") or [], dur)
    fails = soak_failures(j)
    if change is None:
        mem = "too short a run to compare two windows of RSS."
    else:
        mem = (f"mean RSS {sum(late) / len(late) / 1024:,.1f} MiB in the last {w:g} s against "
               f"{sum(early) / len(early) / 1024:,.1f} MiB in the second {w:g} s: "
               f"{change * 100:+.1f} %, {'flat' if flat else '**not flat**'} (limit "
               f"±{RSS_FLAT_PCT:g} %).")
    out.append(f"- **Memory**: {mem}")
    out.append(f"- **Failures**: {fails:,} of {j.get('cycles', 0):,} cycles "
               f"({j.get('cycles_per_s', 0):,.0f}/s) failed" +
               (" — must be 0" if fails else "") +
               f"; {j.get('messages_received', 0):,} of {j.get('messages_sent', 0):,} messages "
               f"came back" + (f"; last failure: {j['last_error']}" if j.get("last_error")
                               else "") + ".")
    out.append(f"- **Login latency** over the whole soak: p50 {fmt_num(j.get('login_p50_ms'), 1)}"
               f" ms, p99 {fmt_num(j.get('login_p99_ms'), 1)} ms, max "
               f"{fmt_num(j.get('login_max_ms'), 1)} ms; per window below.")
    out.append("")
    rows = []
    for win in j.get("series") or []:
        rss = win.get("rss_kib")
        rows.append([f"{win['t_s']:,.0f}", f"{win['logins']:,}", f"{win['cycles']:,}",
                     f"{win['failures']:,}", f"{win['login_p50_ms']:.1f}",
                     f"{win['login_p99_ms']:.1f}", f"{win['login_max_ms']:.1f}",
                     f"{win['message_p99_ms']:.2f}", f"{win['online']:,}",
                     fmt_num(rss / 1024 if rss is not None else None, 1),
                     fmt_num(win.get("server_cpu_pct"))])
    if rows:
        out.append(md_table(["until s", "logins", "cycles", "failed", "login p50 ms",
                             "login p99 ms", "login max ms", "message p99 ms", "online",
                             "server RSS MiB", "server CPU %"], rows))
        out += ["", "![soak: server RSS and login p99 over time](soak.png)"]
    out.append("")
    return out


def soak_plot(res, out_dir, dat_dir, label):
    """gnuplot lines for the soak plot (RSS each second, login p99 per window), or ''."""
    j = res.soak
    if not j or not j.get("rss"):
        return ""
    rss = os.path.join(dat_dir, "parley-soak-rss.dat")
    with open(rss, "w", encoding="utf-8") as f:
        f.writelines(f"{t} {kib / 1024:.2f}\n" for t, kib in j["rss"])
    lat = os.path.join(dat_dir, "parley-soak-login.dat")
    with open(lat, "w", encoding="utf-8") as f:
        f.writelines(f"{w['t_s']} {w['login_p99_ms']}\n" for w in j.get("series") or [])
    return (f"set output '{os.path.join(out_dir, 'soak.png')}'\n"
            f"set title 'soak, {j.get('count', 0):,} sessions churning: server RSS and login "
            f"p99 ({label})'\n"
            "unset logscale\nset autoscale\nset offsets 0, 0, 0, 0\nset format x '%g'\n"
            "set xlabel 'seconds'\nset ylabel 'server RSS, MiB'\nset yrange [0:*]\n"
            "set y2label 'login p99 per window, ms'\nset y2range [0:*]\nset y2tics\n"
            f"plot '{rss}' using 1:2 with lines lw 2 lc rgb '#1b7837' title 'RSS', "
            f"'{lat}' using 1:2 axes x1y2 with linespoints lw 2 pt 7 lc rgb '#b2182b' "
            "title 'login p99'\nunset y2tics\nunset y2label\n")
