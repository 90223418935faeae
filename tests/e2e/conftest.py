# SPDX-License-Identifier: MIT
"""Fixtures: a real bin/parleyd on free loopback ports with a temporary data dir."""
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PARLEYD = os.environ.get("PARLEYD", os.path.join(ROOT, "bin", "parleyd"))
PARLEYCTL = os.environ.get("PARLEYCTL", os.path.join(ROOT, "bin", "parleyctl"))
DOMAIN = "localhost"


def free_port():
    return free_ports(1)[0]


def free_ports(n):
    """n distinct free ports: the sockets stay bound until all are picked (one at a time, the
    kernel may hand out the same port twice)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    cert, key = str(d / "cert.pem"), str(d / "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "30", "-subj", "/CN=" + DOMAIN,
         "-addext", "subjectAltName=DNS:" + DOMAIN, "-keyout", key, "-out", cert],
        check=True, capture_output=True)
    return cert, key


class Server:
    """One parleyd process; start/stop/restart keep the same data dir and ports."""

    def __init__(self, tls_files, extra, preexec=None):
        self.dir = tempfile.mkdtemp(prefix="parley-e2e-")
        self.data = os.path.join(self.dir, "data")
        self.port, self.tls_port, self.http_port, self.https_port = free_ports(4)
        self.conf = os.path.join(self.dir, "parley.conf")
        self.log_path = os.path.join(self.dir, "parleyd.log")
        opts = {
            "domain": DOMAIN, "bind_address": "127.0.0.1", "c2s_port": self.port,
            "c2s_tls_port": self.tls_port, "http_port": self.http_port,
            "https_port": self.https_port, "data_dir": self.data, "tls_cert": tls_files[0],
            "tls_key": tls_files[1], "log_level": "debug",
        }
        opts.update(extra)
        # A dict value is a module's [section]: written after the top-level keys.
        flat = [(k, v) for k, v in opts.items() if not isinstance(v, dict)]
        sections = [(k, v) for k, v in opts.items() if isinstance(v, dict)]
        with open(self.conf, "w") as f:
            for k, v in flat:
                f.write("%s = %s\n" % (k, str(v).lower() if isinstance(v, bool) else v))
            for name, keys in sections:
                f.write("[%s]\n" % name)
                for k, v in keys.items():
                    f.write("%s = %s\n" % (k, str(v).lower() if isinstance(v, bool) else v))
        self.preexec = preexec  # runs in the child before exec (e.g. to set resource limits)
        self.proc = None

    def start(self):
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([PARLEYD, "-c", self.conf], stdout=self.logf,
                                     stderr=subprocess.STDOUT, preexec_fn=self.preexec)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("parleyd exited: " + self.log())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("parleyd did not start: " + self.log())

    def stop(self, sig=15, timeout=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.logf.close()
        code = self.proc.returncode if self.proc else None
        self.proc = None
        return code

    def restart(self):
        self.stop()
        self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def ctl(self, *args, check=True):
        r = subprocess.run([PARLEYCTL, "-c", self.conf] + list(args), capture_output=True,
                           text=True, timeout=60)
        if check and r.returncode != 0:
            raise RuntimeError("parleyctl %s: %s%s" % (args, r.stdout, r.stderr))
        return r

    def adduser(self, user, password):
        self.ctl("adduser", "%s@%s" % (user, DOMAIN), password)
        return "%s@%s" % (user, DOMAIN)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


def make_server(request, tls_files, preexec=None, **extra):
    srv = Server(tls_files, extra, preexec)
    srv.start()

    def fin():
        code = srv.stop()
        failed = getattr(request.node, "rep_call", None)
        if (failed and failed.failed) or code not in (0, None):
            sys.stderr.write("\n--- parleyd log (%s) ---\n%s\n" % (srv.log_path, srv.log()))
        assert code in (0, None), "parleyd exited with %s" % code
        shutil.rmtree(srv.dir, ignore_errors=True)

    request.addfinalizer(fin)
    return srv


@pytest.fixture
def server(request, tls_files):
    """A fresh server per test (STARTTLS required, registration off)."""
    return make_server(request, tls_files)


@pytest.fixture
def server_factory(request, tls_files):
    """Makes a server with extra config keys, e.g. server_factory(allow_registration=True);
    a dict value is a module's section, e.g. roster={"max_items": 5}; preexec=fn runs in the
    server's process before exec."""
    return lambda **extra: make_server(request, tls_files, **extra)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def client_tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx
