"""A content fingerprint of a database: per table, the row count and a SHA-256 over every row in key order.

A backup records the fingerprint of exactly what it captured, and a restore recomputes it afterwards, so "the
restore worked" is a comparison, not a hope. Values are serialised the same way on both sides (same engine), so
any changed, missing or extra row changes the hash.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, MetaData, Table, inspect, select

Fingerprint = dict[str, dict[str, Any]]


def fingerprint(connection: Connection) -> Fingerprint:
    """`{table: {"rows": n, "sha256": hex}}` for every table in the connection's default schema."""
    result: Fingerprint = {}
    inspector = inspect(connection)
    for name in sorted(inspector.get_table_names()):
        table = Table(name, MetaData(), autoload_with=connection)
        key = [table.c[col] for col in inspector.get_pk_constraint(name).get("constrained_columns", [])]
        order = key or list(table.c)
        digest = hashlib.sha256()
        rows = 0
        stream = connection.execution_options(yield_per=1000).execute(select(table).order_by(*order))
        for row in stream:
            digest.update(json.dumps([_plain(value) for value in row], separators=(",", ":")).encode())
            digest.update(b"\n")
            rows += 1
        result[name] = {"rows": rows, "sha256": digest.hexdigest()}
    return result


def differences(expected: Fingerprint, actual: Fingerprint) -> list[str]:
    """Human-readable mismatches between two fingerprints (empty when identical)."""
    problems: list[str] = []
    for name in sorted(set(expected) | set(actual)):
        want, got = expected.get(name), actual.get(name)
        if want is None:
            problems.append(f"table {name!r} is not in the backup")
        elif got is None:
            problems.append(f"table {name!r} is missing after restore")
        elif want["rows"] != got["rows"]:
            problems.append(f"table {name!r}: {got['rows']} rows, expected {want['rows']}")
        elif want["sha256"] != got["sha256"]:
            problems.append(f"table {name!r}: same row count, different content")
    return problems


def _plain(value: Any) -> Any:
    """A JSON-safe, deterministic form of one column value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)
