# SPDX-License-Identifier: MIT
"""Receipts (XEP-0184), chat markers (XEP-0333), chat states (XEP-0085), corrections
(XEP-0308) and retractions (XEP-0424) reach an online recipient unchanged, and the other
carbons-enabled resources of both parties get them as carbon copies (XEP-0280 §6)."""
import itertools
import xml.etree.ElementTree as ET

from roster_helpers import C, dump, peers  # noqa: F401
from test_carbons import CB, FW, carbons

_ids = itertools.count(1)

KINDS = [
    ("body with receipt request and markable",
     "<body>hello</body><request xmlns='urn:xmpp:receipts'/>"
     "<markable xmlns='urn:xmpp:chat-markers:0'/>"
     "<origin-id xmlns='urn:xmpp:sid:0' id='o-1'/>"),
    ("receipt", "<received xmlns='urn:xmpp:receipts' id='m-1'/>"),
    ("displayed marker", "<displayed xmlns='urn:xmpp:chat-markers:0' id='m-1'/>"),
    ("composing", "<composing xmlns='http://jabber.org/protocol/chatstates'/>"),
    ("paused", "<paused xmlns='http://jabber.org/protocol/chatstates'/>"),
    ("correction", "<body>hello!</body><replace xmlns='urn:xmpp:message-correct:0' id='m-1'/>"),
    ("retraction",
     "<retract xmlns='urn:xmpp:message-retract:1' id='m-1'/>"
     "<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:message-retract:1'/>"
     "<body>This person attempted to retract a previous message.</body>"
     "<store xmlns='urn:xmpp:hints'/>"),
]


SERVER_SID = "{urn:xmpp:sid:0}stanza-id"  # the archive's stamp (XEP-0359), added on the way


def shape(el):
    """Everything about an element but its 'from'/'to' stamps and the server's stanza-ids:
    compared across delivery."""
    attrs = sorted((k, v) for k, v in el.attrib.items() if k not in ("from", "to"))
    return (el.tag, attrs, (el.text or "").strip(),
            [shape(c) for c in el if c.tag != SERVER_SID])


def carbon_of(st, direction):
    w = st.find(CB + direction)
    return None if w is None else w.find(FW + "forwarded").find(C + "message")


def test_routed_unchanged_and_copied(peers):
    a1, a2 = peers("alice", "one", presence=1), peers("alice", "two", presence=0)
    b1, b2 = peers("bob", "one", presence=1), peers("bob", "two", presence=0)
    for p in (a1, a2, b1, b2):
        carbons(p)
    for name, inner in KINDS:
        mid = "k%d" % next(_ids)
        xml = "<message to='%s' type='chat' id='%s'>%s</message>" % (b1.jid, mid, inner)
        a1.send(xml)
        want = shape(ET.fromstring(xml.replace("<message ", "<message xmlns='jabber:client' ", 1)))
        got = b1.wait_for(lambda s: s.get("id") == mid, name)
        assert got.get("from") == a1.jid, dump(got)
        assert shape(got) == want, (name, dump(got))
        sent = a2.wait_for(lambda s: carbon_of(s, "sent") is not None, "sent copy: " + name)
        assert shape(carbon_of(sent, "sent")) == want, (name, dump(sent))
        recv = b2.wait_for(lambda s: carbon_of(s, "received") is not None,
                           "received copy: " + name)
        assert shape(carbon_of(recv, "received")) == want, (name, dump(recv))
    for p in (a1, a2, b1, b2):
        assert [dump(s) for s in p.drain() if s.tag == C + "message"] == []
