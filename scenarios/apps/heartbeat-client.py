#!/usr/bin/python3
"""heartbeat-client.py HOST PORT [TIMEOUT]

A client with its own application heartbeat, as many protocols have one
(STOMP heart-beating, WebSocket pings, a chat server's keepalive lines): the
server sends something more often than every TIMEOUT seconds (default 2;
python-own-timeout.scn's server writes a line every 0.5 s), and the client
reads with that deadline. When nothing has arrived for TIMEOUT
seconds it prints "peer not responding" once - the moment the application
knows - and, like many real clients that only log or mark the peer as
suspect, keeps the socket and goes on reading. TCP keepalive (4 s idle,
1 s interval, 2 probes) is on as well, so the kernel gives its own verdict
later; the read then fails with it ("connection lost: ...") and the client
exits 1. It never writes, so no data in flight holds keepalive back.
"""
import select
import socket
import sys
import time


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    host, port = sys.argv[1], int(sys.argv[2])
    timeout = float(sys.argv[3]) if len(sys.argv) == 4 else 2.0

    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 4)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 2)
    print("connected to %s port %d; heartbeat timeout %gs" % (host, port, timeout), flush=True)

    poller = select.poll()
    poller.register(sock, select.POLLIN)
    last_beat = time.monotonic()
    suspect = False
    while True:
        if suspect:
            wait_ms = None  # only the kernel's verdict or new data ends this wait
        else:
            wait_ms = max(0, (last_beat + timeout - time.monotonic()) * 1000)
        if not poller.poll(wait_ms):
            print("peer not responding: no heartbeat for %gs" % timeout, flush=True)
            suspect = True
            continue
        try:
            data = sock.recv(4096)
        except OSError as e:
            print("connection lost: %s" % e.strerror, flush=True)
            return 1
        if not data:
            print("connection closed by the peer", flush=True)
            return 1
        last_beat = time.monotonic()
        if suspect:
            print("peer is back", flush=True)
            suspect = False


if __name__ == "__main__":
    sys.exit(main())
