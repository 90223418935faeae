# SPDX-License-Identifier: MIT
"""Operations: parleyd --check-config, parleyctl usage and deluser of a connected user, one
server per data_dir, SIGHUP (log reopen, certificate reload), storage errors in the log, the
first-start hint."""
import hashlib
import os
import re
import shutil
import signal
import socket
import stat
import subprocess

import pytest

from conftest import DOMAIN, PARLEYD, Server, client_tls_context, free_port
from roster_helpers import peers, subscribe_both  # noqa: F401 (fixture)
from xmpp_helpers import Raw, wait_for

STREAM_ERROR = (rb"<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                rb"<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>account deleted</text>"
                rb"</stream:error></stream:stream>$")
LOG_LINE = r"(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ %s +\[%s\] "


def make_cert(d, name):
    """A self-signed certificate with a new key; returns (cert, key)."""
    cert, key = os.path.join(d, name + "-cert.pem"), os.path.join(d, name + "-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-days", "30", "-subj", "/CN=" + DOMAIN,
                    "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=30)
    return cert, key


def make_key(d, name):
    key = os.path.join(d, name + "-key.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-out", key],
                   check=True, capture_output=True, timeout=30)
    return key


# ---- parleyd --check-config --------------------------------------------------------------

@pytest.fixture
def check(tls_files):
    """check(**keys) runs --check-config on a config with those keys; returns the result."""
    made = []

    def run(**extra):
        srv = Server(tls_files, extra)
        made.append(srv)
        return srv, subprocess.run([PARLEYD, "-c", srv.conf, "--check-config"],
                                   capture_output=True, text=True, timeout=30)

    yield run
    for srv in made:
        shutil.rmtree(srv.dir, ignore_errors=True)


def test_check_config_ok(check):
    srv, r = check()
    assert r.returncode == 0, r.stderr
    assert "configuration ok" in r.stdout
    assert not os.path.exists(srv.data), "the check must leave no data_dir behind"


def refused(r, message):
    assert r.returncode != 0, "accepted: %s%s" % (r.stdout, r.stderr)
    assert "configuration ok" not in r.stdout
    assert re.search(message, r.stderr), "unclear message: %r" % r.stderr
    assert re.search(r"1 problem found", r.stderr), r.stderr


def test_check_config_missing_certificate(check, tmp_path):
    missing = str(tmp_path / "no-such-cert.pem")
    _, r = check(tls_cert=missing)
    refused(r, r"cannot load certificate %s" % re.escape(missing))


def test_check_config_missing_key(check, tmp_path):
    missing = str(tmp_path / "no-such-key.pem")
    _, r = check(tls_key=missing)
    refused(r, r"cannot load private key %s" % re.escape(missing))


def test_check_config_mismatched_key(check, tls_files, tmp_path):
    other = make_key(str(tmp_path), "other")
    _, r = check(tls_key=other)
    refused(r, r"private key %s does not match certificate %s"
            % (re.escape(other), re.escape(tls_files[0])))


def test_check_config_same_port_twice(check):
    port = free_port()
    _, r = check(c2s_port=port, c2s_tls_port=port)
    refused(r, r"the STARTTLS and direct TLS listeners are both on port %d" % port)


def test_check_config_port_taken(check):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        _, r = check(c2s_tls_port=port)
    refused(r, r"cannot listen on 127\.0\.0\.1:%d \(direct TLS\): Address already in use" % port)


@pytest.mark.parametrize("layout,message", [
    ("parent-is-file", r"data_dir \S+ does not exist and cannot be created: Not a directory"),
    ("dir-is-file", r"data_dir \S+ is not a directory"),
    ("read-only", r"data_dir \S+ is not writable"),
])
def test_check_config_unusable_data_dir(check, tmp_path, layout, message):
    if layout == "parent-is-file":
        (tmp_path / "file").write_text("x")
        data = tmp_path / "file" / "data"
    elif layout == "dir-is-file":
        data = tmp_path / "data"
        data.write_text("x")
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes through any mode bits")
        data = tmp_path / "data"
        data.mkdir(mode=0o500)
    _, r = check(data_dir=str(data))
    refused(r, message)


# ---- parleyctl usage and deluser ---------------------------------------------------------

def test_ctl_help(server):
    for flag in ("--help", "-h"):
        r = server.ctl(flag, check=False)
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("usage: parleyctl") and "deluser JID" in r.stdout, r.stdout


