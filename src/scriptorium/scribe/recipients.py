"""Recipients: normalized keys, upserts, duplicate warnings and CSV import.

A professor should never get the same cold email twice because a student typed "Dr. Ada Lovelace" once and
"ada lovelace" later. Keys fold case, accents, honorifics and punctuation; an email address, when known, is the
stronger key. Warnings never block a submission on their own: the user decides (`skip_duplicates`).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from pydantic import ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.db import new_id, utcnow
from scriptorium.core.errors import ValidationFailed
from scriptorium.scribe.models import QueueItem, Recipient
from scriptorium.scribe.schemas import PROFILE_URLS_MAX, BatchItem, DuplicateFlag, ImportRowError

HONORIFICS = frozenset(
    {"dr", "prof", "professor", "mr", "mrs", "ms", "mx", "miss", "sir", "dame", "assoc", "asst", "assistant"}
)
SUFFIXES = frozenset({"phd", "md", "jr", "sr", "ii", "iii", "iv", "dphil", "msc", "mba"})
RECENT_STATUSES = ("pending", "processing", "completed", "needs_review")

COLUMN_ALIASES: dict[str, str] = {
    **dict.fromkeys(("name", "recipient_name", "recipient", "professor", "professor_name", "full_name"), "name"),
    **dict.fromkeys(
        ("interest", "recipient_interest", "research_interest", "research_area", "topic", "field"), "interest"
    ),
    **dict.fromkeys(("email", "recipient_email", "e-mail", "email_address", "mail"), "email"),
    **dict.fromkeys(("institution", "university", "affiliation", "school", "department"), "institution"),
    **dict.fromkeys(("profile_url", "profile_urls", "url", "urls", "homepage", "website", "scholar"), "urls"),
}
FIELD_OF_COLUMN = {
    "name": "recipient_name",
    "interest": "recipient_interest",
    "email": "recipient_email",
    "institution": "institution",
    "urls": "profile_urls",
}
CSV_MAX_BYTES = 1_000_000
CSV_MAX_ROWS = 1000


def name_key(name: str) -> str:
    """`Prof. Dr. Ada  Lovelace, PhD` -> `ada lovelace`."""
    folded = unicodedata.normalize("NFKD", name)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()
    words = re.findall(r"[a-z0-9]+", folded.replace("'", ""))
    while words and words[0] in HONORIFICS:
        words.pop(0)
    while words and words[-1] in SUFFIXES:
        words.pop()
    return " ".join(words)[:300]


def institution_key(institution: str | None) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKD", institution or "").casefold()))[:100]


def dedupe_key(name: str, email: str | None, institution: str | None = None) -> str:
    """The recipient row's identity: the address when known, else the name plus the institution (if given).

    Two "Maria Chen"s at different universities are two people; the same name with no institution is one row.
    """
    if email:
        return f"email:{email.strip().lower()}"
    return f"name:{name_key(name)}|{institution_key(institution)}"


@dataclass(frozen=True)
class Person:
    """What duplicate detection compares: normalized name, address and institution."""

    name: str
    email: str
    institution: str

    @classmethod
    def of(cls, name: str, email: str | None, institution: str | None) -> Person:
        return cls(name_key(name), (email or "").strip().lower(), institution_key(institution))

    def same_as(self, other: Person) -> bool:
        """Same address; or, when an address is missing on either side, same name at a compatible institution."""
        if self.email and other.email:
            return self.email == other.email
        if self.name != other.name:
            return False
        return not (self.institution and other.institution and self.institution != other.institution)


async def upsert_recipient(
    session: AsyncSession, *, user_id: str, item: BatchItem, cache: dict[str, Recipient] | None = None
) -> Recipient:
    """The user's recipient with this key, refreshed with the latest details, or a new one."""
    key = dedupe_key(item.recipient_name, item.recipient_email, item.institution)
    cache = cache if cache is not None else {}
    recipient = cache.get(key)
    if recipient is None:
        recipient = await session.scalar(
            select(Recipient).where(Recipient.user_id == user_id, Recipient.dedupe_key == key)
        )
    urls = [str(url) for url in item.profile_urls]
    if recipient is None:
        recipient = Recipient(
            id=new_id(),
            user_id=user_id,
            name=item.recipient_name,
            interest=item.recipient_interest,
            email=item.recipient_email,
            institution=item.institution,
            profile_urls=urls,
            dedupe_key=key,
            name_key=name_key(item.recipient_name),
        )
        session.add(recipient)
    else:
        recipient.name = item.recipient_name
        recipient.interest = item.recipient_interest
        recipient.institution = item.institution or recipient.institution
        if urls:  # the latest list is what the user vouches for now: read all of it, not the first URLs ever sent
            recipient.profile_urls = list(dict.fromkeys(urls))[:PROFILE_URLS_MAX]
    cache[key] = recipient
    return recipient


