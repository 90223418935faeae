# SPDX-License-Identifier: MIT
"""RFC 6121 §3-4: subscriptions, broadcast, probes, directed presence, offline requests."""
import asyncio
import calendar
import time

from roster_helpers import C, bare, dump, item_state, peers, subscribe_both  # noqa: F401
from test_blocking import block, wait_block_push
from xmpp_helpers import TIMEOUT, offline, online, run

DELAY = "{urn:xmpp:delay}delay"


def is_sub(ptype, frm):
    return lambda st: st.tag == C + "presence" and st.get("type") == ptype and \
        st.get("from") == frm


def test_mutual_subscription(peers):
    a = peers("alice", "desk", presence=0)
    b = peers("bob", "desk", presence=0)
    a.pres(bare("bob"), "subscribe", status="hi, it's Alice")
    _, item = a.wait_push(bare("bob"))
    assert item_state(item) == ("none", "subscribe")
    req = b.wait_for(is_sub("subscribe", bare("alice")), "subscribe")
    assert req.findtext(C + "status") == "hi, it's Alice"
    b.pres(bare("alice"), "subscribed")
    _, item = b.wait_push(bare("alice"))
    assert item_state(item) == ("from", None)
    a.wait_for(is_sub("subscribed", bare("bob")), "subscribed")
    _, item = a.wait_push(bare("bob"))
    assert item_state(item) == ("to", None)
    a.wait_presence(b.jid)  # Bob's presence follows the approval
    # And back: Bob subscribes to Alice.
    b.pres(bare("alice"), "subscribe")
    a.wait_for(is_sub("subscribe", bare("bob")), "subscribe")
    a.pres(bare("bob"), "subscribed")
    b.wait_for(is_sub("subscribed", bare("alice")), "subscribed")
    b.wait_presence(a.jid)
    for p, other in ((a, "bob"), (b, "alice")):
        _, items = p.roster()
        assert item_state(items[bare(other)]) == ("both", None), dump(items[bare(other)])


def test_broadcast_and_unavailable_on_disconnect(peers):
    a = peers("alice", "desk", presence=0)
    b = peers("bob", "desk", presence=0)
    c = peers("carol", "desk", presence=0)
    subscribe_both(a, b)
    a.send("<presence><show>away</show><status>lunch</status></presence>")
    st = b.wait_presence(a.jid)
    assert st.findtext(C + "show") == "away" and st.get("to") == bare("bob"), dump(st)
    a.close()
    b.wait_presence(a.jid, "unavailable")
    c.quiet("carol has no subscription: she sees nothing")


def test_explicit_unavailable_reaches_subscribers(peers):
    a = peers("alice", "desk", presence=0)
    b = peers("bob", "desk", presence=0)
    subscribe_both(a, b)
    a.send("<presence type='unavailable'><status>bye</status></presence>")
    st = b.wait_presence(a.jid, "unavailable")
    assert st.findtext(C + "status") == "bye"


def test_probe_at_login(peers):
    a = peers("alice", "desk", presence=0)
    b = peers("bob", "desk", presence=0)
    subscribe_both(a, b)
    b.send("<presence><show>dnd</show></presence>")
    a.wait_presence(b.jid)
    a2 = peers("alice", "phone")
    a2.send("<presence/>")
    st = a2.wait_presence(b.jid)
    assert st.findtext(C + "show") == "dnd" and st.get("to") == a2.jid, dump(st)
    b.wait_presence(a2.jid)  # and Bob hears of the new resource


def test_offline_subscription_request_delivered_at_login(peers, server):
    a = peers("alice", "desk", presence=0)
    a.pres(bare("bob"), "subscribe", status="remember me")
    a.wait_push(bare("bob"))
    server.restart()  # stored durably, not only in memory
    b = peers("bob", "desk", roster=False)
    b.send("<presence/>")
    req = b.wait_for(is_sub("subscribe", bare("alice")), "stored subscribe")
    assert req.findtext(C + "status") == "remember me"
    _, items = b.roster()
    assert bare("alice") not in items, "a pending request is not a roster item"
    b.pres(bare("alice"), "subscribed")
    _, item = b.wait_push(bare("alice"))
    assert item_state(item) == ("from", None)


