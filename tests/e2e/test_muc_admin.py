# SPDX-License-Identifier: MIT
"""XEP-0045 group chat, the room's side: configuration (reserved rooms, 104, bad values),
kicks (307), bans (301), members-only rooms, passwords, affiliation lists and the last owner,
room destruction, disco of the service and of rooms, self-ping, and persistent rooms that
survive a restart with their affiliations."""
from muc_helpers import (C, MUC_OWNER, SERVICE, XDATA, codes, dump, error_condition, item,  # noqa
                         muc, room_jid)
from test_routing import Peer  # noqa: F401

DISCO_INFO = "http://jabber.org/protocol/disco#info"
DISCO_ITEMS = "http://jabber.org/protocol/disco#items"


def fields(form):
    return {f.get("var"): f.findtext("{%s}value" % XDATA) for f in form.iter("{%s}field" % XDATA)}


def test_reserved_room_form_then_config_change_104(muc):
    a, b = muc("alice"), muc("bob")
    a.join("res", "Al")
    r = a.request("<iq type='get' id='{id}' to='%s'><query xmlns='%s'/></iq>"
                  % (room_jid("res"), MUC_OWNER))
    form = r.find("{%s}query/{%s}x" % (MUC_OWNER, XDATA))
    assert form is not None and form.get("type") == "form", dump(r)
    f = fields(form)
    assert f["FORM_TYPE"] == "http://jabber.org/protocol/muc#roomconfig"
    assert "muc#roomconfig_persistentroom" in f and "muc#roomconfig_membersonly" in f
    ok = a.configure("res", {"muc#roomconfig_roomname": "Reserved",
                             "muc#roomconfig_persistentroom": "1"})
    assert ok.get("type") == "result", dump(ok)
    b.join("res", "Bo")
    a.configure("res", {"muc#roomconfig_roomdesc": "now described"})
    st = b.wait_for(lambda s: s.tag == C + "message" and 104 in codes(s), "status 104")
    assert st.get("from") == room_jid("res")


def test_config_bad_values_refused_and_nothing_changes(muc):
    a, b = muc("alice"), muc("bob")
    a.create("bad", "Al")
    for fields_ in ({"muc#roomconfig_maxusers": "many"},
                    {"muc#roomconfig_whois": "everybody"},
                    {"muc#roomconfig_membersonly": "maybe"},
                    {"muc#roomconfig_passwordprotectedroom": "1"}):  # and no password
        r = a.configure("bad", fields_)
        assert error_condition(r) == "not-acceptable", dump(r)
    r = b.request("<iq type='set' id='{id}' to='%s'><query xmlns='%s'><x xmlns='%s' "
                  "type='submit'/></query></iq>" % (room_jid("bad"), MUC_OWNER, XDATA))
    assert error_condition(r) == "forbidden"
    b.join("bad", "Bo")  # still open, not members-only


def test_kick_307(muc):
    a, b = muc("alice"), muc("bob")
    a.create("k", "Al")
    b.join("k", "Bo")
    r = a.admin("k", "<item nick='Bo' role='none'><reason>spam</reason></item>")
    assert r.get("type") == "result", dump(r)
    gone = b.wait_for(lambda s: s.get("type") == "unavailable" and 307 in codes(s), "kick")
    assert 110 in codes(gone) and item(gone).find(
        "{http://jabber.org/protocol/muc#user}reason").text == "spam"
    seen = a.wait_presence(room_jid("k") + "/Bo", "unavailable")
    assert 307 in codes(seen)
    r = b.admin("k", "<item nick='Al' role='none'/>")
    assert error_condition(r) == "forbidden"  # bob is no longer in the room


def test_participant_cannot_kick_or_change_affiliations(muc):
    a, b, c = muc("alice"), muc("bob"), muc("carol")
    a.create("perm", "Al")
    b.join("perm", "Bo")
    c.join("perm", "Ca")
    assert error_condition(b.admin("perm", "<item nick='Ca' role='none'/>")) == "forbidden"
    r = b.admin("perm", "<item jid='carol@localhost' affiliation='outcast'/>")
    assert error_condition(r) == "forbidden"
    c.quiet("nothing happened to carol")


