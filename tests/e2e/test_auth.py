# SPDX-License-Identifier: MIT
"""Authentication end to end: STARTTLS and direct TLS, SASL (RFC 6120 §6), throttling,
resource binding, in-band registration (XEP-0077), credential storage and shutdown."""
import asyncio
import base64
import hashlib
import hmac
import os
import re
import signal
import xml.etree.ElementTree as ET

import pytest

from conftest import DOMAIN
from xmpp_helpers import TIMEOUT, Client, Raw, online, run

NS_STREAM = "http://etherx.jabber.org/streams"
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind"
NS_SESSION = "urn:ietf:params:xml:ns:xmpp-session"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_STREAMS_ERR = "urn:ietf:params:xml:ns:xmpp-streams"
NS_REGISTER = "jabber:iq:register"
NS_REGISTER_FEATURE = "http://jabber.org/features/iq-register"
UUID_RX = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def q(ns, name):
    return "{%s}%s" % (ns, name)


# --- raw-socket helpers -------------------------------------------------------------------

def next_el(raw, name, timeout=TIMEOUT):
    """Waits for the next complete top-level <name> (a regex alternation of names, e.g.
    'success|failure'), removes it and what precedes it from raw.buf, and returns it parsed."""
    rx = re.compile((r"<((?:stream:)?(?:%s))\b[^>]*?(?:/>|>.*?</\1>)" % name).encode(), re.S)
    raw.read_until(rx.pattern, timeout)
    m = rx.search(raw.buf)
    raw.buf = raw.buf[m.end():]
    wrapped = b"<w xmlns='jabber:client' xmlns:stream='" + NS_STREAM.encode() + b"'>" + \
        m.group(0) + b"</w>"
    return ET.fromstring(wrapped)[0]


def children(el):
    return [c.tag for c in el]


def features(raw):
    """Opens a stream and returns its parsed <stream:features/>."""
    raw.buf = b""
    raw.open_stream()
    return next_el(raw, "stream:features")


def mechanisms(feats):
    m = feats.find(q(NS_SASL, "mechanisms"))
    return None if m is None else [e.text for e in m]


def b64(data):
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def send_auth(raw, mech, payload=None):
    raw.send("<auth xmlns='%s' mechanism='%s'>%s</auth>"
             % (NS_SASL, mech, "" if payload is None else payload))


def sasl_answer(raw):
    return next_el(raw, "success|failure|challenge")


def assert_failure(el, condition):
    assert el.tag == q(NS_SASL, "failure") and children(el) == [q(NS_SASL, condition)], \
        "expected <failure><%s/></failure>, got %s" % (condition, ET.tostring(el))


def plain(raw, user, password):
    """One SASL PLAIN attempt; returns the server's answer element."""
    send_auth(raw, "PLAIN", b64("\0%s\0%s" % (user, password)))
    return sasl_answer(raw)


def scram(raw, user, password, mech="SCRAM-SHA-256"):
    """One SCRAM attempt (RFC 5802); returns the final answer, checking the server's proof."""
    h = hashlib.sha256 if mech == "SCRAM-SHA-256" else hashlib.sha1
    cnonce = b64(os.urandom(18))
    first_bare = "n=%s,r=%s" % (user, cnonce)
    send_auth(raw, mech, b64("n,," + first_bare))
    ch = sasl_answer(raw)
    if ch.tag != q(NS_SASL, "challenge"):
        return ch
    server_first = base64.b64decode(ch.text).decode()
    attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
    assert attrs["r"].startswith(cnonce), "server nonce must extend ours: %r" % server_first
    salted = hashlib.pbkdf2_hmac(h().name, password.encode(), base64.b64decode(attrs["s"]),
                                 int(attrs["i"]))
    final_bare = "c=biws,r=" + attrs["r"]
    auth_msg = ",".join((first_bare, server_first, final_bare)).encode()
    client_key = hmac.new(salted, b"Client Key", h).digest()
    sig = hmac.new(h(client_key).digest(), auth_msg, h).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, sig))
    raw.send("<response xmlns='%s'>%s</response>"
             % (NS_SASL, b64(final_bare + ",p=" + b64(proof))))
    ans = sasl_answer(raw)
    if ans.tag == q(NS_SASL, "success"):
        server_key = hmac.new(salted, b"Server Key", h).digest()
        want = "v=" + b64(hmac.new(server_key, auth_msg, h).digest())
        assert base64.b64decode(ans.text).decode() == want, "bad server signature"
    return ans


