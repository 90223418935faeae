# SPDX-License-Identifier: MIT
"""Resource limits: connections per source address, resources per account, and a descriptor
limit too low for max_connections (at start-up and while running)."""
import base64
import os
import re
import resource
import socket
import time
import xml.etree.ElementTree as ET

from conftest import DOMAIN
from xmpp_helpers import Raw, wait_for

STREAMS_NS = "urn:ietf:params:xml:ns:xmpp-streams"
STANZAS_NS = "urn:ietf:params:xml:ns:xmpp-stanzas"
SASL_NS = "urn:ietf:params:xml:ns:xmpp-sasl"
BIND_NS = "urn:ietf:params:xml:ns:xmpp-bind"
HEADER = ("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
          "xmlns:stream='http://etherx.jabber.org/streams' to='%s' version='1.0'>" % DOMAIN)
PW = "pw-alice-123"
REFUSED = b"<resource-constraint xmlns='%s'/>" % STREAMS_NS.encode()


def outcome(r, seconds=5):
    """Sends a stream header; 'served' when features come back, 'refused' for a
    resource-constraint stream error, 'silent' when nothing comes back in time."""
    r.sock.settimeout(seconds)
    try:
        r.send(HEADER)
    except (ConnectionResetError, BrokenPipeError):
        pass  # already refused and closed: the error may still be waiting to be read
    try:
        while b"</stream:features>" not in r.buf and b"</stream:stream>" not in r.buf:
            chunk = r.sock.recv(65536)
            if not chunk:
                break
            r.buf += chunk
    except socket.timeout:
        return "silent"
    except (ConnectionResetError, BrokenPipeError):
        pass
    if b"</stream:features>" in r.buf:
        return "served"
    return "refused" if REFUSED in r.buf else "other: %r" % r.buf


def bind(port, user, password, resource, source="127.0.0.1"):
    """STARTTLS, SASL PLAIN and a bind request; returns the connection and the bind reply."""
    r = Raw(port, source=source)
    r.starttls()
    r.open_stream()
    token = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
    r.send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (SASL_NS, token))
    r.read_until(b"<success")
    r.buf = b""
    r.open_stream()
    r.buf = b""
    r.send("<iq type='set' id='b1'><bind xmlns='%s'><resource>%s</resource></bind></iq>"
           % (BIND_NS, resource))
    data = r.read_until(b"</iq>")
    r.buf = b""
    return r, ET.fromstring(re.search(rb"<iq .*</iq>", data, re.S).group(0))


def bound(port, user, password, resource, source="127.0.0.1"):
    r, reply = bind(port, user, password, resource, source)
    assert reply.get("type") == "result", ET.tostring(reply)
    return r


def ping(r, ident="p1", timeout=5):
    r.buf = b""
    r.send("<iq type='get' id='%s' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>" % (ident, DOMAIN))
    data = r.read_until(r"<iq [^>]*id='%s'" % ident, timeout)
    r.buf = b""
    return b"type='result'" in data


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_over_a_second(pid):
    before = cpu_seconds(pid)
    time.sleep(1)  # the measuring window itself, not a wait for a condition
    return cpu_seconds(pid) - before


def can_log_in(server, user="alice"):
    try:
        r = bound(server.port, user, PW, "again%d" % time.monotonic_ns())
        ok = ping(r)
        r.close()
        return ok
    except (OSError, ConnectionError, AssertionError):
        return False


# --- connections per source ---------------------------------------------------------------

def test_unauthenticated_connections_per_source(server_factory):
    """Past max_unauthenticated_per_source one address gets resource-constraint, another
    address still logs in, and a slot freed by a close is usable again."""
    server = server_factory(max_unauthenticated_per_source=3, max_connections_per_source=10)
    server.adduser("alice", PW)
    held = [Raw(server.port) for _ in range(3)]
    assert [outcome(r) for r in held] == ["served"] * 3
    extra = Raw(server.port)
    assert outcome(extra) == "refused", extra.buf
    assert extra.buf.endswith(b"</stream:stream>"), extra.buf
    extra.close()
    assert "max_unauthenticated_per_source reached" in server.log()

    other = bound(server.port, "alice", PW, "elsewhere", source="127.0.0.2")
    assert ping(other)

    held.pop().close()
    assert wait_for(lambda: outcome(Raw(server.port), 2) == "served", 5)
    for r in held + [other]:
        r.close()


