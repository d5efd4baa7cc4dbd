"""A Scribe process killed with SIGKILL during a batch of 20 loses nothing and duplicates nothing after a restart.

Lite: a real `scriptorium serve` (SQLite, in-process jobs). Scale: a real `scriptorium worker` (PostgreSQL + Redis).
Research goes to the scholarly twin and composition to the OpenAI-compatible twin, both with latency, so the kill
lands while emails are half-written. Afterwards every queue item is completed or needs_review, each with exactly
one email, and the generation counter says 20: each email's writes committed exactly once.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from scriptorium.core.db import transaction
from scriptorium.core.models import User
from scriptorium.core.resources import open_resources
from scriptorium.core.settings import Settings
from scriptorium.migrations import upgrade
from scriptorium.scribe.schemas import BatchItem
from scriptorium.scribe.submit import submit_items
from tests.processes import scalar, sigkill, start, stop, wait_for
from tests.scribe.api.conftest import GENERAL
from tests.twins.llm import OpenAITwin
from tests.twins.scholarly import ScholarlyTwin
from tests.twins.server import free_port

CLI = ["-m", "scriptorium"]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
BATCH = 20
FIXTURE_PEOPLE = [
    ("Dr. Tomás Okafor", "engineering education"),
    ("Priya Raman", "urban stormwater"),
    ("Maria Chen", "protein folding"),
]
ITEMS = [
    {"recipient_name": name, "recipient_interest": interest} for name, interest in (FIXTURE_PEOPLE * 7)[: BATCH - 5]
] + [{"recipient_name": f"Quentin Vey {n}", "recipient_interest": "glacier acoustics"} for n in range(5)]


def compose_reply(request: dict[str, Any]) -> Any:
    return {
        "subject": "A question about your work",
        "body": "Hello,\n\nI'd like to ask for advice about your field. Could I stop by during your office "
        "hours?\n\nThanks,\nSam",
        "claims": [],
    }


@pytest.fixture
def slow_twins(scholarly_twin: ScholarlyTwin, openai_twin: OpenAITwin) -> dict[str, str]:
    scholarly_twin.latency.update(
        {"openalex.authors": 0.6, "s2.authors": 0.6, "openalex.works": 0.2, "arxiv": 0.2, "pages": 0.2}
    )
    openai_twin.latency = 0.3
    openai_twin.responder = compose_reply
    env = {
        k.upper(): ",".join(v) if isinstance(v, list) else str(v)
        for k, v in scholarly_twin.settings_overrides().items()
    }
    env["EMAIL_COMPOSER_MODEL"] = openai_twin.chat_spec()
    return env


def environment(settings: Settings, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_", "JOB_", "QUEUE"))}
    env.update(
        {
            "DATA_DIR": str(settings.data_dir),
            "DATABASE_URL": settings.effective_database_url,
            "JOB_BACKEND": settings.effective_job_backend,
            "JOB_LEASE_SECONDS": "1",
            "WORKER_CONCURRENCY": "4",
            "QUEUE_NAME": settings.queue_name,
            "AUTH_MODE": "none",
            "ENVIRONMENT": "test",
            **extra,
        }
    )
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    return env


def kill_mid_batch(settings: Settings, process: subprocess.Popen[bytes], log: Path) -> None:
    """SIGKILL once some emails exist and others are being written."""
    try:
        wait_for(
            lambda: (
                scalar(settings, "SELECT COUNT(*) FROM scribe_emails") >= 2
                and scalar(settings, "SELECT COUNT(*) FROM scribe_queue_items WHERE status = 'processing'") >= 1
            ),
            90,
            "the batch to be under way",
            log,
        )
    finally:
        sigkill(process)
    assert scalar(settings, "SELECT COUNT(*) FROM scribe_emails") < BATCH, "the kill came too late to matter"
    assert scalar(settings, "SELECT COUNT(*) FROM jobs WHERE status = 'running'") >= 1


def assert_exactly_once(settings: Settings) -> None:
    assert scalar(settings, "SELECT COUNT(*) FROM scribe_queue_items") == BATCH
    assert (
        scalar(
            settings,
            "SELECT COUNT(*) FROM scribe_queue_items "
            "WHERE status IN ('completed', 'needs_review') AND email_id IS NOT NULL",
        )
        == BATCH
    )
    assert scalar(settings, "SELECT COUNT(*) FROM scribe_emails") == BATCH
    assert scalar(settings, "SELECT COUNT(DISTINCT queue_item_id) FROM scribe_emails") == BATCH
    assert scalar(settings, "SELECT COUNT(DISTINCT email_id) FROM scribe_queue_items") == BATCH
    # One written version per email; a model draft the offline merge beat is kept beside it (at most one each).
    assert scalar(settings, "SELECT COUNT(*) FROM scribe_email_versions WHERE kind <> 'model_draft'") == BATCH
    assert (
        scalar(
            settings,
            "SELECT COUNT(*) FROM (SELECT email_id FROM scribe_email_versions WHERE kind = 'model_draft' "
            "GROUP BY email_id HAVING COUNT(*) > 1) AS twice",
        )
        == 0
    )
    assert scalar(settings, "SELECT SUM(generation_count) FROM scribe_profiles") == BATCH
    assert scalar(settings, "SELECT COUNT(*) FROM jobs WHERE status = 'done'") == BATCH
    assert scalar(settings, "SELECT MAX(attempts) FROM scribe_queue_items") >= 2, "an interrupted item ran again"


def all_finished(settings: Settings) -> bool:
    return (
        scalar(
            settings,
            "SELECT COUNT(*) FROM scribe_queue_items "
            "WHERE status IN ('completed', 'needs_review', 'failed', 'cancelled')",
        )
        == BATCH
    )


def test_sigkill_during_a_batch_in_lite_serve(tmp_path: Path, slow_twins: dict[str, str]) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "var", job_backend="sqlite")  # type: ignore[call-arg]
    upgrade(settings)
    port = free_port()
    env = environment(settings, {"PORT": str(port), **slow_twins})
    log = tmp_path / "serve.log"
    first = start([*CLI, "serve", "--no-migrate"], env, log)
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: _up(base), 120, "the server", log)
    response = httpx.post(f"{base}/api/queue/batch", json={"email_template": GENERAL, "items": ITEMS}, timeout=30)
    assert response.status_code == 201, response.text
    assert len(response.json()["queue_item_ids"]) == BATCH
    kill_mid_batch(settings, first, log)

    second = start([*CLI, "serve", "--no-migrate"], env, log)
    try:
        wait_for(lambda: all_finished(settings), 150, "every item to finish", log)
    finally:
        stop(second, grace=5)
    assert_exactly_once(settings)


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/queue/", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.postgres
@pytest.mark.redis
async def test_sigkill_during_a_batch_on_a_scale_worker(
    scale_settings: Settings, slow_twins: dict[str, str], tmp_path: Path
) -> None:
    upgrade(scale_settings)
    async with open_resources(scale_settings) as resources:
        async with transaction(resources.sessionmaker) as session:
            session.add(User(id="sigkill", display_name="Batch owner"))
        async with transaction(resources.sessionmaker) as session:
            items = [BatchItem.model_validate(item) for item in ITEMS]
            await submit_items(session, settings=scale_settings, user_id="sigkill", items=items, template_text=GENERAL)
        await resources.queue.notify(BATCH)
    env = environment(scale_settings, {"PROFILE": "scale", **slow_twins})
    log = tmp_path / "worker.log"
    kill_mid_batch(scale_settings, start([*CLI, "worker"], env, log), log)
    second = start([*CLI, "worker"], env, log)
    try:
        wait_for(lambda: all_finished(scale_settings), 150, "every item to finish", log)
    finally:
        stop(second, grace=5)
    assert_exactly_once(scale_settings)
