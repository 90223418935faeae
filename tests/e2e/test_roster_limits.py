# SPDX-License-Identifier: MIT
"""Bounded rosters: RFC 6121 §2.3.3 errors for over-long groups, too many groups and a full
roster (nothing stored), subscription requests into a full roster, rosters stored past the
bounds still readable, and a roster at the bound read whole by a slow reader."""
import os
import socket
import sqlite3
import time
import xml.etree.ElementTree as ET

import pytest

from roster_helpers import C, R, RosterPeer, bare, dump, error_condition, peers  # noqa: F401

MAX_BYTES = 1048576  # the defaults of conf/parley.conf's [roster] section
MAX_GROUPS = 32
MAX_GROUP_BYTES = 256


def groups_for(i):
    """The most an item may carry: 32 groups of 256 bytes, distinct per item."""
    return ["g%04d-%02d-" % (i, k) + "x" * (MAX_GROUP_BYTES - 11) for k in range(MAX_GROUPS)]


def contact(i):
    return "contact%05d@example.org" % i


def fill(peer, limit=400):
    """Adds big items until the roster set is refused; returns (items stored, the refusal)."""
    for i in range(limit):
        st = peer.set_item(contact(i), name="n%d" % i, groups=groups_for(i))
        if st.get("type") != "result":
            return i, st
    return limit, None


def top_up(peer, start):
    """Fills what room is left with ever smaller items, until not even a bare item fits."""
    i = start
    for groups in (["t" * MAX_GROUP_BYTES], []):
        while True:
            st = peer.set_item(contact(i), groups=groups)
            if st.get("type") != "result":
                assert error_condition(st) == "resource-constraint", dump(st)
                break
            i += 1
            assert i < start + 400, "the roster never filled up"
    return i


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def test_overlong_group_name_refused(peers):
    a = peers("alice", "desk")
    st = a.set_item(bare("bob"), groups=("g" * (MAX_GROUP_BYTES + 1),))
    assert error_condition(st) == "not-acceptable", dump(st)
    _, items = a.roster()
    assert items == {}, "a refused set stores nothing"
    st = a.set_item(bare("bob"), groups=("g" * MAX_GROUP_BYTES,))
    assert st.get("type") == "result", dump(st)


def test_too_many_groups_refused(peers):
    a = peers("alice", "desk")
    st = a.set_item(bare("bob"), groups=["g%d" % i for i in range(MAX_GROUPS + 1)])
    assert error_condition(st) == "not-acceptable", dump(st)
    _, items = a.roster()
    assert items == {}, "a refused set stores nothing"
    st = a.set_item(bare("bob"), groups=["g%d" % i for i in range(MAX_GROUPS)])
    assert st.get("type") == "result", dump(st)


def test_roster_bytes_bound(peers):
    a = peers("alice", "desk", roster=False)  # no pushes to read while filling
    n, refused = fill(a)
    assert refused is not None, "%d items of ~8.5 KB each were all accepted" % n
    assert error_condition(refused) == "resource-constraint", dump(refused)
    item_bytes = MAX_GROUPS * (MAX_GROUP_BYTES + len("<group></group>"))
    assert MAX_BYTES // item_bytes - 2 <= n <= MAX_BYTES // item_bytes, n
    # The refused item was not stored; a smaller change and a removal still go through.
    _, items = a.roster()
    assert len(items) == n and contact(n) not in items
    st = a.set_item(contact(0), name="small")
    assert st.get("type") == "result", dump(st)
    st = a.set_item(contact(n), name="fits now", groups=groups_for(n))
    assert st.get("type") == "result", "room made by shrinking an item: %s" % dump(st)


def test_subscriptions_into_a_full_roster(peers):
    a = peers("alice", "desk", roster=False)
    bob = peers("bob", "r", presence=0)
    n, refused = fill(a)
    assert refused is not None, "%d items were all accepted" % n
    top_up(a, n)
    a.roster()
    a.drain()
    # alice asks a new contact: her roster has no room for the item.
    a.pres(bare("carol"), "subscribe")
    st = a.wait_for(lambda s: s.tag == C + "presence" and s.get("type") == "error",
                    "presence error for a subscription a full roster cannot keep")
    assert error_condition(st) == "resource-constraint", dump(st)
    # bob's request is not kept for alice, nor delivered; his own side records it.
    a.available()
    a.drain()
    bob.pres(bare("alice"), "subscribe")
    bob.sync()
    got = [s for s in a.drain() if s.get("type") == "subscribe"]
    assert not got, "a full roster took a request: %s" % [dump(s) for s in got]
    _, items = a.roster()
    assert bare("bob") not in items and bare("carol") not in items


