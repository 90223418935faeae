# SPDX-License-Identifier: MIT
"""XEP-0313 message archive with XEP-0359 stanza-ids: stamping, queries by with/ids/dates,
RSM paging both ways, full-text search, corrections and retractions, preferences, metadata,
persistence, privacy, the page cap and every bad input."""
import contextlib
import itertools
import os
import re
import sqlite3
import time

import pytest

from roster_helpers import C, RosterPeer, bare, dump, error_condition, USERS
from test_blocking import block

MAM = "urn:xmpp:mam:2"
M = "{%s}" % MAM
RSM = "{http://jabber.org/protocol/rsm}"
SID = "{urn:xmpp:sid:0}"
FWD = "{urn:xmpp:forward:0}"
DELAY = "{urn:xmpp:delay}"
_ids = itertools.count(1)


def field(var, *values):
    vals = "".join("<value>%s</value>" % v for v in values)
    return "<field var='%s'>%s</field>" % (var, vals)


def query(peer, fields=(), rsm="", extra="", to=None, form_type=MAM, x_type="submit"):
    """Runs a MAM query; returns (results, answer): results are (archive id, stamp, forwarded
    message) in the order sent, answer the iq reply (a result with <fin/> or an error)."""
    n = next(_ids)
    qid, iqid = "qid%d" % n, "mq%d" % n
    form = ""
    if fields or form_type:
        ft = field("FORM_TYPE", form_type) if form_type else ""
        form = "<x xmlns='jabber:x:data' type='%s'>%s%s</x>" % (x_type, ft, "".join(fields))
    if rsm:
        rsm = "<set xmlns='http://jabber.org/protocol/rsm'>%s</set>" % rsm
    t = " to='%s'" % to if to else ""
    peer.send("<iq type='set' id='%s'%s><query xmlns='%s' queryid='%s'>%s%s%s</query></iq>"
              % (iqid, t, MAM, qid, form, rsm, extra))
    results, others = [], []
    while True:
        st = peer.next(10)
        res = st.find(M + "result")
        if st.tag == C + "message" and res is not None and res.get("queryid") == qid:
            fw = res.find(FWD + "forwarded")
            results.append((res.get("id"), fw.find(DELAY + "delay").get("stamp"),
                            fw.find(C + "message")))
        elif st.tag == C + "iq" and st.get("id") == iqid:
            peer.queue[:0] = others
            return results, st
        else:
            others.append(st)


def ok(answer):
    assert answer.get("type") == "result", dump(answer)
    return answer.find(M + "fin")


def bodies(results):
    return [m.findtext(C + "body") for _, _, m in results]


def send_chat(frm, to, text, mid=None, extra=""):
    mid = mid or "m%d" % next(_ids)
    frm.send("<message to='%s' type='chat' id='%s'><body>%s</body>%s</message>"
             % (to, mid, text, extra))
    return mid


def received(peer, text, timeout=5):
    return peer.wait_for(lambda s: s.tag == C + "message" and s.findtext(C + "body") == text,
                         "message %r" % text, timeout)


def converse(frm, to_peer, texts):
    """frm sends each text to to_peer's account, and to_peer gets them (so they are stored)."""
    to = to_peer.jid.split("/")[0]
    for t in texts:
        send_chat(frm, to, t)
    for t in texts:
        received(to_peer, t)


@contextlib.contextmanager
def alice_and_bob(srv):
    """On a server of a test's own: the accounts made, alice and bob online and available."""
    for u in USERS:
        srv.adduser(u, "pw-" + u)
    with online(srv) as peers:
        yield peers


@contextlib.contextmanager
def online(srv):
    """alice and bob (accounts made) online and available."""
    a, b = RosterPeer(srv, "alice", "r"), RosterPeer(srv, "bob", "r")
    try:
        a.available(0)
        b.available(0)
        yield a, b
    finally:
        a.close()
        b.close()


@pytest.fixture
def pair(server):
    """alice and bob online and available (raw peers), carol's account made."""
    for u in USERS:
        server.adduser(u, "pw-" + u)
    made = []

    def connect(user, resource="r"):
        p = RosterPeer(server, user, resource)
        p.available(0)
        made.append(p)
        return p

    yield connect
    for p in made:
        p.close()


