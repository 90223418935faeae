# SPDX-License-Identifier: MIT
"""Hostile and broken input (RFC 6120 §4.9, §11): every bad input gets its exact stream error,
the stream closes, and the server goes on serving everyone else."""
import base64
import os
import itertools
import re
import select
import socket
import ssl
import struct
import threading
import time

import pytest

from conftest import DOMAIN, client_tls_context
from xmpp_helpers import TIMEOUT, Raw, offline, online, run, wait_for

STREAMS_NS = "urn:ietf:params:xml:ns:xmpp-streams"
STREAM_NS = "http://etherx.jabber.org/streams"
SASL_NS = "urn:ietf:params:xml:ns:xmpp-sasl"
HEADER = ("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='%s' "
          "to='%s' version='1.0'>" % (STREAM_NS, DOMAIN))
PW = "pw-alice"
_ids = itertools.count(1)


# --- helpers ---------------------------------------------------------------------------------

def rss_kb(server):
    with open("/proc/%d/status" % server.proc.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for parleyd")


@pytest.fixture
def lean_asan(monkeypatch):
    """ASan keeps up to 256 MiB of freed memory in quarantine, which would hide whether RSS is
    bounded; tests that measure RSS start parleyd with a small quarantine."""

    opts = os.environ.get("ASAN_OPTIONS", "")
    monkeypatch.setenv("ASAN_OPTIONS", (opts + ":" if opts else "") + "quarantine_size_mb=1")


def assert_log_clean(server):
    log = server.log()
    for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:", "Segmentation"):
        assert bad not in log, "sanitizer/crash report in the server log"


def ping(raw, ident=None, timeout=5):
    """One XEP-0199 round trip to the server on a bound raw stream."""
    ident = ident or "ping%d" % next(_ids)
    raw.buf = b""
    raw.send("<iq type='get' id='%s' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>"
             % (ident, DOMAIN))
    data = raw.read_until(r"<iq [^>]*id='%s'[^>]*>" % ident, timeout)
    tag = re.search(rb"<iq [^>]*id='" + ident.encode() + rb"'[^>]*>", data).group(0)
    assert b"type='result'" in tag, data
    raw.buf = b""


def assert_serves(server):
    """The server is alive, a fresh account logs in over a real client and pings round trip."""
    assert server.alive(), "parleyd died:\n" + server.log()[-3000:]
    user = "check%d" % next(_ids)
    server.adduser(user, "pw-" + user)

    async def go():
        c = await online(server, user, "pw-" + user, presence=False)
        c.register_plugin("xep_0199")
        # send_ping raises on an error or no answer (ping() would count an error as a pong)
        pong = await c["xep_0199"].send_ping(DOMAIN, timeout=5)
        assert pong["type"] == "result" and pong["from"] == DOMAIN, str(pong)
        await offline(c)

    run(go(), timeout=20)
    assert server.alive()
    assert_log_clean(server)


def raw_connect(port, rcvbuf=None, tls=False):
    """A Raw whose socket may get a small receive buffer before connecting (no autotuning)."""
    r = Raw.__new__(Raw)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(TIMEOUT)
    s.connect(("127.0.0.1", port))
    if tls:
        s = client_tls_context().wrap_socket(s, server_hostname=DOMAIN)
    r.sock, r.buf = s, b""
    return r


def sasl_plain(raw, user, password):
    token = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
    raw.send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (SASL_NS, token))
    raw.read_until(b"<success")
    raw.buf = b""


def login_direct_tls(raw, user, password, resource="raw"):
    """Like Raw.login_plain, on an already encrypted (XEP-0368) socket."""
    raw.open_stream()
    sasl_plain(raw, user, password)
    raw.open_stream()
    raw.send("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
             "<resource>%s</resource></bind></iq>" % resource)
    raw.read_until(b"</iq>")
    raw.buf = b""


def prepare(server, step):
    """Brings a raw connection to the named point of the stream negotiation."""
    r = Raw(server.port)
    if step == "connect":                   # nothing sent yet
        pass
    elif step == "open":                    # plaintext stream, features received
        r.open_stream()
    elif step == "tls_bare":                # TLS up, restart header not yet sent
        r.starttls()
    elif step == "tls":                     # TLS up, new stream open, not authenticated
        r.starttls()
        r.open_stream()
    elif step == "authed_bare":             # SASL success, restart header not yet sent
        r.starttls()
        r.open_stream()
        sasl_plain(r, "alice", PW)
    elif step == "authed":                  # authenticated stream open, no resource bound
        r.starttls()
        r.open_stream()
        sasl_plain(r, "alice", PW)
        r.open_stream()
    elif step == "bound":
        r.login_plain("alice", PW)
    else:
        raise ValueError(step)
    r.buf = b""
    return r


