# SPDX-License-Identifier: MIT
"""PEP (XEP-0163) through raw stanzas: publish with auto-create, +notify notifications to
subscribed contacts only, the last item at login and on new interest, access models, publish
options, retract, errors and bounds, and that nodes and items survive a restart."""
from pep_helpers import (C, CAPS_NODE, DOMAIN, INFO, PS, PSE, PepPeer, bare, caps_ver, dump,
                         event_items, info_xml)
from roster_helpers import subscribe_both
from test_routing import error_condition

TUNE = "http://jabber.org/protocol/tune"
PAYLOAD = "<tune xmlns='%s'><artist>Yes</artist><title>%s</title></tune>"


def peer(server, user, resource="r"):
    p = PepPeer(server, user, resource)
    p.roster()
    p.available()
    return p


def trio(server):
    for u in ("alice", "bob", "carol"):
        server.adduser(u, "pw-" + u)
    a, b, c = peer(server, "alice"), peer(server, "bob"), peer(server, "carol")
    subscribe_both(a, b)
    return a, b, c


def pubsub_error(st):
    err = st.find("{jabber:client}error")
    return [e.tag.split("}")[1] for e in err if e.tag.startswith("{%s#errors}" % PS)]


def test_publish_notifies_subscribed_contacts_with_notify_only(server):
    a, b, c = trio(server)
    assert b.show_caps([TUNE]) is not None  # unknown caps: the server asks
    assert c.show_caps([TUNE]) is None      # the same caps: known, no question
    st = a.publish(TUNE, PAYLOAD % (TUNE, "Roundabout"), item_id="t1")
    assert st.get("type") == "result", dump(st)
    assert st.find("{%s}pubsub/{%s}publish" % (PS, PS)).get("node") == TUNE
    got = b.events(TUNE)
    assert len(got) == 1, [dump(s) for s in got]
    assert got[0].get("from") == bare("alice") and got[0].get("type") == "headline"
    assert event_items(got[0]) == (TUNE, ["t1"], [])
    item = got[0].find(PSE + "event/" + PSE + "items/" + PSE + "item")
    assert item.find("{%s}tune/{%s}title" % (TUNE, TUNE)).text == "Roundabout"
    assert c.events() == []  # a stranger: nothing
    assert a.events() == []  # alice's own resource shows no interest


def test_no_notify_without_interest_and_lies_are_not_believed(server):
    a, b, _ = trio(server)
    b.show_caps([])  # no +notify at all
    a.publish(TUNE, PAYLOAD % (TUNE, "x"))
    assert b.events() == []
    # caps whose disco#info does not hash to ver are not kept: no interest, asked again
    b.show_caps(["urn:example:other"], lie=True)
    a.publish(TUNE, PAYLOAD % (TUNE, "y"))
    assert b.events() == []
    assert b.show_caps(["urn:example:other"], answer=False) is not None


def test_own_resources_with_interest_get_notifications(server):
    server.adduser("alice", "pw-alice")
    a1, a2 = peer(server, "alice", "one"), peer(server, "alice", "two")
    a2.show_caps([TUNE])
    a1.publish(TUNE, PAYLOAD % (TUNE, "Heart"))
    assert len(a2.events(TUNE)) == 1
    assert a1.events() == []


def test_last_item_on_initial_presence_and_new_interest(server):
    a, b, _ = trio(server)
    a.publish(TUNE, PAYLOAD % (TUNE, "old"), item_id="1")
    a.publish(TUNE, PAYLOAD % (TUNE, "last"), item_id="2")
    b.show_caps([TUNE])  # interest shows: the last item comes
    got = b.events(TUNE)
    assert [event_items(m)[1] for m in got] == [["2"]], [dump(s) for s in got]
    b.close()
    b2 = PepPeer(server, "bob", "again")
    b2.roster()
    b2.show_caps([TUNE])  # known caps: at once, with the initial presence
    assert [event_items(m)[1] for m in b2.events(TUNE)] == [["2"]]


