# SPDX-License-Identifier: MIT
"""Group chat history and archive: history on join (maxstanzas, seconds, delay), the room
archive (XEP-0313 paging and full-text search on the room's JID), moderated retraction
(XEP-0425) that leaves only a tombstone, and bad input refused without changing anything."""
import time

from muc_helpers import (C, MUC, MUC_USER, codes, dump, error_condition, muc,  # noqa: F401
                         room_jid)

MAM = "urn:xmpp:mam:2"
RSM = "http://jabber.org/protocol/rsm"
FW = "{urn:xmpp:forward:0}"


def talk(peer, room, texts):
    for t in texts:
        peer.say(room, t)
        peer.wait_groupchat(room, t)


def test_history_maxstanzas_with_delay(muc):
    a, b = muc("alice"), muc("bob")
    a.create("h", "Al")
    talk(a, "h", ["one", "two", "three"])
    _, _, _, hist = b.join("h", "Bo", history={"maxstanzas": 2})
    assert [h.findtext(C + "body") for h in hist] == ["two", "three"]
    for h in hist:
        d = h.find("{urn:xmpp:delay}delay")
        assert d is not None and d.get("from") == room_jid("h") and d.get("stamp"), dump(h)
        assert h.get("from") == room_jid("h") + "/Al"
    c = muc("carol")
    _, _, _, none = c.join("h", "Ca", history={"maxstanzas": 0})
    assert none == []
    d = muc("dave")
    time.sleep(1.2)
    _, _, _, recent = d.join("h", "Da", history={"seconds": 1})
    assert recent == []


def mam_query(peer, room, inner="", rsm="", qid="q1"):
    """Runs a MAM query on the room's archive; returns (results' messages, fin)."""
    peer.send("<iq type='set' id='%s' to='%s'><query xmlns='%s' queryid='%s'>%s%s</query></iq>"
              % (qid, room_jid(room), MAM, qid, inner, rsm))
    msgs = []
    while True:
        st = peer.wait_for(lambda s: s.get("id") == qid or
                           (s.find("{%s}result" % MAM) is not None), "mam " + qid)
        if st.get("id") == qid:
            return msgs, st
        r = st.find("{%s}result" % MAM)
        assert st.get("from") == room_jid(room), dump(st)
        msgs.append((r.get("id"), r.find(FW + "forwarded").find(C + "message")))


def test_room_archive_paging_and_search(muc):
    a, b = muc("alice"), muc("bob")
    a.create("arch", "Al")
    b.join("arch", "Bo")
    texts = ["apple pie", "banana split", "cherry tart", "apple crumble", "date loaf"]
    talk(a, "arch", texts)
    got, fin = mam_query(b, "arch", rsm="<set xmlns='%s'><max>2</max></set>" % RSM)
    assert [m.findtext(C + "body") for _, m in got] == texts[:2], dump(fin)
    assert got[0][1].get("from") == room_jid("arch") + "/Al"
    last = fin.find("{%s}fin/{%s}set/{%s}last" % (MAM, RSM, RSM)).text
    got2, fin2 = mam_query(b, "arch", rsm="<set xmlns='%s'><max>10</max><after>%s</after></set>"
                           % (RSM, last), qid="q2")
    assert [m.findtext(C + "body") for _, m in got2] == texts[2:]
    assert fin2.find("{%s}fin" % MAM).get("complete") == "true"
    form = ("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>%s</value>"
            "</field><field var='{urn:xmpp:fulltext:0}fulltext'><value>apple</value></field></x>"
            % MAM)
    hits, _ = mam_query(b, "arch", inner=form, qid="q3")
    assert [m.findtext(C + "body") for _, m in hits] == ["apple pie", "apple crumble"]
    # the room's stanza-ids are the archive's ids
    live = a.say("arch", "fig roll")
    st = a.wait_groupchat("arch", "fig roll")
    assert st.get("id") == live
    sid = st.find("{urn:xmpp:sid:0}stanza-id").get("id")
    tail, _ = mam_query(b, "arch", rsm="<set xmlns='%s'><max>1</max><before/></set>" % RSM,
                        qid="q4")
    assert tail[0][0] == sid


