# SPDX-License-Identifier: MIT
"""Ad-hoc commands (XEP-0050) with the administration commands of XEP-0133, through raw
stanzas and slixmpp: listed to admins only, run in two steps, refused to others, and what
each command does to accounts and sessions."""
import base64

import pytest

from conftest import DOMAIN
from roster_helpers import RosterPeer
from test_routing import C, dump, error_condition
from xmpp_helpers import Raw, online, run

CMD = "{http://jabber.org/protocol/commands}"
X = "{jabber:x:data}"
ITEMS = "http://jabber.org/protocol/disco#items"
ADMIN = "http://jabber.org/protocol/admin#"


@pytest.fixture
def admin_server(server_factory):
    srv = server_factory(adhoc={"admins": "boss@%s other@%s" % (DOMAIN, DOMAIN)})
    for u in ("boss", "bob", "dave"):
        srv.adduser(u, "pw-" + u)
    return srv


def commands(peer):
    st = peer.request("<iq type='get' id='{id}' to='%s'><query xmlns='%s' "
                      "node='http://jabber.org/protocol/commands'/></iq>" % (DOMAIN, ITEMS))
    assert st.get("type") == "result", dump(st)
    return [i.get("node") for i in st.find("{%s}query" % ITEMS)]


def start(peer, name):
    """Executes the command: returns (its <command/>, or the error stanza)."""
    st = peer.request("<iq type='set' id='{id}' to='%s'><command xmlns='http://jabber.org/"
                      "protocol/commands' node='%s%s' action='execute'/></iq>"
                      % (DOMAIN, ADMIN, name))
    return st.find(CMD + "command") if st.get("type") == "result" else st


def fields_xml(fields):
    out = ""
    for var, values in fields.items():
        vals = values if isinstance(values, list) else [values]
        out += "<field var='%s'>%s</field>" % (var, "".join("<value>%s</value>" % v for v in vals))
    return out


def complete(peer, name, sid, fields):
    """Submits the form: returns the reply stanza."""
    sid_attr = "" if sid is None else " sessionid='%s'" % sid
    return peer.request("<iq type='set' id='{id}' to='%s'><command xmlns='http://jabber.org/"
                        "protocol/commands' node='%s%s'%s action='complete'><x xmlns='jabber:"
                        "x:data' type='submit'>%s</x></command></iq>"
                        % (DOMAIN, ADMIN, name, sid_attr, fields_xml(fields)))


def run_cmd(peer, name, fields):
    cmd = start(peer, name)
    assert cmd.get("status") == "executing", dump(cmd)
    st = complete(peer, name, cmd.get("sessionid"), fields)
    assert st.get("type") == "result", dump(st)
    done = st.find(CMD + "command")
    assert done.get("status") == "completed", dump(st)
    return done


def stream_error(peer):
    """Reads the peer's connection to its end; returns what came (the stream error)."""
    peer.raw.sock.settimeout(5)
    data = b""
    while b"</stream:stream>" not in data:
        chunk = peer.raw.sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def login_refused(server, user, password):
    r = Raw(server.port)
    try:
        r.starttls()
        r.open_stream()
        token = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
        r.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>"
               % token)
        return b"not-authorized" in r.read_until(b"</failure>")
    finally:
        r.close()


