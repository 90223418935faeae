# SPDX-License-Identifier: MIT
"""XEP-0160 offline storage: what is kept, delivery in order with a XEP-0203 delay at the next
initial presence, the quota, privacy, restarts, and a 1,000-message flush in slices that keeps
order with live messages, keeps other sessions served and deletes only what was delivered."""
import asyncio
import calendar
import gc
import itertools
import os
import socket
import sqlite3
import struct
import threading
import time

import pytest

from conftest import DOMAIN
from roster_helpers import C, RosterPeer, bare, dump, error_condition, subscribe_both
from test_blocking import block
from test_privacy import item, set_list, use
from xmpp_helpers import TIMEOUT, Client, offline, run, wait_log

DELAY = "{urn:xmpp:delay}delay"
CHATSTATES = "http://jabber.org/protocol/chatstates"
USERS = ("alice", "bob", "carol")
FAST = {"max_stanzas_per_second": 100000}
_ids = itertools.count(1)


def start(server_factory, **extra):
    srv = server_factory(**extra)
    for u in USERS:
        srv.adduser(u, "pw-" + u)
    return srv


@pytest.fixture
def srv(server_factory):
    return start(server_factory)


def peer(server, user, resource="r", presence=None):
    p = RosterPeer(server, user, resource)
    if presence is not None:
        p.available(presence)
    return p


def send(frm, to, inner, typ="chat", sid=None):
    sid = sid or "m%d" % next(_ids)
    t = "" if typ is None else " type='%s'" % typ
    frm.send("<message to='%s'%s id='%s'>%s</message>" % (to, t, sid, inner))
    return sid


def chat(frm, to, text, typ="chat"):
    return send(frm, to, "<body>%s</body>" % text, typ)


def bodies(stanzas):
    return [s.findtext(C + "body") for s in stanzas if s.tag == C + "message"]


def login_messages(server, user, resource="r", priority=0):
    """Logs in, sends initial presence and returns the messages that came (in order): for a
    few stored messages, which go in the first slice, before the answer to a ping."""
    p = peer(server, user, resource, presence=priority)
    try:
        return [s for s in p.drain() if s.tag == C + "message"]
    finally:
        p.close()


def quiet_sender(p):
    """The sender got nothing back (no error) for what it sent so far."""
    got = [s for s in p.drain() if s.tag == C + "message"]
    assert not got, [dump(s) for s in got]


def stamp_seconds(st):
    return calendar.timegm(time.strptime(st.find(DELAY).get("stamp"), "%Y-%m-%dT%H:%M:%SZ"))


# ---- what is stored and how it comes back --------------------------------------------------------


def test_delivery_in_order_with_delay(srv):
    """slixmpp reads the XEP-0203 delay: from the server's domain, stamped at storage time."""

    async def go():
        bob = await online_with(srv, "bob")
        before = int(time.time())
        for n in range(1, 4):
            bob.send_message(mto=bare("alice"), mbody="m%d" % n, mtype="chat")
        await ping(bob)  # the server has routed (and stored) all three
        after = int(time.time()) + 1
        alice = await online_with(srv, "alice", presence=False)
        alice.send_presence()
        got = [await alice.next_message() for _ in range(3)]
        assert [m["body"] for m in got] == ["m1", "m2", "m3"]
        for m in got:
            assert m["from"] == bob.boundjid and m["type"] == "chat"
            assert m["delay"]["from"] == DOMAIN
            stamp = calendar.timegm(m["delay"]["stamp"].utctimetuple())
            assert before <= stamp <= after, (before, stamp, after)
        assert bob.messages.empty()  # no error came back
        await offline(alice, bob)

    run(go())


async def online_with(server, user, presence=True, plugins=()):
    c = Client("%s@%s/sx" % (user, DOMAIN), "pw-" + user)
    for p in ("xep_0203", "xep_0199") + tuple(plugins):
        c.register_plugin(p)
    c.connect(("127.0.0.1", server.port))
    await asyncio.wait_for(c.started, TIMEOUT)
    if presence:
        c.send_presence()
    return c


async def ping(c):
    await c["xep_0199"].send_ping(DOMAIN, timeout=TIMEOUT)


def test_chat_state_alone_dropped_silently(srv):
    bob = peer(srv, "bob")
    send(bob, bare("alice"), "<composing xmlns='%s'/>" % CHATSTATES)
    send(bob, bare("alice"), "<paused xmlns='%s'/><thread>t1</thread>" % CHATSTATES)
    send(bob, bare("alice"), "<active xmlns='%s'/><body>with a body</body>" % CHATSTATES)
    quiet_sender(bob)
    got = login_messages(srv, "alice")
    assert bodies(got) == ["with a body"]
    assert got[0].find("{%s}active" % CHATSTATES) is not None
    assert got[0].find(DELAY) is not None


