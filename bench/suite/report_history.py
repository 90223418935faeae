# SPDX-License-Identifier: MIT
"""The benchmark report's history tables: 1:1 chat with the message archive on, the offline
flush at login, stream management resumption against a full login, and archive queries on a
generated archive (Parley)."""

import os
import re
import statistics

from report_data import (
    TITLES, P99_LIMIT_MS, TARGET_CPU_RATE, read_json, read_env, read_text, max_sustained,
    cpu_us_per_msg, step_verdict, find_step, fmt_num, md_table,
)

ARCHIVE_COST_LIMIT = 0.25  # Parley's archive may cost at most this much more CPU per message
ARCHIVE_WRITE_TARGET = 10000  # archived messages/s the write path must sustain, well over
MAM_TARGET_MS = 5.0  # a page of 50 from the generated archive
MAM_KINDS = (("with", "last page of 50 by with"), ("date", "page of 50 by date"),
             ("text", "full-text search, last 50 hits"))
STORAGE_LINE = re.compile(r"^(.+?)\s+p50\s+([\d.]+) ms\s+p99\s+([\d.]+) ms")


def load(res):
    """Reads the history runs into RES: archive (config -> json), offline and resume
    (server -> json), mam (tag -> json) and mam_storage (the generator's own figures)."""
    res.archive = {}
    res.archive_rounds = []  # Parley's (off, on) runs, a pair per round
    rounds = int(res.meta.get("archive_rounds", "1") or 1)
    for s in res.servers:
        configs = [("on", "chat-archive")] + ([("off", "chat-archive-off")]
                                              if s == "parley" else [])
        for key, tag in configs:
            res.archive[(s, key)] = load_archive_run(res, s, tag)
    for r in range(2, rounds + 1):
        pair = tuple(load_archive_run(res, "parley", f"{tag}-r{r}")
                     for tag in ("chat-archive-off", "chat-archive"))
        if all(pair):
            res.archive_rounds.append(pair)
    first = (res.archive.get(("parley", "off")), res.archive.get(("parley", "on")))
    if all(first):
        res.archive_rounds.insert(0, first)
    res.archive_pairs = []  # Parley's (off, on) runs side by side, a pair per round
    for r in range(1, int(res.meta.get("archive_pair_rounds", "0") or 0) + 1):
        sfx = f"-r{r}" if r > 1 else ""
        pair = tuple(load_archive_run(res, "parley", f"{tag}{sfx}")
                     for tag in ("chat-archive-pair-off", "chat-archive-pair"))
        if all(pair):
            res.archive_pairs.append(pair)
    res.offline, res.resume = {}, {}
    for s in res.servers:
        for store, tag in ((res.offline, "offline"), (res.resume, "resume")):
            store[s] = read_json(res.path(s, tag, "json"))
            res.runs[(s, tag)] = read_env(res.path(s, tag, "run"))
    res.mam = {}
    for tag in ("mam-idle", "mam-chat", "mam-chat-alone"):
        res.mam[tag] = read_json(res.path("parley", tag, "json"))
        res.runs[("parley", tag)] = read_env(res.path("parley", tag, "run"))
    res.mam_storage = read_text(os.path.join(res.folder, "parley-mam-storage.txt"))


def load_archive_run(res, server, tag):
    """One chat run with an archive (its json, with the bot's CPU per step), or None."""
    j = read_json(res.path(server, tag, "json"))
    res.runs[(server, tag)] = read_env(res.path(server, tag, "run"))
    if j:
        cpu = res.phase_cpu(server, tag)
        for st in j.get("steps", []):
            st["bot_cpu_pct"] = cpu.get(("chat", st["target_rate"]), (None, None))[0]
    return j


def archive_configs(res):
    """(label, server, json) of the chat runs with an archive, Parley's without one first."""
    out = []
    for s in res.servers:
        if s == "parley":
            out.append(("Parley, archive off", s, res.archive.get((s, "off"))))
            out.append(("Parley, archive on", s, res.archive.get((s, "on"))))
        else:
            out.append((f"{TITLES[s]}, mod_mam on SQLite", s, res.archive.get((s, "on"))))
    return out


