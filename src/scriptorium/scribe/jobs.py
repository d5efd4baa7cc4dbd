"""Registers Scribe's job kinds. The work itself (`generation.py`, which pulls in the pipeline, its sources and
their HTTP stack) is imported on the first job, so an idle worker or a lite server that never generates stays small.
"""

from __future__ import annotations

from typing import Any

from scriptorium.core.jobs import Job, JobContext, registry
from scriptorium.scribe.mail import jobs as _mail_jobs  # noqa: F401  (registers the mail job kinds)

JOB_KIND = "scribe.generate"


async def _mark_failed(resources: Any, job: Job, message: str) -> None:
    from scriptorium.scribe.generation import mark_failed

    await mark_failed(resources, job, message)


@registry.handler(JOB_KIND, on_failure=_mark_failed)
async def generate_email(ctx: JobContext) -> None:
    from scriptorium.scribe.generation import generate_email as run

    await run(ctx)
