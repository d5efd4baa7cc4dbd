"""Companion chat benchmark: the server's own time before the first token, and many open SSE chats at once.

    .venv/bin/python bench/companion_chat.py [--concurrency 50] [--rounds 5] [--streams 200] [--python PY] [--write]

Both parts run a real `scriptorium serve` (lite profile: SQLite, offline embeddings) as a subprocess on
127.0.0.1 with the bundled sample loaded, and a fake streaming LLM (the OpenAI-compatible twin) in a second
subprocess, so neither shares a CPU lock with the server or with the measuring client.

1. Time added before the first token, at N concurrent chats: N clients each ask `--rounds` page-mode questions
   back to back. The twin stamps when each request arrives and when it writes its first chunk (CLOCK_MONOTONIC
   is shared by processes on one host), so the server's share of the time to first token is
       (twin arrival - client send) + (client's first token - twin's first chunk)
   i.e. everything before the model call (HTTP, session, cursor, retrieval, prompt) plus relaying the first
   chunk, and nothing of the model's own latency. Target: p95 <= 25 ms at 50 concurrent chats.
2. M concurrent SSE chats: M clients open a chat at the same moment and the twin streams each answer slowly
   (one word per 40 ms), so all M streams are open together. Counts errors (non-200, `error` frames, streams
   without `done`) and samples the server's RSS every 50 ms. Targets: 0 errors, peak RSS <= 200 MB.
Bounded: every request has a timeout and each part a deadline. `--write` saves the table to
docs/bench/companion-chat.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import EventSource

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._proc import free_port, rss_mb, start_cli, stop, table, wait_healthy

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "bench" / "companion-chat.md"
QUESTION_ID = re.compile(r"\[q(\d+)\]")
QUESTIONS = ["What does Marlo say about the lamps?", "Who is on this page?", "Where does Wren live?"]


# --- the fake LLM, run in its own process ------------------------------------------------------------------
class Stamped:
    """ASGI wrapper around the twin: stamps arrival and first content chunk per question id, paces the chunks.

    It only reads the OpenAI wire format (request JSON, `data:` chunks), not the twin's internals.
    """

    def __init__(self, app: Any, word_delay: float) -> None:
        self.app, self.word_delay = app, word_delay
        self.stamps: dict[str, dict[str, float]] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/v1/chat/completions":
            if scope["type"] == "http" and scope["path"] == "/stamps":
                await _json(send, self.stamps)
                return
            await self.app(scope, receive, send)
            return
        arrived = time.monotonic()
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        found = QUESTION_ID.search(body.decode(errors="replace").rsplit('"role"', 1)[-1])
        key = found.group(1) if found else ""
        if key:
            self.stamps[key] = {"arrived": arrived}
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def paced(message: Any) -> None:
            content = message.get("type") == "http.response.body" and b'"content": "' in message.get("body", b"")
            first = content and key and "first_chunk" not in self.stamps.get(key, {})
            if first and b'"content": ""' not in message["body"]:
                self.stamps[key]["first_chunk"] = time.monotonic()
            await send(message)
            if content and self.word_delay:
                await asyncio.sleep(self.word_delay)

        await self.app(scope, replay, paced)


async def _json(send: Any, data: Any) -> None:
    payload = json.dumps(data).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": payload})


def run_twin(port: int, word_delay: float) -> None:
    """Serve the OpenAI twin (one fixed answer of 84 words) behind `Stamped`, until killed."""
    from tests.twins.llm import OpenAITwin
    from tests.twins.server import serve_in_thread

    twin = OpenAITwin()
    # Only names every reader has met (page 1): a name the reader hasn't reached would trip the leak guard, which
    # holds the word until the next delta and then stops the answer, so it would measure the guard, not the server.
    twin.responder = lambda body: "Wren runs up from the docks with Pim: the lamps of Saltwhistle went out again. " * 6
    with serve_in_thread(Stamped(twin, word_delay), port=port):
        while True:
            time.sleep(3600)


def start_twin(word_delay: float) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
        f"import bench.companion_chat as b; b.run_twin({port}, {word_delay})"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1).status_code == 200:
                return process, port
        except httpx.TransportError:
            time.sleep(0.05)
    stop(process)
    raise TimeoutError("the twin did not start")


# --- the server -------------------------------------------------------------------------------------------
def server_env(data_dir: Path, twin_port: int) -> dict[str, str]:
    return {
        "DATA_DIR": str(data_dir),
        "PROFILE": "lite",
        "CHAT_PROVIDER": f"openai-compatible:twin-model@http://127.0.0.1:{twin_port}/v1",
        "EMBEDDING_PROVIDER": "offline",
        "COMPANION_RATE_LIMIT_PER_MINUTE": "100000000",
        "LOG_LEVEL": "WARNING",
        "LLM_MAX_RETRIES": "0",
    }


#: The interpreter that runs `serve`: a clean `pip install .` venv measures what a lite user runs (--python).
SERVER_PYTHON = [sys.executable]


def start_server(data_dir: Path, twin_port: int, **extra: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**server_env(data_dir, twin_port), **extra}
    process = start_cli(["serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(port)], env, SERVER_PYTHON[0])
    wait_healthy(port, timeout=60)
    return process, port


def load_sample(data_dir: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(data_dir), "EMBEDDING_PROVIDER": "offline"}
    subprocess.run(
        [sys.executable, "-m", "scriptorium", "companion", "load-sample"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=300,
    )


# --- clients ----------------------------------------------------------------------------------------------
async def open_session(http: httpx.AsyncClient, page: int) -> str:
    slug = (await http.get("/api/episodes")).json()["episodes"][0]["slug"]
    sid: str = (await http.post("/api/sessions", json={"episode_slug": slug})).json()["session_id"]
    await http.patch(f"/api/sessions/{sid}", json={"current_page": page})
    return sid


async def one_chat(http: httpx.AsyncClient, sid: str, question: str) -> dict[str, Any]:
    """Ask once; return send time, first-token time, and whether it ended with `done`."""
    result: dict[str, Any] = {"ok": False, "first_token": None}
    result["sent"] = time.monotonic()
    async with http.stream("POST", f"/api/sessions/{sid}/messages", json={"message": question}) as response:
        if response.status_code != 200:
            result["error"] = f"HTTP {response.status_code}"
            return result
        async for event in EventSource(response).aiter_sse():
            if event.event == "token" and result["first_token"] is None:
                result["first_token"] = time.monotonic()
            elif event.event == "done":
                result["ok"] = True
            elif event.event == "error":
                result["error"] = event.data
    return result


async def part_one(
    base: str, twin_port: int, concurrency: int, rounds: int, think: tuple[float, float]
) -> dict[str, Any]:
    # Readers pause 3-8 s and uvicorn closes a keep-alive connection after 5 s idle: a client that reuses one just
    # as the server closes it gets a ReadError (one run aborted on it). Browsers retry that case; we drop idle
    # connections first instead.
    limits = httpx.Limits(max_connections=concurrency + 10, keepalive_expiry=2.0)
    counter = iter(range(10**9))
    results: list[dict[str, Any]] = []
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        sids = [await open_session(http, 1 + i % 8) for i in range(concurrency)]
        await one_chat(http, sids[0], "[q999999999] warm up")

        async def client(sid: str, offset: int) -> None:
            # Readers do not all press Enter at the same instant: start spread over one thinking pause.
            await asyncio.sleep(random.uniform(0, think[1]))
            for n in range(rounds):
                key = next(counter)
                asked = await one_chat(http, sid, f"[q{key}] {QUESTIONS[(offset + n) % len(QUESTIONS)]}")
                results.append({**asked, "key": str(key)})
                await asyncio.sleep(random.uniform(*think))

        await asyncio.wait_for(asyncio.gather(*(client(s, i) for i, s in enumerate(sids))), timeout=600)
    async with httpx.AsyncClient(timeout=10) as plain:
        stamps = (await plain.get(f"http://127.0.0.1:{twin_port}/stamps")).json()
    added, ttft, before, relay_ms = [], [], [], []
    for r in results:
        stamp = stamps.get(r["key"], {})
        if r["first_token"] is None or "arrived" not in stamp or "first_chunk" not in stamp:
            continue
        before_model = stamp["arrived"] - r["sent"]
        relay = r["first_token"] - stamp["first_chunk"]
        added.append((before_model + relay) * 1000)
        before.append(before_model * 1000)
        relay_ms.append(relay * 1000)
        ttft.append((r["first_token"] - r["sent"]) * 1000)
    failed = [r.get("error", "no done frame") for r in results if not r["ok"]]
    return {
        "n": len(added),
        "errors": len(failed),
        "error_kinds": sorted(set(failed))[:3],
        **_percentiles("added", added),
        **_percentiles("ttft", ttft),
        **_percentiles("before", before),
        **_percentiles("relay", relay_ms),
    }


async def part_two(base: str, server_pid: int, streams: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=streams + 10)
    fresh = rss_mb(server_pid)
    done = asyncio.Event()
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        sids = [await open_session(http, 1 + i % 8) for i in range(streams)]
        await one_chat(http, sids[0], "warm up")  # loads the embedder and the model client once
        warm = peak = rss_mb(server_pid)

        async def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, rss_mb(server_pid))
                await asyncio.sleep(0.05)

        sampler = asyncio.create_task(sample())
        started = time.monotonic()
        outcomes = await asyncio.wait_for(
            asyncio.gather(*(one_chat(http, s, QUESTIONS[i % 3]) for i, s in enumerate(sids)), return_exceptions=True),
            timeout=300,
        )
        elapsed = time.monotonic() - started
        done.set()
        await sampler
    failed = [repr(o) if isinstance(o, BaseException) else o.get("error", "no done") for o in outcomes if not _ok(o)]
    return {
        "streams": streams,
        "errors": len(failed),
        "error_kinds": sorted(set(failed))[:3],
        "fresh_rss": fresh,
        "warm_rss": warm,
        "peak_rss": peak,
        "seconds": elapsed,
    }


def _ok(outcome: Any) -> bool:
    return not isinstance(outcome, BaseException) and bool(outcome["ok"])


def _percentiles(name: str, values: list[float]) -> dict[str, float]:
    if not values:
        return {f"{name}_p50": float("nan"), f"{name}_p95": float("nan"), f"{name}_max": float("nan")}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return {f"{name}_p50": statistics.median(ordered), f"{name}_p95": p95, f"{name}_max": ordered[-1]}


def _row(label: str, part: dict[str, Any], key: str, target: str = "") -> list[str]:
    return [
        label,
        f"{part[key + '_p50']:.1f} ms",
        f"{part[key + '_p95']:.1f} ms",
        f"{part[key + '_max']:.1f} ms",
        target,
    ]


def report(
    readers: dict[str, Any],
    stress: dict[str, Any],
    many: dict[str, Any],
    offline: dict[str, Any],
    args: argparse.Namespace,
) -> str:
    n = args.concurrency
    rows = [
        _row(f"server time before the first token, {n} chatting readers", readers, "added", "p95 <= 25 ms"),
        _row("  of which: before the model call", readers, "before"),
        _row("  of which: relaying the first chunk", readers, "relay"),
        _row("time to first token seen by the client (same answers)", readers, "ttft"),
        _row(f"stress: server time before the first token, {n} chats back to back", stress, "added"),
    ]
    load = [
        ["answers measured (readers / stress)", f"{int(readers['n'])} / {int(stress['n'])}", ""],
        ["server CPU per answer (84 streamed words)", f"{readers['cpu_ms_per_answer']:.1f} ms", ""],
        [
            "server busy (CPU seconds per second), readers / stress",
            f"{readers['server_busy']:.2f} / {stress['server_busy']:.2f}",
            "",
        ],
        ["errors (readers / stress)", f"{_errors(readers)} / {_errors(stress)}", "0"],
        [f"errors, {int(many['streams'])} concurrent SSE chats", _errors(many), "0"],
        ["`serve` RSS just started", f"{many['fresh_rss']:.0f} MB", ""],
        ["`serve` RSS after one answer (embedder and model client loaded)", f"{many['warm_rss']:.0f} MB", ""],
        [
            f"`serve` peak RSS during the {int(many['streams'])} chats (sampled every 50 ms)",
            f"{many['peak_rss']:.0f} MB",
            "<= 200 MB",
        ],
        [f"wall time until all {int(many['streams'])} answers were done", f"{many['seconds']:.1f} s", ""],
        [f"offline provider: errors, {int(offline['streams'])} chats opened at once", _errors(offline), "0"],
        [
            "offline provider: `serve` RSS just started / after one answer / peak",
            f"{offline['fresh_rss']:.0f} / {offline['warm_rss']:.0f} / {offline['peak_rss']:.0f} MB",
            "<= 200 MB",
        ],
    ]
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    install = "the dev venv (overstates RSS)" if SERVER_PYTHON[0] == sys.executable else "a clean `pip install .` venv"
    load = [*load, ["load average at start / end (1 min)", f"{args.load_before:.1f} / {os.getloadavg()[0]:.1f}", ""]]
    return "\n".join(
        [
            "# Companion chat benchmark",
            "",
            f"Real `scriptorium serve` (lite: SQLite, offline embeddings, the sample comic) on loopback; a fake "
            f"streaming LLM (the OpenAI-compatible twin) in its own process; {machine}; `serve` runs from {install}.",
            "",
            f"- Readers: {n} readers chat at once; each asks, receives the streamed answer (84 words, one every 30 ms, "
            f"so about 2.5 s), pauses {args.think_min:g}-{args.think_max:g} s and asks again, {args.rounds} times. "
            "Stress: the same with no pause (every reader always waiting for an answer).",
            "- Server time before the first token = (twin arrival - client send) + (client first token - twin first "
            "chunk): HTTP, session, cursor, retrieval, prompt and relaying the first chunk, and none of the model's "
            "own latency (both processes read the same CLOCK_MONOTONIC).",
            f"- {int(many['streams'])} concurrent SSE chats: all opened at once, the twin streaming one word every "
            "40 ms, so every stream is open at the same time.",
            "",
            table(["measure", "p50", "p95", "max", "target"], rows),
            "",
            table(["load", "value", "target"], load),
            "",
            "Command: `.venv/bin/python bench/companion_chat.py --python /tmp/lite/bin/python --write` "
            "(`python3 -m venv /tmp/lite && /tmp/lite/bin/pip install .`)",
            "",
        ]
    )


def _errors(part: dict[str, Any]) -> str:
    kinds = "; ".join(str(k)[:80] for k in part.get("error_kinds", []))
    return f"{int(part['errors'])}" + (f" ({kinds})" if kinds else "")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def with_stack(data_dir: Path, word_delay: float, work: Any, **extra: str) -> Any:
    """Start a twin and a server on it, run `work(base_url, twin_port, server_pid)`, stop both."""
    twin, twin_port = start_twin(word_delay)
    try:
        server, port = start_server(data_dir, twin_port, **extra)
        try:
            return await work(f"http://127.0.0.1:{port}", twin_port, server.pid)
        finally:
            stop(server)
    finally:
        stop(twin)


async def run(args: argparse.Namespace) -> str:
    with tempfile.TemporaryDirectory(prefix="bench-chat-") as tmp:
        data_dir = Path(tmp) / "var"
        load_sample(data_dir)

        def measured(rounds: int, think: tuple[float, float]) -> Any:
            async def work(base: str, twin_port: int, pid: int) -> dict[str, Any]:
                before, started = cpu_seconds(pid), time.monotonic()
                result = await part_one(base, twin_port, args.concurrency, rounds, think)
                cpu = cpu_seconds(pid) - before
                result["cpu_ms_per_answer"] = cpu * 1000 / max(1, result["n"])
                result["server_busy"] = cpu / (time.monotonic() - started)
                return result

            return work

        readers = await with_stack(data_dir, 0.03, measured(args.rounds, (args.think_min, args.think_max)))
        stress = await with_stack(data_dir, 0.03, measured(2, (0.0, 0.0)))
        many = await with_stack(data_dir, 0.04, lambda base, _port, pid: part_two(base, pid, args.streams))
        offline = await with_stack(
            data_dir, 0.0, lambda base, _port, pid: part_two(base, pid, args.streams), CHAT_PROVIDER="offline"
        )
    return report(readers, stress, many, offline, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent chats in part 1")
    parser.add_argument("--rounds", type=int, default=5, help="questions per reader in part 1")
    parser.add_argument("--think-min", type=float, default=3.0, help="shortest pause between questions (s)")
    parser.add_argument("--think-max", type=float, default=8.0, help="longest pause between questions (s)")
    parser.add_argument("--streams", type=int, default=200, help="concurrent SSE chats in part 2")
    parser.add_argument("--python", default=sys.executable, help="interpreter for `serve` (a clean lite venv)")
    parser.add_argument("--write", action="store_true", help=f"save the table to {OUT.relative_to(ROOT)}")
    args = parser.parse_args()
    SERVER_PYTHON[0] = args.python
    args.load_before = os.getloadavg()[0]
    text = asyncio.run(run(args))
    print(text)
    if args.write:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(text.rstrip("\n") + "\n\n" + hand_written_notes(OUT), encoding="utf-8")


NOTES_HEADING = "## Reading it"


def hand_written_notes(path: Path) -> str:
    """The page's hand-written part (from `NOTES_HEADING` on), which a rerun keeps below the new tables."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    start = old.find(NOTES_HEADING)
    return old[start:] if start >= 0 else ""


if __name__ == "__main__":
    main()
