# SPDX-License-Identifier: MIT
"""The benchmark report's rules on synthetic results: when a figure is a lower bound, how
ratios against bounds read, the p99 ≤ 10 ms headline row, and the soak's verdicts. Pure
Python: no server, no bot."""
import json
import os
import subprocess
import sys

from conftest import ROOT

SUITE = os.path.join(ROOT, "bench", "suite")
sys.path.insert(0, SUITE)

import report_data as rd  # noqa: E402
import report_history  # noqa: E402
import report_soak  # noqa: E402
import report_tables  # noqa: E402

STEP_S = 10


def step(rate, p99, server, bot, lost=0, sent_fraction=1.0):
    return {"target_rate": rate, "sent": int(rate * STEP_S * sent_fraction),
            "received": int(rate * STEP_S * sent_fraction) - lost, "lost": lost,
            "p50_ms": p99 / 3, "p99_ms": p99, "server_cpu_pct": server, "bot_cpu_pct": bot}


# Parley's climb of the last full report: at 40,000/s the server was at 94 % and the bot at
# 91 %, p99 65 ms; the step before (20,000/s) already had p99 14 ms.
PARLEY = [(1000, 3.3, 8, 10), (2000, 3.2, 12, 14), (5000, 4.0, 23, 23), (10000, 5.9, 38, 36),
          (20000, 14.5, 62, 63), (40000, 65.3, 94, 91), (80000, 2457.6, 99, 97)]
PROSODY = [(1000, 42.2, 36, 10), (2000, 41.0, 56, 14), (5000, 487.4, 100, 25),
           (10000, 9895.9, 100, 24), (20000, 23461.9, 100, 37), (40000, 46399.5, 100, 58),
           (80000, 50000.0, 100, 76)]


def chat(rows):
    return {"steps": [step(*r) for r in rows]}


def test_saturation_needs_the_bot_at_its_limit_and_the_server_below_80():
    assert rd.SERVER_HEADROOM_PCT == 80
    assert rd.saturation(91, 94) == "both"
    assert rd.saturation(91, 79.9) == "bot"
    assert rd.saturation(91, 80) == "both"
    assert rd.saturation(89, 10) is None
    assert rd.saturation(None, 10) is None
    assert rd.saturation(50, 60, bot_short=True) == "bot"  # fell short of the target rate
    assert rd.saturation(95, None) == "both"  # no server share known: no bound claimed
    assert rd.saturation(95, -1) == "both"


def test_bot_bound_step_with_a_busy_server_is_measured_not_a_bound():
    got = rd.max_sustained(chat(PARLEY), STEP_S)
    assert got.rate == 40000
    assert got.bound is False
    assert got.shares == "server 94 % / bot 91 %"
    assert "server 94 % / bot 91 %" in got.why
    assert rd.fmt_figure(got.rate, 0, got.bound, got.shares) == \
        "40,000 (server 94 % / bot 91 %)"


def test_bot_bound_step_with_server_headroom_is_a_lower_bound():
    roomy = chat(PARLEY)
    roomy["steps"][5]["server_cpu_pct"] = 70
    got = rd.max_sustained(roomy, STEP_S)
    assert (got.rate, got.bound, got.shares) == (40000, True, None)
    assert rd.fmt_figure(got.rate, 0, got.bound, got.shares) == "≥ 40,000"


def test_a_short_bot_does_not_claim_the_step_rate():
    short = chat(PARLEY)
    short["steps"][5].update(sent=40000 * STEP_S * 0.9, server_cpu_pct=50)
    got = rd.max_sustained(short, STEP_S)
    assert (got.rate, got.bound) == (20000, True)  # the last step sent in full


def test_p99_10ms_climb_ends_where_latency_does():
    got = rd.max_sustained(chat(PARLEY), STEP_S, rd.P99_TARGET_MS)
    assert (got.rate, got.bound) == (10000, False)
    assert "p99 14.5 ms at 20,000/s" in got.why
    assert rd.max_sustained(chat(PROSODY), STEP_S, rd.P99_TARGET_MS).rate is None


def test_all_steps_sustained_is_a_lower_bound():
    got = rd.max_sustained(chat(PARLEY[:4]), STEP_S)
    assert (got.rate, got.bound, got.why) == (10000, True, "all steps sustained")


def test_ratio_marks_follow_the_bounds():
    assert rd.fmt_ratio(40000, 2000) == "20.0×"
    assert rd.fmt_ratio(40000, 2000, a_bound=True) == "≥ 20.0×"
    assert rd.fmt_ratio(4000, 5000, b_bound=True) == "≤ 0.80×"
    assert rd.fmt_ratio(40000, 2000, a_bound=True, b_bound=True) == "—"
    assert rd.fmt_ratio(None, 2000, a_bound=True) == "—"
    assert rd.fmt_ratio(1, 0) == "—"


# ---- a whole results folder, through report.py ------------------------------------------