def test_room_archive_closed_to_outsiders_of_members_only(muc):
    a, b = muc("alice"), muc("bob")
    a.create("priv", "Al", {"muc#roomconfig_membersonly": "1"})
    talk(a, "priv", ["secret"])
    _, fin = mam_query(b, "priv")
    assert error_condition(fin) == "forbidden", dump(fin)


def test_moderation_leaves_tombstone(muc):
    a, b, c = muc("alice"), muc("bob"), muc("carol")
    a.create("mod", "Al")
    b.join("mod", "Bo")
    b.say("mod", "something rude")
    st = b.wait_groupchat("mod", "something rude")
    sid = st.find("{urn:xmpp:sid:0}stanza-id").get("id")
    a.wait_groupchat("mod", "something rude")
    r = b.request("<iq type='set' id='{id}' to='%s'><moderate id='%s' "
                  "xmlns='urn:xmpp:message-moderate:1'><retract "
                  "xmlns='urn:xmpp:message-retract:1'/></moderate></iq>" % (room_jid("mod"), sid))
    assert error_condition(r) == "forbidden"  # bob is no moderator
    r = a.request("<iq type='set' id='{id}' to='%s'><moderate id='%s' "
                  "xmlns='urn:xmpp:message-moderate:1'><retract "
                  "xmlns='urn:xmpp:message-retract:1'/><reason>rude</reason></moderate></iq>"
                  % (room_jid("mod"), sid))
    assert r.get("type") == "result", dump(r)
    n = b.wait_for(lambda s: s.find("{urn:xmpp:message-retract:1}retract") is not None,
                   "retraction")
    rt = n.find("{urn:xmpp:message-retract:1}retract")
    assert rt.get("id") == sid and n.get("from") == room_jid("mod")
    assert rt.find("{urn:xmpp:message-moderate:1}moderated").get("by") == room_jid("mod") + "/Al"
    got, _ = mam_query(c, "mod")
    assert len(got) == 1 and got[0][0] == sid
    msg = got[0][1]
    assert msg.find(C + "body") is None, dump(msg)
    assert msg.find("{urn:xmpp:message-retract:1}retracted") is not None
    _, _, _, hist = c.join("mod", "Ca")
    assert all(h.find(C + "body") is None for h in hist), [dump(h) for h in hist]
    r = a.request("<iq type='set' id='{id}' to='%s'><moderate id='nope' "
                  "xmlns='urn:xmpp:message-moderate:1'><retract "
                  "xmlns='urn:xmpp:message-retract:1'/></moderate></iq>" % room_jid("mod"))
    assert error_condition(r) == "item-not-found"


def test_bad_joins_and_messages(muc):
    a, b = muc("alice"), muc("bob")
    a.create("bad", "Al")
    # no nick: the room's bare JID
    a.send("<presence to='%s' id='n1'><x xmlns='%s'/></presence>" % (room_jid("bad"), MUC))
    err = a.wait_for(lambda s: s.get("id") == "n1", "error")
    assert error_condition(err) == "jid-malformed", dump(err)
    # a nick failing RFC 8266 (a control character, only spaces), or too long
    for nick, pid in (("%C2%85".replace("%C2%85", "\u0085x"), "n2"), ("   ", "n3"),
                      ("x" * 65, "n4")):
        b.send("<presence to='%s/%s' id='%s'/>" % (room_jid("bad"), nick, pid))
        err = b.wait_for(lambda s, p=pid: s.get("id") == p, "error " + pid)
        assert error_condition(err) == "jid-malformed", dump(err)
    b.join("bad", "Bo")
    a.drain()
    # chat to the room itself, groupchat to an occupant
    b.send("<message to='%s' type='chat' id='w1'><body>x</body></message>" % room_jid("bad"))
    assert error_condition(b.wait_for(lambda s: s.get("id") == "w1", "w1")) == "bad-request"
    b.send("<message to='%s/Al' type='groupchat' id='w2'><body>x</body></message>"
           % room_jid("bad"))
    assert error_condition(b.wait_for(lambda s: s.get("id") == "w2", "w2")) == "bad-request"
    # iq to an occupant who is not there
    r = b.request("<iq type='get' id='{id}' to='%s/Ghost'><query "
                  "xmlns='jabber:iq:version'/></iq>" % room_jid("bad"))
    assert error_condition(r) == "item-not-found"
    a.quiet("none of it reached the room")


