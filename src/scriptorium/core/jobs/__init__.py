"""Durable background jobs: rows in the database are the truth, Huey rings the bell.

Public API: `submit` a job inside your transaction, commit, then `JobQueue.notify()`; register handlers with
`registry.handler(kind)`; handlers call `ctx.check_cancelled()` between steps and `ctx.complete(session)` with
their final write.
"""

from scriptorium.core.jobs.models import FINISHED, Job, JobStatus
from scriptorium.core.jobs.queue import JobQueue, build_huey
from scriptorium.core.jobs.runner import JobCancelled, JobContext, JobRunner, Registry, RetryLater, registry
from scriptorium.core.jobs.store import LeaseLost, cancel, requeue, submit

__all__ = [
    "FINISHED",
    "Job",
    "JobCancelled",
    "JobContext",
    "JobQueue",
    "JobRunner",
    "JobStatus",
    "LeaseLost",
    "Registry",
    "RetryLater",
    "build_huey",
    "cancel",
    "registry",
    "requeue",
    "submit",
]