def sustained_cpu(j, rate, step_s):
    """µs of server CPU per message at RATE, only where the step was sustained."""
    st = find_step(j, rate)
    if not st or st["lost"] or step_verdict(st, step_s) == "late":
        return None
    return cpu_us_per_msg(st, step_s)


def round_costs(rounds, rate, step_s):
    """The archive's extra CPU per message at RATE in each (off, on) round (0.1 = 10 %)."""
    out = []
    for off_j, on_j in rounds:
        on = sustained_cpu(on_j, rate, step_s)
        off = sustained_cpu(off_j, rate, step_s)
        if on and off:
            out.append(on / off - 1)
    return out


def archive_costs(res, rate):
    """Parley's extra CPU per message with the archive on at RATE in each round, and how they
    were measured: side by side when those runs have the rate (the machine's drift hits both
    alike), else in turn (on against the off run of its round)."""
    costs = round_costs(res.archive_pairs, rate, res.step_s)
    if costs:
        return costs, "side by side"
    return round_costs(res.archive_rounds, rate, res.step_s), "in turn"


def archive_cost(res, rate, rounds=None):
    """The median of the rounds' archive costs at RATE (archive_costs', or ROUNDS'), or
    None."""
    costs = (archive_costs(res, rate)[0] if rounds is None
             else round_costs(rounds, rate, res.step_s))
    return statistics.median(costs) if costs else None


def archive_pair_rates(res):
    return [float(r) for r in res.meta.get("archive_pair_rates", "").split(",") if r]


def archive_rates(res):
    """Every rate either kind of archive run measured, in order."""
    rates = {float(r) for key in ("archive_rates", "archive_pair_rates")
             for r in res.meta.get(key, "").split(",") if r}
    return sorted(rates)


def archive_verdicts(res):
    """The two targets, as sentences."""
    out = []
    costs = [(r, c) for r in archive_rates(res) if (c := archive_cost(res, r)) is not None]
    for r, c in costs:
        ok = "met" if c <= ARCHIVE_COST_LIMIT else "**not met**"
        each, how = archive_costs(res, r)
        rounds = (f", the median of {len(each)} rounds ("
                  + ", ".join(f"{x * 100:+.0f} %" for x in each) + ")" if len(each) > 1 else "")
        out.append(f"- Parley's archive costs {c * 100:+.0f} % CPU per message at {r:,.0f} "
                   f"msg/s, {how}{rounds} (target ≤ +{ARCHIVE_COST_LIMIT * 100:.0f} %): {ok}.")
    got = max_sustained(res.archive.get(("parley", "on")), res.step_s)
    if got.rate is not None or res.archive.get(("parley", "on")):
        rate = got.rate or 0
        ok = ("met" if rate > ARCHIVE_WRITE_TARGET else
              "not shown: the climb ended at its top step" if got.bound else "**not met**")
        out.append(f"- Parley with its archive on sustained {'≥ ' if got.bound else ''}"
                   f"{rate:,.0f} msg/s at p99 ≤ {P99_LIMIT_MS:g} ms ({got.why}); "
                   f"each message is written to two archives, the sender's and the "
                   f"recipient's (target: well over {ARCHIVE_WRITE_TARGET:,} archived messages/s "
                   f"on one core): {ok}.")
    return out


