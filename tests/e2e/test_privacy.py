# SPDX-License-Identifier: MIT
"""XEP-0016 privacy lists: list management, its errors, pushes, and enforcement in and out."""
import itertools

from roster_helpers import C, bare, dump, error_condition, peers, subscribe_both  # noqa: F401
from xmpp_helpers import wait_log

P = "{jabber:iq:privacy}"
_ids = itertools.count(1)


def ask(peer, xml):
    """Sends an iq with id='{id}' and returns its answer; other stanzas stay queued."""
    sid = "pv%d" % next(_ids)
    peer.send(xml.format(id=sid))
    st = peer.wait_for(lambda s: s.get("id") == sid, "answer to " + sid)
    return st


def privacy(peer, typ, inner):
    return ask(peer, "<iq type='%s' id='{id}'><query xmlns='jabber:iq:privacy'>%s</query></iq>"
               % (typ, inner))


def item(order, action, typ=None, value=None, kinds=()):
    t = "" if typ is None else " type='%s' value='%s'" % (typ, value)
    return "<item%s action='%s' order='%d'>%s</item>" % (
        t, action, order, "".join("<%s/>" % k for k in kinds))


def set_list(peer, name, *items):
    st = privacy(peer, "set", "<list name='%s'>%s</list>" % (name, "".join(items)))
    assert st.get("type") == "result", dump(st)


def use(peer, which, name=None):
    n = "" if name is None else " name='%s'" % name
    return privacy(peer, "set", "<%s%s/>" % (which, n))


def names(peer):
    st = privacy(peer, "get", "")
    assert st.get("type") == "result", dump(st)
    q = st.find(P + "query")
    one = lambda tag: (q.find(P + tag).get("name") if q.find(P + tag) is not None else None)
    return one("active"), one("default"), sorted(l.get("name") for l in q.findall(P + "list"))


def get_list(peer, name):
    st = privacy(peer, "get", "<list name='%s'/>" % name)
    assert st.get("type") == "result", dump(st)
    return st.find(P + "query/" + P + "list").findall(P + "item")


def chat(frm, to, text):
    frm.send("<message to='%s' type='chat' id='m%d'><body>%s</body></message>"
             % (to, next(_ids), text))


def got_message(peer, frm_bare, text, timeout=3):
    st = peer.wait_for(lambda s: s.tag == C + "message" and s.get("from", "").startswith(frm_bare)
                       and s.findtext(C + "body") == text, "message %r" % text, timeout)
    return st


def bounced(peer, cond, timeout=3):
    st = peer.wait_for(lambda s: s.tag == C + "message" and s.get("type") == "error",
                       "message error", timeout)
    assert error_condition(st) == cond, dump(st)
    return st


def nothing_from(peer, frm_bare):
    got = [s for s in peer.drain() if s.get("from", "").startswith(frm_bare)
           and s.tag in (C + "message", C + "presence")]
    assert not got, [dump(s) for s in got]


def test_list_management(peers):
    a = peers("alice")
    assert names(a) == (None, None, [])
    st = a.set_item(bare("bob"), groups=("Enemies",))  # group items name roster groups
    assert st.get("type") == "result", dump(st)
    set_list(a, "public", item(3, "deny", "jid", "bob@localhost"),
             item(68, "allow"), item(5, "deny", "group", "Enemies", ("message", "presence-in")))
    set_list(a, "private", item(10, "allow", "subscription", "both"), item(15, "deny"))
    assert names(a) == (None, None, ["private", "public"])
    items = get_list(a, "public")
    assert [i.get("order") for i in items] == ["3", "5", "68"]
    assert items[0].get("type") == "jid" and items[0].get("value") == "bob@localhost"
    assert [c.tag for c in items[1]] == [P + "message", P + "presence-in"]
    assert items[2].get("type") is None and items[2].get("action") == "allow"
    # replaced as a whole
    set_list(a, "public", item(1, "deny", "jid", "carol@localhost"))
    assert [i.get("value") for i in get_list(a, "public")] == ["carol@localhost"]
    assert use(a, "active", "private").get("type") == "result"
    assert use(a, "default", "public").get("type") == "result"
    assert names(a) == ("private", "public", ["private", "public"])
    assert use(a, "active").get("type") == "result"
    assert use(a, "default").get("type") == "result"
    assert names(a) == (None, None, ["private", "public"])
    st = privacy(a, "set", "<list name='private'/>")
    assert st.get("type") == "result", dump(st)
    assert names(a) == (None, None, ["public"])


