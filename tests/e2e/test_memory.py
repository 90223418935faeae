# SPDX-License-Identifier: MIT
"""Sessions that end together give their memory back: a fleet of clients that disconnects at
once must not leave the server at its peak for the rest of its life.

Like test_roster_memory.py this runs the plain build: RSS under ASan says nothing."""
import os
import shutil
import subprocess
import time

import pytest

import conftest
from conftest import ROOT, Server
from test_roster_memory import MB, PLAIN, rss

BENCH = os.environ.get("PARLEY_BENCH", os.path.join(ROOT, "bin", "parley-bench"))
SESSIONS = 1000
TRIM_SECONDS = 10  # the server trims about once a second


def bench_argv(server, *args):
    argv = list(args) + ["--port", server.port, "--password", "pw-mem", "--parallel", 50,
                         "--source", "127.0.1.1-127.0.1.20", "--quiet"]
    return [BENCH] + [str(a) for a in argv]


def bench(server, *args):
    r = subprocess.run(bench_argv(server, *args), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def peak_while(proc, pid):
    """The server's highest RSS while proc (the bot holding its sessions) runs."""
    peak = rss(pid)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        peak = max(peak, rss(pid))
        time.sleep(0.05)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, out + err
    return peak, out


@pytest.fixture
def fleet_server(tls_files, monkeypatch):
    for path in (PLAIN, BENCH):
        if not os.access(path, os.X_OK):
            pytest.skip("no plain build at %s (make): RSS under ASan means nothing" % path)
    monkeypatch.setattr(conftest, "PARLEYD", PLAIN)
    srv = Server(tls_files, {"log_level": "info", "allow_registration": True,
                             "auth_failures_per_minute": 100000})
    srv.start()
    yield srv
    srv.stop()
    shutil.rmtree(srv.dir, ignore_errors=True)


def test_memory_returns_after_many_sessions_end_together(fleet_server):
    srv = fleet_server
    bench(srv, "register", "--count", SESSIONS)
    idle = rss(srv.proc.pid)
    bot = subprocess.Popen(bench_argv(srv, "login", "--count", SESSIONS, "--duration", 3),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, out = peak_while(bot, srv.proc.pid)  # the bot has closed every session on exit
    assert "%d ok, 0 failed" % SESSIONS in out, out
    assert peak - idle > 8 * MB, "the sessions did not show in RSS: %d -> %d" % (idle, peak)
    now = rss(srv.proc.pid)
    deadline = time.monotonic() + TRIM_SECONDS
    while now - idle > (peak - idle) / 3 and time.monotonic() < deadline:
        time.sleep(0.1)  # polls the condition; the trim runs on the server's one-second timer
        now = rss(srv.proc.pid)
    print("RSS: idle %.1f MB, with %d sessions %.1f MB, after them %.1f MB" % (
        idle / MB, SESSIONS, peak / MB, now / MB))
    assert srv.alive()
    assert now - idle <= (peak - idle) / 3, \
        "RSS idle %.1f MB, with the sessions %.1f MB, %ds after they ended %.1f MB" % (
            idle / MB, peak / MB, TRIM_SECONDS, now / MB)
