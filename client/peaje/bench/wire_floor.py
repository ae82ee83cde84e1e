"""The wire floor of the remote toll: a raw 16-byte ping-pong between two Python processes, over
TCP on 127.0.0.1 and over a Unix socket, with no gRPC, HTTP/2 or protobuf in the way.

    python -m peaje.bench.wire_floor --tcp-port 0 --unix /tmp/floor.sock   # the echo side

The echo side prints one JSON line with its addresses, then answers every 16 bytes it reads
with the same 16 bytes, one thread per connection, until stdin closes.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

MESSAGE = 16


def _echo(connection: socket.socket) -> None:
    with connection:
        while True:
            data = connection.recv(MESSAGE)
            if not data:
                return
            connection.sendall(data)


def _serve(listener: socket.socket) -> None:
    while True:
        connection, _ = listener.accept()
        if connection.family == socket.AF_INET:
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_echo, args=(connection,), daemon=True).start()


def serve(tcp_port: int, unix_path: str) -> None:
    tcp = socket.create_server(("127.0.0.1", tcp_port))
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(unix_path)
    unix.listen()
    for listener in (tcp, unix):
        threading.Thread(target=_serve, args=(listener,), daemon=True).start()
    port = tcp.getsockname()[1]
    print(json.dumps({"tcp": f"127.0.0.1:{port}", "unix": f"unix:{unix_path}"}), flush=True)
    sys.stdin.read()  # until the parent closes our stdin (or dies)


class EchoProcess:
    """The echo side as a child process; ``addresses`` = {"tcp": "127.0.0.1:P", "unix": ...}."""

    def __enter__(self) -> EchoProcess:
        self._dir = tempfile.mkdtemp(prefix="peaje-floor-")
        self._socket = os.path.join(self._dir, "floor.sock")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "peaje.bench.wire_floor", "--unix", self._socket],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.addresses = json.loads(self.process.stdout.readline())
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        Path(self._socket).unlink(missing_ok=True)
        os.rmdir(self._dir)


class PingPong:
    """One connection to the echo side; round_trip() sends 16 bytes and reads them back."""

    def __init__(self, address: str) -> None:
        if address.startswith("unix:"):
            self._socket = socket.socket(socket.AF_UNIX)
            self._socket.connect(address[len("unix:") :])
        else:
            host, port = address.rsplit(":", 1)
            self._socket = socket.create_connection((host, int(port)))
            self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._message = b"p" * MESSAGE

    def round_trip(self) -> None:
        self._socket.sendall(self._message)
        received = 0
        while received < MESSAGE:
            chunk = self._socket.recv(MESSAGE - received)
            if not chunk:
                raise ConnectionError("echo side closed the connection")
            received += len(chunk)

    def close(self) -> None:
        self._socket.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m peaje.bench.wire_floor", description=__doc__)
    parser.add_argument("--tcp-port", type=int, default=0)
    parser.add_argument("--unix", required=True, help="the Unix socket path to listen on")
    args = parser.parse_args(argv)
    serve(args.tcp_port, args.unix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
