"""Recipient keys, the same-person rule behind duplicate warnings, and CSV parsing edge cases."""

from __future__ import annotations

import pytest

from scriptorium.core.errors import ValidationFailed
from scriptorium.scribe.recipients import CSV_MAX_ROWS, Person, dedupe_key, name_key, parse_recipients_csv


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Prof. Dr. Ada  Lovelace, PhD", "ada lovelace"),
        ("  ADA LOVELACE ", "ada lovelace"),
        ("Tomás Okafor", "tomas okafor"),
        ("Dr. O'Brien", "obrien"),
        ("Professor", ""),
    ],
)
def test_name_key_folds_case_accents_titles_and_suffixes(raw: str, key: str) -> None:
    assert name_key(raw) == key


def test_dedupe_key_prefers_the_address_then_name_and_institution() -> None:
    assert dedupe_key("Ada", "ADA@Example.org ") == "email:ada@example.org"
    assert dedupe_key("Dr. Ada Lovelace", None, "University of London") == "name:ada lovelace|university of london"
    assert dedupe_key("Ada Lovelace", None) == "name:ada lovelace|"


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (("Maria Chen", None, "Northbridge"), ("Dr. Maria Chen", None, "northbridge"), True),
        (("Maria Chen", None, "Northbridge"), ("Maria Chen", None, "Eastmarch"), False),
        (("Maria Chen", None, None), ("Maria Chen", None, "Eastmarch"), True),
        (("Maria Chen", "m@a.edu", None), ("Maria Chen", "m@b.edu", None), False),
        (("M. Chen", "m@a.edu", None), ("Maria Chen", "M@A.edu", None), True),
        (("Maria Chen", "m@a.edu", None), ("Maria Chen", None, None), True),
        (("Maria Chen", None, None), ("Mario Chen", None, None), False),
    ],
)
def test_same_person_rule(
    a: tuple[str, str | None, str | None], b: tuple[str, str | None, str | None], same: bool
) -> None:
    assert Person.of(*a).same_as(Person.of(*b)) is same
    assert Person.of(*b).same_as(Person.of(*a)) is same


def test_csv_accepts_bom_semicolons_and_aliases() -> None:
    data = "\ufeffProfessor;Research area;Mail\nAda Lovelace;engines;ada@example.org\n".encode()
    items, errors, columns = parse_recipients_csv(data)
    assert errors == []
    assert columns == ["recipient_name", "recipient_interest", "recipient_email"]
    assert items[0].recipient_email == "ada@example.org"


def test_csv_rows_beyond_the_cap_are_reported() -> None:
    body = "".join(f"Person {n},topic {n}\n" for n in range(CSV_MAX_ROWS + 5))
    items, errors, _ = parse_recipients_csv(("name,interest\n" + body).encode())
    assert len(items) == CSV_MAX_ROWS
    assert errors[-1].message == f"only {CSV_MAX_ROWS} rows are read"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "file is empty"),
        ("name,interest\nJosé,x\n".encode("latin-1"), "not UTF-8"),
        (b"x" * 1_000_001, "larger than"),
    ],
)
def test_csv_problems_name_the_file(data: bytes, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_recipients_csv(data)
    assert caught.value.field == "file"
    assert message in caught.value.public_message
