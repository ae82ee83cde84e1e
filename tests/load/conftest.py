"""Load tests start real processes: peaje-server (built by `make build-cpp`) and the API."""

from __future__ import annotations

import pytest

from peaje.load.targets import SERVER_BIN


@pytest.fixture
def server_binary():
    if not SERVER_BIN.is_file():
        pytest.fail(f"{SERVER_BIN} is missing: run `make build-cpp` first", pytrace=False)
