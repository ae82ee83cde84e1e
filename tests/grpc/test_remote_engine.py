"""The grpc engine beyond the contract: timing, no-op, readiness, modes, the asyncio twin."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Iterator

import grpc
import pytest

import peaje
from peaje.remote import ASYNC_CLIENTS, GrpcEngine, async_engine
from peaje.v1 import peaje_pb2, peaje_pb2_grpc


def test_factory_builds_a_grpc_engine(grpc_server):
    with peaje.engine("grpc", target=grpc_server.tcp_target, timeout=2) as engine:
        assert isinstance(engine, GrpcEngine)
        assert (engine.name, engine.modes, engine.validating_modes) == (
            "grpc",
            ("copy", "resident"),
            ("copy", "resident"),
        )


def test_search_timed_reports_time_in_the_core(grpc_tcp_engine):
    indices, server_ns = grpc_tcp_engine.search_timed("range:100000", [3, -1], repeat=100)
    assert indices == [3, -1]
    assert server_ns > 0
    indices, server_ns = grpc_tcp_engine.search_timed([1, 2, 3], [2], mode="copy")
    assert (indices, server_ns > 0) == ([1], True)


def test_to_bytes_dict_timed_and_noop(grpc_unix_engine):
    result, server_ns = grpc_unix_engine.to_bytes_dict_timed({"a": b"\x00", b"a": "z"})
    assert (result, server_ns > 0) == ({b"a": b"z"}, True)
    assert grpc_unix_engine.noop() is None
    assert grpc_unix_engine.check_ready() is True


@pytest.mark.parametrize("mode", [None, "copy", "resident"])
def test_inline_values_in_every_mode(grpc_tcp_engine, mode):
    assert grpc_tcp_engine.search([1, 3, 3, 9], [3, 9, 4], mode=mode) == [1, 3, -1]
    with pytest.raises(peaje.InvalidArgument, match=r"values\[2\]"):
        grpc_tcp_engine.search([1, 3, 2], [3], mode=mode)


def test_buffers_travel_inline(grpc_tcp_engine):
    import array

    assert grpc_tcp_engine.search(array.array("q", [4, 5, 6]), [6]) == [2]


@pytest.mark.parametrize("mode", ["lazy", "buffer"])
def test_in_process_modes_are_refused(grpc_tcp_engine, mode):
    with pytest.raises(peaje.InvalidArgument, match="copy, resident"):
        grpc_tcp_engine.search([1, 2], [1], mode=mode)


def test_a_spec_in_copy_mode_is_refused(grpc_tcp_engine):
    with pytest.raises(peaje.InvalidArgument, match="use mode='resident'"):
        grpc_tcp_engine.search("range:10", [1], mode="copy")


@pytest.mark.parametrize("timeout", [0, -1, "5", None, True])
def test_bad_timeout_is_invalid_argument(timeout):
    with pytest.raises(peaje.InvalidArgument, match="timeout"):
        GrpcEngine("127.0.0.1:1", timeout=timeout)


def test_a_request_with_no_data_is_invalid_argument(grpc_server):
    with grpc.insecure_channel(grpc_server.tcp_target) as channel:
        stub = peaje_pb2_grpc.PeajeStub(channel)
        with pytest.raises(grpc.RpcError) as info:
            stub.Search(peaje_pb2.SearchRequest(targets=[1]), timeout=2)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "one of dataset or values" in info.value.details()
        with pytest.raises(grpc.RpcError) as info:
            entry = peaje_pb2.BytesDictEntry(key_text="k")
            stub.ToBytesDict(peaje_pb2.ToBytesDictRequest(entries=[entry]), timeout=2)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "entries[0]: value is missing" in info.value.details()


def test_repeat_zero_on_the_wire_means_one(grpc_server):
    with grpc.insecure_channel(grpc_server.tcp_target) as channel:
        stub = peaje_pb2_grpc.PeajeStub(channel)
        response = stub.Search(peaje_pb2.SearchRequest(dataset="range:5", targets=[4]), timeout=2)
        assert list(response.indices) == [4]


@pytest.mark.parametrize("client", ASYNC_CLIENTS)
def test_async_engine_same_answers_and_errors(grpc_server, client):
    async def scenario() -> None:
        engine = async_engine(grpc_server.unix_target, 2.0, client)
        try:
            assert await engine.check_ready() is True
            indices, server_ns, queue_ns = await engine.search_timed(
                "range:100000", [66666], repeat=3
            )
            assert (indices, server_ns > 0) == ([66666], True)
            # cpp knows when the answer arrived (its wait for the loop); grpc.aio does not
            assert (queue_ns is None) == (client == "grpcio-aio"), queue_ns
            assert queue_ns is None or 0 <= queue_ns < 1e9
            assert await engine.search([1, 2, 2], [2], mode="copy") == [1]
            result, *_ = await engine.to_bytes_dict_timed({"ñ": b"\x00"}, errors="strict")
            assert result == {"ñ".encode(): b"\x00"}
            assert await engine.to_bytes_dict([("a", "1"), (b"a", "2")]) == {b"a": b"2"}
            await engine.noop()
            with pytest.raises(peaje.InvalidArgument, match=r"values\[1\]"):
                await engine.search_timed([2, 1], [1])
            with pytest.raises(peaje.TooLarge):
                await engine.search_timed("range:99999999999", [1])
            with pytest.raises(UnicodeEncodeError, match="'k'"):
                await engine.to_bytes_dict_timed({"k": "\ud800"})
        finally:
            await engine.close()

    asyncio.run(scenario())


@pytest.mark.parametrize("client", ASYNC_CLIENTS)
def test_async_engine_unavailable_and_not_ready(tmp_path, client):
    async def scenario() -> None:
        engine = async_engine(f"unix:{tmp_path}/none.sock", 2.0, client)
        try:
            assert await engine.check_ready() is False
            with pytest.raises(peaje.Unavailable):
                await engine.search_timed("range:10", [1])
        finally:
            await engine.close()

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("method", "raw"),
    [
        ("Search", b"\xff\xff\xff"),  # not protobuf
        ("Search", b"\x0a\x02\xff\xfe"),  # dataset: a string that is not UTF-8
        ("Search", b"\x12\x05"),  # values: truncated
        ("ToBytesDict", b"\x0a\x03\x0a\x01\xff"),  # key_text not UTF-8
        ("Noop", b"\xff\xff\xff"),  # not protobuf
    ],
)
def test_malformed_request_is_invalid_argument_not_internal(grpc_server, method, raw):
    with grpc.insecure_channel(grpc_server.tcp_target) as channel:
        call = channel.unary_unary(f"/peaje.v1.Peaje/{method}")  # raw bytes, no serializer
        with pytest.raises(grpc.RpcError) as info:
            call(raw, timeout=2)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "malformed request" in info.value.details()
    assert peaje.engine("grpc", target=grpc_server.tcp_target).check_ready()


# ---- every client of the engine (peaje.remote.CLIENTS) ----------------------------------------


def test_clients_are_grpcio_its_aio_and_cpp_and_all_built():
    from peaje.remote import CLIENTS, available_clients

    assert tuple(CLIENTS) == ("grpcio", "grpcio-aio", "cpp")
    assert available_clients() == tuple(CLIENTS), "peaje._grpc_client was not built"


def test_every_client_answers_the_same(grpc_server, client):
    with peaje.engine("grpc", target=grpc_server.tcp_target, client=client, timeout=2) as engine:
        assert engine.client == client
        assert engine.check_ready() is True
        indices, server_ns = engine.search_timed("range:100000", [66666, -1], repeat=3)
        assert (indices, server_ns > 0) == ([66666, -1], True)
        result = engine.to_bytes_dict({"ñ": b"\x00", b"k": "v"})
        assert result == {"ñ".encode(): b"\x00", b"k": b"v"}
        with pytest.raises(peaje.TooLarge):
            engine.search("range:99999999999", [1])
        with pytest.raises(peaje.InvalidArgument, match=r"values\[1\]"):
            engine.search([2, 1], [1])


def test_a_closed_engine_is_unavailable_on_every_client(grpc_server, client):
    engine = peaje.engine("grpc", target=grpc_server.unix_target, client=client)
    assert engine.search("range:10", [2]) == [2]
    engine.close()
    engine.close()  # twice is fine
    with pytest.raises(peaje.Unavailable, match="is closed"):
        engine.search("range:10", [2])
    with pytest.raises(peaje.Unavailable, match="is closed"):
        engine.noop()


def test_unknown_client_is_invalid_argument():
    with pytest.raises(peaje.InvalidArgument, match="grpcio, grpcio-aio, cpp"):
        peaje.engine("grpc", target="127.0.0.1:1", client="curl")


def test_a_timeout_beyond_the_clock_means_no_deadline_not_an_overflow(grpc_server):
    with peaje.engine("grpc", target=grpc_server.unix_target, client="cpp", timeout=1e300) as e:
        assert e.search("range:10", [3]) == [3]
        e.timeout = float("inf")
        assert e.search("range:10", [4]) == [4]


def test_noop_is_one_noop_rpc_on_every_client(client):
    """Against a grpcio server of our own that records every method called on it."""
    from concurrent import futures

    called: list[str] = []

    class Recorder(grpc.ServerInterceptor):
        def intercept_service(self, continuation, handler_call_details):
            called.append(handler_call_details.method)
            return continuation(handler_call_details)

    class Noop(peaje_pb2_grpc.PeajeServicer):
        def Noop(self, request, context):
            return peaje_pb2.NoopResponse()

    server = grpc.server(futures.ThreadPoolExecutor(2), interceptors=[Recorder()])
    peaje_pb2_grpc.add_PeajeServicer_to_server(Noop(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with peaje.engine("grpc", target=f"127.0.0.1:{port}", client=client) as engine:
            assert engine.noop() is None
            assert called == ["/peaje.v1.Peaje/Noop"]
            with pytest.raises(peaje.PeajeError, match="UNIMPLEMENTED"):
                engine.search("range:10", [1])
    finally:
        server.stop(None)


async def _longest_loop_stall(coroutine) -> tuple[float, object]:
    """Runs `coroutine` beside a 1 ms ticker: (the longest gap between ticks in s, its outcome)."""
    gaps, stop = [0.0], asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    try:
        outcome = await coroutine
    except Exception as e:  # the outcome is asserted by the caller
        outcome = e
    stop.set()
    await task
    return max(gaps), outcome


def test_cpp_async_engine_never_holds_the_loop_for_a_stalled_server():
    """A server that accepts and never answers: the call is a future the loop does not wait on."""
    blackhole = socket.socket()
    blackhole.bind(("127.0.0.1", 0))
    blackhole.listen()

    async def scenario() -> tuple[float, object]:
        engine = async_engine(f"127.0.0.1:{blackhole.getsockname()[1]}", 0.5, "cpp")
        try:
            return await _longest_loop_stall(engine.search_timed("range:10", [1]))
        finally:
            await engine.close()

    try:
        stall, outcome = asyncio.run(scenario())
    finally:
        blackhole.close()
    assert isinstance(outcome, peaje.DeadlineExceeded | peaje.Unavailable), outcome
    assert stall < 0.25, f"the event loop stalled {stall:.3f}s"


def test_cpp_async_engine_runs_a_long_search_off_the_loop(grpc_server):
    async def scenario() -> tuple[float, object]:
        engine = async_engine(grpc_server.unix_target, 10.0, "cpp")
        try:
            call = engine.search_timed("range:100000", list(range(1000)), repeat=10_000)
            return await _longest_loop_stall(call)
        finally:
            await engine.close()

    stall, outcome = asyncio.run(scenario())
    indices, server_ns, _ = outcome
    assert indices == list(range(1000))
    assert stall < min(0.25, server_ns / 1e9 / 2), f"loop stalled {stall:.3f}s of {server_ns}ns"


@contextlib.contextmanager
def _blackhole() -> Iterator[str]:
    """A TCP target that accepts connections and never answers."""
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen()
    try:
        yield f"127.0.0.1:{hole.getsockname()[1]}"
    finally:
        hole.close()


def test_cpp_loop_calls_answer_many_at_once_each_its_own(grpc_server):
    async def scenario() -> tuple[list, int]:
        engine = async_engine(grpc_server.unix_target, 10.0, "cpp")
        try:
            answers = await asyncio.gather(
                *(engine.search("range:1000:3", [3 * i, 3 * i + 1]) for i in range(400))
            )
            return answers, sum(len(calls.pending) for calls in engine._loops.values())
        finally:
            await engine.close()

    answers, pending = asyncio.run(scenario())
    assert answers == [[i, -1] for i in range(400)]
    assert pending == 0


def test_cpp_loop_call_cancelled_ends_at_once_and_the_engine_goes_on(grpc_server):
    async def scenario() -> tuple[float, int, list[int]]:
        engine = async_engine(grpc_server.unix_target, 30.0, "cpp")
        try:
            task = asyncio.ensure_future(
                engine.search("range:100000", list(range(1000)), repeat=peaje.limits.MAX_REPEAT)
            )
            await asyncio.sleep(0.05)
            start = time.perf_counter()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            took = time.perf_counter() - start
            pending = sum(len(calls.pending) for calls in engine._loops.values())
            (queue,) = [calls.queue for calls in engine._loops.values()]
            while queue.in_flight and time.perf_counter() - start < 2.0:
                await asyncio.sleep(0.01)  # the C++ call ends as CANCELLED, not at its 30 s
            assert queue.in_flight == 0, "the cancelled call is still running"
            return took, pending, await engine.search("range:10", [7])
        finally:
            await engine.close()

    took, pending, after = asyncio.run(scenario())
    assert (pending, after) == (0, [7])
    assert took < 0.5, took


def test_cpp_async_engine_serves_one_loop_after_another(grpc_server):
    engine = async_engine(grpc_server.unix_target, 5.0, "cpp")
    try:
        for i in range(3):  # each asyncio.run is a new loop; the closed one's queue is let go
            assert asyncio.run(engine.search("range:10", [i])) == [i]
        assert len(engine._loops) == 1
    finally:
        asyncio.run(engine.close())


def test_cpp_async_engine_closed_with_a_call_in_flight_fails_it_unavailable():
    async def scenario() -> tuple[object, float]:
        with _blackhole() as target:
            engine = async_engine(target, 30.0, "cpp")
            task = asyncio.ensure_future(engine.search("range:10", [1]))
            await asyncio.sleep(0.05)
            start = time.perf_counter()
            await engine.close()
            try:
                outcome: object = await task
            except Exception as e:  # asserted below
                outcome = e
            return outcome, time.perf_counter() - start

    outcome, took = asyncio.run(scenario())
    assert isinstance(outcome, peaje.Unavailable), outcome
    assert took < 1.0, took


def test_cpp_client_takes_serialized_bytes_only():
    """A strided or mutable buffer is refused (a TypeError), never read as if contiguous."""
    from peaje import _grpc_client

    channel = _grpc_client.Channel("127.0.0.1:1")
    noop, queue = channel.unary("/peaje.v1.Peaje/Noop"), channel.loop_queue()
    try:
        for request in (memoryview(bytes(range(64)))[::-3], bytearray(b"\x08\x01"), "text"):
            with pytest.raises(TypeError):
                noop(request, 0.1)
            with pytest.raises(TypeError):
                queue.start("/peaje.v1.Peaje/Noop", request, 0.1, 1)
    finally:
        queue.close()
