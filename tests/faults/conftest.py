"""The fault suite (`make test-faults`): real peaje-server, uvicorn and Toxiproxy processes under
a steady load. It takes minutes, so `make test` leaves it out; PEAJE_RELIABILITY=1 runs it."""

from __future__ import annotations

import os

import pytest
from steady_load import REPORTS

if not os.environ.get("PEAJE_RELIABILITY"):
    collect_ignore_glob = ["test_*.py"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for report in REPORTS:
        terminalreporter.write_line("")
        for line in report.splitlines():
            terminalreporter.write_line(line)
