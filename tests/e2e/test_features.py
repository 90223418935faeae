# SPDX-License-Identifier: MIT
"""Server features: XEP-0030 disco, XEP-0115 capabilities, XEP-0092 version, XEP-0202 time, XEP-0199 ping to
accounts, unhandled iqs, and a message burst arriving complete and in order."""
import asyncio
import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from slixmpp.exceptions import IqError

from test_auth import authed_raw
from test_routing import C, assert_error, dump, offline, users  # noqa: F401 (users: fixture)
from xmpp_helpers import online, run

DISCO_INFO = "http://jabber.org/protocol/disco#info"
DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
SERVER_FEATURES = {DISCO_INFO, DISCO_ITEMS, "urn:xmpp:ping", "jabber:iq:version",
                   "urn:xmpp:time", "jabber:iq:register"}


def with_plugins(client, *names):
    for n in names:
        client.register_plugin(n)
    return client


# --- XEP-0030 ----------------------------------------------------------------------------

def test_disco_info_server_with_slixmpp(server):
    server.adduser("alice", "pw-alice")

    async def go():
        a = with_plugins(await online(server, "alice", "pw-alice"), "xep_0030")
        iq = await a["xep_0030"].get_info(jid="localhost", timeout=5)
        info = iq["disco_info"]
        kinds = {(cat, typ) for cat, typ, _lang, _name in info["identities"]}
        assert ("server", "im") in kinds, "identities: %s" % info["identities"]
        missing = SERVER_FEATURES - set(info["features"])
        assert not missing, "features missing: %s (have %s)" % (missing, info["features"])
        items = await a["xep_0030"].get_items(jid="localhost", timeout=5)
        assert str(items["from"]) == "localhost" and items["type"] == "result"
        await offline(a)

    run(go())


def test_disco_info_server_exact(users):
    a = users("alice", "desk")
    st = a.request("<iq to='localhost' type='get' id='{id}'>"
                   "<query xmlns='%s'/></iq>" % DISCO_INFO)
    assert st.get("type") == "result" and st.get("from") == "localhost", dump(st)
    assert st.get("to") == "alice@localhost/desk", dump(st)
    q = st.find("{%s}query" % DISCO_INFO)
    assert q is not None and q.get("node") is None, dump(st)
    ids = [(i.get("category"), i.get("type")) for i in q.iter("{%s}identity" % DISCO_INFO)]
    assert ids == [("server", "im")], "identities: %s" % ids
    feats = [f.get("var") for f in q.iter("{%s}feature" % DISCO_INFO)]
    assert len(feats) == len(set(feats)), "a feature is listed twice: %s" % feats
    assert SERVER_FEATURES <= set(feats), "features: %s" % feats


@pytest.mark.parametrize("to", ["localhost", "bob@localhost", "alice@localhost"])
def test_disco_items_empty_ok(users, to):
    a = users("alice", "desk")
    st = a.request("<iq to='%s' type='get' id='{id}'><query xmlns='%s'/></iq>"
                   % (to, DISCO_ITEMS))
    assert st.get("type") == "result" and st.get("from") == to, dump(st)
    q = st.find("{%s}query" % DISCO_ITEMS)
    assert q is not None, "no disco#items query in %s" % dump(st)
    for item in q:
        assert item.tag == "{%s}item" % DISCO_ITEMS and item.get("jid"), dump(st)


@pytest.mark.parametrize("to", ["bob@localhost", "alice@localhost"])
def test_disco_info_account(server, to):
    server.adduser("alice", "pw-alice")
    server.adduser("bob", "pw-bob")

    async def go():
        a = with_plugins(await online(server, "alice", "pw-alice"), "xep_0030")
        iq = await a["xep_0030"].get_info(jid=to, timeout=5)
        assert str(iq["from"]) == to, "answered by %s" % iq["from"]
        kinds = {(cat, typ) for cat, typ, _lang, _name in iq["disco_info"]["identities"]}
        assert ("account", "registered") in kinds, "identities: %s" % kinds
        assert DISCO_INFO in iq["disco_info"]["features"]
        await offline(a)

    run(go())


