# SPDX-License-Identifier: MIT
"""XMPP over WebSocket (RFC 7395) on the web front: the upgrade and its refusals, the framed
stream (open, features, login, stanzas both ways with a TCP client, close), stream management
resumption, redirection, and the RFC 6455 errors for bad frames, after which the server
keeps serving."""
import asyncio
import base64
import json
import os
import re
import shutil
import struct
import subprocess

import pytest

from conftest import DOMAIN
from ws_helpers import (BINARY, CLOSE, CLOSE_OP, FRAMING, OPEN, PING, PONG, TEXT, WsClient,
                        frame, http_exchange, upgrade_request)
from xmpp_helpers import Raw, offline, online, run

WEB_TESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web")


@pytest.fixture
def web(server_factory):
    """A server whose loopback peers may log in without TLS (as the web page's tests do)."""
    srv = server_factory(allow_plaintext_loopback=True)
    srv.adduser("alice", "pw-alice")
    srv.adduser("bob", "pw-bob")
    return srv


async def off_loop(fn, *args):
    """Runs a blocking read of the raw client beside slixmpp's event loop, not inside it."""
    return await asyncio.get_event_loop().run_in_executor(None, fn, *args)


def refused(port, status, **kw):
    got, headers, body = http_exchange(port, upgrade_request(port, **kw))
    assert got == status, (got, body)
    assert headers.get("content-type") == "application/json", headers
    assert b'"error"' in body, body
    return headers


def test_upgrade_needs_the_xmpp_subprotocol(web):
    refused(web.http_port, 400, protocol=None)
    refused(web.http_port, 400, protocol="chat, superchat")
    c = WsClient(web.http_port)  # 'xmpp' among others is fine, and echoed alone
    assert c.headers.get("sec-websocket-protocol") == "xmpp", c.headers
    c.close()


def test_upgrade_refusals(web):
    port = web.http_port
    req = upgrade_request(port).replace(b"Version: 13", b"Version: 8")
    status, headers, _ = http_exchange(port, req)
    assert status == 426 and headers.get("sec-websocket-version") == "13", (status, headers)
    refused(port, 403, origin="https://elsewhere.example")
    own = WsClient(port, origin="http://localhost:%d" % port)  # the server's own pages
    own.close()


def test_login_and_chat_with_a_tcp_client(web):
    async def go():
        bob = await online(web, "bob", "pw-bob")
        ws = WsClient(web.http_port)
        ws.send(OPEN)
        opened, features = ws.recv(), ws.recv()
        assert re.match(r"<open xmlns='%s'" % FRAMING, opened), opened
        assert "from='%s'" % DOMAIN in opened and "version='1.0'" in opened, opened
        assert "xmlns:stream='http://etherx.jabber.org/streams'" in features, features
        # ws:// on loopback (allow_plaintext_loopback): SCRAM, never PLAIN, never STARTTLS
        assert "SCRAM-SHA-1" in features and ">PLAIN<" not in features, features
        assert "starttls" not in features, features
        ws.close()
        ws = WsClient(web.https_port, tls=True)
        jid = ws.login_plain("alice", "pw-alice", "web")
        assert jid == "alice@%s/web" % DOMAIN
        ws.send("<presence xmlns='jabber:client'/>")
        ws.recv_until(r"<presence")
        ws.send("<message xmlns='jabber:client' to='bob@%s' type='chat'><body>hi from the "
                "web</body></message>" % DOMAIN)
        got = await bob.next_message()
        assert got["body"] == "hi from the web" and got["from"] == jid, got
        bob.send_message(mto=jid, mbody="hi back", mtype="chat")
        msg = (await off_loop(ws.recv_until, r"<message"))[-1]
        # Each message stands alone (RFC 7395 §3.3.3): the stanza names its namespace.
        assert msg.startswith("<message xmlns='jabber:client'") and "hi back" in msg, msg
        ws.send(CLOSE)
        assert ws.recv_until(r"<close")[-1].startswith("<close xmlns='%s'" % FRAMING)
        assert ws.close_code() == 1000
        await offline(bob)

    run(go())


