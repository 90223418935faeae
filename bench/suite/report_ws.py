# SPDX-License-Identifier: MIT
"""The benchmark report's WebSocket tables: XMPP over WebSocket (RFC 7395) beside TCP on the
same server, what an idle session costs in memory and a chat message in CPU over each."""

import statistics

from report_data import (
    TITLES, TARGET_CPU_RATE, read_json, read_env, kib_per_session, find_step, fmt_num,
    md_table,
)
from report_history import sustained_cpu

WS_KIB_LIMIT = 1.0  # Parley's idle WebSocket session may cost this many KiB more than TCP's
WS_CPU_LIMIT = 0.15  # and its chat message this much more CPU


def load(res):
    """Reads the ws variant's runs into RES: ws_login ((server, tcp|ws) -> json) and ws_rounds
    (server -> [(tcp json, ws json)], a pair per round)."""
    res.ws_login, res.ws_rounds = {}, {}
    rounds = int(res.meta.get("ws_rounds", "0") or 0)
    for s in res.servers:
        for how, tag in (("tcp", "ws-login-tcp"), ("ws", "ws-login")):
            res.ws_login[(s, how)] = read_json(res.path(s, tag, "json"))
            res.runs[(s, tag)] = read_env(res.path(s, tag, "run"))
        pairs = []
        for r in range(1, rounds + 1):
            sfx = f"-r{r}" if r > 1 else ""
            pair = tuple(load_chat(res, s, f"ws-chat{how}{sfx}") for how in ("-tcp", ""))
            if all(pair):
                pairs.append(pair)
        res.ws_rounds[s] = pairs


def load_chat(res, server, tag):
    """One chat run of the ws variant (its json, with the bot's CPU per step), or None."""
    j = read_json(res.path(server, tag, "json"))
    res.runs[(server, tag)] = read_env(res.path(server, tag, "run"))
    if j:
        cpu = res.phase_cpu(server, tag)
        for st in j.get("steps", []):
            st["bot_cpu_pct"] = cpu.get(("chat", st["target_rate"]), (None, None))[0]
    return j


def loaded(res):
    if not hasattr(res, "ws_login"):
        load(res)
    return res


def ws_label(res):
    return "ws://" if res.meta.get("ws_tls") == "none" else "wss://"


def ws_rates(res):
    return [float(r) for r in res.meta.get("ws_chat_rates", "").split(",") if r]


def cpu_rate(res):
    """The rate of the CPU comparison: the one the CPU target names, else the highest run."""
    rates = ws_rates(res)
    return TARGET_CPU_RATE if TARGET_CPU_RATE in rates else max(rates, default=None)


def idle_kib(res, server):
    """(KiB per idle session over TCP, over WebSocket), from the same ws variant, or None."""
    return tuple(kib_per_session(res.ws_login.get((server, how))) for how in ("tcp", "ws"))


def median(values):
    return statistics.median(values) if values else None


def chat_cpu(res, server, rate):
    """At RATE: the medians of the rounds' µs per message over TCP and over WebSocket, and the
    extra CPU of WebSocket in each round where both were sustained (0.1 = 10 %)."""
    tcp, ws, extra = [], [], []
    for t, w in res.ws_rounds.get(server, []):
        a, b = sustained_cpu(t, rate, res.step_s), sustained_cpu(w, rate, res.step_s)
        tcp += [a] if a else []
        ws += [b] if b else []
        extra += [b / a - 1] if a and b else []
    return median(tcp), median(ws), extra


def kib_delta(tcp, ws):
    return None if tcp is None or ws is None else f"{ws - tcp:+.1f} KiB"


def pct(x):
    return f"{x * 100:+.0f} %"


