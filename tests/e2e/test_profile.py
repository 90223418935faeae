# SPDX-License-Identifier: MIT
"""Account data kept on the server: the vCard (XEP-0054) and private XML storage (XEP-0049),
through raw stanzas and slixmpp: set, get, who may read and write, bounds, bad requests, and
that both survive a restart and go with a deleted account."""
from conftest import DOMAIN
from roster_helpers import RosterPeer
from test_routing import dump, error_condition, offline
from xmpp_helpers import online, run

V = "{vcard-temp}"
P = "{jabber:iq:private}"
CARD = ("<vCard xmlns='vcard-temp'><FN>Alice Liddell</FN><NICKNAME>al</NICKNAME>"
        "<PHOTO><TYPE>image/png</TYPE><BINVAL>iVBORw0KGgo=</BINVAL></PHOTO></vCard>")


def users(server, *names):
    for u in names:
        server.adduser(u, "pw-" + u)
    return [RosterPeer(server, u, "r") for u in names]


def vcard_of(peer, to=None):
    t = "" if to is None else " to='%s'" % to
    st = peer.request("<iq type='get' id='{id}'%s><vCard xmlns='vcard-temp'/></iq>" % t)
    assert st.get("type") == "result", dump(st)
    return st.find(V + "vCard")


def set_vcard(peer, card, to=None):
    t = "" if to is None else " to='%s'" % to
    return peer.request("<iq type='set' id='{id}'%s>%s</iq>" % (t, card))


def private(peer, kind, inner, to=None):
    t = "" if to is None else " to='%s'" % to
    return peer.request("<iq type='%s' id='{id}'%s><query xmlns='jabber:iq:private'>%s"
                        "</query></iq>" % (kind, t, inner))


def test_vcard_set_get_and_read_by_others(server):
    a, b = users(server, "alice", "bob")
    assert list(vcard_of(a)) == []  # none stored yet: an empty vCard
    st = set_vcard(a, CARD)
    assert st.get("type") == "result", dump(st)
    card = vcard_of(a)
    assert card.findtext(V + "FN") == "Alice Liddell"
    assert card.find(V + "PHOTO").findtext(V + "BINVAL") == "iVBORw0KGgo="
    theirs = vcard_of(b, to="alice@" + DOMAIN)
    assert theirs.findtext(V + "NICKNAME") == "al"
    assert list(vcard_of(b, to=DOMAIN)) == []  # the server's own: empty
    assert set_vcard(a, "<vCard xmlns='vcard-temp'><FN>Al</FN></vCard>",
                     to="alice@" + DOMAIN).get("type") == "result"
    assert vcard_of(b, to="alice@" + DOMAIN).findtext(V + "FN") == "Al"


def test_vcard_refusals(server_factory):
    srv = server_factory(vcard={"max_bytes": 2048})
    a, b = users(srv, "alice", "bob")
    set_vcard(a, CARD)
    st = set_vcard(b, "<vCard xmlns='vcard-temp'><FN>Mallory</FN></vCard>", to="alice@" + DOMAIN)
    assert error_condition(st) == "forbidden", dump(st)
    st = set_vcard(b, "<vCard xmlns='vcard-temp'><FN>srv</FN></vCard>", to=DOMAIN)
    assert error_condition(st) == "forbidden", dump(st)
    big = "<vCard xmlns='vcard-temp'><DESC>%s</DESC></vCard>" % ("x" * 3000)
    st = set_vcard(a, big)
    assert error_condition(st) == "not-acceptable", dump(st)
    assert vcard_of(b, to="alice@" + DOMAIN).findtext(V + "FN") == "Alice Liddell"
    st = b.request("<iq type='get' id='{id}' to='nobody@%s'><vCard xmlns='vcard-temp'/></iq>"
                   % DOMAIN)
    assert error_condition(st) == "service-unavailable", dump(st)