def tls_raw(server):
    """A raw connection after STARTTLS, with the post-TLS features read."""
    r = Raw(server.port)
    r.starttls()
    r.feats = features(r)
    return r


def authed_raw(server, user, password):
    """STARTTLS + PLAIN + stream restart; returns the raw stream with .feats, not yet bound."""
    r = tls_raw(server)
    ans = plain(r, user, password)
    assert ans.tag == q(NS_SASL, "success"), ET.tostring(ans)
    r.feats = features(r)
    return r


def iq(raw, xml, id_):
    """Sends an iq and returns the parsed reply with that id."""
    raw.send(xml)
    while True:
        el = next_el(raw, "iq")
        if el.get("id") == id_:
            return el


def stanza_error(el):
    err = el.find(q("jabber:client", "error"))
    return None if err is None else [c.tag.split("}")[1] for c in err if c.tag.startswith(
        "{" + NS_STANZAS)][0]


def register_iq(id_, user=None, password=None, type_="set"):
    fields = "".join("<%s>%s</%s>" % (k, v, k) for k, v in
                     (("username", user), ("password", password)) if v is not None)
    return "<iq type='%s' id='%s'><query xmlns='%s'>%s</query></iq>" % (
        type_, id_, NS_REGISTER, fields)


async def offline(*clients):
    """Disconnects and waits. slixmpp replaces c.disconnected once it fires, so the futures
    are taken before disconnecting (awaiting c.disconnected afterwards can hang until the
    timeout when the stream already closed)."""
    done = [c.disconnected for c in clients]
    for c in clients:
        c.disconnect()
    await asyncio.wait_for(asyncio.gather(*done, return_exceptions=True), TIMEOUT)


async def login_fails(server, user, password, port=None, **kw):
    """Logs in with slixmpp expecting refusal; returns the SASL conditions it was given."""
    c = Client("%s@%s/t" % (user, DOMAIN), password, **kw)
    conds = []
    c.add_event_handler("failed_auth", lambda st: conds.append(st["condition"]))
    c.connect(("127.0.0.1", port or server.port))
    with pytest.raises((PermissionError, ConnectionError)):
        await asyncio.wait_for(c.started, TIMEOUT)
    await offline(c)
    return conds


# --- TLS and mechanisms -------------------------------------------------------------------

def test_pre_tls_features_require_starttls_and_hide_mechanisms(server):
    r = Raw(server.port)
    feats = features(r)
    tls = feats.find(q(NS_TLS, "starttls"))
    assert tls is not None and children(tls) == [q(NS_TLS, "required")], ET.tostring(feats)
    assert mechanisms(feats) is None, "no SASL before TLS: %s" % ET.tostring(feats)
    assert feats.find(q(NS_REGISTER_FEATURE, "register")) is None
    r.close()


def test_post_tls_features_list_mechanisms(server):
    r = tls_raw(server)
    assert mechanisms(r.feats) == ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"], \
        ET.tostring(r.feats)
    assert r.feats.find(q(NS_TLS, "starttls")) is None, "STARTTLS offered twice"
    r.close()


