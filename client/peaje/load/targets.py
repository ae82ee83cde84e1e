"""What a load run aims at: an existing stack given by URL, or its own peaje-server and API
started on free 127.0.0.1 ports (and always stopped). The process ids let the runner watch the
CPU of every side of the crossing, not only the load generator's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from peaje.processes import REPO, SERVER_BIN, api_command, free_port, http_ready, stop_process

__all__ = ["REPO", "SERVER_BIN", "LoadTargets", "free_port", "http_ready", "stop_process"]


class LoadTargets:
    """The API URL and gRPC target of a run; starts whichever of them was not given."""

    def __init__(
        self, host: str | None = None, grpc_target: str | None = None, *, api: bool = True
    ) -> None:
        self.host = host.rstrip("/") if host else None
        self.grpc_target = grpc_target
        self.need_api = api  # False: only gRPC paths are loaded, no API is started or checked
        self.workdir = Path(tempfile.mkdtemp(prefix="peaje-load-"))
        self.server: subprocess.Popen | None = None
        self.api: subprocess.Popen | None = None

    @property
    def pids(self) -> dict[str, int]:
        """Processes this object started, by role (external ones are not watched)."""
        return {
            role: process.pid
            for role, process in (("server", self.server), ("api", self.api))
            if process is not None
        }

    def start(self, timeout: float = 30.0) -> LoadTargets:
        try:
            if self.grpc_target is None:
                self._start_server(timeout)
            if not self.need_api:
                pass
            elif self.host is None:
                self._start_api(timeout)
            elif not http_ready(self.host, timeout=5.0):
                raise RuntimeError(f"{self.host}/readyz does not answer 200")
        except BaseException:
            self.stop()
            raise
        return self

    def _start_server(self, timeout: float) -> None:
        if not SERVER_BIN.is_file():
            raise RuntimeError(f"{SERVER_BIN} is missing: run `make build` first")
        log_path = self.workdir / "server.log"
        with open(log_path, "ab") as log:
            # Own session: a Ctrl-C meant for the runner must not kill the target mid-run.
            self.server = subprocess.Popen(
                [str(SERVER_BIN), "--listen", "127.0.0.1:0"],
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"peaje-server exited:\n{log_path.read_text()}")
            for line in log_path.read_text().splitlines():
                if line.startswith("{") and json.loads(line).get("event") == "start":
                    port = json.loads(line)["listen"][0].rsplit(":", 1)[1]
                    self.grpc_target = f"127.0.0.1:{port}"
                    return
            time.sleep(0.05)
        raise RuntimeError(f"peaje-server did not start within {timeout}s")

    def _start_api(self, timeout: float) -> None:
        port = free_port()
        self.host = f"http://127.0.0.1:{port}"
        env = {**os.environ, "PEAJE_GRPC_TARGET": self.grpc_target or "127.0.0.1:50051"}
        log = open(self.workdir / "api.log", "ab")  # noqa: SIM115 - lives as long as the API
        self.api = subprocess.Popen(
            api_command("127.0.0.1", port, "peaje.api:app", "--log-level", "warning"),
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.api.poll() is not None:
                log_text = (self.workdir / "api.log").read_text(errors="replace")
                raise RuntimeError(f"the API exited:\n{log_text}")
            if http_ready(self.host):
                return
            time.sleep(0.1)
        raise RuntimeError(f"the API at {self.host} was not ready within {timeout}s")

    def save_logs(self, directory: Path) -> None:
        """Copy the logs of the processes started here (server.log, api.log) to ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        for log in self.workdir.glob("*.log"):
            shutil.copyfile(log, directory / log.name)

    def stop(self) -> None:
        stop_process(self.api)
        stop_process(self.server)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> LoadTargets:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