def test_no_store_hint_not_stored(srv):
    bob = peer(srv, "bob")
    sid = send(bob, bare("alice"), "<body>private</body><no-store xmlns='urn:xmpp:hints'/>")
    err = bob.wait_for(lambda s: s.get("id") == sid, "error for " + sid)
    assert error_condition(err) == "service-unavailable", dump(err)
    chat(bob, bare("alice"), "kept")
    quiet_sender(bob)
    assert bodies(login_messages(srv, "alice")) == ["kept"]


def test_receipts_and_markers_stored(srv):
    bob = peer(srv, "bob")
    send(bob, bare("alice"), "<received xmlns='urn:xmpp:receipts' id='x1'/>", typ=None)
    send(bob, bare("alice"), "<displayed xmlns='urn:xmpp:chat-markers:0' id='x1'/>")
    send(bob, bare("alice"), "<body>asks</body><request xmlns='urn:xmpp:receipts'/>")
    quiet_sender(bob)
    got = login_messages(srv, "alice")
    assert len(got) == 3, [dump(s) for s in got]
    assert got[0].find("{urn:xmpp:receipts}received").get("id") == "x1"
    assert got[1].find("{urn:xmpp:chat-markers:0}displayed").get("id") == "x1"
    assert got[2].find("{urn:xmpp:receipts}request") is not None
    assert all(s.find(DELAY).get("from") == DOMAIN for s in got)


def test_headline_groupchat_error_not_stored(srv):
    bob = peer(srv, "bob")
    chat(bob, bare("alice"), "news", typ="headline")
    sid = chat(bob, bare("alice"), "room", typ="groupchat")
    err = bob.wait_for(lambda s: s.get("id") == sid, "error for " + sid)
    assert error_condition(err) == "service-unavailable", dump(err)
    send(bob, bare("alice"), "<error type='cancel'><item-not-found xmlns="
         "'urn:ietf:params:xml:ns:xmpp-stanzas'/></error>", typ="error")
    chat(bob, bare("alice"), "kept")
    quiet_sender(bob)
    assert bodies(login_messages(srv, "alice")) == ["kept"]


def test_quota_service_unavailable_and_nothing_stored(server_factory):
    srv = start(server_factory, offline={"max_messages": 3})
    bob = peer(srv, "bob")
    sids = [chat(bob, bare("alice"), "m%d" % n) for n in range(1, 6)]
    errors = [s for s in bob.drain() if s.get("type") == "error"]
    assert [s.get("id") for s in errors] == sids[3:]
    assert all(error_condition(s) == "service-unavailable" for s in errors)
    assert bodies(login_messages(srv, "alice")) == ["m1", "m2", "m3"]
    # delivered rows are gone: the quota has room again, and nothing comes twice
    wait_log(srv, "session alice@localhost/r ended")
    chat(bob, bare("alice"), "m6")
    quiet_sender(bob)
    assert bodies(login_messages(srv, "alice", "r2")) == ["m6"]


def test_offline_survives_restart(srv):
    bob = peer(srv, "bob")
    chat(bob, bare("alice"), "before restart 1")
    chat(bob, bare("alice"), "before restart 2")
    quiet_sender(bob)
    bob.close()
    srv.restart()
    assert bodies(login_messages(srv, "alice")) == ["before restart 1", "before restart 2"]
    wait_log(srv, "session alice@localhost/r ended")
    assert login_messages(srv, "alice", "r2") == []


def test_blocked_sender_refused_as_if_online_and_not_stored(srv):
    """XEP-0191 block (bob) and a default XEP-0016 list (carol): the error each sender gets
    while alice is offline is the one it gets while she is online, and nothing is kept."""
    alice = peer(srv, "alice", presence=0)
    block(alice, bare("bob"))
    set_list(alice, "strict", item(1, "deny", "jid", bare("carol"), kinds=("message",)),
             item(2, "allow"))
    st = use(alice, "default", "strict")
    assert st.get("type") == "result", dump(st)
    bob, carol = peer(srv, "bob"), peer(srv, "carol")
    online_errors = refusals(bob, carol)
    alice.drain()
    alice.close()
    wait_log(srv, "session alice@localhost/r ended")
    assert refusals(bob, carol) == online_errors
    chat(bob, bare("carol"), "control")  # carol is offline too: this one is kept
    quiet_sender(bob)
    assert login_messages(srv, "alice", "r2") == []
    assert bodies(login_messages(srv, "carol")) == ["control"]


