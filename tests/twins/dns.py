"""A loopback DNS server (UDP) answering TXT queries from a dict: the deliverability check's internet.

`DnsTwin({"uni.test": ["v=spf1 include:_spf.google.com -all"], "_dmarc.uni.test": ["v=DMARC1; p=reject"]})`
answers TXT for those names, NOERROR with no answer for other record types of a known name, NXDOMAIN for
unknown names, and SERVFAIL for names in `failing`. `records` may be changed while it runs. Long TXT values are
split into 255-byte strings as real zones do. It runs on its own event loop in a thread; `start` returns once
a query got its answer.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import dns.exception
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, twin: DnsTwin) -> None:
        self.twin = twin
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return
        self.transport.sendto(self.twin.answer(query).to_wire(), addr)


class DnsTwin:
    def __init__(self, records: Mapping[str, Sequence[str]] | None = None) -> None:
        self.records: dict[str, list[str]] = {k.rstrip(".").lower(): list(v) for k, v in (records or {}).items()}
        self.failing: set[str] = set()
        self.queries: list[str] = []
        self.host = "127.0.0.1"
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        self.queries.append(f"{dns.rdatatype.to_text(question.rdtype)} {name}")
        if name in self.failing:
            response.set_rcode(dns.rcode.SERVFAIL)
        elif name not in self.records and not any(key.endswith("." + name) for key in self.records):
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.TXT and self.records.get(name):
            texts = []
            for value in self.records[name]:
                raw = value.encode()
                chunks = [raw[i : i + 255] for i in range(0, len(raw), 255)] or [b""]
                texts.append(" ".join('"' + c.decode().replace('"', '\\"') + '"' for c in chunks))
            response.answer.append(
                dns.rrset.from_text(question.name, 300, dns.rdataclass.IN, dns.rdatatype.TXT, *texts)
            )
        return response

    def start(self) -> DnsTwin:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                transport, _ = loop.run_until_complete(
                    loop.create_datagram_endpoint(lambda: _Protocol(self), local_addr=(self.host, 0))
                )
                self.port = transport.get_extra_info("sockname")[1]
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            transport.close()
            loop.close()

        self._thread = threading.Thread(target=run, name="dns-twin", daemon=True)
        self._thread.start()
        if not ready.wait(30) or failure:
            raise RuntimeError(f"DNS twin did not start: {failure[:1]}")
        self._probe()
        return self

    def _probe(self) -> None:
        """One real query over UDP, answered: the twin is ready."""
        query = dns.message.make_query("ready.twin.", dns.rdatatype.TXT)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(10)
            sock.sendto(query.to_wire(), (self.host, self.port))
            sock.recvfrom(4096)
        self.queries.clear()

    def stop(self) -> None:
        loop, thread, self._loop, self._thread = self._loop, self._thread, None, None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)

    def __enter__(self) -> DnsTwin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
