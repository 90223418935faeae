# SPDX-License-Identifier: MIT
"""HTTP File Upload (XEP-0363): the service in disco with its size limit, slots asked for over
XMPP, files put and fetched over HTTPS byte for byte with headers that keep browsers from
running them, every refusal (too large, over quota, too many slots, a bad request, a wrong PUT,
a used or expired slot), and files that outlive a restart but not their account or expiry."""
import glob
import json
import os
import re
import time
import urllib.parse

import pytest

from conftest import DOMAIN
from test_routing import C, Peer, assert_error, dump
from ws_helpers import connect, read_response
from xmpp_helpers import wait_for

UP = "urn:xmpp:http:upload:0"
SERVICE = "upload." + DOMAIN
INFO = "http://jabber.org/protocol/disco#info"
ITEMS = "http://jabber.org/protocol/disco#items"
XDATA = "{jabber:x:data}"
PNG = bytes(range(256)) * 20 + b"\r\n\r\n\x00end"  # every byte value, and a blank line


def peer(server, user="alice"):
    server.adduser(user, "pw-" + user)
    return Peer(server, user, "up")


def ask_slot(p, filename, size, ctype=None, to=SERVICE):
    """A slot request; the reply stanza."""
    attrs = "" if filename is None else " filename='%s'" % filename
    attrs += "" if size is None else " size='%s'" % size
    attrs += "" if ctype is None else " content-type='%s'" % ctype
    return p.request("<iq type='get' id='{id}' to='%s'><request xmlns='%s'%s/></iq>"
                     % (to, UP, attrs))


def slot(p, filename, size, ctype=None):
    """The URL of a slot granted (PUT and GET share it)."""
    st = ask_slot(p, filename, size, ctype)
    assert st.get("type") == "result", dump(st)
    put = st.find("{%s}slot/{%s}put" % (UP, UP)).get("url")
    get = st.find("{%s}slot/{%s}get" % (UP, UP)).get("url")
    assert put == get, dump(st)
    return put


def http(url, method="GET", body=b"", headers=()):
    """One request on a new connection; (status, headers, body). HEAD reads the head only."""
    u = urllib.parse.urlsplit(url)
    s = connect(u.port, tls=u.scheme == "https")
    lines = ["%s %s HTTP/1.1" % (method, u.path), "Host: %s" % u.netloc]
    if method == "PUT":
        lines.append("Content-Length: %d" % len(body))
    lines += list(headers)
    s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    if method != "HEAD":
        answer = read_response(s)
        s.close()
        return answer
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        assert chunk, "closed before the head: %r" % data
        data += chunk
    s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    return int(lines[0].split()[1]), fields, rest


def upload(p, filename, data, ctype=None):
    url = slot(p, filename, len(data), ctype)
    status, _, body = http(url, "PUT", data, ["Content-Type: " + ctype] if ctype else [])
    assert status == 201, (status, body)
    return url


def error_message(body):
    return json.loads(body)["error"]["message"]


def token_dir(server, url):
    return os.path.join(server.data, "upload", urllib.parse.urlsplit(url).path.split("/")[2])


def still_serving(p):
    """The stream and the service still answer after a refusal."""
    st = ask_slot(p, "probe.txt", 1)
    assert st.get("type") == "result", dump(st)


# --- disco --------------------------------------------------------------------------------