def test_ping_answered_and_stream_errors_framed(web):
    ws = WsClient(web.http_port)
    ws.send_raw(frame(PING, b"are you there"))
    assert ws.recv_frame() == (PONG, b"are you there")
    ws.send("<message xmlns='jabber:client'><body>before open</body></message>")
    # As on TCP, an error before any header comes after the server's own header.
    opened, err, close = ws.recv(), ws.recv(), ws.recv()
    assert opened.startswith("<open xmlns='%s'" % FRAMING), opened
    assert err.startswith("<stream:error") and "xmlns:stream=" in err, err
    assert "invalid-namespace" in err, err
    assert close.startswith("<close xmlns='%s'" % FRAMING), close
    assert ws.close_code() == 1000


def test_a_message_must_hold_whole_elements(web):
    ws = WsClient(web.http_port)
    ws.send(OPEN)
    ws.recv_until(r"<stream:features")
    ws.send("<iq xmlns='jabber:client' type='get' id='x'><ping xmlns='urn:xmpp:ping'/>")
    assert "not-well-formed" in ws.recv_until(r"<stream:error")[-1]
    assert ws.close_code() == 1000


@pytest.mark.parametrize("bad,code", [
    (frame(TEXT, OPEN, mask=False), 1002),                    # clients must mask
    (frame(PING, b"x", fin=False), 1002),                     # control frames never fragment
    (frame(TEXT, b"<open \xff\xfe/>"), 1007),                 # text must be UTF-8
    (frame(BINARY, b"\x00\x01"), 1003),                       # RFC 7395 speaks text only
    (frame(TEXT, b"x" * 300000), 1009),                       # beyond max_stanza_bytes
    (frame(TEXT, OPEN, rsv=0x40), 1002),                      # no extension was agreed
], ids=["unmasked", "fragmented-ping", "bad-utf8", "binary", "oversized", "reserved-bit"])
def test_bad_frames_close_with_their_code_and_the_server_serves_on(web, bad, code):
    ws = WsClient(web.http_port)
    ws.send_raw(bad)
    assert ws.close_code() == code
    ws.close()
    again = WsClient(web.https_port, tls=True)
    assert again.login_plain("alice", "pw-alice") == "alice@%s/ws" % DOMAIN
    again.close()


def test_peer_close_frame_is_echoed(web):
    ws = WsClient(web.http_port)
    ws.send(OPEN)
    ws.recv_until(r"<stream:features")
    ws.send_raw(frame(CLOSE_OP, struct.pack("!H", 1001) + b"bye"))
    assert ws.close_code() == 1001


def test_resumption_over_websocket(web):
    """XEP-0198 as on TCP: a stanza sent while the socket died comes again on resumption."""
    async def go():
        bob = await online(web, "bob", "pw-bob")
        ws = WsClient(web.https_port, tls=True)
        jid = ws.login_plain("alice", "pw-alice", "phone")
        ws.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>")
        enabled = ws.recv_until(r"<enabled")[-1]
        previd = re.search(r"id='([^']+)'", enabled).group(1)
        ws.send("<presence xmlns='jabber:client'/>")
        ws.recv_until(r"<presence")
        ws.sock.close()  # gone without a word, nothing acknowledged
        bob.send_message(mto=jid, mbody="while you were away", mtype="chat")
        await asyncio.sleep(0.2)  # slixmpp writes from this loop: let it
        back = WsClient(web.https_port, tls=True)
        back.send(OPEN)
        back.recv_until(r"<stream:features")
        cred = base64.b64encode(b"\0alice\0pw-alice").decode()
        back.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>"
                  % cred)
        assert "<success" in back.recv()
        back.send(OPEN)
        back.recv_until(r"<stream:features")
        back.send("<resume xmlns='urn:xmpp:sm:3' previd='%s' h='0'/>" % previd)
        got = await off_loop(back.recv_until, r"while you were away")
        assert any(m.startswith("<resumed") for m in got), got
        back.close()
        await offline(bob)

    run(go(), timeout=60)


