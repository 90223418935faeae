# SPDX-License-Identifier: MIT
"""Group chat across sessions and tools: one user's resources under one nick, occupants that
go unavailable or whose stream-management window passes, invitations (mediated and XEP-0249),
voice requests in moderated rooms, parleyctl's room commands, and a slixmpp client."""
import asyncio
import time

from muc_helpers import (C, MUC_USER, MucPeer, codes, dump, error_condition, item,  # noqa: F401
                         muc, room_jid)
from xmpp_helpers import online, run

SM = "urn:xmpp:sm:3"


def test_one_user_two_sessions_one_nick(muc):
    a1, a2, b = muc("alice", "one"), muc("alice", "two"), muc("bob")
    a1.create("multi", "Al")
    b.join("multi", "Bo")
    _, others, _, _ = a2.join("multi", "Al")
    assert [o.get("from") for o in others] == [room_jid("multi") + "/Bo"]
    b.quiet("a second session of an occupant is no news to the room")
    b.say("multi", "to both")
    for p in (a1, a2, b):
        p.wait_groupchat("multi", "to both")
    a2.leave("multi", "Al")
    b.quiet("alice is still in the room through her other session")
    a1.leave("multi", "Al")
    b.wait_presence(room_jid("multi") + "/Al", "unavailable")


def test_unavailable_broadcast_leaves_rooms(muc):
    a, b = muc("alice"), muc("bob")
    a.create("u", "Al")
    b.available()
    b.join("u", "Bo")
    a.drain()
    b.send("<presence type='unavailable'/>")
    p = a.wait_presence(room_jid("u") + "/Bo", "unavailable")
    assert item(p).get("role") == "none"


def test_occupant_leaves_when_resumption_window_passes(server_factory):
    srv = server_factory(sm_resume_timeout=2)
    for u in ("alice", "bob"):
        srv.adduser(u, "pw-" + u)
    a, b = MucPeer(srv, "alice", "r"), MucPeer(srv, "bob", "r")
    try:
        a.create("sm", "Al")
        b.send("<enable xmlns='%s' resume='true'/>" % SM)
        b.wait_for(lambda s: s.tag == "{%s}enabled" % SM, "enabled")
        b.join("sm", "Bo")
        a.drain()
        b.raw.close()
        time.sleep(0.8)
        a.quiet("a detached session may still resume: bob stays")
        p = a.wait_presence(room_jid("sm") + "/Bo", "unavailable", timeout=10)
        assert item(p).get("role") == "none"
    finally:
        a.close()


def test_mediated_invitation_and_decline(muc):
    a, c = muc("alice"), muc("carol")
    a.available()
    c.available()
    a.create("inv", "Al", {"muc#roomconfig_membersonly": "1"})
    a.send("<message to='%s'><x xmlns='http://jabber.org/protocol/muc#user'><invite "
           "to='carol@localhost'><reason>join us</reason></invite></x></message>"
           % room_jid("inv"))
    st = c.wait_for(lambda s: s.find(MUC_USER + "x") is not None, "invitation")
    inv = st.find(MUC_USER + "x/" + MUC_USER + "invite")
    assert st.get("from") == room_jid("inv") and inv.get("from") == "alice@localhost", dump(st)
    assert inv.findtext(MUC_USER + "reason") == "join us"
    c.join("inv", "Ca")  # the owner's invitation made carol a member
    c.send("<message to='%s'><x xmlns='http://jabber.org/protocol/muc#user'><decline "
           "to='alice@localhost'><reason>busy</reason></decline></x></message>" % room_jid("inv"))
    st = a.wait_for(lambda s: s.find(MUC_USER + "x/" + MUC_USER + "decline") is not None,
                    "decline")
    assert st.find(MUC_USER + "x/" + MUC_USER + "decline").get("from") == "carol@localhost"


def test_direct_invitation_reaches_the_invitee(muc):
    a, b = muc("alice"), muc("bob")
    b.available()
    a.create("direct", "Al")
    a.send("<message to='bob@localhost' id='d1'><x xmlns='jabber:x:conference' jid='%s' "
           "reason='come'/></message>" % room_jid("direct"))
    st = b.wait_for(lambda s: s.get("id") == "d1", "direct invitation")
    assert st.find("{jabber:x:conference}x").get("jid") == room_jid("direct")


