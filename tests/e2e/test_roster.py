# SPDX-License-Identifier: MIT
"""RFC 6121 §2 rosters: get/set/remove, pushes to interested resources, XEP-0237 versions."""
import asyncio
import os
import sqlite3

import pytest

from roster_helpers import C, R, bare, dump, error_condition, item_state, peers, subscribe_both  # noqa: F401
from xmpp_helpers import TIMEOUT, offline, online, run


def test_set_get_and_push_to_interested_resources(peers):
    desk = peers("alice", "desk")
    phone = peers("alice", "phone")
    quiet = peers("alice", "quiet", roster=False)  # never asked: gets no pushes
    st = desk.set_item(bare("bob"), name="Bob", groups=("Friends", "Work"))
    assert st.get("type") == "result", dump(st)
    for p in (desk, phone):
        q, item = p.wait_push(bare("bob"))
        assert q.get("ver"), dump(q)
        assert item.get("name") == "Bob" and item.get("subscription") == "none"
        assert sorted(g.text for g in item.findall(R + "group")) == ["Friends", "Work"]
    quiet.quiet("a resource that never asked for the roster gets no push")
    ver, items = phone.roster()
    assert list(items) == [bare("bob")] and items[bare("bob")].get("name") == "Bob"
    # An update replaces name and groups.
    desk.set_item(bare("bob"), name="Robert", groups=("Work",))
    _, item = phone.wait_push(bare("bob"))
    assert item.get("name") == "Robert" and [g.text for g in item.findall(R + "group")] == ["Work"]


def test_versioning(peers):
    a = peers("alice", "desk")
    ver0, items = a.roster(ver="")
    assert items == {} and ver0 is not None
    assert a.roster(ver=ver0) is None, "an unchanged version gets an empty result"
    a.set_item(bare("bob"))
    q, _ = a.wait_push(bare("bob"))
    ver1 = q.get("ver")
    assert ver1 != ver0
    assert a.roster(ver=ver1) is None
    got = a.roster(ver=ver0)
    assert got is not None and got[0] == ver1 and list(got[1]) == [bare("bob")]


BAD_SETS = [
    ("two items", "<item jid='bob@localhost'/><item jid='carol@localhost'/>", "bad-request"),
    ("invalid jid", "<item jid='a@b@c'/>", "jid-malformed"),
    ("empty group", "<item jid='bob@localhost'><group></group></item>", "not-acceptable"),
    ("duplicate group", "<item jid='bob@localhost'><group>a</group><group>a</group></item>",
     "bad-request"),
    ("no jid", "<item name='x'/>", "bad-request"),
    ("own jid", "<item jid='alice@localhost'/>", "not-allowed"),
    ("remove unknown", "<item jid='carol@localhost' subscription='remove'/>", "item-not-found"),
    ("name too long", "<item jid='bob@localhost' name='%s'/>" % ("n" * 2000), "not-acceptable"),
]


@pytest.mark.parametrize("what,payload,cond", BAD_SETS, ids=[b[0] for b in BAD_SETS])
def test_bad_roster_sets_change_nothing(peers, what, payload, cond):
    a = peers("alice", "desk")
    ver, _ = a.roster(ver="")
    st = a.request("<iq type='set' id='{id}'><query xmlns='jabber:iq:roster'>%s</query></iq>"
                   % payload)
    assert error_condition(st) == cond, "%s: %s" % (what, dump(st))
    a.quiet("no push after a refused set")
    assert a.roster(ver=ver) is None, "the roster changed"


def test_subscription_states_in_a_set_are_ignored(peers):
    """RFC 6121 §2.1.2.5: only 'remove' means something in a set; a client cannot grant itself
    a subscription by writing one (slixmpp sends subscription='none' with every update)."""
    a = peers("alice", "desk")
    # "MUST ignore all values ... other than 'remove'": unknown values too, not bad-request.
    for value in ("both", "none", "from", "to", "bogus", ""):
        st = a.set_item(bare("bob"), extra=" subscription='%s' ask='subscribe'" % value)
        assert st.get("type") == "result", dump(st)
        _, item = a.wait_push(bare("bob"))
        assert item_state(item) == ("none", None), dump(item)


@pytest.mark.parametrize("itype", ["get", "set"])
def test_other_users_roster_is_forbidden(peers, itype):
    a = peers("alice", "desk")
    peers("bob", "desk")
    payload = "" if itype == "get" else "<item jid='carol@localhost'/>"
    st = a.request("<iq type='%s' to='bob@localhost' id='{id}'><query xmlns='jabber:iq:roster'>"
                   "%s</query></iq>" % (itype, payload))
    assert error_condition(st) == "forbidden", dump(st)


def test_remove_cancels_both_directions(peers):
    a = peers("alice", "desk", presence=0)
    b = peers("bob", "desk", presence=0)
    subscribe_both(a, b)
    st = a.set_item(bare("bob"), extra=" subscription='remove'")
    assert st.get("type") == "result", dump(st)
    _, item = a.wait_push(bare("bob"))
    assert item.get("subscription") == "remove"
    # Bob learns both directions are gone, sees Alice go offline, and his roster follows.
    b.wait_for(lambda s: s.get("type") == "unsubscribe" and s.get("from") == bare("alice"),
               "unsubscribe")
    b.wait_for(lambda s: s.get("type") == "unsubscribed" and s.get("from") == bare("alice"),
               "unsubscribed")
    b.wait_presence(a.jid, "unavailable")
    _, items = b.roster()
    assert item_state(items[bare("alice")]) == ("none", None), dump(items[bare("alice")])
    assert bare("bob") not in a.roster()[1]


