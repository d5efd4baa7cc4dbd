"""Exporting emails as CSV, JSON or `.eml` drafts (one RFC 5322 message per email, zipped when several).

`.eml` files are built with the standard library's `email` package and marked `X-Unsent: 1`, so Outlook and
Thunderbird open them as drafts ready to send. CSV cells that a spreadsheet would run as a formula are quoted
with a leading apostrophe: an exported sheet must never execute text that came from the web.

Nothing leaves looking finished when it is not. Which emails are exported is the caller's choice (the API and the
CLI leave `needs_review` drafts out unless asked), but every exported draft that still needs review, or still holds
an unfilled placeholder (`{{paper_title}}`, `[Name]`, found by the same rules as the pipeline's placeholder check),
says so: a `warning` column in CSV, a `warnings` list in JSON, an `X-Scriptorium-Warning` header in `.eml`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any, Literal

from scriptorium.scribe.models import Email, Source
from scriptorium.scribe.pipeline.placeholders import find_placeholders

ExportFormat = Literal["csv", "json", "eml"]
CSV_COLUMNS = (
    "id",
    "created_at",
    "recipient_name",
    "recipient_email",
    "recipient_interest",
    "subject",
    "email_message",
    "template_type",
    "status",
    "is_confident",
    "review_reasons",
    "sources",
    "warning",
)
WARNING_HEADER = "X-Scriptorium-Warning"
REASONS_IN_WARNING = 3
STRAIGHTEN = str.maketrans("\u2018\u2019\u201c\u201d\u2013\u2014", "''\"\"--")
# Subjects are at most 300 characters; RFC 5322's 998-character line limit avoids folding quirks in clients.
EML_POLICY = SMTP.clone(max_line_length=998)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json", "eml": "application/zip"}


@dataclass(frozen=True)
class ExportSummary:
    """What an export holds and what it left out, so the person downloading it is told rather than surprised."""

    exported: int
    left_out_review: int = 0
    with_warnings: int = 0

    def line(self) -> str | None:
        """One sentence for a response header or the CLI; None when there is nothing to say."""
        parts = []
        if self.left_out_review:
            parts.append(
                f"{self.left_out_review} draft(s) that need review were left out (include_review=true adds them)"
            )
        if self.with_warnings:
            parts.append(f"{self.with_warnings} exported draft(s) need review or hold unfilled placeholders")
        return "; ".join(parts) or None


def summarize(emails: Sequence[Email], *, left_out_review: int = 0) -> ExportSummary:
    return ExportSummary(
        exported=len(emails),
        left_out_review=left_out_review,
        with_warnings=sum(1 for email in emails if warnings_of(email)),
    )


def header_value(text: str, limit: int = 900) -> str:
    """HTTP header values are Latin-1 on the wire: fold to ASCII (accents dropped, curly quotes straightened), one
    line, capped."""
    straight = text.translate(STRAIGHTEN)
    ascii_text = unicodedata.normalize("NFKD", straight).encode("ascii", "ignore").decode("ascii")
    return " ".join(ascii_text.split())[:limit]


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


def unfilled_placeholders(email: Email) -> list[str]:
    """Placeholders still in the subject or body, each once, in order of appearance."""
    found, _ = find_placeholders(f"{email.subject}\n{email.email_message}")
    return [placeholder.raw for placeholder in found]


def warnings_of(email: Email) -> list[str]:
    """Why this draft is not ready to send as it stands; empty when it is."""
    warnings: list[str] = []
    if email.status == "needs_review":
        reasons = [" ".join(str(reason).split()) for reason in email.review_reasons or []]
        shown = "; ".join(reasons[:REASONS_IN_WARNING]) or "it failed a check"
        more = f" (+{len(reasons) - REASONS_IN_WARNING} more)" if len(reasons) > REASONS_IN_WARNING else ""
        warnings.append(f"needs review: {shown}{more}")
    left = unfilled_placeholders(email)
    if left:
        warnings.append(f"unfilled placeholder(s): {', '.join(left)}")
    return warnings


def email_record(email: Email, sources: Sequence[Source]) -> dict[str, Any]:
    return {
        "id": email.id,
        "created_at": email.created_at.isoformat(),
        "recipient_name": email.recipient_name,
        "recipient_email": email.recipient_email,
        "recipient_interest": email.recipient_interest,
        "subject": email.subject,
        "email_message": email.email_message,
        "template_type": email.template_type,
        "status": email.status,
        "is_confident": email.is_confident,
        "review_reasons": list(email.review_reasons or []),
        "claims": list(email.claims or []),
        "sources": [
            {"id": s.source_key, "kind": s.kind, "title": s.title, "url": s.url, "excerpt": s.excerpt} for s in sources
        ],
        "warnings": warnings_of(email),
    }


def to_csv(records: Sequence[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        row = dict(record)
        row["review_reasons"] = "; ".join(record["review_reasons"])
        row["sources"] = " ".join(s["url"] or s["title"] for s in record["sources"])
        row["is_confident"] = "true" if record["is_confident"] else "false"
        row["warning"] = " | ".join(record["warnings"])
        writer.writerow([_cell(str(row.get(column) or "")) for column in CSV_COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_json(records: Sequence[dict[str, Any]], summary: ExportSummary | None = None) -> bytes:
    document: dict[str, Any] = {"emails": list(records)}
    if summary is not None:
        document["summary"] = asdict(summary) | {"message": summary.line()}
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def to_eml(email: Email, *, sender: str | None = None) -> bytes:
    """One draft message. Without a known address the recipient is named in a header, not invented."""
    message = EmailMessage(policy=EML_POLICY)
    message["Subject"] = email.subject or f"Hello {email.recipient_name}"
    if email.recipient_email:
        message["To"] = f'"{email.recipient_name.replace(chr(34), "")}" <{email.recipient_email}>'
    if sender:
        message["From"] = sender
    message["Date"] = format_datetime(email.created_at)
    message["X-Unsent"] = "1"
    message["X-Scribe-Id"] = email.id
    message["X-Scribe-Recipient"] = email.recipient_name
    for warning in warnings_of(email):  # one header per warning: a client or a script can test for it
        message[WARNING_HEADER] = warning[:900]
    message.set_content(email.email_message)
    return message.as_bytes()


def eml_filename(email: Email) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", email.recipient_name).strip("-").lower()[:60] or "email"
    return f"{email.created_at:%Y%m%d}-{slug}-{email.id[:8]}.eml"


def to_eml_zip(emails: Sequence[Email], *, sender: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for email in emails:
            archive.writestr(eml_filename(email), to_eml(email, sender=sender))
    return buffer.getvalue()


def export_bytes(
    fmt: ExportFormat,
    emails: Sequence[Email],
    sources: dict[str, list[Source]],
    *,
    sender: str | None = None,
    summary: ExportSummary | None = None,
) -> bytes:
    if fmt == "eml":
        return to_eml_zip(emails, sender=sender)
    records = [email_record(email, sources.get(email.id, [])) for email in emails]
    return to_csv(records) if fmt == "csv" else to_json(records, summary)
