# SPDX-License-Identifier: MIT
"""What is built on PEP: XEP-0402 bookmarks with the XEP-0048 views of the same rooms (private
storage and the storage:bookmarks node), avatars kept in step with the vCard (XEP-0084,
XEP-0153, XEP-0398), and the generic pubsub service driven by slixmpp's XEP-0060 plugin."""
import asyncio
import base64
import hashlib

import pytest
from slixmpp.exceptions import IqError
from slixmpp.xmlstream import ET

from conftest import DOMAIN
from pep_helpers import PS, bare, dump, event_items
from roster_helpers import subscribe_both
from test_pep import peer
from test_routing import error_condition
from xmpp_helpers import offline, online, run

BM = "urn:xmpp:bookmarks:1"
ROOM = "tea@conference." + DOMAIN
IMAGE = bytes(range(256)) * 3
B64 = base64.b64encode(IMAGE).decode()
SHA1 = hashlib.sha1(IMAGE).hexdigest()


def private_bookmarks(p):
    st = p.request("<iq type='get' id='{id}'><query xmlns='jabber:iq:private'><storage "
                   "xmlns='storage:bookmarks'/></query></iq>")
    assert st.get("type") == "result", dump(st)
    return {c.get("jid"): c for c in st.iter("{storage:bookmarks}conference")}


def modern_bookmarks(p):
    st = p.items(BM)
    assert st.get("type") == "result", dump(st)
    return {i.get("id"): i.find("{%s}conference" % BM) for i in st.iter("{%s}item" % PS)}


def test_bookmark_published_shows_in_private_storage_and_back(server):
    server.adduser("alice", "pw-alice")
    a, a2 = peer(server, "alice"), peer(server, "alice", "old")
    a.show_caps([BM])
    st = a.publish(BM, "<conference xmlns='%s' name='Tea' autojoin='true'><nick>al</nick>"
                   "</conference>" % BM, item_id=ROOM,
                   options={"persist_items": "true", "max_items": "max",
                            "send_last_published_item": "never", "access_model": "whitelist"})
    assert st.get("type") == "result", dump(st)
    old = private_bookmarks(a2)  # an old client's view of the same room
    assert list(old) == [ROOM]
    assert old[ROOM].get("name") == "Tea" and old[ROOM].get("autojoin") == "true"
    assert old[ROOM].findtext("{storage:bookmarks}nick") == "al"
    a.events()
    # the old client adds a room and drops the first: the new view follows, with events
    st = a2.request("<iq type='set' id='{id}'><query xmlns='jabber:iq:private'><storage "
                    "xmlns='storage:bookmarks'><conference jid='cake@conference.%s' "
                    "name='Cake' autojoin='false'/></storage></query></iq>" % DOMAIN)
    assert st.get("type") == "result", dump(st)
    now = modern_bookmarks(a)
    assert list(now) == ["cake@conference." + DOMAIN], now
    assert now["cake@conference." + DOMAIN].get("name") == "Cake"
    evs = [event_items(m) for m in a.events(BM)]
    assert (BM, [], [ROOM]) in evs and (BM, ["cake@conference." + DOMAIN], []) in evs, evs


def test_bookmarks_are_private_and_survive_a_restart(server):
    for u in ("alice", "bob"):
        server.adduser(u, "pw-" + u)
    a, b = peer(server, "alice"), peer(server, "bob")
    st = a.request("<iq type='set' id='{id}'><query xmlns='jabber:iq:private'><storage "
                        "xmlns='storage:bookmarks'><conference jid='%s' name='Tea'/></storage>"
                        "</query></iq>" % ROOM)
    assert st.get("type") == "result", dump(st)
    st = b.items(BM, to=bare("alice"))
    assert error_condition(st) in ("not-allowed", "not-authorized"), dump(st)
    a.close()
    b.close()
    server.restart()
    a = peer(server, "alice")
    assert list(modern_bookmarks(a)) == [ROOM]
    assert list(private_bookmarks(a)) == [ROOM]