def test_history_maxchars_and_since(muc):
    a, b, c = muc("alice"), muc("bob"), muc("carol")
    a.create("hc", "Al")
    talk(a, "hc", ["old one"])
    time.sleep(1.1)
    cut = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    time.sleep(1.1)
    talk(a, "hc", ["new one", "newest"])
    _, _, _, since = b.join("hc", "Bo", history={"since": cut})
    assert [h.findtext(C + "body") for h in since] == ["new one", "newest"]
    # maxchars counts whole stanzas as the room writes them: room for one, not two
    _, _, _, one = c.join("hc", "Ca", history={"maxchars": 400})
    assert [h.findtext(C + "body") for h in one] == ["newest"], [dump(h) for h in one]
    d = muc("dave")
    _, _, _, none = d.join("hc", "Da", history={"maxchars": 0})
    assert none == []


def test_room_without_archive(muc):
    a, b = muc("alice"), muc("bob")
    a.create("noarch", "Al", {"muc#roomconfig_enablearchiving": "0"})
    me, _, _, _ = b.join("noarch", "Bo")
    assert 170 not in codes(me)  # not logged
    b.say("noarch", "unrecorded")
    st = a.wait_groupchat("noarch", "unrecorded")
    assert st.find("{urn:xmpp:sid:0}stanza-id") is None, dump(st)
    _, fin = mam_query(b, "noarch")
    assert error_condition(fin) == "service-unavailable", dump(fin)
    info = a.request("<iq type='get' id='{id}' to='%s'><query "
                     "xmlns='http://jabber.org/protocol/disco#info'/></iq>" % room_jid("noarch"))
    feats = {f.get("var") for f in info.iter("{http://jabber.org/protocol/disco#info}feature")}
    assert MAM not in feats


def test_moderation_fastening_form(muc):
    """XEP-0425 as clients of moderate:0 send it, inside <apply-to/>: answered in that form."""
    a, b = muc("alice"), muc("bob")
    a.create("mod0", "Al")
    b.join("mod0", "Bo")
    b.say("mod0", "old style")
    sid = b.wait_groupchat("mod0", "old style").find("{urn:xmpp:sid:0}stanza-id").get("id")
    r = a.request("<iq type='set' id='{id}' to='%s'><apply-to id='%s' xmlns='urn:xmpp:fasten:0'>"
                  "<moderate xmlns='urn:xmpp:message-moderate:0'><retract "
                  "xmlns='urn:xmpp:message-retract:0'/><reason>spam</reason></moderate>"
                  "</apply-to></iq>" % (room_jid("mod0"), sid))
    assert r.get("type") == "result", dump(r)
    n = b.wait_for(lambda s: s.find("{urn:xmpp:fasten:0}apply-to") is not None, "retraction")
    at = n.find("{urn:xmpp:fasten:0}apply-to")
    moderated = at.find("{urn:xmpp:message-moderate:0}moderated")
    assert at.get("id") == sid and moderated is not None, dump(n)
    assert moderated.find("{urn:xmpp:message-retract:0}retract") is not None
    assert moderated.findtext("{urn:xmpp:message-moderate:0}reason") == "spam"
    got, _ = mam_query(b, "mod0")
    assert got[0][1].find(C + "body") is None
