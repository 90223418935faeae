#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""PEP at scale against one parleyd: what a notification costs the server, and how long a
login with many contacts takes.

Usage (the server on CPU 0, this script on CPU 1):
  taskset -c 1 bench/suite/pep.py PARLEYD PARLEYCTL [CONTACTS] [PUBLISHES]

Starts PARLEYD on free loopback ports with a temporary data dir, pinned to CPU 0. CONTACTS
accounts (default 1000) and one user, "hub", subscribe to each other; every contact publishes
an avatar (XEP-0084 data and metadata) and a bookmark (XEP-0402).
  1. Fan-out: every contact is online with entity capabilities wanting
     urn:example:load+notify; hub publishes PUBLISHES items (default 50) there, in 5 rounds.
     Reports the server's CPU time (utime+stime from /proc) per notification delivered,
     once every contact has every notification, and the median of the rounds.
  2. Login: hub logs in again with caps wanting avatar metadata and bookmarks, and sends
     initial presence, 5 times. Reports the time from connecting until every contact's avatar
     has arrived (and the median), the server's CPU time for it, and the bytes the server
     read from storage meanwhile (read_bytes in /proc/PID/io).

Loopback only; every wait is bounded. Standard library only.
"""
import base64
import hashlib
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe import Client  # noqa: E402

DOMAIN = "localhost"
INFO = "http://jabber.org/protocol/disco#info"
PS = "http://jabber.org/protocol/pubsub"
LOAD = "urn:example:load"
META = "urn:xmpp:avatar:metadata"
BM = "urn:xmpp:bookmarks:1"
TIMEOUT = 120
ROUNDS = 5  # fan-out rounds, each PUBLISHES items
LOGINS = 5


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def caps(features):
    s = "client/pc//pep-bench<" + "".join(f + "<" for f in sorted(features))
    return base64.b64encode(hashlib.sha1(s.encode()).digest()).decode()


def presence_with_caps(features):
    return ("<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
            "node='urn:example:pep-bench' ver='%s'/></presence>" % caps(features))


def answer_caps(c, features):
    """Answers the server's disco#info about c's caps, if it asks within a second."""
    m = c.wait(rb"<iq[^>]*type=.get.[^>]*>.*?</iq>", 1)
    if not m:
        return
    iq = m.group(0).decode()
    qid = re.search(r"id=['\"]([^'\"]+)", iq).group(1)
    node = re.search(r"node=['\"]([^'\"]+)", iq).group(1)
    feats = "".join("<feature var='%s'/>" % f for f in features)
    c.send("<iq type='result' id='%s' to='%s'><query xmlns='%s' node='%s'><identity "
           "category='client' type='pc' name='pep-bench'/>%s</query></iq>"
           % (qid, DOMAIN, INFO, node, feats))


class Server:
    def __init__(self, parleyd, parleyctl):
        self.dir = tempfile.mkdtemp(prefix="parley-pep-")
        self.port = free_port()
        self.ctl_path = parleyctl
        cert, key = os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                        "/CN=localhost", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        self.conf = os.path.join(self.dir, "parley.conf")
        with open(self.conf, "w") as f:
            f.write("domain = localhost\nbind_address = 127.0.0.1\nc2s_port = %d\n"
                    "c2s_tls_port = 0\nhttp_port = 0\nhttps_port = 0\ndata_dir = %s/data\ntls_cert = %s\ntls_key = %s\n"
                    "log_level = warn\nmax_connections_per_source = 100000\n"
                    "max_unauthenticated_per_source = 1000\n"
                    % (self.port, self.dir, cert, key))
        self.log = open(os.path.join(self.dir, "parleyd.log"), "ab")
        self.proc = subprocess.Popen(["taskset", "-c", "0", parleyd, "-c", self.conf],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("parleyd did not start")

    def cpu(self, user_only=False):
        """The server's user+system (or user) CPU seconds so far."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + (0 if user_only else int(fields[12]))
        return ticks / os.sysconf("SC_CLK_TCK")

    def read_bytes(self):
        with open("/proc/%d/io" % self.proc.pid) as f:
            return int(re.search(r"read_bytes: (\d+)", f.read()).group(1))

    def adduser(self, user):
        subprocess.run([self.ctl_path, "-c", self.conf, "adduser", "%s@%s" % (user, DOMAIN),
                        "pw"], check=True, capture_output=True)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def login(srv, user, resource="b"):
    c = Client(srv.port, DOMAIN, user, "pw", resource)
    c.sock.setblocking(True)
    return c


