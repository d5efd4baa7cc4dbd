"""One email-address check for every form (core/addresses.py): what a mail server would refuse is refused at the
form, in words, and what people really type (capitals, internationalised domains) is kept."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from scriptorium.core.addresses import EmailAddress, checked_address

ADDRESS: TypeAdapter[str] = TypeAdapter(EmailAddress)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("student@uni.test", "student@uni.test"),
        ("  Ana.Lopez@Example.ORG ", "Ana.Lopez@example.org"),  # the domain is case-blind, the local part is hers
        ("jürgen@faraway.test", "jürgen@faraway.test"),
        ("prof@münchen.de", "prof@münchen.de"),
        ("first+scribe@lab.example.ac.uk", "first+scribe@lab.example.ac.uk"),
    ],
)
def test_addresses_people_type_are_kept(typed: str, kept: str) -> None:
    assert ADDRESS.validate_python(typed) == kept


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("a@b..c", "two periods in a row"),
        (".a@b.c", "cannot start with a period"),
        ("a.@b.c", "period"),
        ("not-an-address", "@-sign"),
        ("a@localhost", "period"),
        ("a b@c.d", "invalid characters"),
        ("Ana <a@b.org>", "display name"),
        ('"quoted"@b.org', "Quoting"),
        ("x@[10.0.0.1]", "bracketed IP address"),
        ("a@b.org, c@d.org", "invalid characters"),
        ("a@b.org\r\nBcc: all@x.test", "control character"),
    ],
)
def test_addresses_a_server_would_refuse_are_refused_in_words(typed: str, words: str) -> None:
    with pytest.raises(ValidationError) as refused:
        ADDRESS.validate_python(typed)
    message = refused.value.errors()[0]["msg"]
    assert words.lower() in message.lower(), message
    assert "pattern" not in message


def test_the_check_itself_raises_value_error_for_pydantic_to_name_the_field() -> None:
    with pytest.raises(ValueError, match="two periods"):
        checked_address("a@b..c")
