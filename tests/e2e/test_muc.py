# SPDX-License-Identifier: MIT
"""XEP-0045 group chat, the occupant's side: creating a room, joining (occupant list, 110,
subject last), group chat reflected with its id, private messages, nick changes and conflicts,
subjects, leaving, and a dropped connection leaving the room."""
from muc_helpers import (C, MUC_USER, SERVICE, codes, dump, error_condition, item, muc,  # noqa
                         room_jid)


def test_create_instant_room_and_join(muc):
    a = muc("alice")
    me, others, subject, _ = a.join("lobby", "Al")
    assert me.get("from") == room_jid("lobby") + "/Al"
    assert {110, 201} <= codes(me), dump(me)
    assert item(me).get("affiliation") == "owner" and item(me).get("role") == "moderator"
    assert others == []
    assert subject.findtext(C + "subject") in ("", None)
    r = a.configure("lobby", {})
    assert r.get("type") == "result", dump(r)
    b = muc("bob")
    me_b, others_b, subject_b, _ = b.join("lobby", "Bo")
    assert 201 not in codes(me_b) and 110 in codes(me_b)
    assert [o.get("from") for o in others_b] == [room_jid("lobby") + "/Al"]
    assert item(others_b[0]).get("affiliation") == "owner"
    assert item(me_b).get("role") == "participant"
    # the owner sees bob arrive, with his real JID (moderators see JIDs in semi-anonymous rooms)
    p = a.wait_presence(room_jid("lobby") + "/Bo")
    assert item(p).get("jid") == b.jid, dump(p)


def test_locked_room_refuses_others_until_configured(muc):
    a, b = muc("alice"), muc("bob")
    a.join("new", "Al")
    assert b.join_error("new", "Bo") == "item-not-found"
    assert a.configure("new", {}).get("type") == "result"
    b.join("new", "Bo")


def test_groupchat_reflected_with_same_id(muc):
    a, b = muc("alice"), muc("bob")
    a.create("talk", "Al")
    b.join("talk", "Bo")
    mid = b.say("talk", "hello all", extra="<origin-id xmlns='urn:xmpp:sid:0' id='o-1'/>")
    for peer in (a, b):
        st = peer.wait_groupchat("talk", "hello all")
        assert st.get("id") == mid and st.get("from") == room_jid("talk") + "/Bo", dump(st)
        assert st.get("to") == peer.jid
        sid = st.find("{urn:xmpp:sid:0}stanza-id")
        assert sid is not None and sid.get("by") == room_jid("talk"), dump(st)
        assert st.find("{urn:xmpp:sid:0}origin-id").get("id") == "o-1"


def test_non_occupant_groupchat_refused(muc):
    a, b = muc("alice"), muc("bob")
    a.create("closed", "Al")
    b.send("<message to='%s' type='groupchat' id='x1'><body>hi</body></message>"
           % room_jid("closed"))
    err = b.wait_for(lambda s: s.get("id") == "x1", "error")
    assert error_condition(err) == "not-acceptable", dump(err)
    a.quiet("an outsider's message reaches nobody")


def test_private_message_between_occupants(muc):
    a, b = muc("alice"), muc("bob")
    a.create("pm", "Al")
    b.join("pm", "Bo")
    a.send("<message to='%s/Bo' type='chat' id='p1'><body>psst</body></message>"
           % room_jid("pm"))
    st = b.wait_for(lambda s: s.get("id") == "p1", "private message")
    assert st.get("from") == room_jid("pm") + "/Al" and st.findtext(C + "body") == "psst"
    assert st.find(MUC_USER + "x") is not None, dump(st)
    a.send("<message to='%s/Nobody' type='chat' id='p2'><body>?</body></message>"
           % room_jid("pm"))
    err = a.wait_for(lambda s: s.get("id") == "p2", "error")
    assert error_condition(err) == "item-not-found"


def test_nick_conflict_and_change(muc):
    a, b = muc("alice"), muc("bob")
    a.create("nicks", "Al")
    assert b.join_error("nicks", "al") == "conflict"  # nicks compare case-folded
    b.join("nicks", "Bo")
    a.drain()
    b.send("<presence to='%s/Bob'/>" % room_jid("nicks"))
    gone = a.wait_presence(room_jid("nicks") + "/Bo", "unavailable")
    assert 303 in codes(gone) and item(gone).get("nick") == "Bob", dump(gone)
    back = a.wait_presence(room_jid("nicks") + "/Bob")
    assert item(back).get("role") == "participant"
    mine = b.wait_for(lambda s: s.get("from") == room_jid("nicks") + "/Bob" and
                      110 in codes(s), "own new presence")
    assert mine.get("type") is None
    b.send("<presence to='%s/Al'/>" % room_jid("nicks"))
    err = b.wait_for(lambda s: s.get("type") == "error", "conflict")
    assert error_condition(err) == "conflict"


def test_subject_change_and_last_on_join(muc):
    a, b = muc("alice"), muc("bob")
    a.create("subj", "Al")
    a.send("<message to='%s' type='groupchat'><subject>Plans</subject></message>"
           % room_jid("subj"))
    st = a.wait_for(lambda s: s.findtext(C + "subject") == "Plans", "subject")
    assert st.get("from") == room_jid("subj") + "/Al"
    a.say("subj", "first")
    _, _, subject, hist = b.join("subj", "Bo")
    assert subject.findtext(C + "subject") == "Plans"
    assert [h.findtext(C + "body") for h in hist] == ["first"]


def test_leave_broadcast(muc):
    a, b = muc("alice"), muc("bob")
    a.create("bye", "Al")
    b.join("bye", "Bo")
    a.drain()
    mine = b.leave("bye", "Bo")
    assert item(mine).get("role") == "none"
    p = a.wait_presence(room_jid("bye") + "/Bo", "unavailable")
    assert item(p).get("role") == "none", dump(p)


def test_dropped_connection_leaves_room(muc):
    a, b = muc("alice"), muc("bob")
    a.create("drop", "Al")
    b.join("drop", "Bo")
    a.drain()
    b.raw.close()
    p = a.wait_presence(room_jid("drop") + "/Bo", "unavailable", timeout=10)
    assert item(p).get("role") == "none"
    c = muc("carol")
    _, others, _, _ = c.join("drop", "Ca")
    assert [o.get("from") for o in others] == [room_jid("drop") + "/Al"]  # no ghost


def test_server_lists_the_service(muc):
    a = muc("alice")
    r = a.request("<iq type='get' id='{id}' to='%s'><query "
                  "xmlns='http://jabber.org/protocol/disco#items'/></iq>" % "localhost")
    jids = [i.get("jid") for i in r.iter("{http://jabber.org/protocol/disco#items}item")]
    assert SERVICE in jids, dump(r)
