"""What a load run aims at: an existing stack given by URL, or its own peaje-server and API
started through ``peaje.stack.LocalStack`` on free 127.0.0.1 ports (and always stopped). The
process ids let the runner watch the CPU of every side of the crossing, not only the load
generator's.
"""

from __future__ import annotations

from pathlib import Path

from peaje.processes import StartFailed, free_port, http_ready, stop_process
from peaje.stack import LocalStack

__all__ = ["LoadTargets", "free_port", "stop_process"]


class LoadTargets:
    """The API URL and gRPC target of a run; starts whichever of them was not given."""

    def __init__(
        self, host: str | None = None, grpc_target: str | None = None, *, api: bool = True
    ) -> None:
        self.host = host.rstrip("/") if host else None
        self.need_api = api  # False: only gRPC paths are loaded, no API is started or checked
        self.stack = LocalStack(
            server=grpc_target is None,
            grpc_target=grpc_target,
            api=api and self.host is None,
            api_env={"PEAJE_GRPC_TARGET": grpc_target} if grpc_target else None,
        )

    @property
    def grpc_target(self) -> str | None:
        return self.stack.grpc_target or None

    @property
    def pids(self) -> dict[str, int]:
        """Processes this object started, by role (external ones are not watched)."""
        return self.stack.pids

    def start(self, timeout: float = 30.0) -> LoadTargets:
        self.stack.timeout = timeout
        self.stack.start()
        if self.stack.api is not None:
            self.host = self.stack.api_url
        elif self.need_api and not http_ready(self.host, timeout=5.0):
            self.stack.stop()
            raise StartFailed(f"{self.host}/readyz does not answer 200")
        return self

    def save_logs(self, directory: Path) -> None:
        """Copy the logs of the processes started here (server.log, api.log) to ``directory``."""
        self.stack.save_logs(directory)

    def stop(self) -> None:
        self.stack.stop()

    def __enter__(self) -> LoadTargets:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