def request(c, xml, what):
    """Sends an iq with id='r' and waits for its answer."""
    c.send(xml)
    if not c.wait(rb"<iq[^>]*id=.r.[^>]*type=.result|<iq[^>]*type=.result.[^>]*id=.r.", 30):
        raise RuntimeError("no result for " + what)


def befriend(hub, contacts):
    """hub and every contact subscribe to each other (both approve at once)."""
    jid = "hub@" + DOMAIN
    for name, c in contacts:
        hub.send("<presence to='%s@%s' type='subscribe'/>" % (name, DOMAIN))
        c.send("<presence to='%s' type='subscribe'/>" % jid)
    for name, c in contacts:
        c.send("<presence to='%s' type='subscribed'/>" % jid)
        hub.send("<presence to='%s@%s' type='subscribed'/>" % (name, DOMAIN))
    request(hub, "<iq type='get' id='r'><ping xmlns='urn:xmpp:ping'/></iq>", "ping")


def publish_profile(i, c):
    image = hashlib.sha1(str(i).encode()).digest() * 20
    sha = hashlib.sha1(image).hexdigest()
    data = base64.b64encode(image).decode()
    for node, item, payload in (
            ("urn:xmpp:avatar:data", sha, "<data xmlns='urn:xmpp:avatar:data'>%s</data>" % data),
            (META, sha, "<metadata xmlns='%s'><info id='%s' bytes='%d' type='image/png'/>"
                        "</metadata>" % (META, sha, len(image))),
            (BM, "room%d@conference.%s" % (i, DOMAIN),
             "<conference xmlns='%s' name='Room %d' autojoin='true'/>" % (BM, i))):
        request(c, "<iq type='set' id='r'><pubsub xmlns='%s'><publish node='%s'><item id='%s'>"
                "%s</item></publish></pubsub></iq>" % (PS, node, item, payload), node)


def read_ready(c):
    """Everything c's socket holds now, TLS records already decrypted included."""
    out = b""
    try:
        while True:
            chunk = c.sock.recv(1 << 20)
            if not chunk:
                break
            out += chunk
    except OSError:  # nothing more for now (SSLWantReadError, BlockingIOError)
        pass
    return out


def drain_count(conns, pattern, want, timeout):
    """Reads every connection until pattern was seen want times in total; returns the time
    it took (or raises)."""
    sel = selectors.DefaultSelector()
    for c in conns:
        c.sock.setblocking(False)
        c.buf = b""
        sel.register(c.sock, selectors.EVENT_READ, c)
    seen, start = 0, time.monotonic()
    while seen < want:
        if time.monotonic() - start > timeout:
            raise RuntimeError("only %d of %d arrived" % (seen, want))
        for key, _ in sel.select(1):
            c = key.data
            data = c.buf + read_ready(c)
            seen += data.count(pattern)
            c.buf = data[-(len(pattern) - 1):]  # a match cut in two, never one counted
    for c in conns:
        sel.unregister(c.sock)
        c.sock.setblocking(True)
    return time.monotonic() - start