def test_stanza_id_stamped_and_claimed_one_stripped(pair):
    a, b = pair("alice"), pair("bob")
    claim = ("<stanza-id xmlns='urn:xmpp:sid:0' by='bob@localhost' id='forged'/>"
             "<stanza-id xmlns='urn:xmpp:sid:0' by='localhost' id='forged2'/>"
             "<stanza-id xmlns='urn:xmpp:sid:0' by='room@elsewhere.example' id='theirs'/>"
             "<origin-id xmlns='urn:xmpp:sid:0' id='orig-1'/>")
    send_chat(a, bare("bob"), "hi with claims", extra=claim)
    st = received(b, "hi with claims")
    sids = [(s.get("by"), s.get("id")) for s in st.findall(SID + "stanza-id")]
    ours = [i for by, i in sids if by == "bob@localhost"]
    assert len(ours) == 1 and ours[0] not in ("forged", "forged2"), dump(st)
    assert ("localhost", "forged2") not in sids
    assert ("room@elsewhere.example", "theirs") in sids  # not ours to judge
    assert st.find(SID + "origin-id").get("id") == "orig-1"
    # The id names the message in bob's archive, and in alice's: both keep the same message.
    res, ans = query(b, [field("ids", ours[0])])
    ok(ans)
    assert [r[0] for r in res] == ours and bodies(res) == ["hi with claims"]
    mine, ans = query(a, [field("with", bare("bob"))])
    ok(ans)
    assert bodies(mine) == ["hi with claims"] and mine[0][0] == ours[0]
    kept = mine[0][2]
    assert all(s.get("by") not in ("bob@localhost", "localhost")
               for s in kept.findall(SID + "stanza-id")), dump(kept)


def test_stanza_ids_sort_in_archive_order(pair):
    """Ids grow with time in both archives (an archive's id index then grows at its end)."""
    a, b = pair("alice"), pair("bob")
    texts = ["in order %d" % i for i in range(10)]
    converse(a, b, texts)
    for peer, other in ((b, "alice"), (a, "bob")):
        res, ans = query(peer, [field("with", bare(other))])
        ok(ans)
        ids = [r[0] for r in res]
        assert bodies(res) == texts and ids == sorted(ids) and len(set(ids)) == 10, ids


def test_with_forward_paging_last_page_and_count(pair):
    a, b, c = pair("alice"), pair("bob"), pair("carol")
    texts = ["to bob %d" % i for i in range(7)]
    converse(a, b, texts)
    converse(a, c, ["to carol %d" % i for i in range(3)])
    converse(b, a, ["from bob"])
    withbob = [field("with", bare("bob"))]
    res, ans = query(a, withbob, rsm="<max>50</max>")
    fin = ok(ans)
    assert bodies(res) == texts + ["from bob"]
    assert fin.get("complete") == "true" and fin.findtext(RSM + "set/" + RSM + "count") == "8"
    # forward with <after/>: no overlap, no gap
    seen, after, pages = [], None, 0
    while True:
        rsm = "<max>3</max>" + ("<after>%s</after>" % after if after else "")
        res, ans = query(a, withbob, rsm=rsm)
        fin = ok(ans)
        pages += 1
        seen += res
        s = fin.find(RSM + "set")
        assert s.findtext(RSM + "first") == res[0][0] and s.findtext(RSM + "last") == res[-1][0]
        after = res[-1][0]
        if fin.get("complete") == "true":
            break
        assert pages < 5
    assert pages == 3 and bodies(seen) == texts + ["from bob"]
    ids = [r[0] for r in seen]
    assert len(set(ids)) == len(ids)
    # the last page with an empty <before/>, then the one before it
    res, ans = query(a, withbob, rsm="<max>3</max><before/>")
    fin = ok(ans)
    assert bodies(res) == texts[5:] + ["from bob"] and fin.get("complete") != "true"
    res2, ans = query(a, withbob, rsm="<max>3</max><before>%s</before>" % res[0][0])
    assert bodies(res2) == texts[2:5]
    res3, ans = query(a, withbob, rsm="<max>3</max><before>%s</before>" % res2[0][0])
    assert bodies(res3) == texts[:2] and ok(ans).get("complete") == "true"
    # flip-page: the same page, newest first
    res, ans = query(a, withbob, rsm="<max>3</max><before/>", extra="<flip-page/>")
    assert bodies(res) == list(reversed(texts[5:] + ["from bob"]))
    # a full JID narrows to that resource; carol's conversation stays apart
    res, ans = query(a, [field("with", bare("bob") + "/r")])
    assert bodies(res) == ["from bob"]
    res, ans = query(a, [field("with", bare("carol"))])
    assert bodies(res) == ["to carol %d" % i for i in range(3)]
    # bob's archive holds the same conversation from his side
    res, ans = query(b, [field("with", bare("alice"))])
    assert bodies(res) == texts + ["from bob"]


