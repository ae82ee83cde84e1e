"""Overload at peaje-server: a call past the --threads cap is refused at once with UNAVAILABLE
"server busy" and the standard grpc-retry-pushback-ms trailer; the grpc engine raises
peaje.Overloaded (a peaje.Unavailable, never the 'too large' of RESOURCE_EXHAUSTED) carrying the
server's retry delay, and the HTTP front answers 503 with that Retry-After. Streams (reflection,
health Watch) have an allowance of their own (--max-streams) and an idle timeout, so clients
holding them open never take the call slots of --threads."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

import peaje
from peaje.v1 import peaje_pb2, peaje_pb2_grpc

from fixtures.grpc_server import ServerProcess
from fixtures.http_engine import ApiProcess

DATASET = "range:100000"
TARGETS = list(range(0, 100_000, 100))


def busy_server(server: ServerProcess, seconds: float) -> list[threading.Thread]:
    """Occupies both of the server's call threads (--threads 2) for about `seconds`."""
    engine = peaje.engine("grpc", target=server.tcp_target, timeout=60)
    start = time.perf_counter()
    engine.search(DATASET, TARGETS, repeat=100)
    repeat = max(1, int(seconds / ((time.perf_counter() - start) / 100)))
    threads = [
        threading.Thread(target=engine.search, args=(DATASET, TARGETS), kwargs={"repeat": repeat})
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.4)  # both call threads are busy now
    return threads


# peaje-server serves peaje.v1 on gRPC's callback API; `--api sync` keeps the sync API for the
# measurement (peaje.bench.server_api). The cap and the stream allowance hold on both.
APIS = ("callback", "sync")


@pytest.mark.parametrize("api", APIS)
def test_both_apis_serve_and_name_themselves_in_the_start_line(api):
    with ServerProcess(args=("--api", api)) as server:
        assert server.events()[0]["api"] == api
        with peaje.engine("grpc", target=server.tcp_target, timeout=10) as engine:
            assert engine.search(DATASET, [5, 100_000]) == [5, -1]
            assert engine.search(list(range(0, 10_000, 2)), [4, 5], repeat=3) == [2, -1]
            engine.noop()


@pytest.mark.parametrize("api", APIS)
def test_busy_server_sends_pushback_and_the_engine_raises_overloaded(api):
    with ServerProcess(args=("--threads", "2", "--api", api)) as server:
        threads = busy_server(server, 3.0)
        with grpc.insecure_channel(server.tcp_target) as channel:
            stub = peaje_pb2_grpc.PeajeStub(channel)
            with pytest.raises(grpc.RpcError) as raised:
                stub.Search(peaje_pb2.SearchRequest(dataset=DATASET, targets=[1]), timeout=10)
        error = raised.value
        assert error.code() == grpc.StatusCode.UNAVAILABLE
        assert "server busy" in error.details()
        pushback = dict(error.trailing_metadata() or ())
        assert int(pushback["grpc-retry-pushback-ms"]) > 0

        with peaje.engine("grpc", target=server.tcp_target, timeout=10) as engine:
            with pytest.raises(peaje.Overloaded) as overloaded:
                engine.search(DATASET, [1])
        assert isinstance(overloaded.value, peaje.Unavailable)
        assert overloaded.value.retry_after > 0
        for thread in threads:
            thread.join(60)


def test_api_answers_503_with_the_servers_retry_after():
    with ServerProcess(args=("--threads", "2")) as server:
        with ApiProcess({"PEAJE_GRPC_TARGET": server.tcp_target}) as api:
            threads = busy_server(server, 3.0)
            response = httpx.post(
                f"{api.url}/v1/grpc/search", json={"dataset": DATASET, "targets": [1]}, timeout=30
            )
            for thread in threads:
                thread.join(60)
            assert response.status_code == 503, response.text
            assert int(response.headers["retry-after"]) >= 1
            assert "server busy" in response.json()["detail"]


