# SPDX-License-Identifier: MIT
"""RFC 6120 §8/§10 and RFC 6121 §8: stamping, validation and local delivery rules."""
import asyncio
import itertools
import socket
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import DOMAIN
from xmpp_helpers import TIMEOUT, Raw, online, run

C = "{jabber:client}"
STANZAS_NS = "urn:ietf:params:xml:ns:xmpp-stanzas"
STREAMS_NS = "urn:ietf:params:xml:ns:xmpp-streams"
_ids = itertools.count(1)


class Peer:
    """A logged-in raw connection that hands back parsed top-level stanzas."""

    def __init__(self, server, user, resource, presence=None):
        self.jid = "%s@%s/%s" % (user, DOMAIN, resource)
        self.raw = Raw(server.port)
        self.raw.login_plain(user, "pw-" + user, resource)
        self.parser = ET.XMLPullParser(events=("start", "end"))
        self.parser.feed("<s xmlns='jabber:client' "
                         "xmlns:stream='http://etherx.jabber.org/streams'>")
        self.depth, self.queue, self.siblings = 0, [], []
        self.feed(self.raw.buf)
        if presence is not None:
            self.available(presence)

    def feed(self, data):
        self.parser.feed(data)
        for ev, el in self.parser.read_events():
            self.depth += 1 if ev == "start" else -1
            if ev == "end" and self.depth == 1:
                self.queue.append(el)

    def send(self, xml):
        self.raw.send(xml)

    def next(self, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while not self.queue:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("%s: nothing arrived within %ss" % (self.jid, timeout))
            self.raw.sock.settimeout(left)
            try:
                chunk = self.raw.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise AssertionError("%s: connection closed" % self.jid)
            self.feed(chunk)
        return self.queue.pop(0)

    def sync(self):
        """Pings the server; returns every stanza that arrived before the pong."""
        sid = "sync%d" % next(_ids)
        self.send("<iq type='get' id='%s'><ping xmlns='urn:xmpp:ping'/></iq>" % sid)
        before = []
        while True:
            st = self.next()
            if st.tag == C + "iq" and st.get("id") == sid:
                assert st.get("type") == "result", "ping answered with %s" % dump(st)
                return before
            before.append(st)

    def messages(self):
        """The messages that arrived so far (presences are left out)."""
        return [s for s in self.sync() if s.tag == C + "message"]

    def quiet(self, why):
        got = self.sync()
        assert not got, "%s: %s, but got %s" % (self.jid, why, [dump(s) for s in got])

    def available(self, priority=None):
        prio = "" if priority is None else "<priority>%d</priority>" % priority
        self.send("<presence>%s</presence>" % prio)
        others = []
        while True:  # RFC 6121 §4.2.2: the sender gets its own presence back
            st = self.next()
            if st.tag == C + "presence" and st.get("from") == self.jid:
                break
            others.append(st)
        # Then the presence of siblings already online: kept apart in self.siblings.
        bare = self.jid.split("/")[0] + "/"
        for st in self.sync():
            sibling = st.tag == C + "presence" and st.get("type") is None and \
                st.get("from", "").startswith(bare)
            (self.siblings if sibling else others).append(st)
        self.queue[:0] = others

    def request(self, xml):
        """Sends a stanza carrying id='{id}' and returns the reply with that id."""
        sid = "r%d" % next(_ids)
        self.send(xml.format(id=sid))
        while True:
            st = self.next()
            if st.get("id") == sid:
                return st

    def close(self):
        self.raw.close()


async def offline(*clients):
    """Like xmpp_helpers.offline, but takes each 'disconnected' future before disconnecting:
    slixmpp replaces the future once it resolves, so one read later may never resolve."""
    done = [c.disconnected for c in clients]
    for c in clients:
        c.disconnect()
    await asyncio.wait_for(asyncio.gather(*done), TIMEOUT)


def dump(el):
    return ET.tostring(el, encoding="unicode")


def body(st):
    b = st.find(C + "body")
    return None if b is None else b.text


def error_condition(st):
    """The defined condition of a stanza error, or None."""
    err = st.find(C + "error")
    if st.get("type") != "error" or err is None:
        return None
    for child in err:
        if child.tag.startswith("{%s}" % STANZAS_NS) and not child.tag.endswith("}text"):
            return child.tag.split("}")[1]
    return None


def assert_error(st, cond, sid=None):
    assert error_condition(st) == cond, "expected <%s/>, got %s" % (cond, dump(st))
    if sid is not None:
        assert st.get("id") == sid, "error reply lost the id: %s" % dump(st)


@pytest.fixture
def users(server):
    for u in ("alice", "bob"):
        server.adduser(u, "pw-" + u)
    peers = []

    def connect(user, resource, presence=None):
        p = Peer(server, user, resource, presence)
        peers.append(p)
        return p

    yield connect
    for p in peers:
        p.close()


# --- Message delivery through a real client ---------------------------------------------

TRICKY = "héllo ✓ 😀 <&>'\" ]]> \t end"


@pytest.mark.parametrize("to", ["bob@localhost/phone", "bob@localhost"])
def test_message_body_and_from(server, to):
    server.adduser("alice", "pw-alice")
    server.adduser("bob", "pw-bob")

    async def go():
        a = await online(server, "alice", "pw-alice", resource="desk")
        b = await online(server, "bob", "pw-bob", resource="phone")
        a.send_message(mto=to, mbody=TRICKY, mtype="chat")
        m = await b.next_message()
        assert m["body"] == TRICKY, "body changed in transit: %r" % m["body"]
        assert str(m["from"]) == "alice@localhost/desk", "from not stamped: %s" % m["from"]
        assert m["type"] == "chat"
        await offline(a, b)

    run(go())


def test_message_bytes_survive_raw(users):
    b = users("bob", "phone", presence=0)
    a = users("alice", "desk", presence=0)
    a.send("<message to='bob@localhost/phone' type='chat' id='m1'>"
           "<body>h\u00e9llo \u2713 \U0001F600 &lt;&amp;&gt;&apos;&quot;</body>"
           "<x xmlns='urn:example:ext' a='&apos;'>keep<y/></x></message>")
    m = b.next()
    assert body(m) == "héllo ✓ 😀 <&>'\"", dump(m)
    assert m.get("from") == "alice@localhost/desk" and m.get("id") == "m1", dump(m)
    ext = m.find("{urn:example:ext}x")
    assert ext is not None and ext.get("a") == "'" and ext.text == "keep", \
        "unknown extension not kept: %s" % dump(m)


# --- Bare JID delivery: priorities and availability (RFC 6121 §8.5.2) --------------------

@pytest.mark.parametrize("prios,mtype,expect", [
    ((5, 1), "chat", (True, False)),
    ((1, 5), "normal", (False, True)),
    ((3, 3), "chat", (True, True)),
    ((5, 5, 1), "normal", (True, True, False)),
    ((0, -1), "chat", (True, False)),
    ((-1,), "chat", (False,)),
    ((-1,), "normal", (False,)),
    ((5, 1, -1), "headline", (True, True, False)),
    ((-1,), "headline", (False,)),
])
def test_bare_jid_priorities(users, prios, mtype, expect):
    bobs = [users("bob", "r%d" % i, presence=p) for i, p in enumerate(prios)]
    a = users("alice", "desk", presence=0)
    a.send("<message to='bob@localhost' type='%s' id='m1'><body>hi</body></message>" % mtype)
    got = [bool(b.messages()) for b in bobs]  # sync after the message: it was routed first
    assert tuple(got) == expect, "priorities %s, %s: delivered %s" % (prios, mtype, got)
    # Nobody took it: a chat or normal message is kept offline (test_offline.py), a headline
    # is dropped; the sender hears nothing either way.
    back = a.sync()
    assert not back, "sender got %s" % [dump(s) for s in back]


def test_resource_without_presence(users):
    quiet = users("bob", "quiet")
    a = users("alice", "desk", presence=0)
    a.send("<message to='bob@localhost' type='chat' id='m1'><body>1</body></message>")
    a.quiet("kept offline: no available resource")
    quiet.quiet("no initial presence: no bare-JID messages")

    a.send("<message to='bob@localhost/quiet' type='chat'><body>2</body></message>")
    assert body(quiet.next()) == "2", "full-JID message did not reach the quiet resource"

    avail = users("bob", "avail", presence=-5)  # negative, yet still the only candidate
    a.send("<message to='bob@localhost' type='headline'><body>3</body></message>")
    a.sync()  # handled before anything else happens on bob's side
    quiet.quiet("headline to the bare JID went to a resource without presence")
    avail.quiet("headline to the bare JID went to a negative-priority resource")
    avail.available(0)
    a.send("<message to='bob@localhost' type='chat'><body>4</body></message>")
    assert body(avail.next()) == "4"
    quiet.quiet("bare-JID chat went to a resource without presence")


# --- Full JID whose resource is gone (RFC 6121 §8.5.3.2.1) ------------------------------

@pytest.mark.parametrize("mtype,outcome", [
    ("chat", "fallback"),
    ("normal", "fallback"),
    ("headline", "dropped"),
    ("groupchat", "service-unavailable"),
])
def test_gone_resource(users, mtype, outcome):
    gone = users("bob", "gone", presence=0)
    here = users("bob", "here", presence=0)
    gone.close()
    st = here.next()  # the sibling learns the resource went away
    assert st.get("type") == "unavailable" and st.get("from") == "bob@localhost/gone", dump(st)
    a = users("alice", "desk", presence=0)
    a.send("<message to='bob@localhost/gone' type='%s' id='m1'><body>x</body></message>"
           % mtype)
    got, back = here.messages(), a.sync()
    if outcome == "fallback":
        assert len(got) == 1 and body(got[0]) == "x", "not delivered as to the bare JID: %s" \
            % [dump(s) for s in got]
        assert not back, [dump(s) for s in back]
    else:
        assert not got, "delivered %s" % [dump(s) for s in got]
        if outcome == "dropped":
            assert not back, [dump(s) for s in back]
        else:
            assert len(back) == 1, [dump(s) for s in back]
            assert_error(back[0], outcome, "m1")


# --- Resource conflict (RFC 6120 §7.7.2.2) -----------------------------------------------

def test_resource_conflict_replaces_old_session(server):
    server.adduser("alice", "pw-alice")
    server.adduser("bob", "pw-bob")
    first = Raw(server.port)
    first.login_plain("bob", "pw-bob", "dup")
    second = Peer(server, "bob", "dup", presence=0)
    try:
        data = first.read_until(b"</stream:stream>")
        assert b"<stream:error>" in data, "no stream error: %r" % data
        assert b"<conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" in data or \
            b'<conflict xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>' in data, \
            "no <conflict/> stream error: %r" % data
        assert first.read_all(timeout=5).endswith(b"</stream:stream>"), \
            "data after the stream close: %r" % first.buf
        a = Peer(server, "alice", "desk", presence=0)
        a.send("<message to='bob@localhost/dup' type='chat'><body>new</body></message>")
        assert body(second.next()) == "new", "the new session does not get messages"
        second.quiet("one copy only")
        a.close()
    finally:
        first.close()
        second.close()


# --- Presence among the account's own resources (RFC 6121 §4.2.2, §4.6) -----------------

def test_own_presence_broadcast(users):
    one = users("bob", "one", presence=0)
    two = users("bob", "two")
    two.send("<presence><show>away</show><priority>2</priority></presence>")
    for who in (one, two):
        st = who.next()
        assert st.tag == C + "presence" and st.get("from") == "bob@localhost/two", dump(st)
        assert st.get("type") is None and st.findtext(C + "show") == "away", dump(st)
    two.close()  # no explicit unavailable
    st = one.next()
    assert st.tag == C + "presence" and st.get("type") == "unavailable" and \
        st.get("from") == "bob@localhost/two", "no unavailable on disconnect: %s" % dump(st)
    one.quiet("exactly one unavailable")


def test_new_resource_learns_available_siblings(users):
    """A resource coming online gets the current presence of the account's other resources."""
    one = users("bob", "one")
    one.send("<presence><show>dnd</show><priority>3</priority></presence>")
    assert one.next().get("from") == "bob@localhost/one"
    users("bob", "quiet")  # bound, never available: nothing to report
    two = users("bob", "two", presence=0)
    got = two.siblings
    froms = [st.get("from") for st in got]
    assert froms == ["bob@localhost/one"], "expected only one's presence: %s" % \
        [dump(st) for st in got]
    assert got[0].findtext(C + "show") == "dnd", dump(got[0])


def test_explicit_unavailable_not_repeated_on_close(users):
    one = users("bob", "one", presence=0)
    two = users("bob", "two", presence=0)
    assert one.next().get("from") == "bob@localhost/two"
    two.send("<presence type='unavailable'/>")
    st = one.next()
    assert st.get("type") == "unavailable" and st.get("from") == "bob@localhost/two", dump(st)
    two.close()
    one.quiet("a second unavailable after the explicit one")


# --- iq routing (RFC 6120 §8.2.3, RFC 6121 §8.5) -----------------------------------------

@pytest.mark.parametrize("to", ["bob@localhost/nope", "bob@localhost", "nobody@localhost",
                                "nobody@localhost/x", "localhost", None])
@pytest.mark.parametrize("itype", ["get", "set"])
def test_iq_unknown_target_or_namespace(users, to, itype):
    b = users("bob", "phone", presence=0)
    a = users("alice", "desk", presence=0)
    st = a.request("<iq %s type='%s' id='{id}'><q xmlns='urn:example:none'/></iq>"
                   % ("to='%s'" % to if to else "", itype))
    assert_error(st, "service-unavailable")
    assert st.get("to") == "alice@localhost/desk", dump(st)
    assert st.get("from") == to, "answered as %s, not as %s" % (st.get("from"), to)
    b.quiet("the iq is answered by the server, never delivered to the account")


def test_iq_reaches_resource_without_presence(users):
    quiet = users("bob", "quiet")
    a = users("alice", "desk", presence=0)
    a.send("<iq to='bob@localhost/quiet' type='get' id='q1'><q xmlns='urn:example:x'/></iq>")
    st = quiet.next()
    assert st.tag == C + "iq" and st.get("from") == "alice@localhost/desk", dump(st)
    quiet.send("<iq to='alice@localhost/desk' type='result' id='q1'/>")
    st = a.next()
    assert st.get("type") == "result" and st.get("id") == "q1" and \
        st.get("from") == "bob@localhost/quiet", dump(st)


# --- JIDs are compared in canonical form (RFC 7622 §3) -----------------------------------

@pytest.mark.parametrize("resource,to,arrives", [
    ("phone", "Bob@LocalHost/phone", True),
    ("phone", "BOB@localhost./phone", True),
    ("phone", "bob@localhost/Phone", False),
    ("тел ✓", "bob@localhost/тел ✓", True),
    ("тел ✓", "bob@localhost/ТЕЛ ✓", False),
])
def test_jid_normalization(users, resource, to, arrives):
    b = users("bob", resource, presence=0)
    a = users("alice", "desk", presence=0)
    a.send("<iq to='%s' type='get' id='n1'><q xmlns='urn:example:x'/></iq>" % to)
    if arrives:
        st = b.next()
        assert st.tag == C + "iq" and st.get("id") == "n1", dump(st)
    else:
        assert_error(a.next(), "service-unavailable", "n1")
        b.quiet("resourceparts are case-sensitive")


@pytest.mark.parametrize("stanza", [
    "<iq type='result' id='nobody-asked'/>",
    "<iq type='error' id='nobody-asked'><error type='cancel'>"
    "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
    "<iq to='localhost' type='result' id='nobody-asked'/>",
    "<iq to='bob@localhost' type='result' id='nobody-asked'/>",
    "<message to='localhost' type='error'><error type='cancel'>"
    "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
    "<presence to='nobody@localhost'/>",
    "<message to='bob@localhost' type='error'><error type='cancel'>"
    "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
    "<message to='bob@localhost' type='headline'><body>x</body></message>",
    "<message to='bob@localhost/gone' type='headline'><body>x</body></message>",
    "<iq to='bob@localhost/gone' type='result' id='x'/>",
    "<iq to='bob@localhost/gone' type='error' id='x'><error type='cancel'>"
    "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
    "<presence to='bob@localhost/gone'/>",
    "<presence to='bob@localhost' type='probe'/>",
])
def test_silence(users, stanza):
    """Nothing comes back, to the sender or to the (offline) account (RFC 6121 §8.5)."""
    a = users("alice", "desk", presence=0)
    a.send(stanza)
    a.quiet("no answer to %s" % stanza)


# --- 'from' is stamped, never trusted (RFC 6120 §8.1.2.1) --------------------------------

@pytest.mark.parametrize("forged", ["mallory@localhost/x", "bob@localhost/phone", "localhost",
                                    "alice@localhost/other", "garbage@@"])
def test_forged_from(users, forged):
    b = users("bob", "phone", presence=0)
    a = users("alice", "desk", presence=0)
    a.send("<message from='%s' to='bob@localhost/phone' type='chat'><body>hi</body></message>"
           % forged)
    m = b.next()
    assert m.get("from") == "alice@localhost/desk", "forged from kept: %s" % dump(m)


# --- Malformed input gets stanza errors (RFC 6120 §8.3.3) --------------------------------

@pytest.mark.parametrize("stanza,cond", [
    ("<message to='a@b@c' type='chat' id='{id}'><body>x</body></message>", "jid-malformed"),
    ("<message to='@localhost' type='chat' id='{id}'><body>x</body></message>",
     "jid-malformed"),
    ("<message to='bob@localhost/' type='chat' id='{id}'><body>x</body></message>",
     "jid-malformed"),
    ("<message to='' type='chat' id='{id}'><body>x</body></message>", "jid-malformed"),
    ("<iq to='a b@localhost' type='get' id='{id}'><ping xmlns='urn:xmpp:ping'/></iq>",
     "jid-malformed"),
    ("<message to='x@example.org' type='chat' id='{id}'><body>x</body></message>",
     "remote-server-not-found"),
    ("<message to='x@example.org/r' type='normal' id='{id}'><body>x</body></message>",
     "remote-server-not-found"),
    ("<message to='nobody@localhost' type='chat' id='{id}'><body>x</body></message>",
     "service-unavailable"),
    ("<message to='nobody@localhost/r' type='normal' id='{id}'><body>x</body></message>",
     "service-unavailable"),
    ("<iq to='example.org' type='get' id='{id}'><ping xmlns='urn:xmpp:ping'/></iq>",
     "remote-server-not-found"),
    ("<iq id='{id}'><ping xmlns='urn:xmpp:ping'/></iq>", "bad-request"),
    ("<iq type='fetch' id='{id}'><ping xmlns='urn:xmpp:ping'/></iq>", "bad-request"),
    ("<iq type='get' id='{id}'/>", "bad-request"),
    ("<iq type='get' id='{id}'><ping xmlns='urn:xmpp:ping'/><x xmlns='y'/></iq>",
     "bad-request"),
    ("<presence id='{id}'><priority>999</priority></presence>", "bad-request"),
    ("<presence id='{id}'><priority>-129</priority></presence>", "bad-request"),
    ("<presence id='{id}'><priority>high</priority></presence>", "bad-request"),
    ("<presence type='sleepy' id='{id}'/>", "bad-request"),
])
def test_stanza_errors(users, stanza, cond):
    a = users("alice", "desk", presence=0)
    st = a.request(stanza)
    assert_error(st, cond)
    assert st.get("to") == "alice@localhost/desk", "error not addressed to the sender: %s" \
        % dump(st)
    assert a.sync() == [], "more than one reply"


def test_unknown_message_type_is_normal(users):
    """RFC 6121 §5.2.2: a message type nobody understands is handled as "normal"."""
    bob = users("bob", "one", presence=0)
    a = users("alice", "desk", presence=0)
    a.send("<message to='bob@localhost' type='shout' id='s1'><body>loud</body></message>")
    got = bob.next()
    assert body(got) == "loud" and got.get("from") == "alice@localhost/desk", dump(got)
    assert a.sync() == [], "the sender got a reply"


def test_pretty_printed_iq_is_accepted(users):
    """Whitespace between elements is formatting, not a second payload."""
    a = users("alice", "desk", presence=0)
    st = a.request("<iq type='get' id='{id}' to='localhost'>\n  <ping xmlns='urn:xmpp:ping'/>\n"
                   "</iq>")
    assert st.get("type") == "result", dump(st)


def test_iq_without_id_is_bad_request(users):
    a = users("alice", "desk", presence=0)
    a.send("<iq type='get'><ping xmlns='urn:xmpp:ping'/></iq>")
    got = a.sync()
    assert len(got) == 1, "expected one error, got %s" % [dump(s) for s in got]
    assert_error(got[0], "bad-request")


@pytest.mark.parametrize("text,value", [("127", 127), ("-128", -128), ("+5", 5),
                                        (" 5 ", 5), ("0", 0)])
def test_priority_accepted(users, text, value):
    """xs:byte (RFC 6121 §4.7.2.3 and its schema): the full range, a sign, collapsed spaces."""
    one = users("bob", "one")
    st = one.request("<presence id='{id}'><priority>%s</priority></presence>" % text)
    assert st.tag == C + "presence" and st.get("type") is None, "refused: %s" % dump(st)
    assert st.findtext(C + "priority") == text, dump(st)


def test_bad_priority_keeps_old_presence(users):
    one = users("bob", "one", presence=5)
    two = users("bob", "two", presence=1)
    one.next()  # two's initial presence
    st = one.request("<presence id='{id}'><priority>999</priority></presence>")
    assert_error(st, "bad-request")
    two.quiet("a refused presence was broadcast")
    a = users("alice", "desk", presence=0)
    a.send("<message to='bob@localhost' type='chat'><body>x</body></message>")
    assert len(one.messages()) == 1 and two.messages() == [], "priority 5 was not kept"


# --- No 'to': the sender's own bare JID (RFC 6120 §10.3.1, RFC 6121 §8.1) ----------------

def test_message_without_to_goes_to_own_bare_jid(users):
    low = users("alice", "low", presence=1)
    high = users("alice", "high", presence=7)
    assert low.next().get("from") == "alice@localhost/high"
    b = users("bob", "phone", presence=0)
    low.send("<message type='chat' id='m1'><body>note to self</body></message>")
    m = high.next()
    assert body(m) == "note to self" and m.get("from") == "alice@localhost/low", dump(m)
    assert m.get("to") in (None, "alice@localhost"), dump(m)
    low.quiet("only the highest-priority resource gets it")
    b.quiet("a message without 'to' leaked to another account")


def test_message_without_to_no_available_resource(users):
    a = users("alice", "alone")
    a.send("<message type='chat' id='m1'><body>x</body></message>")
    a.quiet("kept offline for the account, not bounced")