def test_voice_request_in_moderated_room(muc):
    a, b = muc("alice"), muc("bob")
    a.create("quiet", "Al", {"muc#roomconfig_moderatedroom": "1"})
    me, _, _, _ = b.join("quiet", "Bo")
    assert item(me).get("role") == "visitor"
    b.send("<message to='%s' type='groupchat' id='v0'><body>may I?</body></message>"
           % room_jid("quiet"))
    assert error_condition(b.wait_for(lambda s: s.get("id") == "v0", "v0")) == "forbidden"
    b.send("<message to='%s'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'>"
           "<value>http://jabber.org/protocol/muc#request</value></field><field "
           "var='muc#role'><value>participant</value></field></x></message>" % room_jid("quiet"))
    st = a.wait_for(lambda s: s.find("{jabber:x:data}x") is not None, "voice request")
    assert st.get("from") == room_jid("quiet")
    r = a.admin("quiet", "<item nick='Bo' role='participant'/>")
    assert r.get("type") == "result", dump(r)
    p = b.wait_for(lambda s: s.tag == C + "presence" and 110 in codes(s), "voice granted")
    assert item(p).get("role") == "participant"
    b.say("quiet", "thanks")
    a.wait_groupchat("quiet", "thanks")


def test_parleyctl_rooms(server, muc):
    out = server.ctl("mkroom", room_jid("hall"), "alice@localhost", "The Hall").stdout
    assert "created" in out
    assert server.ctl("mkroom", room_jid("hall"), "alice@localhost", check=False).returncode == 1
    bad = server.ctl("mkroom", "hall@localhost", "alice@localhost", check=False)
    assert bad.returncode == 1 and "muc_domain" in bad.stderr
    listed = server.ctl("rooms").stdout
    assert room_jid("hall") in listed and "The Hall" in listed
    a, b = muc("alice"), muc("bob")
    me, _, _, _ = a.join("hall", "Al")
    assert 201 not in codes(me) and item(me).get("affiliation") == "owner", dump(me)
    b.join("hall", "Bo")
    out = server.ctl("rmroom", room_jid("hall"), "closing").stdout
    assert "2 occupants told" in out, out
    gone = b.wait_for(lambda s: s.get("type") == "unavailable", "destroyed")
    d = gone.find(MUC_USER + "x/" + MUC_USER + "destroy")
    assert d is not None and d.findtext(MUC_USER + "reason") == "closing", dump(gone)
    assert room_jid("hall") not in server.ctl("rooms").stdout
    server.ctl("mkroom", room_jid("later"), "alice@localhost")
    server.stop()
    assert "no server running" in server.ctl("rmroom", room_jid("later")).stdout
    assert server.ctl("rmroom", room_jid("later"), check=False).returncode == 1


def test_slixmpp_client_joins_and_talks(server):
    for u in ("alice", "bob"):
        server.adduser(u, "pw-" + u)

    async def go():
        a = await online(server, "alice", "pw-alice")
        b = await online(server, "bob", "pw-bob")
        for c in (a, b):
            c.register_plugin("xep_0045")
        room = room_jid("slix")
        await a.plugin["xep_0045"].join_muc_wait(room, "Alice", maxstanzas=0, timeout=10)
        form = await a.plugin["xep_0045"].get_room_config(room)
        form["type"] = "submit"
        await a.plugin["xep_0045"].set_room_config(room, form)
        await b.plugin["xep_0045"].join_muc_wait(room, "Bob", maxstanzas=0, timeout=10)
        got = asyncio.get_event_loop().create_future()
        a.add_event_handler("groupchat_message",
                            lambda m: got.done() or m["body"] != "hi from bob" or
                            got.set_result(m))
        b.send_message(mto=room, mbody="hi from bob", mtype="groupchat")
        m = await asyncio.wait_for(got, 10)
        assert m["from"].resource == "Bob"
        roster = a.plugin["xep_0045"].get_roster(room)
        assert set(roster) == {"Alice", "Bob"}, roster
        for c in (a, b):
            c.disconnect()

    run(go())