def test_pre_approval(peers):
    a = peers("alice", "desk", presence=0)
    b = peers("bob", "desk", presence=0)
    b.pres(bare("alice"), "subscribed")  # RFC 6121 §3.4: approved before asked
    _, item = b.wait_push(bare("alice"))
    assert item.get("approved") == "true" and item.get("subscription") == "none"
    a.quiet("a pre-approval is not routed")
    a.pres(bare("bob"), "subscribe")
    a.wait_for(is_sub("subscribed", bare("bob")), "automatic subscribed")
    a.wait_presence(b.jid)
    _, items = b.roster()
    assert item_state(items[bare("alice")]) == ("from", None)


def test_unsubscribe_and_unsubscribed(peers):
    a = peers("alice", "desk", presence=0)
    b = peers("bob", "desk", presence=0)
    subscribe_both(a, b)
    a.pres(bare("bob"), "unsubscribe")  # Alice no longer wants Bob's presence
    b.wait_for(is_sub("unsubscribe", bare("alice")), "unsubscribe")
    a.wait_presence(b.jid, "unavailable")
    _, item = a.wait_push(bare("bob"))
    assert item_state(item) == ("from", None), dump(item)
    _, item = b.wait_push(bare("alice"))
    assert item_state(item) == ("to", None), dump(item)
    # Bob cancels a subscription Alice no longer has. RFC 6121 A.3.4: inbound "unsubscribed"
    # in state From changes nothing (Bob's subscription to Alice stays) and is not delivered.
    b.pres(bare("alice"), "unsubscribed")
    b.sync()  # Bob's stanzas are handled in order: the unsubscribed is through once this is
    a.quiet("an unsubscribed that changes nothing is neither delivered nor pushed")
    _, items = a.roster()
    assert item_state(items[bare("bob")]) == ("from", None), dump(items[bare("bob")])
    _, items = b.roster()
    assert item_state(items[bare("alice")]) == ("to", None), dump(items[bare("alice")])
    # And Bob still sees Alice's presence.
    a.send("<presence><show>away</show></presence>")
    st = b.wait_presence(a.jid)
    assert st.findtext(C + "show") == "away", dump(st)


def test_directed_presence_cleaned_up(peers):
    a = peers("alice", "desk", presence=0)
    c = peers("carol", "desk", presence=0)
    a.send("<presence to='%s'><show>chat</show></presence>" % c.jid)
    c.wait_presence(a.jid)
    a.close()
    c.wait_presence(a.jid, "unavailable")


def test_probe_of_offline_contact_answered_unavailable(peers):
    a = peers("alice", "desk", presence=0)
    b = peers("bob", "desk", presence=0)
    subscribe_both(a, b)
    b.close()
    a.wait_presence(b.jid, "unavailable")
    a2 = peers("alice", "phone")
    a2.send("<presence/>")
    a2.wait_presence(bare("bob"), "unavailable")
    a2.drain()
    a2.send("<presence to='bob@localhost' type='probe'/>")
    a2.wait_presence(bare("bob"), "unavailable")


def probe_until_offline(peer, contact, timeout=5):
    """Probes contact until the answer shows its last logout (the server notices a closed
    socket a moment after the client closed it)."""
    deadline = time.monotonic() + timeout
    while True:
        peer.send("<presence to='%s' type='probe'/>" % contact)
        st = peer.wait_presence(contact, "unavailable")
        if st.find(DELAY) is not None or time.monotonic() > deadline:
            return st
        time.sleep(0.1)


