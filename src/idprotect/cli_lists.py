"""How the listing commands (app list, keys list, tenant list) print: aligned text for people,
a JSON array for scripts (--json)."""

from __future__ import annotations

import json

import typer

Row = dict[str, str | int | list[str] | None]


def show(rows: list[Row], columns: dict[str, str], *, as_json: bool, none: str) -> None:
    """Rows on stdout: a JSON array, or text in aligned columns under `columns`' headings
    (an empty list says so on stderr)."""
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo(none, err=True)
        return
    lines = [list(columns)] + [[_text(row[key]) for key in columns.values()] for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(columns))]
    for line in lines:
        typer.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )


def _text(value: str | int | list[str] | None) -> str:
    if isinstance(value, list):
        return ",".join(value) or "-"
    return "-" if value is None else str(value)
