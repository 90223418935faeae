# SPDX-License-Identifier: MIT
"""Helpers for roster, subscription and last-activity tests: raw peers that speak roster."""
import itertools
import time

import pytest

from conftest import DOMAIN
from test_routing import C, Peer, dump, error_condition

R = "{jabber:iq:roster}"
USERS = ("alice", "bob", "carol")
_rids = itertools.count(1)


def bare(user):
    return "%s@%s" % (user, DOMAIN)


class RosterPeer(Peer):
    """A raw peer with roster and subscription helpers."""

    def request(self, xml):
        """Sends a stanza carrying id='{id}' and returns the reply; other stanzas stay queued."""
        sid = "q%d" % next(_rids)
        self.send(xml.format(id=sid))
        return self.wait_for(lambda st: st.get("id") == sid, "reply " + sid, timeout=10)

    def roster(self, ver=None):
        """Asks for the roster; returns (ver, {jid: item element}) or None for an empty result."""
        v = "" if ver is None else " ver='%s'" % ver
        st = self.request("<iq type='get' id='{id}'><query xmlns='jabber:iq:roster'%s/></iq>" % v)
        assert st.get("type") == "result", dump(st)
        q = st.find(R + "query")
        if q is None:
            return None
        return q.get("ver"), {i.get("jid"): i for i in q.findall(R + "item")}

    def set_item(self, jid, name=None, groups=(), extra=""):
        n = "" if name is None else " name='%s'" % name
        g = "".join("<group>%s</group>" % x for x in groups)
        return self.request("<iq type='set' id='{id}'><query xmlns='jabber:iq:roster'>"
                            "<item jid='%s'%s%s>%s</item></query></iq>" % (jid, n, extra, g))

    def pres(self, to, ptype, status=None):
        s = "" if status is None else "<status>%s</status>" % status
        self.send("<presence to='%s' type='%s'>%s</presence>" % (to, ptype, s))

    def wait_for(self, pred, what, timeout=5):
        """Returns the first stanza matching pred; the others stay queued."""
        deadline = time.monotonic() + timeout
        seen = []
        try:
            while True:
                st = self.next(max(0.05, deadline - time.monotonic()))
                if pred(st):
                    return st
                seen.append(st)
        except AssertionError:
            raise AssertionError("%s: no %s; got %s" % (self.jid, what, [dump(s) for s in seen]))
        finally:
            self.queue[:0] = seen

    def wait_presence(self, frm, ptype=None, timeout=5):
        return self.wait_for(lambda st: st.tag == C + "presence" and
                             st.get("from") == frm and st.get("type") == ptype,
                             "presence type=%s from %s" % (ptype, frm), timeout)

    def wait_push(self, jid, timeout=5):
        """The next roster push about jid (answered, as RFC 6121 §2.1.6 asks)."""
        st = self.wait_for(lambda s: s.tag == C + "iq" and s.get("type") == "set" and
                           s.find(R + "query") is not None and
                           s.find(R + "query/" + R + "item").get("jid") == jid,
                           "roster push for %s" % jid, timeout)

        self.send("<iq type='result' id='%s'/>" % st.get("id"))
        return st.find(R + "query"), st.find(R + "query/" + R + "item")

    def drain(self):
        """Everything that arrived so far, leaving the queue empty."""
        got = self.queue + self.sync()
        self.queue.clear()
        return got


def item_state(item):
    return item.get("subscription"), item.get("ask")


@pytest.fixture
def peers(server):
    for u in USERS:
        server.adduser(u, "pw-" + u)
    made = []

    def connect(user, resource="r", presence=None, roster=True):
        p = RosterPeer(server, user, resource)
        made.append(p)
        if roster:
            p.roster()
        if presence is not None:
            p.available(presence)
        return p

    yield connect
    for p in made:
        p.close()


def subscribe_both(a, b):
    """a and b (online, available, roster requested) subscribe to each other."""
    ja, jb = a.jid.split("/")[0], b.jid.split("/")[0]
    for x, y, jx, jy in ((a, b, ja, jb), (b, a, jb, ja)):
        x.pres(jy, "subscribe")
        y.wait_for(lambda st: st.get("type") == "subscribe" and st.get("from") == jx,
                   "subscribe from " + jx)
        y.pres(jx, "subscribed")
        x.wait_for(lambda st: st.get("type") == "subscribed" and st.get("from") == jy,
                   "subscribed from " + jy)
    a.drain()
    b.drain()


__all__ = ["C", "R", "RosterPeer", "bare", "dump", "error_condition", "item_state", "peers",
           "subscribe_both"]