def test_disco_info_nonexistent_account(users):
    a = users("alice", "desk")
    st = a.request("<iq to='nobody@localhost' type='get' id='{id}'>"
                   "<query xmlns='%s'/></iq>" % DISCO_INFO)
    assert_error(st, "service-unavailable")


@pytest.mark.parametrize("to", ["localhost", "bob@localhost"])
@pytest.mark.parametrize("ns", [DISCO_INFO, DISCO_ITEMS])
def test_disco_unknown_node(users, to, ns):
    a = users("alice", "desk")
    st = a.request("<iq to='%s' type='get' id='{id}'><query xmlns='%s' node='no/such#node'/>"
                   "</iq>" % (to, ns))
    assert_error(st, "item-not-found")
    assert st.get("from") == to, dump(st)


# --- XEP-0092 / XEP-0202 -----------------------------------------------------------------

def test_version(server):
    server.adduser("alice", "pw-alice")

    async def go():
        a = with_plugins(await online(server, "alice", "pw-alice"), "xep_0092")
        iq = await a["xep_0092"].get_version("localhost", timeout=5)
        v = iq["software_version"]
        assert v["name"] == "Parley", "name: %r" % v["name"]
        assert re.match(r"^\d+\.\d+", v["version"]), "version: %r" % v["version"]
        assert v["os"].strip(), "os: %r" % v["os"]
        await offline(a)

    run(go())


def test_time(users):
    a = users("alice", "desk")
    st = a.request("<iq to='localhost' type='get' id='{id}'><time xmlns='urn:xmpp:time'/></iq>")
    assert st.get("type") == "result", dump(st)
    t = st.find("{urn:xmpp:time}time")
    assert t is not None, dump(st)
    tzo, utc = t.findtext("{urn:xmpp:time}tzo"), t.findtext("{urn:xmpp:time}utc")
    assert tzo and re.fullmatch(r"Z|[+-]\d\d:\d\d", tzo), "tzo: %r" % tzo
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z", utc or "")
    assert m, "utc is not an XEP-0082 UTC DateTime: %r" % utc
    then = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    assert abs((now - then).total_seconds()) < 60, "utc %s is far from now %s" % (utc, now)


# --- XEP-0199 to accounts ----------------------------------------------------------------

@pytest.mark.parametrize("bob_online", [False, True])
def test_ping_bare_jid_answered_by_server(server, bob_online):
    server.adduser("alice", "pw-alice")
    server.adduser("bob", "pw-bob")

    async def go():
        a = with_plugins(await online(server, "alice", "pw-alice"), "xep_0199")
        b = await online(server, "bob", "pw-bob") if bob_online else None
        iq = await a["xep_0199"].send_ping("bob@localhost", timeout=5)
        assert iq["type"] == "result" and str(iq["from"]) == "bob@localhost", str(iq)
        if b:
            # Bob's own request is answered after anything the server had queued for him
            # before (Alice's ping was handled before her answer went out): none was an iq.
            await with_plugins(b, "xep_0030")["xep_0030"].get_info(jid="localhost", timeout=5)
            got = []
            while not b.iqs.empty():
                got.append(str(b.iqs.get_nowait()))
            assert not got, "an iq to the bare JID was forwarded to a resource: %s" % got
        await offline(*[c for c in (a, b) if c])

    run(go())


def test_ping_nonexistent_account(server):
    server.adduser("alice", "pw-alice")

    async def go():
        a = with_plugins(await online(server, "alice", "pw-alice"), "xep_0199")
        with pytest.raises(IqError) as err:
            await a["xep_0199"].send_ping("nobody@localhost", timeout=5)
        assert err.value.iq["error"]["condition"] == "service-unavailable", str(err.value.iq)
        await offline(a)

    run(go())


# --- Unhandled iqs (RFC 6120 §8.4) -------------------------------------------------------

