"""A loopback S3 endpoint: moto's server on 127.0.0.1 with a free port (in-memory buckets, any credentials)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer

from tests.twins.server import free_port

ACCESS_KEY = "twin-access-key"
SECRET_KEY = "twin-secret-key"


@contextmanager
def serve_s3() -> Iterator[str]:
    """Run an S3 twin and yield its endpoint URL; buckets live until the server stops."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
