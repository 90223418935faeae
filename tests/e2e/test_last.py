# SPDX-License-Identifier: MIT
"""XEP-0012 last activity: server uptime, an account's last logout, who may ask."""
import time

from conftest import DOMAIN
from roster_helpers import C, bare, dump, error_condition, peers, subscribe_both  # noqa: F401
from xmpp_helpers import TIMEOUT, offline, online, run

L = "{jabber:iq:last}"


def last(peer, to):
    return peer.request("<iq type='get' to='%s' id='{id}'><query xmlns='jabber:iq:last'/></iq>"
                        % to)


def seconds(st):
    assert st.get("type") == "result", dump(st)
    return int(st.find(L + "query").get("seconds"))


def test_server_uptime(peers):
    a = peers("alice", "desk")
    assert 0 <= seconds(last(a, "localhost")) < 600


def test_account_last_logout(peers, server):
    a = peers("alice", "desk", presence=0)
    b = peers("bob", "desk", presence=0)
    c = peers("carol", "desk", presence=0)
    subscribe_both(a, b)
    assert seconds(last(b, bare("alice"))) == 0, "online: 0"
    assert error_condition(last(c, bare("alice"))) == "forbidden"
    a.send("<presence type='unavailable'><status>gone fishing</status></presence>")
    a.close()
    b.wait_presence(a.jid, "unavailable")
    time.sleep(1.2)
    st = last(b, bare("alice"))
    assert seconds(st) >= 1 and st.findtext(L + "query") == "gone fishing", dump(st)
    assert error_condition(last(c, bare("alice"))) == "forbidden"
    b.close()
    c.close()
    server.restart()  # the logout time and status persist
    b = peers("bob", "desk", presence=0)
    st = last(b, bare("alice"))
    assert seconds(st) >= 1 and st.findtext(L + "query") == "gone fishing", dump(st)


def test_never_logged_out(peers):
    peers("alice", "desk", presence=0)
    b = peers("bob", "desk")
    st = last(b, bare("alice"))
    assert error_condition(st) == "forbidden", dump(st)
    assert error_condition(last(b, bare("bob"))) == "item-not-found" or \
        seconds(last(b, bare("bob"))) == 0


async def _slix_uptime(server):
    a = await online(server, "alice", "pw-alice", resource="slix")
    a.register_plugin("xep_0012")
    r = await a["xep_0012"].get_last_activity(jid=DOMAIN, timeout=TIMEOUT)
    assert 0 <= int(r["last_activity"]["seconds"]) < 600
    await offline(a)


def test_slixmpp_server_uptime(peers, server):
    run(_slix_uptime(server))
