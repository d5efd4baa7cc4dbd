"""Email addresses people type, checked once for every form that takes one (Scribe's recipients, a mail account's
own address, the Companion's reader email).

The check is `email-validator`'s syntax check (RFC 5321/5322, internationalised domains), so a refusal says what
is wrong in words ("An email address cannot have two periods in a row.") instead of quoting a regular expression,
and an address a mail server would refuse ("a@b..c", ".a@b.c") is refused here first. No DNS is asked: whether
the domain takes mail is the deliverability check's job (`scribe/mail/verdicts.py`), not a form's. Quoted local
parts, bracketed IP addresses and display names are refused: nobody types them into an address field, and each
is a way to smuggle something past a header.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from scriptorium.core.text_fields import SINGLE_LINE

MAX_ADDRESS_LENGTH = 320


def checked_address(value: str) -> str:
    """`value` as a mail server would take it (domain lower-cased), or ValueError saying what is wrong.

    The import is local to keep the dependency beside its one use; it saves nothing at start-up, since FastAPI
    imports `email_validator` whenever it is installed (its OpenAPI models probe for it): about 0.25 MB and 25 ms.
    """
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(
            value,
            check_deliverability=False,
            test_environment=True,  # allows RFC 2606's `.test` domain (the twins and examples use it); no DNS
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
        )
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return str(result.normalized)


EmailAddress = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=MAX_ADDRESS_LENGTH),
    SINGLE_LINE,
    AfterValidator(checked_address),
]
"""A request field holding one email address."""