def test_redirect_sends_see_other_uri(server_factory):
    srv = server_factory(allow_plaintext_loopback=True,
                         websocket_redirect="wss://other.example/xmpp-websocket")
    ws = WsClient(srv.http_port)
    ws.send(OPEN)
    close = ws.recv()
    assert close == ("<close xmlns='%s' see-other-uri='wss://other.example/xmpp-websocket'/>"
                     % FRAMING), close
    assert ws.close_code() == 1000


def test_websocket_over_tls(server_factory):
    srv = server_factory(http_loopback_login=False)  # no exception for plain HTTP at all
    srv.adduser("alice", "pw-alice")
    ws = WsClient(srv.https_port, tls=True)
    assert ws.login_plain("alice", "pw-alice", "secure") == "alice@%s/secure" % DOMAIN
    ws.close()
    plain = WsClient(srv.http_port)  # without TLS the server offers no mechanism at all
    plain.send(OPEN)
    features = plain.recv_until(r"<stream:features")[-1]
    assert "<mechanism>" not in features, features
    plain.close()


def test_tcp_stream_unchanged_beside_the_web_front(web):
    raw = Raw(web.port)
    raw.open_stream()
    assert b"<starttls" in raw.buf
    raw.close()


def node_client(script, *args, cert=None):
    """Runs a script of tests/web with the npm packages the Makefile installed (next to them,
    so that its imports resolve); returns its one-line JSON report."""
    modules = os.environ.get("NODE_PATH")
    if not modules or not os.path.isdir(modules):
        pytest.fail("NODE_PATH must name the installed npm packages (run through make e2e)")
    here = os.path.dirname(modules)
    shutil.copy(os.path.join(WEB_TESTS, script), here)
    env = dict(os.environ, NODE_EXTRA_CA_CERTS=cert or "")
    r = subprocess.run(["node", "--experimental-websocket", os.path.join(here, script)] +
                       list(args), capture_output=True, text=True, timeout=60, env=env)
    lines = r.stdout.strip().splitlines()
    assert lines, "no report: %s" % r.stderr
    return json.loads(lines[-1]), r


@pytest.mark.parametrize("tls", [False, True], ids=["ws", "wss"])
def test_xmpp_js_client_chats_with_slixmpp(server_factory, tls_files, tls):
    """@xmpp/client from npm logs in over WebSocket with SCRAM and exchanges messages with a
    slixmpp client on TCP."""
    srv = server_factory(allow_plaintext_loopback=True)
    srv.adduser("alice", "pw-alice")
    srv.adduser("bob", "pw-bob")
    url = "%s://localhost:%d/xmpp-websocket" % ("wss" if tls else "ws",
                                                 srv.https_port if tls else srv.http_port)

    async def go():
        bob = await online(srv, "bob", "pw-bob")
        loop = asyncio.get_event_loop()
        node = loop.run_in_executor(None, lambda: node_client(
            "xmpp_ws_chat.mjs", url, DOMAIN, "alice", "pw-alice", "bob@" + DOMAIN,
            "hello from xmpp.js", cert=tls_files[0]))
        hello = await bob.next_message(timeout=30)
        assert hello["body"] == "hello from xmpp.js", hello
        bob.send_message(mto=hello["from"], mbody="hello, node", mtype="chat")
        report, r = await node
        assert report.get("answer") == "hello, node", (report, r.stderr)
        assert report["online"] == hello["from"].full, report
        assert report["from"] == "bob@%s/test" % DOMAIN, report
        await offline(bob)

    run(go(), timeout=90)
    assert "authenticated as alice@%s" % DOMAIN in srv.log()