def refusals(*senders):
    """Each sender chats to alice and gets an error: its condition, per sender."""
    conds = []
    for p in senders:
        sid = chat(p, bare("alice"), "from " + p.jid)
        err = p.wait_for(lambda s: s.get("id") == sid, "error for " + sid)
        assert err.get("type") == "error", dump(err)
        conds.append(error_condition(err))
    return conds


def test_negative_priority_only_counts_as_offline(srv):
    alice = peer(srv, "alice", "away", presence=-1)
    bob = peer(srv, "bob")
    chat(bob, bare("alice"), "for later")
    quiet_sender(bob)
    alice.quiet("a negative-priority resource gets no bare-JID message")
    got = login_messages(srv, "alice", "desk", priority=1)
    assert bodies(got) == ["for later"]
    assert got[0].find(DELAY).get("from") == DOMAIN


def test_disco_lists_msgoffline(srv):
    bob = peer(srv, "bob")
    st = bob.request("<iq type='get' id='{id}' to='%s'><query xmlns="
                     "'http://jabber.org/protocol/disco#info'/></iq>" % DOMAIN)
    feats = [f.get("var") for f in st.iter("{http://jabber.org/protocol/disco#info}feature")]
    assert "msgoffline" in feats, dump(st)


# ---- a 1,000-message flush -------------------------------------------------------------------


def fill(server, n, size):
    """bob stores n messages 'k:<padding>' (k = 1..n, about size bytes each) for alice."""
    bob = peer(server, "bob")
    pad = "x" * size
    for k in range(1, n + 1):
        chat(bob, bare("alice"), "%d:%s" % (k, pad))
    quiet_sender(bob)  # the ping answer comes after every message was routed
    return bob


def numbers(stanzas):
    return [int(b.split(":")[0]) for b in bodies(stanzas)]


def slow_peer(server, user, resource):
    """A logged-in peer with a small receive buffer, so that what it does not read backs up
    into the server rather than into the kernel."""
    p = peer(server, user, resource)
    p.raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    return p


def abort(p):
    """Resets p's connection (RST): whatever the kernel holds for it is thrown away."""
    p.raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    p.raw.close()


def read_messages(p, n, timeout=60):
    """Reads until n messages came (other stanzas are left out)."""
    got, deadline = [], time.monotonic() + timeout
    while len(got) < n:
        st = p.next(max(0.05, deadline - time.monotonic()))
        if st.tag == C + "message":
            got.append(st)
    return got


def test_live_messages_come_after_the_stored_ones(server_factory):
    """alice does not read while her 1,000 stored messages (8 MB) are sent: the flush waits
    on her, bob's live messages meanwhile are held and come after the stored ones."""
    srv = start(server_factory, **FAST)
    alice, bob = peer(srv, "alice", presence=0), peer(srv, "bob", presence=0)
    alice.roster()
    bob.roster()
    subscribe_both(alice, bob)  # bob will see when alice is available again
    alice.close()
    wait_log(srv, "session alice@localhost/r ended")
    bob.close()
    bob = fill(srv, 1000, 8000)
    bob.roster()
    bob.available(0)
    alice = slow_peer(srv, "alice", "r2")
    alice.send("<presence/>")
    bob.wait_presence(alice.jid)
    for k in range(1, 6):
        chat(bob, alice.jid if k % 2 else bare("alice"), "live-%d" % k)
    quiet_sender(bob)  # routed (and held) while the flush waits for alice
    alice.raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)  # now read fast
    got = read_messages(alice, 1005)
    assert numbers(got[:1000]) == list(range(1, 1001))
    assert all(s.find(DELAY) is not None for s in got[:1000])
    assert bodies(got[1000:]) == ["live-%d" % k for k in range(1, 6)]
    assert all(s.find(DELAY) is None for s in got[1000:])


def test_many_live_messages_during_a_stalled_flush_keep_their_order(server_factory):
    """alice stops reading mid-flush while bob sends her 300 live messages: more than the
    server holds in memory for her, the rest join the stored ones; all come in order."""
    srv = start(server_factory, **FAST)
    bob = fill(srv, 1000, 8000)
    alice = slow_peer(srv, "alice", "r")
    alice.send("<presence/>")
    assert numbers(read_messages(alice, 1)) == [1]  # the flush runs, and waits for her
    for k in range(1, 301):
        chat(bob, bare("alice"), "live-%d" % k)
    quiet_sender(bob)
    alice.raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    got = read_messages(alice, 1299)
    assert numbers(got[:999]) == list(range(2, 1001))
    assert bodies(got[999:]) == ["live-%d" % k for k in range(1, 301)]
    alice.quiet("each once")


