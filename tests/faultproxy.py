"""A small fault-injecting TCP proxy for tests: reset, clean close, stall, latency, cut after N bytes.

Listens on 127.0.0.1 (an ephemeral port) and forwards to a target. Faults apply to the
connections open now (``reset``, ``close``, ``stall``) or to what flows from now on
(``latency``, ``cut_after``). Optionally terminates TLS, so a client can speak amqps://
to a plain broker.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
import time


class FaultProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1", tls: ssl.SSLContext | None = None):
        self.target = (target_host, target_port)
        self.tls = tls
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.latency = 0.0
        self.cut_after: int | None = None  # bytes client->server before the connection is cut
        self.stalled = threading.Event()
        self.accepted = 0
        self.held = 0  # chunks from clients held while stalled (a test can wait for data stuck in the proxy)
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # -- faults --------------------------------------------------------------------
    def reset(self) -> None:
        """Abort every open connection with a TCP RST.

        A pump thread blocked in recv() keeps its socket open however often another thread closes it:
        shutting the read side down wakes it (nothing is sent), and its own close, lingering 0, sends
        the RST, to the client and to the server alike."""
        for client, upstream in self._take_pairs():
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RD)

    def close(self) -> None:
        """Close every open connection cleanly (FIN)."""
        for client, upstream in self._take_pairs():
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()

    def stall(self) -> None:
        """Stop forwarding in both directions (connections stay open, nothing moves)."""
        self.stalled.set()

    def resume(self) -> None:
        self.stalled.clear()

    def shutdown(self) -> None:
        """Stop listening (new connections are refused) and close every open connection."""
        self._closed = True
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept loop; close() alone may not
        with contextlib.suppress(OSError):
            self.listener.close()
        self.close()

    # -- plumbing ------------------------------------------------------------------
    def _take_pairs(self) -> list[tuple[socket.socket, socket.socket]]:
        with self._lock:
            pairs, self._pairs = self._pairs, []
        return pairs

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                if self.tls is not None:
                    client = self.tls.wrap_socket(client, server_side=True)
                upstream = socket.create_connection(self.target)
            except (OSError, ssl.SSLError):
                with contextlib.suppress(OSError):
                    client.close()
                continue
            self.accepted += 1
            with self._lock:
                self._pairs.append((client, upstream))
            budget = [self.cut_after]
            threading.Thread(target=self._pump, args=(client, upstream, budget), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, None), daemon=True).start()

    def _pump(self, source: socket.socket, dest: socket.socket, budget: list[int | None] | None) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if self.stalled.is_set() and budget is not None:  # client to server
                    self.held += 1
                while self.stalled.is_set() and not self._closed:
                    time.sleep(0.01)
                if self.latency:
                    time.sleep(self.latency)
                if budget is not None and budget[0] is not None:
                    if len(data) >= budget[0]:
                        dest.sendall(data[: budget[0]])
                        raise ConnectionAbortedError("cut")
                    budget[0] -= len(data)
                dest.sendall(data)
        except (OSError, ConnectionAbortedError):
            pass
        finally:
            for sock in (source, dest):
                with contextlib.suppress(OSError):
                    sock.close()
