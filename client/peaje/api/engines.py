"""The engines one API process serves, and how a request reaches each without holding the
event loop: grpc through peaje.remote.async_engine (its client: PEAJE_GRPC_CLIENT), in-process
work inline when cheap, in a thread otherwise.

Every engine call has one deadline, Settings.timeout (PEAJE_TIMEOUT): the grpc call's own
deadline; for in-process engines the ``timeout=`` they take (they stop and raise
DeadlineExceeded), and the answer does not wait past it: work in a thread is given up on at the
deadline with 504. A dataset spec that is not resident yet is built in the thread, never on the
event loop."""

from __future__ import annotations

import array
import asyncio
import base64
import functools
import inspect
import time
import types
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from peaje import _native
from peaje.api.bodies import WireSearch
from peaje.api.models import BytesDictRequest, SearchRequest
from peaje.api.problems import ENGINE_ERRORS, EngineError
from peaje.api.settings import Settings
from peaje.engine import ENGINES, engine
from peaje.errors import DeadlineExceeded, InvalidArgument, Unavailable
from peaje.limits import DEFAULT_DATASET

T = TypeVar("T")

# The engine served over a gRPC channel; every other name in peaje.engine.ENGINES runs in
# this process, made by peaje.engine.engine(name).
REMOTE = "grpc"
# Rough in-process costs (microseconds) used only to choose inline vs thread; see Settings.
# An engine not listed (a new binding) is costed as the python engine: a thread when in doubt.
# The compiled engines: ~0.01 us per search of the core's batch search (tests/bench/core_bench.cpp
# BM_SearchRandom / BM_SearchSpread, range:100000) plus ~0.008 us per target to convert it and
# its index (a list, or the packed wire bytes); so a one-pass 10,000-target search (~130-180 us
# measured) stays inline.
SEARCH_US = {"python": 5.0, "native": 0.01, "nanobind": 0.01, "cython": 0.01}
TARGET_US = {"native": 0.008, "nanobind": 0.008, "cython": 0.008}
ENTRY_US = {"python": 0.5, "native": 0.2, "nanobind": 0.2, "cython": 0.2}
VALUE_US = 0.02  # validating / copying one inline value
# Worker threads for in-process work. Work given up on at the deadline keeps its thread until
# the engine stops it (at its own timeout=), so the pool is sized above the cores.
WORKER_THREADS = 32


@functools.lru_cache(maxsize=64)  # per bound method: signature() costs microseconds
def search_cost(name: str, n_targets: int, repeat: int) -> float:
    """Estimated in-process microseconds of a search, to choose inline vs a worker thread."""
    per_search = SEARCH_US.get(name, SEARCH_US["python"])
    return n_targets * (TARGET_US.get(name, 0.0) + per_search * repeat)


def takes_timeout(method: Callable[..., Any]) -> bool:
    """Whether an engine method accepts ``timeout=`` (the in-process engines' deadline); asked
    once per function (inspect.signature costs ~5 us, a tenth of a one-target request)."""
    key = method_key(method)
    try:
        return _TAKES_TIMEOUT[key]
    except KeyError:
        if len(_TAKES_TIMEOUT) >= 256:  # callables made per call (partials, lambdas): bounded
            _TAKES_TIMEOUT.clear()
        found = _TAKES_TIMEOUT[key] = read_takes_timeout(method)
        return found
    except TypeError:  # an unhashable callable: asked every time
        return read_takes_timeout(method)


# method_key(method) -> whether it takes timeout=: one entry per engine method.
_TAKES_TIMEOUT: dict[Any, bool] = {}


def method_key(method: Callable[..., Any]) -> Any:
    """What a method's signature depends on: a bound Python method's function; a builtin bound
    method's class and name (its owner's class says takes_timeout); else the callable."""
    function = getattr(method, "__func__", None)
    if function is not None:
        return function
    owner = getattr(method, "__self__", None)
    if owner is not None and not isinstance(owner, types.ModuleType):
        return (type(owner), getattr(method, "__name__", None))
    return method


def read_takes_timeout(method: Callable[..., Any]) -> bool:
    try:
        return "timeout" in inspect.signature(method).parameters
    except (TypeError, ValueError):  # a builtin without a signature: a compiled engine says so
        return bool(getattr(getattr(method, "__self__", None), "takes_timeout", False))


