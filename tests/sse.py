"""Server-sent events in tests and benches, read with `httpx-sse` (the reader the product uses) and never by hand.

`sse_events(body)` reads a finished body (a stream that ended); a live stream is read with
`httpx_sse.EventSource(response).aiter_sse()` directly.
"""

from __future__ import annotations

import httpx
from httpx_sse import EventSource, ServerSentEvent

__all__ = ["EventSource", "ServerSentEvent", "sse_events"]


def sse_events(body: str) -> list[ServerSentEvent]:
    """Every event of a finished event-stream body, in order (comments such as heartbeats are skipped)."""
    response = httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})
    return list(EventSource(response).iter_sse())