def test_other_session_served_during_flush(server_factory):
    """While alice's 1,000 stored messages go out, carol's pings are answered promptly."""
    srv = start(server_factory, **FAST)
    fill(srv, 1000, 1000)
    carol = peer(srv, "carol", presence=0)
    alice = peer(srv, "alice")
    done, rtts = threading.Event(), []

    def pinger():
        while not done.is_set():
            t0 = time.monotonic()
            carol.sync()
            rtts.append(time.monotonic() - t0)

    th = threading.Thread(target=pinger)
    # The server's latency is measured, not this process's: a collection of the suite's
    # whole heap could stall the pinger for tens of milliseconds.
    gc.disable()
    t0 = time.monotonic()
    alice.send("<presence/>")
    th.start()
    try:
        got = read_messages(alice, 1000)
    finally:
        flush = time.monotonic() - t0
        done.set()
        th.join(TIMEOUT)
        gc.enable()
    assert numbers(got) == list(range(1, 1001))
    # sent in one go, the flush would keep carol waiting about as long as it lasts
    assert len(rtts) >= 3, (flush, rtts)
    assert max(rtts) < flush / 4, "carol waited %.3f s of a %.3f s flush" % (max(rtts), flush)


def test_rows_kept_when_client_aborts_before_reading(server_factory):
    """alice reads the first stored message, stops reading and resets the connection: what the
    server could not write to her socket is not deleted, and comes at the next login with the
    live message that was held for her meanwhile."""
    srv = start(server_factory, **FAST)
    bob = fill(srv, 1000, 8000)
    alice = slow_peer(srv, "alice", "r1")
    alice.send("<presence/>")
    assert numbers(read_messages(alice, 1)) == [1]  # the flush runs, and waits for her
    chat(bob, bare("alice"), "live")
    quiet_sender(bob)  # held for alice behind the stored ones
    abort(alice)
    wait_log(srv, "session alice@localhost/r1 ended")
    again = peer(srv, "alice", "r2")
    again.send("<presence/>")
    got = []
    while not got or got[-1].findtext(C + "body") != "live":
        got += read_messages(again, 1)
    nums = numbers(got[:-1])
    assert nums == list(range(nums[0], 1001)), nums[:5]
    # rows go only once written: past the first slice, only what fitted in the kernel's
    # buffers (some hundred kilobytes) may be gone
    assert nums[0] <= 500, nums[:5]
    assert got[-1].find(DELAY) is not None  # kept when her session ended
    again.quiet("nothing more")
    again.close()


def test_unacked_under_stream_management_comes_again_once(srv):
    """Under stream management a slice is delivered once acknowledged: alice enables it and
    reads two slices without acking (the rest waits for her acks), then resets the
    connection; at the next login every stored message comes once, in order, with the delay
    of when it was first kept."""
    bob = fill(srv, 120, 10)
    alice = peer(srv, "alice", "sm")
    alice.send("<enable xmlns='urn:xmpp:sm:3'/>")
    alice.wait_for(lambda s: s.tag == "{urn:xmpp:sm:3}enabled", "enabled")
    alice.send("<presence/>")
    first = read_messages(alice, 100)
    assert numbers(first) == list(range(1, 101))
    stamps = [s.find(DELAY).get("stamp") for s in first]
    abort(alice)
    wait_log(srv, "session alice@localhost/sm ended")
    bob.sync()
    plain = peer(srv, "alice", "plain")
    plain.send("<presence/>")
    got = read_messages(plain, 120)
    plain.quiet("each once")
    plain.close()
    assert numbers(got) == list(range(1, 121))
    assert [len(s.findall(DELAY)) for s in got] == [1] * 120
    assert [s.find(DELAY).get("stamp") for s in got[:100]] == stamps
    wait_log(srv, "session alice@localhost/plain ended")
    assert login_messages(srv, "alice", "again") == []  # written to its socket: delivered


