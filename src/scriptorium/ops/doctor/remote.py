"""Checks against the running server (`--url`): health, CORS preflight per origin, and one real request per app.

The end-to-end checks use the public API exactly as a browser would, so they prove the whole path: tunnel or
proxy, server, database, queue, worker and model. A server that does not expose an app's routes (the route is
missing, not the resource) is reported as skipped rather than broken.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
from httpx_sse import EventSource

from scriptorium.ops.doctor.context import Context
from scriptorium.ops.doctor.report import CheckResult, failed, passed, reason, skipped

QUESTION = "Who is on this page?"
TEMPLATE = (
    "Dear {{name}},\n\nI read about your work on {{research_interest}} and would like to learn more about it.\n\n"
    "Best regards,\nA student"
)
SCRIBE_DONE = {"SUCCESS", "success", "completed", "done"}
SCRIBE_FAILED = {"FAILURE", "failure", "failed", "REVOKED", "cancelled"}


async def api(ctx: Context) -> CheckResult:
    try:
        response = await ctx.http.get(ctx.endpoint("/health"))
    except Exception as exc:
        return failed(
            "api",
            f"nothing answers at {ctx.url}: {reason(exc)}",
            "start the server (`sudo systemctl start scriptorium-serve`) and check the tunnel or proxy in front",
        )
    body = _json(response)
    if response.status_code == 200 and body.get("status") == "ok":
        return passed("api", f"{ctx.url}/health ok (profile {body.get('profile', '?')})")
    failing = ", ".join(body.get("failing", [])) or f"HTTP {response.status_code}"
    return failed(
        "api", f"{ctx.url}/health reports a problem: {failing}", "see the server's log: journalctl -u scriptorium-serve"
    )


async def cors(ctx: Context) -> list[CheckResult]:
    """A browser's preflight for the cross-origin calls the frontend makes (POST and PATCH with JSON)."""
    origins = ctx.settings.origins
    if not origins:
        return [skipped("cors", "ALLOWED_ORIGINS is empty: only a UI served by this server can call the API")]
    results = []
    for origin in origins:
        if origin == "*":
            results.append(passed("cors", "'*' allows every origin (without credentials)"))
            continue
        results.append(await _preflight(ctx, origin))
    return results


async def _preflight(ctx: Context, origin: str) -> CheckResult:
    for method in ("POST", "PATCH"):
        headers = {
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization,content-type",
        }
        try:
            response = await ctx.http.options(ctx.endpoint("/api/sessions"), headers=headers)
        except Exception as exc:
            return failed("cors", f"preflight from {origin} failed: {reason(exc)}", "check --url")
        allowed = response.headers.get("access-control-allow-origin")
        if response.status_code != 200 or allowed not in (origin, "*"):
            return failed(
                "cors",
                f"the server refuses {method} from {origin} (status {response.status_code}, allow-origin {allowed!r})",
                f"add {origin} to ALLOWED_ORIGINS in the server's environment and restart it",
            )
    return passed("cors", f"preflight from {origin} allowed (POST, PATCH)")


async def companion(ctx: Context) -> CheckResult:
    """Open a reading session on the first episode and stream one answer to its `done` frame."""
    started = time.perf_counter()
    try:
        listing = await ctx.http.get(ctx.endpoint("/api/episodes"), headers=ctx.auth_headers)
        if _route_missing(listing):
            return skipped("companion", "this server has no Companion API")
        if listing.status_code in (401, 403):
            return failed("companion", "the server requires sign-in", "pass --token with a valid bearer token")
        episodes = _items(_json_any(listing), "episodes")
        if listing.status_code != 200 or not episodes:
            return failed(
                "companion",
                f"no episodes to read (status {listing.status_code})",
                "load content: `scriptorium companion load-sample` or `scriptorium companion ingest PATH`",
            )
        created = await ctx.http.post(
            ctx.endpoint("/api/sessions"), json={"episode_slug": episodes[0]["slug"]}, headers=ctx.auth_headers
        )
        session_id = _json(created).get("session_id") or _json(created).get("id")
        if created.status_code not in (200, 201) or not session_id:
            return failed("companion", f"creating a session answered {created.status_code}", "see the server's log")
        outcome = await asyncio.wait_for(_stream_answer(ctx, str(session_id)), ctx.timeout)
    except TimeoutError:
        return failed("companion", f"no complete answer within {ctx.timeout:.0f} s", _model_fix(ctx))
    except Exception as exc:
        return failed("companion", f"the chat request failed: {reason(exc)}", "see the server's log")
    seconds = time.perf_counter() - started
    if outcome.get("event") == "done":
        return passed("companion", f"chat answered in {seconds:.1f} s ({outcome['tokens']} token frames)")
    detail = outcome.get("data", {})
    message = detail.get("message") or detail.get("detail") or "no done frame"
    return failed("companion", f"the chat stream ended with {outcome.get('event')!r}: {message}", _model_fix(ctx))


