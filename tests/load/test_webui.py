"""The Locust web UI that `make up` starts: it serves on 127.0.0.1, swarms every path on
request, and its /peaje/latency page reports the µs histograms."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from peaje.load.runner import PATH_CLASSES
from peaje.load.targets import LoadTargets, free_port, stop_process
from peaje.load.webui import web_ui_command


def get(url: str, data: bytes | None = None) -> bytes:
    with urllib.request.urlopen(url, data=data, timeout=5) as response:
        return response.read()


def wait_until(check, timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if result := check():
                return result
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


@pytest.mark.timeout(90)
@pytest.mark.usefixtures("server_binary")
def test_web_ui_swarms_every_path_and_reports_microseconds(tmp_path):
    port = free_port()
    ui = f"http://127.0.0.1:{port}"
    with LoadTargets() as targets, open(tmp_path / "locust.log", "wb") as log:
        process = subprocess.Popen(
            web_ui_command(targets.host, targets.grpc_target, port=port),
            stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
        )  # fmt: skip
        try:
            wait_until(lambda: get(ui + "/"), timeout=30)
            users = len(PATH_CLASSES)  # one user per path
            form = [("user_count", users), ("spawn_rate", users), ("host", targets.host)]
            form += [("user_classes", name) for name in PATH_CLASSES.values()]
            started = json.loads(get(ui + "/swarm", urllib.parse.urlencode(form).encode()))
            assert started["success"], started

            def every_path_served():
                paths = json.loads(get(ui + "/peaje/latency"))["paths"]
                return paths if len(paths) == len(PATH_CLASSES) else None

            paths = wait_until(every_path_served, timeout=30)
            for name, row in paths.items():
                assert row["requests"] > 0 and row["errors"] == 0, (name, row)
                assert 0 < row["p50"] <= row["p99"], (name, row)
        finally:
            stop_process(process)