@pytest.mark.parametrize("args,message", [
    (["adduser", "alice@localhost"], "adduser: missing PASSWORD"),
    (["adduser"], "adduser: missing JID"),
    (["passwd", "alice@localhost"], "passwd: missing PASSWORD"),
    (["deluser"], "deluser: missing JID"),
    ([], "missing COMMAND"),
    (["frobnicate"], "unknown command 'frobnicate'"),
])
def test_ctl_missing_argument(server, args, message):
    r = server.ctl(*args, check=False)
    assert r.returncode == 2, r
    assert message in r.stderr, "unclear message: %r" % r.stderr


def test_deluser_ends_sessions_and_tells_contacts(server, peers):  # noqa: F811
    alice, bob = peers("alice"), peers("bob")
    alice.available()
    bob.available()
    subscribe_both(alice, bob)
    alice2 = peers("alice", resource="r2")
    alice2.available()
    bob.drain()

    sock = os.stat(os.path.join(server.data, "control.sock"))
    assert stat.S_ISSOCK(sock.st_mode) and stat.S_IMODE(sock.st_mode) == 0o600, oct(sock.st_mode)
    r = server.ctl("deluser", "alice@localhost")
    assert "deleted alice@localhost; 2 sessions ended" in r.stdout, r.stdout
    for p in (alice, alice2):
        # The stream's end is read raw (the peer's parser takes stanzas only); what the peer
        # parsed before the deletion stays in its queue, unread. Then the client hangs up, as
        # a real one does: the session ends when its connection does.
        p.raw.buf = b""
        got = p.raw.read_until(STREAM_ERROR)
        assert re.search(STREAM_ERROR, got), got
        p.raw.close()
    for res in ("r", "r2"):
        bob.wait_presence("alice@localhost/" + res, "unavailable", timeout=10)
    assert server.alive()


def test_deluser_without_server(server):
    server.adduser("alice", "pw")
    server.stop()
    r = server.ctl("deluser", "alice@localhost")
    assert "deleted alice@localhost (no server running: no sessions to end)" in r.stdout, r


def test_second_server_on_the_same_data_dir_is_refused(server, tls_files):
    """A second parleyd on a data_dir in use (other ports) must not take the control socket
    over: it exits with a clear message, and parleyctl deluser still reaches the first."""
    server.adduser("alice", "pw")
    alice = Raw(server.port)
    alice.login_plain("alice", "pw")
    second = Server(tls_files, {"data_dir": server.data})
    try:
        with open(second.log_path, "wb") as log:
            try:
                code = subprocess.run([PARLEYD, "-c", second.conf], stdout=log,
                                      stderr=subprocess.STDOUT, timeout=10).returncode
            except subprocess.TimeoutExpired:
                pytest.fail("the second server kept running: " + second.log())
        assert code != 0, second.log()
        assert re.search(LOG_LINE % ("error", "control") + "another server is running on this "
                         "data_dir", second.log()), second.log()
    finally:
        shutil.rmtree(second.dir, ignore_errors=True)
    r = server.ctl("deluser", "alice@localhost")
    assert "deleted alice@localhost; 1 session ended" in r.stdout, r.stdout
    got = alice.read_all()
    assert re.search(STREAM_ERROR, got), got
    alice.close()
    assert server.alive()


def test_stale_control_socket_is_replaced(tls_files):
    """A socket file nobody listens on (left by a server that was killed) does not stop a
    start, and the new server answers on it."""
    srv = Server(tls_files, {})
    try:
        os.makedirs(srv.data, mode=0o700)
        with socket.socket(socket.AF_UNIX) as s:
            s.bind(os.path.join(srv.data, "control.sock"))  # bound, never listening
        srv.start()
        srv.adduser("alice", "pw")
        r = srv.ctl("deluser", "alice@localhost")
        assert "deleted alice@localhost; 0 sessions ended" in r.stdout, r.stdout
        assert srv.stop() == 0, srv.log()
    finally:
        srv.stop()
        shutil.rmtree(srv.dir, ignore_errors=True)


# ---- SIGHUP ------------------------------------------------------------------------------

def peer_fingerprint(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with client_tls_context().wrap_socket(s, server_hostname=DOMAIN) as t:
            return hashlib.sha256(t.getpeercert(binary_form=True)).hexdigest()


def file_fingerprint(cert):
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"],
                         check=True, capture_output=True, timeout=30).stdout
    return hashlib.sha256(der).hexdigest()


def log_count(server, pattern):
    return len(re.findall(pattern, server.log()))


def hup_and_wait(server, pattern):
    before = log_count(server, pattern)
    server.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: log_count(server, pattern) > before, 10), "no log line " + pattern


