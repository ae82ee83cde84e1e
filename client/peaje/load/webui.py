"""The Locust web UI on 127.0.0.1:8089, pointed at a running API and peaje-server.

``make up`` (peaje.stack) starts it beside the server and the API with ``web_ui_command``;
standalone:

    python -m peaje.load.webui [--host http://127.0.0.1:8000] [--grpc-target 127.0.0.1:50051]

The UI starts no load until asked; every path's user class is offered, with the ``mix`` profile.
"""

from __future__ import annotations

import argparse
import os
import sys

from peaje.load.runner import LOCUSTFILE, PATH_CLASSES

WEB_PORT = 8089


def web_ui_command(
    host: str = "http://127.0.0.1:8000",
    grpc_target: str = "127.0.0.1:50051",
    *,
    port: int = WEB_PORT,
    users: int = 8,
) -> list[str]:
    """The Locust command serving the web UI (bound to 127.0.0.1 only)."""
    return [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE),
        "--web-host", "127.0.0.1", "--web-port", str(port),
        "--host", host, "--peaje-grpc-target", grpc_target, "--tags", "mix",
        "-u", str(users), "-r", str(users), "--class-picker",
        *PATH_CLASSES.values(),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="peaje-load-webui", description=__doc__)
    parser.add_argument("--host", default="http://127.0.0.1:8000", help="the API")
    parser.add_argument(
        "--grpc-target", default=os.environ.get("PEAJE_GRPC_TARGET", "127.0.0.1:50051")
    )
    parser.add_argument("--port", type=int, default=WEB_PORT)
    args = parser.parse_args(argv)
    command = web_ui_command(args.host, args.grpc_target, port=args.port)
    print(
        f"Locust web UI: http://127.0.0.1:{args.port}  (API {args.host}, gRPC {args.grpc_target})"
    )
    os.execv(command[0], command)


if __name__ == "__main__":
    sys.exit(main())
