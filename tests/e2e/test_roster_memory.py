# SPDX-License-Identifier: MIT
"""A big roster's memory goes back to the system once its owner's last resource has left.

This runs the plain build (bin/parleyd, or PARLEYD_PLAIN): ASan's allocator keeps freed memory
in its own quarantine, so RSS under ASan says nothing about what the server gives back."""
import os
import shutil
import sqlite3
import time

import pytest

import conftest
from conftest import DOMAIN, ROOT, Server
from xmpp_helpers import Raw, wait_log

PLAIN = os.environ.get("PARLEYD_PLAIN", os.path.join(ROOT, "bin", "parleyd"))
MB = 1024 * 1024
ITEMS, GROUPS, GROUP_CHARS = 2000, 12, 1000  # about 24 MB of group names, stored as is
LOADED_MB = 15    # a loaded roster must show: the RSS rises at least this much
RETURNED_MB = 6   # after the logout, RSS is back within this much of the idle server's
TRIM_SECONDS = 10  # the server trims about once a second


def rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for pid %d" % pid)


def store_big_roster(db_path, owner):
    """Writes the roster straight into the store, past every bound a roster set enforces
    (rosters stored before the bounds existed are loaded as they are)."""
    db = sqlite3.connect(db_path, timeout=10)
    try:
        rows = []
        for i in range(ITEMS):
            groups = "\n".join("g%04d-%02d-" % (i, g) + "x" * (GROUP_CHARS - 9)
                               for g in range(GROUPS))
            rows.append((owner, "contact%04d@%s" % (i, DOMAIN), None, groups, 0, 1, None))
        with db:
            db.executemany("INSERT INTO roster_items (owner, contact, name, groups, state, "
                           "in_roster, status) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            db.execute("INSERT OR REPLACE INTO roster_versions (owner, ver) VALUES (?, 1)",
                       (owner,))
    finally:
        db.close()


def roster_get(r):
    """Sends a roster get and reads its whole result; returns its size in bytes."""
    r.send("<iq type='get' id='big'><query xmlns='jabber:iq:roster'/></iq>")
    r.sock.settimeout(20)
    got, tail = 0, b""
    while True:
        chunk = r.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("closed after %d bytes of the roster" % got)
        got += len(chunk)
        tail = (tail + chunk)[-64:]  # only the end is searched: the result is tens of MB
        if tail.endswith(b"</query></iq>"):
            return got


@pytest.fixture
def plain_server(tls_files, monkeypatch):
    """An unstarted plain-build server (the fixture stops it and removes its files)."""
    if not os.access(PLAIN, os.X_OK):
        pytest.skip("no plain build at %s (make bin/parleyd): RSS under ASan means nothing"
                    % PLAIN)
    monkeypatch.setattr(conftest, "PARLEYD", PLAIN)
    # log_level info: debug lines are not what is measured. The output bound is raised so that
    # a server that queues the whole result still delivers it (what is measured is what stays
    # after the logout, not how the result is written).
    srv = Server(tls_files, {"log_level": "info", "max_output_bytes": 256 * MB})
    yield srv
    srv.stop()
    shutil.rmtree(srv.dir, ignore_errors=True)


def test_big_roster_memory_returns_after_logout(plain_server):
    srv = plain_server
    owner = srv.adduser("alice", "pw-alice")
    store_big_roster(os.path.join(srv.data, "parley.db"), owner)
    srv.start()
    pid = srv.proc.pid
    idle = rss(pid)

    r = Raw(srv.port)
    try:
        r.login_plain("alice", "pw-alice")
        size = roster_get(r)
        loaded = rss(pid)
        r.send("</stream:stream>")
        r.read_all()
    finally:
        r.close()
    assert size > ITEMS * GROUPS * GROUP_CHARS, size
    assert loaded - idle > LOADED_MB * MB, \
        "the roster did not show in RSS: idle %.1f MB, loaded %.1f MB" % (idle / MB, loaded / MB)
    wait_log(srv, "session %s/raw ended" % owner)

    deadline = time.monotonic() + TRIM_SECONDS
    now = rss(pid)
    while now - idle > RETURNED_MB * MB and time.monotonic() < deadline:
        time.sleep(0.1)  # polls the condition; the trim runs on the server's one-second timer
        now = rss(pid)
    print("RSS: idle %.1f MB, roster loaded %.1f MB, after the logout %.1f MB" % (
        idle / MB, loaded / MB, now / MB))
    assert srv.alive()
    assert now - idle <= RETURNED_MB * MB, \
        "RSS idle %.1f MB, with the roster %.1f MB, %ds after the logout still %.1f MB" % (
            idle / MB, loaded / MB, TRIM_SECONDS, now / MB)