def test_ids_start_end_and_extended_ids(pair):
    a, b = pair("alice"), pair("bob")
    texts = ["msg %d" % i for i in range(6)]
    converse(a, b, texts)
    res, ans = query(a)
    ok(ans)
    ids = [r[0] for r in res]
    stamps = [r[1] for r in res]
    got, ans = query(a, [field("ids", ids[4], ids[1])])
    assert bodies(got) == ["msg 1", "msg 4"]
    got, ans = query(a, [field("start", stamps[2]), field("end", stamps[4])])
    assert bodies(got) == ["msg 2", "msg 3", "msg 4"]
    got, ans = query(a, [field("after-id", ids[1]), field("before-id", ids[4])])
    assert bodies(got) == ["msg 2", "msg 3"]
    got, ans = query(a, [field("start", "2000-01-01T00:00:00Z"),
                         field("end", "2000-12-31T23:59:59+02:00")])
    assert got == [] and ok(ans).get("complete") == "true"


def test_fulltext_search(pair):
    a, b = pair("alice"), pair("bob")
    converse(a, b, ["the red apple", "a green pear", "Red wine tonight", "apple pie"])
    converse(b, a, ["an apple for you"])
    ft = "{urn:xmpp:fulltext:0}fulltext"
    res, ans = query(a, [field(ft, "apple")])
    ok(ans)
    assert bodies(res) == ["the red apple", "apple pie", "an apple for you"]
    res, ans = query(a, [field(ft, "RED")])
    assert bodies(res) == ["the red apple", "Red wine tonight"]
    res, ans = query(a, [field(ft, "red apple")])  # every word
    assert bodies(res) == ["the red apple"]
    res, ans = query(a, [field(ft, "apple")], rsm="<max>1</max><before/>")
    assert bodies(res) == ["an apple for you"] and ok(ans).get("complete") != "true"
    res, ans = query(a, [field(ft, "apple"), field("with", bare("bob"))], rsm="<max>2</max>")
    assert bodies(res) == ["the red apple", "apple pie"]
    res, ans = query(a, [field(ft, "\"apple\" OR *")])  # search syntax is only words
    ok(ans)
    assert res == []
    res, ans = query(b, [field(ft, "wine")])
    assert bodies(res) == ["Red wine tonight"]


def test_archive_survives_restart(server, pair):
    a, b = pair("alice"), pair("bob")
    converse(a, b, ["before restart 1", "before restart 2"])
    before, _ = query(a)
    a.close()
    b.close()
    server.restart()
    a2 = pair("alice", "again")
    res, ans = query(a2, [field("with", bare("bob"))])
    ok(ans)
    assert [(r[0], r[1]) for r in res] == [(r[0], r[1]) for r in before]
    assert bodies(res) == ["before restart 1", "before restart 2"]


@pytest.mark.parametrize("how", ["parleyctl", "in-band"])
def test_deleted_account_leaves_the_peers_archive(server_factory, how):
    """A deleted account's archive goes, its peer's stays whole and searchable: the rows
    both kept lose the deleted owner's token in the index (indexed rows and newer ones),
    through parleyctl's process or the server's own."""
    srv = server_factory(allow_registration=True)
    ft = "{urn:xmpp:fulltext:0}fulltext"
    with alice_and_bob(srv) as (a, b):
        converse(a, b, ["shared apple one", "shared apple two"])
        converse(b, a, ["a pear back"])
    srv.restart()  # the index takes what is pending at start
    assert indexed_rows(srv) == 3
    with online(srv) as (a, b):
        converse(a, b, ["an apple after the index"])
        if how == "parleyctl":
            a.close()
            r = srv.ctl("deluser", "alice@localhost")
            assert "deleted alice@localhost" in r.stdout, r.stdout + r.stderr
        else:
            a.raw.send("<iq type='set' id='rm'><query xmlns='jabber:iq:register'><remove/>"
                       "</query></iq>")
            data = a.raw.read_all()  # the result, then the stream's end
            answer = re.search(rb"<iq [^>]*id=['\"]rm['\"][^>]*>", data)
            assert answer and b"result" in answer.group(0), data
        every = ["shared apple one", "shared apple two", "a pear back",
                 "an apple after the index"]
        res, ans = query(b, [field("with", bare("alice"))])
        ok(ans)
        assert bodies(res) == every
        res, _ = query(b, [field(ft, "apple")])
        assert bodies(res) == [every[0], every[1], every[3]]
        srv.adduser("alice", "pw-alice")  # someone else takes the name: an empty archive
        a2 = RosterPeer(srv, "alice", "new")
        try:
            res, ans = query(a2)
            ok(ans)
            assert res == []
            res, _ = query(a2, [field(ft, "apple")])
            assert res == []
        finally:
            a2.close()
    assert srv.alive(), srv.log()