async def find_duplicates(
    session: AsyncSession, *, user_id: str, items: Sequence[BatchItem], days: int
) -> list[DuplicateFlag]:
    """Rows that repeat an earlier row of the same batch, and people this user emailed in the last `days` days."""
    people = [Person.of(i.recipient_name, i.recipient_email, i.institution) for i in items]
    flags: list[DuplicateFlag] = []
    seen: dict[str, list[int]] = {}  # earlier rows by name and by address: only those can be the same person
    for index, person in enumerate(people):
        candidates = sorted({*seen.get(f"n:{person.name}", []), *seen.get(f"e:{person.email}", [])})
        earlier = next((j for j in candidates if people[j].same_as(person)), None)
        seen.setdefault(f"n:{person.name}", []).append(index)
        if person.email:
            seen.setdefault(f"e:{person.email}", []).append(index)
        if earlier is not None:
            flags.append(
                DuplicateFlag(
                    index=index,
                    recipient_name=items[index].recipient_name,
                    reason="in_batch",
                    detail=f"same person as row {earlier + 1} of this batch",
                    first_index=earlier,
                )
            )
    if days > 0:
        flags.extend(await _recently_emailed(session, user_id=user_id, items=items, people=people, days=days))
    flags.extend(await _answered(session, user_id=user_id, items=items, people=people))
    return sorted(flags, key=lambda flag: (flag.index, flag.reason))


async def _answered(
    session: AsyncSession, *, user_id: str, items: Sequence[BatchItem], people: list[Person]
) -> list[DuplicateFlag]:
    """People who replied to an earlier email (write in that thread instead) or whose address bounced; found by
    the mail replies scan (`scribe/mail/replies.py`), whatever the time since."""
    rows = await session.execute(
        select(
            Recipient.name, Recipient.email, Recipient.institution, Recipient.replied_at, Recipient.bounced_at
        ).where(
            Recipient.user_id == user_id,
            or_(Recipient.replied_at.is_not(None), Recipient.bounced_at.is_not(None)),
            or_(
                Recipient.name_key.in_({p.name for p in people}),
                Recipient.email.in_({p.email for p in people if p.email}),
            ),
        )
    )
    answered = [(Person.of(name, email, institution), replied, bounced)
                for name, email, institution, replied, bounced in rows]  # fmt: skip
    flags = []
    for index, person in enumerate(people):
        hit = next((row for row in answered if row[0].same_as(person)), None)
        if hit is None:
            continue
        _, replied_at, bounced_at = hit
        name = items[index].recipient_name
        if replied_at is not None:
            detail = "replied to your earlier email: answer in that thread instead"
            flags.append(DuplicateFlag(index=index, recipient_name=name, reason="replied", detail=detail,
                                       previous_at=replied_at))  # fmt: skip
        else:
            detail = "an earlier email to this address bounced: check the address"
            flags.append(DuplicateFlag(index=index, recipient_name=name, reason="bounced", detail=detail,
                                       previous_at=bounced_at))  # fmt: skip
    return flags