@pytest.mark.parametrize("to", ["localhost", None])
@pytest.mark.parametrize("itype,payload", [
    ("get", "<query xmlns='urn:example:unknown'/>"),
    ("set", "<query xmlns='urn:example:unknown'><x/></query>"),
    ("set", "<ping xmlns='urn:xmpp:ping'/>"),
    ("set", "<query xmlns='jabber:iq:version'/>"),
    ("set", "<time xmlns='urn:xmpp:time'/>"),
    ("get", "<query xmlns='jabber:iq:version-not'/>"),
])
def test_unhandled_iq_is_service_unavailable(users, to, itype, payload):
    a = users("alice", "desk")
    sent_id = "odd id &amp; 'quotes'"
    a.send("<iq %s type='%s' id=\"%s\">%s</iq>"
           % ("to='%s'" % to if to else "", itype, sent_id, payload))
    got = a.sync()
    assert len(got) == 1, "expected exactly one reply, got %s" % [dump(s) for s in got]
    st = got[0]
    assert st.tag == C + "iq", dump(st)
    assert_error(st, "service-unavailable", "odd id & 'quotes'")
    assert st.find(C + "error").get("type") == "cancel", dump(st)
    assert st.get("from") == to and st.get("to") == "alice@localhost/desk", dump(st)


# --- Throughput and order ----------------------------------------------------------------

N = 2000


def test_burst_in_order_slixmpp(server):
    server.adduser("alice", "pw-alice")
    server.adduser("bob", "pw-bob")

    async def go():
        a = await online(server, "alice", "pw-alice")
        b = await online(server, "bob", "pw-bob", resource="phone")
        for i in range(N):
            a.send_message(mto="bob@localhost/phone", mbody="m%d" % i, mtype="chat")
        got = []
        try:
            while len(got) < N:
                got.append((await b.next_message(timeout=15))["body"])
        except asyncio.TimeoutError:
            pass
        assert len(got) == N, "%d of %d messages arrived" % (len(got), N)
        assert got == ["m%d" % i for i in range(N)], "out of order"
        await offline(a, b)

    run(go(), timeout=50)


def test_burst_in_order_pipelined(users):
    b = users("bob", "phone", presence=0)
    a = users("alice", "desk", presence=0)
    a.send("".join("<message to='bob@localhost' type='chat' id='m%d'><body>%d</body>"
                   "</message>" % (i, i) for i in range(N)))
    got = []
    while len(got) < N:
        st = b.next(timeout=15)
        if st.tag == C + "message":
            got.append(st.findtext(C + "body"))
    assert got == [str(i) for i in range(N)], "out of order or changed"
    assert not a.sync(), "the sender got errors"
    b.quiet("more than %d messages" % N)


# --- XEP-0115 ------------------------------------------------------------------------------

def test_server_caps_in_features_and_disco_node(server):
    """§6.3: the features after authentication carry the server's capabilities; disco#info at
    their node#ver answers with what they hash (slixmpp's own computation of the hash agrees),
    and another ver of that node is unknown."""
    server.adduser("alice", "pw-alice")
    r = authed_raw(server, "alice", "pw-alice")
    c = r.feats.find("{http://jabber.org/protocol/caps}c")
    r.close()
    assert c is not None and c.get("hash") == "sha-1", ET.tostring(r.feats)
    node, ver = c.get("node"), c.get("ver")

    async def go():
        a = with_plugins(await online(server, "alice", "pw-alice"), "xep_0030", "xep_0115")
        iq = await a["xep_0030"].get_info(jid="localhost", node=node + "#" + ver, timeout=5)
        info = iq["disco_info"]
        assert info["node"] == node + "#" + ver
        assert a["xep_0115"].generate_verstring(info, "sha-1") == ver
        assert SERVER_FEATURES <= set(info["features"])
        with pytest.raises(IqError) as e:
            await a["xep_0030"].get_info(jid="localhost", node=node + "#x" + ver, timeout=5)
        assert e.value.iq["error"]["condition"] == "item-not-found"
        await offline(a)

    run(go())