def fanout(srv, hub, contacts, publishes):
    feats = [INFO, LOAD + "+notify"]
    for n, (_, c) in enumerate(contacts):
        c.send(presence_with_caps(feats))
        if n == 0:
            answer_caps(c, feats)
    request(hub, "<iq type='get' id='r'><ping xmlns='urn:xmpp:ping'/></iq>", "ping")
    time.sleep(1)
    for _, c in contacts:  # what the presences brought
        c.sock.setblocking(False)
        read_ready(c)
        c.sock.setblocking(True)
    paced(srv, hub, contacts, publishes)
    runs = [fanout_round(srv, hub, contacts, publishes, r) for r in range(ROUNDS)]
    per = sorted(cpu * 1e6 / n for n, _, cpu in runs)
    print("fan-out: median of %d rounds: %.1f us of server CPU per notification delivered "
          "(rounds: %s)" % (ROUNDS, per[len(per) // 2], ", ".join("%.1f" % p for p in per)))


def paced(srv, hub, contacts, publishes):
    """One publish at a time, the next once every contact has the last: no notification
    shares a write with the next one's."""
    conns = [c for _, c in contacts]
    print("fan-out paced: starting (server pid %d)" % srv.proc.pid, flush=True)
    cpu0, user0, took = srv.cpu(), srv.cpu(True), 0.0
    for i in range(publishes):
        hub.send("<iq type='set' id='q%d'><pubsub xmlns='%s'><publish node='%s'><item id='q'>"
                 "<n xmlns='urn:example'>%d</n></item></publish></pubsub></iq>"
                 % (i, PS, LOAD, i))
        took += drain_count(conns, b"</event>", len(contacts), TIMEOUT)
    cpu, n = srv.cpu() - cpu0, publishes * len(contacts)
    user = srv.cpu(True) - user0
    print("fan-out paced: %d publishes one at a time, %d notifications: %.1f ms to reach all "
          "%d contacts on average; server CPU %.3f s, %.1f us per notification delivered "
          "(%.1f us in user space)" % (publishes, n, took * 1000 / publishes, len(contacts),
                                        cpu, cpu * 1e6 / n, user * 1e6 / n))


def fanout_round(srv, hub, contacts, publishes, r):
    cpu0 = srv.cpu()
    for i in range(publishes):
        hub.send("<iq type='set' id='p%d'><pubsub xmlns='%s'><publish node='%s'><item id='%d'>"
                 "<n xmlns='urn:example'>%d</n></item></publish></pubsub></iq>"
                 % (i, PS, LOAD, i, r * publishes + i))
    took = drain_count([c for _, c in contacts], b"</event>", publishes * len(contacts),
                       TIMEOUT)
    cpu = srv.cpu() - cpu0
    n = publishes * len(contacts)
    print("fan-out round %d: %d notifications in %.2f s (%.0f/s); server CPU %.3f s, %.1f us "
          "per notification delivered" % (r + 1, n, took, n / took, cpu, cpu * 1e6 / n))
    return n, took, cpu


def login_time(srv, contacts_n):
    feats = [INFO, META + "+notify", BM + "+notify"]
    hub = login(srv, "hub", "again")
    hub.send(presence_with_caps(feats))
    answer_caps(hub, feats)  # new caps: asked once, then cached
    hub.close()
    times = []
    for r in range(LOGINS):
        time.sleep(0.5)  # the last session's end is done
        cpu0, io0, t0 = srv.cpu(), srv.read_bytes(), time.monotonic()
        hub = login(srv, "hub", "login%d" % r)
        hub.send(presence_with_caps(feats))
        took = drain_count([hub], b"</event>", contacts_n, TIMEOUT)
        total = time.monotonic() - t0
        times.append(total)
        print("login %d: TLS, SASL, bind and initial presence to the last of %d contacts' "
              "avatars in %.3f s (%.3f s after the presence); server CPU %.2f s; bytes read "
              "from storage meanwhile %d" % (r + 1, contacts_n, total, took, srv.cpu() - cpu0,
                                             srv.read_bytes() - io0))
        hub.close()
    times.sort()
    print("login: median of %d: %.0f ms" % (LOGINS, times[len(times) // 2] * 1000))
    store_reads(srv, feats, contacts_n)


def store_reads(srv, feats, contacts_n):
    """One more login under strace: how many pread64 calls (SQLite's page reads) it took."""
    if not shutil.which("strace"):
        return
    out = os.path.join(srv.dir, "strace.txt")
    tr = subprocess.Popen(["strace", "-f", "-c", "-e", "trace=pread64", "-o", out, "-p",
                           str(srv.proc.pid)], stderr=subprocess.DEVNULL)
    time.sleep(1)
    hub = login(srv, "hub", "traced")
    hub.send(presence_with_caps(feats))
    drain_count([hub], b"</event>", contacts_n, TIMEOUT)
    hub.close()
    time.sleep(0.5)
    tr.send_signal(signal.SIGINT)
    tr.wait(10)
    with open(out) as f:
        m = re.search(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?pread64", f.read(), re.M)
    print("login under strace: %s pread64 calls by the server (SQLite's page reads) from "
          "connecting to the last avatar" % (m.group(1) if m else "0"))


def main():
    parleyd, parleyctl = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    publishes = int(sys.argv[4]) if len(sys.argv) > 4 else 50
    srv = Server(parleyd, parleyctl)
    try:
        for i in range(n):
            srv.adduser("c%d" % i)
        srv.adduser("hub")
        hub = login(srv, "hub")
        contacts = [("c%d" % i, login(srv, "c%d" % i)) for i in range(n)]
        befriend(hub, contacts)
        for i, (_, c) in enumerate(contacts):
            publish_profile(i, c)
        fanout(srv, hub, contacts, publishes)
        hub.close()
        login_time(srv, n)
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