BAD_SETS = [
    ("two children", "<active name='public'/><default name='public'/>", "bad-request"),
    ("empty name", "<list name=''>%s</list>" % item(1, "deny"), "bad-request"),
    ("no name", "<list>%s</list>" % item(1, "deny"), "bad-request"),
    ("duplicate order", "<list name='x'>%s%s</list>" % (item(1, "deny"), item(1, "allow")),
     "bad-request"),
    ("unknown type", "<list name='x'><item type='color' value='red' action='deny' order='1'/>"
     "</list>", "bad-request"),
    ("bad subscription", "<list name='x'>%s</list>" % item(1, "deny", "subscription", "remove"),
     "bad-request"),
    ("bad jid", "<list name='x'>%s</list>" % item(1, "deny", "jid", "a@b@c"), "bad-request"),
    ("bad action", "<list name='x'><item action='block' order='1'/></list>", "bad-request"),
    ("no order", "<list name='x'><item action='deny'/></list>", "bad-request"),
    ("negative order", "<list name='x'><item action='deny' order='-1'/></list>", "bad-request"),
    ("unknown child", "<list name='x'><item action='deny' order='1'><chat/></item></list>",
     "bad-request"),
    ("unknown element", "<nonsense/>", "bad-request"),
    ("remove unknown", "<list name='nope'/>", "item-not-found"),
    ("activate unknown", "<active name='nope'/>", "item-not-found"),
    ("default unknown", "<default name='nope'/>", "item-not-found"),
    ("group not in the roster", "<list name='x'>%s</list>" % item(1, "deny", "group", "Nobody"),
     "item-not-found"),
    ("text only", "just text", "bad-request"),
    ("name too long", "<list name='%s'>%s</list>" % ("n" * 1024, item(1, "deny")), "bad-request"),
    ("too many items", "<list name='big'>%s</list>" % "".join(
        item(i, "deny", "jid", "u%d@localhost" % i) for i in range(1025)), "policy-violation"),
]


def test_bad_input_changes_nothing(peers):
    a = peers("alice")
    set_list(a, "public", item(1, "deny", "jid", "bob@localhost"))
    for what, inner, cond in BAD_SETS:
        st = privacy(a, "set", inner)
        assert error_condition(st) == cond, "%s: %s" % (what, dump(st))
    for inner, cond in (("<list name='nope'/>", "item-not-found"),
                        ("<list name='public'/><list name='x'/>", "bad-request")):
        st = privacy(a, "get", inner)
        assert error_condition(st) == cond, dump(st)
    assert names(a) == (None, None, ["public"])
    assert [i.get("value") for i in get_list(a, "public")] == ["bob@localhost"]
    # another user's lists are not ours to manage
    st = ask(a, "<iq type='get' to='bob@localhost' id='{id}'>"
                "<query xmlns='jabber:iq:privacy'/></iq>")
    assert error_condition(st) == "forbidden", dump(st)


def test_edit_pushed_to_every_resource(peers):
    a1, a2 = peers("alice", "one"), peers("alice", "two")
    set_list(a1, "public", item(1, "deny", "jid", "bob@localhost"))
    for p in (a1, a2):
        push = p.wait_for(lambda s: s.tag == C + "iq" and s.get("type") == "set" and
                          s.find(P + "query/" + P + "list") is not None, "privacy push")
        assert push.find(P + "query/" + P + "list").get("name") == "public"
        assert push.get("to") == p.jid
        p.send("<iq type='result' id='%s'/>" % push.get("id"))


def test_denied_message_and_iq_get_error_to_sender(peers):
    a, b, c = peers("alice", presence=0), peers("bob", presence=0), peers("carol", presence=0)
    set_list(a, "no-bob", item(1, "deny", "jid", "bob@localhost", ("message", "iq")))
    assert use(a, "active", "no-bob").get("type") == "result"
    chat(b, bare("alice"), "let me in")
    bounced(b, "service-unavailable")
    chat(c, bare("alice"), "hello from carol")
    got_message(a, bare("carol"), "hello from carol")
    st = ask(b, "<iq type='get' to='%s' id='{id}'><ping xmlns='urn:xmpp:ping'/></iq>" % a.jid)
    assert error_condition(st) == "service-unavailable", dump(st)
    nothing_from(a, bare("bob"))
    # the block is one-way: alice still reaches bob
    chat(a, bare("bob"), "I can talk")
    got_message(b, bare("alice"), "I can talk")


