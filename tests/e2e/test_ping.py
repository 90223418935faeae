# SPDX-License-Identifier: MIT
"""XEP-0199 ping: the server answers; client-to-client pings are routed."""
import asyncio

from xmpp_helpers import TIMEOUT, offline, online, run


async def ping(client, to, sid):
    """Sends a ping with id sid and returns the answer. slixmpp's own ping() counts an error
    from the server as a pong (and its round-trip time is never negative): here an error
    raises IqError and no answer within the bound raises IqTimeout."""
    iq = client.Iq()
    iq["type"], iq["to"], iq["id"] = "get", to, sid
    iq.enable("ping")
    return await iq.send(timeout=TIMEOUT)


def assert_pong(iq, frm, sid):
    assert iq["type"] == "result" and iq["id"] == sid, str(iq)
    assert iq["from"].full == frm and iq["to"].full == "alice@localhost/test", str(iq)
    assert len(iq.xml) == 0, "a pong is an empty result: %s" % iq


def test_server_answers_ping(server):
    server.adduser("alice", "pw-alice")

    async def go():
        a = await online(server, "alice", "pw-alice")
        a.register_plugin("xep_0199")
        assert_pong(await ping(a, "localhost", "p1"), "localhost", "p1")
        await offline(a)

    run(go())


def test_ping_routed_between_clients(server):
    server.adduser("alice", "pw-alice")
    server.adduser("bob", "pw-bob")

    async def go():
        a = await online(server, "alice", "pw-alice", plugin_config={})
        b = await online(server, "bob", "pw-bob", resource="phone")
        for c in (a, b):
            c.register_plugin("xep_0199")  # Bob's answers pings
        assert_pong(await ping(a, "bob@localhost/phone", "p2"), "bob@localhost/phone", "p2")
        req = await asyncio.wait_for(b.iqs.get(), TIMEOUT)  # Bob answered, not the server
        assert req["id"] == "p2" and req["from"].full == "alice@localhost/test", str(req)
        await offline(a, b)

    run(go())
