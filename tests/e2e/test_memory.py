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


def bench(server, *args):
    argv = list(args) + ["--port", server.port, "--password", "pw-mem", "--parallel", 50,
                         "--source", "127.0.1.1-127.0.1.20", "--quiet"]
    r = subprocess.run([BENCH] + [str(a) for a in argv],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


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
    out = bench(srv, "login", "--count", SESSIONS, "--duration", 1)
    assert "%d ok, 0 failed" % SESSIONS in out, out
    peak = rss(srv.proc.pid)  # the bot has closed every session: the closes' peak is here
    assert peak - idle > 8 * MB, "the sessions did not show in RSS: %d -> %d" % (idle, peak)
    deadline = time.monotonic() + TRIM_SECONDS
    now = peak
    while now - idle > (peak - idle) / 3 and time.monotonic() < deadline:
        time.sleep(0.1)  # polls the condition; the trim runs on the server's one-second timer
        now = rss(srv.proc.pid)
    print("RSS: idle %.1f MB, after %d sessions %.1f MB, then %.1f MB" % (
        idle / MB, SESSIONS, peak / MB, now / MB))
    assert srv.alive()
    assert now - idle <= (peak - idle) / 3, \
        "RSS idle %.1f MB, after the sessions %.1f MB, %ds later still %.1f MB" % (
            idle / MB, peak / MB, TRIM_SECONDS, now / MB)
