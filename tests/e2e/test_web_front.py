# SPDX-License-Identifier: MIT
"""The web front's plain HTTP: connection discovery (XEP-0156 host-meta), CORS, and the
answers to bad requests (each a JSON error, after which the server keeps serving)."""
import json
import socket
import time
import xml.etree.ElementTree as ET

import pytest

from ws_helpers import connect, http_exchange, read_response, WsClient

XRD = "{http://docs.oasis-open.org/ns/xri/xrd-1.0}"


def get(port, path, extra="", tls=False):
    req = "GET %s HTTP/1.1\r\nHost: localhost:%d\r\n%s\r\n" % (path, port, extra)
    return http_exchange(port, req.encode(), tls=tls)


def links_of_xrd(body):
    root = ET.fromstring(body)
    assert root.tag == XRD + "XRD", body
    return {l.get("rel"): l.get("href") for l in root.iter(XRD + "Link")}


def test_host_meta_names_the_websocket_and_bosh_urls(server):
    status, headers, body = get(server.http_port, "/.well-known/host-meta")
    assert status == 200 and headers["content-type"].startswith("application/xrd+xml")
    assert headers.get("x-content-type-options") == "nosniff", headers
    base = "localhost:%d" % server.http_port
    assert links_of_xrd(body) == {
        "urn:xmpp:alt-connections:websocket": "ws://%s/xmpp-websocket" % base,
        "urn:xmpp:alt-connections:xbosh": "http://%s/http-bind" % base}
    status, headers, body = get(server.https_port, "/.well-known/host-meta.json", tls=True)
    assert status == 200 and headers["content-type"] == "application/json", headers
    base = "localhost:%d" % server.https_port
    assert json.loads(body) == {"links": [
        {"rel": "urn:xmpp:alt-connections:websocket", "href": "wss://%s/xmpp-websocket" % base},
        {"rel": "urn:xmpp:alt-connections:xbosh", "href": "https://%s/http-bind" % base}]}


def test_cors_for_listed_origins_only(server_factory):
    srv = server_factory(web_origins="https://chat.example.org")
    port = srv.http_port
    ok = "Origin: https://chat.example.org\r\n"
    status, headers, _ = get(port, "/.well-known/host-meta.json", ok)
    assert headers.get("access-control-allow-origin") == "https://chat.example.org", headers
    evil = "Origin: https://evil.example\r\n"
    status, headers, _ = get(port, "/.well-known/host-meta.json", evil)
    assert status == 200 and "access-control-allow-origin" not in headers, headers
    pre = ("OPTIONS /http-bind HTTP/1.1\r\nHost: localhost\r\n%sAccess-Control-Request-Method: "
           "POST\r\n\r\n")
    status, headers, _ = http_exchange(port, (pre % ok).encode())
    assert status == 204, headers
    assert "POST" in headers["access-control-allow-methods"], headers
    assert headers["access-control-allow-origin"] == "https://chat.example.org", headers
    status, _, body = http_exchange(port, (pre % evil).encode())
    assert status == 403 and json.loads(body)["error"]["code"] == 403, body
    # a page of the server's own origin needs no listing
    own = WsClient(port, origin="http://localhost:%d" % port)
    own.close()


def test_keep_alive_serves_requests_in_turn(server):
    s = connect(server.http_port)
    for path in ("/.well-known/host-meta", "/nothing-here", "/.well-known/host-meta.json"):
        s.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % path).encode())
        status, headers, body = read_response(s)
        assert headers.get("connection") == "keep-alive", headers
        if path == "/nothing-here":
            assert status == 404 and json.loads(body)["error"]["code"] == 404, body
        else:
            assert status == 200, (path, status)
    s.close()


@pytest.mark.parametrize("request_bytes,status", [
    (b"HELLO THERE\r\n\r\n", 400),
    (b"GET / HTTP/2.0\r\nHost: localhost\r\n\r\n", 505),
    (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(60)) + b"\r\n", 431),
    (b"POST /http-bind HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999\r\n\r\n", 413),
    (b"GET /.well-known/host-meta HTTP/1.1\r\n\r\n", 400),                 # no Host
    (b"GET /.well-known/host-meta HTTP/1.1\r\nHost: a\"b\r\n\r\n", 400),   # not a host
    (b"DELETE /.well-known/host-meta HTTP/1.1\r\nHost: localhost\r\n\r\n", 405),
], ids=["garbage", "http2-version", "http2-preface", "long-target", "many-headers",
        "huge-body", "no-host", "bad-host", "wrong-method"])
def test_bad_requests_get_json_errors_and_the_server_serves_on(server, request_bytes, status):
    got, headers, body = http_exchange(server.http_port, request_bytes)
    assert got == status, (got, body)
    assert headers["content-type"] == "application/json", headers
    assert json.loads(body)["error"]["code"] == status, body
    assert get(server.http_port, "/.well-known/host-meta")[0] == 200


def test_idle_keep_alive_connection_is_closed(server_factory):
    srv = server_factory(http_idle_timeout=1)
    s = connect(srv.http_port)
    started = time.monotonic()
    s.settimeout(10)
    assert s.recv(1) == b"", "the server closed the idle connection"
    assert time.monotonic() - started < 5
    s.close()


def test_http_listener_stays_on_its_own_address(server):
    """http_address defaults to loopback: the port answers there and only there."""
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.2", server.http_port), timeout=2).close()
