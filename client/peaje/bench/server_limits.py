"""peaje-server under the hostile clients of issue 17, measured (README, Reliability: idle streams
and burst memory). Each scenario starts its own server on a free 127.0.0.1 port:

- idle: `--threads 4`, four grpcurl sessions waiting on stdin (each holds its reflection stream
  open), then ten grpcurl Search calls: how many are answered.
- burst: the issue's ghz run, 400 calls at 100 at once, each naming a new 80 MB dataset:
  statuses, peak RSS and threads, RSS two seconds after.
- inline: 40 calls at once with 1,000,000 inline values each: peak RSS and RSS after.

    python -m peaje.bench.server_limits [--server-bin PATH] [--scenario idle burst inline]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import threading
import time
from pathlib import Path

import grpc

from peaje.processes import find_repo, server_binary
from peaje.stack import LocalStack

TOOLS = (find_repo() or Path.cwd()) / ".tools" / "bin"
PROTO = (find_repo() or Path.cwd()) / "proto" / "peaje" / "v1" / "peaje.proto"


def proc_status(pid: int, field: str) -> int:
    """A field of /proc/PID/status: kB for memory fields, a count for Threads."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


class Server:
    """peaje-server on a free port, with a sampler of its thread count."""

    def __init__(self, binary: Path, args: list[str]):
        self.stack = LocalStack(server_args=args, server_bin=binary, timeout=15).start()
        self.target = self.stack.grpc_target
        self.process = self.stack.server.process
        self.peak_threads = 0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak_threads = max(self.peak_threads, self.status("Threads"))

    def status(self, field: str) -> int:
        return proc_status(self.process.pid, field)

    def memory(self) -> dict[str, float]:
        time.sleep(2.0)  # what is still held once the burst is over (trimmer runs each second)
        return {
            "peak_rss_mib": round(self.status("VmHWM") / 1024, 1),
            "rss_after_mib": round(self.status("VmRSS") / 1024, 1),
            "peak_threads": self.peak_threads,
        }

    def stop(self) -> None:
        self._stop.set()
        self.stack.stop()


def grpcurl(target: str, method: str, *flags: str, stdin=None, wait: bool = True):
    command = [str(TOOLS / "grpcurl"), "-plaintext", *flags, target, method]
    if not wait:
        return subprocess.Popen(
            command, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)


def idle(binary: Path, extra: list[str]) -> dict:
    server = Server(binary, ["--threads", "4", *extra])
    try:
        holders = [
            grpcurl(server.target, "peaje.v1.Peaje/Search", "-d", "@", stdin=subprocess.PIPE,
                    wait=False)
            for _ in range(4)
        ]  # fmt: skip
        time.sleep(1.5)
        calls = [
            grpcurl(server.target, "peaje.v1.Peaje/Search", "-max-time", "5", "-d",
                    '{"dataset": "range:1000", "targets": [5]}')
            for _ in range(10)
        ]  # fmt: skip
        for holder in holders:
            holder.kill()
            holder.wait()
        failed = [c.stderr.strip().splitlines()[-1] for c in calls if c.returncode != 0]
        return {"search_answered": 10 - len(failed), "of": 10, "error": failed[0] if failed else ""}
    finally:
        server.stop()


def burst(binary: Path, extra: list[str]) -> dict:
    server = Server(binary, extra)
    try:
        start = time.monotonic()
        result = subprocess.run(
            [str(TOOLS / "ghz"), "--insecure", "--proto", str(PROTO), "--call",
             "peaje.v1.Peaje/Search", "-d",
             '{"dataset":"range:10000000:2{{.RequestNumber}}","targets":[66666]}',
             "-n", "400", "-c", "100", "--connections", "4", "-O", "json", server.target],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        wall = time.monotonic() - start
        report = json.loads(result.stdout)
        return {
            "statuses": report.get("statusCodeDistribution", {}),
            "wall_s": round(wall, 1),
            **server.memory(),
        }
    finally:
        server.stop()


def inline(binary: Path, extra: list[str]) -> dict:
    from peaje.v1 import peaje_pb2

    values = 1_000_000
    wire = peaje_pb2.SearchRequest(
        values=peaje_pb2.Int64Values(values=range(values)), targets=[values // 3]
    ).SerializeToString()
    server = Server(binary, extra)
    try:
        baseline = round(server.status("VmRSS") / 1024, 1)
        options = [("grpc.max_send_message_length", 64 << 20)]
        with grpc.insecure_channel(server.target, options=options) as channel:
            search = channel.unary_unary("/peaje.v1.Peaje/Search", request_serializer=None)
            calls = [search.future(wire, timeout=120) for _ in range(40)]
            answered = sum(1 for call in calls if call.exception() is None)
        return {"answered": answered, "of": 40, "baseline_rss_mib": baseline, **server.memory()}
    finally:
        server.stop()


SCENARIOS = {"idle": idle, "burst": burst, "inline": inline}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server-bin", type=Path, default=None)
    parser.add_argument("--server-args", default="", help="extra peaje-server flags")
    parser.add_argument("--scenario", nargs="+", choices=sorted(SCENARIOS), default=list(SCENARIOS))
    args = parser.parse_args(argv)
    binary = args.server_bin or server_binary()
    for name in args.scenario:
        print(json.dumps({"scenario": name, **SCENARIOS[name](binary, args.server_args.split())}))


if __name__ == "__main__":
    main()