def test_service_listed_with_its_form(server):
    p = peer(server)
    st = p.request("<iq type='get' id='{id}' to='%s'><query xmlns='%s'/></iq>" % (DOMAIN, ITEMS))
    jids = [i.get("jid") for i in st.find("{%s}query" % ITEMS)]
    assert SERVICE in jids, dump(st)
    st = p.request("<iq type='get' id='{id}' to='%s'><query xmlns='%s'/></iq>" % (SERVICE, INFO))
    assert st.get("type") == "result" and st.get("from") == SERVICE, dump(st)
    q = st.find("{%s}query" % INFO)
    ids = [(i.get("category"), i.get("type")) for i in q.iter("{%s}identity" % INFO)]
    assert ids == [("store", "file")], dump(st)
    assert UP in [f.get("var") for f in q.iter("{%s}feature" % INFO)], dump(st)
    form = {f.get("var"): f.find(XDATA + "value").text for f in q.iter(XDATA + "field")}
    assert form == {"FORM_TYPE": UP, "max-file-size": "10485760"}, dump(st)
    st = p.request("<iq type='get' id='{id}' to='%s'><query xmlns='%s'/></iq>" % (SERVICE, ITEMS))
    assert st.get("type") == "result" and len(st.find("{%s}query" % ITEMS)) == 0, dump(st)
    st = p.request("<iq type='get' id='{id}' to='%s'><query xmlns='%s' node='x'/></iq>"
                   % (SERVICE, INFO))
    assert_error(st, "item-not-found")


def test_domain_of_its_own(server_factory):
    srv = server_factory(upload={"domain": "Files.LocalHost"})
    p = peer(srv)
    st = p.request("<iq type='get' id='{id}' to='%s'><query xmlns='%s'/></iq>" % (DOMAIN, ITEMS))
    assert "files.localhost" in [i.get("jid") for i in st.find("{%s}query" % ITEMS)], dump(st)
    assert ask_slot(p, "a.txt", 1, to="files.localhost").get("type") == "result"
    for taken in ("localhost", "conference.localhost", "pubsub.localhost", "a@b"):
        with pytest.raises(RuntimeError, match="not a valid domain of its own"):
            server_factory(upload={"domain": taken})


def test_no_service_without_a_web_port(server_factory):
    srv = server_factory(http_port=0, https_port=0)
    p = peer(srv)
    st = p.request("<iq type='get' id='{id}' to='%s'><query xmlns='%s'/></iq>" % (DOMAIN, ITEMS))
    assert SERVICE not in [i.get("jid") for i in st.find("{%s}query" % ITEMS)], dump(st)
    assert_error(ask_slot(p, "a.txt", 1), "remote-server-not-found")


# --- round trips --------------------------------------------------------------------------

def test_put_and_get_over_https(server):
    p = peer(server)
    url = slot(p, "ph\u00f6to 1.png", len(PNG), "image/png")
    assert url.startswith("https://localhost:%d/upload/" % server.https_port), url
    assert re.fullmatch(r"https://[^/]+/upload/[0-9a-f]{32}/ph%C3%B6to%201\.png", url), url
    status, headers, body = http(url, "PUT", PNG, ["Content-Type: image/png"])
    assert status == 201, (status, body)
    status, headers, body = http(url)
    assert status == 200 and body == PNG, (status, headers)
    assert headers["content-type"] == "image/png", headers
    assert headers["content-disposition"] == "inline", headers
    assert headers["content-security-policy"] == "default-src 'none'; sandbox", headers
    assert headers["x-content-type-options"] == "nosniff", headers
    assert re.fullmatch(r"public, max-age=(\d+), immutable", headers["cache-control"]), headers
    assert 29 * 86400 < int(re.search(r"\d+", headers["cache-control"]).group()) <= 30 * 86400
    status, head, rest = http(url, "HEAD")
    assert status == 200 and rest == b"", (status, head, rest)
    assert head["content-length"] == str(len(PNG)) and head["content-type"] == "image/png", head
    # a client may encode the name its own way: the decoded name is what counts
    assert http(url.replace("%201", "%20%31").replace("%C3%B6", "%c3%b6"))[0] == 200
    assert http(url.replace(".png", ".gif"))[0] == 404


