# SPDX-License-Identifier: MIT
"""XEP-0198 stream management: acks both ways, resumption with retransmission, and where
unacknowledged messages go when the session is not resumed."""
import re
import socket
import struct

import pytest

from conftest import DOMAIN
from xmpp_helpers import Raw, wait_log

SM = "urn:xmpp:sm:3"


class SMPeer:
    """A raw, bound connection that speaks stream management by hand."""

    def __init__(self, server, user, resource="sm", enable=None, presence=True):
        self.user, self.resource = user, resource
        self.raw = Raw(server.port)
        self.raw.login_plain(user, "pw-" + user, resource)
        if enable is not None:
            resume = " resume='true'" if enable == "resume" else ""
            self.raw.send("<enable xmlns='%s'%s/>" % (SM, resume))
            data = self.expect(r"<enabled[^>]*/>")
            m = re.search(rb"id='([0-9a-f]+)'", data)
            self.id = m.group(1).decode() if m else None
        if presence:
            self.raw.send("<presence/>")

    def expect(self, pattern, timeout=5):
        data = self.raw.read_until(pattern, timeout)
        m = re.search(pattern.encode(), data, re.S)
        self.raw.buf = data[m.end():]
        return m.group(0)

    def count(self, pattern, n, timeout=5):
        rx = re.compile(pattern.encode(), re.S)
        self.raw.read_until(b"(?:" + pattern.encode() + b".*?){%d}" % n, timeout)
        return rx.findall(self.raw.buf)

    def abort(self):
        """Resets the TCP connection without a word, as a dead network does."""
        self.raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.raw.close()


def resume_login(server, user, previd, h):
    """A new connection that authenticates and asks to resume previd."""
    r = Raw(server.port)
    features = r.authenticate(user, "pw-" + user)
    assert b"<sm xmlns='urn:xmpp:sm:3'/>" in features
    r.send("<resume xmlns='%s' previd='%s' h='%d'/>" % (SM, previd, h))
    return r


@pytest.fixture
def pair(server_factory):
    srv = server_factory(allow_plaintext_loopback=False, sm_resume_timeout=30)
    srv.adduser("alice", "pw-alice")
    srv.adduser("bob", "pw-bob")
    return srv


def msg(to, body, mid):
    return "<message to='%s@%s' type='chat' id='%s'><body>%s</body></message>" % (
        to, DOMAIN, mid, body)


def test_enable_and_acks_count_both_ways(pair):
    a = SMPeer(pair, "alice", enable="plain")
    assert a.id is None  # no resumption asked for, none granted
    a.raw.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
    a.expect(r"<iq[^>]*id='p1'")
    a.raw.send("<r xmlns='%s'/>" % SM)
    # presence and the ping: two stanzas received since <enable/>
    assert b"h='2'" in a.expect(r"<a xmlns='urn:xmpp:sm:3' h='\d+'/>")


def test_server_asks_for_acks_and_takes_them(pair):
    a = SMPeer(pair, "alice", enable="plain")
    b = SMPeer(pair, "bob")
    for i in range(6):
        b.raw.send(msg("alice", "m%d" % i, "m%d" % i))
    a.count(r"<message", 6)
    assert b"<r xmlns='urn:xmpp:sm:3'/>" in a.raw.buf
    a.raw.send("<a xmlns='%s' h='6'/>" % SM)
    a.raw.send("<iq type='get' id='p2'><ping xmlns='urn:xmpp:ping'/></iq>")
    a.expect(r"id='p2'")


def test_ack_beyond_sent_is_a_stream_error(pair):
    a = SMPeer(pair, "alice", enable="plain")
    a.raw.send("<a xmlns='%s' h='50'/>" % SM)
    data = a.raw.read_all()
    assert b"<undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" in data


def test_enable_before_bind_fails(pair):
    r = Raw(pair.port)
    r.authenticate("alice", "pw-alice")
    r.send("<enable xmlns='%s' resume='true'/>" % SM)
    assert b"<unexpected-request" in r.read_until(b"</failed>")