def test_legacy_pep_bookmarks_node_is_kept_in_step(server):
    server.adduser("alice", "pw-alice")
    a = peer(server, "alice")
    st = a.publish("storage:bookmarks", "<storage xmlns='storage:bookmarks'><conference jid='%s'"
                   " autojoin='true'><nick>al</nick></conference></storage>" % ROOM,
                   item_id="current")
    assert st.get("type") == "result", dump(st)
    assert list(modern_bookmarks(a)) == [ROOM]
    a.publish(BM, "<conference xmlns='%s' name='Cake'/>" % BM,
              item_id="cake@conference." + DOMAIN)
    st = a.items("storage:bookmarks")
    jids = sorted(c.get("jid") for c in st.iter("{storage:bookmarks}conference"))
    assert jids == sorted([ROOM, "cake@conference." + DOMAIN]), dump(st)


def vcard(p):
    st = p.request("<iq type='get' id='{id}'><vCard xmlns='vcard-temp'/></iq>")
    return st.find("{vcard-temp}vCard")


def photo_in(pres):
    x = pres.find("{vcard-temp:x:update}x")
    return None if x is None else x.findtext("{vcard-temp:x:update}photo")


def test_avatar_published_reaches_vcard_and_presence_hash(server):
    for u in ("alice", "bob"):
        server.adduser(u, "pw-" + u)
    a, b = peer(server, "alice"), peer(server, "bob")
    subscribe_both(a, b)
    b.show_caps(["urn:xmpp:avatar:metadata"])
    assert a.publish("urn:xmpp:avatar:data", "<data xmlns='urn:xmpp:avatar:data'>%s</data>" % B64,
                     item_id=SHA1).get("type") == "result"
    st = a.publish("urn:xmpp:avatar:metadata", "<metadata xmlns='urn:xmpp:avatar:metadata'>"
                   "<info id='%s' bytes='%d' type='image/png'/></metadata>" % (SHA1, len(IMAGE)),
                   item_id=SHA1)
    assert st.get("type") == "result", dump(st)
    assert [event_items(m)[1] for m in b.events("urn:xmpp:avatar:metadata")] == [[SHA1]]
    card = vcard(a)
    assert card.findtext("{vcard-temp}PHOTO/{vcard-temp}BINVAL") == B64
    assert card.findtext("{vcard-temp}PHOTO/{vcard-temp}TYPE") == "image/png"
    a.send("<presence><show>away</show></presence>")
    pres = b.wait_presence(a.jid)
    assert photo_in(pres) == SHA1, dump(pres)


def test_vcard_photo_becomes_pep_avatar(server):
    for u in ("alice", "bob"):
        server.adduser(u, "pw-" + u)
    a, b = peer(server, "alice"), peer(server, "bob")
    wrapped = "\n".join(B64[i:i + 76] for i in range(0, len(B64), 76))
    st = a.request("<iq type='set' id='{id}'><vCard xmlns='vcard-temp'><FN>Al</FN><PHOTO><TYPE>"
                   "image/png</TYPE><BINVAL>%s</BINVAL></PHOTO></vCard></iq>" % wrapped)
    assert st.get("type") == "result", dump(st)
    st = b.items("urn:xmpp:avatar:metadata", to=bare("alice"))
    assert error_condition(st) == "not-authorized"  # presence model: bob is no contact
    st = a.items("urn:xmpp:avatar:metadata")
    info = st.find(".//{urn:xmpp:avatar:metadata}info")
    assert info is not None, dump(st)
    assert info.get("id") == SHA1 and info.get("bytes") == str(len(IMAGE))
    st = a.items("urn:xmpp:avatar:data")
    assert st.findtext(".//{urn:xmpp:avatar:data}data") == B64


