"""The `peaje` command: one entry point, each subcommand a module with its own argparse main."""

from __future__ import annotations

import importlib
import sys

# subcommand -> (module with main(argv) -> int, one-line help)
COMMANDS = {
    "toll": ("peaje.bench.toll", "print the in-process toll table"),
    "report": ("peaje.bench.report", "run the benchmark matrix and write the toll report"),
    "load": ("peaje.load.runner", "headless Locust run against the stack"),
    "up": ("peaje.stack", "run gRPC server + API (+ Locust UI) on 127.0.0.1"),
    "talk": ("peaje.talk.cli", "the seed talk reproduced: its table, its segfault, flamegraphs"),
}


def usage() -> str:
    lines = ["usage: peaje [--version] COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<8} {text}" for name, (_, text) in COMMANDS.items()]
    lines.append("\n`peaje COMMAND --help` for a command's options.")
    return "\n".join(lines)


def version() -> str:
    """pyproject.toml's version, as the installed package's metadata carries it."""
    from importlib.metadata import version as installed

    return installed("peaje")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0
    if argv[0] in ("-V", "--version"):
        print(f"peaje {version()}")
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"peaje: unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[command][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