def test_resume_retransmits_what_was_not_acked(pair):
    a = SMPeer(pair, "alice", enable="resume")
    assert a.id
    b = SMPeer(pair, "bob")
    for i in range(3):
        b.raw.send(msg("alice", "in-flight-%d" % i, "f%d" % i))
    a.count(r"in-flight-\d", 3)
    a.abort()  # read by the socket, never acknowledged
    wait_log(pair, "lost its connection")
    r = resume_login(pair, "alice", a.id, 0)
    data = r.read_until(rb"in-flight-2")
    assert re.search(rb"<resumed xmlns='urn:xmpp:sm:3' previd='%s' h='1'/>" % a.id.encode(),
                     data)
    assert data.index(b"<resumed") < data.index(b"in-flight-0") < data.index(b"in-flight-2")
    # the session kept its full JID: a message to it arrives on the new connection
    r.buf = b""
    b.raw.send("<message to='alice@%s/sm' type='chat'><body>after</body></message>" % DOMAIN)
    r.read_until(b"after")


def test_resume_of_acked_stanzas_sends_only_the_rest(pair):
    a = SMPeer(pair, "alice", enable="resume")
    b = SMPeer(pair, "bob")
    for i in range(4):
        b.raw.send(msg("alice", "n%d" % i, "n%d" % i))
    a.count(r"<body>n\d</body>", 4)
    a.abort()
    wait_log(pair, "lost its connection")
    # the client had handled its own presence, n0 and n1
    r = resume_login(pair, "alice", a.id, 3)
    data = r.read_until(rb"n3</body>")
    assert b"<body>n0</body>" not in data and b"<body>n1</body>" not in data
    assert b"<body>n2</body>" in data


def test_unknown_resume_id_fails(pair):
    r = resume_login(pair, "alice", "00" * 16, 0)
    data = r.read_until(b"</failed>")
    assert b"<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>" in data
    assert b" h=" not in data


def test_someone_elses_resume_id_fails(pair):
    a = SMPeer(pair, "alice", enable="resume")
    a.abort()
    wait_log(pair, "lost its connection")
    r = resume_login(pair, "bob", a.id, 0)
    assert b"<item-not-found" in r.read_until(b"</failed>")


def test_unacked_message_goes_to_another_resource_when_not_resumed(server_factory):
    srv = server_factory(sm_resume_timeout=1)
    srv.adduser("alice", "pw-alice")
    srv.adduser("bob", "pw-bob")
    a = SMPeer(srv, "alice", enable="resume")
    other = SMPeer(srv, "alice", resource="desk")
    b = SMPeer(srv, "bob")
    other.raw.buf = b""
    b.raw.send("<message to='alice@%s/sm' type='chat'><body>lost-in-flight</body></message>"
               % DOMAIN)
    a.expect(r"lost-in-flight")
    a.abort()
    wait_log(srv, "not resumed in time")
    other.raw.read_until(b"lost-in-flight")
    # and a late resume learns how far the server had got
    r = resume_login(srv, "alice", a.id, 0)
    data = r.read_until(b"</failed>")
    assert re.search(rb"<failed xmlns='urn:xmpp:sm:3' h='\d+'><item-not-found", data)


def test_detached_session_stays_available(pair):
    a = SMPeer(pair, "alice", enable="resume")
    b = SMPeer(pair, "bob")
    a.abort()
    wait_log(pair, "lost its connection")
    b.raw.buf = b""
    b.raw.send("<message to='alice@%s' type='chat'><body>queued</body></message>" % DOMAIN)
    r = resume_login(pair, "alice", a.id, 0)
    r.read_until(b"queued")
    assert b"<error" not in b.raw.buf


