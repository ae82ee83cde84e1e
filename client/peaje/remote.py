"""The "grpc" engine: the C++ core behind a network hop (peaje-server, service peaje.v1.Peaje).

Data modes, named for what crosses on each call:

- ``copy``: the values travel inline with the targets (packed sint64) and the server checks
  they are ascending before searching them. Validated on both sides: int64 here, order there.
- ``resident``: a dataset spec (``"range:N[:STEP]"``) crosses instead of the values; the server
  builds the array once, caches it and only the targets cross. A plain sequence given with
  ``mode="resident"`` travels inline, validated, for that call only.

One channel serves the engine's whole life; every call carries a deadline (``timeout``
seconds). gRPC statuses become peaje's errors (design.md, "Errors"). Text crosses as a proto3
``string``, which must be valid UTF-8: text with lone surrogates is refused before sending
(strict: ``UnicodeEncodeError`` as the other engines raise it; surrogatepass/surrogateescape:
``InvalidArgument``), a limit of this face that the documentation states as part of the toll.
"""

from __future__ import annotations

import array
import asyncio
import itertools
import threading
import time
from typing import Any, NoReturn

import grpc
import grpc.aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from peaje.arguments import (
    bytes_like,
    check_batch,
    check_errors_name,
    check_mode,
    check_repeat,
    dataset_spec_of,
    entry_pairs,
    int64_list,
    role_text,
    stored,
    valid_text,
)
from peaje.errors import (
    DeadlineExceeded,
    InvalidArgument,
    Overloaded,
    PeajeError,
    TooLarge,
    Unavailable,
)
from peaje.limits import MAX_TARGETS
from peaje.v1 import peaje_pb2, peaje_pb2_grpc

DEFAULT_TARGET = "127.0.0.1:50051"
DEFAULT_TIMEOUT = 5.0

# The server bounds message sizes (--max-message-bytes); the client does not add its own cap.
# Short reconnect backoff, so the engine finds a restarted server by itself within a second.
CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", -1),
    ("grpc.max_receive_message_length", -1),
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
    # Spread calls over every address the target resolves to (dns:///server:50051 with
    # several replicas); with one address it behaves as pick_first.
    ("grpc.lb_policy_name", "round_robin"),
]

MODES = ("copy", "resident")


# ---- requests: Python values -> protobuf ----------------------------------------------------


def _extend_int64(field: Any, items: Any, what: str) -> None:
    """Fills a repeated sint64 field, validated while copying: protobuf checks each item in C
    (an int, not a bool, within int64), about 6x faster than a Python loop; when it refuses one,
    int64_list names the first bad index."""
    if isinstance(items, (list, tuple, array.array)):
        try:
            field.extend(items)
            return
        except (TypeError, ValueError):
            del field[:]
    field.extend(int64_list(items, what, MAX_TARGETS if what == "targets" else None))


def search_request(values: Any, targets: Any, mode: str | None, repeat: Any) -> Any:
    mode = check_mode(mode)
    if mode is not None and mode not in MODES:
        raise InvalidArgument(f"engine 'grpc' supports modes {', '.join(MODES)}, got {mode!r}")
    request = peaje_pb2.SearchRequest(repeat=check_repeat(repeat))
    if isinstance(targets, (list, tuple)):  # the cap before any target is converted, as in-process
        check_batch(len(stored(targets)), request.repeat)
    _extend_int64(request.targets, targets, "targets")
    if dataset_spec_of(values, mode) is not None:
        request.dataset = valid_text(values, "dataset spec")
    else:
        _extend_int64(request.values.values, values, "values")  # also selects the oneof
    return request