def test_default_caps(server):
    """The shipped defaults: the 65th connection from one address that has not authenticated
    is refused, and an account's 11th resource gets resource-constraint."""
    server.adduser("alice", PW)
    server.adduser("bob", PW)
    held = [Raw(server.port) for _ in range(64)]
    assert [outcome(r) for r in held] == ["served"] * 64
    extra = Raw(server.port)
    assert outcome(extra) == "refused", extra.buf
    for r in held + [extra]:
        r.close()
    # The closes above reach the server a little later: the first login may need a retry.
    assert wait_for(lambda: can_log_in(server, "bob"), 10)
    sessions = [bound(server.port, "alice", PW, "r%d" % i) for i in range(10)]
    r11, reply = bind(server.port, "alice", PW, "r10")
    assert reply.find("error/{%s}resource-constraint" % STANZAS_NS) is not None, \
        ET.tostring(reply)
    for r in sessions + [r11]:
        r.close()


def test_refusals_are_logged_per_source(server_factory):
    """Refusals are logged once per source and interval: one address's flood hides no other
    address's refusal, and what was held back is summed up once the interval has passed."""
    a, b = "127.0.0.5", "127.0.0.6"  # not the fixture's own readiness probe's source
    server = server_factory(max_unauthenticated_per_source=1)
    first = [Raw(server.port, source=a) for _ in range(6)]
    assert [outcome(r) for r in first] == ["served"] + ["refused"] * 5, [r.buf for r in first]
    second = [Raw(server.port, source=b) for _ in range(2)]
    assert [outcome(r) for r in second] == ["served", "refused"], [r.buf for r in second]
    log = server.log()
    assert log.count("refusing a connection from %s" % a) == 1, log
    assert log.count("refusing a connection from %s" % b) == 1, log
    # The interval is 10 s; the summary comes from the once-a-second housekeeping.
    assert wait_for(lambda: "4 more connections from %s refused" % a in server.log(), 20), \
        server.log()
    assert "more connections from %s" % b not in server.log()
    for r in first + second:
        r.close()


def test_authenticated_connections_leave_the_unauthenticated_count(server_factory):
    """Logged-in connections count toward max_connections_per_source only; refusals are
    logged once per interval, not once per connection."""
    server = server_factory(max_unauthenticated_per_source=2, max_connections_per_source=4)
    server.adduser("alice", PW)
    logged_in = [bound(server.port, "alice", PW, "r%d" % i) for i in range(2)]
    waiting = [Raw(server.port) for _ in range(2)]
    # Two authenticated, two not: the unauthenticated cap (2) is not passed by the first two.
    assert [outcome(r) for r in waiting] == ["served"] * 2
    extras = [Raw(server.port) for _ in range(5)]
    assert [outcome(r) for r in extras] == ["refused"] * 5, [r.buf for r in extras]
    log = server.log()
    assert "max_connections_per_source reached" in log
    assert log.count("refusing a connection from 127.0.0.1") == 1, log
    for r in logged_in:
        assert ping(r)
    for r in logged_in + waiting + extras:
        r.close()
    assert wait_for(lambda: can_log_in(server), 10)


# --- resources per account ----------------------------------------------------------------

def stream_error(r, seconds=5):
    r.read_until(b"</stream:stream>", seconds)
    m = re.search(rb"<stream:error><([a-z-]+) xmlns='" + STREAMS_NS.encode() + b"'", r.buf)
    return m and m.group(1).decode()


