# SPDX-License-Identifier: MIT
"""parley-bench against a real parleyd: register, login storm, chat, churn; loopback only."""
import json
import os
import re
import subprocess
import time

import pytest

from conftest import PARLEYCTL, ROOT

BENCH = os.environ.get("PARLEY_BENCH", os.path.join(ROOT, "bin", "parley-bench"))
USERS = 200
PASSWORD = "bench-pw"


@pytest.fixture
def server(server_factory):
    """The bot logs in up to 50 accounts at once from one address, and a login in progress
    holds a token of its source's login throttle: raise it out of the way, as
    bench/suite/parley.conf.in does."""
    return server_factory(auth_source_failures_per_minute=100000)


def bench(*args, timeout=60):
    r = subprocess.run([BENCH] + [str(a) for a in args], capture_output=True, text=True,
                       timeout=timeout)
    return r


def bench_ok(*args):
    r = bench(*args)
    assert r.returncode == 0, "parley-bench %s failed:\n%s%s" % (args, r.stdout, r.stderr)
    return r


def register_users(server, count=USERS):
    r = bench_ok("register", "--count", count, "--password", PASSWORD,
                 "--register-cmd", "%s -c %s adduser %%s %%s" % (PARLEYCTL, server.conf))
    assert "%d of %d accounts created" % (count, count) in r.stdout


def common(server, tmp_path):
    return ["--port", server.port, "--password", PASSWORD, "--server-pid", server.proc.pid,
            "--keycache", tmp_path / "keys", "--parallel", 50]


def test_chat_every_message_arrives(server, tmp_path):
    register_users(server)
    out = tmp_path / "chat.json"
    bench_ok("chat", "--count", USERS, "--rates", 200, "--step", 3, "--tls", "starttls",
             "--json", out, *common(server, tmp_path))
    res = json.loads(out.read_text())
    assert res["scenario"] == "chat"
    assert res["online"] == USERS and res["login_failures"] == 0
    (step,) = res["steps"]
    assert step["target_rate"] == 200
    assert step["sent"] > 0
    assert step["lost"] == 0 and step["received"] == step["sent"]
    assert step["p50_ms"] <= step["p99_ms"] <= step["max_ms"]
    assert res["server_rss_kib"] > 0


def test_login_storm_holds_sessions(server, tmp_path):
    register_users(server)
    out = tmp_path / "login.json"
    bench_ok("login", "--count", USERS, "--duration", 1, "--json", out,
             *common(server, tmp_path))
    res = json.loads(out.read_text())
    assert res["online"] == USERS
    assert res["logins_per_s"] > 0
    assert res["login_p99_ms"] > 0
    # The second run finds every SCRAM key in the cache: no PBKDF2 in the bot.
    bench_ok("login", "--count", USERS, "--duration", 0, "--json", out, "--sasl", "scram-sha-1",
             "--tls", "direct", "--port", server.tls_port,
             *common(server, tmp_path)[2:])
    assert json.loads(out.read_text())["online"] == USERS


def log_problems(log):
    """Lines at warn or error level, and connections that did not end in an orderly close."""
    return [line for line in log.splitlines()
            if re.match(r"\S+ (warn|error)\s", line) or "connection error" in line]


def wait_all_closed(server, timeout=10):
    """Every connection the server saw ends with the peer's orderly close; returns the log."""
    deadline = time.time() + timeout
    while True:
        log = server.log()
        opened, closed = log.count("connection from"), log.count("peer closed the connection")
        if opened == closed or time.time() > deadline:
            assert opened == closed, "%d connections, %d closed by the peer" % (opened, closed)
            return log


def test_churn_cycles_cleanly(server, tmp_path):
    register_users(server, 20)
    out = tmp_path / "churn.json"
    r = bench_ok("churn", "--count", 20, "--duration", 2, "--json", out,
                 *common(server, tmp_path))
    res = json.loads(out.read_text())
    assert res["scenario"] == "churn"
    assert res["cycles"] > 0 and res["failures"] == 0, r.stdout + r.stderr
    assert res["login_failures"] == 0 and res["errors"] == 0
    assert res["logins"] >= res["cycles"] and res["online"] == 0
    assert res["cycles_per_s"] > 0 and res["parallel"] == 20
    assert 0 < res["login_p50_ms"] <= res["login_p99_ms"] <= res["login_max_ms"]
    assert res["server_rss_kib"] > 0 and res["server_cpu_pct"] > 0
    assert "%d cycles" % res["cycles"] in r.stdout
    log = wait_all_closed(server)
    assert log.count("connection from") >= res["cycles"]
    assert not log_problems(log), "\n".join(log_problems(log)[:20])