def ws_headline_rows(res):
    """Headline rows: (label, {server: value}, better, ref key, digits)."""
    loaded(res)
    rows = []
    kib = {s: idle_kib(res, s) for s in res.servers}
    if any(w is not None for _, w in kib.values()):
        n = int(res.meta.get("ws_login_count", "0") or 0)
        rows.append((f"server KiB per idle WebSocket session ({ws_label(res)}, {n:,} held)",
                     {s: w for s, (_, w) in kib.items()}, "↓", None, 1))
        rows.append(("idle session over WebSocket vs TCP (STARTTLS), same server",
                     {s: kib_delta(*v) for s, v in kib.items()}, "", "ws_kib", 0))
    rate = cpu_rate(res)
    cpu = {s: chat_cpu(res, s, rate) for s in res.servers} if rate else {}
    if any(ws is not None for _, ws, _ in cpu.values()):
        rows.append((f"server CPU µs per message at {rate:,.0f} msg/s over WebSocket",
                     {s: ws for s, (_, ws, _) in cpu.items()}, "↓", None, 1))
        rows.append((f"CPU per message over WebSocket vs TCP at {rate:,.0f} msg/s (median of "
                     "rounds)", {s: pct(median(extra)) if extra else None
                                 for s, (_, _, extra) in cpu.items()}, "", "ws_cpu", 0))
    return rows


def verdicts(res):
    """Parley's two targets, as sentences."""
    out = []
    tcp, ws = idle_kib(res, "parley") if "parley" in res.servers else (None, None)
    if tcp is not None and ws is not None:
        ok = "met" if ws - tcp <= WS_KIB_LIMIT else "**not met**"
        out.append(f"- Parley: an idle WebSocket session ({ws_label(res)}) costs {ws:.1f} KiB "
                   f"against {tcp:.1f} KiB over TCP ({ws - tcp:+.1f} KiB); target ≤ "
                   f"+{WS_KIB_LIMIT:g} KiB: {ok}.")
    rate = cpu_rate(res)
    _, _, extra = chat_cpu(res, "parley", rate) if rate and "parley" in res.servers else (0, 0, [])
    if extra:
        m = median(extra)
        ok = "met" if m <= WS_CPU_LIMIT else "**not met**"
        each = f" (rounds: {', '.join(pct(x) for x in extra)})" if len(extra) > 1 else ""
        out.append(f"- Parley: a chat message at {rate:,.0f} msg/s costs {pct(m)} of server CPU "
                   f"over WebSocket against TCP, the median of {len(extra)} round(s){each}; "
                   f"target ≤ +{WS_CPU_LIMIT * 100:.0f} %: {ok}.")
    return out


def idle_table(res):
    rows = []
    for s in res.servers:
        cells = []
        for how in ("tcp", "ws"):
            j = res.ws_login.get((s, how))
            cells.append(" · ".join(fmt_num(x, d) for x, d in (
                (kib_per_session(j), 1), ((j or {}).get("logins_per_s"), 0),
                ((j or {}).get("login_p99_ms"), 1))) if j else "not measured")
        online = " · ".join(f"{j['online']:,} / {j.get('login_failures', 0):,}" if j else "—"
                            for j in (res.ws_login.get((s, h)) for h in ("tcp", "ws")))
        rows.append([TITLES[s], *cells, kib_delta(*idle_kib(res, s)) or "—", online])
    return md_table(["server", "TCP (STARTTLS): KiB per idle session · logins/s · login p99 ms",
                     f"WebSocket ({ws_label(res)}): the same", "WebSocket − TCP",
                     "online / failed: TCP · WebSocket"], rows)


def chat_cells(res, server, rate):
    """The first round's step at RATE over TCP and WebSocket, and the rounds' comparison."""
    pairs = res.ws_rounds.get(server) or []
    if not pairs:
        return ["not measured", "—", "—"]
    cells = []
    for j in pairs[0]:
        st = find_step(j, rate)
        us = sustained_cpu(j, rate, res.step_s)
        cells.append("—" if not st else
                     f"{st['p50_ms']:.2f} / {st['p99_ms']:.2f} · {st['server_cpu_pct']:.0f} · "
                     f"{fmt_num(us, 1)}" + (f" · {st['lost']:,} lost" if st["lost"] else "")
                     if st["received"] else "none arrived")
    tcp, ws, extra = chat_cpu(res, server, rate)
    cells.append(f"{fmt_num(tcp, 1)} → {fmt_num(ws, 1)} µs, {pct(median(extra))}"
                 + (f" ({', '.join(pct(x) for x in extra)})" if len(extra) > 1 else "")
                 if extra else "—")
    return cells