def test_resources_per_account_refused(server_factory):
    """An account at max_resources_per_account gets resource-constraint (type wait) for one
    more resource; its sessions stay; binding one of its resources again still replaces."""
    server = server_factory(max_resources_per_account=2)
    server.adduser("alice", PW)
    r1 = bound(server.port, "alice", PW, "r1")
    r2 = bound(server.port, "alice", PW, "r2")
    r3, reply = bind(server.port, "alice", PW, "r3")
    assert reply.get("type") == "error", ET.tostring(reply)
    err = reply.find("error")
    assert err is not None and err.get("type") == "wait", ET.tostring(reply)
    assert err.find("{%s}resource-constraint" % STANZAS_NS) is not None, ET.tostring(reply)
    r3.close()
    assert ping(r1) and ping(r2)

    again = bound(server.port, "alice", PW, "r1")  # same full JID: replaces, within the limit
    assert stream_error(r1) == "conflict", r1.buf
    assert ping(again) and ping(r2)
    for r in (r1, r2, again):
        r.close()


def test_resources_per_account_replace_oldest(server_factory):
    """With resource_limit_action = replace_oldest, one more resource ends the oldest
    session with a conflict stream error; the others stay."""
    server = server_factory(max_resources_per_account=2, resource_limit_action="replace_oldest")
    server.adduser("alice", PW)
    r1 = bound(server.port, "alice", PW, "r1")
    r2 = bound(server.port, "alice", PW, "r2")
    r3 = bound(server.port, "alice", PW, "r3")
    assert stream_error(r1) == "conflict", r1.buf
    assert ping(r2) and ping(r3)
    r4 = bound(server.port, "alice", PW, "r4")
    assert stream_error(r2) == "conflict", r2.buf
    assert ping(r3) and ping(r4)
    for r in (r1, r2, r3, r4):
        r.close()


# --- descriptor limit -----------------------------------------------------------------------

LOW_NOFILE = 48  # soft and hard: the server cannot raise it


def low_nofile():
    resource.setrlimit(resource.RLIMIT_NOFILE, (LOW_NOFILE, LOW_NOFILE))


def test_low_descriptor_limit_at_start(server_factory):
    """Started under a descriptor limit far below max_connections, the server lowers
    max_connections (and says so), turns extra peers away with resource-constraint instead of
    leaving them unanswered, stays idle, and serves again once they are gone."""
    server = server_factory(preexec=low_nofile)
    server.adduser("alice", PW)
    m = re.search(r"max_connections lowered from 15000 to (\d+)", server.log())
    assert m, server.log()
    fit = int(m.group(1))
    assert 0 < fit < LOW_NOFILE
    held = [Raw(server.port) for _ in range(fit)]
    assert [outcome(r) for r in held] == ["served"] * fit
    extras = [Raw(server.port) for _ in range(10)]
    assert [outcome(r) for r in extras] == ["refused"] * 10, [r.buf for r in extras]
    assert cpu_over_a_second(server.proc.pid) < 0.2
    for r in held + extras:
        r.close()
    assert wait_for(lambda: can_log_in(server), 10)


def test_out_of_descriptors_while_running(server_factory):
    """When accept runs out of descriptors (the limit lowered under a running server), waiting
    peers get resource-constraint rather than silence, the loop does not spin, and the server
    serves again once descriptors are back."""
    server = server_factory()
    server.adduser("alice", PW)
    pid = server.proc.pid
    in_use = len(os.listdir("/proc/%d/fd" % pid))
    soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (in_use + 4, hard))
    peers = [Raw(server.port) for _ in range(20)]
    got = [outcome(r) for r in peers]
    assert "served" in got and "refused" in got, got
    assert set(got) == {"served", "refused"}, got
    assert cpu_over_a_second(pid) < 0.2
    assert "accept failed: Too many open files" in server.log()
    for r in peers:
        r.close()
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
    assert wait_for(lambda: can_log_in(server), 10)