def archive_section(res):
    configs = [c for c in archive_configs(res) if c[2]]
    if not configs:
        why = res.meta.get("parley_archive", "")
        return (["## 1:1 chat with the message archive", "",
                 f"Not measured in this run{': Parley has ' + why if why else ''}.", ""]
                if "archive_rates" in res.meta else [])
    out = ["## 1:1 chat with the message archive", ""]
    m = res.meta
    who = {"parley": "Parley with `" + m.get("parley_archive_on", "").replace("\\n", " ") +
           "` against `" + m.get("parley_archive_off", "").replace("\\n", " ") +
           "` (archive off)" if "parley_archive_on" in m else
           f"Parley: {m.get('parley_archive', 'not measured')}",
           "prosody": "Prosody with mod_mam on mod_storage_sql with SQLite "
           "(`default_archive_policy = true`)",
           "ejabberd": "ejabberd with mod_mam on SQL storage with SQLite (`db_type: sql`, "
           "`default: always`)"}
    out.append(
        f"The 1:1 chat scenario (same {m.get('chat_users', '1000')} users, random pairs, "
        f"{res.step_s:g} s per step) with every message archived (XEP-0313): " +
        ", ".join(who[s] for s in res.servers) + ". Every run starts with an empty archive. "
        "Every other run of this report has no archive: the peers load no mod_mam there, and "
        "Parley runs with its archive off." +
        (f" Parley's runs with the archive off and on alternated {len(res.archive_rounds)} "
         "times, the archive first in every other round: a cost in turn is the median of "
         "the ratios of each on run to the off run of its round; the tables show the first "
         "round." if len(res.archive_rounds) > 1 else "") +
        (f" Parley's archive off and on also ran side by side {len(res.archive_pairs)} times "
         "(both servers at once on the same core, each with a bot of its own on the other), "
         "up to " + f"{max(archive_pair_rates(res)):,.0f} msg/s: this machine drifts between "
         "runs by more than the archive costs, and side by side the drift hits both alike, so "
         "its cost comes from those runs wherever they have the rate (the median of the "
         "rounds' ratios), from the runs in turn above it." if res.archive_pairs else ""))
    out += ["", f"Targets: Parley's archive costs at most {ARCHIVE_COST_LIMIT * 100:.0f} % more "
            "CPU per message than Parley without it, and its write path sustains well over "
            f"{ARCHIVE_WRITE_TARGET:,} archived messages/s on one core.", ""]
    verdicts = archive_verdicts(res)
    out += verdicts + ([""] if verdicts else [])
    rows = []
    for label, s, j in configs:
        got = max_sustained(j, res.step_s)
        tag = "chat-archive-off" if label.endswith("archive off") else "chat-archive"
        kib = (res.runs.get((s, tag)) or {}).get("archive_kib")
        rows.append([label, ("≥ " if got.bound and got.rate else "") + fmt_num(got.rate),
                     got.why, fmt_num(max(int(kib), 0) / 1024, 1) if kib else "—"])
    out += [md_table(["server", f"max sustained msg/s (p99 ≤ {P99_LIMIT_MS:g} ms)",
                      "the climb ended", "archive storage after the run, MiB"], rows), "",
            "Archive storage: what the run left in the archive's files (Parley: its data "
            "folder beyond the accounts'); with the archive off it should stay near 0.", ""]
    rows = []
    for r in archive_rates(res):
        row = [f"{r:,.0f}"]
        for _, s, j in configs:
            st = find_step(j, r)
            if not st:
                row.append("—")
                continue
            us = sustained_cpu(j, r, res.step_s)
            row.append(f"{fmt_num(st.get('p99_ms'), 2)} · {fmt_num(st.get('server_cpu_pct'))} · "
                       f"{fmt_num(us, 1)}" + (f" · {st['lost']:,} lost" if st["lost"] else ""))
        parley = res.archive.get(("parley", "off")) and res.archive.get(("parley", "on"))
        if parley:
            row.append(" · ".join("—" if c is None else f"{c * 100:+.0f} %"
                                  for c in (archive_cost(res, r, res.archive_pairs),
                                            archive_cost(res, r, res.archive_rounds))))
        rows.append(row)
    out.append(md_table(["target msg/s", *(f"{c[0]}: p99 ms · server % · µs/msg"
                                           for c in configs)] +
                        (["Parley on vs off, CPU/msg: side by side · in turn"] if parley else []),
                        rows))
    out += ["", "µs/msg only where the step was sustained (no loss, p99 ≤ "
            f"{P99_LIMIT_MS:g} ms). The plain chat runs above have no archive at all on the "
            "peers. Both peers leave SQLite in its default rollback-journal mode (their archive "
            "files stay `journal_mode=delete`) and write each archived message in a "
            "transaction of its own, so a disk's fsync rate bounds their archive; Parley's "
            "store runs in WAL mode with `synchronous=NORMAL`, queues the archived copies of "
            "delivered messages in memory and writes them together in one transaction at most "
            "`commit_lazy_ms` (500 ms) after the first of them, sooner when anything else "
            "commits.",
            ""]
    return out


