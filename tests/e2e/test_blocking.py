# SPDX-License-Identifier: MIT
"""XEP-0191 blocking command: blocklist, block/unblock with pushes, errors, one storage with
XEP-0016 (the blocklist is the 'Blocked contacts' privacy list), persistence."""
from roster_helpers import C, bare, dump, error_condition, peers, subscribe_both  # noqa: F401
from test_privacy import ask, bounced, chat, get_list, got_message, names, set_list, item

B = "{urn:xmpp:blocking}"
BLOCKED = "{urn:xmpp:blocking:errors}blocked"


def blocking(peer, typ, inner):
    return ask(peer, "<iq type='%s' id='{id}'>%s</iq>" % (typ, inner))


def block(peer, *jids, cmd="block"):
    items = "".join("<item jid='%s'/>" % j for j in jids)
    st = blocking(peer, "set", "<%s xmlns='urn:xmpp:blocking'>%s</%s>" % (cmd, items, cmd))
    assert st.get("type") == "result", dump(st)


def blocklist(peer):
    st = blocking(peer, "get", "<blocklist xmlns='urn:xmpp:blocking'/>")
    assert st.get("type") == "result", dump(st)
    return sorted(i.get("jid") for i in st.find(B + "blocklist").findall(B + "item"))


def wait_block_push(peer, cmd):
    st = peer.wait_for(lambda s: s.tag == C + "iq" and s.get("type") == "set" and
                       s.find(B + cmd) is not None, cmd + " push")
    peer.send("<iq type='result' id='%s'/>" % st.get("id"))
    return sorted(i.get("jid") for i in st.find(B + cmd).findall(B + "item"))


def test_block_unblock_with_pushes(peers):
    a1, a2 = peers("alice", "one"), peers("alice", "two")
    assert blocklist(a1) == []
    block(a1, "bob@localhost", "Carol@LOCALHOST")
    for p in (a1, a2):
        assert wait_block_push(p, "block") == ["bob@localhost", "carol@localhost"]
    assert blocklist(a2) == ["bob@localhost", "carol@localhost"]
    # the same storage, seen through XEP-0016
    assert "Blocked contacts" in names(a1)[2]
    items = get_list(a1, "Blocked contacts")
    assert sorted(i.get("value") for i in items) == ["bob@localhost", "carol@localhost"]
    assert all(i.get("action") == "deny" and len(i) == 0 for i in items)
    block(a1, "bob@localhost", cmd="unblock")
    for p in (a1, a2):
        assert wait_block_push(p, "unblock") == ["bob@localhost"]
    assert blocklist(a1) == ["carol@localhost"]
    block(a2, cmd="unblock")  # no items: unblock everyone
    for p in (a1, a2):
        assert wait_block_push(p, "unblock") == []
    assert blocklist(a1) == []


def test_blocked_contact_both_ways(peers):
    a, b, c = peers("alice", presence=0), peers("bob", presence=0), peers("carol", presence=0)
    block(a, "bob@localhost")
    chat(a, bare("bob"), "to a blocked contact")
    st = bounced(a, "not-acceptable")
    assert st.find(C + "error/" + BLOCKED) is not None, dump(st)
    chat(b, bare("alice"), "from a blocked contact")
    st = bounced(b, "service-unavailable")
    assert st.find(C + "error/" + BLOCKED) is None, dump(st)  # nothing tells bob he is blocked
    st = ask(b, "<iq type='get' to='%s' id='{id}'><ping xmlns='urn:xmpp:ping'/></iq>" % a.jid)
    assert error_condition(st) == "service-unavailable", dump(st)
    chat(c, bare("alice"), "carol is fine")
    got_message(a, bare("carol"), "carol is fine")
    block(a, "bob@localhost", cmd="unblock")
    chat(b, bare("alice"), "friends again")
    got_message(a, bare("bob"), "friends again")


def test_blocked_presence_invisible(peers):
    a, b = peers("alice", presence=0), peers("bob", presence=0)
    block(a, "bob@localhost")
    a.drain()
    b.drain()
    a.send("<presence to='%s'/>" % b.jid)
    b.send("<presence to='%s'/>" % a.jid)
    b.send("<presence type='probe' to='%s'/>" % bare("alice"))
    b.pres(bare("alice"), "subscribe")
    a.sync()
    b.sync()
    assert not [s for s in a.drain() if s.get("from", "").startswith(bare("bob"))]
    assert not [s for s in b.drain() if s.get("from", "").startswith(bare("alice"))]