def chat_table(res):
    rows = [[TITLES[s], f"{r:,.0f}", *chat_cells(res, s, r)]
            for s in res.servers for r in ws_rates(res)]
    return md_table(["server", "target msg/s", "TCP: p50 / p99 ms · server % · µs/msg",
                     f"WebSocket ({ws_label(res)}): the same",
                     "µs/msg TCP → WebSocket (medians), extra CPU (median of rounds)"], rows)


def ws_section(res):
    loaded(res)
    have_idle = any(v for v in res.ws_login.values())
    have_chat = any(res.ws_rounds.values())
    if not have_idle and not have_chat:
        why = res.meta.get("parley_ws", "")
        return (["## XMPP over WebSocket", "", f"Not measured in this run"
                 f"{': Parley has ' + why if why else ''}.", ""]
                if "ws_tls" in res.meta else [])
    m = res.meta
    n = int(m.get("ws_login_count", "0") or 0)
    rounds = max((len(p) for p in res.ws_rounds.values()), default=0)
    out = ["## XMPP over WebSocket (RFC 7395)", "",
           f"Each server again with XMPP over WebSocket at `{m.get('ws_path', '/xmpp-websocket')}` "
           "beside its c2s ports (Parley's `http_port` and `https_port`, Prosody's "
           "mod_websocket, ejabberd's `ejabberd_http_ws`), every run on a freshly started "
           f"server of that config. The bot speaks RFC 7395 over {ws_label(res)} (" +
           ("TLS from the first byte, as the TCP runs have it after STARTTLS" if
            ws_label(res) == "wss://" else "no TLS: Parley with `allow_plaintext_loopback`, "
            "Prosody with `consider_websocket_secure`; the TCP runs beside them use STARTTLS") +
           "): an HTTP/1.1 upgrade with the `xmpp` subprotocol, `<open/>`, one element per "
           "text message, `<close/>`, every frame masked. Same accounts, SASL and sources as "
           "the TCP runs."]
    if have_idle:
        out[-1] += (f" Memory: a login storm of {n:,} sessions held idle {m.get('hold_s', '?')}"
                    " s over TCP (STARTTLS), then over WebSocket, each on a fresh server; KiB per"
                    " session as in the login storms above" +
                    (": with so few sessions what a server's heap does at start-up weighs in by "
                     "a few KiB either way, the full run's storm is the figure to quote."
                     if n < 5000 else "."))
    if have_chat:
        rates = ", ".join(f"{r:,.0f}" for r in ws_rates(res))
        out[-1] += (f" CPU: the 1:1 chat scenario at {rates} msg/s ({res.step_s:g} s per step) "
                    "over TCP and over WebSocket, "
                    f"{rounds} round(s), every other round WebSocket first, as this machine "
                    "drifts between runs: the extra CPU is the median of the rounds' ratios.")
    out += ["", f"Targets: Parley's idle WebSocket session costs at most {WS_KIB_LIMIT:g} KiB "
            f"more than a TCP one, and a chat message at {TARGET_CPU_RATE:,} msg/s at most "
            f"{WS_CPU_LIMIT * 100:.0f} % more server CPU than over TCP.", ""]
    v = verdicts(res)
    out += v + ([""] if v else [])
    if have_idle:
        out += [idle_table(res), ""]
    if have_chat:
        out += [chat_table(res), "", "The first round's figures per transport; the last "
                "column compares the medians over the rounds, only where both transports "
                "sustained the step (no loss, p99 ≤ 100 ms).", ""]
    return out
