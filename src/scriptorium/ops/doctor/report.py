"""What a doctor check returns, and how a list of them is printed for people (`text`) or machines (`--json`)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Literal

Status = Literal["pass", "warn", "fail", "skip"]
LABELS: dict[Status, str] = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "skip": "SKIP"}


@dataclass(frozen=True)
class CheckResult:
    """One line of the report: the layer it concerns, what was found, and the single next thing to do."""

    layer: str
    status: Status
    summary: str
    fix: str = ""
    ms: float = 0.0


def passed(layer: str, summary: str) -> CheckResult:
    return CheckResult(layer, "pass", summary)


def failed(layer: str, summary: str, fix: str) -> CheckResult:
    return CheckResult(layer, "fail", summary, fix)


def warned(layer: str, summary: str, fix: str = "") -> CheckResult:
    return CheckResult(layer, "warn", summary, fix)


def skipped(layer: str, summary: str, fix: str = "") -> CheckResult:
    return CheckResult(layer, "skip", summary, fix)


def reason(exc: BaseException) -> str:
    """A short, secret-free reason: the exception type and the first line of its message."""
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    origin = getattr(exc, "orig", None) or exc
    first = (str(origin).strip().splitlines() or [""])[0]
    return f"{type(origin).__name__}: {first[:200]}" if first else type(origin).__name__


def ok(results: list[CheckResult]) -> bool:
    return not any(result.status == "fail" for result in results)


def render_text(results: list[CheckResult]) -> str:
    width = max((len(result.layer) for result in results), default=8)
    lines = []
    for result in results:
        timing = f" ({result.ms:.0f} ms)" if result.ms >= 1 else ""
        lines.append(f"{LABELS[result.status]}  {result.layer:<{width}}  {result.summary}{timing}")
        if result.fix and result.status in ("fail", "warn"):
            lines.append(f"{'':6}{'':<{width}}  -> {result.fix}")
    failures = sum(result.status == "fail" for result in results)
    lines.append("all checks passed" if not failures else f"{failures} check(s) failed: fix the first one first")
    return "\n".join(lines)


def render_json(results: list[CheckResult]) -> str:
    return json.dumps({"ok": ok(results), "checks": [asdict(result) for result in results]}, indent=2)
