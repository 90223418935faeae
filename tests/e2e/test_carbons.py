# SPDX-License-Identifier: MIT
"""XEP-0280 Message Carbons: enable/disable per resource, received and sent copies wrapped in
XEP-0297 <forwarded/>, eligibility (§6), the private and no-copy hints, no copy back to the
sending resource, no copy of a blocked sender's message, and enable before bind refused."""
import asyncio
import base64
import itertools
import re

from roster_helpers import C, bare, dump, error_condition, peers  # noqa: F401
from xmpp_helpers import TIMEOUT, Raw, offline, online, run

CB = "{urn:xmpp:carbons:2}"
FW = "{urn:xmpp:forward:0}"
_ids = itertools.count(1)


def carbons(peer, verb="enable"):
    st = peer.request("<iq type='set' id='{id}'><%s xmlns='urn:xmpp:carbons:2'/></iq>" % verb)
    assert st.get("type") == "result", dump(st)


def send(frm, to, inner, typ="chat"):
    """Sends a message; returns its id."""
    t = "" if typ is None else " type='%s'" % typ
    mid = "c%d" % next(_ids)
    frm.send("<message to='%s'%s id='%s'>%s</message>" % (to, t, mid, inner))
    return mid


def copies(peer, direction):
    """The carbon copies (received or sent) that reached peer so far: their inner messages."""
    out = []
    for st in peer.drain():
        w = st.find(CB + direction)
        if st.tag == C + "message" and w is not None:
            assert st.get("from") == peer.jid.split("/")[0], dump(st)
            assert st.get("to") == peer.jid, dump(st)
            out.append(w.find(FW + "forwarded").find(C + "message"))
    return out


def wait_copy(peer, direction, what):
    """Waits for the next carbon copy in direction; returns its inner message."""
    st = peer.wait_for(lambda s: s.find(CB + direction) is not None, what)
    assert st.get("from") == peer.jid.split("/")[0] and st.get("to") == peer.jid, dump(st)
    return st.find(CB + direction).find(FW + "forwarded").find(C + "message")


def body_of(st):
    return st.findtext(C + "body")


def two_alices(peers, enable=(True, True)):
    a1, a2 = peers("alice", "one", presence=1), peers("alice", "two", presence=0)
    for p, on in zip((a1, a2), enable):
        if on:
            carbons(p)
    return a1, a2


