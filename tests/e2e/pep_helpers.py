# SPDX-License-Identifier: MIT
"""Helpers for PEP and pubsub tests: raw peers that show entity capabilities (XEP-0115) and
answer the server's disco#info about them, and publish/read requests."""
import base64
import hashlib

from conftest import DOMAIN
from roster_helpers import RosterPeer, bare
from test_routing import C, dump

PS = "http://jabber.org/protocol/pubsub"
PSE = "{http://jabber.org/protocol/pubsub#event}"
INFO = "http://jabber.org/protocol/disco#info"
CAPS_NODE = "https://parley.example/tests"


def caps_ver(features, identity=("client", "pc", "", "test")):
    """XEP-0115 §5.1 for one identity and features, SHA-1 in base64."""
    s = "/".join(identity) + "<" + "".join(f + "<" for f in sorted(features))
    return base64.b64encode(hashlib.sha1(s.encode()).digest()).decode()


def info_xml(features, identity=("client", "pc", "", "test")):
    ident = "<identity category='%s' type='%s' name='%s'/>" % (identity[0], identity[1],
                                                              identity[3])
    return ident + "".join("<feature var='%s'/>" % f for f in features)


class PepPeer(RosterPeer):
    """A raw peer whose presence carries caps for the nodes it wants (node+notify)."""

    def show_caps(self, notify=(), answer=True, lie=False, resend=True):
        """Sends available presence with caps (unless not resend: then only waits for the
        question); answers the server's disco#info (with other features when lie). Returns
        the question the server asked, or None."""
        feats = [INFO] + [n + "+notify" for n in notify]
        ver = caps_ver(feats)
        if resend:
            self.send("<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
                      "node='%s' ver='%s'/></presence>" % (CAPS_NODE, ver))
        try:
            q = self.wait_for(lambda st: st.tag == C + "iq" and st.get("type") == "get" and
                              st.find("{%s}query" % INFO) is not None, "caps query", 2)
        except AssertionError:
            return None  # known already: no question
        if answer:
            told = feats + (["urn:example:extra"] if lie else [])
            self.send("<iq type='result' id='%s' to='%s'><query xmlns='%s' node='%s'>%s"
                      "</query></iq>" % (q.get("id"), q.get("from"), INFO,
                                         q.find("{%s}query" % INFO).get("node"),
                                         info_xml(told)))
        return q

    def publish(self, node, payload, item_id=None, to=None, options=None):
        t = "" if to is None else " to='%s'" % to
        i = "" if item_id is None else " id='%s'" % item_id
        opts = "" if options is None else (
            "<publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' "
            "type='hidden'><value>%s#publish-options</value></field>%s</x></publish-options>"
            % (PS, "".join("<field var='pubsub#%s'><value>%s</value></field>" % kv
                           for kv in options.items())))
        return self.request("<iq type='set' id='{id}'%s><pubsub xmlns='%s'><publish node='%s'>"
                            "<item%s>%s</item></publish>%s</pubsub></iq>"
                            % (t, PS, node, i, payload, opts))

    def items(self, node, to=None, extra=""):
        t = "" if to is None else " to='%s'" % to
        return self.request("<iq type='get' id='{id}'%s><pubsub xmlns='%s'><items node='%s'%s/>"
                            "</pubsub></iq>" % (t, PS, node, extra))

    def events(self, node=None, timeout=2):
        """The pubsub event messages that arrived (for node), in order, removed from the
        queue."""
        got = [s for s in self.drain() if s.tag == C + "message" and s.find(PSE + "event")
               is not None]
        if node is not None:
            got = [s for s in got if s.find(PSE + "event")[0].get("node") == node]
        return got


def event_items(msg):
    """(node, [item ids], [retracted ids]) of an event message."""
    items = msg.find(PSE + "event/" + PSE + "items")
    return (items.get("node"), [i.get("id") for i in items.findall(PSE + "item")],
            [r.get("id") for r in items.findall(PSE + "retract")])


__all__ = ["C", "CAPS_NODE", "DOMAIN", "INFO", "PS", "PSE", "PepPeer", "bare", "caps_ver",
           "dump", "event_items", "info_xml"]