ERROR_RX = (rb"<stream:error><(?P<cond>[a-z-]+) xmlns=['\"]" + STREAMS_NS.encode() +
            rb"['\"]/>(?:<text xmlns=['\"]" + STREAMS_NS.encode() +
            rb"['\"][^>]*>[^<]*</text>)?</stream:error></stream:stream>\Z")
SERVER_HEADER_RX = (rb"\A<\?xml version=['\"]1.0['\"]\?><stream:stream (?=[^>]*xmlns=['\"]"
                    rb"jabber:client['\"])(?=[^>]*xmlns:stream=['\"]" + STREAM_NS.encode() +
                    rb"['\"])(?=[^>]*from=['\"]" + DOMAIN.encode() + rb"['\"])"
                    rb"(?=[^>]*version=['\"]1.0['\"])(?=[^>]*\bid=['\"][^'\"]+['\"])[^>]*>")


def read_to_close(raw, timeout=3):
    """Everything the server sends until it closes the connection (bounded)."""
    try:
        return raw.read_all(timeout)
    except socket.timeout:
        raise AssertionError("the server did not close the stream within %ss; got %r"
                             % (timeout, raw.buf))


def assert_stream_error(data, conds, header=False):
    """data is exactly [server stream header] + <stream:error><cond/></stream:error>
    + </stream:stream>, and nothing else (no features, no stanzas)."""
    conds = (conds,) if isinstance(conds, str) else conds
    if header:
        m = re.match(SERVER_HEADER_RX, data)
        assert m, "the server's own stream header must precede the error; got %r" % data
        data = data[m.end():]
    m = re.fullmatch(ERROR_RX, data)
    assert m, "expected exactly <stream:error><%s/></stream:error></stream:stream>; got %r" \
        % ("|".join(conds), data)
    assert m.group("cond").decode() in conds, \
        "expected %s, got %s: %r" % ("|".join(conds), m.group("cond").decode(), data)
    return m.group("cond").decode()


def send_quietly(raw, data):
    """Sends, ignoring a connection the server has already closed."""
    try:
        raw.send(data)
        return True
    except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
        return False


# --- the table of bad inputs -----------------------------------------------------------------

def hdr(attrs):
    return "<?xml version='1.0'?><stream:stream %s>" % attrs


STD = "xmlns='jabber:client' xmlns:stream='%s'" % STREAM_NS
LOL = ("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>" +
       "".join("<!ENTITY lol%d '%s'>" % (i, ("&lol%s;" % ("" if i == 1 else i - 1)) * 10)
               for i in range(1, 10)) +
       "]>" + hdr(STD + " to='localhost' version='1.0'") + "<message><body>&lol9;</body></message>")
MSG = "<message to='alice@localhost/raw' id='m1'><body>%s</body></message>"
PRE_TLS, POST_TLS, PRE_BIND, BOUND = "open", "tls", "authed", "bound"
NWF, RESTRICTED, POLICY = "not-well-formed", "restricted-xml", "policy-violation"
NOT_AUTH, ENC = "not-authorized", "unsupported-encoding"


def nested(levels):
    """A message whose element nesting (the stanza root included) is `levels` deep."""
    inner = "<x xmlns='urn:deep'>" * (levels - 1) + "</x>" * (levels - 1)
    return "<message to='alice@localhost/raw' id='deep'>%s</message>" % inner


A65 = " ".join("a%d='v'" % i for i in range(65))


def attrs(n):
    return "<message to='alice@localhost/raw' id='attrs'><x xmlns='urn:a' %s/></message>" % \
        " ".join("a%d='v'" % i for i in range(n))