def test_items_retrieval_and_max_items(server):
    a, b, _ = trio(server)
    for i in range(3):
        st = a.publish("urn:example:log", "<e xmlns='urn:example'>%d</e>" % i, item_id=str(i),
                       options={"max_items": "max", "access_model": "presence"})
        assert st.get("type") == "result", dump(st)
    st = b.items("urn:example:log", to=bare("alice"))
    ids = [i.get("id") for i in st.iter("{%s}item" % PS)]
    assert ids == ["0", "1", "2"], dump(st)
    st = b.items("urn:example:log", to=bare("alice"), extra=" max_items='1'")
    assert [i.get("id") for i in st.iter("{%s}item" % PS)] == ["2"]
    # the default node keeps one item (XEP-0163)
    a.publish(TUNE, PAYLOAD % (TUNE, "a"), item_id="a")
    a.publish(TUNE, PAYLOAD % (TUNE, "b"), item_id="b")
    st = a.items(TUNE)
    assert [i.get("id") for i in st.iter("{%s}item" % PS)] == ["b"]


def test_access_models_presence_and_whitelist(server):
    a, b, c = trio(server)
    a.publish(TUNE, PAYLOAD % (TUNE, "p"))
    assert b.items(TUNE, to=bare("alice")).get("type") == "result"
    st = c.items(TUNE, to=bare("alice"))
    assert error_condition(st) == "not-authorized", dump(st)
    assert pubsub_error(st) == ["presence-subscription-required"]
    st = a.publish("urn:example:secret", "<s xmlns='urn:example'/>",
                   options={"access_model": "whitelist"})
    assert st.get("type") == "result", dump(st)
    for p in (b, c):
        st = p.items("urn:example:secret", to=bare("alice"))
        assert error_condition(st) == "not-allowed" and pubsub_error(st) == ["closed-node"]
    b.show_caps(["urn:example:secret"])
    a.publish("urn:example:secret", "<s xmlns='urn:example'>2</s>")
    assert b.events("urn:example:secret") == []  # a contact, but not on the whitelist
    st = a.request("<iq type='set' id='{id}'><pubsub xmlns='%s#owner'><affiliations "
                   "node='urn:example:secret'><affiliation jid='%s' affiliation='member'/>"
                   "</affiliations></pubsub></iq>" % (PS, bare("bob")))
    assert st.get("type") == "result", dump(st)
    assert b.items("urn:example:secret", to=bare("alice")).get("type") == "result"
    a.publish("urn:example:secret", "<s xmlns='urn:example'>3</s>")
    assert len(b.events("urn:example:secret")) == 1


def test_publish_options_precondition(server):
    a, b, _ = trio(server)
    node = "eu.siacs.conversations.axolotl.bundles:1"
    st = a.publish(node, "<bundle xmlns='eu.siacs.conversations.axolotl'/>",
                   options={"access_model": "open"})
    assert st.get("type") == "result", dump(st)
    st = a.publish(node, "<bundle xmlns='eu.siacs.conversations.axolotl'/>",
                   options={"access_model": "open"})
    assert st.get("type") == "result", dump(st)  # met
    st = a.publish(node, "<bundle xmlns='eu.siacs.conversations.axolotl'>x</bundle>",
                   options={"access_model": "whitelist"})
    assert error_condition(st) == "conflict", dump(st)
    assert pubsub_error(st) == ["precondition-not-met"]
    st = a.publish(node, "<b xmlns='urn:example'/>", options={"no_such_option": "1"})
    assert error_condition(st) == "conflict", dump(st)
    st = a.items(node)
    assert [i.get("id") for i in st.iter("{%s}item" % PS)] and \
        st.find(".//{eu.siacs.conversations.axolotl}bundle").text is None  # unchanged


def test_retract_notifies(server):
    a, b, _ = trio(server)
    b.show_caps(["urn:example:log"])
    a.publish("urn:example:log", "<e xmlns='urn:example'/>", item_id="x",
              options={"max_items": "10"})
    b.events()
    st = a.request("<iq type='set' id='{id}'><pubsub xmlns='%s'><retract node='urn:example:log' "
                   "notify='true'><item id='x'/></retract></pubsub></iq>" % PS)
    assert st.get("type") == "result", dump(st)
    got = b.events("urn:example:log")
    assert [event_items(m) for m in got] == [("urn:example:log", [], ["x"])]
    st = a.request("<iq type='set' id='{id}'><pubsub xmlns='%s'><retract node='urn:example:log'>"
                   "<item id='x'/></retract></pubsub></iq>" % PS)
    assert error_condition(st) == "item-not-found", dump(st)