def test_generic_service_with_slixmpp(server):
    for u in ("alice", "bob"):
        server.adduser(u, "pw-" + u)
    service = "pubsub." + DOMAIN

    async def scenario():
        a = await online(server, "alice", "pw-alice")
        b = await online(server, "bob", "pw-bob")
        for c in (a, b):
            c.register_plugin("xep_0030")
            c.register_plugin("xep_0060")
        info = await b["xep_0030"].get_info(jid=service)
        assert ("pubsub", "service") in [(i[0], i[1]) for i in info["disco_info"]["identities"]]
        await a["xep_0060"].create_node(service, "news")
        await b["xep_0060"].subscribe(service, "news")
        got = asyncio.get_event_loop().create_future()
        b.add_event_handler("pubsub_publish", lambda m: got.done() or got.set_result(m))
        await a["xep_0060"].publish(service, "news", id="n1",
                                    payload=ET.fromstring("<n xmlns='urn:example'>hi</n>"))
        msg = await asyncio.wait_for(got, 10)
        assert msg["pubsub_event"]["items"]["item"]["id"] == "n1"
        items = await b["xep_0060"].get_items(service, "news")
        assert [i["id"] for i in items["pubsub"]["items"]] == ["n1"]
        with pytest.raises(IqError) as refused:
            await b["xep_0060"].delete_node(service, "news")
        assert refused.value.iq["error"]["condition"] == "forbidden"
        await a["xep_0060"].delete_node(service, "news")
        with pytest.raises(IqError) as gone:
            await b["xep_0060"].get_items(service, "news")
        assert gone.value.iq["error"]["condition"] == "item-not-found"
        await offline(a, b)

    run(scenario())


def test_pep_between_slixmpp_clients_with_real_caps(server):
    """slixmpp's own entity capabilities (xep_0115) and interests (xep_0163): the server
    asks bob's client what its caps mean, believes the answer, and sends alice's tune."""
    for u in ("alice", "bob"):
        server.adduser(u, "pw-" + u)
    a, b = peer(server, "alice"), peer(server, "bob")
    subscribe_both(a, b)
    a.close()
    b.close()
    tune = "http://jabber.org/protocol/tune"

    async def scenario():
        alice = await online(server, "alice", "pw-alice", presence=False)
        bob = await online(server, "bob", "pw-bob", presence=False)
        for c in (alice, bob):
            for p in ("xep_0030", "xep_0115", "xep_0163", "xep_0060", "xep_0118"):
                c.register_plugin(p)
        bob["xep_0163"].add_interest(tune)
        await bob["xep_0115"].update_caps()
        got = asyncio.get_event_loop().create_future()
        bob.add_event_handler("user_tune_publish",
                              lambda m: got.done() or got.set_result(m))
        alice.send_presence()
        bob.send_presence()
        await asyncio.sleep(0.5)  # the server's question about bob's caps, and its answer
        await alice["xep_0118"].publish_tune(artist="Yes", title="Roundabout")
        msg = await asyncio.wait_for(got, 10)
        assert msg["from"].bare == "alice@" + DOMAIN
        assert msg["pubsub_event"]["items"]["item"]["tune"]["title"] == "Roundabout"
        await offline(alice, bob)

    run(scenario())


def test_bookmark_nodes_are_private_without_options(server):
    for u in ("alice", "bob"):
        server.adduser(u, "pw-" + u)
    a, b = peer(server, "alice"), peer(server, "bob")
    subscribe_both(a, b)
    a.publish(BM, "<conference xmlns='%s' name='Tea'><password>s3cret</password></conference>"
              % BM, item_id=ROOM)
    a.publish("storage:bookmarks", "<storage xmlns='storage:bookmarks'/>", item_id="current")
    for node in (BM, "storage:bookmarks"):
        st = b.items(node, to=bare("alice"))
        assert error_condition(st) == "not-allowed", dump(st)  # a contact, yet not shown
