"""Fault tests of the remote face: a real peaje-server started, killed, restarted and drained."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

import peaje

from fixtures.grpc_server import ServerProcess, free_port, server_command

DATASET = "range:100000"
TARGETS = list(range(0, 100_000, 100))  # 1000 targets


def repeat_for(engine, seconds: float) -> int:
    """A repeat that keeps the server busy about `seconds` on TARGETS (measured, not guessed)."""
    start = time.perf_counter()
    engine.search(DATASET, TARGETS, repeat=200)
    per_pass = (time.perf_counter() - start) / 200
    return max(1, min(peaje.limits.MAX_REPEAT, int(seconds / per_pass)))


@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_server_not_started_is_unavailable_fast(client, kind, tmp_path):
    target = f"127.0.0.1:{free_port()}" if kind == "tcp" else f"unix:{tmp_path}/none.sock"
    with peaje.engine("grpc", client=client, target=target, timeout=5.0) as engine:
        start = time.monotonic()
        with pytest.raises(peaje.Unavailable, match="unavailable"):
            engine.search(DATASET, [1])
        assert time.monotonic() - start < 1.0, "should fail fast, not wait for the deadline"
        assert engine.check_ready() is False


def test_killed_server_is_unavailable_then_the_engine_recovers_by_itself(client):
    with (
        ServerProcess() as server,
        peaje.engine("grpc", client=client, target=server.tcp_target) as engine,
    ):
        assert engine.search(DATASET, [5]) == [5]
        server.kill()
        start = time.monotonic()
        with pytest.raises(peaje.Unavailable):
            engine.search(DATASET, [5])
        assert time.monotonic() - start < 1.0
        server.start()  # same port
        deadline = time.monotonic() + 5.0
        while True:  # the same engine, no new channel: reconnect backoff is capped at 1 s
            try:
                assert engine.search(DATASET, [7]) == [7]
                break
            except peaje.Unavailable:
                assert time.monotonic() < deadline, "engine did not recover within 5 s"
                time.sleep(0.05)


def test_deadline_exceeded_and_the_server_stops_the_work(client, grpc_server):
    with peaje.engine("grpc", client=client, target=grpc_server.unix_target, timeout=0.3) as engine:
        start = time.monotonic()
        with pytest.raises(peaje.DeadlineExceeded, match="0.3s"):
            engine.search(DATASET, TARGETS, repeat=peaje.limits.MAX_REPEAT)  # minutes of work
        assert time.monotonic() - start < 2.0
    # The abandoned call was cancelled between slices: the server answers promptly again.
    with peaje.engine("grpc", client=client, target=grpc_server.unix_target, timeout=2.0) as engine:
        start = time.monotonic()
        assert engine.search(DATASET, TARGETS, repeat=10) == list(range(0, 100_000, 100))
        assert time.monotonic() - start < 1.0


def test_message_over_the_limit_is_too_large_and_the_server_lives_on(client):
    with ServerProcess(args=("--max-message-bytes", "1048576")) as server:
        with peaje.engine("grpc", client=client, target=server.tcp_target) as engine:
            with pytest.raises(peaje.TooLarge, match="larger than max"):
                engine.search(list(range(1_000_000)), [1])  # ~3 MB of sint64
            assert engine.search(list(range(1000)), [999]) == [999]


def test_graceful_drain_completes_in_flight_refuses_new_and_exits_zero(client):
    with ServerProcess(args=("--drain-seconds", "20")) as server:
        busy = peaje.engine("grpc", client=client, target=server.tcp_target, timeout=30)
        late = peaje.engine("grpc", client=client, target=server.unix_target, timeout=5)
        assert late.search(DATASET, [1]) == [1]  # connected before the drain
        repeat = repeat_for(busy, 2.0)
        outcome: dict = {}

        def in_flight() -> None:
            try:
                outcome["indices"] = busy.search(DATASET, TARGETS, repeat=repeat)
            except Exception as e:  # reported below
                outcome["error"] = e

        thread = threading.Thread(target=in_flight)
        thread.start()
        time.sleep(0.5)  # the call is running on the server
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        with pytest.raises(peaje.Unavailable):
            late.search(DATASET, [1])
        thread.join(30)
        assert outcome.get("indices") == TARGETS and "error" not in outcome
        assert server.process.wait(20) == 0
        assert [e["event"] for e in server.events()] == ["start", "stop"]
        assert server.events()[-1]["signal"] == "SIGTERM"
        busy.close()
        late.close()


def test_health_watch_sees_not_serving_and_does_not_hold_the_drain():
    serving, not_serving = (
        health_pb2.HealthCheckResponse.SERVING,
        health_pb2.HealthCheckResponse.NOT_SERVING,
    )
    with ServerProcess(args=("--drain-seconds", "20")) as server:
        with grpc.insecure_channel(server.tcp_target) as channel:
            stream = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest())
            assert next(stream).status == serving
            start = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            assert next(stream).status == not_serving
            with pytest.raises(grpc.RpcError):
                next(stream)  # ended by the server once no unary call is left
            assert server.process.wait(10) == 0
            assert time.monotonic() - start < 3.0, "an open Watch must not hold the drain"


def test_drain_deadline_cancels_an_overlong_call_and_still_exits_zero(client):
    with ServerProcess(args=("--drain-seconds", "1")) as server:
        with peaje.engine("grpc", client=client, target=server.tcp_target, timeout=60) as engine:
            outcome: dict = {}

            def overlong() -> None:
                try:
                    engine.search(DATASET, TARGETS, repeat=peaje.limits.MAX_REPEAT)
                except Exception as e:
                    outcome["error"] = e

            thread = threading.Thread(target=overlong)
            thread.start()
            time.sleep(0.3)
            start = time.monotonic()
            server.process.send_signal(signal.SIGINT)
            assert server.process.wait(10) == 0
            assert time.monotonic() - start < 5.0
            thread.join(10)
            assert isinstance(outcome.get("error"), peaje.Unavailable)
            stop = server.events()[-1]
            assert (stop["event"], stop["signal"]) == ("stop", "SIGINT")


def test_threads_cap_refuses_extra_calls_as_unavailable_not_too_large(client):
    with ServerProcess(args=("--threads", "2")) as server:
        engine = peaje.engine("grpc", client=client, target=server.tcp_target, timeout=30)
        repeat = repeat_for(engine, 1.5)
        results: list = []
        deadline = time.monotonic() + 20

        def long_call() -> None:
            # A short probe may hold a thread for a moment as a long call arrives: that call is
            # refused too, and tries again (the test is about the probe seeing the cap).
            while time.monotonic() < deadline:
                try:
                    results.append(engine.search(DATASET, TARGETS, repeat=repeat))
                    return
                except peaje.Unavailable:
                    time.sleep(0.01)

        threads = [threading.Thread(target=long_call) for _ in range(2)]
        for thread in threads:
            thread.start()
        refused = None
        # Probe until both long calls hold the server's two threads (no fixed sleep: on a
        # loaded machine they may take long to start), while they still run.
        while refused is None and any(t.is_alive() for t in threads):
            try:
                engine.search(DATASET, [1])
            except peaje.Unavailable as e:
                refused = e
            else:
                time.sleep(0.02)
        assert refused is not None and "server busy" in str(refused)
        for thread in threads:
            thread.join(30)
        assert results == [TARGETS, TARGETS]
        assert engine.search(DATASET, [1]) == [1]  # free again
        engine.close()


@pytest.mark.parametrize(
    "args",
    [
        ["--threads", "abc"],
        ["--listen", "nohostport"],
        ["--max-message-bytes", "-1"],
        ["--dataset-cache"],
        ["--bogus"],
        ["--api", "async"],
    ],
)
def test_bad_flags_exit_2_with_usage(args):
    result = subprocess.run(server_command(*args), capture_output=True, text=True, timeout=10)
    assert result.returncode == 2
    assert "usage: peaje-server" in result.stderr


def test_environment_equivalents(tmp_path):
    socket_path = tmp_path / "env.sock"
    env = {"PEAJE_LISTEN": f"unix:{socket_path}", "PEAJE_DATASET_CACHE": "2", "PEAJE_THREADS": "4"}
    process = subprocess.Popen(server_command(), env=env, stderr=subprocess.PIPE, text=True)
    try:
        start = json.loads(process.stderr.readline())
        assert start["event"] == "start"
        assert start["listen"] == [f"unix:{socket_path}"]
        assert (start["dataset_cache"], start["threads"]) == (2, 4)
        with peaje.engine("grpc", target=f"unix:{socket_path}") as engine:
            assert engine.search("range:10", [3]) == [3]
    finally:
        process.terminate()
        assert process.wait(10) == 0


def test_port_in_use_fails_to_start_with_a_log_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            server_command(listen=[f"127.0.0.1:{port}"]),
            capture_output=True,
            text=True,
            timeout=10,
        )
    assert result.returncode == 1
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert events[-1]["event"] == "start_failed"