async def _stream_answer(ctx: Context, session_id: str) -> dict[str, Any]:
    url = ctx.endpoint(f"/api/sessions/{session_id}/messages")
    body = {"mode": "page", "message": QUESTION}
    headers = {"Accept": "text/event-stream", **ctx.auth_headers}
    tokens = 0
    async with ctx.http.stream("POST", url, json=body, headers=headers) as response:
        if response.status_code != 200:
            await response.aread()
            return {"event": f"HTTP {response.status_code}", "data": _json(response), "tokens": 0}
        async for sse in EventSource(response).aiter_sse():
            if sse.event == "token":
                tokens += 1
            elif sse.event in ("done", "error"):
                return {"event": sse.event, "data": _loads(sse.data), "tokens": tokens}
    return {"event": "end of stream", "data": {}, "tokens": tokens}


async def scribe(ctx: Context) -> CheckResult:
    """Submit a dry-run generation and poll its status until it finishes.

    A dry run goes through the server's queue, worker and chat model but makes no research requests, does not
    count against the user's daily email quota and leaves nothing in their history (see docs/scribe.md).
    """
    started = time.perf_counter()
    payload = {
        "email_template": TEMPLATE,
        "recipient_name": "Doctor Probe",
        "recipient_interest": "verifying deployments",
        "dry_run": True,
    }
    try:
        submitted = await ctx.http.post(ctx.endpoint("/api/email/generate"), json=payload, headers=ctx.auth_headers)
        if submitted.status_code == 403 and "init" in json.dumps(_json(submitted)).lower():
            await ctx.http.post(
                ctx.endpoint("/api/user/init"), json={"display_name": "doctor"}, headers=ctx.auth_headers
            )
            submitted = await ctx.http.post(ctx.endpoint("/api/email/generate"), json=payload, headers=ctx.auth_headers)
    except Exception as exc:
        return failed("scribe", f"submitting a generation failed: {reason(exc)}", "see the server's log")
    if _route_missing(submitted):
        return skipped("scribe", "this server has no Scribe API")
    if submitted.status_code in (401, 403):
        return failed("scribe", "the server requires sign-in", "pass --token with a valid bearer token")
    if submitted.status_code == 429:  # dry runs skip the email quota but have a daily cap of their own
        return failed(
            "scribe",
            f"generate answered 429: {_json(submitted).get('detail', 'rate limited')}",
            "this user has used today's dry runs (or, on a server without dry runs, its email quota): "
            "try after 00:00 UTC or pass --token for another user",
        )
    task_id = _json(submitted).get("task_id")
    # A server from before dry runs ignores the flag: the check then cost a real email, so say so.
    kind = "dry-run generation" if _json(submitted).get("dry_run") is True else "generation (not a dry run)"
    if submitted.status_code not in (200, 201, 202) or not task_id:
        return failed("scribe", f"generate answered {submitted.status_code}", "see the server's log")
    status, error = "PENDING", ""
    while time.perf_counter() - started < ctx.timeout:
        polled = await ctx.http.get(ctx.endpoint(f"/api/email/status/{task_id}"), headers=ctx.auth_headers)
        body = _json(polled)
        status, error = str(body.get("status", "")), str(body.get("error") or "")
        if status in SCRIBE_DONE:
            return passed("scribe", f"{kind} finished in {time.perf_counter() - started:.1f} s")
        if status in SCRIBE_FAILED:
            return failed("scribe", f"the generation failed: {error or status}", _model_fix(ctx))
        await asyncio.sleep(0.5)
    worker = "the worker" if not ctx.settings.consumer_in_process else "the server's job consumer"
    return failed(
        "scribe",
        f"the generation was still {status} after {ctx.timeout:.0f} s",
        f"check that {worker} is running and see its log",
    )


def _model_fix(ctx: Context) -> str:
    if ctx.settings.chat_provider == "offline":
        return "see the server's log (journalctl -u scriptorium-serve)"
    return "check the chat provider (the `chat` check above) and the worker's log"


def _route_missing(response: httpx.Response) -> bool:
    """The server lacks the route itself (404 "no route" or 405), as opposed to a missing resource."""
    if response.status_code == 405:
        return True
    return response.status_code == 404 and str(_json(response).get("detail", "")).startswith("no route")


def _items(body: Any, key: str) -> list[dict[str, Any]]:
    items = body.get(key, body.get("items", [])) if isinstance(body, dict) else body
    return [item for item in items if isinstance(item, dict) and "slug" in item] if isinstance(items, list) else []


def _json(response: httpx.Response) -> dict[str, Any]:
    body = _json_any(response)
    return body if isinstance(body, dict) else {}


def _json_any(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _loads(data: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