def test_probe_answer_carries_last_unavailable_presence(peers):
    """RFC 6121 §4.3.2: the unavailable presence answering a probe SHOULD be the contact's last
    unavailable presence, with a XEP-0203 stamp of when it went offline."""
    a = peers("alice", "desk", presence=0)
    b = peers("bob", "desk", presence=0)
    subscribe_both(a, b)
    gone = time.time()
    b.send("<presence type='unavailable'><status>gone fishing</status></presence>")
    a.wait_presence(b.jid, "unavailable")
    b.close()
    st = probe_until_offline(a, bare("bob"))
    for answer in (st, None):
        if answer is None:  # the probe the server sends at login
            a2 = peers("alice", "phone")
            a2.send("<presence/>")
            answer = a2.wait_presence(bare("bob"), "unavailable")
        assert answer.findtext(C + "status") == "gone fishing", dump(answer)
        delay = answer.find(DELAY)
        assert delay is not None, dump(answer)
        stamp = calendar.timegm(time.strptime(delay.get("stamp"), "%Y-%m-%dT%H:%M:%SZ"))
        assert gone - 2 <= stamp <= time.time() + 1, dump(answer)


def test_probe_without_subscription_is_ignored(peers):
    a = peers("alice", "desk", presence=0)
    peers("bob", "desk", presence=0)
    a.send("<presence to='bob@localhost' type='probe'/>")
    a.quiet("no subscription: no answer")


def test_request_to_a_blocker_still_updates_the_senders_roster(peers):
    """Privacy skips only the recipient's side of a subscription stanza (as ejabberd does):
    the sender's roster still shows its request pending."""
    a = peers("alice", "desk", presence=0)
    b = peers("bob", "desk", presence=0)
    block(b, bare("alice"))
    wait_block_push(b, "block")
    a.pres(bare("bob"), "subscribe", status="hi")
    _, item = a.wait_push(bare("bob"))
    assert item_state(item) == ("none", "subscribe"), dump(item)
    got = [st for st in b.drain() if st.tag == C + "presence"]  # (privacy pushes may come)
    assert not got, "a blocked contact's request reaches nobody: %s" % [dump(x) for x in got]
    _, items = b.roster()
    assert bare("alice") not in items
    block(b, bare("alice"), cmd="unblock")
    wait_block_push(b, "unblock")
    b2 = peers("bob", "phone", roster=False)
    b2.send("<presence/>")
    got = b2.drain()
    assert not [s for s in got if s.get("type") == "subscribe"], "the request was not kept"


def test_subscriptions_survive_restart(peers, server):
    a = peers("alice", "desk", presence=0)
    b = peers("bob", "desk", presence=0)
    subscribe_both(a, b)
    ver, _ = a.roster()
    a.close()
    b.close()
    server.restart()
    a = peers("alice", "desk", presence=0, roster=False)
    got = a.roster(ver=ver)
    assert got is None, "the version survived the restart with the roster"
    _, items = a.roster()
    assert item_state(items[bare("bob")]) == ("both", None)
    b = peers("bob", "desk", presence=0)
    a.wait_presence(b.jid)
    b.wait_for(lambda st: st.get("from") == a.jid, "alice's presence (probe at login)")


# --- The same through slixmpp, a real client library --------------------------------------

async def _slix_mutual(server):
    a = await online(server, "alice", "pw-alice", resource="slix")
    b = await online(server, "bob", "pw-bob", resource="slix")
    await a.get_roster()
    await b.get_roster()
    # slixmpp approves requests and asks back on its own (auto_authorize, auto_subscribe).
    a.send_presence_subscription(pto=bare("bob"))
    deadline = asyncio.get_event_loop().time() + TIMEOUT
    while asyncio.get_event_loop().time() < deadline:
        if a.client_roster[bare("bob")]["subscription"] == "both" and \
                b.client_roster[bare("alice")]["subscription"] == "both":
            break
        await asyncio.sleep(0.1)
    assert a.client_roster[bare("bob")]["subscription"] == "both"
    assert b.client_roster[bare("alice")]["subscription"] == "both"
    # Bob's presence reaches Alice; his disconnect too.
    while True:
        p = await asyncio.wait_for(a.presences.get(), TIMEOUT)
        if p["from"].full == b.boundjid.full and p["type"] in ("available", ""):
            break
    await offline(b)
    while True:
        p = await asyncio.wait_for(a.presences.get(), TIMEOUT)
        if p["from"].full == b.boundjid.full and p["type"] == "unavailable":
            break
    await offline(a)


def test_slixmpp_mutual_subscription_and_presence(peers, server):
    run(_slix_mutual(server))
