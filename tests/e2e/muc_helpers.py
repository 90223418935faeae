# SPDX-License-Identifier: MIT
"""Helpers for group chat tests: raw peers that join rooms, speak and administer them."""
import itertools

import pytest

from conftest import DOMAIN
from roster_helpers import RosterPeer
from test_routing import C, dump, error_condition

MUC = "http://jabber.org/protocol/muc"
MUC_USER = "{http://jabber.org/protocol/muc#user}"
MUC_ADMIN = "http://jabber.org/protocol/muc#admin"
MUC_OWNER = "http://jabber.org/protocol/muc#owner"
XDATA = "jabber:x:data"
SERVICE = "conference." + DOMAIN
USERS = ("alice", "bob", "carol", "dave")
_mids = itertools.count(1)


def room_jid(name):
    return "%s@%s" % (name, SERVICE)


def codes(st):
    """The muc#user status codes of a stanza, as a set of ints."""
    x = st.find(MUC_USER + "x")
    return set() if x is None else {int(s.get("code")) for s in x.findall(MUC_USER + "status")}


def item(st):
    """The muc#user <item/> of a presence (None when absent)."""
    x = st.find(MUC_USER + "x")
    return None if x is None else x.find(MUC_USER + "item")


class MucPeer(RosterPeer):
    """A raw peer that speaks XEP-0045."""

    def join(self, room, nick, password=None, history=None, pid=None):
        """Sends the join presence; returns (self presence, others' presences, subject message).
        Raises AssertionError with the error presence when refused."""
        to = "%s/%s" % (room_jid(room), nick)
        inner = ""
        if password is not None:
            inner += "<password>%s</password>" % password
        if history is not None:
            inner += "<history %s/>" % " ".join("%s='%s'" % kv for kv in history.items())
        pid = pid or "j%d" % next(_mids)
        self.send("<presence to='%s' id='%s'><x xmlns='%s'>%s</x></presence>"
                  % (to, pid, MUC, inner))
        others, history_msgs = [], []
        while True:
            st = self.wait_for(lambda s: s.get("from", "").startswith(room_jid(room)),
                               "room stanza from " + room)
            if st.tag == C + "presence" and st.get("type") == "error":
                raise RoomError(st)
            if st.tag == C + "presence" and 110 in codes(st):
                me = st
                break
            others.append(st)
        while True:
            st = self.wait_for(lambda s: s.tag == C + "message" and
                               s.get("from", "").startswith(room_jid(room)), "subject")
            if st.find(C + "subject") is not None and st.find(C + "body") is None:
                return me, others, st, history_msgs
            history_msgs.append(st)

    def join_error(self, room, nick, **kw):
        """A join that must be refused: returns the error condition."""
        with pytest.raises(RoomError) as e:
            self.join(room, nick, **kw)
        return error_condition(e.value.st)

    def create(self, room, nick, config=None):
        """Creates a room (201) and configures it: instant with config None, else the form
        fields given."""
        me, _, _, _ = self.join(room, nick)
        assert 201 in codes(me), dump(me)
        r = self.configure(room, config or {})
        assert r.get("type") == "result", dump(r)
        return me

    def configure(self, room, fields):
        """Submits the owner's configuration form with fields; returns the reply."""
        f = "".join("<field var='%s'><value>%s</value></field>" % (k, v)
                    for k, v in fields.items())
        return self.request("<iq type='set' id='{id}' to='%s'><query xmlns='%s'>"
                            "<x xmlns='%s' type='submit'>%s</x></query></iq>"
                            % (room_jid(room), MUC_OWNER, XDATA, f))

    def say(self, room, text, mid=None, extra=""):
        mid = mid or "m%d" % next(_mids)
        self.send("<message to='%s' type='groupchat' id='%s'><body>%s</body>%s</message>"
                  % (room_jid(room), mid, text, extra))
        return mid

    def wait_groupchat(self, room, text):
        return self.wait_for(lambda s: s.tag == C + "message" and
                             s.get("type") == "groupchat" and
                             s.get("from", "").startswith(room_jid(room)) and
                             s.findtext(C + "body") == text, "groupchat %r" % text)

    def admin(self, room, item_xml, typ="set"):
        return self.request("<iq type='%s' id='{id}' to='%s'><query xmlns='%s'>%s</query></iq>"
                            % (typ, room_jid(room), MUC_ADMIN, item_xml))

    def leave(self, room, nick):
        self.send("<presence to='%s/%s' type='unavailable'/>" % (room_jid(room), nick))
        return self.wait_for(lambda s: s.tag == C + "presence" and
                             s.get("type") == "unavailable" and 110 in codes(s), "leave")


class RoomError(AssertionError):
    def __init__(self, st):
        super().__init__(dump(st))
        self.st = st


@pytest.fixture
def muc(server):
    for u in USERS:
        server.adduser(u, "pw-" + u)
    made = []

    def connect(user, resource="r"):
        p = MucPeer(server, user, resource)
        made.append(p)
        return p

    yield connect
    for p in made:
        p.close()


__all__ = ["C", "MUC", "MUC_USER", "MucPeer", "RoomError", "SERVICE", "codes", "dump",
           "error_condition", "item", "muc", "room_jid"]