def test_refusals_change_nothing(server_factory):
    srv = server_factory(pubsub={"max_item_bytes": 1024, "max_nodes": 2, "max_items": 5})
    a, b, _ = trio(srv)
    st = b.publish(TUNE, PAYLOAD % (TUNE, "mine"), to=bare("alice"))
    assert error_condition(st) == "forbidden", dump(st)
    assert error_condition(a.items(TUNE)) == "item-not-found"  # not even created
    st = a.publish(TUNE, "<big xmlns='urn:example'>%s</big>" % ("x" * 2000))
    assert error_condition(st) == "not-acceptable" and pubsub_error(st) == ["payload-too-big"]
    st = a.publish(TUNE, "")
    assert error_condition(st) == "bad-request" and pubsub_error(st) == ["payload-required"]
    st = a.publish(TUNE, "<a xmlns='urn:x'/>", options={"max_items": "0"})
    assert error_condition(st) == "not-acceptable", dump(st)
    assert a.publish("n1", "<a xmlns='urn:x'/>").get("type") == "result"
    assert a.publish("n2", "<a xmlns='urn:x'/>").get("type") == "result"
    st = a.publish("n3", "<a xmlns='urn:x'/>")
    assert error_condition(st) == "resource-constraint", dump(st)
    st = b.request("<iq type='set' id='{id}' to='%s'><pubsub xmlns='%s#owner'><configure "
                   "node='n1'><x xmlns='jabber:x:data' type='submit'/></configure></pubsub></iq>"
                   % (bare("alice"), PS))
    assert error_condition(st) == "forbidden", dump(st)
    st = a.request("<iq type='set' id='{id}'><pubsub xmlns='%s#owner'><configure node='n1'>"
                   "<x xmlns='jabber:x:data' type='submit'><field var='pubsub#access_model'>"
                   "<value>everyone</value></field></x></configure></pubsub></iq>" % PS)
    assert error_condition(st) == "not-acceptable", dump(st)


def test_configure_delete_and_disco(server):
    a, b, _ = trio(server)
    a.publish("urn:example:n", "<a xmlns='urn:x'/>")
    st = a.request("<iq type='get' id='{id}'><pubsub xmlns='%s#owner'><configure "
                   "node='urn:example:n'/></pubsub></iq>" % PS)
    fields = {f.get("var"): f.findtext("{jabber:x:data}value")
              for f in st.iter("{jabber:x:data}field")}
    assert fields["pubsub#access_model"] == "presence" and fields["pubsub#max_items"] == "1"
    st = b.request("<iq type='get' id='{id}' to='%s'><query xmlns='http://jabber.org/protocol/"
                   "disco#items'/></iq>" % bare("alice"))
    assert [i.get("node") for i in st.iter("{http://jabber.org/protocol/disco#items}item")] \
        == ["urn:example:n"], dump(st)
    st = b.request("<iq type='get' id='{id}' to='%s'><query xmlns='http://jabber.org/protocol/"
                   "disco#info' node='urn:example:n'/></iq>" % bare("alice"))
    assert st.find(".//{http://jabber.org/protocol/disco#info}identity").get("type") == "leaf"
    st = a.request("<iq type='get' id='{id}' to='%s'><query xmlns='http://jabber.org/protocol/"
                   "disco#info'/></iq>" % bare("alice"))
    types = [(i.get("category"), i.get("type"))
             for i in st.iter("{http://jabber.org/protocol/disco#info}identity")]
    assert ("pubsub", "pep") in types, dump(st)
    b.show_caps(["urn:example:n"])
    b.events()
    st = a.request("<iq type='set' id='{id}'><pubsub xmlns='%s#owner'><delete "
                   "node='urn:example:n'/></pubsub></iq>" % PS)
    assert st.get("type") == "result", dump(st)
    got = b.events("urn:example:n")
    assert len(got) == 1 and got[0].find(PSE + "event/" + PSE + "delete") is not None
    assert error_condition(a.items("urn:example:n")) == "item-not-found"


def test_nodes_and_items_survive_a_restart(server):
    a, b, _ = trio(server)
    a.publish(TUNE, PAYLOAD % (TUNE, "kept"), item_id="k")
    a.publish("urn:example:secret", "<s xmlns='urn:example'/>",
              options={"access_model": "whitelist"})
    for p in (a, b):
        p.close()
    server.restart()
    b = peer(server, "bob")
    st = b.items(TUNE, to=bare("alice"))
    assert [i.get("id") for i in st.iter("{%s}item" % PS)] == ["k"], dump(st)
    assert error_condition(b.items("urn:example:secret", to=bare("alice"))) == "not-allowed"
    b.show_caps([TUNE])
    assert [event_items(m)[1] for m in b.events(TUNE)] == [["k"]]