@pytest.fixture
def own_cert(tmp_path):
    """Certificate files the test may replace: (cert, key) paths, first certificate in them."""
    cert, key = make_cert(str(tmp_path), "first")
    return cert, key


def replace_files(own, new_cert, new_key):
    shutil.copy(new_cert, own[0] + ".new")
    shutil.copy(new_key, own[1] + ".new")
    os.replace(own[0] + ".new", own[0])
    os.replace(own[1] + ".new", own[1])


def test_sighup_reloads_certificate(server_factory, own_cert, tmp_path):
    server = server_factory(tls_cert=own_cert[0], tls_key=own_cert[1])
    old = file_fingerprint(own_cert[0])
    assert peer_fingerprint(server.tls_port) == old
    live = socket.create_connection(("127.0.0.1", server.tls_port), timeout=10)
    live = client_tls_context().wrap_socket(live, server_hostname=DOMAIN)

    replace_files(own_cert, *make_cert(str(tmp_path), "second"))
    new = file_fingerprint(own_cert[0])
    assert new != old
    hup_and_wait(server, LOG_LINE % ("info", "server") + r"SIGHUP: reloaded TLS certificate")
    assert server.alive()
    assert peer_fingerprint(server.tls_port) == new, "new connections still get the old cert"
    # A connection made before the reload goes on with what it had.
    live.sendall(b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream="
                 b"'http://etherx.jabber.org/streams' to='localhost' version='1.0'>")
    got = b""
    while b"</stream:features>" not in got:
        chunk = live.recv(65536)
        assert chunk, "the live connection was closed by the reload"
        got += chunk
    assert hashlib.sha256(live.getpeercert(binary_form=True)).hexdigest() == old
    live.close()


def test_sighup_keeps_old_certificate_on_bad_files(server_factory, own_cert, tmp_path):
    server = server_factory(tls_cert=own_cert[0], tls_key=own_cert[1])
    old = file_fingerprint(own_cert[0])
    # A renewed certificate whose key has not been copied yet: they do not match.
    cert, _ = make_cert(str(tmp_path), "renewed")
    shutil.copy(cert, own_cert[0])
    hup_and_wait(server, LOG_LINE % ("error", "server") + r"SIGHUP: TLS certificate and key "
                 r"not reloaded; keeping the old ones")
    assert re.search(LOG_LINE % ("error", "tls") + r"private key \S+ does not match",
                     server.log()), server.log()
    assert server.alive()
    assert peer_fingerprint(server.tls_port) == old


def test_sighup_reopens_log_file(server_factory, tmp_path):
    log = str(tmp_path / "parley.log")
    server = server_factory(log_file=log)
    assert wait_for(lambda: os.path.exists(log), 10), "no log_file"
    with open(log) as f:
        assert re.search(LOG_LINE % ("info", "server") + "listening on", f.read())
    os.rename(log, log + ".1")  # what logrotate does
    server.proc.send_signal(signal.SIGHUP)
    reopened = LOG_LINE % ("info", "server") + "SIGHUP: reopened log_file " + re.escape(log)

    def has_line():
        try:
            with open(log) as f:
                return re.search(reopened, f.read())
        except FileNotFoundError:
            return None
    assert wait_for(has_line, 10), "nothing logged in the reopened log_file"
    assert server.alive()
    with open(log + ".1") as f:
        assert not re.search(reopened, f.read()), "logging went on in the moved file"


# ---- storage errors and the first-start hint ---------------------------------------------

def test_storage_error_is_logged_with_time_and_level(tls_files):
    srv = Server(tls_files, {})
    try:
        os.makedirs(srv.data, mode=0o700)
        with open(os.path.join(srv.data, "parley.db"), "wb") as f:
            f.write(b"this is not an SQLite database" * 100)
        r = subprocess.run([PARLEYD, "-c", srv.conf], capture_output=True, text=True, timeout=30)
        assert r.returncode != 0
        assert re.search(LOG_LINE % ("error", "storage") + r".*file is not a database",
                         r.stderr), r.stderr
        assert not re.search(r"(?m)^storage:", r.stderr), r.stderr
    finally:
        shutil.rmtree(srv.dir, ignore_errors=True)


HINT = r"parleyctl -c \S+ adduser"


def test_add_user_hint_only_without_accounts(server):
    assert wait_for(lambda: log_count(server, HINT) == 1, 10), "no hint on a first start"
    server.adduser("alice", "pw")
    server.restart()
    assert wait_for(lambda: log_count(server, r"(?m)^parleyd \S+ serving") == 2, 10), \
        "no second banner"
    assert log_count(server, HINT) == 1, "hint printed although an account exists"