def test_ban_301_then_refused(muc):
    a, b = muc("alice"), muc("bob")
    a.create("ban", "Al")
    b.join("ban", "Bo")
    r = a.admin("ban", "<item jid='bob@localhost' affiliation='outcast'/>")
    assert r.get("type") == "result", dump(r)
    gone = b.wait_for(lambda s: s.get("type") == "unavailable" and 301 in codes(s), "ban")
    assert item(gone).get("affiliation") == "outcast"
    assert b.join_error("ban", "Bo") == "forbidden"
    lst = a.admin("ban", "<item affiliation='outcast'/>", typ="get")
    jids = [i.get("jid") for i in lst.iter("{http://jabber.org/protocol/muc#admin}item")]
    assert jids == ["bob@localhost"], dump(lst)


def test_members_only_refusal_then_admission(muc):
    a, b = muc("alice"), muc("bob")
    a.create("club", "Al", {"muc#roomconfig_membersonly": "1"})
    assert b.join_error("club", "Bo") == "registration-required"
    r = a.admin("club", "<item jid='bob@localhost' affiliation='member'/>")
    assert r.get("type") == "result", dump(r)
    me, _, _, _ = b.join("club", "Bo")
    assert item(me).get("affiliation") == "member"


def test_password_room(muc):
    a, b = muc("alice"), muc("bob")
    a.create("secret", "Al", {"muc#roomconfig_passwordprotectedroom": "1",
                              "muc#roomconfig_roomsecret": "s3cret"})
    assert b.join_error("secret", "Bo") == "not-authorized"
    assert b.join_error("secret", "Bo", password="wrong") == "not-authorized"
    b.join("secret", "Bo", password="s3cret")


def test_last_owner_cannot_be_removed(muc):
    a = muc("alice")
    a.create("own", "Al")
    r = a.admin("own", "<item jid='alice@localhost' affiliation='admin'/>")
    assert error_condition(r) == "conflict", dump(r)
    r = a.admin("own", "<item jid='bob@localhost' affiliation='owner'/>")
    assert r.get("type") == "result"
    r = a.admin("own", "<item jid='alice@localhost' affiliation='member'/>")
    assert r.get("type") == "result", dump(r)


def test_disco_items_lists_public_rooms_and_info(muc):
    a = muc("alice")
    a.create("pub", "Al", {"muc#roomconfig_roomname": "Public one",
                           "muc#roomconfig_roomdesc": "all welcome"})
    a.create("hid", "Al", {"muc#roomconfig_publicroom": "0"})
    r = a.request("<iq type='get' id='{id}' to='%s'><query xmlns='%s'/></iq>"
                  % (SERVICE, DISCO_ITEMS))
    items = {i.get("jid"): i.get("name") for i in r.iter("{%s}item" % DISCO_ITEMS)}
    assert items == {room_jid("pub"): "Public one"}, dump(r)
    info = a.request("<iq type='get' id='{id}' to='%s'><query xmlns='%s'/></iq>"
                     % (room_jid("pub"), DISCO_INFO))
    feats = {f.get("var") for f in info.iter("{%s}feature" % DISCO_INFO)}
    assert {"http://jabber.org/protocol/muc", "muc_public", "muc_open"} <= feats, dump(info)
    f = fields(info.find("{%s}query/{%s}x" % (DISCO_INFO, XDATA)))
    assert f["muc#roominfo_occupants"] == "1" and f["muc#roominfo_description"] == "all welcome"
    svc = a.request("<iq type='get' id='{id}' to='%s'><query xmlns='%s'/></iq>"
                    % (SERVICE, DISCO_INFO))
    ident = svc.find("{%s}query/{%s}identity" % (DISCO_INFO, DISCO_INFO))
    assert ident.get("category") == "conference", dump(svc)
    missing = a.request("<iq type='get' id='{id}' to='%s'><query xmlns='%s'/></iq>"
                        % (room_jid("nope"), DISCO_INFO))
    assert error_condition(missing) == "item-not-found"


