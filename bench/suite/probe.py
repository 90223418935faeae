#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What a server offers a client, for the method section of bench/RESULTS.md.

Usage: probe.py PORT DOMAIN. Connects to 127.0.0.1:PORT, upgrades with STARTTLS and prints
one line: the SASL mechanisms offered after TLS (the TLS version, cipher and key exchange
come from `openssl s_client` in bench.sh). Loopback only; every read has a timeout.
"""
import re
import socket
import ssl
import sys

TIMEOUT = 10


def read_until(sock, pattern, limit=65536):
    """Reads until the regex matches the received text; returns the text."""
    data = b""
    while not re.search(pattern, data) and len(data) < limit:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def open_stream(sock, domain):
    sock.sendall((f"<?xml version='1.0'?><stream:stream to='{domain}' version='1.0' "
                  "xmlns='jabber:client' "
                  "xmlns:stream='http://etherx.jabber.org/streams'>").encode())
    return read_until(sock, rb"</stream:features>")


def main():
    port, domain = int(sys.argv[1]), sys.argv[2]
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    open_stream(sock, domain)
    sock.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    read_until(sock, rb"<proceed")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the suite's own self-signed certificate
    tls = ctx.wrap_socket(sock, server_hostname=domain)
    features = open_stream(tls, domain).decode("utf-8", "replace")
    mechs = re.findall(r"<mechanism>([^<]+)</mechanism>", features)
    print(f"SASL offered: {', '.join(mechs) or 'none'}")
    tls.close()


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError, IndexError) as e:
        print(f"probe failed: {e}")
        sys.exit(1)
