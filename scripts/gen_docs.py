"""Generate the parts of the docs that the code already says: module tables and the CLI reference.

    .venv/bin/python scripts/gen_docs.py           # rewrite the generated blocks in place
    .venv/bin/python scripts/gen_docs.py --check   # exit 1 (naming the files) when a block is out of date

`docs/architecture.md` and `docs/cli.md` hold cogapp blocks that call `module_table(...)` and `cli_reference()`.
Module tables read each module's docstring with `ast` (nothing is imported, so a module with side effects or
heavy imports costs nothing); the CLI reference walks the `scriptorium` click group. `tests/test_docs_current.py`
runs the check, so a renamed module or a changed option fails the suite until the docs are regenerated.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import click
from cogapp import Cog

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "scriptorium"
GENERATED_DOCS = (ROOT / "docs" / "architecture.md", ROOT / "docs" / "cli.md")
SKIPPED_FOLDERS = frozenset({"__pycache__", "versions"})
"""Alembic revisions are listed by `scriptorium migrate`, not here; caches are not code."""
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)[.!?](?=\s|$)")


def first_sentence(docstring: str | None) -> str:
    """The docstring's first sentence on one line (its first paragraph when no sentence ends in it)."""
    if not docstring:
        return ""
    paragraph = " ".join(docstring.strip().split("\n\n", 1)[0].split())
    end = _SENTENCE_END.search(paragraph)
    return paragraph[: end.end()] if end else paragraph


def module_docstring(path: Path) -> str | None:
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))


def _rows(folder: Path, prefix: str) -> Iterator[tuple[str, Path]]:
    """(name shown, file holding the docstring) for every module under `folder`, packages before their modules."""
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.is_dir() and entry.name not in SKIPPED_FOLDERS and (entry / "__init__.py").is_file():
            yield f"{prefix}{entry.name}/", entry / "__init__.py"
            yield from _rows(entry, f"{prefix}{entry.name}/")
        elif entry.suffix == ".py" and entry.name != "__init__.py":
            yield f"{prefix}{entry.name}", entry


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def module_table(area: str = "", *, recursive: bool = True) -> str:
    """A markdown table of the modules under `src/scriptorium/<area>` with the first sentence of each docstring.

    With `recursive=False` only the area's own modules and its sub-packages (one row each) are listed.
    """
    folder = PACKAGE / area if area else PACKAGE
    lines = ["| module | what it owns |", "|---|---|"]
    for name, source in _rows(folder, ""):
        if not recursive and name.count("/") > (1 if name.endswith("/") else 0):
            continue
        lines.append(f"| `{name}` | {_cell(first_sentence(module_docstring(source))) or '—'} |")
    return "\n".join(lines) + "\n"


def _commands(group: click.Group, ctx: click.Context) -> Iterator[tuple[click.Command, click.Context]]:
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        sub = click.Context(command, info_name=name, parent=ctx)
        yield command, sub
        if isinstance(command, click.Group):
            yield from _commands(command, sub)


def _help(command: click.Command) -> str:
    text = (command.help or "").replace("\b\n", "").strip()
    return "\n".join(line.rstrip() for line in text.splitlines())


def _command_section(command: click.Command, ctx: click.Context) -> list[str]:
    path = ctx.command_path
    level = "#" * min(2 + path.count(" "), 4)
    lines = [f"{level} `{path}`", ""]
    if help_text := _help(command):
        lines += [help_text, ""]
    lines += ["```", f"{path} {' '.join(command.collect_usage_pieces(ctx))}".rstrip(), "```", ""]
    params = [param for param in command.get_params(ctx) if "--help" not in param.opts]  # all have -h/--help
    records = [record for param in params if (record := param.get_help_record(ctx))]
    if records:
        lines += ["| option | meaning |", "|---|---|"]
        lines += [f"| `{_cell(opts)}` | {_cell(' '.join(meaning.split()))} |" for opts, meaning in records]
        lines.append("")
    if isinstance(command, click.Group):
        listed = [name for name in command.list_commands(ctx) if not (command.get_command(ctx, name) or command).hidden]
        lines += ["Commands: " + ", ".join(f"`{name}`" for name in listed) + ".", ""]
    return lines


def cli_reference() -> str:
    """Every `scriptorium` command with its help, usage and options, in the order `--help` lists them."""
    from scriptorium.cli import _register_app_commands, cli

    _register_app_commands()  # what `main()` does before parsing: the apps' groups and ops commands join `cli`
    root = click.Context(cli, info_name="scriptorium")
    lines = _command_section(cli, root)
    if isinstance(cli, click.Group):
        for command, ctx in _commands(cli, root):
            lines += _command_section(command, ctx)
    return "\n".join(lines).rstrip() + "\n"


def run_cog(paths: Sequence[Path], *, check: bool) -> int:
    """Regenerate (or with `check`, only compare) the cog blocks in `paths`; cog's exit status."""
    args = ["cog", "-I", str(Path(__file__).resolve().parent), "--check" if check else "-r", *map(str, paths)]
    return int(Cog().main(args))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail when a generated block is out of date")
    options = parser.parse_args(argv)
    status = run_cog(GENERATED_DOCS, check=options.check)
    if status and options.check:
        print("generated docs are out of date: run `.venv/bin/python scripts/gen_docs.py`", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