def test_active_list_beats_default(peers, server):
    a1, a2 = peers("alice", "one", presence=0), peers("alice", "two", presence=0)
    b = peers("bob", presence=0)
    set_list(a1, "strict", item(1, "deny", "jid", "bob@localhost"))
    set_list(a1, "open", item(1, "allow"))
    assert use(a1, "default", "strict").get("type") == "result"
    assert use(a2, "active", "open").get("type") == "result"
    chat(b, a2.jid, "to two")
    got_message(a2, bare("bob"), "to two")
    chat(b, a1.jid, "to one")
    bounced(b, "service-unavailable")
    nothing_from(a1, bare("bob"))
    # the default list applies to resource one: resource two may not change or drop it
    for inner in ("<default name='open'/>", "<default/>", "<list name='strict'/>"):
        st = privacy(a2, "set", inner)
        assert error_condition(st) == "conflict", "%s: %s" % (inner, dump(st))
    # nor remove the list resource two has active, seen from resource one
    assert error_condition(privacy(a1, "set", "<list name='open'/>")) == "conflict"
    # a list is edited in place while in use; pushes go out
    set_list(a1, "strict", item(1, "allow"))
    chat(b, a1.jid, "now welcome")
    got_message(a1, bare("bob"), "now welcome")
    # once resource two leaves, the default may change
    a2.close()
    wait_log(server, "session %s ended" % a2.jid)  # once the server has seen the close
    assert use(a1, "default", "open").get("type") == "result"


def test_mutual_block_item_without_children(peers):
    a, b = peers("alice", presence=0), peers("bob", presence=0)
    set_list(a, "block-bob", item(1, "deny", "jid", "bob@localhost"))
    assert use(a, "default", "block-bob").get("type") == "result"
    chat(a, bare("bob"), "you cannot hear me")
    bounced(a, "not-acceptable")
    chat(b, bare("alice"), "nor me")
    bounced(b, "service-unavailable")
    nothing_from(a, bare("bob"))
    nothing_from(b, bare("alice"))


def presences_from(peer, frm):
    return [s for s in peer.drain() if s.tag == C + "presence" and s.get("from") == frm]


def test_directed_presence_in_and_out(peers):
    a, b, c = peers("alice", presence=0), peers("bob", presence=0), peers("carol", presence=0)
    set_list(a, "quiet", item(1, "deny", "jid", "bob@localhost", ("presence-out",)),
             item(2, "deny", "jid", "carol@localhost", ("presence-in",)))
    assert use(a, "active", "quiet").get("type") == "result"
    for p in (a, b, c):
        p.drain()
    for to in (b.jid, c.jid):
        a.send("<presence to='%s'><show>away</show></presence>" % to)
    c.wait_presence(a.jid)  # carol still sees alice
    for p in (b, c):
        p.send("<presence to='%s'><show>dnd</show></presence>" % a.jid)
    a.wait_presence(b.jid)  # and alice still sees bob
    got = presences_from(b, a.jid)
    assert not got, [dump(s) for s in got]  # presence-out: bob is not told
    got = presences_from(a, c.jid)
    assert not got, [dump(s) for s in got]  # presence-in: carol is not seen
    # subscription requests are not notifications: only child-less items cover them
    c.pres(bare("alice"), "subscribe")
    a.wait_for(lambda s: s.get("type") == "subscribe" and s.get("from") == bare("carol"),
               "subscribe from carol")


def test_blocked_probe_and_subscription_dropped(peers):
    a, b = peers("alice", presence=0), peers("bob", presence=0)
    set_list(a, "block-bob", item(1, "deny", "jid", "bob@localhost"))
    assert use(a, "default", "block-bob").get("type") == "result"
    a.drain()
    b.pres(bare("alice"), "subscribe")
    b.send("<presence type='probe' to='alice@localhost'/>")
    b.sync()
    got = [s for s in a.drain() if s.get("from", "").startswith(bare("bob"))]
    assert not got, [dump(s) for s in got]
    got = [s for s in b.drain() if s.get("from", "").startswith(bare("alice"))]
    assert not got, [dump(s) for s in got]  # no error either: bob sees alice as offline


def test_group_and_subscription_items(peers):
    a, b, c = peers("alice", presence=0), peers("bob", presence=0), peers("carol", presence=0)
    st = a.set_item(bare("bob"), groups=("Enemies",))
    assert st.get("type") == "result", dump(st)
    a.drain()
    set_list(a, "groups", item(1, "deny", "group", "Enemies", ("message",)))
    assert use(a, "active", "groups").get("type") == "result"
    chat(b, bare("alice"), "from an enemy")
    bounced(b, "service-unavailable")
    chat(c, bare("alice"), "from a stranger")
    got_message(a, bare("carol"), "from a stranger")
    # subscription 'none' covers contacts outside the roster too
    set_list(a, "subs", item(1, "deny", "subscription", "none", ("message",)))
    assert use(a, "active", "subs").get("type") == "result"
    chat(c, bare("alice"), "stranger again")
    bounced(c, "service-unavailable")
    subscribe_both(a, c)
    chat(c, bare("alice"), "now a friend")
    got_message(a, bare("carol"), "now a friend")