def test_slixmpp_resumes_and_gets_what_came_meanwhile(pair):
    """A real client library: enable with resumption, lose the TCP connection, reconnect;
    it resumes (no new session) and gets the message sent while it was away."""
    import asyncio
    from xmpp_helpers import Client, online, run

    async def go():
        a = Client("alice@%s/phone" % DOMAIN, "pw-alice")
        a.register_plugin("xep_0198")
        loop = asyncio.get_event_loop()
        enabled, resumed = loop.create_future(), loop.create_future()
        a.add_event_handler("sm_enabled", lambda _: enabled.done() or enabled.set_result(1))
        a.add_event_handler("session_resumed",
                            lambda _: resumed.done() or resumed.set_result(1))
        a.connect(("127.0.0.1", pair.port))
        await asyncio.wait_for(a.started, 10)
        await asyncio.wait_for(enabled, 10)
        a.send_presence()
        b = await online(pair, "bob", "pw-bob")
        a.transport.abort()
        await asyncio.sleep(0)
        wait_log(pair, "lost its connection")
        b.send_message(mto="alice@%s/phone" % DOMAIN, mbody="while-away", mtype="chat")
        a.connect(("127.0.0.1", pair.port))
        await asyncio.wait_for(resumed, 10)
        while True:
            m = await a.next_message()
            if m["body"]:
                break
        assert m["body"] == "while-away"
        assert "resumed alice@%s/phone" % DOMAIN in pair.log()
        a.disconnect()
        b.disconnect()

    run(go())


def test_resumed_session_keeps_carbons_and_presence(pair):
    a = SMPeer(pair, "alice", enable="resume")
    a.raw.send("<iq type='set' id='c1'><enable xmlns='urn:xmpp:carbons:2'/></iq>")
    a.expect(r"<iq[^>]*id='c1'[^>]*type='result'|<iq[^>]*type='result'[^>]*id='c1'")
    desk = SMPeer(pair, "alice", resource="desk")
    b = SMPeer(pair, "bob")
    a.abort()
    wait_log(pair, "lost its connection")
    r = resume_login(pair, "alice", a.id, 0)
    r.read_until(b"<resumed")
    b.raw.buf = b""
    b.raw.send("<message to='alice@%s/desk' type='chat'><body>to-desk</body></message>" % DOMAIN)
    desk.raw.read_until(b"to-desk")
    data = r.read_until(b"</received>")
    assert b"<received xmlns='urn:xmpp:carbons:2'>" in data and b"to-desk" in data
    # nobody was told alice/sm went away
    desk.raw.send("<iq type='get' id='p9'><ping xmlns='urn:xmpp:ping'/></iq>")
    seen = desk.raw.read_until(b"id='p9'")
    assert b"type='unavailable'" not in seen


def test_kill_9_right_after_the_ack_loses_nothing(pair):
    """The server's <a h=''/> for a client's message means it is stored where it had to be:
    a message to an offline user survives kill -9 of the server sent right after the ack."""
    a = SMPeer(pair, "alice", enable="plain")
    for i in range(20):
        a.raw.send(msg("bob", "durable-%d" % i, "d%d" % i))
    a.raw.send("<r xmlns='%s'/>" % SM)
    # presence, then the 20 messages
    assert b"h='21'" in a.expect(r"<a xmlns='urn:xmpp:sm:3' h='\d+'/>")
    pair.stop(sig=9)
    pair.start()
    b = SMPeer(pair, "bob")
    data = b.raw.read_until(rb"durable-19<", timeout=10)
    got = re.findall(rb"durable-(\d+)<", data)
    assert [int(x) for x in got] == list(range(20))


def test_in_flight_message_goes_offline_when_never_resumed(server_factory):
    """The client stopped reading, then its connection was aborted and it never resumed: the
    message it did not acknowledge waits in offline storage for its next login."""
    srv = server_factory(sm_resume_timeout=1)
    srv.adduser("alice", "pw-alice")
    srv.adduser("bob", "pw-bob")
    a = SMPeer(srv, "alice", enable="resume")
    b = SMPeer(srv, "bob")
    b.raw.send(msg("alice", "never-read", "nr1"))  # alice does not read any more
    b.raw.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
    b.expect(r"id='p1'")  # bob's message was routed before this answer
    a.abort()
    wait_log(srv, "not resumed in time")
    again = SMPeer(srv, "alice", resource="back")
    data = again.raw.read_until(b"never-read")
    assert re.search(rb"<delay xmlns='urn:xmpp:delay'[^>]*from='%s'" % DOMAIN.encode(), data)


