# SPDX-License-Identifier: MIT
"""The web chat page (Converse.js at /chat/) in a real browser: Debian's chromium, headless,
driven by playwright-core (tests/web/chat_browser.mjs). Two users log in through the page's
form, chat 1:1 both ways and meet in a room; the page loads everything from the server and
addresses nothing beyond it. Once from http_port (ws://, SCRAM through the plain HTTP
loopback exception), once from https_port (wss://). Screenshots of both pages, after the 1:1
chat and in the room: build/test-artifacts/web-chat-{http,https}-{alice,bob}-{chat,room}.png."""
import json
import os
import shutil
import signal
import subprocess

import pytest

from conftest import DOMAIN, ROOT

CHAT_DIR = os.path.join(ROOT, "build", "web", "chat")
ARTIFACTS = os.path.join(ROOT, "build", "test-artifacts")
SCRIPT = os.path.join(ROOT, "tests", "web", "chat_browser.mjs")
TIMEOUT_S = 55  # the script gives up by itself after 45 s


def browse(*args):
    """Runs the browser script beside the npm packages the Makefile installed, in a process
    group of its own so that nothing it started outlives it; returns its JSON report."""
    modules = os.environ.get("NODE_PATH")
    if not modules or not os.path.isdir(modules):
        pytest.fail("NODE_PATH must name the installed npm packages (run through make e2e)")
    script = shutil.copy(SCRIPT, os.path.dirname(modules))
    proc = subprocess.Popen(["node", script] + list(args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        out, err = "", "no report within %d s" % TIMEOUT_S
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the browser too, whatever happened
        except ProcessLookupError:
            pass
        proc.wait()
    lines = out.strip().splitlines()
    assert lines, "no report: %s" % err
    return json.loads(lines[-1]), err


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_two_browsers_chat_and_meet_in_a_room(server_factory, scheme):
    if not os.path.isfile(os.path.join(CHAT_DIR, "index.html")):
        pytest.fail("the chat page is not built (make chat)")
    srv = server_factory(web_chat_dir=CHAT_DIR)
    alice = srv.adduser("alice", "pw-alice")
    bob = srv.adduser("bob", "pw-bob")
    os.makedirs(ARTIFACTS, exist_ok=True)
    port = srv.https_port if scheme == "https" else srv.http_port
    page = "%s://localhost:%d/chat/" % (scheme, port)
    room = "lobby@conference.%s" % DOMAIN
    shots = os.path.join(ARTIFACTS, "web-chat-" + scheme)

    report, err = browse(page, room, shots, alice, "pw-alice", bob, "pw-bob")

    assert report["step"] == "done", (report, err)
    assert report["title"] == "Parley", report
    for jid in (alice, bob):
        seen = report["users"][jid]
        assert seen == {"logged_in": True, "saw_chat": True, "saw_room": True}, (jid, report)
    ws = "%s://localhost:%d/xmpp-websocket" % ("wss" if scheme == "https" else "ws", port)
    assert set(report["websockets"]) == {ws}, report
    assert report["foreign"] == [] and report["foreign_stanzas"] == [], report
    assert report["http_errors"] == [] and report["page_errors"] == [], report
    assert report["csp"] == [], report
    # The page points room suggestions at the server's own MUC service.
    assert set(report["room_search"]) <= {"conference.%s" % DOMAIN}, report
    assert len(report["screenshots"]) == 4, report
    for path in report["screenshots"]:
        assert os.path.getsize(path) > 10000, path
    log = srv.log()
    assert "authenticated as %s" % alice in log and "authenticated as %s" % bob in log
