"""Faults injected in turn under a steady load on the API (every engine and route), with the
API's gRPC engine reaching peaje-server through a real Toxiproxy:

- kill -9 of the server, then a restart on the same port;
- SIGTERM of the server (drain, exit 0), then a restart;
- a slow network: latency beyond the API's gRPC deadline;
- a stalled connection: Toxiproxy's timeout toxic (bytes go in, nothing comes back);
- a server that accepts connections and never answers: a plain listening socket that never
  reads, put behind the proxy.

Every request must end, within the deadline bound, in a success or a mapped error (grpc only:
503 with Retry-After, or 504); python and native must keep answering 200 throughout. Nothing
else is allowed: no 500, no hang, no reset reaching the client. The API is never restarted and
must answer grpc again once each fault is cleared.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from steady_load import REPORTS, SteadyLoad

from fixtures.grpc_server import ApiProcess, ServerProcess, Toxiproxy, free_port

DEADLINE = 1.0  # the API's gRPC deadline (PEAJE_GRPC_TIMEOUT)
BOUND = DEADLINE + 2.0  # every answer within this, on a busy 2-core machine
FAULT_SECONDS = 3.0
RESULTS = Path(__file__).resolve().parents[2] / "build" / "reliability"


def wait_grpc_answers(api_url: str, timeout: float = 20.0) -> float:
    """Seconds until /v1/grpc/search answers 200 again."""
    start = time.monotonic()
    with httpx.Client(base_url=api_url, timeout=BOUND + 5) as client:
        while time.monotonic() - start < timeout:
            response = client.post("/v1/grpc/search", json={"dataset": "range:10", "targets": [3]})
            if response.status_code == 200:
                return time.monotonic() - start
            time.sleep(0.1)
    raise AssertionError(f"grpc did not answer again within {timeout}s of clearing the fault")


def test_every_request_ends_in_success_or_a_mapped_error(tmp_path: Path) -> None:
    blackhole = socket.socket()  # accepts (the kernel completes the handshake), never reads
    blackhole.bind(("127.0.0.1", 0))
    blackhole.listen(64)
    blackhole_target = f"127.0.0.1:{blackhole.getsockname()[1]}"
    server = ServerProcess(tmp_path, port=free_port()).start()
    try:
        with Toxiproxy(server.tcp_target) as proxy:
            env = {"PEAJE_GRPC_TARGET": proxy.listen, "PEAJE_GRPC_TIMEOUT": str(DEADLINE)}
            with ApiProcess(env) as api:
                pid = api.process.pid
                recoveries = run_faults(api.url, server, proxy, blackhole_target)
                assert api.process.poll() is None and api.process.pid == pid  # never restarted
    finally:
        server.kill()
        blackhole.close()
    _ = recoveries


def run_faults(
    api_url: str, server: ServerProcess, proxy: Toxiproxy, blackhole_target: str
) -> dict[str, float]:
    def kill_9() -> Callable[[], None]:
        server.kill()
        return server.start

    def sigterm() -> Callable[[], None]:
        code = server.stop()
        assert code == 0, f"peaje-server drained with exit code {code}:\n{server.log()}"
        return server.start

    def slow_network() -> Callable[[], None]:
        proxy.add_toxic("slow", "latency", latency=int(DEADLINE * 1500))
        return lambda: proxy.remove_toxic("slow")

    def stalled_connection() -> Callable[[], None]:
        proxy.add_toxic("stall", "timeout", timeout=0)
        return lambda: proxy.remove_toxic("stall")

    def never_answers() -> Callable[[], None]:
        upstream = proxy.upstream
        proxy.set_upstream(blackhole_target)
        return lambda: proxy.set_upstream(upstream)

    faults = [
        ("kill -9 + restart", kill_9),
        ("SIGTERM (drain) + restart", sigterm),
        (f"latency {DEADLINE * 1.5:.1f}s > deadline", slow_network),
        ("stalled (timeout toxic)", stalled_connection),
        ("accepts, never answers", never_answers),
    ]
    recoveries: dict[str, float] = {}
    with SteadyLoad(api_url, workers=6, rate=10.0, bound=BOUND) as load:
        time.sleep(2.0)  # baseline
        for name, inject in faults:
            load.set_phase(name)
            clear = inject()
            time.sleep(FAULT_SECONDS)
            clear()
            recoveries[name] = wait_grpc_answers(api_url)
            time.sleep(0.5)
        load.set_phase("after every fault")
        time.sleep(2.0)
    table = load.table()
    recovered = "\n".join(
        f"  {name}: grpc answered again {s:.2f}s after clearing" for name, s in recoveries.items()
    )
    report = (
        f"fault suite: {load.workers} clients x {1 / load.interval:.0f} req/s over python, native "
        f"and grpc (search, inline search, bytes-dict); grpc deadline {DEADLINE}s, bound {BOUND}s\n"
        f"{table}\n{recovered}"
    )
    REPORTS.append(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "faults.txt").write_text(report + "\n")
    (RESULTS / "faults.json").write_text(
        json.dumps(
            {
                name: {
                    "sent": t.sent,
                    "succeeded": t.succeeded,
                    "503": t.mapped[503],
                    "504": t.mapped[504],
                    "lost": sum(t.lost.values()) + t.late,
                }
                for name, t in load.tallies.items()
            },
            indent=1,
        )
    )
    assert not load.failures, "\n".join(load.failures[:30])
    for name, _ in faults:
        tally = load.tallies[name]
        assert tally.sent > 0 and sum(tally.mapped.values()) > 0, f"{name}: the fault never bit"
    after = load.tallies["after every fault"]
    assert after.succeeded == after.sent > 0
    return recoveries