def test_active_types_are_attachments(server):
    p = peer(server)
    page = b"<html><script>alert(1)</script></html>"
    for name, ctype, disposition in (("page.html", "text/html", "attachment"),
                                     ("pic.svg", "image/svg+xml", "attachment"),
                                     ("notes.txt", "text/plain; charset=utf-8", "inline"),
                                     ("song.ogg", "audio/ogg", "inline")):
        url = upload(p, name, page, ctype)
        status, headers, body = http(url)
        assert status == 200 and body == page, (status, headers)
        assert headers["content-type"] == ctype, headers
        assert headers["content-disposition"] == disposition, (name, headers)
        assert headers["content-security-policy"] == "default-src 'none'; sandbox", headers
    # no type named anywhere: bytes, offered as an attachment
    url = upload(p, "blob", b"\x00\x01")
    status, headers, _ = http(url)
    assert headers["content-type"] == "application/octet-stream", headers
    assert headers["content-disposition"] == "attachment", headers


# --- refusals -----------------------------------------------------------------------------

def test_too_large_refused_with_the_limit(server_factory):
    srv = server_factory(upload={"max_file_bytes": 1000})
    p = peer(srv)
    st = ask_slot(p, "big.bin", 1001)
    assert_error(st, "not-acceptable")
    err = st.find(C + "error")
    assert err.get("type") == "modify", dump(st)
    assert err.find("{%s}file-too-large/{%s}max-file-size" % (UP, UP)).text == "1000", dump(st)
    assert st.find("{%s}request" % UP) is not None, "the request is echoed: %s" % dump(st)
    upload(p, "exact.bin", b"x" * 1000)
    still_serving(p)


def test_bad_requests(server):
    p = peer(server)
    for filename, size, ctype in ((None, 10, None), ("", 10, None), ("a/b.txt", 10, None),
                                  ("tab&#9;name", 10, None), ("line&#10;feed", 10, None),
                                  ("del\x7f.txt", 10, None), ("c1\u0085.txt", 10, None),
                                  ("..", 10, None), ("x" * 256, 10, None),
                                  ("a.txt", None, None), ("a.txt", "ten", None),
                                  ("a.txt", "-1", None), ("a.txt", "1e3", None),
                                  ("a.txt", 10, "image"), ("a.txt", 10, "text/plain; x=\u00e9"),
                                  ("\u00e9" * 127, 10, None)):
        st = ask_slot(p, filename, size, ctype)
        assert_error(st, "bad-request")
    st = p.request("<iq type='set' id='{id}' to='%s'><request xmlns='%s' filename='a' size='1'/>"
                   "</iq>" % (SERVICE, UP))
    assert_error(st, "service-unavailable")
    still_serving(p)


def test_wrong_puts_and_a_used_slot(server):
    p = peer(server)
    url = slot(p, "doc.pdf", 10, "application/pdf")
    pdf = ["Content-Type: application/pdf"]
    status, _, body = http(url, "PUT", b"x" * 9, pdf)
    assert status == 400 and "size" in error_message(body), body
    status, _, body = http(url, "PUT", b"x" * 11, pdf)
    assert status == 400, body
    status, _, body = http(url, "PUT", b"x" * 10, ["Content-Type: text/html"])
    assert status == 400 and "Content-Type" in error_message(body), body
    status, _, body = http(url, "PUT", b"x" * 10)
    assert status == 400, body
    status, _, body = http(url.replace("doc.pdf", "other.pdf"), "PUT", b"x" * 10, pdf)
    assert status == 404, body
    assert http(url)[0] == 404  # nothing stored yet
    # the slot outlived the refusals; its parameters may differ in case only
    status, _, body = http(url, "PUT", b"x" * 10, ["Content-Type: Application/PDF"])
    assert status == 201, body
    status, _, body = http(url, "PUT", b"y" * 10, pdf)
    assert status == 409, body
    assert http(url)[2] == b"x" * 10
    still_serving(p)


