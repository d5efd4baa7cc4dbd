"""A scale worker killed with SIGKILL in the middle of sending 20 emails: after a restart all 20 are sent, and
the SMTP twin received each exactly once (real PostgreSQL and Redis; a real `scriptorium worker` process).

The SMTP twin accepts each message at once (filing it in the IMAP twin's Sent folder, as Gmail does) but holds
its "250 OK" for the sixth until the worker was killed, so the kill always lands while a row is `sending` and
its message already accepted: the restarted worker finds it in Sent and marks it sent instead of sending it
again. (A message the server never accepted would be `uncertain` and not retried: that case is tested in
test_send.py. Killing "soon after the fifth was sent" instead left that to timing, and on a busy machine the kill
sometimes came before the sixth was accepted.)
"""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from scriptorium.core.resources import open_resources
from scriptorium.core.settings import Settings
from scriptorium.scribe.mail.servers import MailboxConfig
from tests.processes import scalar, sigkill, start, stop, wait_for
from tests.scribe.mail.product import MailDb, mail_db, send_run
from tests.twins.smtp import SmtpTwin

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300), pytest.mark.postgres, pytest.mark.redis]
BATCH = 20
KILL_AT = 6


def hold_reply(twin: SmtpTwin, nth: int) -> threading.Event:
    """Make the twin accept (and file in Sent) its `nth` message but hold the "250 OK" until the returned event is
    set, so a worker killed meanwhile dies with that row `sending`."""
    assert twin._controller is not None
    handler = twin._controller.handler
    answer = handler.handle_DATA
    release = threading.Event()

    async def held(*args: Any) -> str:
        reply = str(await answer(*args))
        if len(twin.received) == nth:
            while not release.is_set():
                await asyncio.sleep(0.05)
        return reply

    handler.handle_DATA = held
    return release


def environment(settings: Settings, overrides: dict[str, Any]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_", "JOB_", "QUEUE"))}
    env.update(
        {
            "PROFILE": "scale",
            "DATA_DIR": str(settings.data_dir),
            "DATABASE_URL": settings.effective_database_url,
            "REDIS_URL": str(settings.redis_url),
            "QUEUE_NAME": settings.queue_name,
            "JOB_LEASE_SECONDS": "1",
            "AUTH_MODE": "none",
            "ENVIRONMENT": "test",
            "FETCH_ALLOW_HOSTS": ",".join(overrides["fetch_allow_hosts"]),
            "MAIL_CA_FILE": str(overrides["mail_ca_file"]),
            "MAIL_TIMEOUT_SECONDS": "10",
        }
    )
    return env


def sent(settings: Settings) -> int:
    return scalar(settings, "SELECT COUNT(*) FROM scribe_mail_deliveries WHERE state = 'sent'")


async def test_a_worker_killed_mid_send_resumes_and_sends_each_email_once(
    scale_settings: Settings,
    mail_overrides: dict[str, Any],
    mail_twins: MailboxConfig,
    smtp_twin: SmtpTwin,
    tmp_path: Path,
) -> None:
    settings = scale_settings.model_copy(
        update={k: v for k, v in mail_overrides.items() if k.startswith(("fetch", "mail_ca"))}
    )
    async with mail_db(settings) as db:
        run_id = await send_run(db, mail_twins, BATCH, rate=1000)
    async with open_resources(settings) as resources:
        await resources.queue.notify(1)
    release = hold_reply(smtp_twin, KILL_AT)
    env = environment(settings, mail_overrides)
    log = tmp_path / "worker.log"

    first = start(["-m", "scriptorium", "worker"], env, log)
    try:
        smtp_twin.wait_for(KILL_AT, timeout=120)
    finally:
        sigkill(first)
        release.set()
    assert sent(settings) == KILL_AT - 1, "the sixth was accepted but its sender died before hearing so"
    in_flight = "SELECT COUNT(*) FROM scribe_mail_deliveries WHERE state = 'sending'"
    assert scalar(settings, in_flight) == 1

    second = start(["-m", "scriptorium", "worker"], env, log)
    try:
        wait_for(
            lambda: (
                scalar(settings, f"SELECT COUNT(*) FROM scribe_mail_runs WHERE id = '{run_id}' AND status = 'done'")
                == 1
            ),
            150,
            "the run to finish",
            log,
        )
    finally:
        stop(second, grace=5)

    received = smtp_twin.wait_for(BATCH)
    ids = [r.message_id for r in received]
    assert len(ids) == BATCH and len(set(ids)) == BATCH, "every email reached the server exactly once"
    assert sent(settings) == BATCH
    assert scalar(settings, "SELECT COUNT(*) FROM scribe_mail_deliveries WHERE state <> 'sent'") == 0
    assert scalar(settings, "SELECT MAX(attempts) FROM jobs WHERE kind = 'scribe.mail.send'") >= 2, "it ran again"
    settled = scalar(settings, "SELECT COUNT(*) FROM scribe_mail_deliveries WHERE reason LIKE 'Found in your Sent%'")
    assert settled == 1, "the one in flight at the kill was settled from the Sent folder"


__all__ = ["MailDb"]