def _text_or_bytes(obj: Any, errors: str, key: Any, is_value: bool) -> tuple[str, str | bytes]:
    """("text", str) for valid text, ("bytes", bytes) for bytes-like; refuses lone surrogates."""
    if isinstance(obj, str):
        if not obj.isascii():
            try:
                obj.encode("utf-8")
            except UnicodeEncodeError as e:
                if errors == "strict":
                    raise UnicodeEncodeError(
                        "utf-8", obj, e.start, e.end, f"{e.reason} (in {role_text(key, is_value)})"
                    ) from None
                raise InvalidArgument(
                    f"{role_text(key, is_value)}: text with lone surrogates cannot cross gRPC "
                    f"(a proto3 string must be valid UTF-8); encode it with errors={errors!r} "
                    "and send bytes instead"
                ) from None
        return "text", obj
    return "bytes", bytes_like(obj, key, is_value)


def bytes_dict_request(mapping: Any, errors: Any) -> Any:
    errors = check_errors_name(errors)
    entries = []
    for key, value in entry_pairs(mapping):
        key_kind, key_data = _text_or_bytes(key, errors, key, False)
        value_kind, value_data = _text_or_bytes(value, errors, key, True)
        entries.append(
            peaje_pb2.BytesDictEntry(
                **{f"key_{key_kind}": key_data, f"value_{value_kind}": value_data}
            )
        )
    return peaje_pb2.ToBytesDictRequest(entries=entries, errors=errors)


def bytes_dict_of(response: Any) -> dict[bytes, bytes]:
    return {pair.key: pair.value for pair in response.entries}


# ---- statuses -> peaje errors (the one place) -----------------------------------------------


def pushback_seconds(error: grpc.RpcError) -> float | None:
    """The server's ``grpc-retry-pushback-ms`` trailer (gRFC A6) in seconds, when it sent one:
    peaje-server sends it with the UNAVAILABLE of a call past its --threads cap."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-retry-pushback-ms":
            try:
                return max(0, int(value)) / 1000
            except ValueError:
                return None
    return None


def raise_for_status(error: grpc.RpcError, target: str, timeout: float) -> NoReturn:
    code, details = error.code(), error.details() or ""
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        raise InvalidArgument(details) from None
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        raise TooLarge(details) from None
    if code == grpc.StatusCode.UNAVAILABLE:
        pushback = pushback_seconds(error)
        if pushback is not None:
            message = f"peaje-server at {target} is overloaded: {details}"
            raise Overloaded(message, pushback) from None
        raise Unavailable(f"peaje-server at {target} is unavailable: {details}") from None
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        raise DeadlineExceeded(
            f"peaje-server at {target} did not answer within {timeout}s"
        ) from None
    if code == grpc.StatusCode.CANCELLED:
        raise Unavailable(f"call to {target} was cancelled: {details}") from None
    raise PeajeError(f"peaje-server at {target}: {code.name}: {details}") from None


def _check_timeout(timeout: Any) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise InvalidArgument(f"timeout must be a positive number of seconds, got {timeout!r}")
    return float(timeout)


# ---- clients: the transports one engine can use -----------------------------------------------

# (path, response class) of every unary method the engines call.
SEARCH = ("/peaje.v1.Peaje/Search", peaje_pb2.SearchResponse)
TO_BYTES_DICT = ("/peaje.v1.Peaje/ToBytesDict", peaje_pb2.ToBytesDictResponse)
NOOP = ("/peaje.v1.Peaje/Noop", peaje_pb2.NoopResponse)
HEALTH_CHECK = ("/grpc.health.v1.Health/Check", health_pb2.HealthCheckResponse)
METHODS = (SEARCH, TO_BYTES_DICT, NOOP, HEALTH_CHECK)

_STATUS_CODES = {code.value[0]: code for code in grpc.StatusCode}


class CallFailure(grpc.RpcError):
    """A failed call of the C++ client, shaped as grpcio's errors so one mapping serves all."""

    def __init__(self, code: int, details: str, trailing: list[tuple[str, str]]) -> None:
        super().__init__(code, details)
        self._code = _STATUS_CODES.get(code, grpc.StatusCode.UNKNOWN)
        self._details = details
        self._trailing = tuple(trailing)

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._trailing


