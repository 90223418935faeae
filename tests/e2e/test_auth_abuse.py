# SPDX-License-Identifier: MIT
"""Login throttling under abuse: parallel SCRAM exchanges, lockout of an account's owner from
elsewhere, a client trying every mechanism on one connection, retries on a connection whose
buckets are empty, and retries while throttled.
Loopback has many IPv4 sources (127.0.0.0/8), so each test picks its sources explicitly."""
import base64
import os
import time

from test_auth import (NS_SASL, NS_STREAMS_ERR, assert_failure, b64, children, features,
                       login_fails, next_el, offline, plain, q, sasl_answer, scram, send_auth,
                       tls_raw)
from xmpp_helpers import Raw, online, run

ATTACKER, OWNER, OTHER = "127.0.0.1", "127.0.0.2", "127.0.0.3"


def stream_from(srv, source):
    """A raw plaintext stream (the servers here allow SCRAM on loopback) from source."""
    r = Raw(srv.port, source=source)
    features(r)
    return r


def client_first(raw, user, mech="SCRAM-SHA-256"):
    """Sends SCRAM client-first; returns the server's answer (challenge or failure)."""
    send_auth(raw, mech, b64("n,,n=%s,r=%s" % (user, b64(os.urandom(18)))))
    return sasl_answer(raw)


def wrong_proof(raw, challenge):
    """Answers a SCRAM challenge with a proof of the right length that is wrong."""
    attrs = dict(kv.split("=", 1) for kv in base64.b64decode(challenge.text).decode().split(","))
    final = "c=biws,r=%s,p=%s" % (attrs["r"], b64(bytes(32)))
    raw.send("<response xmlns='%s'>%s</response>" % (NS_SASL, b64(final)))
    return sasl_answer(raw)


def condition(el):
    return el.tag.split("}")[1] + ":" + ",".join(c.split("}")[1] for c in children(el))


def login_once(srv, source, user, password):
    r = stream_from(srv, source)
    try:
        return condition(scram(r, user, password))
    finally:
        r.close()


def test_parallel_scram_exchanges_each_pay(server_factory):
    """Every exchange sends client-first before any proof: each is charged at client-first,
    so only auth_failures_per_minute of them reach a proof check; the bucket stops at zero,
    so the attacking source recovers at the refill rate; other sources are unaffected."""
    per_minute, parallel = 20, 60
    srv = server_factory(allow_plaintext_loopback=True, auth_failures_per_minute=per_minute)
    srv.adduser("alice", "pw-alice")
    raws = [stream_from(srv, ATTACKER) for _ in range(parallel)]
    firsts = [client_first(r, "alice") for r in raws]
    outcomes = []
    for r, first in zip(raws, firsts):
        if first.tag == q(NS_SASL, "challenge"):
            outcomes.append(condition(wrong_proof(r, first)))
        else:
            outcomes.append(condition(first))
        r.close()
    checked = outcomes.count("failure:not-authorized")
    throttled = outcomes.count("failure:temporary-auth-failure")
    assert checked <= per_minute and checked + throttled == parallel, outcomes
    assert login_once(srv, OWNER, "alice", "pw-alice") == "success:"
    # One token comes back every 60/per_minute = 3 s; a bucket driven below zero would
    # need minutes.
    deadline = time.time() + 15
    got = login_once(srv, ATTACKER, "alice", "pw-alice")
    while got != "success:" and time.time() < deadline:
        assert got == "failure:temporary-auth-failure", got
        time.sleep(0.5)
        got = login_once(srv, ATTACKER, "alice", "pw-alice")
    assert got == "success:", "the attacking source did not recover at the refill rate"


def test_failures_elsewhere_never_lock_the_owner_out(server_factory):
    per_minute = 3
    srv = server_factory(allow_plaintext_loopback=True, auth_failures_per_minute=per_minute)
    srv.adduser("alice", "pw-alice")
    for source in (ATTACKER, OTHER):
        got = [login_once(srv, source, "alice", "guess") for _ in range(per_minute + 2)]
        assert got == ["failure:not-authorized"] * per_minute + \
            ["failure:temporary-auth-failure"] * 2, (source, got)
    assert login_once(srv, OWNER, "alice", "pw-alice") == "success:"