class IdleStream:
    """A ServerReflectionInfo stream that asks one question, then holds the stream open and
    silent, as grpcurl does for its whole life."""

    def __init__(self, channel: grpc.Channel):
        self._release = threading.Event()
        self.call = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
            self._requests(), timeout=60
        )

    def _requests(self) -> Iterator[reflection_pb2.ServerReflectionRequest]:
        yield reflection_pb2.ServerReflectionRequest(list_services="")
        self._release.wait(60)

    def first_answer(self) -> reflection_pb2.ServerReflectionResponse:
        return next(self.call)

    def close(self) -> None:
        self._release.set()
        self.call.cancel()


def search_ok(channel: grpc.Channel) -> bool:
    response = peaje_pb2_grpc.PeajeStub(channel).Search(
        peaje_pb2.SearchRequest(dataset="range:1000", targets=[5]), timeout=5
    )
    return list(response.indices) == [5]


@pytest.mark.parametrize("api", APIS)
def test_idle_streams_do_not_starve_search(api):
    with ServerProcess(args=("--threads", "4", "--max-streams", "6", "--api", api)) as server:
        with grpc.insecure_channel(server.tcp_target) as channel:
            streams = [IdleStream(channel) for _ in range(6)]
            try:
                for stream in streams:  # each stream is open on the server now
                    assert stream.first_answer().list_services_response.service
                assert all(search_ok(channel) for _ in range(20))
                health = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=5
                )
                assert health.status == health_pb2.HealthCheckResponse.SERVING
                # Past the allowance, a stream is refused; calls are still served.
                extra = IdleStream(channel)
                with pytest.raises(grpc.RpcError) as refused:
                    extra.first_answer()
                extra.close()
                assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
                assert "--max-streams" in refused.value.details()
                assert search_ok(channel)
            finally:
                for stream in streams:
                    stream.close()
            # Slots come back once streams end.
            again = IdleStream(channel)
            assert again.first_answer().list_services_response.service
            again.close()


def test_a_silent_stream_is_closed_after_the_idle_timeout():
    with ServerProcess(args=("--stream-idle-seconds", "1")) as server:
        with grpc.insecure_channel(server.tcp_target) as channel:
            stream = IdleStream(channel)
            assert stream.first_answer().list_services_response.service
            start = time.monotonic()
            with pytest.raises(grpc.RpcError) as closed:
                next(stream.call)
            stream.close()
            assert closed.value.code() == grpc.StatusCode.UNAVAILABLE
            assert "no message from the client" in closed.value.details()
            assert 0.5 < time.monotonic() - start < 10  # the timeout is 1 s from its last message


GRPCURL = Path(__file__).resolve().parents[2] / ".tools" / "bin" / "grpcurl"


