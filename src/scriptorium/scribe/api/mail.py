"""`/api/mail/*`: mail accounts (with connection test and domain check), draft and send runs, and approvals.

Per user like every Scribe route: another user's account or run answers 404. A refused run answers the usual
error shape plus what the client needs to act (`emails` that need approval, the deliverability `report`).
Network work (connection test, domain check, replies scan) happens outside any open transaction.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from scriptorium.core.auth import CurrentUser
from scriptorium.core.db import utcnow
from scriptorium.core.deps import ResourcesDep, SessionDep, SettingsDep
from scriptorium.core.openapi import errors
from scriptorium.core.telemetry import request_id_var
from scriptorium.scribe.mail.accounts import (
    account_out,
    create_account,
    list_accounts,
    mailbox_config,
    owned_account,
    update_account,
)
from scriptorium.scribe.mail.approvals import set_approval
from scriptorium.scribe.mail.errors import MailError
from scriptorium.scribe.mail.jobs import schedule_reply_scan
from scriptorium.scribe.mail.probe import test_connection
from scriptorium.scribe.mail.queries import mail_states
from scriptorium.scribe.mail.refusals import MailRefused
from scriptorium.scribe.mail.replies import scan_replies
from scriptorium.scribe.mail.runs import cancel_run, create_run, list_runs, owned_run, run_out
from scriptorium.scribe.mail.schemas import (
    ID_PATTERN,
    ApprovalOut,
    ConnectionTestOut,
    DeliverabilityOut,
    EmailMailState,
    MailAccountIn,
    MailAccountOut,
    MailAccountPatch,
    MailRunIn,
    MailRunOut,
    PresetOut,
    ProtocolCheck,
    ScanOut,
    ServerOut,
)
from scriptorium.scribe.mail.servers import PRESETS
from scriptorium.scribe.mail.verdicts import check_account_domain
from scriptorium.scribe.mail.work import MailDeps
from scriptorium.scribe.models import MailAccount

router = APIRouter(prefix="/api/mail", tags=["scribe: mail"])
approvals = APIRouter(prefix="/api/email", tags=["scribe: mail"])
AccountId = Annotated[str, Path(pattern=ID_PATTERN)]
RunId = Annotated[str, Path(pattern=ID_PATTERN)]
EmailId = Annotated[str, Path(pattern=ID_PATTERN)]
ID_LIST = r"^[A-Za-z0-9_,-]*$"
RUNS_LISTED = 50


def error_body(code: str, words: str, **details: object) -> dict[str, object]:
    """The app's error shape (`detail`, `code`, `request_id`) with a mail refusal's details beside it."""
    return {"detail": words, "code": code, "request_id": request_id_var.get(), **details}


def _refused(exc: MailRefused) -> JSONResponse:
    return JSONResponse(jsonable_encoder(error_body(exc.code, exc.public_message, **exc.details)), exc.status_code)


@router.get("/presets", response_model=list[PresetOut], summary="Server settings for common providers")
async def presets(user: CurrentUser) -> list[PresetOut]:
    return [
        PresetOut(
            key=p.key,
            label=p.label,
            imap=ServerOut(host=p.imap.host, port=p.imap.port, tls=p.imap.tls),
            smtp=ServerOut(host=p.smtp.host, port=p.smtp.port, tls=p.smtp.tls),
            help_url=p.help_url,
        )
        for p in PRESETS.values()
    ]


@router.get("/accounts", response_model=list[MailAccountOut], summary="The user's mail accounts")
async def accounts(user: CurrentUser, session: SessionDep) -> list[MailAccountOut]:
    return [await account_out(session, a) for a in await list_accounts(session, user_id=user.id)]


@router.post("/accounts", status_code=201, response_model=MailAccountOut, summary="Connect a mailbox")
async def add_account(
    body: MailAccountIn, user: CurrentUser, session: SessionDep, settings: SettingsDep, resources: ResourcesDep
) -> MailAccountOut:
    account = create_account(session, settings=settings, user_id=user.id, body=body)
    await session.flush()
    await schedule_reply_scan(session, settings=settings, account_id=account.id, now=utcnow())
    await session.commit()
    return await account_out(session, account)


@router.patch(
    "/accounts/{account_id}", response_model=MailAccountOut, summary="Change a mail account", responses=errors(404)
)
async def change_account(
    account_id: AccountId, body: MailAccountPatch, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> MailAccountOut:
    account = await owned_account(session, user_id=user.id, account_id=account_id)
    update_account(account, settings=settings, body=body)
    await session.commit()
    return await account_out(session, account)


@router.delete("/accounts/{account_id}", status_code=204, response_class=Response, responses=errors(404))
async def delete_account(account_id: AccountId, user: CurrentUser, session: SessionDep) -> Response:
    """Forget the account, its password and its runs; the emails and their history stay."""
    account = await owned_account(session, user_id=user.id, account_id=account_id)
    await session.delete(account)
    await session.commit()
    return Response(status_code=204)


@router.post(
    "/accounts/{account_id}/test",
    response_model=ConnectionTestOut,
    summary="Log in to IMAP and SMTP",
    responses=errors(404),
)
async def test_account(
    account_id: AccountId, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> ConnectionTestOut:
    config = mailbox_config(settings, await owned_account(session, user_id=user.id, account_id=account_id))
    await session.close()
    report = await test_connection(config, settings=settings)
    return ConnectionTestOut(
        imap=ProtocolCheck(ok=report.imap.ok, words=report.imap.words),
        smtp=ProtocolCheck(ok=report.smtp.ok, words=report.smtp.words),
    )


@router.post(
    "/accounts/{account_id}/deliverability",
    response_model=DeliverabilityOut,
    summary="Check the domain's SPF, DKIM and DMARC",
    responses=errors(404, 502),
)
async def deliverability(
    account_id: AccountId, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> DeliverabilityOut | JSONResponse:
    account = await owned_account(session, user_id=user.id, account_id=account_id)
    try:
        verdict = await check_account_domain(settings, account)
    except MailError as exc:
        return JSONResponse(error_body("dns_unavailable", exc.words), 502)
    await session.commit()
    return DeliverabilityOut.model_validate(verdict)


@router.post(
    "/accounts/{account_id}/replies",
    response_model=ScanOut,
    summary="Look for replies and bounces now",
    responses=errors(404, 502),
)
async def scan_now(
    account_id: AccountId, user: CurrentUser, session: SessionDep, resources: ResourcesDep
) -> ScanOut | JSONResponse:
    account = await owned_account(session, user_id=user.id, account_id=account_id)
    await session.close()
    deps = MailDeps(sessionmaker=resources.sessionmaker, settings=resources.settings)
    try:
        result = await scan_replies(deps, account.id)
    except MailError as exc:
        return JSONResponse(error_body(exc.kind, exc.words), 502)
    return ScanOut(asked=result.asked, replied=result.replied, bounced=result.bounced)


@router.post(
    "/runs",
    status_code=201,
    response_model=MailRunOut,
    summary="Draft or send emails (a dry run first)",
    responses=errors(404, 409, 422),
)
async def start_run(
    body: MailRunIn, user: CurrentUser, session: SessionDep, settings: SettingsDep, resources: ResourcesDep
) -> MailRunOut | JSONResponse:
    account = await owned_account(session, user_id=user.id, account_id=body.account_id, lock=True)

    async def check(target: MailAccount) -> dict[str, object]:
        try:
            return await check_account_domain(settings, target)
        except MailError as exc:  # no answer from DNS: nothing can be concluded, so nothing is sent
            raise MailRefused(502, "dns_unavailable", exc.words) from None

    try:
        run = await create_run(session, user_id=user.id, account=account, body=body, check_domain=check)
    except MailRefused as exc:
        await session.commit()  # a domain check made on the way is kept
        return _refused(exc)
    await session.commit()
    if not run.dry_run and run.status == "queued":
        await resources.queue.notify(1)
    return await run_out(session, run)


@router.get("/runs", response_model=list[MailRunOut], summary="Runs, newest first (of one batch with batch_id)")
async def runs(
    user: CurrentUser, session: SessionDep, batch_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None
) -> list[MailRunOut]:
    found = await list_runs(session, user_id=user.id, batch_id=batch_id, limit=RUNS_LISTED)
    return [await run_out(session, run) for run in found]


@router.get("/runs/{run_id}", response_model=MailRunOut, summary="A run's progress", responses=errors(404))
async def run(run_id: RunId, user: CurrentUser, session: SessionDep) -> MailRunOut:
    return await run_out(session, await owned_run(session, user_id=user.id, run_id=run_id))


@router.post("/runs/{run_id}/cancel", response_model=MailRunOut, summary="Stop a run", responses=errors(404))
async def cancel(run_id: RunId, user: CurrentUser, session: SessionDep) -> MailRunOut:
    found = await owned_run(session, user_id=user.id, run_id=run_id)
    await cancel_run(session, found)
    await session.commit()
    return await run_out(session, found)


@router.get("/emails", response_model=dict[str, EmailMailState], summary="What the mailbox did with these emails")
async def email_states(
    user: CurrentUser,
    session: SessionDep,
    ids: Annotated[str, Query(max_length=33 * 200, pattern=r"^[A-Za-z0-9_,-]*$")],
) -> dict[str, EmailMailState]:
    wanted = [i for i in ids.split(",") if i][:200]
    return await mail_states(session, user_id=user.id, email_ids=wanted)


@approvals.post(
    "/{email_id}/approve",
    response_model=ApprovalOut,
    summary="Approve a reviewed email for sending",
    responses=errors(404),
)
async def approve(email_id: EmailId, user: CurrentUser, session: SessionDep) -> ApprovalOut:
    """Approves the email's current text; editing it afterwards needs a new approval before it can be sent."""
    approval = await set_approval(session, user_id=user.id, email_id=email_id, approved=True)
    await session.commit()
    return approval


@approvals.delete(
    "/{email_id}/approve", response_model=ApprovalOut, summary="Withdraw an approval", responses=errors(404)
)
async def withdraw(email_id: EmailId, user: CurrentUser, session: SessionDep) -> ApprovalOut:
    approval = await set_approval(session, user_id=user.id, email_id=email_id, approved=False)
    await session.commit()
    return approval