def test_one_connection_trying_every_mechanism_counts_once(server_factory):
    """A client with a wrong password tries SCRAM-SHA-256, SCRAM-SHA-1 and PLAIN on one
    connection; with 2 attempts a minute, its next connection still gets in."""
    srv = server_factory(auth_failures_per_minute=2, max_auth_failures=3)
    srv.adduser("alice", "pw-alice")
    r = tls_raw(srv)
    assert_failure(scram(r, "alice", "typo", "SCRAM-SHA-256"), "not-authorized")
    assert_failure(scram(r, "alice", "typo", "SCRAM-SHA-1"), "not-authorized")
    assert_failure(plain(r, "alice", "typo"), "not-authorized")
    err = next_el(r, "stream:error")
    assert q(NS_STREAMS_ERR, "policy-violation") in children(err)
    r.close()
    r = tls_raw(srv)
    assert condition(plain(r, "alice", "pw-alice")) == "success:"
    r.close()


def test_a_retry_needs_a_token_left_for_the_account(server_factory):
    """A connection pays once per account, but its retries are not free checks: with the
    source-and-account allowance spent, the next guess on the same connection is refused
    before any password work, and the refusal counts toward max_auth_failures."""
    srv = server_factory(allow_plaintext_loopback=True, auth_failures_per_minute=1,
                         max_auth_failures=3)
    srv.adduser("alice", "pw-alice")
    r = stream_from(srv, ATTACKER)
    assert condition(scram(r, "alice", "guess-1")) == "failure:not-authorized"
    assert condition(scram(r, "alice", "guess-2")) == "failure:temporary-auth-failure"
    assert condition(scram(r, "alice", "pw-alice")) == "failure:temporary-auth-failure"
    err = next_el(r, "stream:error")
    assert q(NS_STREAMS_ERR, "policy-violation") in children(err), children(err)
    r.close()
    assert login_once(srv, OWNER, "alice", "pw-alice") == "success:"


def test_a_retry_needs_a_token_left_for_the_source(server_factory):
    """Other connections from the same source spend its allowance: a connection already
    charged for its account is then refused at its next <auth> too."""
    srv = server_factory(allow_plaintext_loopback=True, auth_failures_per_minute=10,
                         auth_source_failures_per_minute=2, max_auth_failures=3)
    srv.adduser("alice", "pw-alice")
    r = stream_from(srv, ATTACKER)
    assert condition(scram(r, "alice", "guess-1")) == "failure:not-authorized"
    assert login_once(srv, ATTACKER, "bob", "guess") == "failure:not-authorized"
    assert condition(scram(r, "alice", "guess-2")) == "failure:temporary-auth-failure"
    r.close()
    assert login_once(srv, OWNER, "alice", "pw-alice") == "success:"


def test_slixmpp_typo_does_not_lock_the_account(server_factory):
    """slixmpp retries every offered mechanism with the same wrong password."""
    srv = server_factory(auth_failures_per_minute=2)
    srv.adduser("alice", "pw-alice")

    async def go():
        conds = await login_fails(srv, "alice", "typo")
        assert conds and set(conds) == {"not-authorized"}, conds
        c = await online(srv, "alice", "pw-alice", presence=False)
        await offline(c)
        return conds

    conds = run(go())
    assert len(conds) >= 2, "slixmpp tried only %s" % conds


def test_retrying_while_throttled_closes_the_stream_and_logs_boundedly(server_factory):
    started = time.time()
    srv = server_factory(allow_plaintext_loopback=True, auth_failures_per_minute=2,
                         max_auth_failures=3)
    srv.adduser("alice", "pw-alice")
    for _ in range(2):
        assert login_once(srv, ATTACKER, "alice", "guess") == "failure:not-authorized"
    r = stream_from(srv, ATTACKER)
    for _ in range(3):
        assert condition(client_first(r, "alice")) == "failure:temporary-auth-failure"
    err = next_el(r, "stream:error")
    assert q(NS_STREAMS_ERR, "policy-violation") in children(err), children(err)
    assert r.read_all(5).endswith(b"</stream:stream>"), r.buf
    r.close()
    for _ in range(20):
        got = login_once(srv, ATTACKER, "alice", "pw-alice")
        assert got == "failure:temporary-auth-failure", got
    lines = [ln for ln in srv.log().splitlines() if "throttled" in ln]
    # Per source and minute: one line, and one summing up what it held back; the line names
    # the source, whatever account each attempt named.
    minutes = int((time.time() - started) // 60) + 1
    assert 1 <= len(lines) <= 2 * minutes, "%d throttle warnings:\n%s" % (
        len(lines), "\n".join(lines[:5]))
    assert "from %s throttled" % ATTACKER in lines[0], lines[0]
    assert login_once(srv, OWNER, "alice", "pw-alice") == "success:"