def indexed_rows(srv):
    """Archived messages in the full-text index (the server indexes in its first turns after
    a start: waited for, up to 10 s)."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(srv.data, "parley.db"), uri=True)
    try:
        for _ in range(100):
            n = db.execute("SELECT count(*) FROM archive_msgs"
                           " WHERE id <= (SELECT upto FROM archive_fts_state)").fetchone()[0]
            if n:
                return n
            time.sleep(0.1)
        return 0
    finally:
        db.close()


def test_archived_copies_commit_within_the_lazy_interval(server, pair):
    """Copies of delivered messages wait in memory for a commit, but no longer than
    commit_lazy_ms (500 ms by default): a kill -9 a little later loses none."""
    a, b = pair("alice"), pair("bob")
    texts = ["kept through a crash %d" % i for i in range(20)]
    converse(a, b, texts)  # no query, no ack: nothing else asks for a commit
    time.sleep(1.0)
    server.stop(sig=9)
    server.start()
    a2 = pair("alice", "again")
    res, ans = query(a2, [field("with", bare("bob"))])
    ok(ans)
    assert bodies(res) == texts


def test_correction_and_retraction_in_history(pair):
    a, b = pair("alice"), pair("bob")
    send_chat(a, bare("bob"), "helo wrld", mid="orig1",
              extra="<origin-id xmlns='urn:xmpp:sid:0' id='orig1'/>")
    received(b, "helo wrld")
    send_chat(a, bare("bob"), "hello world", mid="fix1",
              extra="<replace xmlns='urn:xmpp:message-correct:0' id='orig1'/>")
    received(b, "hello world")
    send_chat(a, bare("bob"), "my secret", mid="sec1",
              extra="<origin-id xmlns='urn:xmpp:sid:0' id='sec1'/>")
    received(b, "my secret")
    send_chat(a, bare("bob"), "retracted (fallback)", mid="ret1",
              extra="<retract xmlns='urn:xmpp:message-retract:1' id='sec1'/>"
                    "<store xmlns='urn:xmpp:hints'/>")
    received(b, "retracted (fallback)")
    for peer in (a, b):
        res, ans = query(peer)
        ok(ans)
        msgs = [m for _, _, m in res]
        first = msgs[0]
        assert first.findtext(C + "body") == "hello world" and first.get("id") == "orig1"
        assert first.find("{urn:xmpp:message-correct:0}replace") is None
        tomb = [m for m in msgs if m.get("id") == "sec1"]
        assert len(tomb) == 1 and tomb[0].find(C + "body") is None, dump(tomb[0])
        assert tomb[0].find("{urn:xmpp:message-retract:1}retracted") is not None
        assert "my secret" not in bodies(res) and "helo wrld" not in bodies(res)
        ft, ans = query(peer, [field("{urn:xmpp:fulltext:0}fulltext", "secret")])
        assert ft == []


def test_offline_message_archived_once(pair):
    a = pair("alice")
    send_chat(a, bare("bob"), "while you were away")  # bob has no session: kept offline
    res, ans = query(a)
    ok(ans)
    assert bodies(res) == ["while you were away"]
    b = pair("bob")  # the initial presence brings the kept message, stamped when it came
    st = received(b, "while you were away")
    ours = [s.get("id") for s in st.findall(SID + "stanza-id") if s.get("by") == bare("bob")]
    assert len(ours) == 1, dump(st)
    res, ans = query(b)
    ok(ans)
    assert [r[0] for r in res] == ours and bodies(res) == ["while you were away"]


def test_blocked_sender_not_archived(pair):
    a, b, c = pair("alice"), pair("bob"), pair("carol")
    block(b, bare("alice"))
    send_chat(a, bare("bob"), "you blocked me")
    st = a.wait_for(lambda s: s.tag == C + "message" and s.get("type") == "error", "bounce")
    assert error_condition(st) == "service-unavailable", dump(st)
    converse(c, b, ["carol still talks"])
    res, ans = query(b)
    ok(ans)
    assert bodies(res) == ["carol still talks"]
    res, ans = query(a)  # refused: in nobody's archive, the sender's neither
    assert res == [] and ok(ans).get("complete") == "true"


def test_preferences_and_hints(pair):
    a, b = pair("alice"), pair("bob")
    n = next(_ids)
    b.send("<iq type='get' id='pg%d'><prefs xmlns='%s'/></iq>" % (n, MAM))
    st = b.wait_for(lambda s: s.get("id") == "pg%d" % n, "prefs")
    assert st.find(M + "prefs").get("default") == "always"
    b.send("<iq type='set' id='ps%d'><prefs xmlns='%s' default='never'><always>"
           "<jid>carol@localhost</jid></always><never><jid>alice@localhost</jid></never>"
           "</prefs></iq>" % (n, MAM))
    st = b.wait_for(lambda s: s.get("id") == "ps%d" % n, "prefs set")
    p = st.find(M + "prefs")
    assert p.get("default") == "never", dump(st)
    assert p.findtext(M + "always/" + M + "jid") == "carol@localhost"
    assert p.findtext(M + "never/" + M + "jid") == "alice@localhost"
    send_chat(a, bare("bob"), "not for bob's archive")
    st = received(b, "not for bob's archive")
    assert st.find(SID + "stanza-id") is None  # not archived: no id
    send_chat(a, bare("bob"), "no store", extra="<no-store xmlns='urn:xmpp:hints'/>")
    received(b, "no store")
    res, _ = query(b)
    assert res == []
    res, _ = query(a)
    assert bodies(res) == ["not for bob's archive"]  # alice keeps what she sent


def test_disco_form_and_metadata(pair):
    a, b = pair("alice"), pair("bob")
    a.send("<iq type='get' id='d1' to='alice@localhost'>"
           "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
    st = a.wait_for(lambda s: s.get("id") == "d1", "disco")
    feats = {f.get("var") for f in st.iter("{http://jabber.org/protocol/disco#info}feature")}
    assert {MAM, MAM + "#extended", "urn:xmpp:fulltext:0"} <= feats, dump(st)
    a.send("<iq type='get' id='f1'><query xmlns='%s'/></iq>" % MAM)
    st = a.wait_for(lambda s: s.get("id") == "f1", "form")
    vars_ = {f.get("var") for f in st.iter("{jabber:x:data}field")}
    assert {"FORM_TYPE", "with", "start", "end", "before-id", "after-id", "ids",
            "{urn:xmpp:fulltext:0}fulltext"} <= vars_
    a.send("<iq type='get' id='md0'><metadata xmlns='%s'/></iq>" % MAM)
    st = a.wait_for(lambda s: s.get("id") == "md0", "metadata")
    assert st.get("type") == "result" and len(st.find(M + "metadata")) == 0
    converse(a, b, ["one", "two", "three"])
    res, _ = query(a)
    a.send("<iq type='get' id='md1'><metadata xmlns='%s'/></iq>" % MAM)
    st = a.wait_for(lambda s: s.get("id") == "md1", "metadata")
    md = st.find(M + "metadata")
    assert md.find(M + "start").get("id") == res[0][0]
    assert md.find(M + "end").get("id") == res[-1][0]
    assert md.find(M + "end").get("timestamp") == res[-1][1]
    # Right after a delivery, with no query in between: the newest is there already.
    send_chat(a, bare("bob"), "four")
    sid = received(b, "four").find(SID + "stanza-id").get("id")
    a.send("<iq type='get' id='md2'><metadata xmlns='%s'/></iq>" % MAM)
    st = a.wait_for(lambda s: s.get("id") == "md2", "metadata")
    assert st.find(M + "metadata").find(M + "end").get("id") == sid, dump(st)


def test_max_is_clamped(server_factory):
    srv = server_factory(archive={"max_page": 3})
    with alice_and_bob(srv) as (a, b):
        converse(a, b, ["c%d" % i for i in range(5)])
        res, ans = query(a, rsm="<max>1000</max>")
        fin = ok(ans)
        assert bodies(res) == ["c0", "c1", "c2"] and fin.get("complete") != "true"
        res, ans = query(a)  # no <max/>: the cap is the page size
        assert len(res) == 3


def test_default_preference_from_config(server_factory):
    srv = server_factory(archive={"default": "never"})
    with alice_and_bob(srv) as (a, b):
        send_chat(a, bare("bob"), "unarchived")
        st = received(b, "unarchived")
        assert st.find(SID + "stanza-id") is None, dump(st)
        for peer in (a, b):
            res, ans = query(peer)
            assert res == [] and ok(ans).get("complete") == "true"
        b.send("<iq type='get' id='pg'><prefs xmlns='%s'/></iq>" % MAM)
        st = b.wait_for(lambda s: s.get("id") == "pg", "prefs")
        assert st.find(M + "prefs").get("default") == "never", dump(st)
        # an account's own preference wins over the server's default
        b.send("<iq type='set' id='ps'><prefs xmlns='%s' default='always'/></iq>" % MAM)
        assert b.wait_for(lambda s: s.get("id") == "ps", "prefs set").get("type") == "result"
        send_chat(a, bare("bob"), "archived for bob")
        st = received(b, "archived for bob")
        assert st.find(SID + "stanza-id") is not None, dump(st)
        res, _ = query(b)
        assert bodies(res) == ["archived for bob"]
        res, _ = query(a)
        assert res == []


BAD = [
    ("unknown field", dict(fields=[field("colour", "red")]), "bad-request"),
    ("wrong FORM_TYPE", dict(form_type="urn:xmpp:mam:1"), "bad-request"),
    ("form not submitted", dict(x_type="form"), "bad-request"),
    ("bad start", dict(fields=[field("start", "yesterday")]), "bad-request"),
    ("bad end", dict(fields=[field("end", "2020-02-30T00:00:00Z")]), "bad-request"),
    ("bad zone", dict(fields=[field("start", "2020-01-01T00:00:00+25:00")]), "bad-request"),
    ("bad with", dict(fields=[field("with", "a@b@c")]), "bad-request"),
    ("negative max", dict(rsm="<max>-1</max>"), "bad-request"),
    ("max not a number", dict(rsm="<max>ten</max>"), "bad-request"),
    ("empty after", dict(rsm="<after/>"), "bad-request"),
    ("unknown RSM after", dict(rsm="<after>nope</after>"), "item-not-found"),
    ("unknown RSM before", dict(rsm="<before>nope</before>"), "item-not-found"),
    ("unknown after-id", dict(fields=[field("after-id", "nope")]), "item-not-found"),
    ("unknown before-id", dict(fields=[field("before-id", "nope")]), "item-not-found"),
    ("unknown ids", dict(fields=[field("ids", "nope")]), "item-not-found"),
    ("another's archive", dict(to="bob@localhost"), "forbidden"),
    ("RSM index", dict(rsm="<index>1</index>"), "feature-not-implemented"),
    ("more ids than a page", dict(fields=[field("ids", *["x%d" % i for i in range(251)])]),
     "policy-violation"),
]


def test_bad_input_answers_and_changes_nothing(pair):
    a, b = pair("alice"), pair("bob")
    converse(a, b, ["kept 1", "kept 2"])
    before, _ = query(a)
    for name, kw, cond in BAD:
        res, ans = query(a, **kw)
        assert error_condition(ans) == cond, "%s: %s" % (name, dump(ans))
        assert res == [], name
    for mode in ("sometimes", ""):
        a.send("<iq type='set' id='pb-%s'><prefs xmlns='%s' default='%s'/></iq>"
               % (mode, MAM, mode))
        st = a.wait_for(lambda s: s.get("id") == "pb-" + mode, "prefs error")
        assert error_condition(st) == "bad-request", dump(st)
    a.send("<iq type='get' id='pb-get'><prefs xmlns='%s'/></iq>" % MAM)
    st = a.wait_for(lambda s: s.get("id") == "pb-get", "prefs")
    assert st.find(M + "prefs").get("default") == "always"
    after, ans = query(a)
    ok(ans)
    assert [(r[0], r[1]) for r in after] == [(r[0], r[1]) for r in before]


def test_retention_purges_old_messages(server_factory):
    srv = server_factory(archive={"retention": 2})
    with alice_and_bob(srv) as (a, b):
        converse(a, b, ["old 1", "old 2"])
        res, _ = query(a)
        assert bodies(res) == ["old 1", "old 2"]
    # Messages age past the retention (that takes real time), then a purge round runs at start.
    time.sleep(2.5)
    srv.restart()
    a = RosterPeer(srv, "alice", "r2")
    try:
        left = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            left, _ = query(a)
            if not left:
                break
            time.sleep(0.1)
        assert left == []
    finally:
        a.close()