def test_sender_written_delay_is_not_taken_for_a_stored_message(server_factory):
    """Only the server stamps a delay from its domain: a sender's own such delay does not make
    a rerouted message look already stored (it would be lost)."""
    srv = server_factory(sm_resume_timeout=1)
    srv.adduser("alice", "pw-alice")
    srv.adduser("bob", "pw-bob")
    a = SMPeer(srv, "alice", enable="resume")
    b = SMPeer(srv, "bob")
    b.raw.send("<message to='alice@%s' type='chat' id='x1'><body>forged-delay</body>"
               "<delay xmlns='urn:xmpp:delay' from='%s' stamp='2020-01-01T00:00:00Z'/>"
               "</message>" % (DOMAIN, DOMAIN))
    a.expect(r"forged-delay")
    a.abort()
    wait_log(srv, "not resumed in time")
    again = SMPeer(srv, "alice", resource="back")
    data = again.raw.read_until(b"forged-delay", timeout=5)
    assert b"2020-01-01" not in data


def test_deleted_account_keeps_nothing_for_the_next_owner(server_factory):
    srv = server_factory(allow_registration=True)
    srv.adduser("alice", "pw-alice")
    srv.adduser("bob", "pw-bob")
    a = SMPeer(srv, "alice", enable="plain")
    b = SMPeer(srv, "bob")
    b.raw.send(msg("alice", "secret-for-old-alice", "s1"))
    a.expect(r"secret-for-old-alice")  # read, never acknowledged
    a.raw.send("<iq type='set' id='rm'><query xmlns='jabber:iq:register'><remove/></query></iq>")
    a.raw.read_all()
    a.raw.close()
    wait_log(srv, "session alice@localhost/sm ended")
    srv.adduser("alice", "pw-alice")  # someone else takes the name
    b.raw.send(msg("alice", "hello-new-alice", "s2"))  # kept for the new owner
    n = SMPeer(srv, "alice", resource="new")
    data = n.raw.read_until(b"hello-new-alice", timeout=5)
    assert b"secret-for-old-alice" not in data


def test_roster_reply_in_slices_counts_as_one_stanza(server_factory):
    srv = server_factory()
    srv.adduser("alice", "pw-alice")
    a = SMPeer(srv, "alice", enable="plain", presence=False)
    for i in range(250):  # a roster over 16 KiB goes out in slices
        a.raw.send("<iq type='set' id='rs%d'><query xmlns='jabber:iq:roster'><item jid='"
                   "contact-number-%03d-with-a-long-name@example.net' name='Some Long Contact "
                   "Name %03d'><group>Group %03d</group></item></query></iq>" % (i, i, i, i))
    a.raw.read_until(b"id='rs249'", timeout=20)
    a.raw.send("<iq type='get' id='rg'><query xmlns='jabber:iq:roster'/></iq>")
    data = a.raw.read_until(b"id='rg'.*?</query></iq>", timeout=10)
    received = len(re.findall(rb"<iq |<message |<presence ", data))
    a.raw.buf = b""
    a.raw.send("<a xmlns='%s' h='%d'/>" % (SM, received))
    a.raw.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
    data = a.raw.read_until(b"id='p1'|undefined-condition", timeout=5)
    assert b"undefined-condition" not in data


def test_session_the_server_closed_cannot_be_resumed(pair):
    a = SMPeer(pair, "alice", enable="resume")
    SMPeer(pair, "alice", enable="resume")  # the same resource again: a gets conflict
    a.raw.read_until(b"conflict")
    r = resume_login(pair, "alice", a.id, 1)
    data = r.read_until(b"</failed>|<resumed[^>]*/>")
    assert b"<resumed" not in data and b"<item-not-found" in data