def test_slixmpp_with_stream_management_gets_every_slice(srv):
    """A client that acknowledges when asked (slixmpp's XEP-0198) gets all 300 stored messages:
    the server asks for acks, so the flush, which waits for them, goes on to the end."""
    bob = fill(srv, 300, 10)

    async def go():
        alice = await online_with(srv, "alice", presence=False, plugins=("xep_0198",))
        enabled = asyncio.get_event_loop().create_future()
        alice.add_event_handler("sm_enabled", lambda _: enabled.done() or enabled.set_result(1))
        await asyncio.wait_for(enabled, TIMEOUT)
        alice.send_presence()
        got = [await alice.next_message() for _ in range(300)]
        assert [int(m["body"].split(":")[0]) for m in got] == list(range(1, 301))
        await offline(alice)

    run(go())
    wait_log(srv, "session alice@localhost/sx ended")
    # The flush keeps two slices ahead of the acks: slices up to 200 were acknowledged (and
    # deleted) before the last went out. What she had not acknowledged when she left comes
    # again, in order.
    alice = peer(srv, "alice", "again")
    alice.send("<presence/>")
    chat(bob, bare("alice"), "0:marker")  # held, or kept: either way after what is stored
    got = read_messages(alice, 1)
    while bodies(got)[-1] != "0:marker":
        got += read_messages(alice, 1)
    rest = numbers(got[:-1])
    assert not rest or rest == list(range(rest[0], 301)), rest
    assert not rest or rest[0] > 200, rest[:3]
    alice.close()


def test_wal_checkpoints_beside_a_busy_server(server_factory):
    """Every 8 MiB of WAL the store's own thread copies it into the database file while the
    server goes on committing: the file grows while the server runs, the WAL is reused rather
    than growing with all that was written (some 35 MB here), and every message is kept."""
    srv = start(server_factory, offline={"max_messages": 5000}, **FAST)
    a = peer(srv, "alice")
    n, body = 1500, "w" * 8000
    for i in range(n):
        send(a, bare("bob"), "<body>%s %d</body>" % (body, i))
    st = a.request("<iq type='get' id='{id}'><ping xmlns='urn:xmpp:ping'/></iq>")
    assert st.get("type") == "result", dump(st)  # all routed and stored before this
    db = os.path.join(srv.data, "parley.db")
    deadline = time.monotonic() + 20
    while os.path.getsize(db) < 8 << 20 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert os.path.getsize(db) >= 8 << 20, "no checkpoint copied the WAL while the server ran"
    assert os.path.getsize(db + "-wal") < 24 << 20, "the WAL was not reused"
    a.close()
    srv.stop()
    con = sqlite3.connect(db)
    try:
        kept = con.execute("SELECT count(*) FROM offline_messages WHERE owner = ?",
                           (bare("bob"),)).fetchone()[0]
    finally:
        con.close()
    assert kept == n


def big_roster(server, owner, n):
    """n contacts in owner's roster, written straight into the store (server stopped), with
    long names: a roster result of several megabytes, sent in slices as the reader reads."""
    server.stop()
    db = sqlite3.connect(os.path.join(server.data, "parley.db"))
    db.executemany("INSERT INTO roster_items (owner, contact, name, groups, state, in_roster,"
                   " status) VALUES (?, ?, ?, ?, 3, 1, NULL)",
                   [(bare(owner), "c%d@localhost" % i, "Contact %d %s" % (i, "n" * 60),
                     "Group %d" % (i % 10)) for i in range(n)])
    db.commit()
    db.close()
    server.start()


def stored_for(server, owner):
    db = sqlite3.connect(os.path.join(server.data, "parley.db"))
    try:
        return db.execute("SELECT count(*) FROM offline_messages WHERE owner = ?",
                          (bare(owner),)).fetchone()[0]
    finally:
        db.close()


def test_messages_behind_a_roster_in_slices_stay_stored_until_written(server_factory):
    """A client asks for a roster of megabytes and sends its initial presence, then reads
    nothing: the offline messages wait behind the roster's slices, and none may leave the
    store while it has not been written to the socket, however much of the roster was."""
    srv = start(server_factory, roster={"max_items": 100000, "max_bytes": 64 << 20}, **FAST)
    fill(srv, 5, 100)
    big_roster(srv, "alice", 70000)  # ~7 MB: more than the kernel's socket buffers hold
    alice = RosterPeer(srv, "alice", "slow")
    alice.raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    alice.send("<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq><presence/>")
    time.sleep(3)  # the roster's slices fill every buffer on the way; the flush waits behind
    assert stored_for(srv, "alice") == 5
    alice.close()  # gone before reading: the messages are still there for the next login
    again = peer(srv, "alice", "again")
    again.send("<presence/>")
    assert len(read_messages(again, 5)) == 5
