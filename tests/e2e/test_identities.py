# SPDX-License-Identifier: MIT
"""Look-alike names (RFC 7622 / RFC 6122 stringprep): one account per prepared name, in
registration, parleyctl, login and addressing; parleyctl check reports stored names that
preparation would change."""
import asyncio
import os
import sqlite3
import unicodedata

from conftest import DOMAIN
from test_auth import iq, stanza_error
from xmpp_helpers import Raw, TIMEOUT, offline, online, plain_login, run

NS_REGISTER = "jabber:iq:register"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"

BOB_NFC = unicodedata.normalize("NFC", "b\u00f3b")
BOB_NFD = unicodedata.normalize("NFD", "b\u00f3b")
EXISTING = ["alice", "bob", BOB_NFC]

# Each look-alike and what registering it beside EXISTING must answer.
LOOKALIKES = [
    ("\uff41\uff4c\uff49\uff43\uff45", "conflict"),  # fullwidth "alice"
    ("\uff21\uff2c\uff29\uff23\uff25", "conflict"),  # fullwidth "ALICE"
    ("ALICE", "conflict"),
    ("Bob\u200b", "conflict"),                       # zero-width space
    ("bob\u00ad", "conflict"),                       # soft hyphen
    (BOB_NFD, "conflict"),                           # the same name in NFD
    ("B\u00d3B", "conflict"),
    ("bob\u00a0", "not-acceptable"),                 # no-break space
    ("bob\u3000", "not-acceptable"),                 # ideographic space
]


def accounts(server):
    return sorted(server.ctl("users").stdout.split())


def with_accounts(server):
    for user in EXISTING:
        server.adduser(user, "pw-" + user)
    want = sorted("%s@%s" % (u, DOMAIN) for u in EXISTING)
    assert accounts(server) == want
    return want


def register(raw, id_, user, password):
    return iq(raw, "<iq type='set' id='%s'><query xmlns='%s'><username>%s</username>"
              "<password>%s</password></query></iq>" % (id_, NS_REGISTER, user, password), id_)


def test_registration_refuses_lookalikes(server_factory):
    srv = server_factory(allow_registration=True, auth_failures_per_minute=1000)
    want = with_accounts(srv)
    r = Raw(srv.port)
    r.starttls()
    r.open_stream()
    got = {}
    for i, (user, _) in enumerate(LOOKALIKES):
        reply = register(r, "r%d" % i, user, "pw-lookalike-%d" % i)
        got[user] = stanza_error(reply) if reply.get("type") == "error" else reply.get("type")
    r.close()
    assert got == dict(LOOKALIKES)
    assert accounts(srv) == want, "a look-alike account was created"


def test_ctl_adduser_refuses_lookalikes(server):
    want = with_accounts(server)
    for user, answer in LOOKALIKES:
        r = server.ctl("adduser", "%s@%s" % (user, DOMAIN), "pw-lookalike", check=False)
        assert r.returncode == 1, (user, r.stdout, r.stderr)
        message = "already exists" if answer == "conflict" else "not a valid JID"
        assert message in r.stderr, (user, r.stderr)
    assert accounts(server) == want, "a look-alike account was created"


def test_login_as_case_or_width_variant_reaches_the_account(server):
    with_accounts(server)
    for user in ["ALICE", "\uff41\uff4c\uff49\uff43\uff45", "Alice\u200b"]:
        assert plain_login(server.port, user, "pw-alice") == "success", user
    assert plain_login(server.port, BOB_NFD, "pw-" + BOB_NFC) == "success"
    assert plain_login(server.port, "bob\u00a0", "pw-bob") == "not-authorized"


def test_password_is_saslprepped(server):
    """Keys are derived from the SASLprep'd password: an NFD or fullwidth spelling of it logs
    in with PLAIN, and slixmpp's SCRAM (which SASLprep's on its side) logs in too."""
    server.adduser("alice", "p\u00e4ss-\uff11\uff12\uff13")
    assert plain_login(server.port, "alice", "pa\u0308ss-123") == "success"
    assert plain_login(server.port, "alice", "p\u00e4ss-\uff11\uff12\uff13") == "success"
    assert plain_login(server.port, "alice", "P\u00e4ss-123") == "not-authorized"

    async def go():
        c = await online(server, "alice", "p\u00e4ss-\uff11\uff12\uff13", presence=False,
                         sasl_mech="SCRAM-SHA-256")
        await offline(c)

    run(go())
    r = server.ctl("adduser", "carol@%s" % DOMAIN, "bell\u0007", check=False)
    assert r.returncode == 1 and "SASLprep" in r.stderr, r.stderr


def test_message_to_fullwidth_name_is_delivered(server):
    with_accounts(server)

    async def go():
        alice = await online(server, "alice", "pw-alice")
        bob = Raw(server.port)
        await asyncio.get_event_loop().run_in_executor(None, bob.login_plain, "bob", "pw-bob")
        bob.send("<presence/><message to='\uff21\uff2c\uff29\uff23\uff25@%s' type='chat' "
                 "id='m1'><body>hello across widths</body></message>" % DOMAIN)
        msg = await alice.next_message(TIMEOUT)
        bob.close()
        await offline(alice)
        return msg

    msg = run(go())
    assert msg["body"] == "hello across widths"
    assert msg["from"].bare == "bob@%s" % DOMAIN


def table_rows(db):
    with sqlite3.connect(db) as con:
        return con.execute("SELECT * FROM accounts ORDER BY jid").fetchall()


def test_check_reports_unprepared_names_and_changes_nothing(server):
    server.adduser("alice", "pw-alice")
    server.adduser("carol", "pw-carol")
    r = server.ctl("check", check=False)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "0 of 2 accounts need attention" in r.stdout

    db = os.path.join(server.data, "parley.db")
    with sqlite3.connect(db) as con:
        for name in ["Alice", "\uff41\uff4c\uff49\uff43\uff45", "bob\u00a0", BOB_NFD, "Dave"]:
            con.execute("INSERT INTO accounts SELECT ?, salt, iterations, stored_key_sha1, "
                        "server_key_sha1, stored_key_sha256, server_key_sha256, created "
                        "FROM accounts WHERE jid = 'alice@localhost'", (name + "@" + DOMAIN,))
    before = table_rows(db)
    r = server.ctl("check", check=False)
    assert r.returncode == 1, (r.stdout, r.stderr)
    lines = r.stdout.splitlines()
    assert "refused   'bob\\u00A0@localhost': holds a prohibited character" in r.stdout, lines
    for stored in ["Alice@localhost", "\\uFF41\\uFF4C\\uFF49\\uFF43\\uFF45@localhost",
                   "alice@localhost"]:
        assert "collides  '%s' -> 'alice@localhost'" % stored in lines, lines
    assert "changes   'bo\\u0301b@localhost' -> 'b\\u00F3b@localhost'" in lines, lines
    assert "changes   'Dave@localhost' -> 'dave@localhost'" in lines, lines
    assert not any("carol" in line for line in lines), lines
    assert lines[-1] == "6 of 7 accounts need attention; nothing was changed", lines
    assert table_rows(db) == before, "parleyctl check changed the accounts table"
    assert server.alive()
