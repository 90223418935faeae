#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Turns the raw results of bench/suite/bench.sh into bench/RESULTS.md and its plots.

Usage:
  report.py --results build/bench/results-quick [--out bench]   writes RESULTS.md + PNGs
  report.py --results build/bench/results-quick --headline      prints the README table

Reads meta.env (machine, versions, settings, probes), the bot's --json output of each run
(NAME-login-N.json, NAME-chat.json, NAME-login-rsa-N.json, NAME-churn.json, NAME-muc.json,
NAME-mixed.json; any of them may be missing: older runs, a bot without the muc or mixed
scenario, a server without MUC), NAME-*.run (CPU accounting of each run) and NAME.error (why a
server could not be measured). Plots with gnuplot (Debian's gnuplot-nox). Standard library
only.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

SERVERS = ["parley", "prosody", "ejabberd"]
TITLES = {"parley": "Parley", "prosody": "Prosody", "ejabberd": "ejabberd"}
PEERS = ["prosody", "ejabberd"]
P99_LIMIT_MS = 100.0  # a chat step counts as sustained at or below this p99, with no loss
P99_TARGET_MS = 10.0  # Parley's own latency target
MIN_SENT_FRACTION = 0.98  # a step whose bot sent less than this of the target is bot-limited
BOT_BUSY_PCT = 90.0  # a step during which the bot used this much of its core may be bot-limited
PROGRESS = re.compile(r"^\[\s*([\d.]+)s\] (\w+)\s+target (\d+)/s")

# The reference figures (comparable bot, one core each) and Parley's targets.
REFERENCE = {
    "logins": {"ejabberd": "~535", "prosody": "~300", "target": "≥ 2,500"},
    "kib": {"ejabberd": "67.4 KB", "prosody": "47.9 KB", "target": "≤ 16 KiB"},
    "chat": {"ejabberd": "~7,500", "prosody": "~3,000", "target": "≥ 40,000 (p99 < 10 ms)"},
    "cpu_msg": {"ejabberd": "", "prosody": "", "target": "≥ 8× less than ejabberd"},
    "muc": {"ejabberd": "~20,000", "prosody": "~5,000", "target": "≥ 100,000"},
    "rsa": {"ejabberd": "", "prosody": "", "target": ""},
    "churn": {"ejabberd": "", "prosody": "", "target": ""},
    "mam": {"ejabberd": "", "prosody": "", "target": "< 5 ms at 10M messages"},
}


# ---- reading ---------------------------------------------------------------------------

def read_env(path):
    out = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    out[k] = v
    return out


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_text(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return None


def normalize_steps(j, fanout_keys=False):
    """Fills what the tables need in the stepped results of a muc or mixed run, whichever way
    the bot names them: target_rate (or target), lost (at least the deliveries that did not
    arrive, when the bot counts deliveries), latencies (None when absent)."""
    if not j:
        return j
    for st in j.get("steps") or []:
        if st.get("target_rate") is None:
            st["target_rate"] = st.get("target") or 0
        for k in ("sent", "received"):
            st[k] = st.get(k) or 0
        lost = st.get("lost") or 0
        if fanout_keys and st.get("deliveries_expected") is not None and \
                st.get("deliveries") is not None:
            lost = max(lost, st["deliveries_expected"] - st["deliveries"])
        st["lost"] = lost
        for k in ("p50_ms", "p99_ms", "max_ms", "server_cpu_pct"):
            st.setdefault(k, None)
    return j


class Results:
    """Everything one bench.sh run left in its results folder."""

    def __init__(self, folder):
        self.folder = folder
        self.meta = read_env(os.path.join(folder, "meta.env"))
        self.servers = [s for s in self.meta.get("servers", " ".join(SERVERS)).split()
                        if s in SERVERS]
        self.login_counts = [int(n) for n in self.meta.get("login_counts", "").split()]
        self.rsa_counts = [int(n) for n in self.meta.get("rsa_login_counts", "").split()]
        self.step_s = float(self.meta.get("chat_step_s", "10"))
        self.muc_step_s = float(self.meta.get("muc_step_s", "10"))
        self.mixed_step_s = float(self.meta.get("mixed_step_s", "10"))
        self.bot_scenarios = self.meta.get("bot_scenarios", "").split()
        self.login = {}  # (server, n) -> json
        self.login_rsa = {}  # (server, n) -> json
        self.chat = {}  # server -> json
        self.churn = {}  # server -> json
        self.muc = {}  # server -> json
        self.mixed = {}  # server -> json
        self.botcap = None  # Parley's chat run with few sessions: the bot's own ceiling
        self.runs = {}  # (server, tag) -> run env, in the order bench.sh runs them
        self.errors = {}  # server -> text
        for s in self.servers:
            for n in self.login_counts:
                self.login[(s, n)] = read_json(self.path(s, f"login-{n}", "json"))
                self.runs[(s, f"login-{n}")] = read_env(self.path(s, f"login-{n}", "run"))
            self.chat[s] = read_json(self.path(s, "chat", "json"))
            self.runs[(s, "chat")] = read_env(self.path(s, "chat", "run"))
            for n in self.rsa_counts:
                self.login_rsa[(s, n)] = read_json(self.path(s, f"login-rsa-{n}", "json"))
                self.runs[(s, f"login-rsa-{n}")] = read_env(self.path(s, f"login-rsa-{n}",
                                                                      "run"))
            self.churn[s] = read_json(self.path(s, "churn", "json"))
            self.runs[(s, "churn")] = read_env(self.path(s, "churn", "run"))
            self.muc[s] = normalize_steps(read_json(self.path(s, "muc", "json")), True)
            self.runs[(s, "muc")] = read_env(self.path(s, "muc", "run"))
            self.mixed[s] = normalize_steps(read_json(self.path(s, "mixed", "json")))
            self.runs[(s, "mixed")] = read_env(self.path(s, "mixed", "run"))
            self.attach_step_cpu(s)
            if s == "parley":
                self.botcap = read_json(self.path(s, "botcap", "json"))
                self.runs[(s, "botcap")] = read_env(self.path(s, "botcap", "run"))
                cpu = self.phase_cpu(s, "botcap")
                for st in (self.botcap or {}).get("steps", []):
                    st["bot_cpu_pct"] = cpu.get(("chat", st["target_rate"]), (None, None))[0]
            err = read_text(os.path.join(folder, f"{s}.error"))
            if err:
                self.errors[s] = err

    def phase_cpu(self, server, tag):
        """The bot's and the server's share of their cores, per (phase, target rate) of a run:
        the suite's per-second samples (NAME-TAG.cpu) aligned with the bot's progress lines
        (NAME-TAG.log), leaving out the first second of each phase or step, which mixes two.
        Returns {(phase, target): (bot %, server %)}."""
        log, cpu = self.path(server, tag, "log"), self.path(server, tag, "cpu")
        if not os.path.exists(log) or not os.path.exists(cpu):
            return {}
        progress = []  # (end of the second, phase, target)
        with open(log, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = PROGRESS.match(line)
                if m:
                    progress.append((float(m[1]), m[2], float(m[3])))
        samples = []
        with open(cpu, encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3:
                    samples.append(tuple(float(x) for x in parts))
        hz = os.sysconf("SC_CLK_TCK")
        buckets = {}
        for (t1, b1, s1), (t2, b2, s2) in zip(samples, samples[1:]):
            mid = (t1 + t2) / 2
            i = next((k for k, p in enumerate(progress) if p[0] >= mid), None)
            if i is None:
                continue
            # the bot starts in its login phase; any later phase or step has a mixed first second
            if i == 0:
                whole = progress[i][1] == "login"
            else:
                whole = progress[i - 1][1:] == progress[i][1:]
            if not whole:
                continue
            key = progress[i][1:]
            buckets.setdefault(key, []).append((100 * (b2 - b1) / hz / (t2 - t1),
                                                100 * (s2 - s1) / hz / (t2 - t1)))
        return {k: (sum(v[0] for v in vals) / len(vals), sum(v[1] for v in vals) / len(vals))
                for k, vals in buckets.items()}

    def attach_step_cpu(self, server):
        """Adds bot_cpu_pct to each step of the stepped runs, to each login storm (its login
        phase), and bot and server CPU of the churn phase to the churn run."""
        chat = self.chat.get(server)
        if chat:
            cpu = self.phase_cpu(server, "chat")
            for st in chat.get("steps", []):
                st["bot_cpu_pct"] = cpu.get(("chat", st["target_rate"]), (None, None))[0]
        for tag, j in (("muc", self.muc.get(server)), ("mixed", self.mixed.get(server))):
            if not j:
                continue
            cpu = self.phase_cpu(server, tag)
            for st in j.get("steps") or []:
                # whatever the bot calls the phase of its steps: the one at that target rate
                hits = [v for (phase, target), v in cpu.items()
                        if target == st["target_rate"] and phase not in ("login", "drain")]
                st["bot_cpu_pct"] = hits[0][0] if hits else None
        for counts, store, tag in ((self.login_counts, self.login, "login"),
                                   (self.rsa_counts, self.login_rsa, "login-rsa")):
            for n in counts:
                j = store.get((server, n))
                if j and j.get("logins_per_s"):
                    j["bot_cpu_pct"] = self.storm_bot_cpu(server, f"{tag}-{n}",
                                                          j["logins"] / j["logins_per_s"])
        churn = self.churn.get(server)
        if churn:
            bot, srv = self.phase_cpu(server, "churn").get(("churn", 0.0), (None, None))
            churn["bot_cpu_pct"], churn["churn_server_cpu_pct"] = bot, srv

    def storm_bot_cpu(self, server, tag, storm_s):
        """The bot's share of its core from its start to the end of the storm (STORM_S in),
        with its CPU ticks interpolated between the per-second samples."""
        try:
            with open(self.path(server, tag, "cpu"), encoding="utf-8") as f:
                samples = [tuple(float(x) for x in line.split()[:2]) for line in f
                           if len(line.split()) == 3]
        except (OSError, ValueError):
            return None
        for (t1, b1), (t2, b2) in zip(samples, samples[1:]):
            if t1 <= storm_s <= t2 and t2 > t1 and storm_s > 0:
                ticks = b1 + (b2 - b1) * (storm_s - t1) / (t2 - t1)
                return 100 * ticks / os.sysconf("SC_CLK_TCK") / storm_s
        return None

    def path(self, server, tag, ext):
        return os.path.join(self.folder, f"{server}-{tag}.{ext}")

    @property
    def quick(self):
        return self.meta.get("mode") == "quick"

    def rates(self, key="chat_rates"):
        return [float(r) for r in self.meta.get(key, "").split(",") if r]

    def status(self, server, scenario, data):
        """Why SERVER has no DATA for SCENARIO (muc, mixed): None when it has some."""
        if data and data.get("steps"):
            return None
        if scenario == "muc" and self.meta.get(f"{server}_muc", "").startswith("no"):
            return "no MUC yet" if server == "parley" else "no MUC (join failed)"
        if scenario not in self.bot_scenarios:
            return "pending"  # the bot has no such scenario yet, or the run is older than it
        return "not measured"


# ---- figures ---------------------------------------------------------------------------

def step_rate(step, step_s):
    """Messages per second the bot actually offered in a step."""
    return step["sent"] / step_s if step_s > 0 else 0.0


def bot_limited(step, step_s):
    """True when the bot sent less than the target, or was near 100 % of its core: the step
    then measures the bot as well as the server."""
    busy = step.get("bot_cpu_pct")
    return (step["sent"] < MIN_SENT_FRACTION * step["target_rate"] * step_s or
            (busy is not None and busy >= BOT_BUSY_PCT))


def step_verdict(step, step_s, p99_limit=P99_LIMIT_MS):
    """'ok', 'lost', 'late' (p99 over the limit) or 'bot' (sustained, but the bot fell short)."""
    if step["lost"] > 0:
        return "lost"
    if step["p99_ms"] is None or step["p99_ms"] > p99_limit:
        return "late"
    if bot_limited(step, step_s):
        return "bot"
    return "ok"


def max_sustained(chat, step_s, p99_limit=P99_LIMIT_MS, lost_what="messages"):
    """Highest target rate with every step up to it sustained: (rate, why the climb ended,
    lower_bound). lower_bound is true when the server was not the limit: it sustained the
    last step, or the bot fell short or ran near 100 % of its core (a step the server still
    passed at the full rate counts, and the climb stops there)."""
    if not chat or not chat.get("steps"):
        return None, "no data", False
    best = None
    for st in chat["steps"]:
        v = step_verdict(st, step_s, p99_limit)
        rate = f"{st['target_rate']:,.0f}/s"
        busy = st.get("bot_cpu_pct")
        bot_note = (f"the bot sent {st['sent'] / step_s:,.0f}/s" +
                    (f" at {busy:.0f} % of its core" if busy is not None else ""))
        if v == "bot":  # the server passed; the bot was at its limit
            full_rate = st["sent"] >= MIN_SENT_FRACTION * st["target_rate"] * step_s
            if full_rate:
                best = st["target_rate"]
            return best, f"the bot's limit at {rate} ({bot_note})", True
        if v != "ok":
            why = {"lost": f"{st['lost']:,} {lost_what} lost at {rate}",
                   "late": f"p99 {st['p99_ms']:,.1f} ms at {rate}"}[v]
            if bot_limited(st, step_s):
                why += f" ({bot_note})"
            return best, why, False
        best = st["target_rate"]
    return best, "all steps sustained", True


def fanout(step, res):
    """Deliveries per groupchat message in a MUC step: from the bot's counts when it gives
    them, else the occupants per room."""
    exp, sent = step.get("deliveries_expected"), step.get("sent")
    if exp and sent:
        return exp / sent
    return float(res.meta.get("muc_occupants", "50"))


def muc_sustained(res, server):
    """max_sustained of the MUC run, in deliveries/s (target messages/s × fan-out)."""
    j = res.muc.get(server)
    best, why, low = max_sustained(j, res.muc_step_s, lost_what="deliveries")
    if best is not None:
        st = find_step(j, best)
        best = best * fanout(st, res)
    return best, why, low


def deliveries_per_s(step, res):
    if step.get("deliveries_per_s") is not None:
        return step["deliveries_per_s"]
    if step.get("deliveries") is not None and res.muc_step_s > 0:
        return step["deliveries"] / res.muc_step_s
    return None


def cpu_us_per_msg(step, step_s):
    rate = step_rate(step, step_s)
    if not rate or step.get("server_cpu_pct") is None:
        return None
    return step["server_cpu_pct"] / 100.0 * 1e6 / rate


def fmt_num(v, digits=0):
    if v is None:
        return "—"
    if isinstance(v, str):  # a verdict instead of a figure ("no MUC yet", "pending")
        return v
    return f"{v:,.{digits}f}"


def fmt_ratio(a, b):
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or b == 0:
        return "—"
    r = a / b
    return f"{r:.2f}×" if r < 10 else f"{r:.1f}×"


# ---- tables ----------------------------------------------------------------------------

def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def common_sustained_rate(res, servers=None):
    """The highest chat rate every one of the servers sustained (for CPU per message)."""
    servers = [s for s in (servers or res.servers) if s in res.servers]
    best = [max_sustained(res.chat.get(s), res.step_s)[0] for s in servers]
    return min(best) if best and None not in best else None


def find_step(chat, rate):
    if not chat:
        return None
    for st in chat.get("steps", []):
        if st["target_rate"] == rate:
            return st
    return None


def logins_row(label, lg, ref):
    """The logins/s headline row of the storms LG (server -> json): bot-bound ones are lower
    bounds."""
    busy = {s for s, j in lg.items() if j and (j.get("bot_cpu_pct") or 0) >= BOT_BUSY_PCT}
    return (label, {s: j and j.get("logins_per_s") for s, j in lg.items()}, "↑", ref, 0, busy)


def headline_rows(res):
    """Rows of the headline table: (label, {server: value}, better, ref key, digits)."""
    rows = []
    n = max(res.login_counts) if res.login_counts else None
    if n:
        lg = {s: res.login.get((s, n)) for s in res.servers}
        rows.append(logins_row(f"TLS logins/s ({n:,} sessions, "
                               f"{res.meta.get('parallel', '?')} in flight)", lg, "logins"))
        rows.append(("login p99, ms", {s: j and j.get("login_p99_ms") for s, j in lg.items()},
                     "↓", None, 1))
        rows.append((f"server KiB per idle TLS session ({n:,} held)",
                     {s: j and kib_per_session(j) for s, j in lg.items()}, "↓", "kib", 1))
    sustained = {s: max_sustained(res.chat.get(s), res.step_s) for s in res.servers}
    rows.append(("1:1 msg/s sustained (p99 ≤ 100 ms, none lost)",
                 {s: v[0] for s, v in sustained.items()}, "↑", "chat", 0,
                 {s for s, v in sustained.items() if v[2]}))
    rate = common_sustained_rate(res)
    if rate:
        rows.append((f"server CPU µs per message at {rate:,.0f} msg/s",
                     {s: cpu_us_per_msg(find_step(res.chat.get(s), rate), res.step_s)
                      for s in res.servers}, "↓", "cpu_msg", 1))
        rows.append((f"1:1 p99 latency at {rate:,.0f} msg/s, ms",
                     {s: find_step(res.chat.get(s), rate)["p99_ms"] for s in res.servers},
                     "↓", None, 2))
    pair = common_sustained_rate(res, ["parley", "ejabberd"])
    if pair and pair != rate and {"parley", "ejabberd"} <= set(res.servers):
        rows.append((f"server CPU µs per message at {pair:,.0f} msg/s (Parley and ejabberd)",
                     {s: cpu_us_per_msg(find_step(res.chat.get(s), pair), res.step_s)
                      if s in ("parley", "ejabberd") else None for s in res.servers},
                     "↓", "cpu_msg", 1))
    n = max(res.rsa_counts) if res.rsa_counts else None
    if n:
        rows.append(logins_row(f"TLS logins/s, RSA-2048 certificate ({n:,} sessions)",
                               {s: res.login_rsa.get((s, n)) for s in res.servers}, "rsa"))
    if any(res.churn.get(s) for s in res.servers) or "churn_s" in res.meta:
        rows.append((f"churn cycles/s (connect, STARTTLS, login, close; "
                     f"{res.meta.get('parallel', '?')} in flight)",
                     {s: (res.churn.get(s) or {}).get("cycles_per_s") for s in res.servers},
                     "↑", "churn", 0,
                     {s for s in res.servers if ((res.churn.get(s) or {}).get("bot_cpu_pct")
                                                 or 0) >= BOT_BUSY_PCT}))
    muc_vals, muc_top = {}, set()
    for s in res.servers:
        why = res.status(s, "muc", res.muc.get(s))
        if why:
            muc_vals[s] = why
            continue
        best, _, low = muc_sustained(res, s)
        muc_vals[s] = best
        if low and best:
            muc_top.add(s)
    rows.append((f"MUC deliveries/s ({res.meta.get('muc_rooms', '20')} rooms × "
                 f"{res.meta.get('muc_occupants', '50')}, p99 ≤ 100 ms, none lost)",
                 muc_vals, "↑", "muc", 0, muc_top))
    return rows


def kib_per_session(j):
    """Server RSS growth per online session over the run (start of the bot to the hold)."""
    if not j or j.get("server_rss_kib") is None or not j.get("online"):
        return None
    return (j["server_rss_kib"] - j["server_rss_start_kib"]) / j["online"]


def headline_table(res):
    header = ["", *(TITLES[s] for s in res.servers)]
    peers = [p for p in PEERS if p in res.servers and "parley" in res.servers]
    header += [f"Parley/{TITLES[p]}" for p in peers]
    header += ["Parley target", "issue's reference (ejabberd 23.01 / Prosody 0.12)"]
    rows = []
    bounds = False
    for label, vals, better, ref, digits, *rest in headline_rows(res):
        at_top = rest[0] if rest else set()  # a lower bound: the top step, or the bot's limit
        bounds = bounds or bool(at_top)
        row = [f"{label} {better}"]
        for s in res.servers:
            v = vals.get(s)
            if v is None and s in res.errors:
                row.append("not measured")
            elif isinstance(v, str) or v is None:
                row.append(fmt_num(v))
            else:
                row.append(("≥ " if s in at_top else "") + fmt_num(v, digits))
        row += [("≥ " if "parley" in at_top and p not in at_top and
                 fmt_ratio(vals.get("parley"), vals.get(p)) != "—" else "") +
                fmt_ratio(vals.get("parley"), vals.get(p)) for p in peers]
        r = REFERENCE.get(ref, {}) if ref else {}
        row += [r.get("target", ""),
                " / ".join(x for x in (r.get("ejabberd", ""), r.get("prosody", "")) if x)]
        rows.append(row)
    r = REFERENCE["mam"]
    rows.append(["MAM last page of 50, 10M archived",
                 *("pending: Parley has no archive yet" if s == "parley" else "pending"
                   for s in res.servers),
                 *(["—"] * len(peers)), r["target"],
                 " / ".join(x for x in (r["ejabberd"], r["prosody"]) if x)])
    note = ("\n\n≥: a lower bound: the server sustained the highest step the suite ran, or "
            "the load bot was at ≥ 90 % of its one core (it could not drive the server harder)."
            if bounds else "")
    return md_table(header, rows) + note


def login_section(res):
    out = ["## Login storm", ""]
    out.append(
        f"Each storm connects N sessions (STARTTLS, SASL, bind, initial presence) with "
        f"{res.meta.get('parallel', '?')} logins in flight, from 50 source addresses "
        f"({res.meta.get('sources', '?')}), then holds them idle for "
        f"{res.meta.get('hold_s', '?')} s. Every storm starts on a freshly started server. "
        "KiB per session is the server's RSS growth from before the storm to the end of the "
        "hold, divided by the sessions online. Server CPU is the server's own share of CPU 0 "
        "during the storm.")
    out.append("")
    out.append("Targets (issue 3): Parley ≥ 2,500 TLS logins/s with an ECDSA P-256 certificate "
               "and ≤ 16 KiB of server RSS per idle authenticated TLS session. The issue's "
               "reference figures on this kind of machine: ejabberd 23.01 ~535 logins/s and "
               "67.4 KB per idle TLS session, Prosody 0.12 ~300 logins/s and 47.9 KB.")
    out.append("")
    out.append(storm_table(res, res.login_counts, res.login))
    out += ["", "¹ The bot's share of CPU 1 from its start to the end of the storm (the suite "
            "samples its CPU time every second; interpolated). At ≥ 90 % the bot, not the "
            "server, sets the login rate. When neither the server nor the bot is near 100 %, "
            f"the rate is bound by the {res.meta.get('parallel', '?')} logins in flight divided "
            "by the login latency (the round trips of STARTTLS, TLS, SASL, bind).", "",
            "![login latency vs rate](login_latency.png)", ""]
    return out


def metric_cells(res, runs, metric, peers, count_keys):
    """One table row's cells for METRIC (label, fn, digits) over RUNS (server -> json): the
    value per server, then Parley/peer ratios for the figures of merit (labels with ↑ or ↓).
    fn None means the "done / failed" counts under COUNT_KEYS. Returns (cells, values)."""
    label, fn, digits = metric
    cells, vals = [], {}
    for s in res.servers:
        j = runs.get(s)
        if not j:
            cells.append("not measured")
        elif fn is None:
            cells.append(f"{j.get(count_keys[0], 0):,} / {j.get(count_keys[1], 0):,}")
        else:
            vals[s] = fn(j)
            cells.append(fmt_num(vals[s], digits))
    compare = "↑" in label or "↓" in label
    cells += [fmt_ratio(vals.get("parley"), vals.get(p)) if compare else "" for p in peers]
    return cells, vals


def storm_table(res, counts, store, primary=None):
    """The login storm table for COUNTS from STORE ((server, n) -> json); with PRIMARY (the
    ECDSA store), one more row: logins/s as a share of the ECDSA storm of the same size."""
    peers = [p for p in PEERS if p in res.servers and "parley" in res.servers]
    header = ["sessions", "metric", *(TITLES[s] for s in res.servers),
              *(f"Parley/{TITLES[p]}" for p in peers)]
    rows = []
    metrics = [("logins/s ↑", lambda j: j.get("logins_per_s"), 0),
               ("login p50, ms ↓", lambda j: j.get("login_p50_ms"), 1),
               ("login p99, ms ↓", lambda j: j.get("login_p99_ms"), 1),
               ("KiB per idle session ↓", kib_per_session, 1),
               ("server CPU in the storm, % ↓", lambda j: j.get("login_server_cpu_pct"), 0),
               ("bot CPU in the storm, % ¹", lambda j: j.get("bot_cpu_pct"), 0),
               ("sessions online / failed", None, 0)]
    for n in counts:
        for label, fn, digits in metrics:
            cells, vals = metric_cells(res, {s: store.get((s, n)) for s in res.servers},
                                       (label, fn, digits), peers, ("online", "login_failures"))
            rows.append([f"{n:,}", label, *cells])
            if primary is not None and fn is not None and label.startswith("logins/s"):
                share = [fmt_ratio(vals.get(s), (primary.get((s, n)) or {}).get("logins_per_s"))
                         for s in res.servers]
                rows.append([f"{n:,}", "logins/s, share of ECDSA P-256", *share,
                             *([""] * len(peers))])
    return md_table(header, rows)


def rsa_section(res):
    if not res.rsa_counts:
        return []
    out = ["## Login storm with an RSA-2048 certificate", ""]
    out.append(
        f"The same storms ({', '.join(f'{n:,}' for n in res.rsa_counts)} sessions, "
        f"{res.meta.get('parallel', '?')} in flight, held {res.meta.get('hold_s', '?')} s), "
        "each on a freshly started server whose only change is the certificate: a self-signed "
        "RSA-2048 one (made by the suite with openssl) instead of ECDSA P-256. The issue asks "
        "for both; the ECDSA figures above are the primary ones. With TLS 1.3 the server signs "
        "each full handshake (RSA-PSS here, ECDSA above), and an RSA-2048 signature takes more "
        "CPU than an ECDSA P-256 one: the share of the ECDSA rate shows what that costs a "
        "login.")
    out.append("")
    out.append(storm_table(res, res.rsa_counts, res.login_rsa, primary=res.login))
    out += ["", "Share of ECDSA P-256: the RSA storm's logins/s divided by the ECDSA storm of "
            "the same size above. Bot CPU as ¹ above.", ""]
    return out


def churn_section(res):
    if not any(res.churn.get(s) for s in res.servers) and "churn_s" not in res.meta:
        return []
    m = res.meta
    out = ["## Churn", ""]
    out.append(
        f"For {m.get('churn_s', '?')} s the bot runs cycles of connect, STARTTLS, SASL, bind, "
        f"initial presence and close (its `</stream:stream>` goes out with the presence, the "
        f"cycle ends when the server has closed the stream), {m.get('parallel', '?')} cycles in "
        f"flight over {int(m.get('churn_users', '1000')):,} accounts (one session per account "
        f"at a time), from {m.get('sources', '?')}; then waits up to 5 s for the cycles in "
        "flight. Every cycle is a new TCP connection and a full TLS handshake (no session "
        "resumption). Cycles/s counts the cycles that ended cleanly over the whole run. The bot "
        "times the login part of each cycle (connect to the bind result), not the close; the "
        "mean time of a whole cycle follows from the cycles in flight divided by the cycle "
        "rate (Little's law), close included. "
        "Server CPU is the server's share of CPU 0 while the cycles ran; CPU per cycle is that "
        "divided by the cycle rate. RSS growth is the server's resident memory at the end "
        "minus at the start: what the churn left behind.")
    out.append("")
    peers = [p for p in PEERS if p in res.servers and "parley" in res.servers]
    header = ["metric", *(TITLES[s] for s in res.servers),
              *(f"Parley/{TITLES[p]}" for p in peers)]

    def srv_cpu(j):
        v = j.get("churn_server_cpu_pct")
        return v if v is not None else j.get("server_cpu_pct")

    def cpu_per_cycle(j):
        c, r = srv_cpu(j), j.get("cycles_per_s")
        return c / 100 * 1000 / r if c is not None and r else None

    def rss_growth(j):
        a, b = j.get("server_rss_start_kib"), j.get("server_rss_kib")
        return (b - a) / 1024 if a is not None and b is not None else None

    def mean_cycle(j):
        r, n = j.get("cycles_per_s"), j.get("parallel")
        return 1000 * n / r if r and n else None

    metrics = [("cycles/s ↑", lambda j: j.get("cycles_per_s"), 0),
               ("login in a cycle, p50 ms ↓", lambda j: j.get("login_p50_ms"), 1),
               ("login in a cycle, p99 ms ↓", lambda j: j.get("login_p99_ms"), 1),
               ("whole cycle, mean ms (≈ in flight ÷ cycles/s) ↓", mean_cycle, 1),
               ("server CPU, % ↓", srv_cpu, 0),
               ("server CPU per cycle, ms ↓", cpu_per_cycle, 2),
               ("server RSS growth, MiB", rss_growth, 1),
               ("bot CPU, % ¹", lambda j: j.get("bot_cpu_pct"), 0),
               ("cycles / failures", None, 0)]
    rows = []
    for metric in metrics:
        cells, _ = metric_cells(res, res.churn, metric, peers, ("cycles", "failures"))
        rows.append([metric[0], *cells])
    out.append(md_table(header, rows))
    last = [f"{TITLES[s]}: {j['last_error']}" for s in res.servers
            if (j := res.churn.get(s)) and j.get("failures") and j.get("last_error")]
    out += ["", "¹ The bot's share of CPU 1 while the cycles ran (the suite's per-second "
            "samples, the first second left out). At ≥ 90 % the bot, not the server, sets the "
            "cycle rate."]
    if last:
        out += ["", "Last failure: " + "; ".join(last) + "."]
    out.append("")
    return out


def stepped_summary(res, data, step_s, scenario, unit, to_out=None, lost_what="messages"):
    """The summary table of a stepped run: max sustained rate and the first step that was not
    (or why there is no run). TO_OUT(step, target) converts the target rate into UNIT (MUC:
    deliveries/s), shown next to the target."""
    rows = []
    for s in res.servers:
        why_not = res.status(s, scenario, data.get(s))
        if why_not:
            text = res.errors.get(s, "") if why_not == "not measured" else ""
            rows.append([TITLES[s], why_not, *([""] if to_out else []), text])
            continue
        best, why, low = max_sustained(data[s], step_s, lost_what=lost_what)
        bound = "≥ " if low and best else ""
        row = [TITLES[s]]
        if to_out:
            row.append(bound + fmt_num(to_out(find_step(data[s], best), best)
                                       if best is not None else None))
        rows.append(row + [bound + fmt_num(best), why])
    return md_table(["server", f"max sustained {unit} (p99 ≤ 100 ms, none lost)",
                     *(["at target msg/s"] if to_out else []), "first step not sustained"],
                    rows)


def stepped_latency(res, data, rates, step_s, label, scenario, lost_label="lost"):
    header = [label]
    for s in res.servers:
        header += [f"{TITLES[s]} p50 / p99 ms", f"{TITLES[s]} {lost_label}"]
    rows = []
    for rate in rates:
        row = [fmt_num(rate)]
        for s in res.servers:
            st = find_step(data.get(s), rate)
            if not st:
                why_not = res.status(s, scenario, data.get(s)) or "—"
                row += [why_not if why_not != "not measured" else "—", "—"]
                continue
            mark = {"ok": "", "late": " ⚠", "lost": " ✗", "bot": ""}[step_verdict(st, step_s)]
            if bot_limited(st, step_s):
                mark += " (bot)"
            lat = (f"{st['p50_ms']:.2f} / {st['p99_ms']:.2f}"
                   if st["received"] and st["p50_ms"] is not None and st["p99_ms"] is not None
                   else "none arrived")
            row += [f"{lat}{mark}", f"{st['lost']:,}"]
        rows.append(row)
    return md_table(header, rows)


def muc_section(res):
    m = res.meta
    rates = res.rates("muc_rates")
    if not rates or not any(res.muc.get(s) for s in res.servers):
        return []  # nothing measured: the pending section says why
    rooms, occ = int(m.get("muc_rooms", "20")), int(m.get("muc_occupants", "50"))
    out = ["## MUC", ""]
    out.append(
        f"{rooms * occ:,} users log in (same storm as above) and join {rooms} rooms of "
        f"{m.get('muc_domain', 'conference.localhost')}, {occ} occupants each (account i joins "
        f"room bench{{i/{occ}}}; the first join creates the room). Then the bot sends groupchat "
        f"messages to random rooms at stepped target rates, {res.muc_step_s:g} s per step; each "
        f"message goes to every occupant of its room, and every delivery's latency is measured "
        f"from the send time carried in the stanza. A step is sustained when no delivery is "
        f"lost and p99 ≤ {P99_LIMIT_MS:g} ms; deliveries/s is the target message rate times "
        f"the deliveries per message. Server CPU per delivery is the server's CPU time during "
        f"the step divided by the deliveries.")
    out.append("")
    out.append("Targets (issue 3): Parley ≥ 100,000 deliveries/s. The issue's reference "
               "figures: ejabberd 23.01 ~20,000, Prosody 0.12 ~5,000. Parley has no MUC yet; "
               "before each server's runs the suite checks that a client can join a room there "
               "(`probe.py --muc`: two accounts join a new room, one groupchat message reaches "
               "both) and runs this scenario only where it can.")
    out.append("")
    out.append(stepped_summary(res, res.muc, res.muc_step_s, "muc", "deliveries/s",
                               lambda st, r: r * fanout(st, res), "deliveries"))
    out.append("")
    out.append(stepped_latency(res, res.muc, rates, res.muc_step_s,
                               f"target msg/s (× {occ} deliveries)", "muc", "deliveries lost"))
    out += ["", "⚠ p99 over 100 ms, ✗ deliveries lost, (bot) the bot sent less than 98 % of "
            f"the target rate or used ≥ {BOT_BUSY_PCT:g} % of its core.", ""]
    peers = [p for p in PEERS if p in res.servers and "parley" in res.servers]
    header = ["target msg/s", *(f"{TITLES[s]} deliveries/s · server % · µs/delivery · bot %"
                                for s in res.servers),
              *(f"Parley/{TITLES[p]} µs per delivery" for p in peers)]
    rows = []
    for rate in rates:
        row, us = [fmt_num(rate)], {}
        for s in res.servers:
            st = find_step(res.muc.get(s), rate)
            if not st:
                row.append(res.status(s, "muc", res.muc.get(s)) or "—")
                continue
            dps = deliveries_per_s(st, res)
            if step_verdict(st, res.muc_step_s) in ("ok", "bot") and dps and \
                    st.get("server_cpu_pct") is not None:
                us[s] = st["server_cpu_pct"] / 100 * 1e6 / dps
            row.append(f"{fmt_num(dps)} · {fmt_num(st.get('server_cpu_pct'))} · "
                       f"{fmt_num(us.get(s), 1)} · {fmt_num(st.get('bot_cpu_pct'))}")
        row += [fmt_ratio(us.get("parley"), us.get(p)) for p in peers]
        rows.append(row)
    out.append(md_table(header, rows))
    out += ["", "Deliveries/s as the bot counted them; server % its share of CPU 0 during the "
            "step; µs/delivery only where the server kept up (—: it ran at 100 % and queued).",
            ""]
    if any(res.muc.get(s) for s in res.servers):
        out += ["![MUC p99 latency vs deliveries/s](muc_latency.png)", ""]
    return out


def mixed_section(res):
    m = res.meta
    rates = res.rates("mixed_rates")
    if not rates or not any(res.mixed.get(s) for s in res.servers):
        return []  # nothing measured: the pending section says why
    out = ["## Mixed traffic", ""]
    mixes = {s: m.get(f"{s}_mix") for s in res.servers}
    out.append(
        f"{int(m.get('mixed_users', m.get('chat_users', '1000'))):,} users log in (where the "
        f"server has MUC they also join the rooms of the MUC scenario), then the bot performs "
        f"actions at stepped total target rates, {res.mixed_step_s:g} s per step, shared out "
        f"by weight: a 1:1 chat message to a random online user, a presence update, or a "
        f"groupchat message to a random room. Latency and loss are over what should arrive "
        f"(chat messages and groupchat deliveries); a step is sustained when nothing is lost "
        f"and p99 ≤ {P99_LIMIT_MS:g} ms.")
    out.append("")
    out.append("Mix per server: " + "; ".join(
        f"{TITLES[s]} {mixes[s] or '—'}" for s in res.servers) + ".")
    known = {v for v in mixes.values() if v}
    if len(known) > 1:
        out.append("")
        out.append("The mixes differ (a server without MUC gets the MUC share as chat), so "
                   "the figures are side by side but not Parley/peer ratios.")
    out.append("")
    out.append(stepped_summary(res, res.mixed, res.mixed_step_s, "mixed", "actions/s"))
    out.append("")
    out.append(stepped_latency(res, res.mixed, rates, res.mixed_step_s, "target actions/s",
                               "mixed"))
    out += ["", "⚠ p99 over 100 ms, ✗ lost, (bot) the bot sent less than 98 % of the target "
            f"rate or used ≥ {BOT_BUSY_PCT:g} % of its core.", ""]
    header = ["target actions/s",
              *(f"{TITLES[s]} chat p99 · muc p99 ms · server % · bot %" for s in res.servers)]
    rows = []
    for rate in rates:
        row = [fmt_num(rate)]
        for s in res.servers:
            st = find_step(res.mixed.get(s), rate)
            if not st:
                row.append(res.status(s, "mixed", res.mixed.get(s)) or "—")
                continue
            kinds = st.get("kinds") or {}

            def kind_p99(k, kinds=kinds):
                kd = kinds.get(k) or {}
                if not kd.get("sent"):
                    return "—"
                return fmt_num(kd.get("p99_ms"), 2) + (" ✗" if kd.get("lost") else "")
            row.append(f"{kind_p99('chat')} · {kind_p99('muc')} · "
                       f"{fmt_num(st.get('server_cpu_pct'))} · {fmt_num(st.get('bot_cpu_pct'))}")
        rows.append(row)
    out.append(md_table(header, rows))
    out += ["", "Per kind: the p99 of chat deliveries and of groupchat deliveries (— where the "
            "mix has none; ✗ some lost); server % the server's share of CPU 0 during the step, "
            "bot % the bot's share of CPU 1.", ""]
    return out


def chat_section(res):
    out = ["## 1:1 chat", ""]
    out.append(
        f"{int(res.meta.get('chat_users', '1000')):,} users log in (same storm as above), then "
        f"the bot sends 1:1 messages between random online pairs at stepped target rates, "
        f"{res.step_s:g} s per step; every delivery's latency is measured from the send time "
        f"carried in the stanza. The bot runs every step; a step is sustained when no message "
        f"is lost and p99 ≤ {P99_LIMIT_MS:g} ms, and the maximum sustained rate is the last "
        f"step before the first one that is not. Server CPU is the server's share of CPU 0 "
        f"during the step; µs per message is that CPU divided by the rate (each message is one "
        f"stanza in and one out).")
    out.append("")
    out.append("Targets (issue 3): Parley ≥ 40,000 1:1 msg/s with p99 < 10 ms, and at equal "
               "rates at least 8× less server CPU per message than ejabberd. The issue's "
               "reference figures at p99 < 100 ms: ejabberd 23.01 ~7,500 msg/s, Prosody 0.12 "
               "~3,000 msg/s.")
    out.append("")
    sums = []
    for s in res.servers:
        if s in res.errors and not res.chat.get(s):
            sums.append([TITLES[s], "not measured", "", res.errors[s]])
            continue
        best, why, low = max_sustained(res.chat.get(s), res.step_s)
        best10, _, low10 = max_sustained(res.chat.get(s), res.step_s, P99_TARGET_MS)
        sums.append([TITLES[s], ("≥ " if low and best else "") + fmt_num(best),
                     ("≥ " if low10 and best10 else "") + fmt_num(best10), why])
    out.append(md_table(["server", "max sustained msg/s (p99 ≤ 100 ms)",
                         "max msg/s with p99 ≤ 10 ms", "first step not sustained"], sums))
    out.append("")
    header = ["target msg/s"]
    for s in res.servers:
        header += [f"{TITLES[s]} p50 / p99 ms", f"{TITLES[s]} lost"]
    rows = []
    for rate in res.rates():
        row = [fmt_num(rate)]
        for s in res.servers:
            st = find_step(res.chat.get(s), rate)
            if not st:
                row += ["—", "—"]
                continue
            mark = {"ok": "", "late": " ⚠", "lost": " ✗", "bot": ""}[
                step_verdict(st, res.step_s)]
            if bot_limited(st, res.step_s):
                mark += " (bot)"
            lat = (f"{st['p50_ms']:.2f} / {st['p99_ms']:.2f}" if st["received"] else
                   "none arrived")
            row += [f"{lat}{mark}", f"{st['lost']:,}"]
        rows.append(row)
    out.append(md_table(header, rows))
    out += ["", "⚠ p99 over 100 ms, ✗ messages lost, (bot) the bot sent less than 98 % of the "
            f"target rate or used ≥ {BOT_BUSY_PCT:g} % of its core: that step measures the bot "
            "as well as the server.", ""]
    peers = [p for p in PEERS if p in res.servers and "parley" in res.servers]
    header = ["target msg/s", *(f"{TITLES[s]} server % · µs/msg · bot %" for s in res.servers),
              *(f"Parley/{TITLES[p]} µs per msg" for p in peers)]
    rows = []
    for rate in res.rates():
        row = [fmt_num(rate)]
        us = {}
        for s in res.servers:
            st = find_step(res.chat.get(s), rate)
            if not st:
                row.append("—")
                continue
            # CPU per message only where the server kept up: past that it runs at 100 %
            # whatever the rate, and the quotient says nothing
            if step_verdict(st, res.step_s) in ("ok", "bot"):
                us[s] = cpu_us_per_msg(st, res.step_s)
            row.append(f"{st['server_cpu_pct']:.0f} · {fmt_num(us.get(s), 1)} · "
                       f"{fmt_num(st.get('bot_cpu_pct'))}")
        row += [fmt_ratio(us.get("parley"), us.get(p)) for p in peers]
        rows.append(row)
    out.append(md_table(header, rows))
    out += ["", "Server % is the server's share of CPU 0 during the step (from the bot's "
            "samples of /proc), µs/msg that CPU time per message, bot % the bot's share of "
            "CPU 1 (the suite's per-second samples, first second of each step left out). Past "
            "the rate a server sustains it runs at 100 % and queues: no µs/msg there (—).", "",
            "![chat p99 latency vs rate](chat_latency.png)", "",
            "![server CPU vs rate](chat_cpu.png)", ""]
    return out


def botcap_section(res):
    """The load bot's own ceiling: Parley with few sessions, so the bot is what gives out."""
    j = res.botcap
    if not j or not j.get("steps"):
        return []
    users = int(res.meta.get("botcap_users", "200"))
    out = ["## The load bot's own capacity", "",
           f"The issue asks the bot to drive at least 100,000 1:1 messages/s (sent + received) "
           f"over TLS on one core. Measured against Parley with {users:,} sessions (STARTTLS, "
           f"{res.step_s:g} s per step), so that each session carries many messages per second "
           f"and the server keeps up: bot % is the bot's share of CPU 1, and messages/s per "
           f"core projects the sent + received rate to 100 % of it. With 1,000 sessions (the "
           f"chat table above) each message needs its own read and write on both sides, and "
           f"the bot's ceiling is lower: see its bot % column there.", ""]
    rows = []
    for st in j["steps"]:
        both = st["sent"] / res.step_s + st["received"] / res.step_s
        bot = st.get("bot_cpu_pct")
        rows.append([fmt_num(st["target_rate"]), fmt_num(both), f"{st['lost']:,}",
                     f"{st['p50_ms']:.2f} / {st['p99_ms']:.2f}" if st["received"] else "—",
                     fmt_num(bot), fmt_num(both * 100 / bot if bot else None),
                     fmt_num(st.get("server_cpu_pct"))])
    out.append(md_table(["target msg/s", "sent + received per s", "lost", "p50 / p99 ms",
                         "bot %", "sent + received per s per bot core", "server %"], rows))
    out.append("")
    return out


def pending_section(res):
    items = []
    if not any(res.muc.get(s) for s in res.servers):
        why = ("the bot has no `muc` scenario yet" if "muc" not in res.bot_scenarios else
               "no server here could be measured")
        items.append("- MUC: 20 rooms × 50 occupants, groupchat stepped until p99 > 100 ms or "
                     "loss (deliveries/s). Targets: Parley ≥ 100,000; reference ejabberd "
                     f"~20,000, Prosody ~5,000. **Pending**: {why}; Parley has no MUC yet.")
    if not any(res.mixed.get(s) for s in res.servers):
        why = ("the bot has no `mixed` scenario yet" if "mixed" not in res.bot_scenarios else
               "no server here could be measured")
        items.append(f"- Mixed traffic (chat + presence + MUC). **Pending**: {why}.")
    if not any(res.churn.get(s) for s in res.servers) and "churn_s" not in res.meta:
        items.append("- Churn (connect, login, disconnect cycles): not in this run (it predates "
                     "the scenario in the suite).")
    if not res.rsa_counts:
        items.append("- Login storm with an RSA-2048 certificate: not in this run (it predates "
                     "the RSA certificate in the suite).")
    items.append("- MAM: time to fetch the last page of 50 from archives of 1M and 10M messages "
                 "(Parley; the peers where their SQLite backends allow). Target < 5 ms at 10M. "
                 "**Pending**: Parley has no archive yet.")
    title = "MAM" if len(items) == 1 else "Still pending"
    return [f"## {title}: pending" if title == "MAM" else f"## {title}", "",
            "Not measured yet; it will come here, side by side like the tables above:"
            if len(items) == 1 else
            "Not measured yet; they will come here, side by side like the tables above:", "",
            *items, ""]


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
         if m.get("churn_s") else "") +
        (f"; MUC {m.get('muc_rooms')} rooms × {m.get('muc_occupants')} at "
         f"{m['muc_rates'].replace(',', ', ')} msg/s, {m.get('muc_step_s')} s per step"
         if m.get("muc_rates") else "") +
        (f"; mixed at {m['mixed_rates'].replace(',', ', ')} actions/s, "
         f"{m.get('mixed_step_s')} s per step" if m.get("mixed_rates") else "") +
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
    if res.quick:
        extra = []
        if res.rsa_counts:
            extra.append("the storm again with an RSA-2048 certificate")
        if res.meta.get("churn_s"):
            extra.append(f"{res.meta['churn_s']} s of churn")
        if any(res.muc.get(s) for s in res.servers):
            extra.append(f"MUC steps up to {max(res.rates('muc_rates')):,.0f} msg/s")
        if any(res.mixed.get(s) for s in res.servers):
            extra.append(f"mixed steps up to {max(res.rates('mixed_rates')):,.0f} actions/s")
        out += ["> **Quick run**: one 1,000-session login storm and chat steps of "
                f"{res.step_s:g} s up to {max(res.rates()):,.0f} msg/s" +
                "".join(f", {x}" for x in extra) + ". Indicative only: one "
                "short storm and 3-second steps move by tens of percent from one run to the next "
                "(one stall of 30 ms is 1 % of a 10,000 msg/s step). `make bench` runs the full "
                "set (storms of 1,000 / 5,000 / 10,000, chat steps of 10 s up to 200,000 "
                "msg/s, RSA-2048 storms of 1,000 / 10,000, 20 s of churn, MUC and mixed steps "
                "of 10 s).", ""]
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
    out += botcap_section(res)
    out += churn_section(res)
    out += muc_section(res)
    out += mixed_section(res)
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
    muc_lines = []
    for s in res.servers:
        j = res.muc.get(s)
        rows = [(st["target_rate"] * fanout(st, res), max(st["p50_ms"], 0.01),
                 max(st["p99_ms"], 0.01)) for st in (j or {}).get("steps") or []
                if st["received"] > 0 and st["p50_ms"] is not None and st["p99_ms"] is not None]
        if rows:
            f = os.path.join(dat, f"{s}-muc.dat")
            write_dat(f, rows)
            muc_lines.append(f"'{f}' using 1:3 with linespoints lw 2 pt 7 lc rgb '{COLORS[s]}' "
                             f"title '{TITLES[s]} p99'")
            muc_lines.append(f"'{f}' using 1:2 with linespoints lw 1 dt 2 pt 6 "
                             f"lc rgb '{COLORS[s]}' title '{TITLES[s]} p50'")
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
    if muc_lines:
        script += (f"set output '{os.path.join(out_dir, 'muc_latency.png')}'\n"
                   f"set title 'MUC, {res.meta.get('muc_rooms', '20')} rooms × "
                   f"{res.meta.get('muc_occupants', '50')}: latency vs deliveries/s ({label})'\n"
                   "set logscale xy\nset xlabel 'target deliveries/s'\n"
                   "set xrange [*:*]\nset format x '%.0s%c'\n"
                   "set ylabel 'delivery latency, ms'\n"
                   f"set arrow from graph 0, first {P99_LIMIT_MS} to graph 1, first "
                   f"{P99_LIMIT_MS} nohead dt 3 lc rgb 'gray40'\n"
                   "plot " + ", ".join(muc_lines) + "\n"
                   "unset arrow\nunset logscale\nset autoscale\n")
    if login_lines:
        script += (f"set output '{os.path.join(out_dir, 'login_latency.png')}'\n"
                   f"set title 'TLS login storm: login p99 vs logins/s, labels: sessions "
                   f"({label})'\n"
                   "set xlabel 'logins/s'\nset ylabel 'login p99, ms'\n"
                   "set xrange [0:*]\nset yrange [0:*]\nset format x '%g'\n"
                   "set offsets 0, graph 0.1, graph 0.15, 0\n"
                   "plot " + ", ".join(login_lines) + "\n")
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
