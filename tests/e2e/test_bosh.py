# SPDX-License-Identifier: MIT
"""BOSH (XEP-0124, XEP-0206) at /http-bind with a raw HTTP client: session creation, login
with restarts, messages both ways with a TCP client (the answer to a long poll), the rid
window, terminate, and the binding conditions for bad requests."""
import base64
import re
import threading
import xml.etree.ElementTree as ET

import pytest

from conftest import DOMAIN
from ws_helpers import http_exchange
from xmpp_helpers import offline, online, run

HTTPBIND = "http://jabber.org/protocol/httpbind"
XBOSH = "urn:xmpp:xbosh"


def post(port, body, tls=True):
    req = ("POST /http-bind HTTP/1.1\r\nHost: localhost:%d\r\nContent-Type: text/xml; "
           "charset=utf-8\r\nContent-Length: %d\r\n\r\n" % (port, len(body.encode()))).encode()
    status, headers, answer = http_exchange(port, req + body.encode(), tls=tls, timeout=30)
    assert status == 200, (status, answer)
    return ET.fromstring(answer), answer.decode()


def body(rid, sid=None, payload="", **attrs):
    a = " ".join("%s='%s'" % (k.replace("_", ":"), v) for k, v in attrs.items())
    s = " sid='%s'" % sid if sid else ""
    return "<body xmlns='%s' xmlns:xmpp='%s' rid='%d'%s %s>%s</body>" % (
        HTTPBIND, XBOSH, rid, s, a, payload)


class Bosh:
    """One BOSH session, one request at a time (hold=1), over HTTPS."""

    def __init__(self, port, wait=2):
        self.port, self.rid = port, 4000
        root, text = post(port, body(self.rid, to=DOMAIN, wait=wait, hold=1, ver="1.6",
                                     xmpp_version="1.0"))
        assert root.tag == "{%s}body" % HTTPBIND, text
        self.sid, self.created = root.get("sid"), (root, text)

    def send(self, payload="", **attrs):
        self.rid += 1
        return post(self.port, body(self.rid, self.sid, payload, **attrs))

    def login(self, user, password, resource="bosh"):
        cred = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
        _, text = self.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                            "%s</auth>" % cred)
        assert "<success" in text, text
        _, text = self.send(xmpp_restart="true", to=DOMAIN)
        assert "urn:ietf:params:xml:ns:xmpp-bind" in text, text
        _, text = self.send("<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:"
                            "ietf:params:xml:ns:xmpp-bind'><resource>%s</resource></bind></iq>"
                            % resource)
        return re.search(r"<jid>([^<]+)</jid>", text).group(1)


def test_session_creation_answer(server):
    b = Bosh(server.https_port)
    root, text = b.created
    assert len(b.sid) >= 16 and root.get("authid"), text
    assert root.get("from") == DOMAIN and root.get("{%s}version" % XBOSH) == "1.0", text
    assert root.get("{%s}restartlogic" % XBOSH) == "true", text
    assert int(root.get("wait")) == 2 and root.get("requests") == "2", text
    assert "<stream:features" in text and ">PLAIN<" in text, text


def test_login_and_chat_with_a_tcp_client(server):
    server.adduser("alice", "pw-alice")
    server.adduser("bob", "pw-bob")

    async def go():
        bob = await online(server, "bob", "pw-bob")
        b = Bosh(server.https_port)
        jid = b.login("alice", "pw-alice")
        assert jid == "alice@%s/bosh" % DOMAIN
        b.send("<presence xmlns='jabber:client'/>")
        b.send("<message xmlns='jabber:client' to='bob@%s' type='chat'><body>hi over "
               "BOSH</body></message>" % DOMAIN)
        got = await bob.next_message()
        assert got["body"] == "hi over BOSH" and got["from"] == jid, got
        # a long poll, answered when bob's message comes
        answer = {}
        poll = threading.Thread(target=lambda: answer.update(text=b.send()[1]))
        poll.start()
        bob.send_message(mto=jid, mbody="hi back", mtype="chat")
        for _ in range(100):
            await __import__("asyncio").sleep(0.05)
            if not poll.is_alive():
                break
        poll.join(10)
        text = answer.get("text", "")
        if "hi back" not in text:  # it may have come with an earlier answer's next poll
            text += b.send()[1]
        assert "hi back" in text and "xmlns='jabber:client'" in text, text
        root, text = b.send(type="terminate")
        assert root.get("type") == "terminate", text
        await offline(bob)

    run(go(), timeout=60)


def test_rid_window_and_unknown_sessions(server):
    b = Bosh(server.https_port)
    root, text = post(server.https_port, body(b.rid + 10, b.sid))  # beyond the window
    assert root.get("type") == "terminate" and root.get("condition") == "item-not-found", text
    root, text = post(server.https_port, body(1, "0123456789abcdef"))
    assert root.get("type") == "terminate" and root.get("condition") == "item-not-found", text


@pytest.mark.parametrize("payload,condition", [
    ("<body xmlns='%s' rid='1' to='%s'" % (HTTPBIND, DOMAIN), "bad-request"),  # not XML
    ("<notbody xmlns='%s' rid='1' to='%s'/>" % (HTTPBIND, DOMAIN), "bad-request"),
    ("<body xmlns='%s' to='%s' wait='5' hold='1'/>" % (HTTPBIND, DOMAIN), "bad-request"),  # no rid
    ("<body xmlns='%s' rid='1' to='elsewhere.example' wait='5' hold='1'/>" % HTTPBIND,
     "host-unknown"),
], ids=["not-xml", "not-body", "no-rid", "other-host"])
def test_bad_requests_get_binding_conditions(server, payload, condition):
    root, text = post(server.https_port, payload)
    assert root.get("type") == "terminate" and root.get("condition") == condition, text
    Bosh(server.https_port)  # and the server serves on


def test_plain_http_offers_no_plain_login(server):
    """Over plain HTTP a loopback client may log in (http_loopback_login), but only with a
    mechanism that does not show the password."""
    root, text = post(server.http_port, body(1, to=DOMAIN, wait=2, hold=1, ver="1.6",
                                             xmpp_version="1.0"), tls=False)
    assert "SCRAM-SHA-1" in text and ">PLAIN<" not in text, text