async def _slix_versioning(server):
    a = await online(server, "alice", "pw-alice", resource="slix", presence=False)
    assert "rosterver" in a.features, "RFC 6121 §2.6.1: the stream feature is advertised"
    await a.get_roster()
    await a.update_roster(bare("bob"), name="Bob", groups=["Friends"])
    deadline = asyncio.get_event_loop().time() + TIMEOUT
    while bare("bob") not in a.client_roster and asyncio.get_event_loop().time() < deadline:
        await asyncio.sleep(0.05)  # the push may follow the result
    assert bare("bob") in a.client_roster, "no push for the new item"
    ver = a.client_roster.version
    assert ver, "pushes carry the version"
    await offline(a)
    # A second login (a new connection and session) with the version it cached gets an empty
    # result (RFC 6121 §2.6.3): its roster is current.
    b = await online(server, "alice", "pw-alice", resource="slix2", presence=False)
    assert "rosterver" in b.features
    iq = b.Iq(stype="get")
    iq["roster"]["ver"] = ver  # as a client that kept the roster sends it
    res = await iq.send(timeout=TIMEOUT)  # (get_roster would add a query to the answer)
    assert res["type"] == "result" and len(res.xml) == 0, \
        "the known version gets an empty result: %s" % res
    # One that knows an older version (here none) gets the whole roster and the same version.
    b.client_roster.version = ""
    res = await b.get_roster(timeout=TIMEOUT)
    assert res["roster"]["ver"] == ver, str(res)
    assert b.client_roster[bare("bob")]["name"] == "Bob", str(res)
    assert b.client_roster[bare("bob")]["groups"] == ["Friends"], str(res)
    await offline(b)


def test_slixmpp_roster_versioning(peers, server):
    run(_slix_versioning(server))


def test_roster_persists_across_restart(peers, server):
    a = peers("alice", "desk")
    a.set_item(bare("bob"), name="Bob", groups=("Friends", "Work"))
    a.wait_push(bare("bob"))
    a.set_item(bare("carol"), name="Carol")
    a.wait_push(bare("carol"))
    a.set_item(bare("carol"), extra=" subscription='remove'")
    q, _ = a.wait_push(bare("carol"))
    ver = q.get("ver")
    a.close()
    server.restart()
    a = peers("alice", "desk", roster=False)
    assert a.roster(ver=ver) is None, "same version after a restart"
    _, items = a.roster()
    assert list(items) == [bare("bob")]
    bob = items[bare("bob")]
    assert bob.get("name") == "Bob"
    assert sorted(g.text for g in bob.findall(R + "group")) == ["Friends", "Work"]


# --- Durability: the result and the pushes go out only after the commit (design.md) --------

def test_answered_set_survives_a_crash(peers, server):
    a = peers("alice", "desk")
    st = a.set_item(bare("bob"), name="Bob")
    assert st.get("type") == "result", dump(st)
    server.stop(sig=9)  # killed right after the result: no later loop turn flushes anything
    server.start()
    a = peers("alice", "desk", roster=False)
    _, items = a.roster()
    assert bare("bob") in items and items[bare("bob")].get("name") == "Bob"


class WriteLock:
    """Holds the database's write lock, so that the server's writes fail (after its busy
    timeout) as a failing disk would make them."""

    def __init__(self, server):
        self.db = sqlite3.connect(os.path.join(server.data, "parley.db"), timeout=0,
                                  isolation_level=None)

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *exc):
        self.db.execute("ROLLBACK")
        self.db.close()


def test_failed_store_leaves_roster_as_it_was(peers, server):
    a = peers("alice", "desk")
    a2 = peers("alice", "phone")
    a.set_item(bare("bob"), name="Bob")
    a.wait_push(bare("bob"))
    a2.wait_push(bare("bob"))
    ver, before = a.roster()
    with WriteLock(server):
        st = a.set_item(bare("carol"), name="Carol")
        assert error_condition(st) == "internal-server-error", dump(st)
        st = a.set_item(bare("bob"), extra=" subscription='remove'")
        assert error_condition(st) == "internal-server-error", dump(st)
        st = a.set_item(bare("bob"), name="Robert")
        assert error_condition(st) == "internal-server-error", dump(st)
    a.quiet("no push for a change that was not stored")
    a2.quiet("no push for a change that was not stored")
    assert a.roster(ver=ver) is None, "the roster in memory changed"
    assert a.set_item(bare("carol")).get("type") == "result"  # and storage works again
    a.wait_push(bare("carol"))
    server.restart()
    a = peers("alice", "desk", roster=False)
    _, items = a.roster()
    assert sorted(items) == [bare("bob"), bare("carol")]
    assert items[bare("bob")].get("name") == "Bob"