def test_unknown_tokens_and_paths(server):
    p = peer(server)
    base = "https://localhost:%d/upload/" % server.https_port
    for path, method in (("0" * 32 + "/a.txt", "GET"), ("0" * 32 + "/a.txt", "PUT"),
                         ("0" * 31 + "/a.txt", "GET"), ("A" * 32 + "/a.txt", "GET"),
                         ("0" * 32, "GET"), ("0" * 32 + "/", "GET"), ("", "GET"),
                         ("0" * 32 + "/a/b", "GET"), ("..%2F..%2Fparley.db", "GET")):
        status, _, body = http(base + path, method, b"x" if method == "PUT" else b"")
        assert status == 404 and json.loads(body)["error"]["code"] == 404, (path, body)
    status, headers, _ = http(base + "0" * 32 + "/a.txt", "DELETE")
    assert status == 405, headers
    still_serving(p)


def test_quota_counts_files_and_open_slots(server_factory):
    srv = server_factory(upload={"quota_bytes": 20000})
    p = peer(srv)
    upload(p, "one.bin", b"1" * 12000)
    assert_error(ask_slot(p, "two.bin", 9000), "resource-constraint")
    held = slot(p, "two.bin", 8000)  # reserved until used or expired
    st = ask_slot(p, "tiny.bin", 1)  # a file counts 4096 bytes at least
    assert_error(st, "resource-constraint")
    assert st.find(C + "error").get("type") == "wait", dump(st)
    status, _, _ = http(held, "PUT", b"2" * 8000)
    assert status == 201
    assert_error(ask_slot(p, "tiny.bin", 1), "resource-constraint")
    # the quota is the account's: another one still uploads
    upload(peer(srv, "bob"), "bob.bin", b"b" * 12000)


def test_open_slots_limit(server_factory):
    srv = server_factory(upload={"max_open_slots": 2})
    p = peer(srv)
    first = slot(p, "a.txt", 1)
    slot(p, "b.txt", 1)
    assert_error(ask_slot(p, "c.txt", 1), "resource-constraint")
    assert http(first, "PUT", b"a")[0] == 201
    slot(p, "c.txt", 1)


def test_expired_slot(server_factory):
    srv = server_factory(upload={"slot_timeout": 1, "max_open_slots": 1})
    p = peer(srv)
    url = slot(p, "late.txt", 4)
    assert_error(ask_slot(p, "more.txt", 4), "resource-constraint")
    time.sleep(2.1)
    status, _, body = http(url, "PUT", b"late")
    assert status == 404 and "expired" in error_message(body), body
    assert http(slot(p, "more.txt", 4), "PUT", b"more")[0] == 201  # the slot was given back


# --- what outlives what -------------------------------------------------------------------

def test_files_and_quota_survive_a_restart(server_factory):
    srv = server_factory(upload={"quota_bytes": 20000})
    p = peer(srv)
    url = upload(p, "kept.png", PNG, "image/png")
    p.close()
    srv.restart()
    status, headers, body = http(url)
    assert status == 200 and body == PNG and headers["content-type"] == "image/png", headers
    p = Peer(srv, "alice", "again")
    assert_error(ask_slot(p, "more.bin", 20000 - len(PNG) + 1), "resource-constraint")
    upload(p, "fits.bin", b"f" * (20000 - len(PNG)))


def test_files_past_a_lowered_limit_are_not_read(server_factory):
    srv = server_factory(upload={"max_file_bytes": 10000})
    p = peer(srv)
    url = upload(p, "big.bin", b"b" * 5000)
    small = upload(p, "small.bin", b"s" * 100)
    p.close()
    srv.stop()
    with open(srv.conf) as f:
        conf = f.read()
    with open(srv.conf, "w") as f:
        f.write(conf.replace("max_file_bytes = 10000", "max_file_bytes = 1000"))
    srv.start()
    status, _, body = http(url)
    assert status == 503 and "max_file_bytes" in error_message(body), body
    assert http(small)[2] == b"s" * 100


