# SPDX-License-Identifier: MIT
"""A raw WebSocket client for the web front's tests: the RFC 6455 handshake and frames built
by hand, so that tests can also send what no library would (unmasked or oversized frames,
fragmented pings, bad UTF-8), and the RFC 7395 framing of XMPP on top."""
import base64
import os
import re
import socket
import ssl
import struct
import time

from conftest import DOMAIN
from xmpp_helpers import TIMEOUT

FRAMING = "urn:ietf:params:xml:ns:xmpp-framing"
OPEN = "<open xmlns='%s' to='%s' version='1.0'/>" % (FRAMING, DOMAIN)
CLOSE = "<close xmlns='%s'/>" % FRAMING

TEXT, BINARY, CLOSE_OP, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


def frame(opcode, payload, fin=True, mask=True, rsv=0):
    """One frame as a client sends it (masked unless told otherwise)."""
    if isinstance(payload, str):
        payload = payload.encode()
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126:
        head += bytes([m | n])
    elif n < 65536:
        head += bytes([m | 126]) + struct.pack("!H", n)
    else:
        head += bytes([m | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def upgrade_request(port, path="/xmpp-websocket", protocol="xmpp", origin=None, extra=""):
    key = base64.b64encode(os.urandom(16)).decode()
    lines = ["GET %s HTTP/1.1" % path, "Host: localhost:%d" % port, "Upgrade: websocket",
             "Connection: Upgrade", "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13"]
    if protocol:
        lines.append("Sec-WebSocket-Protocol: " + protocol)
    if origin:
        lines.append("Origin: " + origin)
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


def http_exchange(port, request, tls=False, timeout=TIMEOUT):
    """Sends raw request bytes on a new connection; returns (status, headers, body) of the
    answer (read until the peer closes or Content-Length is met)."""
    s = connect(port, tls)
    s.sendall(request)
    data = read_response(s, timeout)
    s.close()
    return data


def connect(port, tls=False):
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s, server_hostname=DOMAIN)
    return s


def read_response(s, timeout=TIMEOUT):
    data = b""
    deadline = time.time() + timeout
    while b"\r\n\r\n" not in data and time.time() < deadline:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    want = int(headers.get("content-length", "0")) if status != 101 else 0
    while len(body) < want and time.time() < deadline:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


class WsClient:
    """One WebSocket to the server's /xmpp-websocket, speaking XMPP's framing."""

    def __init__(self, port, tls=False, origin=None):
        self.sock = connect(port, tls)
        self.sock.sendall(upgrade_request(port, origin=origin))
        status, self.headers, rest = read_response(self.sock)
        assert status == 101, (status, self.headers)
        self.buf = rest

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, text):
        self.sock.sendall(frame(TEXT, text))

    def _fill(self, n, deadline):
        while len(self.buf) < n:
            self.sock.settimeout(max(0.05, deadline - time.time()))
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk

    def recv_frame(self, timeout=TIMEOUT):
        """(opcode, payload bytes) of the next frame from the server, which never masks."""
        deadline = time.time() + timeout
        self._fill(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        assert not b1 & 0x80, "the server masked a frame"
        n, at = b1 & 0x7F, 2
        if n == 126:
            self._fill(4, deadline)
            n, at = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._fill(10, deadline)
            n, at = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._fill(at + n, deadline)
        payload, self.buf = self.buf[at:at + n], self.buf[at + n:]
        return b0 & 0x0F, payload

    def recv(self, timeout=TIMEOUT):
        """The next text message (an XMPP element), as str."""
        op, payload = self.recv_frame(timeout)
        assert op == TEXT, (op, payload)
        return payload.decode()

    def recv_until(self, pattern, timeout=TIMEOUT):
        """Messages up to and including one matching pattern; returns them all."""
        got = []
        deadline = time.time() + timeout
        while True:
            got.append(self.recv(max(0.1, deadline - time.time())))
            if re.search(pattern, got[-1]):
                return got

    def close_code(self, timeout=TIMEOUT):
        """Reads until the server's close frame; returns its code (None: closed without one)."""
        deadline = time.time() + timeout
        try:
            while True:
                op, payload = self.recv_frame(max(0.1, deadline - time.time()))
                if op == CLOSE_OP:
                    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
        except (EOFError, ConnectionError):
            return None

    def login_plain(self, user, password, resource="ws"):
        """Open, PLAIN (offered over TLS only: use a wss:// client), restart, bind; returns the
        bound full JID."""
        self.send(OPEN)
        self.recv_until(r"<stream:features")
        cred = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
        self.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>"
                  % cred)
        assert "<success" in self.recv()
        self.send(OPEN)
        self.recv_until(r"<stream:features")
        self.send("<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:"
                  "xml:ns:xmpp-bind'><resource>%s</resource></bind></iq>" % resource)
        bound = self.recv_until(r"id='b1'")[-1]
        return re.search(r"<jid>([^<]+)</jid>", bound).group(1)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