def offline_section(res):
    runs = {s: j for s, j in res.offline.items() if j}
    if not runs:
        return []
    resume = res.resume
    out = ["## Offline messages: the flush at login", ""]
    any_run = next(iter(runs.values()))["offline"]
    out.append(
        f"Half of {2 * any_run['logins']} accounts log in and send "
        f"{any_run['messages_per_login']:,} chat messages each to one account of the other half, "
        "which is offline (every server keeps them: Parley's [offline] module, Prosody's "
        "mod_offline, ejabberd's mod_offline); a ping after them says the server has handled "
        "them. Then the offline accounts log in one at a time (STARTTLS, SASL, bind, initial "
        "presence) and the bot times each until the last kept message has arrived. Server CPU "
        "is the server's CPU time from the start of that login to the last message: the login "
        "and the flush together (a login alone: the full login of the resumption table below).")
    out.append("")
    metrics = [
        ("logins with every message / without", lambda o: f"{o['flushes']} / {o['incomplete']}"),
        ("login start to the last message, p50 ms ↓", lambda o: fmt_num(o["flush_p50_ms"], 1)),
        ("login start to the last message, max ms ↓", lambda o: fmt_num(o["flush_max_ms"], 1)),
        ("initial presence to the last message, p50 ms ↓",
         lambda o: fmt_num(o["after_presence_p50_ms"], 1)),
        ("server CPU for the login and flush, ms ↓",
         lambda o: fmt_num(o["server_cpu_ms_per_flush"] if o["server_cpu_ms_per_flush"] >= 0
                           else None, 1)),
        ("messages refused while storing", lambda o: fmt_num(o["store_errors"])),
        ("messages out of order", lambda o: fmt_num(o["out_of_order"])),
    ]
    rows = [[label, *(fn(runs[s]["offline"]) if s in runs else "—" for s in res.servers)]
            for label, fn in metrics]
    rows.append(["server CPU of a full login alone (resume run), ms",
                 *(fmt_num(((resume.get(s) or {}).get("resume") or {}).get(
                     "login_cpu_ms_per_login"), 2) for s in res.servers)])
    out += [md_table(["metric", *(TITLES[s] for s in res.servers)], rows), ""]
    return out


def resume_section(res):
    runs = {s: j for s, j in res.resume.items() if j and j.get("resume")}
    if not runs:
        return []
    n = next(iter(runs.values()))["count"]
    out = ["## Stream management: resumption against a full login", ""]
    out.append(
        f"{n:,} sessions log in ({res.meta.get('parallel', '?')} in flight: STARTTLS, SASL, "
        "bind, `<enable resume='true'/>`, initial presence), then the bot drops every TCP "
        "connection at once (no closing tag, no TLS close_notify: a lost network) and, a "
        "second later, resumes every session with the same parallelism: a new TCP connection, "
        "STARTTLS, SASL, then `<resume previd='' h=''/>` instead of a bind, until "
        "`<resumed/>`. Server CPU per login is the server's CPU time over the storm divided by "
        "the logins; per resumption likewise over the resumptions. Prosody runs mod_smacks, "
        "ejabberd mod_stream_mgmt; Parley's is built in.")
    out.append("")
    metrics = [
        ("server CPU per full login, ms ↓", "login_cpu_ms_per_login", 2),
        ("server CPU per resumption, ms ↓", "resume_cpu_ms_per_resume", 2),
        ("server CPU per dropped connection, ms", "drop_cpu_ms_per_session", 2),
        ("resumptions/s ↑", "resumes_per_s", 0),
        ("resumption p50, ms ↓", "resume_p50_ms", 1),
        ("resumption p99, ms ↓", "resume_p99_ms", 1),
    ]
    rows = []
    for label, key, d in metrics:
        rows.append([label, *(fmt_num(runs[s]["resume"].get(key), d) if s in runs else "—"
                              for s in res.servers)])
    rows.append(["resumption / full login, CPU",
                 *(ratio(runs[s]["resume"]) if s in runs else "—" for s in res.servers)])
    rows.append(["full logins/s ↑, login p99 ms",
                 *(f"{fmt_num(runs[s].get('logins_per_s'))}, "
                   f"{fmt_num(runs[s].get('login_p99_ms'), 1)}" if s in runs else "—"
                   for s in res.servers)])
    rows.append(["dropped / resumed / failed",
                 *(f"{runs[s]['resume']['dropped']:,} / {runs[s]['resume']['resumed']:,} / "
                   f"{runs[s].get('login_failures', 0):,}" if s in runs else "—"
                   for s in res.servers)])
    out += [md_table(["metric", *(TITLES[s] for s in res.servers)], rows), ""]
    out += ["The resumption still pays the TCP and TLS handshakes and SASL; what it saves is "
            "the bind, the initial presence and its broadcast, and the roster and state the "
            "session keeps. Server CPU is read from /proc in ticks of 10 ms: with a few "
            "thousand sessions a figure is good to about 0.01 ms.", ""]
    return out


