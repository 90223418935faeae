# SPDX-License-Identifier: MIT
"""XEP-0352 Client State Indication: <csi/> in the stream features, <inactive/> holds presence
updates (the newest per contact resource) and chat-state-only messages (the newest per
sender), and everything held goes out, in order, before the next important stanza or when the
client turns <active/>."""
import asyncio
import re

from roster_helpers import C, RosterPeer, bare, dump, peers  # noqa: F401
from xmpp_helpers import TIMEOUT, Client, Raw, offline, online, run

CS = "http://jabber.org/protocol/chatstates"
INACTIVE = "<inactive xmlns='urn:xmpp:csi:0'/>"
ACTIVE = "<active xmlns='urn:xmpp:csi:0'/>"


def features_after_auth(server, user):
    r = Raw(server.port)
    try:
        return r.authenticate(user, "pw-" + user)
    finally:
        r.close()


def test_csi_feature_after_auth(server, peers):
    feats = features_after_auth(server, "alice")
    assert re.search(rb"<csi xmlns=['\"]urn:xmpp:csi:0['\"]\s*/>", feats), feats


def presence(frm, to, show):
    frm.send("<presence to='%s'><show>%s</show></presence>" % (to, show))


def chat_state(frm, to, state):
    frm.send("<message to='%s' type='chat'><%s xmlns='%s'/></message>" % (to, state, CS))


def what(st):
    """A short name for a stanza: who sent it and what it carries."""
    frm = st.get("from", "").split("@")[0]
    if st.tag == C + "presence":
        return "%s:%s" % (frm, st.findtext(C + "show"))
    if st.find(C + "body") is not None:
        return "%s:body=%s" % (frm, st.findtext(C + "body"))
    return "%s:%s" % (frm, ",".join(c.tag.split("}")[1] for c in st))


def until(peer, pred, why):
    """Everything peer receives up to and including the first stanza matching pred."""
    got = []
    peer.wait_for(lambda s: got.append(s) or pred(s), why)
    peer.queue[:] = [s for s in peer.queue if s not in got]
    return [what(s) for s in got if s.tag != C + "iq"]


def inactive_with_contacts(peers):
    a = peers("alice", presence=0)
    b, c = peers("bob", presence=0), peers("carol", presence=0)
    a.send(INACTIVE)
    assert a.sync() == []  # processed, in order, before anything below is sent
    return a, b, c


def test_holds_presence_and_chat_states_until_a_body(peers):
    a, b, c = inactive_with_contacts(peers)
    presence(b, a.jid, "away")
    presence(b, a.jid, "dnd")
    chat_state(b, a.jid, "composing")
    presence(c, a.jid, "away")
    presence(b, a.jid, "xa")
    chat_state(b, a.jid, "paused")
    assert b.sync() == [] and c.sync() == []
    b.send("<message to='%s' type='chat'><body>wake up</body></message>" % a.jid)
    got = until(a, lambda s: s.findtext(C + "body") == "wake up", "the message")
    # each contact resource's newest presence and the newest chat state, in arrival order
    assert got == ["carol:away", "bob:xa", "bob:paused", "bob:body=wake up"], got


def test_active_flushes_and_stops_holding(peers):
    a, b, c = inactive_with_contacts(peers)
    presence(b, a.jid, "away")
    chat_state(b, a.jid, "composing")
    assert b.sync() == []
    a.send(ACTIVE)
    got = [what(s) for s in a.sync()]
    assert got == ["bob:away", "bob:composing"], got
    presence(c, a.jid, "dnd")  # active again: goes out at once
    assert what(a.wait_for(lambda s: s.tag == C + "presence", "carol's presence")) == "carol:dnd"


def test_receipt_and_subscription_request_flush(peers):
    a, b, c = inactive_with_contacts(peers)
    presence(c, a.jid, "away")
    assert c.sync() == []  # carol's presence is in before bob's receipt
    b.send("<message to='%s'><received xmlns='urn:xmpp:receipts' id='x1'/></message>" % a.jid)
    got = until(a, lambda s: s.find("{urn:xmpp:receipts}received") is not None, "the receipt")
    assert got == ["carol:away", "bob:received"], got
    presence(c, a.jid, "xa")
    assert c.sync() == []
    b.send("<presence to='%s' type='subscribe'/>" % bare("alice"))
    got = until(a, lambda s: s.get("type") == "subscribe", "the subscription request")
    assert got[0] == "carol:xa", got


