"""A mail request refused for a reason the user can act on: an HTTP status, a stable code, words, and details.

The API turns it into `{"detail": words, "code": code, ...details}` (the usual error shape plus the details a
client needs: the emails that are not sendable, the deliverability report).
"""

from __future__ import annotations

from typing import Any

from scriptorium.core.errors import ScriptoriumError


class MailRefused(ScriptoriumError):
    def __init__(self, status_code: int, code: str, words: str, **details: Any) -> None:
        super().__init__(words)
        self.status_code = status_code
        self.code = code
        self.details = details
