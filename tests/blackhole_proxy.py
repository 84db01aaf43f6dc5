"""A loopback TCP proxy that can leave its connections half-open, as a broker failover does.

After a Redis restart or failover, or a firewall or NAT device forgetting a connection, a client's
socket can stay "connected" without ever hearing from the server again: no reset, no close, the
bytes it sends vanish and no reply comes. :meth:`BlackholeProxy.blackhole` does exactly that to
every connection open at that moment (both directions stop, the sockets stay open, whatever
arrives is read and thrown away), while connections made afterwards are forwarded normally, as a
client reconnecting to the new server would be.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class _Link:
    """One client connection and its upstream connection, pumped by two threads."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client, self.upstream = client, upstream
        self.blackholed = False
        self.closed = False

    def start(self) -> None:
        for source, target in ((self.client, self.upstream), (self.upstream, self.client)):
            threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if not self.blackholed:
                    target.sendall(data)
        except OSError:
            pass
        if not self.blackholed:  # a half-open link stays open: its peer must not learn anything
            self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for sock in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


class BlackholeProxy:
    """Forward 127.0.0.1:<port> to 127.0.0.1:<upstream_port>."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.links: list[_Link] = []
        self.lock = threading.Lock()
        self.stopped = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> BlackholeProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self) -> None:
        while not self.stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            link = _Link(client, upstream)
            with self.lock:
                self.links.append(link)
            link.start()

    def blackhole(self) -> int:
        """Make every open connection half-open; returns how many there were."""
        with self.lock:
            live = [link for link in self.links if not link.closed and not link.blackholed]
            for link in live:
                link.blackholed = True
        return len(live)

    def open_connections(self) -> int:
        """Connections currently forwarded (not closed, not blackholed)."""
        with self.lock:
            return sum(1 for link in self.links if not link.closed and not link.blackholed)

    def stop(self) -> None:
        self.stopped = True
        self.listener.close()
        with self.lock:
            for link in self.links:
                link.close()