def test_carbon_copies_of_chat_states_wait_too(peers):
    """An inactive phone with carbons on: the copies of a contact's typing to another device
    wait (the newest only), the copy of a message with a body goes out after them."""
    phone, desk = peers("alice", "phone", presence=0), peers("alice", "desk", presence=1)
    b = peers("bob", presence=0)
    for p in (phone, desk):
        st = p.request("<iq type='set' id='{id}'><enable xmlns='urn:xmpp:carbons:2'/></iq>")
        assert st.get("type") == "result", dump(st)
    phone.send(INACTIVE)
    phone.drain()  # <inactive/> is in (and the desk's presence is out of the way)
    chat_state(b, desk.jid, "composing")
    chat_state(b, desk.jid, "paused")
    b.send("<message to='%s' type='chat'><body>hi desk</body></message>" % desk.jid)
    desk.wait_for(lambda s: s.findtext(C + "body") == "hi desk", "the message")
    fwd = "{urn:xmpp:carbons:2}received/{urn:xmpp:forward:0}forwarded/" + C + "message"
    got = []
    phone.wait_for(lambda s: got.append(s) or s.findtext(fwd + "/" + C + "body") == "hi desk",
                   "its copy")
    inner = [what(s.find(fwd)) if s.find(fwd) is not None else what(s) for s in got]
    assert inner == ["bob:paused", "bob:body=hi desk"], inner


def test_full_queue_goes_out(server_factory):
    """[csi] max_held bounds what waits: one more that replaces nothing sends it all."""
    server = server_factory(csi={"max_held": 2})
    for u in ("alice", "bob", "carol"):
        server.adduser(u, "pw-" + u)
    a = RosterPeer(server, "alice", "r", presence=0)
    b1, b2, c = (RosterPeer(server, u, r, presence=0)
                 for u, r in (("bob", "one"), ("bob", "two"), ("carol", "r")))
    try:
        a.send(INACTIVE)
        assert a.sync() == []
        for p, show in ((b1, "away"), (c, "dnd"), (b1, "xa")):
            presence(p, a.jid, show)
            p.sync()  # in, in this order
        presence(b2, a.jid, "chat")
        got = until(a, lambda s: s.get("from") == b2.jid, "bob/two's presence")
        assert got == ["carol:dnd", "bob:xa", "bob:chat"], got
    finally:
        for p in (a, b1, b2, c):
            p.close()


def test_unknown_top_level_element_still_refused(peers):
    a = peers("alice")
    a.send("<whatever xmlns='urn:example:unknown'/>")
    data = a.raw.read_all()
    assert re.search(rb"<stream:error><unsupported-stanza-type", data), data


def test_slixmpp_csi(server):
    """slixmpp's XEP-0352 plugin sees <csi/> and its inactive client gets only the newest
    presence of a contact, right before the next message."""
    for u in ("alice", "bob"):
        server.adduser(u, "pw-" + u)

    async def go():
        a = Client("alice@localhost/phone", "pw-alice")
        a.register_plugin("xep_0352")
        a.register_plugin("xep_0199")
        a.connect(("127.0.0.1", server.port))
        await asyncio.wait_for(a.started, TIMEOUT)
        assert a["xep_0352"].enabled, "no <csi/> among the stream features"
        a.send_presence()
        b = await online(server, "bob", "pw-bob", "desk")
        a["xep_0352"].send_inactive()
        await a["xep_0199"].ping(jid="localhost", timeout=TIMEOUT)  # <inactive/> is in
        for show in ("away", "dnd", "xa"):
            b.send_presence(pto=a.boundjid, pshow=show)
        b.send_message(mto=a.boundjid, mbody="wake up", mtype="chat")
        m = await asyncio.wait_for(a.next_message(), TIMEOUT)
        assert m["body"] == "wake up"
        shows = []
        while not a.presences.empty():
            p = a.presences.get_nowait()
            if p["from"] == b.boundjid:
                shows.append(p["show"])
        assert shows == ["xa"], shows
        await offline(a, b)

    run(go())