def ratio(r):
    a, b = r.get("resume_cpu_ms_per_resume"), r.get("login_cpu_ms_per_login")
    return f"{a / b:.2f}×" if a and b and a > 0 and b > 0 else "—"


def mam_storage_rows(text):
    """The generator's own figures (no server): [(what, p50, p99)]."""
    rows = []
    for line in (text or "").splitlines():
        m = STORAGE_LINE.match(line.strip())
        if m:
            rows.append((m[1].strip(), float(m[2]), float(m[3])))
    return rows


def mam_section(res):
    idle, chat, alone = (res.mam.get(t) for t in ("mam-idle", "mam-chat", "mam-chat-alone"))
    m = res.meta
    if not idle and not chat:
        why = m.get("parley_mam")
        return ["## Archive queries on a generated archive", "",
                f"Not measured in this run: {why}." if why else
                "Not measured in this run (MAM_ROWS=0, or not asked for).", ""]
    rows_n = int(m.get("mam_rows", "0") or 0)
    out = ["## Archive queries on a generated archive (Parley)", ""]
    out.append(
        f"An archive of {rows_n:,} messages generated by `bin/parley-mam-bench` through the "
        f"storage layer ({rows_n // 10:,} of them in big@bench's archive, with 1,000 peers; the "
        "rest between 9,000 other accounts), then big@bench queries over XMPP (XEP-0313 with "
        "RSM, one query in flight, 20 a second at most, the three kinds in turn): the last page "
        "of 50 with one peer (`<before/>`), the first page of 50 from the middle of the "
        "archive's time span, and the last 50 hits of a full-text search for a frequent word. "
        f"First on the idle server for {m.get('mam_s', '?')} s, then beside "
        f"{float(m.get('mam_chat_rate', '0') or 0):,.0f} msg/s of 1:1 chat among 1,000 other "
        "accounts (archived too), then that chat alone. Latency is from the query's send to the "
        f"iq result that ends it. Target: < {MAM_TARGET_MS:g} ms for a page of 50.")
    out.append("")
    rows = []
    storage = {k: v for k, v in zip([k for k, _ in MAM_KINDS], mam_storage_rows(
        res.mam_storage))}
    for key, label in MAM_KINDS:
        cells = [label]
        st = storage.get(key)
        cells.append(f"{st[1]:.2f} / {st[2]:.2f}" if st else "—")
        for j in (idle, chat):
            q = ((j or {}).get("mam") or {}).get(key)
            cells.append(f"{q['p50_ms']:.2f} / {q['p99_ms']:.2f} ({q['queries']:,} queries, "
                         f"{q['errors']:,} errors, {q['results_per_query']:.0f} results each)"
                         if q else "—")
        rows.append(cells)
    out += [md_table(["query", "storage layer only, p50 / p99 ms",
                      "idle server, p50 / p99 ms", "beside chat, p50 / p99 ms"], rows), ""]
    c = [(label, find_step(j, float(m.get("mam_chat_rate", "0") or 0)))
         for label, j in (("with the queries", chat), ("alone", alone))]
    rows = [[label, fmt_num(st.get("p50_ms"), 2), fmt_num(st.get("p99_ms"), 2),
             fmt_num(st.get("lost")), fmt_num(st.get("server_cpu_pct"))]
            for label, st in c if st]
    if rows:
        out += [md_table(["chat at the same rate", "p50 ms", "p99 ms", "lost", "server %"],
                         rows), "", "The queries run on the archive's reader threads, off the "
                "event loop: the chat p99 should not move when they run.", ""]
    errs = [(j or {}).get("mam", {}).get("last_error") for j in (idle, chat)]
    errs = [e for e in errs if e]
    if errs:
        out += [f"Last query error: {errs[-1]}.", ""]
    return out


