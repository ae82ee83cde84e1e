"""What every measuring run shares (the toll report, the load runner and its sweep): a stamped
directory under results/, its manifest.json, Markdown and terminal tables, and SIGTERM handled
as Ctrl-C so a run killed by a CI timeout still stops what it started and writes what it has.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def run_dir(root: Path, name: str) -> Path:
    """``root/name`` with ``{stamp}`` replaced by the UTC time, created."""
    directory = Path(root) / name.format(stamp=stamp())
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def write_manifest(directory: Path, **extra: object) -> dict:
    """manifest.json: the machine, build and versions (bench/manifest.py), plus `extra`."""
    from peaje.bench import manifest

    document = {**manifest.collect(), **extra}
    (directory / "manifest.json").write_text(json.dumps(document, indent=1, default=str) + "\n")
    return document


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    escape = lambda cell: str(cell).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Right-aligned columns for the terminal."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = lambda cells: " | ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    return "\n".join([line(header), "-+-".join("-" * w for w in widths), *map(line, rows)])


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (e.g. from a CI timeout) stops a run as Ctrl-C does: orderly, with results."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