def test_admin_adds_a_user_and_others_are_refused(admin_server):
    boss, bob = RosterPeer(admin_server, "boss", "r"), RosterPeer(admin_server, "bob", "r")
    assert len(commands(boss)) == 6 and ADMIN + "add-user" in commands(boss)
    assert commands(bob) == []  # a non-admin is shown none
    cmd = start(boss, "add-user")
    x = cmd.find(X + "x")
    assert x.get("type") == "form" and {f.get("var") for f in x.findall(X + "field")} >= \
        {"accountjid", "password", "password-verify"}, dump(cmd)
    st = complete(boss, "add-user", cmd.get("sessionid"),
                  {"accountjid": "carol@" + DOMAIN, "password": "pw-carol",
                   "password-verify": "pw-carol"})
    assert st.find(CMD + "command").get("status") == "completed", dump(st)
    RosterPeer(admin_server, "carol", "r").close()  # carol logs in
    # a session id serves once
    st = complete(boss, "add-user", cmd.get("sessionid"),
                  {"accountjid": "erin@" + DOMAIN, "password": "x", "password-verify": "x"})
    assert error_condition(st) == "bad-request", dump(st)
    assert error_condition(start(bob, "add-user")) == "forbidden"
    st = complete(bob, "add-user", None, {"accountjid": "mallory@" + DOMAIN,
                                          "password": "x", "password-verify": "x"})
    assert error_condition(st) == "forbidden", dump(st)
    assert login_refused(admin_server, "mallory", "x")
    for fields, cond in (({"accountjid": "carol@" + DOMAIN, "password": "a",
                           "password-verify": "a"}, "conflict"),
                         ({"accountjid": "frank@" + DOMAIN, "password": "a",
                           "password-verify": "b"}, "bad-request"),
                         ({"accountjid": "frank@elsewhere.example", "password": "a",
                           "password-verify": "a"}, "bad-request")):
        cmd = start(boss, "add-user")
        st = complete(boss, "add-user", cmd.get("sessionid"), fields)
        assert error_condition(st) == cond, dump(st)
    st = boss.request("<iq type='set' id='{id}' to='%s'><command xmlns='http://jabber.org/"
                      "protocol/commands' node='%snope' action='execute'/></iq>" % (DOMAIN, ADMIN))
    assert error_condition(st) == "item-not-found", dump(st)


def test_online_list_announce_password_sessions_and_deletion(admin_server):
    boss = RosterPeer(admin_server, "boss", "r")
    bob = RosterPeer(admin_server, "bob", "r")
    dave = RosterPeer(admin_server, "dave", "phone")
    done = run_cmd(boss, "get-online-users-list", {"max_items": "100"})
    online_jids = {v.text for v in done.find(X + "x").iter(X + "value")}
    assert {"boss@" + DOMAIN, "bob@" + DOMAIN, "dave@" + DOMAIN} <= online_jids, dump(done)
    run_cmd(boss, "announce", {"subject": "Maintenance", "announcement": ["Down at", "noon"]})
    st = bob.wait_for(lambda s: s.tag == C + "message" and s.get("type") == "headline",
                      "announcement")
    assert st.get("from") == DOMAIN and st.findtext(C + "body") == "Down at\nnoon", dump(st)
    run_cmd(boss, "change-user-password", {"accountjid": "dave@" + DOMAIN, "password": "new"})
    assert login_refused(admin_server, "dave", "pw-dave")
    Raw(admin_server.port).login_plain("dave", "new")
    run_cmd(boss, "end-user-session", {"accountjids": "dave@%s/phone" % DOMAIN})
    assert b"<policy-violation" in stream_error(dave)
    run_cmd(boss, "delete-user", {"accountjids": ["bob@" + DOMAIN]})
    assert b"<not-authorized" in stream_error(bob)
    assert login_refused(admin_server, "bob", "pw-bob")
    cmd = start(boss, "delete-user")
    st = complete(boss, "delete-user", cmd.get("sessionid"), {"accountjids": "not a jid@@"})
    assert error_condition(st) == "bad-request", dump(st)


def test_slixmpp_lists_and_runs_a_command(admin_server):
    async def go():
        c = await online(admin_server, "boss", "pw-boss")
        c.register_plugin("xep_0030")
        c.register_plugin("xep_0050")
        items = await c["xep_0050"].get_commands(DOMAIN)
        nodes = [i[1] for i in items["disco_items"]["items"]]
        assert ADMIN + "get-online-users-list" in nodes
        iq = await c["xep_0050"].send_command(DOMAIN, ADMIN + "get-online-users-list")
        assert iq["command"]["status"] == "executing"
        c.disconnect()

    run(go())
