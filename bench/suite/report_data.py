# SPDX-License-Identifier: MIT
"""The benchmark report's data: what bench.sh left in a results folder, read and judged."""

import json
import os
import re
from collections import namedtuple

SERVERS = ["parley", "prosody", "ejabberd"]
TITLES = {"parley": "Parley", "prosody": "Prosody", "ejabberd": "ejabberd"}
PEERS = ["prosody", "ejabberd"]
P99_LIMIT_MS = 100.0  # a chat step counts as sustained at or below this p99, with no loss
P99_TARGET_MS = 10.0  # Parley's own latency target
MIN_SENT_FRACTION = 0.98  # a step whose bot sent less than this of the target is bot-limited
BOT_BUSY_PCT = 90.0  # a step during which the bot used this much of its core may be bot-limited
# A bot-limited figure is a lower bound only when the server still had headroom: below this
# share of its core. Otherwise both were near their limit, and the figure is what was measured.
SERVER_HEADROOM_PCT = 80.0
TARGET_CPU_RATE = 5000  # the rate of the per-message CPU target
PROGRESS = re.compile(r"^\[\s*([\d.]+)s\] (\w+)\s+target (\d+)/s")

# The reference figures (comparable bot, one core each) and Parley's targets.
REFERENCE = {
    "logins": {"ejabberd": "~535", "prosody": "~300", "target": "≥ 2,000 (SCRAM)"},
    "kib": {"ejabberd": "67.4 KB", "prosody": "47.9 KB", "target": "≤ 16 KiB"},
    "chat": {"ejabberd": "~7,500", "prosody": "~3,000", "target": ""},
    "chat10": {"ejabberd": "", "prosody": "", "target": "≥ 40,000 (p99 < 10 ms)"},
    "cpu_msg": {"ejabberd": "", "prosody": "", "target": ""},
    "cpu_msg_target": {"ejabberd": "", "prosody": "", "target": "≤ 25 µs at 5,000 msg/s"},
    "muc": {"ejabberd": "~20,000", "prosody": "~5,000", "target": "≥ 100,000, ≥ 5× ejabberd"},
    "rsa": {"ejabberd": "", "prosody": "", "target": ""},
    "churn": {"ejabberd": "", "prosody": "", "target": ""},
    "soak": {"ejabberd": "", "prosody": "", "target": "flat (±5 %), 0 failed"},
    "mam": {"ejabberd": "", "prosody": "", "target": "< 5 ms at 10M messages"},
    "archive_rate": {"ejabberd": "", "prosody": "", "target": "well over 10,000 (archived)"},
    "archive_cost": {"ejabberd": "", "prosody": "", "target": "≤ +25 % CPU per message"},
    "ws_kib": {"ejabberd": "", "prosody": "", "target": "≤ +1 KiB"},
    "ws_cpu": {"ejabberd": "", "prosody": "", "target": "≤ +15 %"},
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
        self.muc_big = {}  # server -> json: the run with one big room
        self.mixed = {}  # server -> json
        self.botcap = None  # Parley's chat run with few sessions: the bot's own ceiling
        self.soak = None  # Parley's soak: a long churn with an RSS and latency series
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
            self.muc_big[s] = normalize_steps(read_json(self.path(s, "muc-big", "json")), True)
            self.runs[(s, "muc-big")] = read_env(self.path(s, "muc-big", "run"))
            self.mixed[s] = normalize_steps(read_json(self.path(s, "mixed", "json")))
            self.runs[(s, "mixed")] = read_env(self.path(s, "mixed", "run"))
            self.attach_step_cpu(s)
            if s == "parley":
                self.botcap = read_json(self.path(s, "botcap", "json"))
                self.runs[(s, "botcap")] = read_env(self.path(s, "botcap", "run"))
                cpu = self.phase_cpu(s, "botcap")
                for st in (self.botcap or {}).get("steps", []):
                    st["bot_cpu_pct"] = cpu.get(("chat", st["target_rate"]), (None, None))[0]
                self.soak = read_json(self.path(s, "soak", "json"))
                self.runs[(s, "soak")] = read_env(self.path(s, "soak", "run"))
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
        for tag, j in (("muc", self.muc.get(server)), ("muc-big", self.muc_big.get(server)),
                       ("mixed", self.mixed.get(server))):
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


def saturation(bot_pct, server_pct, bot_short=False):
    """How a figure measured with the bot at BOT_PCT of its core and the server at SERVER_PCT
    of its own stands: None when the bot was not at its limit (it fell short of its target
    rate: BOT_SHORT, or used at least BOT_BUSY_PCT); else 'bot' when the server had headroom
    (below SERVER_HEADROOM_PCT: the figure is a lower bound of what the server can do), or
    'both' when it had not, or its share is unknown (the figure is what was measured)."""
    if not bot_short and (bot_pct is None or bot_pct < BOT_BUSY_PCT):
        return None
    if server_pct is not None and 0 <= server_pct < SERVER_HEADROOM_PCT:
        return "bot"
    return "both"


def cpu_shares(server_pct, bot_pct):
    """'server S % / bot B %', the two shares beside a figure both sides may have limited."""
    def pct(v):
        return "?" if v is None or v < 0 else f"{v:.0f} %"
    return f"server {pct(server_pct)} / bot {pct(bot_pct)}"


def bot_short(step, step_s):
    """True when the bot sent less than MIN_SENT_FRACTION of the step's target."""
    return step["sent"] < MIN_SENT_FRACTION * step["target_rate"] * step_s


def step_saturation(step, step_s):
    """saturation() of one step of a stepped run."""
    return saturation(step.get("bot_cpu_pct"), step.get("server_cpu_pct"),
                      bot_short(step, step_s))


def bot_limited(step, step_s):
    """True when the bot sent less than the target, or was near 100 % of its core: the step
    then measures the bot as well as the server."""
    return step_saturation(step, step_s) is not None


def step_verdict(step, step_s, p99_limit=P99_LIMIT_MS):
    """'ok', 'lost', 'late' (p99 over the limit), or for a step the server passed while the
    bot was at its limit: 'bot' (the server had headroom) or 'both' (it had not)."""
    if step["lost"] > 0:
        return "lost"
    if step["p99_ms"] is None or step["p99_ms"] > p99_limit:
        return "late"
    return step_saturation(step, step_s) or "ok"


class Sustained(namedtuple("Sustained", "rate why bound shares")):
    """The result of a climb: the highest rate sustained (None if not even the first step),
    why the climb ended, whether the rate is a lower bound (the server sustained the top step,
    or the bot gave out while the server had headroom), and the server's and the bot's CPU
    shares when the climb ended with both near their limit (else None)."""


def max_sustained(chat, step_s, p99_limit=P99_LIMIT_MS, lost_what="messages"):
    """Highest target rate with every step up to it sustained. A step where the bot was at its
    limit ends the climb (it could not drive harder): the rate is a lower bound only when the
    server had headroom then; with the server busy too it is the measured figure, and the
    shares are given."""
    if not chat or not chat.get("steps"):
        return Sustained(None, "no data", False, None)
    best = None
    for st in chat["steps"]:
        v = step_verdict(st, step_s, p99_limit)
        rate = f"{st['target_rate']:,.0f}/s"
        busy = st.get("bot_cpu_pct")
        bot_note = (f"the bot sent {st['sent'] / step_s:,.0f}/s" +
                    (f" at {busy:.0f} % of its core" if busy is not None else ""))
        shares = cpu_shares(st.get("server_cpu_pct"), busy)
        if v in ("bot", "both"):  # the server passed; the bot was at its limit
            if not bot_short(st, step_s):
                best = st["target_rate"]
            if v == "bot":
                return Sustained(best, f"the bot's limit at {rate} ({bot_note}; {shares})",
                                 True, None)
            return Sustained(best, f"the bot's and the server's limit at {rate} ({shares})",
                             False, shares)
        if v != "ok":
            why = {"lost": f"{st['lost']:,} {lost_what} lost at {rate}",
                   "late": f"p99 {st['p99_ms']:,.1f} ms at {rate}"}[v]
            if bot_limited(st, step_s):
                why += f" ({bot_note})"
            return Sustained(best, why, False, None)
        best = st["target_rate"]
    return Sustained(best, "all steps sustained", True, None)


class MucBig:
    """The run with one big room, seen as the MUC run is: its data, step and meta keys
    (muc_big_rooms, ...) under the MUC run's names, everything else the results'."""

    def __init__(self, res):
        self.res = res
        self.muc = res.muc_big
        self.muc_step_s = float(res.meta.get("muc_big_step_s", "10"))
        self.meta = dict(res.meta)
        for key in ("rooms", "occupants", "rates", "step_s"):
            if f"muc_big_{key}" in res.meta:
                self.meta[f"muc_{key}"] = res.meta[f"muc_big_{key}"]

    def __getattr__(self, name):
        return getattr(self.res, name)

    def rates(self, key="chat_rates"):
        return [float(r) for r in self.meta.get(key, "").split(",") if r]


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
    got = max_sustained(j, res.muc_step_s, lost_what="deliveries")
    if got.rate is None:
        return got
    return got._replace(rate=got.rate * fanout(find_step(j, got.rate), res))


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


def fmt_ratio(a, b, a_bound=False, b_bound=False):
    """Parley/peer. A lower bound on either side bounds the ratio: Parley ≥ a against b is
    ≥ a/b, a against ≥ b is ≤ a/b; with both bounds nothing is known (—)."""
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or b == 0:
        return "—"
    if a_bound and b_bound:
        return "—"
    r = a / b
    mark = "≥ " if a_bound else "≤ " if b_bound else ""
    return mark + (f"{r:.2f}×" if r < 10 else f"{r:.1f}×")


def fmt_figure(v, digits=0, bound=False, shares=None):
    """A figure as the headline shows it: '≥ v' when a lower bound, 'v (server S % / bot B %)'
    when the bot and the server were both near their limit."""
    if v is None or isinstance(v, str):
        return fmt_num(v)
    return ("≥ " if bound else "") + fmt_num(v, digits) + (f" ({shares})" if shares else "")


# ---- tables ----------------------------------------------------------------------------

def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def common_sustained_rate(res, servers=None):
    """The highest chat rate every one of the servers sustained (for CPU per message)."""
    servers = [s for s in (servers or res.servers) if s in res.servers]
    best = [max_sustained(res.chat.get(s), res.step_s).rate for s in servers]
    return min(best) if best and None not in best else None


def kib_per_session(j):
    """Server RSS growth per online session over the run (start of the bot to the hold)."""
    if not j or j.get("server_rss_kib") is None or not j.get("online"):
        return None
    return (j["server_rss_kib"] - j["server_rss_start_kib"]) / j["online"]


def find_step(chat, rate):
    if not chat:
        return None
    for st in chat.get("steps", []):
        if st["target_rate"] == rate:
            return st
    return None
