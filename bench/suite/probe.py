#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What a server offers a client, for the method section of bench/RESULTS.md.

Usage:
  probe.py PORT DOMAIN
      Connects to 127.0.0.1:PORT, upgrades with STARTTLS and prints one line: the SASL
      mechanisms offered after TLS (the TLS version, cipher and key exchange come from
      `openssl s_client` in bench.sh).
  probe.py --muc PORT DOMAIN MUC_DOMAIN USER1 USER2 PASSWORD
      Whether a client can use MUC there: USER1 and USER2 log in (STARTTLS, SASL PLAIN, bind),
      both join a new room on MUC_DOMAIN (created by the first join), USER1 sends one groupchat
      message, and both must get it. Prints one line, "ok: ..." (exit 0) or "no: why" (exit 1).

Loopback only; every read has a timeout. Standard library only.
"""
import base64
import os
import re
import socket
import ssl
import sys
import time

TIMEOUT = 10
MUC_TIMEOUT = 5  # seconds to wait for each MUC answer
NS_MUC = "http://jabber.org/protocol/muc"


def read_until(sock, pattern, limit=65536):
    """Reads until the regex matches the received text; returns the text."""
    data = b""
    while not re.search(pattern, data) and len(data) < limit:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def open_stream(sock, domain):
    sock.sendall((f"<?xml version='1.0'?><stream:stream to='{domain}' version='1.0' "
                  "xmlns='jabber:client' "
                  "xmlns:stream='http://etherx.jabber.org/streams'>").encode())
    return read_until(sock, rb"</stream:features>")


def starttls(port, domain):
    """Connects, upgrades with STARTTLS, opens the TLS stream; returns (socket, features)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no delayed-ACK stalls
    open_stream(sock, domain)
    sock.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    read_until(sock, rb"<proceed")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the suite's own self-signed certificate
    tls = ctx.wrap_socket(sock, server_hostname=domain)
    return tls, open_stream(tls, domain)


def main():
    if sys.argv[1] == "--muc":
        sys.exit(muc_main(*sys.argv[2:8]))
    port, domain = int(sys.argv[1]), sys.argv[2]
    tls, features = starttls(port, domain)
    features = features.decode("utf-8", "replace")
    mechs = re.findall(r"<mechanism>([^<]+)</mechanism>", features)
    print(f"SASL offered: {', '.join(mechs) or 'none'}")
    tls.close()


class Client:
    """One logged-in XMPP session over STARTTLS, with a read buffer to wait on."""

    def __init__(self, port, domain, user, password, resource):
        self.sock, features = starttls(port, domain)
        self.buf = b""
        if b"<mechanism>PLAIN</mechanism>" not in features:
            raise ValueError(f"{user}: PLAIN not offered")
        creds = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        self.sock.sendall(("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                           f"{creds}</auth>").encode())
        answer = read_until(self.sock, rb"<success|</failure>|<failure[^>]*/>")
        if b"<success" not in answer:
            raise ValueError(f"{user}: login failed")
        open_stream(self.sock, domain)
        self.sock.sendall(("<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:"
                           f"xmpp-bind'><resource>{resource}</resource></bind></iq>").encode())
        if not re.search(rb"<jid>", read_until(self.sock, rb"</iq>|<iq[^>]*/>")):
            raise ValueError(f"{user}: bind failed")

    def send(self, xml):
        self.sock.sendall(xml.encode())

    def wait(self, pattern, secs=MUC_TIMEOUT):
        """Reads until the regex matches the text received so far (then drops the text up to
        the match); returns the match, or None when SECS pass."""
        end = time.monotonic() + secs
        rx = re.compile(pattern, re.S)
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, ssl.SSLError):
                return None
            if not chunk:
                return None
            self.buf += chunk

    def close(self):
        try:
            self.sock.sendall(b"</stream:stream>")
            self.sock.close()
        except OSError:
            pass


def instant(client, room):
    """A room the join created may stay locked until configured (XEP-0045 §10.1.2): asks for
    an instant room, as a client does. None when accepted, else why not."""
    client.send(f"<iq type='set' id='probe-config' to='{room}'><query xmlns='{NS_MUC}#owner'>"
                "<x xmlns='jabber:x:data' type='submit'/></query></iq>")
    q = "[\"']"
    m = client.wait(rf"<iq\b[^>]*id={q}probe-config{q}[^>]*?(/>|>.*?</iq>)".encode())
    if not m:
        return f"no answer to the instant room request in {MUC_TIMEOUT} s"
    if re.search(rf"type={q}error{q}", m.group(0).decode("utf-8", "replace")):
        return "the instant room request was refused"
    return None


def join(client, room, nick):
    """Joins ROOM as NICK; None when in (the server's own presence, status 110), else why not."""
    client.send(f"<presence to='{room}/{nick}'><x xmlns='{NS_MUC}'>"
                "<history maxstanzas='0'/></x></presence>")
    q = "[\"']"
    m = client.wait(rf"<presence\b[^>]*from={q}{re.escape(room)}/{nick}{q}[^>]*?"
                    rf"(/>|>.*?</presence>)".encode())
    if not m:
        return f"no answer to the join in {MUC_TIMEOUT} s"
    stanza = m.group(0).decode("utf-8", "replace")
    if re.search(rf"type={q}error{q}", stanza):
        cond = re.search(r"<([a-z-]+) xmlns=.urn:ietf:params:xml:ns:xmpp-stanzas", stanza)
        return f"join refused: {cond.group(1) if cond else stanza[:200]}"
    if not re.search(rf"code={q}110{q}", stanza):
        return f"no self-presence (status 110) in {stanza[:200]}"
    if re.search(rf"code={q}201{q}", stanza):
        return instant(client, room)
    return None


def muc_main(port, domain, muc_domain, user1, user2, password):
    port = int(port)
    room = f"probe{os.getpid()}@{muc_domain}"
    clients = []
    try:
        a = Client(port, domain, user1, password, "muc-probe")
        clients.append(a)
        b = Client(port, domain, user2, password, "muc-probe")
        clients.append(b)
        for c, nick in ((a, "a"), (b, "b")):
            why = join(c, room, nick)
            if why:
                print(f"no: {nick} could not join {room}: {why}")
                return 1
        token = f"probe-{os.getpid()}-{time.time_ns()}"
        t0 = time.monotonic()
        a.send(f"<message to='{room}' type='groupchat' id='m1'><body>{token}</body></message>")
        for c, who in ((b, "the other occupant"), (a, "the sender (reflection)")):
            if not c.wait(re.escape(token).encode()):
                print(f"no: joined {room}, but the groupchat message did not reach {who} "
                      f"in {MUC_TIMEOUT} s")
                return 1
        ms = (time.monotonic() - t0) * 1000
        print(f"ok: two occupants joined {room} (created on the first join), and a groupchat "
              f"message reached both in {ms:.1f} ms")
        return 0
    except (OSError, ValueError) as e:
        print(f"no: {e}")
        return 1
    finally:
        for c in clients:
            c.close()


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError, IndexError) as e:
        print(f"probe failed: {e}")
        sys.exit(1)
