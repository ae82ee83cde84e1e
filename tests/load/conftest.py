"""Load tests start real processes: peaje-server (built by `make build-cpp`) and the API."""

from __future__ import annotations

import pytest

from peaje.processes import StartFailed
from peaje.processes import server_binary as find_server


@pytest.fixture
def server_binary():
    try:
        find_server()
    except StartFailed as e:
        pytest.fail(str(e), pytrace=False)