def test_coalesced_fanout_keeps_order_and_arrives(server_factory):
    """With coalescing forced on (as under load), room traffic waits for the window and goes
    out in order, and a 1:1 message sent after it takes it along."""
    srv = server_factory(output_coalesce_cpu_pct=0, output_coalesce_ms=100)
    for u in ("alice", "bob"):
        srv.adduser(u, "pw-" + u)
    a, b = MucPeer(srv, "alice", "r"), MucPeer(srv, "bob", "r")
    try:
        time.sleep(0.25)  # the load watch's first ticks
        a.create("co", "Al")
        b.join("co", "Bo")
        t0 = time.monotonic()
        texts = ["m%d" % i for i in range(20)]
        for t in texts:
            a.say("co", t)
        first = b.wait_groupchat("co", texts[0])
        assert time.monotonic() - t0 >= 0.09, "room traffic did not wait for the window"
        got = [first.findtext(C + "body")]
        while len(got) < len(texts):
            st = b.wait_for(lambda s: s.tag == C + "message" and
                            s.get("type") == "groupchat", "groupchat")
            got.append(st.findtext(C + "body"))
        assert got == texts
        b.available()
        for t in ("late1", "late2"):
            a.say("co", t)
        a.send("<message to='bob@localhost' type='chat' id='direct'><body>x</body></message>")
        order = []
        while "direct" not in order:
            st = b.wait_for(lambda s: s.tag == C + "message", "messages")
            order.append(st.get("id") if st.get("type") == "chat" else st.findtext(C + "body"))
        assert order == ["late1", "late2", "direct"], order
    finally:
        a.close()
        b.close()


def test_blocked_occupant_is_filtered_per_recipient(muc):
    """Each recipient's privacy is asked: bob blocks alice's occupant JID and no longer gets
    her group chat, carol still does, and bob still gets carol's."""
    a, b, c = muc("alice"), muc("bob"), muc("carol")
    a.create("blk", "Al")
    b.join("blk", "Bo")
    c.join("blk", "Ca")
    r = b.request("<iq type='set' id='{id}'><block xmlns='urn:xmpp:blocking'><item jid='%s/Al'/>"
                  "</block></iq>" % room_jid("blk"))
    assert r.get("type") == "result", dump(r)
    b.drain()
    a.say("blk", "from alice")
    c.wait_groupchat("blk", "from alice")
    c.say("blk", "from carol")
    b.wait_groupchat("blk", "from carol")
    assert all(s.findtext(C + "body") != "from alice" for s in b.drain())


def test_join_into_big_room_in_slices(server_factory):
    """With join_presences_per_turn at 2, a join into a room of five lists the others over
    several loop turns: every occupant once, then the joiner's own presence, the history and
    the subject, and no room message before them; live messages follow once it is in."""
    srv = server_factory(muc={"join_presences_per_turn": 2})
    users = ["u%d" % i for i in range(6)]
    for u in users:
        srv.adduser(u, "pw-" + u)
    peers = [MucPeer(srv, u, "r") for u in users]
    try:
        owner = peers[0]
        owner.create("big", "N0")
        for i, p in enumerate(peers[1:5], 1):
            _, others, _, _ = p.join("big", "N%d" % i)
            assert len(others) == i, [dump(o) for o in others]
        owner.say("big", "before")
        owner.wait_groupchat("big", "before")  # in the room's history before the join
        joiner = peers[5]
        me, others, subject, history = joiner.join("big", "N5", history={"maxstanzas": "5"})
        assert all(o.tag == C + "presence" for o in others), [dump(o) for o in others]
        assert sorted(o.get("from") for o in others) == \
            sorted(room_jid("big") + "/N%d" % i for i in range(5))
        assert 110 in codes(me), dump(me)
        assert [h.findtext(C + "body") for h in history] == ["before"]
        assert subject.find(C + "subject") is not None
        peers[3].say("big", "after")
        got = joiner.wait_groupchat("big", "after")
        assert got.find("{urn:xmpp:delay}delay") is None
        joiner.quiet("each room message reaches the joiner once")
    finally:
        for p in peers:
            p.close()
