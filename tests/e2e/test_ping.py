# SPDX-License-Identifier: MIT
"""XEP-0199 ping: the server answers; client-to-client pings are routed."""
from xmpp_helpers import offline, online, run


def test_server_answers_ping(server):
    server.adduser("alice", "pw-alice")

    async def go():
        a = await online(server, "alice", "pw-alice")
        a.register_plugin("xep_0199")
        rtt = await a["xep_0199"].ping("localhost", timeout=5)
        assert rtt >= 0
        await offline(a)

    run(go())


def test_ping_routed_between_clients(server):
    server.adduser("alice", "pw-alice")
    server.adduser("bob", "pw-bob")

    async def go():
        a = await online(server, "alice", "pw-alice", plugin_config={})
        b = await online(server, "bob", "pw-bob", resource="phone")
        for c in (a, b):
            c.register_plugin("xep_0199")
        rtt = await a["xep_0199"].ping("bob@localhost/phone", timeout=5)
        assert rtt >= 0
        await offline(a, b)

    run(go())