def test_lists_persist_across_restart(server, peers):
    a = peers("alice")
    set_list(a, "public", item(1, "deny", "jid", "bob@localhost", ("message",)), item(2, "allow"))
    assert use(a, "default", "public").get("type") == "result"
    a.close()
    server.restart()
    a, b = peers("alice", presence=0), peers("bob", presence=0)
    assert names(a) == (None, "public", ["public"])
    items = get_list(a, "public")
    assert [(i.get("order"), i.get("value")) for i in items] == [("1", "bob@localhost"),
                                                                  ("2", None)]
    chat(b, bare("alice"), "after restart")
    bounced(b, "service-unavailable")


def test_broadcast_presence_in_and_out(peers):
    a, b, c = peers("alice", presence=0), peers("bob", presence=0), peers("carol", presence=0)
    subscribe_both(a, b)
    subscribe_both(a, c)
    set_list(a, "quiet", item(1, "deny", "jid", "bob@localhost", ("presence-out",)),
             item(2, "deny", "jid", "carol@localhost", ("presence-in",)))
    assert use(a, "active", "quiet").get("type") == "result"
    for p in (a, b, c):
        p.drain()
    a.send("<presence><show>away</show></presence>")
    c.wait_presence(a.jid)  # carol still sees alice
    b.send("<presence><show>dnd</show></presence>")
    a.wait_presence(b.jid)  # and alice still sees bob
    c.send("<presence><show>xa</show></presence>")
    a.send("<presence to='%s'><show>chat</show></presence>" % c.jid)
    c.wait_presence(a.jid)  # by now carol's broadcast has been through the server
    got = presences_from(b, a.jid)
    assert not got, [dump(s) for s in got]  # presence-out: bob no longer sees alice
    got = presences_from(a, c.jid)
    assert not got, [dump(s) for s in got]  # presence-in: alice no longer sees carol


def unavailable_from(peer, frm):
    return [s for s in presences_from(peer, frm) if s.get("type") == "unavailable"]


def test_presence_out_denied_sends_unavailable(peers):
    """XEP-0016 §2.11: activating a list that denies presence-out tells subscribers and
    directed-presence recipients once; contacts still allowed hear nothing."""
    a, b, c = peers("alice", presence=0), peers("bob", presence=0), peers("carol", presence=0)
    subscribe_both(a, b)
    subscribe_both(a, c)
    a.send("<presence><show>away</show></presence>")
    b.wait_presence(a.jid)
    c.wait_presence(a.jid)
    set_list(a, "hide-bob", item(1, "deny", "jid", "bob@localhost", ("presence-out",)))
    for p in (a, b, c):
        p.drain()
    assert use(a, "active", "hide-bob").get("type") == "result"
    b.wait_presence(a.jid, "unavailable")
    c.sync()
    assert not presences_from(c, a.jid)  # carol may still see alice
    # already hidden: choosing the same list again tells bob nothing more
    assert use(a, "active", "hide-bob").get("type") == "result"
    b.sync()
    assert not unavailable_from(b, a.jid)


def test_presence_out_edit_of_list_in_use_and_directed(peers):
    a, b, c = peers("alice", presence=0), peers("bob", presence=0), peers("carol", presence=0)
    subscribe_both(a, b)
    a.send("<presence to='%s'><show>chat</show></presence>" % c.jid)  # directed: no roster
    c.wait_presence(a.jid)
    set_list(a, "quiet", item(1, "allow"))
    assert use(a, "active", "quiet").get("type") == "result"
    for p in (b, c):
        p.drain()
    set_list(a, "quiet", item(1, "deny", "jid", "carol@localhost", ("presence-out",)),
             item(2, "allow"))
    c.wait_presence(a.jid, "unavailable")
    b.sync()
    assert not presences_from(b, a.jid)
    set_list(a, "quiet", item(1, "deny", None, None, ("presence-out",)))
    b.wait_presence(a.jid, "unavailable")
    c.sync()
    assert not unavailable_from(c, a.jid)  # told once already


def test_presence_out_default_list_hides_every_resource(peers):
    a1, a2 = peers("alice", "one", presence=0), peers("alice", "two", presence=0)
    a3 = peers("alice", "three", presence=0)
    b = peers("bob", presence=0)
    subscribe_both(a1, b)
    b.drain()
    set_list(a1, "hide-bob", item(1, "deny", "jid", "bob@localhost", ("presence-out",)))
    set_list(a1, "open", item(1, "allow"))
    assert use(a3, "active", "open").get("type") == "result"  # three keeps its own list
    assert use(a1, "default", "hide-bob").get("type") == "result"
    for p in (a1, a2):
        b.wait_presence(p.jid, "unavailable")
    b.sync()
    assert not unavailable_from(b, a3.jid)