def test_blocked_contacts_get_no_events(server):
    a, b, _ = trio(server)
    b.show_caps([TUNE])
    st = a.request("<iq type='set' id='{id}'><block xmlns='urn:xmpp:blocking'><item jid='%s'/>"
                   "</block></iq>" % bare("bob"))
    assert st.get("type") == "result", dump(st)
    a.drain()
    b.drain()
    a.publish(TUNE, PAYLOAD % (TUNE, "hidden"), item_id="h")
    assert b.events() == []  # alice's blocking covers her events, as her presence
    b.close()
    b2 = peer(server, "bob", "again")
    b2.show_caps([TUNE])
    assert b2.events() == []  # nor the last item at login
    st = a.request("<iq type='set' id='{id}'><unblock xmlns='urn:xmpp:blocking'><item "
                   "jid='%s'/></unblock></iq>" % bare("bob"))
    assert st.get("type") == "result", dump(st)
    a.publish(TUNE, PAYLOAD % (TUNE, "seen"), item_id="s")
    assert [event_items(m)[1] for m in b2.events(TUNE)] == [["s"]]


def test_a_false_answer_does_not_cost_others_their_caps(server):
    a, b, c = trio(server)
    subscribe_both(a, c)
    feats = [INFO, TUNE + "+notify"]
    ver = caps_ver(feats)
    presence = ("<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='%s' "
                "ver='%s'/></presence>" % (CAPS_NODE, ver))
    b.send(presence)
    q = b.wait_for(lambda s: s.tag == C + "iq" and s.get("type") == "get", "caps query")
    c.send(presence)  # the same caps: c waits on the question to b
    b.send("<iq type='result' id='%s' to='%s'><query xmlns='%s' node='%s#%s'>%s</query></iq>"
           % (q.get("id"), q.get("from"), INFO, CAPS_NODE, ver, info_xml([INFO])))
    assert c.show_caps([TUNE], answer=True, resend=False) is not None  # now c is asked
    a.publish(TUNE, PAYLOAD % (TUNE, "true"))
    assert len(c.events(TUNE)) == 1
    assert b.events() == []


def test_retract_is_for_owners_publishers_and_the_item_publisher(server):
    for u in ("alice", "bob", "carol"):
        server.adduser(u, "pw-" + u)
    a, b, c = peer(server, "alice"), peer(server, "bob"), peer(server, "carol")
    svc = "pubsub." + DOMAIN
    st = a.request("<iq type='set' id='{id}' to='%s'><pubsub xmlns='%s'><create node='wall'/>"
                   "<configure><x xmlns='jabber:x:data' type='submit'><field var='pubsub#"
                   "publish_model'><value>open</value></field><field var='pubsub#max_items'>"
                   "<value>10</value></field></x></configure></pubsub></iq>" % (svc, PS))
    assert st.get("type") == "result", dump(st)
    assert b.publish("wall", "<p xmlns='urn:x'>b</p>", item_id="b1", to=svc).get("type") == \
        "result"
    assert c.publish("wall", "<p xmlns='urn:x'>c</p>", item_id="c1", to=svc).get("type") == \
        "result"

    def retract(p, item):
        return p.request("<iq type='set' id='{id}' to='%s'><pubsub xmlns='%s'><retract "
                         "node='wall'><item id='%s'/></retract></pubsub></iq>" % (svc, PS, item))
    assert error_condition(retract(c, "b1")) == "forbidden"  # someone else's
    assert retract(b, "b1").get("type") == "result"          # its own
    assert retract(a, "c1").get("type") == "result"          # the owner's node


def test_a_deleted_contact_keeps_no_place_on_a_whitelist(server):
    a, b, _ = trio(server)
    a.publish("urn:example:secret", "<s xmlns='urn:example'/>",
              options={"access_model": "whitelist"})
    st = a.request("<iq type='set' id='{id}'><pubsub xmlns='%s#owner'><affiliations "
                   "node='urn:example:secret'><affiliation jid='%s' affiliation='member'/>"
                   "</affiliations></pubsub></iq>" % (PS, bare("bob")))
    assert st.get("type") == "result", dump(st)
    assert b.items("urn:example:secret", to=bare("alice")).get("type") == "result"
    server.ctl("deluser", bare("bob"))
    server.adduser("bob", "pw-bob")  # a new account of the same name
    b2 = peer(server, "bob", "new")
    st = b2.items("urn:example:secret", to=bare("alice"))
    assert error_condition(st) == "not-allowed", dump(st)