@pytest.mark.parametrize("mech", ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"])
def test_slixmpp_login_over_starttls(server, mech):
    server.adduser("alice", "pw-alice")

    async def go():
        a = await online(server, "alice", "pw-alice", sasl_mech=mech)
        assert str(a.boundjid) == "alice@localhost/test"
        await offline(a)

    run(go())
    assert "authenticated as alice@localhost" in server.log()


@pytest.mark.parametrize("mech", ["SCRAM-SHA-256", "SCRAM-SHA-1"])
def test_raw_scram_checks_server_signature(server, mech):
    server.adduser("alice", "pw-alice")
    r = tls_raw(server)
    ans = scram(r, "alice", "pw-alice", mech)
    assert ans.tag == q(NS_SASL, "success"), ET.tostring(ans)
    r.close()


def test_direct_tls_with_slixmpp(server):
    server.adduser("alice", "pw-alice")

    async def go():
        a = await online(server, "alice", "pw-alice", direct_tls=True, sasl_mech="PLAIN")
        assert str(a.boundjid) == "alice@localhost/test"
        await offline(a)

    run(go())


def test_direct_tls_with_raw_socket(server):
    server.adduser("alice", "pw-alice")
    r = Raw(server.tls_port, tls=True)
    feats = features(r)
    assert feats.find(q(NS_TLS, "starttls")) is None, "no STARTTLS inside TLS"
    assert mechanisms(feats) == ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"], ET.tostring(feats)
    assert plain(r, "alice", "pw-alice").tag == q(NS_SASL, "success")
    feats = features(r)
    assert feats.find(q(NS_BIND, "bind")) is not None, ET.tostring(feats)
    r.close()


# --- failed logins ------------------------------------------------------------------------

@pytest.mark.parametrize("user,password", [("alice", "wrong"), ("nobody", "pw-alice")])
@pytest.mark.parametrize("mech", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-1"])
def test_bad_credentials_are_not_authorized(server, mech, user, password):
    """A wrong password and an unknown user get the same answer, whatever the mechanism."""
    server.adduser("alice", "pw-alice")
    r = tls_raw(server)
    ans = plain(r, user, password) if mech == "PLAIN" else scram(r, user, password, mech)
    assert_failure(ans, "not-authorized")
    # The stream stays usable: the right credentials still work on it.
    assert plain(r, "alice", "pw-alice").tag == q(NS_SASL, "success")
    r.close()


def test_unknown_user_challenge_looks_real(server):
    """SCRAM must not reveal whether an account exists: an unknown user's salt is as stable
    across attempts as a real one's, with the same length and iteration count."""
    server.adduser("alice", "pw-alice")
    seen = {}
    for user in ["alice", "nobody", "alice", "nobody"]:
        r = tls_raw(server)
        send_auth(r, "SCRAM-SHA-256", b64("n,,n=%s,r=clientnonce" % user))
        ch = sasl_answer(r)
        r.close()
        attrs = dict(kv.split("=", 1) for kv in base64.b64decode(ch.text).decode().split(","))
        seen.setdefault(user, set()).add((attrs["s"], attrs["i"]))
    assert all(len(v) == 1 for v in seen.values()), "salt changes between attempts: %s" % seen
    (real_salt, real_i), = seen["alice"]
    (fake_salt, fake_i), = seen["nobody"]
    assert (len(real_salt), real_i) == (len(fake_salt), fake_i), seen


@pytest.mark.parametrize("authzid,condition", [
    ("alice@localhost", None),
    ("ALICE@localhost", None),  # compared prepared, as the account name is
    ("alice@LOCALHOST", None),
    ("bob@localhost", "invalid-authzid"),
    ("alice@localhost/phone", "invalid-authzid"),  # RFC 6120 §6.3.8: a bare JID
    ("alice", "invalid-authzid"),
])
def test_plain_authzid(server, authzid, condition):
    server.adduser("alice", "pw-alice")
    server.adduser("bob", "pw-bob")
    r = tls_raw(server)
    send_auth(r, "PLAIN", b64("%s\0alice\0pw-alice" % authzid))
    ans = sasl_answer(r)
    if condition:
        assert_failure(ans, condition)
    else:
        assert ans.tag == q(NS_SASL, "success"), ET.tostring(ans)
    r.close()


def test_slixmpp_reports_failed_auth(server):
    server.adduser("alice", "pw-alice")

    async def go():
        return await login_fails(server, "alice", "wrong", sasl_mech="SCRAM-SHA-256")

    assert run(go()) == ["not-authorized"]


@pytest.mark.parametrize("limit", [None, 1])
def test_too_many_failures_close_the_stream(server_factory, limit):
    srv = server_factory(**({} if limit is None else {"max_auth_failures": limit}))
    srv.adduser("alice", "pw-alice")
    r = tls_raw(srv)
    for _ in range(limit or 3):
        assert_failure(plain(r, "alice", "wrong"), "not-authorized")
    err = next_el(r, "stream:error")
    assert q(NS_STREAMS_ERR, "policy-violation") in children(err), ET.tostring(err)
    assert r.read_all(5).endswith(b"</stream:stream>"), r.buf
    r.close()


def test_throttle_after_failures_per_minute(server_factory):
    """Both the source's and the source-and-account buckets are checked; all tests come from
    127.0.0.1, so once the source's limit is reached another account is refused too."""
    srv = server_factory(auth_failures_per_minute=2, auth_source_failures_per_minute=2)
    srv.adduser("alice", "pw-alice")
    srv.adduser("bob", "pw-bob")
    for _ in range(2):
        r = tls_raw(srv)
        assert_failure(plain(r, "alice", "wrong"), "not-authorized")
        r.close()
    for user, how in [("alice", plain), ("alice", scram), ("bob", plain), ("bob", scram)]:
        r = tls_raw(srv)
        assert_failure(how(r, user, "pw-" + user), "temporary-auth-failure")
        r.close()

    async def go():
        return await login_fails(srv, "alice", "pw-alice", sasl_mech="SCRAM-SHA-256")

    assert run(go()) == ["temporary-auth-failure"]
    assert "throttled" in srv.log()


# --- plaintext ----------------------------------------------------------------------------

@pytest.mark.parametrize("mech", ["PLAIN", "SCRAM-SHA-256"])
def test_auth_before_starttls_is_encryption_required(server, mech):
    server.adduser("alice", "pw-alice")
    r = Raw(server.port)
    features(r)
    send_auth(r, mech, b64("\0alice\0pw-alice" if mech == "PLAIN" else "n,,n=alice,r=abc"))
    assert_failure(sasl_answer(r), "encryption-required")
    # The client can still do the right thing.
    r.send("<starttls xmlns='%s'/>" % NS_TLS)
    assert next_el(r, "proceed").tag == q(NS_TLS, "proceed")
    r.close()


def test_plaintext_loopback_offers_scram_only(server_factory):
    srv = server_factory(allow_plaintext_loopback=True)
    srv.adduser("alice", "pw-alice")
    r = Raw(srv.port)
    feats = features(r)
    tls = feats.find(q(NS_TLS, "starttls"))
    assert tls is not None and children(tls) == [], "STARTTLS offered, not required"
    assert mechanisms(feats) == ["SCRAM-SHA-256", "SCRAM-SHA-1"], ET.tostring(feats)
    assert_failure(plain(r, "alice", "pw-alice"), "encryption-required")
    assert scram(r, "alice", "pw-alice").tag == q(NS_SASL, "success")
    r.close()

    async def go():
        a = Client("alice@%s/plain" % DOMAIN, "pw-alice", sasl_mech="SCRAM-SHA-1")
        a.connect(("127.0.0.1", srv.port), disable_starttls=True, force_starttls=False)
        await asyncio.wait_for(a.started, TIMEOUT)
        assert a.transport.get_extra_info("ssl_object") is None, "expected a plaintext stream"
        await offline(a)

    run(go())
    assert "authenticated as alice@localhost" in srv.log()


# --- SASL edge cases ----------------------------------------------------------------------

@pytest.mark.parametrize("send,condition", [
    ("<auth xmlns='%s' mechanism='X-UNKNOWN'>AAAA</auth>" % NS_SASL, "invalid-mechanism"),
    ("<auth xmlns='%s'>AAAA</auth>" % NS_SASL, "invalid-mechanism"),
    ("<auth xmlns='%s' mechanism='PLAIN'>!!not*base64!!</auth>" % NS_SASL, "incorrect-encoding"),
    ("<auth xmlns='%s' mechanism='SCRAM-SHA-256'>%s</auth>" % (NS_SASL, b64("garbage")),
     "malformed-request"),
    ("<auth xmlns='%s' mechanism='SCRAM-SHA-1'>%s</auth>" % (NS_SASL, b64("n,,r=abc")),
     "malformed-request"),
    ("<auth xmlns='%s' mechanism='SCRAM-SHA-1'>%s</auth>" % (NS_SASL, b64("n,,n=alice")),
     "malformed-request"),
    ("<auth xmlns='%s' mechanism='SCRAM-SHA-256'>%s</auth>"
     % (NS_SASL, b64("p=tls-unique,,n=alice,r=abc")), "malformed-request"),
    ("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (NS_SASL, b64("no-nul-bytes")),
     "malformed-request"),
    ("<abort xmlns='%s'/>" % NS_SASL, "aborted"),
    ("<response xmlns='%s'>AAAA</response>" % NS_SASL, "malformed-request"),
])
def test_sasl_edge_cases(server, send, condition):
    r = tls_raw(server)
    r.send(send)
    assert_failure(sasl_answer(r), condition)
    r.close()


@pytest.mark.parametrize("mech", ["PLAIN", "SCRAM-SHA-256"])
def test_auth_without_initial_response_gets_empty_challenge(server, mech):
    server.adduser("alice", "pw-alice")
    r = tls_raw(server)
    send_auth(r, mech)
    ch = sasl_answer(r)
    assert ch.tag == q(NS_SASL, "challenge") and not (ch.text or "").strip(), ET.tostring(ch)
    if mech == "PLAIN":
        r.send("<response xmlns='%s'>%s</response>" % (NS_SASL, b64("\0alice\0pw-alice")))
        assert sasl_answer(r).tag == q(NS_SASL, "success")
    else:
        r.send("<abort xmlns='%s'/>" % NS_SASL)
        assert_failure(sasl_answer(r), "aborted")
    r.close()


# --- resource binding ---------------------------------------------------------------------

def test_bind_features_offer_bind_and_optional_session(server):
    server.adduser("alice", "pw-alice")
    r = authed_raw(server, "alice", "pw-alice")
    assert r.feats.find(q(NS_BIND, "bind")) is not None, ET.tostring(r.feats)
    sess = r.feats.find(q(NS_SESSION, "session"))
    assert sess is not None and children(sess) == [q(NS_SESSION, "optional")]
    assert mechanisms(r.feats) is None, "no SASL after SASL"
    r.close()


@pytest.mark.parametrize("resource,want", [
    ("my-phone", r"alice@localhost/my-phone"),
    (None, r"alice@localhost/" + UUID_RX),
])
def test_bind_resource(server, resource, want):
    server.adduser("alice", "pw-alice")
    r = authed_raw(server, "alice", "pw-alice")
    res = "" if resource is None else "<resource>%s</resource>" % resource
    reply = iq(r, "<iq type='set' id='b1'><bind xmlns='%s'>%s</bind></iq>" % (NS_BIND, res), "b1")
    assert reply.get("type") == "result", ET.tostring(reply)
    jid = reply.find("%s/%s" % (q(NS_BIND, "bind"), q(NS_BIND, "jid"))).text
    assert re.fullmatch(want, jid), "bound %r, want %r" % (jid, want)
    reply = iq(r, "<iq type='set' id='s1'><session xmlns='%s'/></iq>" % NS_SESSION, "s1")
    assert reply.get("type") == "result", "legacy <session/> iq: %s" % ET.tostring(reply)
    r.close()


def test_slixmpp_keeps_chosen_resource(server):
    server.adduser("alice", "pw-alice")

    async def go():
        a = await online(server, "alice", "pw-alice", resource="laptop")
        assert a.boundjid.resource == "laptop"
        await offline(a)

    run(go())


# --- in-band registration (XEP-0077) ------------------------------------------------------

def test_registration_off_by_default(server):
    r = tls_raw(server)
    assert r.feats.find(q(NS_REGISTER_FEATURE, "register")) is None, ET.tostring(r.feats)
    for i, xml in enumerate([register_iq("g", type_="get"), register_iq("s", "eve", "pw-eve")]):
        reply = iq(r, xml, "gs"[i])
        assert reply.get("type") == "error" and stanza_error(reply) == "service-unavailable", \
            ET.tostring(reply)
    r.close()
    assert "eve@localhost" not in server.ctl("users").stdout


def test_registration_creates_account(server_factory):
    srv = server_factory(allow_registration=True)
    srv.adduser("alice", "pw-alice")
    r = tls_raw(srv)
    reg = r.feats.find(q(NS_REGISTER_FEATURE, "register"))
    assert reg is not None, "registration feature missing: %s" % ET.tostring(r.feats)
    form = iq(r, register_iq("g", type_="get"), "g")
    query = form.find(q(NS_REGISTER, "query"))
    assert form.get("type") == "result" and query is not None, ET.tostring(form)
    assert {"username", "password"} <= {c.tag.split("}")[1] for c in query}
    reply = iq(r, register_iq("r1", "newbie", "pw-newbie-123"), "r1")
    assert reply.get("type") == "result", ET.tostring(reply)
    for i, user in enumerate(["newbie", "alice"]):
        reply = iq(r, register_iq("d%d" % i, user, "pw-dup-secret"), "d%d" % i)
        assert stanza_error(reply) == "conflict", ET.tostring(reply)
        assert b"pw-dup-secret" not in ET.tostring(reply), "password echoed in the error"
    for i, (user, pw) in enumerate([(None, "x"), ("x", None), ("", "x"), ("a@b@c", "x")]):
        reply = iq(r, register_iq("n%d" % i, user, pw), "n%d" % i)
        assert stanza_error(reply) == "not-acceptable", ET.tostring(reply)
    r.close()
    assert "newbie@localhost" in srv.ctl("users").stdout.split()

    async def go():
        c = await online(srv, "newbie", "pw-newbie-123", sasl_mech="SCRAM-SHA-256")
        await offline(c)

    run(go())


def test_registration_attempts_are_throttled_per_address(server_factory):
    """Every attempt counts, failed or not, so nobody makes the server derive keys at will."""
    srv = server_factory(allow_registration=True, auth_failures_per_minute=2)
    r = tls_raw(srv)
    first = iq(r, register_iq("a", "first", "pw-first"), "a")
    taken = iq(r, register_iq("b", "first", "pw-again"), "b")
    third = iq(r, register_iq("c", "third", "pw-third"), "c")
    r.close()
    assert first.get("type") == "result", ET.tostring(first)
    assert stanza_error(taken) == "conflict", ET.tostring(taken)
    assert stanza_error(third) == "resource-constraint", ET.tostring(third)
    assert "third@localhost" not in srv.ctl("users").stdout.split()


def test_registration_needs_tls(server_factory):
    """A registration iq before STARTTLS is refused: the password would cross in clear."""
    srv = server_factory(allow_registration=True)
    r = Raw(srv.port)
    feats = features(r)
    assert feats.find(q(NS_REGISTER_FEATURE, "register")) is None, ET.tostring(feats)
    r.send(register_iq("r1", "eve", "pw-eve"))
    data = r.read_all(5)
    assert b"<not-authorized" in data and data.endswith(b"</stream:stream>"), data
    r.close()
    assert "eve@localhost" not in srv.ctl("users").stdout


def test_password_change(server):
    server.adduser("alice", "old-pw-alice")
    server.adduser("bob", "pw-bob")
    r = authed_raw(server, "alice", "old-pw-alice")
    iq(r, "<iq type='set' id='b1'><bind xmlns='%s'/></iq>" % NS_BIND, "b1")
    info = iq(r, register_iq("g", type_="get"), "g")
    assert info.find("%s/%s" % (q(NS_REGISTER, "query"), q(NS_REGISTER, "registered"))) \
        is not None, ET.tostring(info)
    reply = iq(r, register_iq("other", "bob", "hijack-pw"), "other")
    # XEP-0077 §3.3: a username that is not the account's own is a bad request.
    assert reply.get("type") == "error" and stanza_error(reply) == "bad-request", \
        "changed another account's password? %s" % ET.tostring(reply)
    assert reply.find(q("jabber:client", "error")).get("type") == "modify", ET.tostring(reply)
    assert b"hijack-pw" not in ET.tostring(reply), "password echoed in the error"
    reply = iq(r, register_iq("c1", "alice", "new-pw-alice"), "c1")
    assert reply.get("type") == "result", ET.tostring(reply)
    r.close()

    t = tls_raw(server)
    assert_failure(plain(t, "alice", "old-pw-alice"), "not-authorized")
    assert_failure(plain(t, "bob", "hijack-pw"), "not-authorized")
    t.close()

    async def go():
        a = await online(server, "alice", "new-pw-alice", sasl_mech="SCRAM-SHA-256")
        b = await online(server, "bob", "pw-bob", sasl_mech="SCRAM-SHA-1")
        await offline(a, b)

    run(go())


# --- storage and lifecycle ----------------------------------------------------------------

def scan_for(path, secrets):
    """Every (file, secret) pair where a file under path contains the secret's bytes."""
    hits = []
    for d, _, files in os.walk(path):
        for f in files:
            if not os.path.isfile(os.path.join(d, f)):
                continue  # control.sock: a socket holds nothing
            with open(os.path.join(d, f), "rb") as fh:
                data = fh.read()
            hits += [(f, s) for s in secrets if s.encode() in data]
    return hits


def test_accounts_persist_and_passwords_are_not_stored(server_factory):
    srv = server_factory(allow_registration=True)
    pws = {"alice": "Alice-Secret-5f3a", "bob": "Bob-Secret-9c1e", "carol": "Carol-Secret-77d0"}
    srv.adduser("alice", pws["alice"])
    r = tls_raw(srv)
    assert iq(r, register_iq("r", "bob", pws["bob"]), "r").get("type") == "result"
    r.close()
    srv.adduser("carol", "Carol-Initial-0b2f")
    assert srv.ctl("passwd", "carol@localhost", pws["carol"]).returncode == 0

    async def login_all():
        cs = [await online(srv, u, p, resource=u, sasl_mech=m, presence=False) for (u, p), m
              in zip(pws.items(), ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"])]
        await offline(*cs)

    run(login_all())
    assert os.stat(srv.data).st_mode & 0o077 == 0, "data dir readable by others"
    secrets = list(pws.values()) + ["Carol-Initial-0b2f"]
    assert scan_for(srv.data, secrets) == [], "password bytes stored in the data dir"
    srv.restart()
    run(login_all())
    assert sorted(srv.ctl("users").stdout.split()) == \
        ["alice@localhost", "bob@localhost", "carol@localhost"]
    assert scan_for(srv.data, secrets) == [], "password bytes stored in the data dir"
    assert srv.stop() == 0
    assert scan_for(srv.data, secrets) == [], "password bytes stored in the data dir"


def test_sigterm_closes_streams_and_exits_zero(server):
    server.adduser("alice", "pw-alice")
    r = authed_raw(server, "alice", "pw-alice")
    iq(r, "<iq type='set' id='b1'><bind xmlns='%s'/></iq>" % NS_BIND, "b1")
    idle = Raw(server.port)  # connected, never authenticates, never reads
    server.proc.send_signal(signal.SIGTERM)
    err = next_el(r, "stream:error", timeout=5)
    assert children(err) == [q(NS_STREAMS_ERR, "system-shutdown")], ET.tostring(err)
    assert r.read_all(5).endswith(b"</stream:stream>"), "no stream close: %r" % r.buf
    r.close()
    assert server.proc.wait(5) == 0, "parleyd did not exit 0 after SIGTERM"
    idle.close()