def test_churn_soak_mode(server, tmp_path):
    """The soak's churn: sessions stay online a while, get their own messages back, and cycle
    again, at most --max-logins logging in at once; the JSON has the server's RSS every second
    and the login latency per --series window."""
    register_users(server, 30)
    out = tmp_path / "soak.json"
    r = bench_ok("churn", "--count", 30, "--parallel", 30, "--max-logins", 5, "--hold", 0.4,
                 "--messages", 2, "--series", 1, "--duration", 4, "--drain", 5, "--json", out,
                 *common(server, tmp_path)[:-2])
    res = json.loads(out.read_text())
    assert res["failures"] == 0 and res["login_failures"] == 0, r.stdout + r.stderr
    assert res["hold_s"] == 0.4 and res["messages_per_cycle"] == 2 and res["max_logins"] == 5
    # every session stays online 0.2-0.6 s: 30 of them cycle several times in 4 s
    assert res["cycles"] >= 60 and res["online"] == 0
    assert res["messages_sent"] == res["messages_received"] >= 2 * res["cycles"]
    assert "messages to themselves: %d sent, %d came back" % (
        res["messages_sent"], res["messages_received"]) in r.stdout
    rss = res["rss"]
    assert len(rss) >= 4 and all(kib > 0 for _, kib in rss)
    assert [round(t) for t, _ in rss[:4]] == [1, 2, 3, 4]  # one a second
    windows = res["series"]
    assert res["series_s"] == 1 and len(windows) >= 4
    assert sum(w["logins"] for w in windows) <= res["logins"]
    assert sum(w["cycles"] for w in windows) <= res["cycles"]
    assert all(w["failures"] == 0 and w["rss_kib"] > 0 for w in windows)
    busy = [w for w in windows if w["logins"]]
    assert busy and all(0 < w["login_p50_ms"] <= w["login_p99_ms"] <= w["login_max_ms"]
                        for w in busy)
    assert any(w["messages"] > 0 and w["message_p99_ms"] > 0 for w in windows)
    # never more than 5 logins at once: the progress lines say how many were logging in
    logging_in = [int(m) for m in re.findall(r"logging-in (\d+)", r.stderr)]
    assert logging_in and max(logging_in) <= 5
    log = wait_all_closed(server)
    assert not log_problems(log), "\n".join(log_problems(log)[:20])


def test_wrong_password_counts_failures(server, tmp_path):
    register_users(server, 3)
    out = tmp_path / "login.json"
    r = bench("login", "--count", 3, "--duration", 0, "--json", out, "--port", server.port,
              "--password", "wrong", "--keycache", tmp_path / "keys")
    assert r.returncode == 1
    res = json.loads(out.read_text())
    assert res["online"] == 0 and res["login_failures"] == 3
    assert "not-authorized" in res["last_error"]


def test_stream_management_when_asked(server, tmp_path):
    """--sm enables XEP-0198 on every session (Parley offers it after authentication)."""
    register_users(server, 5)
    out = tmp_path / "sm.json"
    r = bench("login", "--count", 5, "--duration", 0, "--sm", "--timeout", 10, "--json", out,
              *common(server, tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    res = json.loads(out.read_text())
    assert res["logins"] == 5 and res["login_failures"] == 0
    assert res["sm_enabled"] == 5


def test_mixed_chat_and_presence(server, tmp_path):
    """Parley has no MUC yet: the mix is chat and presence only, shared 70/30 by the bot."""
    register_users(server, 50)
    out = tmp_path / "mixed.json"
    r = bench_ok("mixed", "--mix", "chat=70,presence=30", "--count", 50, "--rates", 200,
                 "--step", 3, "--json", out, *common(server, tmp_path))
    res = json.loads(out.read_text())
    assert res["scenario"] == "mixed"
    assert res["online"] == 50 and res["login_failures"] == 0 and res["errors"] == 0
    assert res["mix"] == {"chat": 70, "presence": 30, "muc": 0}
    assert "rooms" not in res  # no muc share: nobody joins a room
    (step,) = res["steps"]
    chat, presence, muc = (step["kinds"][k] for k in ("chat", "presence", "muc"))
    assert chat["sent"] > 0 and presence["sent"] > 0 and muc["sent"] == 0
    assert step["sent"] == chat["sent"] + presence["sent"]
    # every chat message arrives; presence updates expect nothing back
    assert chat["received"] == chat["sent"] and chat["lost"] == 0
    assert step["received"] == chat["sent"] and step["lost"] == 0
    # the weights share the actions out exactly (smooth weighted round robin)
    assert abs(presence["sent"] - 0.3 * step["sent"]) <= 1
    assert 0 < step["p50_ms"] <= step["p99_ms"] <= step["max_ms"]
    assert chat["p99_ms"] <= step["max_ms"]
    assert "chat: sent %d, received %d, lost 0" % (chat["sent"], chat["sent"]) in r.stdout
    assert "presence: sent %d" % presence["sent"] in r.stdout
    assert re.search(r"\] mixed +target 200/s", r.stderr)  # progress lines name the scenario
    log = server.log()
    assert not log_problems(log), "\n".join(log_problems(log)[:20])


def test_muc_and_mixed_usage_errors():
    """Rooms need a MUC service and an account per seat; --mix is parsed strictly."""
    cases = [
        (["muc", "--count", 1000], "muc needs --muc-domain (e.g. conference.localhost)"),
        (["muc", "--muc-domain", "conference.localhost", "--rooms", 4, "--occupants", 5,
          "--count", 19], "muc needs --count >= --rooms x --occupants (4 x 5 = 20), got 19"),
        (["muc", "--muc-domain", "conference.localhost"],  # the defaults: 20 x 50
         "--count >= --rooms x --occupants (20 x 50 = 1000), got 100"),
        (["mixed", "--mix", "chat=80,presence=15,muc=5"],
         "mixed with a muc share needs --muc-domain"),
        (["mixed", "--mix", "chat=80,bogus=20"], "bad --mix 'chat=80,bogus=20': unknown kind"),
        (["mixed", "--mix", "chat=eighty"], "bad weight 'eighty' for chat"),
    ]
    for args, says in cases:
        r = bench(*args, timeout=10)
        assert r.returncode == 2, (args, r.returncode, r.stdout, r.stderr)
        assert says in r.stderr, (args, r.stderr)
        assert r.stdout == ""  # refused before any connection or summary


def test_non_loopback_host_is_refused():
    for host in ("192.0.2.1", "10.0.0.1", "example.org", "2001:db8::1"):
        r = bench("login", "--host", host, "--count", 1, timeout=10)
        assert r.returncode != 0
        assert "loopback" in r.stderr