def test_deleted_account_files_go(server):
    a, b = peer(server, "alice"), peer(server, "bob")
    mine = upload(a, "mine.txt", b"alice's", "text/plain")
    theirs = upload(b, "theirs.txt", b"bob's", "text/plain")
    pending = slot(a, "pending.txt", 3)
    r = server.ctl("deluser", "alice@" + DOMAIN)
    assert r.returncode == 0, r
    assert http(mine)[0] == 404
    assert wait_for(lambda: not os.path.exists(token_dir(server, mine)), 5), "still on disk"
    assert http(pending, "PUT", b"abc")[0] == 404  # its open slots went too
    status, _, body = http(theirs)
    assert status == 200 and body == b"bob's"
    # the same name, registered again, starts afresh
    server.adduser("alice", "pw-alice")
    again = upload(Peer(server, "alice", "new"), "new.txt", b"new")
    assert http(again)[2] == b"new"


def test_expired_and_half_written_files_removed_at_start(server_factory):
    srv = server_factory(upload={"expiry_days": 30})
    p = peer(srv)
    old = upload(p, "old.txt", b"old", "text/plain")
    fresh = upload(p, "fresh.txt", b"fresh", "text/plain")
    p.close()
    srv.stop()
    meta = os.path.join(token_dir(srv, old), "meta")
    with open(meta) as f:
        text = f.read()
    stamp = int(re.search(r"^time (\d+)$", text, re.M).group(1)) - 31 * 86400 * 10**6
    with open(meta, "w") as f:
        f.write(re.sub(r"^time \d+$", "time %d" % stamp, text, flags=re.M))
    half = os.path.join(srv.data, "upload", "ab" * 16)  # a crash before the data's rename
    os.mkdir(half)
    with open(os.path.join(half, "data.tmp"), "wb") as f:
        f.write(b"partial")
    srv.start()
    assert not os.path.exists(token_dir(srv, old)) and not os.path.exists(half)
    assert sorted(glob.glob(os.path.join(srv.data, "upload", "*"))) == [token_dir(srv, fresh)]
    assert http(old)[0] == 404
    assert http(fresh)[2] == b"fresh"
    assert "removed: expired" in srv.log() and "removed: left half-written" in srv.log()


def test_largest_file_is_sent_as_the_client_reads(server_factory):
    """A file larger than max_output_bytes (1 MiB here) goes out in slices as the client
    reads, never queued whole; a PUT past max_file_bytes is refused at its head."""
    srv = server_factory(max_output_bytes=1048576)
    p = peer(srv)
    data = os.urandom(10485760)
    url = upload(p, "large.bin", data)
    status, headers, body = http(url)
    assert status == 200 and body == data, (status, headers)
    # the front refuses a body past max_file_bytes as soon as it reads the head
    u = urllib.parse.urlsplit(url)
    s = connect(u.port, tls=True)
    s.sendall(("PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n"
               % (u.path, u.netloc, 10485760 + 1)).encode())
    status, _, body = read_response(s)
    s.close()
    assert status == 413, body


def test_expect_continue_and_no_large_puts_elsewhere(server):
    """A client that waits for 100 Continue gets it once the head passed the limits; only the
    upload paths take bodies larger than http_max_body_bytes."""
    p = peer(server)
    url = slot(p, "c.txt", 5)
    u = urllib.parse.urlsplit(url)
    s = connect(u.port, tls=True)
    s.sendall(("PUT %s HTTP/1.1\r\nHost: %s\r\nExpect: 100-continue\r\nContent-Length: 5\r\n"
               "\r\n" % (u.path, u.netloc)).encode())
    s.settimeout(10)
    assert s.recv(64).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
    s.sendall(b"hello")
    status, _, _ = read_response(s)
    s.close()
    assert status == 201
    big = 2 * 1048576
    s = connect(u.port, tls=True)
    s.sendall(("PUT /elsewhere HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n"
               % (u.netloc, big)).encode())
    status, _, _ = read_response(s)
    s.close()
    assert status == 413