def test_private_storage_set_get(server):
    a, b = users(server, "alice", "bob")
    prefs = "<prefs xmlns='urn:example:prefs'><theme>dark</theme></prefs>"
    st = private(a, "get", "<prefs xmlns='urn:example:prefs'/>")
    assert st.get("type") == "result", dump(st)
    got = st.find(P + "query").find("{urn:example:prefs}prefs")
    assert got is not None and list(got) == []  # nothing stored: echoed empty
    assert private(a, "set", prefs).get("type") == "result"
    marks = "<storage xmlns='storage:bookmarks'><conference jid='r@conference.%s'/></storage>" \
        % DOMAIN
    assert private(a, "set", marks).get("type") == "result"
    st = private(a, "get", "<prefs xmlns='urn:example:prefs'/><storage xmlns='storage:bookmarks'/>")
    q = st.find(P + "query")
    assert q.find("{urn:example:prefs}prefs").findtext("{urn:example:prefs}theme") == "dark"
    assert q.find("{storage:bookmarks}storage").find("{storage:bookmarks}conference") is not None
    # another account's fragments stay apart and unreadable
    st = private(b, "get", "<prefs xmlns='urn:example:prefs'/>")
    assert list(st.find(P + "query").find("{urn:example:prefs}prefs")) == []
    st = private(b, "get", "<prefs xmlns='urn:example:prefs'/>", to="alice@" + DOMAIN)
    assert error_condition(st) == "forbidden", dump(st)
    st = private(b, "set", prefs, to="alice@" + DOMAIN)
    assert error_condition(st) == "forbidden", dump(st)


def test_private_storage_refusals(server_factory):
    srv = server_factory(private={"max_bytes": 1024, "max_fragments": 2})
    (a,) = users(srv, "alice")
    assert error_condition(private(a, "get", "")) == "bad-request"
    st = private(a, "set", "<query xmlns='jabber:iq:private'/>")
    assert error_condition(st) == "not-acceptable", dump(st)
    st = private(a, "set", "<x xmlns='jabber:client'/>")
    assert error_condition(st) == "not-acceptable", dump(st)
    st = private(a, "set", "<big xmlns='urn:example:big'>%s</big>" % ("y" * 2000))
    assert error_condition(st) == "not-acceptable", dump(st)
    for n in (1, 2):
        assert private(a, "set", "<f xmlns='urn:example:%d'/>" % n).get("type") == "result"
    st = private(a, "set", "<f xmlns='urn:example:3'/>")
    assert error_condition(st) == "resource-constraint", dump(st)
    # replacing a stored one needs no room
    assert private(a, "set", "<f xmlns='urn:example:2'><v>2</v></f>").get("type") == "result"


def test_profile_survives_restart_and_goes_with_the_account(server):
    (a,) = users(server, "alice")
    set_vcard(a, CARD)
    private(a, "set", "<prefs xmlns='urn:example:prefs'><theme>dark</theme></prefs>")
    a.close()
    server.restart()
    (b,) = users(server, "bob")
    assert vcard_of(b, to="alice@" + DOMAIN).findtext(V + "FN") == "Alice Liddell"
    a = RosterPeer(server, "alice", "r")
    st = private(a, "get", "<prefs xmlns='urn:example:prefs'/>")
    assert st.find(P + "query").find("{urn:example:prefs}prefs").findtext(
        "{urn:example:prefs}theme") == "dark"
    a.close()
    server.ctl("deluser", "alice@" + DOMAIN)
    server.adduser("alice", "pw-alice")
    assert list(vcard_of(b, to="alice@" + DOMAIN)) == []
    a = RosterPeer(server, "alice", "r")
    st = private(a, "get", "<prefs xmlns='urn:example:prefs'/>")
    assert list(st.find(P + "query").find("{urn:example:prefs}prefs")) == []


def test_slixmpp_vcard(server):
    server.adduser("alice", "pw-alice")
    server.adduser("bob", "pw-bob")

    async def go():
        a = await online(server, "alice", "pw-alice")
        b = await online(server, "bob", "pw-bob")
        for c in (a, b):
            c.register_plugin("xep_0054")
        card = a.plugin["xep_0054"].make_vcard()
        card["FN"] = "Alice via slixmpp"
        await a.plugin["xep_0054"].publish_vcard(card)
        got = await b.plugin["xep_0054"].get_vcard("alice@" + DOMAIN, cached=False)
        assert got["vcard_temp"]["FN"] == "Alice via slixmpp"
        await offline(a, b)

    run(go())