class GrpcioClient:
    """grpcio's synchronous channel (its bundled gRPC core, called through Cython)."""

    def __init__(self, target: str) -> None:
        self._channel = grpc.insecure_channel(target, options=CHANNEL_OPTIONS)
        self._methods = {
            path: self._channel.unary_unary(
                path,
                request_serializer=_serialize,
                response_deserializer=response.FromString,
            )
            for path, response in METHODS
        }

    def call(self, method: tuple[str, Any], request: Any, timeout: float) -> Any:
        return self._methods[method[0]](request, timeout=timeout)

    def close(self) -> None:
        self._channel.close()


class AioClient:
    """grpc.aio's channel, driven from synchronous callers on a private event loop in a
    thread of its own (each call is one hand-off to that loop and back)."""

    def __init__(self, target: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="peaje-grpc-aio", daemon=True
        )
        self._thread.start()
        self._channel = self._run(self._open(target))

    async def _open(self, target: str) -> Any:
        channel = grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS)
        self._methods = {
            path: channel.unary_unary(
                path, request_serializer=_serialize, response_deserializer=response.FromString
            )
            for path, response in METHODS
        }
        return channel

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    async def _call(self, path: str, request: Any, timeout: float) -> Any:
        return await self._methods[path](request, timeout=timeout)

    def call(self, method: tuple[str, Any], request: Any, timeout: float) -> Any:
        return self._run(self._call(method[0], request, timeout))

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._run(self._channel.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


class CppClient:
    """A C++ gRPC client (Debian's libgrpc++, in the extension peaje._grpc_client): serialized
    messages cross into C++, one blocking call runs there with the GIL released."""

    def __init__(self, target: str) -> None:
        try:
            from peaje import _grpc_client
        except ImportError as e:
            raise InvalidArgument(
                f"client 'cpp' is not built ({e}): install libgrpc++-dev and rebuild peaje"
            ) from None
        self._channel = _grpc_client.Channel(target)
        self._methods = {path: self._channel.unary(path) for path, _ in METHODS}

    def call(self, method: tuple[str, Any], request: Any, timeout: float) -> Any:
        code, payload, trailing = self._methods[method[0]](request.SerializeToString(), timeout)
        if code:
            raise CallFailure(code, payload, trailing)
        return method[1].FromString(payload)

    def close(self) -> None:
        self._methods.clear()


def _serialize(message: Any) -> bytes:
    return message.SerializeToString()


# The clients a GrpcEngine can use (``client=``); the same server, proto and channel settings.
CLIENTS: dict[str, type] = {"grpcio": GrpcioClient, "grpcio-aio": AioClient, "cpp": CppClient}
DEFAULT_CLIENT = "grpcio"


def available_clients() -> tuple[str, ...]:
    """The clients usable in this installation (cpp needs the extension built with libgrpc++)."""
    try:
        from peaje import _grpc_client  # noqa: F401
    except ImportError:
        return tuple(name for name in CLIENTS if name != "cpp")
    return tuple(CLIENTS)


# ---- engines ----------------------------------------------------------------------------------


class GrpcEngine:
    """Engine "grpc": the C++ core in peaje-server, over one reused channel of one client."""

    name = "grpc"
    modes = MODES
    validating_modes = MODES

    def __init__(
        self,
        target: str = DEFAULT_TARGET,
        timeout: float = DEFAULT_TIMEOUT,
        client: str = DEFAULT_CLIENT,
    ) -> None:
        self.target = target
        self.timeout = _check_timeout(timeout)
        if client not in CLIENTS:
            raise InvalidArgument(f"client must be one of {', '.join(CLIENTS)}, got {client!r}")
        self.client = client
        self._client = CLIENTS[client](target)
        self._closed = False

    def _call(self, method: tuple[str, Any], request: Any) -> Any:
        if self._closed:  # each client fails differently on a closed channel: one error here
            raise Unavailable(f"the grpc engine for {self.target} is closed")
        try:
            return self._client.call(method, request, self.timeout)
        except grpc.RpcError as e:
            raise_for_status(e, self.target, self.timeout)

    def search_timed(
        self, values: Any, targets: Any, *, mode: str | None = None, repeat: int = 1
    ) -> tuple[list[int], int]:
        """(indices, server_ns): server_ns is the time spent inside the core."""
        response = self._call(SEARCH, search_request(values, targets, mode, repeat))
        return list(response.indices), response.server_ns

    def search(
        self, values: Any, targets: Any, *, mode: str | None = None, repeat: int = 1
    ) -> list[int]:
        return self.search_timed(values, targets, mode=mode, repeat=repeat)[0]

    def to_bytes_dict_timed(
        self, mapping: Any, errors: str = "strict"
    ) -> tuple[dict[bytes, bytes], int]:
        response = self._call(TO_BYTES_DICT, bytes_dict_request(mapping, errors))
        return bytes_dict_of(response), response.server_ns

    def to_bytes_dict(self, mapping: Any, errors: str = "strict") -> dict[bytes, bytes]:
        return self.to_bytes_dict_timed(mapping, errors)[0]

    def noop(self) -> None:
        """A round trip that does nothing: the pure cost of crossing (one Noop RPC)."""
        self._call(NOOP, peaje_pb2.NoopRequest())

    def check_ready(self) -> bool:
        """True when the server's health service answers SERVING."""
        if self._closed:
            return False
        try:
            response = self._client.call(
                HEALTH_CHECK, health_pb2.HealthCheckRequest(), self.timeout
            )
        except grpc.RpcError:
            return False
        return response.status == health_pb2.HealthCheckResponse.SERVING

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._client.close()

    def __enter__(self) -> GrpcEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncEngineCalls:
    """The untimed calls of an async grpc engine, from its ``*_timed`` ones (one definition for
    every client). ``*_timed`` return (result, server_ns, queue_ns): queue_ns is how long the
    answer, once in this process, waited for the event loop to take it (None when unknown)."""

    async def search(
        self, values: Any, targets: Any, *, mode: str | None = None, repeat: int = 1
    ) -> list[int]:
        return (await self.search_timed(values, targets, mode=mode, repeat=repeat))[0]

    async def to_bytes_dict(self, mapping: Any, errors: str = "strict") -> dict[bytes, bytes]:
        return (await self.to_bytes_dict_timed(mapping, errors))[0]


class AsyncGrpcEngine(AsyncEngineCalls):
    """GrpcEngine's calls as coroutines, on grpc.aio (for the HTTP front's event loop).

    Create it inside the running loop (e.g. in the app's lifespan) and ``await close()``.
    """

    name = "grpc"
    modes = MODES
    validating_modes = MODES

    def __init__(self, target: str = DEFAULT_TARGET, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.target = target
        self.timeout = _check_timeout(timeout)
        self._channel = grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS)
        self._stub = peaje_pb2_grpc.PeajeStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)

    async def _call(self, method: Any, request: Any) -> Any:
        try:
            return await method(request, timeout=self.timeout)
        except grpc.RpcError as e:
            raise_for_status(e, self.target, self.timeout)

    async def search_timed(
        self, values: Any, targets: Any, mode: str | None = None, repeat: int = 1
    ) -> tuple[list[int], int, None]:
        """(indices, server_ns, None): grpc.aio cannot tell when the answer arrived, so the
        time it waited for the loop stays inside the caller's span (queue_ns unknown)."""
        response = await self._call(
            self._stub.Search, search_request(values, targets, mode, repeat)
        )
        return list(response.indices), response.server_ns, None

    async def to_bytes_dict_timed(
        self, mapping: Any, errors: str = "strict"
    ) -> tuple[dict[bytes, bytes], int, None]:
        response = await self._call(self._stub.ToBytesDict, bytes_dict_request(mapping, errors))
        return bytes_dict_of(response), response.server_ns, None

    async def noop(self) -> None:
        await self._call(self._stub.Noop, peaje_pb2.NoopRequest())

    async def check_ready(self) -> bool:
        try:
            response = await self._health.Check(
                health_pb2.HealthCheckRequest(), timeout=self.timeout
            )
        except grpc.RpcError:
            return False
        return response.status == health_pb2.HealthCheckResponse.SERVING

    async def close(self) -> None:
        await self._channel.close()