def test_server_advertises_carbons(peers):
    a = peers("alice")
    st = a.request("<iq type='get' to='localhost' id='{id}'>"
                   "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
    feats = [f.get("var") for f in st.iter("{http://jabber.org/protocol/disco#info}feature")]
    assert "urn:xmpp:carbons:2" in feats


def test_received_copy_to_other_resource(peers):
    a1, a2 = two_alices(peers)
    b = peers("bob", presence=0)
    send(b, a1.jid, "<body>to one</body>")
    got = a1.wait_for(lambda s: body_of(s) == "to one", "the message")
    assert got.find(CB + "received") is None and got.get("from") == b.jid
    inner = wait_copy(a2, "received", "received copy")
    assert (inner.get("from"), inner.get("to"), body_of(inner)) == (b.jid, a1.jid, "to one")
    # to the bare JID: the highest priority resource gets it, the other a copy
    send(b, bare("alice"), "<body>to bare</body>")
    a1.wait_for(lambda s: body_of(s) == "to bare", "the message")
    assert body_of(wait_copy(a2, "received", "received copy")) == "to bare"
    assert copies(a1, "received") == [] and copies(a2, "received") == []


def test_sent_copy_not_back_to_sender(peers):
    a1, a2 = two_alices(peers)
    b = peers("bob", presence=0)
    send(a1, b.jid, "<body>from one</body>")
    b.wait_for(lambda s: body_of(s) == "from one", "the message")
    inner = wait_copy(a2, "sent", "sent copy")
    assert (inner.get("from"), inner.get("to"), body_of(inner)) == (a1.jid, b.jid, "from one")
    assert [dump(s) for s in a1.drain() if s.tag == C + "message"] == []
    assert copies(b, "received") == [] and copies(b, "sent") == []


def test_eligibility(peers):
    """§6: chat, normal with a body, and receipts/markers/chat states; not headline,
    groupchat, errors, <private/>, <no-copy/>, MUC private messages or carbons."""
    a1, a2 = two_alices(peers)
    b = peers("bob", presence=0)
    cases = [
        ("chat", "<body>1</body>", True),
        ("normal", "<body>2</body>", True),
        (None, "<body>3</body>", True),
        ("normal", "<subject-less xmlns='urn:example'/>", False),
        ("chat", "<composing xmlns='http://jabber.org/protocol/chatstates'/>", True),
        ("normal", "<received xmlns='urn:xmpp:receipts' id='x'/>", True),
        ("normal", "<displayed xmlns='urn:xmpp:chat-markers:0' id='x'/>", True),
        ("headline", "<body>4</body>", False),
        ("groupchat", "<body>5</body>", False),
        ("chat", "<body>6</body><private xmlns='urn:xmpp:carbons:2'/>", False),
        ("chat", "<body>7</body><no-copy xmlns='urn:xmpp:hints'/>", False),
        ("chat", "<body>8</body><x xmlns='http://jabber.org/protocol/muc#user'/>", False),
    ]
    for i, (typ, inner, copied) in enumerate(cases):
        mid = send(b, a1.jid, inner, typ)
        a1.wait_for(lambda s: s.tag == C + "message" and s.get("id") == mid, "case %d" % i)
        a1.drain()
        got = copies(a2, "received")
        assert len(got) == (1 if copied else 0), (i, [dump(g) for g in got])


def test_private_hint_both_ways(peers):
    a1, a2 = two_alices(peers)
    b = peers("bob", presence=0)
    send(a1, b.jid, "<body>secret</body><private xmlns='urn:xmpp:carbons:2'/>")
    got = b.wait_for(lambda s: body_of(s) == "secret", "the private message")
    # §7: the server strips <private/> from what it delivers
    assert got.find(CB + "private") is None, dump(got)
    send(b, a1.jid, "<body>psst</body><private xmlns='urn:xmpp:carbons:2'/>")
    a1.wait_for(lambda s: body_of(s) == "psst", "the private answer")
    send(b, a1.jid, "<body>public</body>")
    a1.wait_for(lambda s: body_of(s) == "public", "a public message")
    assert body_of(wait_copy(a2, "received", "the public copy")) == "public"
    assert copies(a2, "received") == [] and copies(a2, "sent") == []


def test_not_enabled_and_disable(peers):
    a1, a2 = two_alices(peers, enable=(True, False))
    b = peers("bob", presence=0)
    send(b, a1.jid, "<body>one</body>")
    a1.wait_for(lambda s: body_of(s) == "one", "message one")
    assert copies(a2, "received") == []          # two never enabled
    carbons(a2)
    send(b, a1.jid, "<body>two</body>")
    assert body_of(wait_copy(a2, "received", "copy of two")) == "two"
    carbons(a2, "disable")
    send(b, a1.jid, "<body>three</body>")
    send(a1, b.jid, "<body>four</body>")
    b.wait_for(lambda s: body_of(s) == "four", "message four")
    a1.wait_for(lambda s: body_of(s) == "three", "message three")
    assert copies(a2, "received") == [] and copies(a2, "sent") == []


def test_bad_requests(peers):
    a = peers("alice")
    peers("bob")
    st = a.request("<iq type='get' id='{id}'><enable xmlns='urn:xmpp:carbons:2'/></iq>")
    assert error_condition(st) == "service-unavailable", dump(st)
    st = a.request("<iq type='set' id='{id}'><other xmlns='urn:xmpp:carbons:2'/></iq>")
    assert error_condition(st) == "bad-request", dump(st)
    st = a.request("<iq type='set' to='bob@localhost' id='{id}'>"
                   "<enable xmlns='urn:xmpp:carbons:2'/></iq>")
    assert error_condition(st) == "forbidden", dump(st)


def test_blocked_sender_not_copied(peers):
    a1, a2 = two_alices(peers)
    b, c = peers("bob", presence=0), peers("carol", presence=0)
    st = a1.request("<iq type='set' id='{id}'><block xmlns='urn:xmpp:blocking'>"
                    "<item jid='bob@localhost'/></block></iq>")
    assert st.get("type") == "result", dump(st)
    a1.drain()
    a2.drain()
    send(b, a1.jid, "<body>blocked</body>")
    b.wait_for(lambda s: s.get("type") == "error", "the refusal")
    send(c, a1.jid, "<body>allowed</body>")
    a1.wait_for(lambda s: body_of(s) == "allowed", "carol's message")
    assert body_of(wait_copy(a2, "received", "copy of carol's")) == "allowed"
    assert copies(a2, "received") == []
    assert [body_of(s) for s in a1.drain() if s.tag == C + "message"] == []


def test_enable_before_bind_refused(server, peers):
    """RFC 6120 §7.1: nothing but binding before a resource is bound (stream error
    not-authorized); the same request once bound is accepted."""
    server.adduser("dave", "pw-dave")
    r = Raw(server.port)
    try:
        r.starttls()
        r.open_stream()
        token = base64.b64encode(b"\0dave\0pw-dave").decode()
        r.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>"
               % token)
        r.read_until(b"<success")
        r.buf = b""
        r.open_stream()
        r.send("<iq type='set' id='e1'><enable xmlns='urn:xmpp:carbons:2'/></iq>")
        data = r.read_all()
        assert re.search(rb"<stream:error><not-authorized", data), data
        assert b"<iq" not in data, data
    finally:
        r.close()
    d = peers("dave")
    carbons(d)


def test_slixmpp_carbons_both_ways(server):
    for u in ("alice", "bob"):
        server.adduser(u, "pw-" + u)

    async def go():
        a1 = await online(server, "alice", "pw-alice", "one", priority=1)
        a2 = await online(server, "alice", "pw-alice", "two", priority=0)
        b = await online(server, "bob", "pw-bob", "desk")
        got = {"received": asyncio.Queue(), "sent": asyncio.Queue()}
        for c in (a1, a2):
            c.register_plugin("xep_0280")
            await c["xep_0280"].enable(timeout=TIMEOUT)
        a2.add_event_handler("carbon_received", lambda m: got["received"].put_nowait(m))
        a2.add_event_handler("carbon_sent", lambda m: got["sent"].put_nowait(m))
        b.send_message(mto=a1.boundjid, mbody="to one", mtype="chat")
        m = await asyncio.wait_for(got["received"].get(), TIMEOUT)
        inner = m["carbon_received"]
        assert (str(inner["from"]), str(inner["to"]), inner["body"]) == \
            (str(b.boundjid), str(a1.boundjid), "to one")
        a1.send_message(mto=b.boundjid, mbody="from one", mtype="chat")
        m = await asyncio.wait_for(got["sent"].get(), TIMEOUT)
        inner = m["carbon_sent"]
        assert (str(inner["from"]), str(inner["to"]), inner["body"]) == \
            (str(a1.boundjid), str(b.boundjid), "from one")
        reply = await asyncio.wait_for(b.next_message(), TIMEOUT)
        assert reply["body"] == "from one"
        await offline(a1, a2, b)

    run(go())