def write_run(folder, server, tag, j, steps_cpu):
    """NAME-TAG.json, and the bot's progress lines and the suite's per-second CPU samples
    that give each step its bot share: STEPS_CPU [(target, bot %)], 10 s each after 2 s of
    login."""
    (folder / f"{server}-{tag}.json").write_text(json.dumps(j))
    hz = os.sysconf("SC_CLK_TCK")
    log, cpu, ticks, t = [], [], 0.0, 0
    for target, bot in [(0, 5), (0, 5)] + [x for x in steps_cpu for _ in range(STEP_S)]:
        t += 1
        phase = "login" if target == 0 else "chat"
        log.append(f"[{t:6.1f}s] {phase:<5} target {target}/s sent 0/s recv 0/s")
        ticks += bot * hz / 100
        cpu.append(f"{t:.2f} {ticks:.0f} 0")
    (folder / f"{server}-{tag}.log").write_text("\n".join(log) + "\n")
    (folder / f"{server}-{tag}.cpu").write_text("\n".join(cpu) + "\n")


def results_folder(tmp_path, soak=None):
    res = tmp_path / "results-full"
    res.mkdir()
    rates = [r[0] for r in PARLEY]
    (res / "meta.env").write_text(
        "mode=full\nservers=parley prosody\nchat_rates=%s\nchat_step_s=%d\nchat_users=1000\n"
        "login_counts=\nparallel=50\nsources=127.0.1.1-127.0.1.50\nsoak_s=600\n"
        "soak_sessions=10000\n" % (",".join(map(str, rates)), STEP_S))
    for name, rows in (("parley", PARLEY), ("prosody", PROSODY)):
        j = chat(rows)
        for s in j["steps"]:
            del s["bot_cpu_pct"]  # the report derives it from the samples
        write_run(res, name, "chat", j, [(r[0], r[3]) for r in rows])
    if soak:
        (res / "parley-soak.json").write_text(json.dumps(soak))
    return res


def headline_cells(md, label):
    line = next(line for line in md.splitlines() if line.startswith(f"| {label}"))
    return [c.strip() for c in line.strip("|").split("|")]


def test_headline_from_a_results_folder(tmp_path):
    res = rd.Results(str(results_folder(tmp_path)))
    assert res.chat["parley"]["steps"][5]["bot_cpu_pct"] == 91  # from the samples
    md = report_tables.headline_table(res)
    row = headline_cells(md, "1:1 msg/s sustained (p99 ≤ 100 ms")
    # Parley's figure is measured (server 94 %), so the ratio carries no ≥ either
    assert row[1:4] == ["40,000 (server 94 % / bot 91 %)", "2,000", "20.0×"]
    row10 = headline_cells(md, "1:1 msg/s sustained (p99 ≤ 10 ms")
    assert row10[1:4] == ["10,000", "—", "—"]
    assert row10[4] == "≥ 40,000 (p99 < 10 ms)"  # the target sits on the 10 ms row
    cpu = headline_cells(md, "server CPU µs per message at 5,000 msg/s")
    assert cpu[1] == "46.0" and cpu[2] == "—"  # Prosody did not sustain 5,000/s
    assert cpu[4] == "≤ 25 µs at 5,000 msg/s"
    assert "(server S % / bot B %): the bot was at its limit, but the server was at 80 %" in md
    assert "≥: a lower bound" not in md  # nothing here is one


def soak_json(rss_end_kib, failures=0):
    rss = [[t, 100000 + (rss_end_kib - 100000) * t / 600] for t in range(1, 601)]
    return {"scenario": "churn", "count": 10000, "duration_s": 600, "hold_s": 20,
            "messages_per_cycle": 3, "max_logins": 50, "series_s": 60, "cycles": 250000,
            "cycles_per_s": 416, "failures": failures, "messages_sent": 750000,
            "messages_received": 750000, "login_p50_ms": 20, "login_p99_ms": 40,
            "login_max_ms": 90, "last_error": "login timed out" if failures else None,
            "rss": rss,
            "series": [{"t_s": 60 * (i + 1), "logins": 25000, "cycles": 25000, "failures": 0,
                        "messages": 75000, "login_p50_ms": 20, "login_p99_ms": 40 + i,
                        "login_max_ms": 90, "message_p99_ms": 2.5, "rss_kib": 100000,
                        "server_cpu_pct": 35, "online": 9990} for i in range(10)]}


def test_soak_flatness_compares_the_second_and_the_last_minute():
    change, flat = report_soak.rss_verdict(soak_json(103000)["rss"], 600)
    assert flat and 0.02 < change < 0.03
    change, flat = report_soak.rss_verdict(soak_json(110000)["rss"], 600)
    assert not flat and change > 0.05
    # a 60 s trial compares 12 s windows; no samples at all: no verdict
    assert report_soak.rss_windows([[t, 1] for t in range(61)], 60)[0] == 12
    assert report_soak.rss_verdict([], 600) == (None, None)


