"""PostgreSQL backup and restore with the server's own tools: `pg_dump -Fc` out, `pg_restore` + `psql` back in.

Only the application's schema is dumped (`-n`), never the whole database: managed hosts (Supabase, Neon) keep
their own schemas beside ours that we neither own nor may restore. The dump runs inside a snapshot exported by a
repeatable-read transaction, and the content fingerprint is taken in that same transaction, so the manifest
describes exactly what the dump holds even while the app keeps writing.

Restore is one transaction: drop the app's tables, views, sequences and types in the schema, then replay the
dump. Either the database ends up exactly as backed up, or it is left untouched.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from scriptorium.core.errors import ConfigurationError
from scriptorium.ops.fingerprint import Fingerprint, fingerprint

# TOC lines that (re)create the schema itself: we keep the existing schema and its extensions.
SCHEMA_TOC = re.compile(r"^\d+; \d+ \d+ (SCHEMA - |COMMENT - SCHEMA )")
TOOL_TIMEOUT = 6 * 3600


@dataclass(frozen=True)
class Libpq:
    """A database address for the command-line tools: the URL without its password, and the password apart."""

    url: str
    password: str

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


def libpq(sqlalchemy_url: str) -> Libpq:
    """Keep the password out of argv (visible in `ps`) by passing it through PGPASSWORD."""
    url = make_url(sqlalchemy_url)
    plain = URL.create(
        "postgresql", username=url.username, host=url.host, port=url.port, database=url.database, query=url.query
    )
    return Libpq(url=plain.render_as_string(hide_password=False), password=url.password or "")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ConfigurationError(
            f"{name} is not installed: apt-get install postgresql-client (same major version as the server)"
        )
    return path


def _run(args: list[str], target: Libpq) -> None:
    done = subprocess.run(args, env=target.env, capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False)  # noqa: S603
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise ConfigurationError(f"{Path(args[0]).name} failed: {lines[-1] if lines else 'no output'}")


def dump(sqlalchemy_url: str, destination: Path) -> tuple[str, Fingerprint]:
    """Dump the app's schema to `destination`; returns the schema name and the fingerprint of the dumped data."""
    target = libpq(sqlalchemy_url)
    engine = create_engine(sqlalchemy_url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as connection:
            schema = connection.execute(text("SELECT current_schema()")).scalar_one_or_none()
            if schema is None:
                raise ConfigurationError("the database has no schema on its search_path to back up")
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            _run(
                [
                    _tool("pg_dump"),
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--schema={schema}",
                    "--no-owner",
                    "--no-privileges",
                    f"--file={destination}",
                    target.url,
                ],
                target,
            )
            prints = fingerprint(connection)
            connection.rollback()
    finally:
        engine.dispose()
    return str(schema), prints


def restore(sqlalchemy_url: str, source: Path, *, schema: str, workdir: Path) -> None:
    """Replace the app's objects in `schema` with the dump's, in one transaction."""
    target = libpq(sqlalchemy_url)
    current = _current_schema(sqlalchemy_url)
    if current not in (None, schema):
        raise ConfigurationError(
            f"the backup holds schema {schema!r} but this database's search_path starts at {current!r}"
        )
    listing = workdir / "restore.list"
    script = workdir / "restore.sql"
    toc = subprocess.run(  # noqa: S603
        [_tool("pg_restore"), "--list", str(source)], capture_output=True, text=True, check=False, timeout=600
    )
    if toc.returncode != 0:
        raise ConfigurationError(f"pg_restore cannot read the dump: {toc.stderr.strip()[:200]}")
    listing.write_text("".join(line for line in toc.stdout.splitlines(True) if not SCHEMA_TOC.match(line)))
    _run(
        [
            _tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            f"--use-list={listing}",
            f"--file={script}",
            str(source),
        ],
        target,
    )
    _run(
        [
            _tool("psql"),
            "--no-psqlrc",
            "--quiet",
            "--single-transaction",
            "--set=ON_ERROR_STOP=1",
            f"--command={_clear_schema_sql(sqlalchemy_url, schema)}",
            f"--file={script}",
            target.url,
        ],
        target,
    )


def _current_schema(sqlalchemy_url: str) -> str | None:
    engine = create_engine(sqlalchemy_url)
    try:
        with engine.connect() as connection:
            value = connection.execute(text("SELECT current_schema()")).scalar_one_or_none()
            return None if value is None else str(value)
    finally:
        engine.dispose()


def _clear_schema_sql(sqlalchemy_url: str, schema: str) -> str:
    """Statements that empty `schema` of what a dump recreates, leaving extensions and other schemas alone."""
    engine = create_engine(sqlalchemy_url)
    queries = {
        "VIEW": "SELECT viewname FROM pg_views WHERE schemaname = :s",
        "TABLE": "SELECT tablename FROM pg_tables WHERE schemaname = :s",
        "SEQUENCE": "SELECT sequencename FROM pg_sequences WHERE schemaname = :s",
        "TYPE": (
            "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = :s AND t.typtype IN ('e', 'd') "
        ),
    }
    statements = [f'CREATE SCHEMA IF NOT EXISTS "{_ident(schema)}"']
    try:
        with engine.connect() as connection:
            for kind, query in queries.items():
                for (name,) in connection.execute(text(query), {"s": schema}):
                    statements.append(f'DROP {kind} IF EXISTS "{_ident(schema)}"."{_ident(name)}" CASCADE')
    finally:
        engine.dispose()
    return ";\n".join(statements) + ";"


def _ident(name: str) -> str:
    return name.replace('"', '""')