def test_bad_blocking_requests(peers):
    a = peers("alice")
    block(a, "bob@localhost")
    for inner, cond in (
            ("<block xmlns='urn:xmpp:blocking'/>", "bad-request"),
            ("<block xmlns='urn:xmpp:blocking'><item jid='a@b@c'/></block>", "jid-malformed"),
            ("<block xmlns='urn:xmpp:blocking'><item/></block>", "jid-malformed"),
            ("<unblock xmlns='urn:xmpp:blocking'><item jid='@x'/></unblock>", "jid-malformed"),
            ("<block xmlns='urn:xmpp:blocking'><other jid='x@y'/></block>", "bad-request"),
            ("<blocklist xmlns='urn:xmpp:blocking'/>", "bad-request"),
            ("<block xmlns='urn:xmpp:blocking'>%s</block>" % "".join(
                "<item jid='u%d@localhost'/>" % i for i in range(1025)), "policy-violation")):
        st = blocking(a, "set", inner)
        assert error_condition(st) == cond, "%s: %s" % (inner, dump(st))
    st = blocking(a, "get", "<block xmlns='urn:xmpp:blocking'><item jid='x@y'/></block>")
    assert error_condition(st) == "bad-request", dump(st)
    st = ask(a, "<iq type='get' to='carol@localhost' id='{id}'>"
                "<blocklist xmlns='urn:xmpp:blocking'/></iq>")
    assert error_condition(st) == "forbidden", dump(st)
    assert blocklist(a) == ["bob@localhost"]


def test_privacy_edit_of_blocklist_seen_by_blocking(peers):
    a1, a2 = peers("alice", "one"), peers("alice", "two")
    block(a1, "bob@localhost")
    wait_block_push(a2, "block")
    set_list(a1, "Blocked contacts", item(1, "deny", "jid", "carol@localhost"),
             item(2, "deny", "jid", "dave@localhost", ("message",)))
    assert wait_block_push(a2, "unblock") == []
    assert wait_block_push(a2, "block") == ["carol@localhost"]
    assert blocklist(a2) == ["carol@localhost"]


def test_blocklist_persists_across_restart(server, peers):
    a = peers("alice")
    block(a, "bob@localhost")
    a.close()
    server.restart()
    a, b = peers("alice", presence=0), peers("bob", presence=0)
    assert blocklist(a) == ["bob@localhost"]
    chat(b, bare("alice"), "still blocked")
    bounced(b, "service-unavailable")
    chat(a, bare("bob"), "still blocking")
    bounced(a, "not-acceptable")


def test_block_and_unblock_tell_presence(peers):
    a, b = peers("alice", presence=0), peers("bob", presence=0)
    subscribe_both(a, b)
    block(a, "bob@localhost")
    b.wait_presence(a.jid, "unavailable")  # XEP-0191 §5.3: alice vanishes for bob
    a.wait_presence(b.jid, "unavailable")  # and bob for alice
    b.send("<presence><show>away</show></presence>")  # a broadcast stays blocked too
    b.sync()
    got = [s for s in a.drain() if s.get("from") == b.jid]
    assert not got, [dump(s) for s in got]
    block(a, "bob@localhost", cmd="unblock")
    b.wait_presence(a.jid)  # §5.4: alice's current presence comes back
    a.wait_presence(b.jid)


def test_blocked_contact_login_sees_nothing(peers):
    a, b = peers("alice", presence=0), peers("bob", presence=0)
    subscribe_both(a, b)
    block(a, "bob@localhost")
    b.close()
    a.sync()
    a.drain()
    b = peers("bob", "again", presence=0)  # initial presence: probes and broadcast
    b.sync()
    got = [s for s in b.drain() if s.get("from", "").startswith(bare("alice"))]
    assert not got, [dump(s) for s in got]
    a.sync()
    got = [s for s in a.drain() if s.get("from", "").startswith(bare("bob"))]
    assert not got, [dump(s) for s in got]


def test_block_applies_while_offline(peers):
    a, b = peers("alice", presence=0), peers("bob", presence=0)
    block(b, "alice@localhost")
    b.close()
    a.sync()
    a.pres(bare("bob"), "subscribe")  # not stored for bob's next login
    a.send("<presence type='probe' to='bob@localhost'/>")
    st = ask(a, "<iq type='get' to='bob@localhost' id='{id}'><query xmlns='jabber:iq:last'/></iq>")
    assert error_condition(st) == "service-unavailable", dump(st)
    b = peers("bob", "again", presence=0)
    b.sync()
    got = [s for s in b.drain() if s.get("from", "").startswith(bare("alice"))]
    assert not got, [dump(s) for s in got]
    assert not [s for s in a.drain() if s.get("from", "").startswith(bare("bob"))]


def test_block_ends_directed_presence(peers):
    """XEP-0191 §3.3: presence the user directed to the blocked JID ends too, even without a
    subscription."""
    a, b, c = peers("alice", presence=0), peers("bob", presence=0), peers("carol", presence=0)
    a.send("<presence to='%s'><show>chat</show></presence>" % b.jid)
    a.send("<presence to='%s'><show>chat</show></presence>" % bare("carol"))
    b.wait_presence(a.jid)
    c.wait_presence(a.jid)
    block(a, "bob@localhost")
    b.wait_presence(a.jid, "unavailable")
    c.sync()
    got = [s for s in c.drain() if s.get("from") == a.jid and s.get("type") == "unavailable"]
    assert not got, [dump(s) for s in got]  # carol is not blocked