# Rough cost (microseconds) of converting one item that crosses (a target, a value, an entry's
# half): past the inline budget, a call of the event loop's cpp engine runs whole in a worker
# thread. The server's work is not counted: the loop never waits for it (LoopCalls, below).
ITEM_US = 0.05


def _items(obj: Any) -> float:
    """How many items cross, for the cost estimate: a spec carries none; an object without an
    honest size is treated as costly (it is converted, and judged, in the worker thread)."""
    if isinstance(obj, str):
        return 0
    if isinstance(obj, (list, tuple, dict, array.array, bytes)):
        return len(obj)
    return float("inf")


class LoopCalls:
    """One event loop's calls on a cpp channel: a LoopQueue (its own completion queue, waited on
    by a C++ thread that takes no GIL) whose eventfd the loop watches. A call is started
    inline and awaited as a plain future; when answers arrive the loop's reader drains them all
    in one wake-up and resolves their futures. No thread waits for the GIL to hand an answer
    over, and the loop never blocks on the network."""

    def __init__(self, channel: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue = channel.loop_queue()
        self.pending: dict[int, asyncio.Future] = {}
        self._ids = itertools.count()
        loop.add_reader(self.queue.fd, self._deliver)

    def _deliver(self) -> None:
        for call_id, code, payload, trailing, done_ns in self.queue.drain():
            future = self.pending.pop(call_id, None)
            if future is not None and not future.done():
                future.set_result((code, payload, trailing, done_ns))

    async def call(self, path: str, request: bytes, timeout: float) -> tuple[Any, ...]:
        """(code, payload or details, trailing, done_ns): done_ns is when the answer arrived."""
        call_id = next(self._ids)
        future = self.loop.create_future()
        self.pending[call_id] = future
        try:
            started = self.queue.start(path, request, timeout, call_id)
        except BaseException:
            del self.pending[call_id]
            raise
        try:
            return await future
        except asyncio.CancelledError:
            started.cancel()  # the request went away: so does the call (drained as CANCELLED)
            self.pending.pop(call_id, None)
            raise

    def close(self) -> None:
        if not self.loop.is_closed():
            self.loop.remove_reader(self.queue.fd)
        self.queue.close()
        for future in self.pending.values():
            if not future.done():
                future.set_exception(Unavailable("the grpc engine is closed"))
        self.pending.clear()


class CppAsyncGrpcEngine(AsyncEngineCalls):
    """GrpcEngine's calls as coroutines on the cpp client, for an event loop (the HTTP front).

    A cheap call is converted and started inline and awaited through LoopCalls: the answer is
    delivered by the loop itself (an eventfd it watches), so a burst of answers costs one
    wake-up and no thread ever queues for the GIL behind CPU-bound Python threads to hand one
    over, which is where grpc.aio's calls lose milliseconds under load. A call estimated above
    ``inline_budget_us`` (many targets, values or entries to convert) runs whole in a worker
    thread on the blocking client. Measured against grpc.aio in README, "The API's gRPC client
    under concurrency".
    """

    name = "grpc"
    modes = MODES
    validating_modes = MODES
    client = "cpp"

    def __init__(
        self,
        target: str = DEFAULT_TARGET,
        timeout: float = DEFAULT_TIMEOUT,
        inline_budget_us: float = 200.0,
    ) -> None:
        self._engine = GrpcEngine(target, timeout, "cpp")
        self._channel = self._engine._client._channel
        self.target, self.timeout = target, self._engine.timeout
        self.inline_budget_us = inline_budget_us
        self._loops: dict[asyncio.AbstractEventLoop, LoopCalls] = {}

    def _loop_calls(self) -> LoopCalls:
        loop = asyncio.get_running_loop()
        found = self._loops.get(loop)
        if found is None:
            for old in [old for old in self._loops if old.is_closed()]:
                self._loops.pop(old).close()
            found = self._loops[loop] = LoopCalls(self._channel, loop)
        return found

    async def _call(self, method: tuple[str, Any], request: Any) -> tuple[Any, int]:
        """(response, queue_ns): queue_ns is how long the answer, arrived, waited for the loop."""
        if self._engine._closed:
            raise Unavailable(f"the grpc engine for {self.target} is closed")
        path, response_type = method
        code, payload, trailing, done_ns = await self._loop_calls().call(
            path, request.SerializeToString(), self.timeout
        )
        queue_ns = max(time.perf_counter_ns() - done_ns, 0)  # both CLOCK_MONOTONIC
        if code:
            raise_for_status(CallFailure(code, payload, trailing), self.target, self.timeout)
        return response_type.FromString(payload), queue_ns

    async def _in_thread(self, call: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, call, *args)

    async def search_timed(
        self, values: Any, targets: Any, mode: str | None = None, repeat: int = 1
    ) -> tuple[list[int], int, int | None]:
        if ITEM_US * (_items(targets) + _items(values)) > self.inline_budget_us:
            search = self._engine.search_timed
            indices, server_ns = await self._in_thread(
                lambda: search(values, targets, mode=mode, repeat=repeat)
            )
            return indices, server_ns, None
        response, queue_ns = await self._call(SEARCH, search_request(values, targets, mode, repeat))
        return list(response.indices), response.server_ns, queue_ns

    async def to_bytes_dict_timed(
        self, mapping: Any, errors: str = "strict"
    ) -> tuple[dict[bytes, bytes], int, int | None]:
        if 2 * ITEM_US * _items(mapping) > self.inline_budget_us:
            result, server_ns = await self._in_thread(
                self._engine.to_bytes_dict_timed, mapping, errors
            )
            return result, server_ns, None
        response, queue_ns = await self._call(TO_BYTES_DICT, bytes_dict_request(mapping, errors))
        return bytes_dict_of(response), response.server_ns, queue_ns

    async def noop(self) -> None:
        await self._call(NOOP, peaje_pb2.NoopRequest())

    async def check_ready(self) -> bool:
        try:
            response, _ = await self._call(HEALTH_CHECK, health_pb2.HealthCheckRequest())
        except PeajeError:
            return False
        return response.status == health_pb2.HealthCheckResponse.SERVING

    async def close(self) -> None:
        current = asyncio.get_running_loop()
        for loop, calls in self._loops.items():
            if loop is current or loop.is_closed():
                calls.close()
            else:  # a reader is removed by its own loop's thread
                loop.call_soon_threadsafe(calls.close)
        self._loops.clear()
        self._engine.close()


# The clients an event loop can use: grpc.aio, or the cpp client through LoopCalls.
ASYNC_CLIENTS = ("grpcio-aio", "cpp")


def resolve_async_client(client: str) -> str:
    """``auto`` -> cpp where it is built, else grpcio-aio; any other name as given."""
    if client == "auto":
        return "cpp" if "cpp" in available_clients() else "grpcio-aio"
    return client


def async_engine(
    target: str = DEFAULT_TARGET,
    timeout: float = DEFAULT_TIMEOUT,
    client: str = "auto",
    inline_budget_us: float = 200.0,
) -> AsyncGrpcEngine | CppAsyncGrpcEngine:
    """The grpc engine for an event loop on one of ASYNC_CLIENTS (the HTTP front's choice);
    ``auto``: cpp where it is built, else grpcio-aio."""
    client = resolve_async_client(client)
    if client == "grpcio-aio":
        return AsyncGrpcEngine(target, timeout)
    if client == "cpp":
        return CppAsyncGrpcEngine(target, timeout, inline_budget_us)
    raise InvalidArgument(
        f"an event loop's client is auto or one of {', '.join(ASYNC_CLIENTS)}, got {client!r}"
    )
