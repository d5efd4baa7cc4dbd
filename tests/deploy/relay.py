"""A TCP relay from the Docker bridge to a loopback-only server, so a container reaches the host's PostgreSQL.

The test PostgreSQL listens on 127.0.0.1 only, which a container on Docker's default bridge cannot reach, and
the tests must not reconfigure a server the rest of the suite shares. The relay listens on the bridge's gateway
address (what `--add-host NAME:host-gateway` resolves to inside a container) and copies bytes both ways. The
container keeps its own network and a published port, as on Fly; only the database hop goes through here.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class Relay:
    """Listen on `listen_host` (a free port) and forward every connection to `target`."""

    def __init__(self, listen_host: str, target: tuple[str, int]) -> None:
        self._target = target
        self._server = socket.create_server((listen_host, 0))
        self.port: int = self._server.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name="db-relay", daemon=True)

    def __enter__(self) -> Relay:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        # shutdown() wakes the thread blocked in accept(); close() alone would not.
        _shut(self._server)
        self._server.close()
        self._thread.join(timeout=5)
        with self._lock:
            for sock in list(self._open):
                _shut(sock)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self._target, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        # Either side closing ends the connection: PostgreSQL's protocol never half-closes.
        for sock in (source, sink):
            _shut(sock)
            sock.close()
        with self._lock:
            self._open.difference_update((source, sink))


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