def history_headline_rows(res):
    """Headline rows: (label, {server: value}, better, ref key, digits)."""
    if not hasattr(res, "archive"):  # a Results read without the history runs yet
        load(res)
    rows = []
    got = {s: max_sustained(res.archive.get((s, "on")), res.step_s) for s in res.servers}
    if any(v.rate is not None for v in got.values()):
        rows.append((f"1:1 msg/s sustained with the archive on (p99 ≤ {P99_LIMIT_MS:g} ms)",
                     {s: v.rate for s, v in got.items()}, "↑", "archive_rate", 0,
                     {s: (bool(v.bound and v.rate), None) for s, v in got.items()}))
        common = [r for r in archive_rates(res)
                  if all(sustained_cpu(res.archive.get((s, "on")), r, res.step_s)
                         for s in res.servers if res.archive.get((s, "on")))]
        if common:
            r = max(common)
            rows.append((f"server CPU µs per message with the archive on, at {r:,.0f} msg/s",
                         {s: sustained_cpu(res.archive.get((s, "on")), r, res.step_s)
                          for s in res.servers}, "↓", None, 1))
        costs = [(r, c) for r in archive_rates(res) if (c := archive_cost(res, r)) is not None]
        if costs:  # at the rate the CPU target names (5,000 msg/s) when it ran, else the top
            r, c = next(((r, c) for r, c in costs if r == TARGET_CPU_RATE), costs[-1])
            rows.append((f"Parley's archive: extra CPU per message at {r:,.0f} msg/s "
                         f"({archive_costs(res, r)[1]})",
                         {"parley": f"{c * 100:+.0f} %"}, "", "archive_cost", 0))
    off = {s: (j or {}).get("offline") for s, j in res.offline.items()}
    if any(off.values()):
        n = next(o for o in off.values() if o)["messages_per_login"]
        rows.append((f"offline flush of {n:,} at login: login start to the last, ms",
                     {s: offline_figure(o, "flush_p50_ms") for s, o in off.items()},
                     "↓", None, 1))
        rows.append(("server CPU for that login and flush, ms",
                     {s: offline_figure(o, "server_cpu_ms_per_flush") for s, o in off.items()},
                     "↓", None, 1))
    rs = {s: (j or {}).get("resume") for s, j in res.resume.items()}
    if any(rs.values()):
        rows.append(("server CPU per SM resumption, ms",
                     {s: r and r["resumed"] and r["resume_cpu_ms_per_resume"]
                      for s, r in rs.items()}, "↓", None, 2))
        rows.append(("server CPU per full login (same run), ms",
                     {s: r and r["login_cpu_ms_per_login"] for s, r in rs.items()}, "↓", None, 2))
    return rows


def offline_figure(o, key):
    """A figure of the offline run, or why there is none."""
    if not o:
        return None
    if o["store_errors"] and not o["flushes"]:
        return f"refused {o['store_errors']:,} while storing"
    return o[key] if o["flushes"] else "no flush complete"


def mam_headline_cells(res):
    """{server: text} for the headline's MAM row."""
    idle = ((res.mam.get("mam-idle") or {}).get("mam") or {}).get("with")
    cells = {s: "not measured" for s in res.servers}
    if idle:
        cells["parley"] = f"p50 {idle['p50_ms']:.2f} / p99 {idle['p99_ms']:.2f} ms"
    elif "parley" in cells:
        cells["parley"] = res.meta.get("parley_mam", "not measured")
    return cells
