# SPDX-License-Identifier: MIT
"""/metrics on its loopback listener: the Prometheus text format, read with the Prometheus
client library's own parser, and figures that follow what the server did."""
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import DOMAIN, free_ports
from ws_helpers import WsClient, http_exchange
from xmpp_helpers import offline, online, run


def scrape(srv):
    req = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    status, headers, body = http_exchange(srv.metrics_port, req)
    assert status == 200, body
    assert headers["content-type"].startswith("text/plain; version=0.0.4"), headers
    samples = {}
    for fam in text_string_to_metric_families(body.decode()):  # raises on a bad line
        for s in fam.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]


@pytest.fixture
def srv(server_factory):
    port, = free_ports(1)
    s = server_factory(metrics_port=port, allow_plaintext_loopback=True)
    s.metrics_port = port
    s.adduser("alice", "pw-alice")
    s.adduser("bob", "pw-bob")
    return s


def test_metrics_follow_sessions_logins_and_messages(srv):
    before = scrape(srv)
    assert value(before, "parley_sessions", transport="tcp") == 0
    assert value(before, "parley_logins_total", result="success") == 0

    async def go():
        bob = await online(srv, "bob", "pw-bob")
        ws = WsClient(srv.https_port, tls=True)
        jid = ws.login_plain("alice", "pw-alice", "web")
        for i in range(3):
            ws.send("<message xmlns='jabber:client' to='bob@%s' type='chat'><body>%d</body>"
                    "</message>" % (DOMAIN, i))
        for _ in range(3):
            await bob.next_message()
        during = scrape(srv)
        assert value(during, "parley_sessions", transport="tcp") == 1
        assert value(during, "parley_sessions", transport="websocket") == 1
        assert value(during, "parley_logins_total", result="success") == 2
        assert value(during, "parley_stanzas_in_total", kind="message") >= 3
        assert value(during, "parley_deliveries_total") >= 3
        assert jid
        ws.close()
        await offline(bob)

    run(go())
    # bob is gone: a message to him is kept offline and archived
    raw = WsClient(srv.https_port, tls=True)
    raw.login_plain("alice", "pw-alice", "again")
    raw.send("<message xmlns='jabber:client' to='bob@%s' type='chat'><body>later</body>"
             "</message>" % DOMAIN)
    raw.send("<iq xmlns='jabber:client' type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>")
    raw.recv_until(r"id='p'")
    after = scrape(srv)
    assert value(after, "parley_offline_writes_total") == 1
    assert value(after, "parley_archive_writes_total") >= 4
    assert value(after, "parley_storage_commit_seconds_count") >= 1
    assert value(after, "parley_loop_turn_seconds_count") >= 1
    assert value(after, "parley_muc_rooms") == 0
    raw.close()


def test_metrics_only_on_their_listener(srv):
    status, _, _ = http_exchange(srv.http_port, b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n"
                                 b"\r\n")
    assert status == 404
    status, _, _ = http_exchange(srv.metrics_port, b"GET /chat/ HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 404
    status, _, _ = http_exchange(srv.metrics_port, b"POST /metrics HTTP/1.1\r\nHost: x\r\n"
                                 b"Content-Length: 0\r\n\r\n")
    assert status == 405