def test_soak_in_the_report(tmp_path):
    res = rd.Results(str(results_folder(tmp_path, soak_json(120000, failures=3))))
    md = report_tables.headline_table(res)
    row = headline_cells(md, "soak: 10,000 sessions churning for 10 min")
    assert row[1].startswith("RSS NOT flat (+")
    assert "3 of 250,000 cycles failed" in row[1] and "login p99 ≤ 49.0 ms" in row[1]
    assert row[2] == "not run"
    text = "\n".join(report_soak.soak_section(res))
    assert "**not flat**" in text and "must be 0" in text and "login timed out" in text
    assert text.count("\n| ") >= 11  # the header and ten windows


def test_report_py_renders_results_md(tmp_path):
    folder = results_folder(tmp_path, soak_json(101000))
    out = tmp_path / "out"
    r = subprocess.run(["/usr/bin/python3", os.path.join(SUITE, "report.py"), "--results",
                        str(folder), "--out", str(out)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    md = (out / "RESULTS.md").read_text()
    assert "## Soak (Parley)" in md and "flat (limit ±5 %)" in md
    assert "40,000 (server 94 % / bot 91 %)" in md
    assert "≥ 40,000 |" not in md.split("## Headline")[1].split("##")[0].replace(
        "≥ 40,000 (p99 < 10 ms)", "")


def test_archive_cost_is_the_median_of_alternating_rounds(tmp_path):
    """Parley's archive runs alternate off and on ARCHIVE_ROUNDS times; each on run is
    compared with the off run of its round, and the verdict takes the median."""
    folder = results_folder(tmp_path)
    with open(folder / "meta.env", "a") as f:
        f.write("archive_rates=5000\narchive_rounds=3\n")
    # CPU % at 5,000 msg/s: off 25, 20, 20; on 32 (+28 %), 24 (+20 %), 23 (+15 %)
    for sfx, off, on in (("", 25, 32), ("-r2", 20, 24), ("-r3", 20, 23)):
        for tag, cpu in (("chat-archive-off", off), ("chat-archive", on)):
            write_run(folder, "parley", tag + sfx, chat([(5000, 3.0, cpu, 20)]), [(5000, 20)])
    res = rd.Results(str(folder))
    report_history.load(res)
    costs, how = report_history.archive_costs(res, 5000)
    assert [round(c, 2) for c in costs] == [0.28, 0.2, 0.15] and how == "in turn"
    assert round(report_history.archive_cost(res, 5000), 2) == 0.2  # not the first round's
    verdicts = report_history.archive_verdicts(res)
    assert verdicts[0] == ("- Parley's archive costs +20 % CPU per message at 5,000 msg/s, in "
                           "turn, the median of 3 rounds (+28 %, +20 %, +15 %) (target ≤ "
                           "+25 %): met.")
    (folder / "parley-chat-archive-r3.json").unlink()  # a round missing a side is left out
    res = rd.Results(str(folder))
    report_history.load(res)
    assert [round(c, 2) for c in report_history.archive_costs(res, 5000)[0]] == [0.28, 0.2]


def test_archive_cost_side_by_side_wins_where_it_ran(tmp_path):
    """Runs side by side (both configurations at once) give the archive's cost at their
    rates; above them, the runs in turn still do."""
    folder = results_folder(tmp_path)
    with open(folder / "meta.env", "a") as f:
        f.write("archive_rates=5000,20000\narchive_rounds=1\n"
                "archive_pair_rates=5000\narchive_pair_rounds=2\n")
    for tag, cpu in (("chat-archive-off", 20), ("chat-archive", 30)):  # in turn: +50 %
        steps = chat([(5000, 3.0, cpu, 20), (20000, 3.0, cpu * 3, 20)])
        write_run(folder, "parley", tag, steps, [(5000, 20), (20000, 60)])
    for sfx, off, on in (("", 20, 23), ("-r2", 20, 25)):  # side by side: +15 %, +25 %
        for tag, cpu in (("chat-archive-pair-off", off), ("chat-archive-pair", on)):
            write_run(folder, "parley", tag + sfx, chat([(5000, 3.0, cpu, 20)]), [(5000, 20)])
    res = rd.Results(str(folder))
    report_history.load(res)
    costs, how = report_history.archive_costs(res, 5000)
    assert [round(c, 2) for c in costs] == [0.15, 0.25] and how == "side by side"
    assert round(report_history.archive_cost(res, 5000), 2) == 0.2
    assert report_history.archive_costs(res, 20000)[1] == "in turn"
    assert round(report_history.archive_cost(res, 20000), 2) == 0.5
    verdicts = report_history.archive_verdicts(res)
    assert verdicts[0] == ("- Parley's archive costs +20 % CPU per message at 5,000 msg/s, side "
                           "by side, the median of 2 rounds (+15 %, +25 %) (target ≤ +25 %): "
                           "met.")
    assert verdicts[1].endswith("(target ≤ +25 %): **not met**.")
    md = "\n".join(report_history.archive_section(res))
    assert "+20 % · +50 %" in md and "— · +50 %" in md  # 20,000: in turn only