def test_grpcurl_sessions_held_open_leave_search_answered():
    """The issue's example: four grpcurl processes waiting on stdin, each holding its reflection
    stream, on a --threads 4 server; a fifth grpcurl still gets its Search answered."""
    if not GRPCURL.is_file():
        pytest.skip(f"{GRPCURL} missing: run scripts/install-go-tools.sh")
    with ServerProcess(args=("--threads", "4")) as server:
        waiting = [
            subprocess.Popen(
                [str(GRPCURL), "-plaintext", "-d", "@", server.tcp_target, "peaje.v1.Peaje/Search"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(4)
        ]
        try:
            time.sleep(1.0)  # each has opened its reflection stream and waits for stdin
            assert all(p.poll() is None for p in waiting)
            result = subprocess.run(
                [
                    str(GRPCURL),
                    "-plaintext",
                    "-max-time",
                    "10",
                    "-d",
                    '{"dataset": "range:1000", "targets": [5]}',
                    server.tcp_target,
                    "peaje.v1.Peaje/Search",
                ],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            assert result.returncode == 0, result.stderr
            assert '"5"' in result.stdout
        finally:
            for process in waiting:
                process.kill()
                process.wait()


def rss_mib(pid: int, field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"{field} missing for pid {pid}")


def test_a_burst_of_distinct_datasets_stays_within_the_dataset_budget():
    """The issue's burst, bounded: 80 calls at once, each naming a new 80 MB dataset. Before the
    budget the server built them all at once (3.4 GiB peak for 100); now the budget (default
    512 MiB) holds in-flight builds, arrays in use and the cache together, and a call that
    cannot get in within its wait is refused RESOURCE_EXHAUSTED, saying so."""
    budget_mib = 512
    with ServerProcess() as server:  # the defaults
        pid = server.process.pid
        baseline = rss_mib(pid, "VmRSS")
        with grpc.insecure_channel(server.tcp_target) as channel:
            stub = peaje_pb2_grpc.PeajeStub(channel)
            calls = [
                stub.Search.future(
                    peaje_pb2.SearchRequest(dataset=f"range:10000000:{2 + i}", targets=[66666]),
                    timeout=60,
                )
                for i in range(80)
            ]
            answered, refused = 0, 0
            for i, call in enumerate(calls):
                step = 2 + i
                try:
                    indices = list(call.result().indices)
                    assert indices == [66666 // step if 66666 % step == 0 else -1], step
                    answered += 1
                except grpc.RpcError as error:
                    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error.details()
                    assert "dataset budget" in error.details()
                    refused += 1
        peak = rss_mib(pid, "VmHWM")
        after = rss_mib(pid, "VmRSS")
    assert answered >= 6, (answered, refused)
    assert peak < baseline + budget_mib + 96, (baseline, peak)
    assert after < baseline + budget_mib + 96, (baseline, after)


def test_memory_of_an_inline_burst_is_returned_to_the_system():
    """40 calls at once with 1,000,000 inline values each (8 MB parsed per call): the server
    held ~285 MiB for good afterwards before its allocator settings; now big buffers are
    unmapped when freed and the trimmer returns the rest within a second or two."""
    values = 1_000_000
    wire = peaje_pb2.SearchRequest(
        values=peaje_pb2.Int64Values(values=range(values)), targets=[values // 3]
    ).SerializeToString()
    with ServerProcess() as server:
        pid = server.process.pid
        baseline = rss_mib(pid, "VmRSS")
        with grpc.insecure_channel(
            server.tcp_target, options=[("grpc.max_send_message_length", 64 << 20)]
        ) as channel:
            search = channel.unary_unary(
                "/peaje.v1.Peaje/Search",
                request_serializer=None,  # the same bytes every time
                response_deserializer=peaje_pb2.SearchResponse.FromString,
            )
            calls = [search.future(wire, timeout=60) for _ in range(40)]
            assert all(list(call.result().indices) == [values // 3] for call in calls)
        peak = rss_mib(pid, "VmHWM")
        deadline = time.monotonic() + 10
        while (after := rss_mib(pid, "VmRSS")) > baseline + 48 and time.monotonic() < deadline:
            time.sleep(0.25)
    assert peak > baseline + 40, (baseline, peak)  # the burst did take memory
    assert after < baseline + 48, (baseline, peak, after)


def test_health_watch_streams_share_the_stream_allowance():
    """Watch streams hold no call thread (gRPC serves health with its callback API) but still
    count against --max-streams, so a flood of them is bounded too; Check stays answered."""
    with ServerProcess(args=("--max-streams", "2")) as server:
        with grpc.insecure_channel(server.tcp_target) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            watches = [health.Watch(health_pb2.HealthCheckRequest(), timeout=30) for _ in range(3)]
            outcomes = []
            for watch in watches:
                try:
                    outcomes.append(next(watch).status)
                except grpc.RpcError as error:
                    outcomes.append(error.code())
                    assert "--max-streams" in error.details()
            for watch in watches:
                watch.cancel()
            assert sorted(map(str, outcomes)) == sorted(
                map(
                    str,
                    [health_pb2.HealthCheckResponse.SERVING] * 2 + [grpc.StatusCode.UNAVAILABLE],
                )
            ), outcomes
            check = health.Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert check.status == health_pb2.HealthCheckResponse.SERVING
            assert search_ok(channel)
