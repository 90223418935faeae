# SPDX-License-Identifier: MIT
"""Helpers for tests: slixmpp clients with bounded waits, and a raw XMPP socket."""
import asyncio
import base64
import re
import socket
import ssl
import time

import slixmpp

from conftest import DOMAIN, client_tls_context

TIMEOUT = 10


class Client(slixmpp.ClientXMPP):
    """A slixmpp client that records messages, presences and iq requests, and fails on auth
    failure."""

    def __init__(self, jid, password, **kw):
        super().__init__(jid, password, **kw)
        self.ssl_context = client_tls_context()
        self.messages = asyncio.Queue()
        self.presences = asyncio.Queue()
        self.iqs = asyncio.Queue()  # every iq get/set that reached this client
        # A filter sees each stanza before the handlers, without counting as one: a client
        # still answers the requests none of its plugins handles (feature-not-implemented).
        self.add_filter("in", self._note_iq)
        self.started = asyncio.get_event_loop().create_future()
        self.add_event_handler("session_start", self._on_start)
        self.add_event_handler("failed_all_auth", self._on_failed)
        self.add_event_handler("message", lambda m: self.messages.put_nowait(m))
        self.add_event_handler("presence", lambda p: self.presences.put_nowait(p))
        self.add_event_handler("disconnected", self._on_disconnected)

    def _note_iq(self, st):
        if st.name == "iq" and st["type"] in ("get", "set"):
            self.iqs.put_nowait(st)
        return st

    def _on_start(self, _):
        if not self.started.done():
            self.started.set_result(True)

    def _on_failed(self, _):
        if not self.started.done():
            self.started.set_exception(PermissionError("authentication failed"))

    def _on_disconnected(self, _):
        if not self.started.done():
            self.started.set_exception(ConnectionError("disconnected before session start"))

    async def next_message(self, timeout=TIMEOUT):
        return await asyncio.wait_for(self.messages.get(), timeout)


async def online(server, user, password, resource="test", port=None, direct_tls=False,
                 presence=True, priority=None, **kw):
    """Connects, logs in and (by default) sends initial presence; returns the client."""
    c = Client("%s@%s/%s" % (user, DOMAIN, resource), password, **kw)
    if direct_tls:
        c.enable_direct_tls = True
        c.connect(("127.0.0.1", port or server.tls_port), use_ssl=True)
    else:
        c.connect(("127.0.0.1", port or server.port))
    await asyncio.wait_for(c.started, TIMEOUT)
    if presence:
        back = own_presence(c)
        if priority is None:
            c.send_presence()
        else:
            c.send_presence(ppriority=priority)
        # RFC 6121 §4.2.2: the server sends initial presence to all the user's available
        # resources, the sender's too. Once it is back the server has made this resource
        # available, so stanzas to the bare JID may pick it. (It also stays in c.presences.)
        await asyncio.wait_for(back, TIMEOUT)
    return c


AVAILABLE = ("available", "away", "chat", "dnd", "xa")  # slixmpp's types for available


def own_presence(c):
    """A future resolved when c receives its own available presence (from its full JID)."""
    fut = asyncio.get_event_loop().create_future()

    def check(p):
        if p["from"] == c.boundjid and p["type"] in AVAILABLE and not fut.done():
            fut.set_result(p)
            c.del_event_handler("presence", check)

    c.add_event_handler("presence", check)
    return fut


async def offline(*clients):
    """Ends the clients' streams and waits (bounded) until each connection is closed. Nothing
    is swallowed: a client the server already disconnected resolves at once (slixmpp then only
    fires `disconnected`), so a timeout or an error here is a real failure."""
    # slixmpp replaces `disconnected` with a new future once it resolves: take them first.
    waits = [c.disconnected for c in clients]
    for c in clients:
        c.disconnect()
    await asyncio.wait_for(asyncio.gather(*waits), TIMEOUT)


def wait_log(server, text, timeout=TIMEOUT):
    """Waits until the server's log holds text (e.g. "session alice@localhost/desk ended");
    returns the log."""
    deadline = time.monotonic() + timeout
    while True:
        log = server.log()
        if text in log:
            return log
        assert time.monotonic() < deadline, "no %r in the server log within %ss" % (text, timeout)
        time.sleep(0.05)


def run(coro, timeout=60):
    """Runs a test coroutine on a fresh event loop with an overall bound."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(asyncio.wait_for(coro, timeout))
    finally:
        # slixmpp leaves reader tasks behind: finish them before the loop goes away.
        pending = asyncio.all_tasks(loop)
        for t in pending:
            t.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()


def wait_for(pred, seconds):
    """Polls pred until it is true or seconds pass; returns its last value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


SASL_ANSWER = rb"<success\b[^>]*?(?:/>|>.*?</success>)|<failure\b.*?</failure>"


def plain_login(port, user, password):
    """One SASL PLAIN attempt after STARTTLS: 'success' or the failure's condition."""
    r = Raw(port)
    try:
        r.starttls()
        r.open_stream()
        r.buf = b""
        token = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
        r.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>"
               % token)
        m = re.search(SASL_ANSWER, r.read_until(SASL_ANSWER), re.S).group(0)
        if m.startswith(b"<success"):
            return "success"
        return re.search(rb"<failure[^>]*><([a-z-]+)", m).group(1).decode()
    finally:
        r.close()


class Raw:
    """A raw XMPP connection for exact bytes and malformed input."""

    def __init__(self, port, tls=False, source=None):
        """source: the local address to connect from (any 127.x address is loopback, and
        counts as a source of its own)."""
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT,
                                             source_address=(source, 0) if source else None)
        if tls:
            self.sock = client_tls_context().wrap_socket(self.sock, server_hostname=DOMAIN)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def read_until(self, pattern, timeout=TIMEOUT):
        """Reads until the regex (bytes) matches the received data; returns all data so far."""
        self.sock.settimeout(timeout)
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern, re.S)
        while not rx.search(self.buf):
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed; got %r" % self.buf)
            self.buf += chunk
        return self.buf

    def read_all(self, timeout=TIMEOUT):
        """Reads until the server closes the connection."""
        self.sock.settimeout(timeout)
        while True:
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                break
            if not chunk:
                break
            self.buf += chunk
        return self.buf

    def open_stream(self, to=DOMAIN):
        self.send("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                  "xmlns:stream='http://etherx.jabber.org/streams' to='%s' version='1.0'>" % to)
        return self.read_until(b"</stream:features>")

    def starttls(self):
        self.open_stream()
        self.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        self.read_until(b"<proceed")
        self.sock = client_tls_context().wrap_socket(self.sock, server_hostname=DOMAIN)
        self.buf = b""

    def authenticate(self, user, password):
        """STARTTLS, SASL PLAIN and the new stream's header; returns its features."""
        self.starttls()
        self.open_stream()
        token = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
        self.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>"
                  % token)
        self.read_until(b"<success")
        self.buf = b""
        features = self.open_stream()
        self.buf = b""
        return features

    def login_plain(self, user, password, resource="raw"):
        """STARTTLS, SASL PLAIN, bind; leaves the stream ready for stanzas."""
        self.authenticate(user, password)
        self.send("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                  "<resource>%s</resource></bind></iq>" % resource)
        self.read_until(b"</iq>")
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