def test_disco_items_paged(muc):
    a = muc("alice")
    for i in range(5):
        a.create("p%d" % i, "Al", {"muc#roomconfig_persistentroom": "1"})
    got, after = [], None
    while True:
        a_ = "<after>%s</after>" % after if after else ""
        r = a.request("<iq type='get' id='{id}' to='%s'><query xmlns='%s'><set "
                      "xmlns='http://jabber.org/protocol/rsm'><max>2</max>%s</set></query></iq>"
                      % (SERVICE, DISCO_ITEMS, a_))
        page = [i.get("jid") for i in r.iter("{%s}item" % DISCO_ITEMS)]
        assert r.findtext(".//{http://jabber.org/protocol/rsm}count") == "5", dump(r)
        if not page:
            break
        assert len(page) <= 2
        got += page
        after = page[-1]
    assert got == sorted(room_jid("p%d" % i) for i in range(5))


def test_self_ping(muc):
    a, b = muc("alice"), muc("bob")
    a.create("ping", "Al")
    r = a.request("<iq type='get' id='{id}' to='%s/Al'><ping xmlns='urn:xmpp:ping'/></iq>"
                  % room_jid("ping"))
    assert r.get("type") == "result", dump(r)
    r = b.request("<iq type='get' id='{id}' to='%s/Al'><ping xmlns='urn:xmpp:ping'/></iq>"
                  % room_jid("ping"))
    assert error_condition(r) == "not-acceptable", dump(r)
    r = a.request("<iq type='get' id='{id}' to='%s/Zed'><ping xmlns='urn:xmpp:ping'/></iq>"
                  % room_jid("ping"))
    assert error_condition(r) == "item-not-found"


def test_destroy_with_alternate_venue(muc):
    a, b = muc("alice"), muc("bob")
    a.create("old", "Al", {"muc#roomconfig_persistentroom": "1"})
    b.join("old", "Bo")
    r = a.request("<iq type='set' id='{id}' to='%s'><query xmlns='%s'><destroy jid='%s'>"
                  "<reason>moved</reason></destroy></query></iq>"
                  % (room_jid("old"), MUC_OWNER, room_jid("new")))
    assert r.get("type") == "result", dump(r)
    gone = b.wait_for(lambda s: s.get("type") == "unavailable", "destroyed")
    d = gone.find("{http://jabber.org/protocol/muc#user}x/"
                  "{http://jabber.org/protocol/muc#user}destroy")
    assert d is not None and d.get("jid") == room_jid("new"), dump(gone)
    me, _, _, _ = b.join("old", "Bo")
    assert 201 in codes(me)  # a new room: the old one is gone


def test_persistent_room_survives_restart(server, muc):
    a = muc("alice")
    a.create("keep", "Al", {"muc#roomconfig_persistentroom": "1",
                            "muc#roomconfig_membersonly": "1",
                            "muc#roomconfig_roomname": "Kept"})
    a.admin("keep", "<item jid='bob@localhost' affiliation='member'/>")
    a.admin("keep", "<item jid='carol@localhost' affiliation='admin'/>")
    a.say("keep", "before the restart")
    a.wait_groupchat("keep", "before the restart")
    a.close()
    server.restart()
    b = muc("bob")
    me, others, _, hist = b.join("keep", "Bo")
    assert 201 not in codes(me) and item(me).get("affiliation") == "member", dump(me)
    assert [h.findtext(C + "body") for h in hist] == ["before the restart"]
    delay = hist[0].find("{urn:xmpp:delay}delay")
    assert delay is not None and delay.get("from") == room_jid("keep")
    d = muc("dave")
    assert d.join_error("keep", "Da") == "registration-required"
    c = muc("carol")
    me_c, _, _, _ = c.join("keep", "Ca")
    assert item(me_c).get("affiliation") == "admin" and item(me_c).get("role") == "moderator"
