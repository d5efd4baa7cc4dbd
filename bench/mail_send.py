"""The send schedule a mail account's limits produce, on the SMTP twin: when each message starts, how many went
in the 60 seconds before it, and what the run cost in real time.

The limiter runs on a fake clock (waits jump instead of sleeping), so 20 messages at 5 a minute show their three
minutes of schedule in a few seconds of real SMTP work; the real SMTP (STARTTLS, AUTH) and SQLite writes are timed
on the wall clock. `--cap` below the count shows the daily cap pausing the run.

    .venv/bin/python bench/mail_send.py [--count 20] [--rate 5] [--cap 50]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src"), str(ROOT / "bench")]

from sqlalchemy import select  # noqa: E402
from tests.scribe.mail.product import add_account, add_batch, add_user, mail_db  # noqa: E402
from tests.scribe.mail.test_send import start_send_run  # noqa: E402
from tests.twins.imap import ImapTwin  # noqa: E402
from tests.twins.smtp import SmtpTwin  # noqa: E402
from tests.twins.tls import test_ca  # noqa: E402

from _proc import table  # noqa: E402
from scriptorium.core.settings import Settings  # noqa: E402
from scriptorium.scribe.mail.limits import FakeClock  # noqa: E402
from scriptorium.scribe.mail.sending import work_send_run  # noqa: E402
from scriptorium.scribe.mail.servers import MailboxConfig, MailServer  # noqa: E402
from scriptorium.scribe.models import MailDelivery  # noqa: E402


async def bench(count: int, rate: int, cap: int, data_dir: Path) -> None:
    ca = test_ca()
    with ImapTwin(ca=ca, tls="ssl") as imap, SmtpTwin(ca=ca, tls="starttls", deliver_to=imap) as smtp:
        settings = Settings(
            _env_file=None,
            data_dir=data_dir,
            environment="test",
            job_backend="memory",
            fetch_allow_hosts=["127.0.0.1"],
            mail_ca_file=str(ca.ca_file),
        )

        def server(twin: ImapTwin | SmtpTwin) -> MailServer:
            return MailServer(twin.host, twin.port, twin.tls, twin.username, twin.password)

        config = MailboxConfig(server(imap), server(smtp), "student@uni.test", "Ana Student")
        async with mail_db(settings) as db:
            user = await add_user(db)
            batch, _ = await add_batch(db, user, count)
            account_id = await add_account(db, user, config, rate=rate, cap=cap)
            run_id = await start_send_run(db, user, account_id, batch)
            clock = FakeClock()
            start = clock.now()
            wall = time.perf_counter()
            outcome = await work_send_run(db.deps(clock), run_id)
            wall = time.perf_counter() - wall
            async with db.sessionmaker() as session:
                started = [
                    at
                    for at in await session.scalars(
                        select(MailDelivery.attempted_at)
                        .where(MailDelivery.state == "sent")
                        .order_by(MailDelivery.attempted_at)
                    )
                    if at is not None
                ]
    rows = []
    for n, at in enumerate(started, 1):
        window = sum(1 for other in started if at - timedelta(seconds=60) < other <= at)
        rows.append([str(n), f"{(at - start).total_seconds():.0f}", str(window)])
    print(table(["message", "starts at (s, limiter clock)", "sent in the 60 s up to it"], rows))
    sent = len(started)
    expected = (math.ceil(min(count, cap) / rate) - 1) * 60
    span = (started[-1] - start).total_seconds() if started else 0.0
    print()
    print(
        table(
            ["count", "rate/min", "daily cap", "sent", "outcome", "schedule span (s)", "limit says (s)", "wall (s)",
             "SMTP twin received"],
            [[str(count), str(rate), str(cap), str(sent), outcome.status, f"{span:.0f}", str(expected),
              f"{wall:.2f}", str(len(smtp.received))]],
        )
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--rate", type=int, default=5)
    parser.add_argument("--cap", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(bench(args.count, args.rate, args.cap, Path(tmp) / "var"))


if __name__ == "__main__":
    main()