# (name, config keys, setup step, bytes or list of pieces, expected condition(s), header first)
CASES = [
    # malformed XML, before and after authentication
    ("mismatched-tag-bound", {}, BOUND, "<message><body></message>", NWF, False),
    ("mismatched-tag-preauth-tls", {}, POST_TLS, "<message><body></message>", NWF, False),
    ("mismatched-tag-pre-bind", {}, PRE_BIND, "<message><body></message>", NWF, False),
    ("double-lt-bound", {}, BOUND, "<<", NWF, False),
    ("double-lt-preauth", {}, PRE_TLS, "<<", NWF, False),
    ("double-lt-before-header", {}, "connect", "<<", NWF, True),
    ("text-before-header", {}, "connect", "hello\r\n", NWF, True),
    ("junk-bytes-bound", {}, BOUND, b"\x00\x01\x02\x03junk", NWF, False),
    ("junk-bytes-preauth", {}, PRE_TLS, b"\x00\x01\x02\x03junk", NWF, False),
    ("control-char-in-text", {}, BOUND, MSG % "\x01", NWF, False),
    ("duplicate-attribute", {}, BOUND, "<message id='a' id='b'/>", NWF, False),
    ("unbound-prefix", {}, BOUND, "<foo:bar/>", NWF, False),
    ("stray-end-tag", {}, BOUND, "</message>", NWF, False),
    ("undefined-entity", {}, BOUND, MSG % "&foo;", (NWF, RESTRICTED), False),
    # restricted XML (RFC 6120 §11.1)
    ("doctype-in-prolog", {}, "connect",
     "<?xml version='1.0'?><!DOCTYPE stream:stream>" + HEADER, RESTRICTED, True),
    ("internal-entity-decl", {}, "connect",
     "<?xml version='1.0'?><!DOCTYPE s [<!ENTITY x 'y'>]>" + HEADER, RESTRICTED, True),
    ("billion-laughs", {}, "connect", LOL, RESTRICTED, True),
    ("billion-laughs-after-starttls", {}, "tls_bare", LOL, RESTRICTED, True),
    ("billion-laughs-after-sasl", {}, "authed_bare", LOL, RESTRICTED, True),
    ("comment-in-prolog", {}, "connect", "<?xml version='1.0'?><!-- x -->" + HEADER,
     RESTRICTED, True),
    ("comment-in-stream-preauth", {}, PRE_TLS, "<!-- x -->", RESTRICTED, False),
    ("comment-in-stream-bound", {}, BOUND, "<!-- x -->", RESTRICTED, False),
    ("comment-in-stanza", {}, BOUND, MSG % "<!-- x -->", RESTRICTED, False),
    ("pi-in-prolog", {}, "connect", "<?xml version='1.0'?><?foo bar?>" + HEADER, RESTRICTED, True),
    ("pi-in-stream-preauth", {}, PRE_TLS, "<?foo bar?>", RESTRICTED, False),
    ("pi-in-stream-bound", {}, BOUND, "<?foo bar?>", RESTRICTED, False),
    ("pi-in-stanza", {}, BOUND, MSG % "<?foo bar?>", RESTRICTED, False),
    # encodings (RFC 6120 §4.9.3.22, §11.6): bad UTF-8 is unsupported-encoding
    ("utf8-ff-fe", {}, BOUND, b"<message><body>\xff\xfe</body></message>", ENC, False),
    ("utf8-overlong-2byte", {}, BOUND, b"<message><body>\xc0\xaf</body></message>", ENC, False),
    ("utf8-lone-continuation", {}, BOUND, b"<message><body>a\x80b</body></message>", ENC, False),
    ("utf8-truncated", {}, BOUND, b"<message><body>\xe2\x82</body></message>", ENC, False),
    ("utf8-above-u10ffff", {}, BOUND, b"<message><body>\xf5\x80\x80\x80</body></message>", ENC,
     False),
    ("utf8-overlong-3byte", {}, BOUND, b"<message><body>\xe0\x80\xaf</body></message>", ENC,
     False),
    ("utf8-surrogate", {}, BOUND, b"<message><body>\xed\xa0\x80</body></message>", ENC, False),
    ("utf8-bad-continuation", {}, BOUND, b"<message><body>\xc3(</body></message>", ENC, False),
    ("utf8-bad-continuation-split", {}, BOUND,
     [b"<message><body>\xc3", b"(</body></message>"], ENC, False),
    ("utf8-in-attribute-preauth", {}, PRE_TLS, b"<auth mechanism='\xff'/>", ENC, False),
    ("utf8-in-header", {}, "connect", hdr(STD).encode()[:-1] + b" to='\xfflocalhost'>", ENC, True),
    ("declared-latin1", {}, "connect",
     "<?xml version='1.0' encoding='ISO-8859-1'?>" + HEADER[21:], ENC, True),
    # size limits
    ("stanza-over-max", {"max_stanza_bytes": 4096}, BOUND, MSG % ("a" * 5000), POLICY, False),
    ("huge-attribute-never-closed", {"max_stanza_bytes": 4096}, BOUND,
     ["<message to='alice@localhost/raw' x='"] + ["a" * 1024] * 8, POLICY, False),
    ("huge-text-streamed-never-closed", {"max_stanza_bytes": 4096}, BOUND,
     ["<message to='alice@localhost/raw'><body>"] + ["a" * 1024] * 8, POLICY, False),
    ("huge-text-many-small-pieces", {"max_stanza_bytes": 4096}, BOUND,
     ["<message><body>"] + ["b" * 100] * 60, POLICY, False),
    ("endless-small-children", {"max_stanza_bytes": 4096}, BOUND,
     ["<message to='alice@localhost/raw'>"] + ["<a/>" * 256] * 8, POLICY, False),
    ("preauth-whitespace-flood", {}, PRE_TLS, [" " * 4096] * 20, POLICY, False),
    ("preauth-big-stanza", {}, POST_TLS,
     "<iq type='set' id='r'><query xmlns='jabber:iq:register'><username>%s</username>"
     "</query></iq>" % ("u" * 70000), POLICY, False),
    ("preauth-big-stanza-small-limit", {"max_bytes_before_auth": 4096}, POST_TLS,
     "<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (SASL_NS, "A" * 5000), POLICY, False),
    ("huge-stream-header", {}, "connect",
     ["<?xml version='1.0'?><stream:stream %s x='" % STD] + ["h" * 4096] * 20, POLICY, True),
    ("too-deep", {}, BOUND, nested(33), POLICY, False),
    ("too-deep-small-limit", {"max_depth": 4}, BOUND, nested(5), POLICY, False),
    ("too-deep-empty-element", {}, BOUND,
     nested(32).replace("</x>", "<y/></x>", 1), POLICY, False),
    ("too-many-attrs", {}, BOUND, attrs(65).replace("/>", "></x>"), POLICY, False),
    ("too-many-attrs-on-root", {}, BOUND, "<message %s></message>" % A65, POLICY, False),
    ("too-many-attrs-empty-element", {}, BOUND, attrs(65), POLICY, False),
    ("too-many-attrs-empty-root", {}, BOUND, "<message %s/>" % A65, POLICY, False),
    ("too-many-attrs-empty-preauth", {}, POST_TLS, "<auth xmlns='%s' %s/>" % (SASL_NS, A65),
     POLICY, False),
    ("too-many-attrs-on-stream-header", {}, "connect",
     hdr(STD + " to='localhost' version='1.0' " +
         " ".join("a%d='v'" % i for i in range(100))), POLICY, True),
    # stream header (RFC 6120 §4.9.1.2: the server's own header comes first)
    ("header-to-unhosted-domain", {}, "connect",
     hdr(STD + " to='example.org' version='1.0'"), "host-unknown", True),
    ("header-to-user-jid", {}, "connect",
     hdr(STD + " to='alice@localhost' version='1.0'"), "host-unknown", True),
    ("header-wrong-stream-ns", {}, "connect",
     hdr("xmlns='jabber:client' xmlns:stream='http://example.com/streams' to='localhost' "
         "version='1.0'"), "invalid-namespace", True),
    ("header-wrong-default-ns", {}, "connect",
     hdr("xmlns='urn:example:wrong' xmlns:stream='%s' to='localhost' version='1.0'" % STREAM_NS),
     "invalid-namespace", True),
    ("header-no-default-ns", {}, "connect",
     hdr("xmlns:stream='%s' to='localhost' version='1.0'" % STREAM_NS), "invalid-namespace", True),
    ("header-no-version", {}, "connect", hdr(STD + " to='localhost'"), "unsupported-version",
     True),
    ("header-version-2", {}, "connect", hdr(STD + " to='localhost' version='2.0'"),
     "unsupported-version", True),
    ("header-version-0.9", {}, "connect", hdr(STD + " to='localhost' version='0.9'"),
     "unsupported-version", True),
    ("restart-header-unhosted-after-tls", {}, "tls_bare",
     hdr(STD + " to='example.org' version='1.0'"), "host-unknown", True),
    ("restart-header-bad-ns-after-sasl", {}, "authed_bare",
     hdr("xmlns='urn:example:wrong' xmlns:stream='%s' to='localhost' version='1.0'" % STREAM_NS),
     "invalid-namespace", True),
    # stanzas before authentication / before bind (RFC 6120 §6.4, §7.1)
    ("message-before-tls", {}, PRE_TLS, MSG % "hi", NOT_AUTH, False),
    ("message-after-tls-before-sasl", {}, POST_TLS, MSG % "hi", NOT_AUTH, False),
    ("iq-after-tls-before-sasl", {}, POST_TLS,
     "<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>", NOT_AUTH, False),
    ("presence-after-tls-before-sasl", {}, POST_TLS, "<presence/>", NOT_AUTH, False),
    ("unknown-element-before-sasl", {}, POST_TLS, "<foo xmlns='urn:x'/>", NOT_AUTH, False),
    ("message-before-bind", {}, PRE_BIND, MSG % "hi", NOT_AUTH, False),
    ("iq-before-bind", {}, PRE_BIND,
     "<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>", NOT_AUTH, False),
    ("presence-before-bind", {}, PRE_BIND, "<presence/>", NOT_AUTH, False),
    # unknown top-level elements after bind (RFC 6120 §4.9.3.24)
    ("unknown-top-level-element", {}, BOUND, "<foo xmlns='urn:x'/>", "unsupported-stanza-type",
     False),
    ("unknown-element-client-ns", {}, BOUND, "<foo/>", "unsupported-stanza-type", False),
    ("message-in-foreign-ns", {}, BOUND, "<message xmlns='urn:x'/>", "unsupported-stanza-type",
     False),
]


@pytest.mark.parametrize("name,config,step,payload,expected,header",
                         [pytest.param(*c, id=c[0]) for c in CASES])
def test_bad_input(server_factory, name, config, step, payload, expected, header):
    server = server_factory(**config)
    server.adduser("alice", PW)
    r = prepare(server, step)
    before = rss_kb(server)
    t0 = time.monotonic()
    if isinstance(payload, list):
        for piece in payload:
            if not send_quietly(r, piece):
                break
            time.sleep(0.02)
    else:
        send_quietly(r, payload)
    data = read_to_close(r)
    elapsed = time.monotonic() - t0
    r.close()
    assert_stream_error(data, expected, header)
    pieces_time = 0.03 * len(payload) if isinstance(payload, list) else 0
    limit = (1.0 if expected == RESTRICTED else 2.0) + pieces_time
    assert elapsed < limit, "answered in %.2fs" % elapsed
    if expected == RESTRICTED:
        grown = rss_kb(server) - before
        assert grown < 4096, "RSS grew by %d KiB on %s" % (grown, name)
    assert_serves(server)


# --- limits are exact: the largest accepted input still goes through -------------------------

def test_limits_accept_up_to_the_boundary(server_factory):
    """A stanza of exactly max_stanza_bytes, max_depth levels and max_attrs attributes is
    delivered; the session stays up (one more of each is rejected in the table above)."""
    server = server_factory(max_stanza_bytes=4096)
    server.adduser("alice", PW)
    r = prepare(server, BOUND)
    shell = "<message to='alice@localhost/raw' id='exact'><body></body></message>"
    exact = shell.replace("<body>", "<body>" + "a" * (4096 - len(shell)))
    assert len(exact) == 4096
    for ident, stanza in (("exact", exact), ("deep", nested(32)), ("attrs", attrs(64))):
        r.buf = b""
        r.send(stanza)
        got = r.read_until(r"</message>")
        assert b"id='%s'" % ident.encode() in got and b"stream:error" not in got, got
    ping(r)
    r.close()
    assert_serves(server)


def test_billion_laughs_is_fast_and_bounded(server_factory, lean_asan):
    """The classic 10-level entity expansion costs neither time nor memory."""
    server = server_factory()
    base = rss_kb(server)
    for _ in range(20):
        r = Raw(server.port)
        t0 = time.monotonic()
        r.send(LOL)
        data = read_to_close(r)
        assert time.monotonic() - t0 < 1.0
        r.close()
        assert_stream_error(data, RESTRICTED, header=True)
    grown = rss_kb(server) - base
    assert grown < 8192, "RSS grew by %d KiB after 20 billion-laughs payloads" % grown
    assert_serves(server)


# --- timeouts --------------------------------------------------------------------------------

@pytest.mark.parametrize("step", ["connect", "open", "tls", "authed"])
def test_auth_timeout(server_factory, step):
    """No authenticated session within auth_timeout: connection-timeout, then close."""
    server = server_factory(auth_timeout=1)
    server.adduser("alice", PW)
    t0 = time.monotonic()
    r = prepare(server, step)
    data = read_to_close(r, timeout=5)
    elapsed = time.monotonic() - t0
    r.close()
    assert_stream_error(data, "connection-timeout", header=(step == "connect"))
    assert 0.8 <= elapsed < 3.0, "closed after %.2fs with auth_timeout=1" % elapsed
    assert_serves(server)


# --- whitespace keepalives -------------------------------------------------------------------

def test_whitespace_keepalives(server_factory):
    """Single spaces and newlines between stanzas (RFC 6120 §4.6.1) keep the session up, even
    past auth_timeout, before and after authentication."""
    server = server_factory(auth_timeout=1)
    server.adduser("alice", PW)
    r = Raw(server.port)
    r.send(HEADER)
    r.read_until(b"</stream:features>")
    r.send(" ")
    r.send("\n")
    r.buf = b""
    r.send("\r\n\t <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/> \n")
    r.read_until(b"<proceed")
    r.close()

    r = prepare(server, BOUND)
    for ws in [" ", "\n", " ", "\r\n", "\t", "  \n  "] * 3:
        r.send(ws)
        time.sleep(0.1)
    ping(r)
    r.send(" \n ")
    r.send("<iq type='get' id='k1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>\n \n"
           "<iq type='get' id='k2' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq> ")
    r.read_until(rb"id='k2'")
    assert b"id='k1'" in r.buf and b"stream:error" not in r.buf, r.buf
    time.sleep(0.5)  # well past auth_timeout since login: a bound session stays
    ping(r)
    r.send("</stream:stream>")
    data = read_to_close(r)
    assert data.endswith(b"</stream:stream>") and b"stream:error" not in data, data
    r.close()
    assert_serves(server)


# --- peers that stop reading -----------------------------------------------------------------

DISCO = ("<iq type='get' id='d%d' to='localhost'>"
         "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>")


def flood(raw, make_chunk, max_chunks, seconds, stall=1.5):
    """Sends chunks without reading anything back until the server stops reading (no progress
    for `stall` s), the count or the time runs out. Returns (chunks sent, pending chunk)."""
    raw.sock.setblocking(False)
    sent, pending, last = 0, None, time.monotonic()
    deadline = time.monotonic() + seconds
    while sent < max_chunks and time.monotonic() < deadline:
        if pending is None:
            pending = make_chunk(sent)
        try:
            raw.sock.send(pending)  # TLS: all or nothing; retried with the same bytes
            sent, pending, last = sent + 1, None, time.monotonic()
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
            if time.monotonic() - last > stall:
                break
            select.select([], [raw.sock], [], 0.05)
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
            break  # dropped by the server
    return sent, pending


def drain_counting(raw, pattern, target, seconds, pending=None):
    """Reads (finishing a pending send) until `pattern` was seen `target` times, the server
    closes, or the time is up. Returns (count, closed)."""
    # A 4 KiB receive window makes loopback TCP crawl on persist-timer probes; open it up.
    raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    deadline = time.monotonic() + seconds
    count, tail, closed = 0, b"", False
    while time.monotonic() < deadline and count < target:
        if pending is not None:
            try:
                raw.sock.send(pending)
                pending = None
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
                pass
            except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
                closed = True  # dropped while the flood's last chunk was on its way
                break
        try:
            chunk = raw.sock.recv(1 << 20)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            select.select([raw.sock], [], [], 0.05)
            continue
        except (ConnectionResetError, ssl.SSLError):
            closed = True
            break
        if not chunk:
            closed = True
            break
        data = tail + chunk
        count += data.count(pattern)
        cut = data.rfind(pattern)
        tail = data[max(cut + len(pattern), len(data) - len(pattern) + 1):]
    raw.buf = b""
    return count, closed


@pytest.mark.parametrize("transport", ["starttls", "direct_tls"])
def test_client_that_never_reads_its_replies(server_factory, lean_asan, transport):
    """A client floods disco#info requests and never reads: the server stops reading it (or
    drops it) instead of buffering without bound, and serves other users meanwhile."""
    server = server_factory(max_output_bytes=65536, max_stanzas_per_second=1000000)
    server.adduser("alice", PW)
    if transport == "starttls":
        r = raw_connect(server.port, rcvbuf=4096)
        r.login_plain("alice", PW)
    else:
        r = raw_connect(server.tls_port, rcvbuf=4096, tls=True)
        login_direct_tls(r, "alice", PW)
    ping(r)
    base = rss_kb(server)
    per_chunk = 100

    def chunk(i):
        return "".join(DISCO % (i * per_chunk + k) for k in range(per_chunk)).encode()

    sent, pending = flood(r, chunk, max_chunks=1000, seconds=10)
    grown = rss_kb(server) - base
    queued = server.log().count("not reading")
    # Other users are served while the flood is stuck.
    assert_serves(server)
    assert grown < 16 * 1024, ("parleyd RSS grew by %d MiB while a client sent %d disco#info "
                               "requests and read nothing (max_output_bytes=65536)"
                               % (grown // 1024, sent * per_chunk))
    assert sent < 1000, "the server read %d requests from a client that reads nothing" % (
        sent * per_chunk)
    # Catching up: a paused client gets every reply; a dropped one was logged as not reading.
    n = sent * per_chunk + (per_chunk if pending is not None else 0)
    count, closed = drain_counting(r, b"type='result'", n, 30, pending)
    if closed:
        assert queued or "not reading" in server.log(), "closed without a reason in the log"
    else:
        assert count == n, "%d replies for %d requests" % (count, n)
        r.sock.setblocking(True)
        r.sock.settimeout(TIMEOUT)
        ping(r)
    r.close()
    assert_serves(server)


@pytest.mark.parametrize("transport", ["starttls", "direct_tls"])
def test_slow_reader_is_dropped_when_output_overflows(server_factory, transport):
    """Another user sends to a client that never reads: once its queued output passes
    max_output_bytes the server drops that connection (\"not reading\") and keeps serving the
    sender."""
    server = server_factory(max_output_bytes=65536)
    server.adduser("alice", PW)
    server.adduser("bob", "pw-bob")
    if transport == "starttls":
        bob = raw_connect(server.port, rcvbuf=4096)
        bob.login_plain("bob", "pw-bob", "deaf")
    else:
        bob = raw_connect(server.tls_port, rcvbuf=4096, tls=True)
        login_direct_tls(bob, "bob", "pw-bob", "deaf")
    bob.send("<presence/>")
    alice = prepare(server, BOUND)
    body = "x" * 4000
    deadline = time.monotonic() + 20
    n = 0
    while n < 5000 and time.monotonic() < deadline:
        alice.send("".join("<message to='bob@localhost/deaf' type='chat' id='f%d'><body>%s"
                           "</body></message>" % (n + k, body) for k in range(20)))
        n += 20
        if n % 200 == 0:
            if "not reading" in server.log():
                break
            ping(alice)  # the sender is served throughout, and we keep its input drained
    log = server.log()
    assert "not reading" in log, "sent %d x 4 KB to a peer that never reads; no drop" % n
    ping(alice)
    # The dropped connection is really closed: draining it ends in EOF/reset.
    bob.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    bob.sock.settimeout(5)
    closed = False
    t_end = time.monotonic() + 10
    while time.monotonic() < t_end:
        try:
            if not bob.sock.recv(1 << 20):
                closed = True
                break
        except (ConnectionResetError, ssl.SSLError, BrokenPipeError):
            closed = True
            break
        except socket.timeout:
            break
    assert closed, "the non-reading connection was not closed"
    bob.close()
    ping(alice)
    alice.close()
    assert_serves(server)


def test_fan_out_survives_dropping_a_recipient(server_factory):
    """Headlines to a bare JID go to every resource. When one of them stops reading and is
    dropped in the middle of that fan-out, the others still get every message, intact."""
    server = server_factory(max_output_bytes=65536)
    server.adduser("alice", PW)
    server.adduser("bob", "pw-bob")
    ears = raw_connect(server.port)
    ears.login_plain("bob", "pw-bob", "ears")
    deaf = raw_connect(server.port, rcvbuf=4096)
    deaf.login_plain("bob", "pw-bob", "deaf")  # bound last, so first in the account's list
    for r in (ears, deaf):
        r.send("<presence/>")
    alice = prepare(server, BOUND)
    got = {"n": 0, "bad": 0}
    stop = threading.Event()

    def drain():
        buf = b""
        ears.sock.settimeout(0.2)
        while not stop.is_set():
            try:
                chunk = ears.sock.recv(1 << 16)
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            if not chunk:
                break
            buf += chunk
            for m in re.findall(rb"<message [^>]*>(.*?)</message>", buf, re.S):
                got["n"] += 1
                got["bad"] += m != b"<body>" + b"y" * 4000 + b"</body>"
            buf = buf[buf.rfind(b"</message>") + 10:] if b"</message>" in buf else buf

    reader = threading.Thread(target=drain)
    reader.start()
    sent = 0
    try:
        while sent < 600 and "not reading" not in server.log():
            alice.send("".join("<message to='bob@localhost' type='headline'><body>%s</body>"
                               "</message>" % ("y" * 4000) for _ in range(20)))
            sent += 20
            ping(alice)
        for _ in range(20):  # a few more after the drop
            alice.send("<message to='bob@localhost' type='headline'><body>%s</body></message>"
                       % ("y" * 4000))
            sent += 1
        ping(alice)
        deadline = time.monotonic() + 10
        while got["n"] < sent and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        reader.join(5)
    assert "not reading" in server.log(), "the deaf resource was never dropped"
    assert got["n"] == sent and got["bad"] == 0, "ears got %d of %d (%d damaged)" % (
        got["n"], sent, got["bad"])
    for r in (ears, deaf, alice):
        r.close()
    assert_serves(server)


# --- connection churn and max_connections ---------------------------------------------------

def client_hello():
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = client_tls_context().wrap_bio(inc, out, server_hostname=DOMAIN)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def abort(sock):
    """Closes with a reset instead of a FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def test_connections_dropped_mid_handshake(server_factory):
    """300 partial stream headers, 100 half-done TLS handshakes, 100 drops right after <auth>:
    no crash, no leaked connection, and the server still serves."""
    # All 300 come from one address and are open at once: lift that address's cap.
    server = server_factory(max_unauthenticated_per_source=1000)
    server.adduser("alice", PW)
    partial = HEADER.encode()
    socks = []
    for i in range(300):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
        s.sendall(partial[:1 + (i * 7) % (len(partial) - 1)])
        socks.append(s)
    for i, s in enumerate(socks):
        abort(s) if i % 2 else s.close()

    hello = client_hello()
    for i in range(100):
        r = Raw(server.port)
        r.open_stream()
        r.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        r.read_until(b"<proceed")
        r.send(hello[:(i * 13) % len(hello)] if i % 3 else hello)
        abort(r.sock) if i % 2 else r.sock.close()

    token = base64.b64encode(b"\0alice\0" + PW.encode()).decode()
    scram = base64.b64encode(b"n,,n=alice,r=abcdefghijklmnop").decode()
    for i in range(100):
        r = Raw(server.port)
        r.starttls()
        r.open_stream()
        mech, payload = ("PLAIN", token) if i % 2 else ("SCRAM-SHA-1", scram)
        r.send("<auth xmlns='%s' mechanism='%s'>%s</auth>" % (SASL_NS, mech, payload))
        abort(r.sock) if i % 4 < 2 else r.close()

    def all_freed():
        log = server.log()
        return log.count("connection from") == log.count("connection freed")

    assert wait_for(all_freed, 10), "connections opened %d, freed %d" % (
        server.log().count("connection from"), server.log().count("connection freed"))
    assert_serves(server)


def test_max_connections(server_factory):
    """With max_connections=50 the 51st simultaneous connection is turned away with a
    resource-constraint stream error while the first 50 stay open and served; after they
    close, logins work again."""
    server = server_factory(max_connections=50)
    server.adduser("alice", PW)
    first = []
    for _ in range(50):
        r = Raw(server.port)
        r.open_stream()
        first.append(r)
    extra = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    extra.settimeout(5)
    got = b""
    try:
        while True:
            chunk = extra.recv(65536)
            if not chunk:
                break
            got += chunk
    except (ConnectionResetError, BrokenPipeError):
        pass
    extra.close()
    assert b"<resource-constraint xmlns='%s'/>" % STREAMS_NS.encode() in got, got
    assert got.endswith(b"</stream:stream>"), "the 51st connection was served: %r" % got
    assert "max_connections reached" in server.log()
    for r in first:  # each of the 50 still answers
        r.buf = b""
        r.send("<auth xmlns='%s' mechanism='PLAIN'>=</auth>" % SASL_NS)
        r.read_until(b"</failure>", timeout=5)
        assert b"encryption-required" in r.buf, r.buf
    for r in first:
        r.close()

    def can_open():
        try:
            r = Raw(server.port)
            r.sock.settimeout(1)
            r.send(HEADER)
            r.read_until(b"</stream:features>", timeout=1)
            r.close()
            return True
        except (OSError, ConnectionError):
            return False

    assert wait_for(can_open, 5)
    assert_serves(server)