def test_roster_stored_past_the_bounds_still_loads_and_shrinks(server, peers):
    server.stop()
    db = sqlite3.connect(os.path.join(server.data, "parley.db"))
    big = "\n".join("old%02d-" % k + "y" * 1000 for k in range(64))
    db.executemany("INSERT INTO roster_items (owner, contact, groups, state, in_roster) "
                   "VALUES (?, ?, ?, 0, 1)", [(bare("alice"), contact(i), big)
                                              for i in range(20)])
    db.commit()
    db.close()
    server.start()
    a = peers("alice", "desk")
    _, items = a.roster()
    assert len(items) == 20 and len(items[contact(0)].findall(R + "group")) == 64
    st = a.set_item(contact(0), groups=("short",))
    assert st.get("type") == "result", "shrinking an old item: %s" % dump(st)
    st = a.set_item(contact(999), groups=("new",))
    assert error_condition(st) == "resource-constraint", "grows a roster past the bound"


def read_result_slowly(peer, sid, pid, chunk=4096):
    """Reads the reply to sid a few KiB at a time; returns (the reply, peak server RSS)."""
    sock = peer.raw.sock
    sock.settimeout(30)
    peak, reads = 0, 0
    deadline = time.monotonic() + 120
    while not any(s.get("id") == sid for s in peer.queue):
        assert time.monotonic() < deadline, "the roster result did not arrive"
        data = sock.recv(chunk)
        assert data, "the server dropped the connection of a slow reader"
        peer.feed(data)
        reads += 1
        peak = max(peak, rss_kib(pid))
        time.sleep(0.002)  # the pace of a slow reader, not a wait for a condition
    assert reads > 64, "the result came in %d reads: not a slow reader" % reads
    return next(s for s in peer.queue if s.get("id") == sid), peak


def test_slow_reader_gets_whole_roster_at_the_bound(server_factory):
    server = server_factory(max_output_bytes=65536)
    server.adduser("alice", "pw-alice")
    filler = RosterPeer(server, "alice", "filler")
    n, _ = fill(filler, limit=MAX_BYTES // (MAX_GROUPS * MAX_GROUP_BYTES) + 8)  # past the bound
    filler.close()
    rcvbuf = 16384
    reader = RosterPeer.__new__(RosterPeer)
    real_connect = socket.create_connection

    def small_buffer_connect(*args, **kw):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(kw.get("timeout", 10))
        s.connect(args[0])
        return s

    socket.create_connection = small_buffer_connect
    try:
        RosterPeer.__init__(reader, server, "alice", "slow")
    finally:
        socket.create_connection = real_connect
    before = rss_kib(server.proc.pid)
    reader.send("<iq type='get' id='big'><query xmlns='jabber:iq:roster'/></iq>")
    # Other stanzas to the session wait behind the result instead of breaking into it.
    reader.send("<iq type='get' id='after'><ping xmlns='urn:xmpp:ping'/></iq>")
    st, peak = read_result_slowly(reader, "big", server.proc.pid)
    assert st.get("type") == "result", dump(st)
    items = st.findall(R + "query/" + R + "item")
    assert len(items) == n, (len(items), n)
    assert all(len(i.findall(R + "group")) == MAX_GROUPS for i in items)
    assert reader.queue[0].get("id") == "big", [dump(s) for s in reader.queue]
    pong = reader.wait_for(lambda s: s.get("id") == "after", "the ping queued behind it")
    assert pong.get("type") == "result"
    grown = peak - before
    assert grown < 16 * 1024, "server RSS grew by %d KiB for a 1 MiB roster" % grown
    reader.close()


def test_reader_leaving_mid_result(server_factory):
    """A connection that goes while its result is still being written frees what wrote it
    (ASan checks at exit) and leaves the server serving others."""
    server = server_factory(max_output_bytes=65536)
    server.adduser("alice", "pw-alice")
    filler = RosterPeer(server, "alice", "filler")
    fill(filler, limit=MAX_BYTES // (MAX_GROUPS * MAX_GROUP_BYTES) + 8)
    leaver = RosterPeer(server, "alice", "leaver")
    leaver.send("<iq type='get' id='big'><query xmlns='jabber:iq:roster'/></iq>")
    got = b""
    leaver.raw.sock.settimeout(10)
    while len(got) < 65536:
        data = leaver.raw.sock.recv(4096)
        assert data, "dropped after %d bytes of the result" % len(got)
        got += data
    leaver.close()
    st = filler.request("<iq type='get' id='{id}'><ping xmlns='urn:xmpp:ping'/></iq>")
    assert st.get("type") == "result", dump(st)
    filler.close()
