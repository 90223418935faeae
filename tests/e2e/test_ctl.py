# SPDX-License-Identifier: MIT
"""bin/parleyctl manages accounts while the server runs; parleyd --check-config."""
import subprocess

import pytest

from conftest import DOMAIN, PARLEYD, free_port
from xmpp_helpers import plain_login

def users(server):
    r = server.ctl("users")
    return sorted(r.stdout.split())


def test_account_lifecycle_while_running(server):
    r = server.ctl("adduser", "alice@localhost", "first-pw")
    assert r.returncode == 0 and "added alice@localhost" in r.stdout, r
    assert users(server) == ["alice@localhost"]
    assert plain_login(server.port, "alice", "first-pw") == "success"

    r = server.ctl("passwd", "alice@localhost", "second-pw")
    assert r.returncode == 0 and "alice@localhost" in r.stdout, r
    assert plain_login(server.port, "alice", "first-pw") == "not-authorized", "old password still works"
    assert plain_login(server.port, "alice", "second-pw") == "success", "new password refused"

    r = server.ctl("deluser", "alice@localhost")
    assert r.returncode == 0 and "deleted alice@localhost" in r.stdout, r
    assert users(server) == []
    assert plain_login(server.port, "alice", "second-pw") == "not-authorized", "deleted user logged in"
    assert server.alive()


def test_password_starting_with_dash(server):
    assert server.ctl("adduser", "alice@localhost", "-n-not-an-option").returncode == 0
    assert plain_login(server.port, "alice", "-n-not-an-option") == "success"


@pytest.mark.parametrize("cmd", ["adduser", "passwd", "deluser"])
@pytest.mark.parametrize("jid,message", [
    ("alice@@localhost", "not a valid JID"),
    ("@localhost", "not a valid JID"),
    ("localhost", "has no user part"),
    ("alice@localhost/phone", "has a resource"),
    ("alice@example.org", "not hosted here"),
])
def test_bad_jids_are_refused(server, cmd, jid, message):
    args = [cmd, jid] + ([] if cmd == "deluser" else ["some-pw"])
    r = server.ctl(*args, check=False)
    assert r.returncode != 0, "%s %s accepted: %s" % (cmd, jid, r.stdout)
    assert message in r.stderr, "unclear message: %r" % r.stderr
    assert users(server) == []


@pytest.mark.parametrize("args,rc,message", [
    (["adduser", "alice@localhost", "again"], 1, "alice@localhost already exists"),
    (["passwd", "bob@localhost", "pw"], 1, "bob@localhost does not exist"),
    (["deluser", "bob@localhost"], 1, "bob@localhost does not exist"),
    (["adduser", "bob@localhost", ""], 1, "password must be"),
    (["adduser", "bob@localhost", "x" * 1024], 1, "password must be"),
    (["adduser", "bob@localhost"], 2, "usage"),
    (["frobnicate"], 2, "usage"),
])
def test_refusals(server, args, rc, message):
    server.adduser("alice", "pw-alice")
    r = server.ctl(*args, check=False)
    assert r.returncode == rc, "parleyctl %s: exit %d, want %d" % (args[0], r.returncode, rc)
    assert message in r.stderr, "unclear message: %r" % r.stderr
    assert users(server) == ["alice@localhost"]
    assert plain_login(server.port, "alice", "pw-alice") == "success", "existing account damaged"


# --- parleyd --check-config ---------------------------------------------------------------

def check_config(tmp_path, text):
    path = tmp_path / "parley.conf"
    path.write_text(text)
    r = subprocess.run([PARLEYD, "-c", str(path), "--check-config"], capture_output=True,
                       text=True, timeout=30)
    return str(path), r


def test_check_config_accepts_good_file(tmp_path, tls_files):
    # The check also tries the files, ports and folder the server would use.
    path, r = check_config(tmp_path, "# comment\ndomain = %s\nmax_depth = 16\n"
                                     "allow_registration = yes\ntls_cert = %s\ntls_key = %s\n"
                                     "c2s_port = %d\nc2s_tls_port = %d\nhttp_port = %d\n"
                                     "https_port = %d\ndata_dir = data\n"
                           % (DOMAIN, tls_files[0], tls_files[1], free_port(), free_port(),
                              free_port(), free_port()))
    assert r.returncode == 0, r.stderr


def test_check_config_accepts_running_servers_file(server):
    r = subprocess.run([PARLEYD, "-c", server.conf, "--check-config"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert server.alive(), "--check-config disturbed the running server"


@pytest.mark.parametrize("text,line,message", [
    ("domain = localhost\nbogus_key = 1\n", 2, "unknown key 'bogus_key'"),
    ("domain = localhost\n\nmax_depth = 2\n", 3, "out of range"),
    ("allow_registration = maybe\n", 1, "not a boolean"),
    ("c2s_port = abc\n", 1, "not a number"),
    ("domain = a\ndomain = b\n", 2, "duplicate key 'domain'"),
    ("# header\njust text\n", 2, "missing '='"),
])
def test_check_config_rejects_bad_file(tmp_path, text, line, message):
    path, r = check_config(tmp_path, text)
    assert r.returncode == 2, "exit %d for a bad config" % r.returncode
    assert "%s:%d:" % (path, line) in r.stderr, "no file:line: in %r" % r.stderr
    assert message in r.stderr, "unclear message: %r" % r.stderr