async def _recently_emailed(
    session: AsyncSession, *, user_id: str, items: Sequence[BatchItem], people: list[Person], days: int
) -> list[DuplicateFlag]:
    rows = await session.execute(
        select(
            Recipient.name,
            Recipient.email,
            Recipient.institution,
            QueueItem.id,
            QueueItem.email_id,
            QueueItem.created_at,
        )
        .join(QueueItem, QueueItem.recipient_id == Recipient.id)
        .where(
            Recipient.user_id == user_id,
            or_(
                Recipient.name_key.in_({p.name for p in people}),
                Recipient.email.in_({p.email for p in people if p.email}),
            ),
            QueueItem.status.in_(RECENT_STATUSES),
            QueueItem.created_at >= utcnow() - timedelta(days=days),
        )
        .order_by(QueueItem.created_at.desc())
    )
    earlier = [(Person.of(name, email, institution), item_id, email_id, at)
               for name, email, institution, item_id, email_id, at in rows]  # fmt: skip
    flags = []
    for index, person in enumerate(people):
        hit = next((row for row in earlier if row[0].same_as(person)), None)
        if hit is None:
            continue
        _, item_id, email_id, created_at = hit
        flags.append(
            DuplicateFlag(
                index=index,
                recipient_name=items[index].recipient_name,
                reason="recently_emailed",
                detail=f"already queued or emailed within the last {days} days",
                previous_queue_item_id=item_id,
                previous_email_id=email_id,
                previous_at=created_at,
            )
        )
    return flags


def parse_recipients_csv(data: bytes) -> tuple[list[BatchItem], list[ImportRowError], list[str]]:
    """Valid rows, per-row errors (1-based line numbers, header is line 1) and the recognised columns."""
    if len(data) > CSV_MAX_BYTES:
        raise ValidationFailed(f"file is larger than {CSV_MAX_BYTES // 1000} kB", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed("file is not UTF-8 text; export the sheet as CSV UTF-8", field="file") from None
    if not text.strip():
        raise ValidationFailed("file is empty", field="file")
    reader = csv.reader(io.StringIO(text), dialect=_sniff(text))
    header = next(reader)
    columns = [COLUMN_ALIASES.get(_column(name), "") for name in header]
    missing = [need for need in ("name", "interest") if need not in columns]
    if missing:
        raise ValidationFailed(
            f"missing column(s): {', '.join(missing)}; found {', '.join(h.strip() for h in header) or 'none'}. "
            "Expected a header like: name,interest,email,institution,profile_url",
            field="file",
        )
    items: list[BatchItem] = []
    errors: list[ImportRowError] = []
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(items) + len(errors) >= CSV_MAX_ROWS:
            errors.append(ImportRowError(line=line, field="file", message=f"only {CSV_MAX_ROWS} rows are read"))
            break
        item, row_errors = _row_to_item(line, columns, row)
        if item is not None:
            items.append(item)
        errors.extend(row_errors)
    return items, errors, [FIELD_OF_COLUMN[c] for c in columns if c]


def _sniff(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _column(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip().lower()).replace("e_mail", "e-mail")


def _row_to_item(line: int, columns: list[str], row: list[str]) -> tuple[BatchItem | None, list[ImportRowError]]:
    values: dict[str, object] = {}
    for column, cell in zip(columns, row, strict=False):
        cell = cell.strip()
        if not column or not cell:
            continue
        if column == "urls":
            urls = values.setdefault("profile_urls", [])
            assert isinstance(urls, list)
            urls.extend(part for part in re.split(r"[\s;|]+", cell) if part)
        else:
            values[FIELD_OF_COLUMN[column]] = cell
    try:
        return BatchItem.model_validate(values), []
    except ValidationError as exc:
        return None, [
            ImportRowError(
                line=line,
                field=str(error["loc"][0]) if error["loc"] else "row",
                message=str(error["msg"]).removeprefix("Value error, "),
            )
            for error in exc.errors()
        ]


async def search_recipients(
    session: AsyncSession, *, user_id: str, q: str | None, limit: int, offset: int
) -> list[Recipient]:
    """The user's recipients, most recently written to first; `q` matches name or interest, case-insensitively."""
    query = select(Recipient).where(Recipient.user_id == user_id)
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(or_(func.lower(Recipient.name).like(pattern), func.lower(Recipient.interest).like(pattern)))
    rows = await session.scalars(query.order_by(Recipient.updated_at.desc()).limit(limit).offset(offset))
    return list(rows.all())