@dataclass
class Timed:
    """An engine's answer and its times. engine_ns: the crossing + the work, as the in-process
    engines time it (from the call to the answer). For grpc the answer's wait for the event
    loop, once it is in this process, is queue_ns, apart: the front's queue, not the crossing.
    (Known only on the cpp client; on grpc.aio it stays inside engine_ns, queue_ns None.)"""

    result: Any
    engine_ns: int
    server_ns: int | None = None
    queue_ns: int | None = None

    @classmethod
    def remote(cls, result: Any, start: int, server_ns: int, queue_ns: int | None) -> Timed:
        total = time.perf_counter_ns() - start
        return cls(result, total - min(queue_ns or 0, total), server_ns, queue_ns)


def encode_entries(result: dict[bytes, bytes]) -> list[list[str]]:
    b64 = base64.b64encode
    return [[b64(k).decode("ascii"), b64(v).decode("ascii")] for k, v in result.items()]


class EngineSet:
    """Every engine of peaje.engine.ENGINES: the in-process ones made here, grpc over one
    channel made at start-up. An engine that cannot be made (not built) answers 503."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.local: dict[str, Any] = {}
        self.problems: dict[str, str] = {}
        for name in ENGINES:
            if name == REMOTE:
                continue
            try:
                self.local[name] = engine(name)
            except ImportError as e:
                self.problems[name] = f"{name} engine not installed: {e}"
        self.grpc: Any = None
        self.grpc_problem = "not started"
        self.workers = ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="peaje-engine")

    async def start(self) -> None:
        try:
            from peaje.remote import async_engine
        except ImportError as e:  # the gRPC face is not installed: grpc answers 503
            self.grpc_problem = f"grpc engine not installed: {e}"
            return
        s = self.settings
        try:
            self.grpc = async_engine(s.grpc_target, s.timeout, s.grpc_client, s.inline_budget_us)
        except InvalidArgument as e:  # PEAJE_GRPC_CLIENT unknown, or cpp not built: 503
            self.grpc_problem = f"grpc engine: {e}"
            return
        self.grpc_problem = ""

    async def close(self) -> None:
        if self.grpc is not None:
            await self.grpc.close()
            self.grpc = None
        self.workers.shutdown(wait=False, cancel_futures=True)

    def modes(self, name: str) -> tuple[str, ...]:
        found = self.grpc if name == REMOTE else self.local.get(name)
        return tuple(found.modes) if found is not None else ()

    async def states(self) -> dict[str, str]:
        """'' when ready, else why not. grpc is ready when its server answers health checks."""
        states = {name: self.problems.get(name, "") for name in ENGINES if name != REMOTE}
        if self.grpc is None:
            states["grpc"] = self.grpc_problem
        else:
            try:
                ready = await self.grpc.check_ready()
            except Exception as e:  # any failure of the probe means "not ready"
                ready, why = False, f"{type(e).__name__}: {e}"
            else:
                why = "health check failed"
            states["grpc"] = "" if ready else f"{self.settings.grpc_target}: {why}"
        return states

    async def off_loop(self, call: Callable[[], T]) -> T:
        """`call()` in a worker thread; DeadlineExceeded once Settings.timeout has passed (the
        thread is left to the engine's own timeout=, and a call still queued never starts)."""
        timeout = self.settings.timeout
        future = asyncio.get_running_loop().run_in_executor(self.workers, call)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise DeadlineExceeded(
                f"in-process work did not finish within {timeout:g} s (PEAJE_TIMEOUT)"
            ) from None

    async def _run_local(self, cost_us: float, method: Callable[..., T], *args: Any, **kw: Any):
        """`method(*args, **kw, timeout=...)` timed: inline when its estimated cost is within
        Settings.inline_budget_us, else off the loop under the deadline."""
        if takes_timeout(method):
            kw["timeout"] = self.settings.timeout
        call = functools.partial(method, *args, **kw)

        def timed() -> Timed:
            start = time.perf_counter_ns()
            result = call()
            return Timed(result, time.perf_counter_ns() - start)

        try:
            if cost_us > self.settings.inline_budget_us:
                return await self.off_loop(timed)
            return timed()
        except ENGINE_ERRORS as e:
            raise EngineError(e) from e

    def _grpc(self) -> Any:
        if self.grpc is None:
            raise EngineError(Unavailable(self.grpc_problem))
        return self.grpc

    def _local(self, name: str) -> Any:
        if name not in self.local:
            raise EngineError(Unavailable(self.problems.get(name, f"no engine {name!r}")))
        return self.local[name]

    async def search(self, name: str, request: SearchRequest) -> Timed:
        """One validated search request on engine `name` (JSON and protobuf bodies alike)."""
        targets, values, mode, repeat = (
            request.targets,
            request.values,
            request.mode,
            request.repeat,
        )
        dataset = request.dataset
        if values is None:
            data: Any = DEFAULT_DATASET if dataset is None else dataset
        else:
            # Inline values are untrusted input at this boundary: int64 and sorted, on every
            # engine and mode (design.md). The native module owns the check and its wording.
            try:
                if len(values) * VALUE_US > self.settings.inline_budget_us:
                    await self.off_loop(functools.partial(_native.check_sorted_values, values))
                else:
                    _native.check_sorted_values(values)
            except (InvalidArgument, DeadlineExceeded) as e:
                raise EngineError(e) from e
            data = values
        if name == REMOTE:
            remote = self._grpc()
            start = time.perf_counter_ns()
            try:
                indices, server_ns, queue_ns = await remote.search_timed(
                    data, targets, mode=mode, repeat=repeat
                )
            except ENGINE_ERRORS as e:
                raise EngineError(e) from e
            return Timed.remote(indices, start, server_ns, queue_ns)
        if mode == "buffer" and values is not None:
            data = array.array("q", values)  # JSON gives a list; buffer mode needs int64 memory
        local = self._local(name)
        n_values = len(values) if values is not None else 0
        cost = search_cost(name, len(targets), max(repeat, 1)) + VALUE_US * n_values
        if isinstance(data, str):
            # A spec: inline only on data already resident (held here for the call); one not
            # built yet, or an engine that cannot tell, goes to a thread.
            resident = getattr(local, "resident", None)
            found = resident(data) if resident is not None and mode in (None, "resident") else None
            if found is None:
                cost = float("inf")
            else:
                data = found
        return await self._run_local(cost, local.search, data, targets, mode=mode, repeat=repeat)

    async def search_wire(self, name: str, query: WireSearch) -> Timed | None:
        """A protobuf search on resident data, answered as a peaje.v1.SearchResponse's bytes
        by an in-process engine's SortedArray.search_packed (the targets stay in the wire
        bytes, decoded in C++), or None when that does not apply: the grpc engine, an engine
        whose array has no search_packed, a dataset not resident yet (built by the ordinary
        path, in a thread) or a malformed spec (which the ordinary path words)."""
        local = self.local.get(name)
        resident = getattr(local, "resident", None)
        if resident is None:
            return None
        found = resident(DEFAULT_DATASET if query.dataset is None else query.dataset)
        search_packed = getattr(found, "search_packed", None)
        if search_packed is None:
            return None
        cost = search_cost(name, query.n_targets, query.repeat)
        timeout = self.settings.timeout
        if cost > self.settings.inline_budget_us:
            return await self._run_local(
                cost, search_packed, query.body, query.repeat, timeout=timeout
            )
        # Inline, the common case: the call itself, timed (no partial or closure; ~2 us).
        start = time.perf_counter_ns()
        try:
            answer = search_packed(query.body, query.repeat, timeout)
        except ENGINE_ERRORS as e:
            raise EngineError(e) from e
        return Timed(answer, time.perf_counter_ns() - start)

    async def to_bytes_dict(self, name: str, request: BytesDictRequest) -> Timed:
        """One validated bytes-dict request (entries already str/bytes) on engine `name`."""
        mapping, errors = request.entries, request.errors
        if name == REMOTE:
            remote = self._grpc()
            start = time.perf_counter_ns()
            try:
                result, server_ns, queue_ns = await remote.to_bytes_dict_timed(mapping, errors)
            except ENGINE_ERRORS as e:
                raise EngineError(e) from e
            return Timed.remote(result, start, server_ns, queue_ns)
        local = self._local(name)
        per_entry = ENTRY_US.get(name, ENTRY_US["python"])
        return await self._run_local(per_entry * len(mapping), local.to_bytes_dict, mapping, errors)
