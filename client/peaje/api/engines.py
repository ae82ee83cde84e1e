"""The engines one API process serves, and how a request reaches each without holding the
event loop: grpc through grpc.aio, in-process work inline when cheap, in a thread otherwise."""

from __future__ import annotations

import array
import base64
import binascii
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from peaje import _native
from peaje.api.problems import ENGINE_ERRORS, EngineError
from peaje.api.settings import Settings
from peaje.engine import ENGINES
from peaje.errors import InvalidArgument, Unavailable
from peaje.limits import DEFAULT_DATASET
from peaje.native import NativeEngine
from peaje.reference import PythonEngine

T = TypeVar("T")

# Rough in-process costs (microseconds) used only to choose inline vs thread; see Settings.
SEARCH_US = {"python": 5.0, "native": 0.05}
ENTRY_US = {"python": 0.5, "native": 0.2}
VALUE_US = 0.02  # validating / copying one inline value


@dataclass
class Timed:
    result: Any
    engine_ns: int
    server_ns: int | None = None


def decode_item(item: Any) -> Any:
    """{"base64": "..."} -> bytes; anything else as is (the engine judges its type)."""
    if isinstance(item, dict) and len(item) == 1 and isinstance(item.get("base64"), str):
        try:
            return base64.b64decode(item["base64"], validate=True)
        except (binascii.Error, ValueError) as e:  # bad alphabet or padding, non-ASCII
            raise EngineError(InvalidArgument(f"invalid base64 in a bytes item: {e}")) from None
    return item


def decode_entries(entries: Any) -> Any:
    if isinstance(entries, dict):
        return {key: decode_item(value) for key, value in entries.items()}
    if isinstance(entries, list):
        return [
            tuple(decode_item(item) for item in entry)
            if isinstance(entry, list) and len(entry) == 2
            else entry
            for entry in entries
        ]
    # Other JSON (a string is iterable in Python!) is not entries: the same type error the
    # engines give for a non-mapping.
    raise EngineError(
        TypeError(
            f"expected a mapping or an iterable of (key, value) pairs, got {type(entries).__name__}"
        )
    )


def encode_entries(result: dict[bytes, bytes]) -> list[list[str]]:
    b64 = base64.b64encode
    return [[b64(k).decode("ascii"), b64(v).decode("ascii")] for k, v in result.items()]


class EngineSet:
    """python and native in this process; grpc over one channel made at start-up."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.local = {"python": PythonEngine(), "native": NativeEngine()}
        self.grpc: Any = None
        self.grpc_problem = "not started"

    async def start(self) -> None:
        try:
            from peaje.remote import AsyncGrpcEngine
        except ImportError as e:  # the gRPC face is not installed: grpc answers 503
            self.grpc_problem = f"grpc engine not installed: {e}"
            return
        self.grpc = AsyncGrpcEngine(self.settings.grpc_target, self.settings.grpc_timeout)
        self.grpc_problem = ""

    async def close(self) -> None:
        if self.grpc is not None:
            await self.grpc.close()
            self.grpc = None

    def modes(self, name: str) -> tuple[str, ...]:
        engine = self.grpc if name == "grpc" else self.local[name]
        return tuple(engine.modes) if engine is not None else ()

    async def states(self) -> dict[str, str]:
        """'' when ready, else why not. grpc is ready when its server answers health checks."""
        states = {"python": "", "native": ""}
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

    async def _run_local(self, cost_us: float, call: Callable[[], T]) -> Timed:
        def timed() -> Timed:
            start = time.perf_counter_ns()
            result = call()
            return Timed(result, time.perf_counter_ns() - start)

        try:
            if cost_us > self.settings.inline_budget_us:
                return await run_in_threadpool(timed)
            return timed()
        except ENGINE_ERRORS as e:
            raise EngineError(e) from e

    def _grpc(self) -> Any:
        if self.grpc is None:
            raise EngineError(Unavailable(self.grpc_problem))
        return self.grpc

    async def search(
        self,
        name: str,
        targets: list[int],
        values: list[int] | None,
        dataset: str | None,
        mode: str | None,
        repeat: int,
    ) -> Timed:
        if values is None:
            data: Any = DEFAULT_DATASET if dataset is None else dataset
        else:
            # Inline values are untrusted input at this boundary: int64 and sorted, on every
            # engine and mode (design.md). The native module owns the check and its wording.
            try:
                if len(values) * VALUE_US > self.settings.inline_budget_us:
                    await run_in_threadpool(_native.check_sorted_values, values)
                else:
                    _native.check_sorted_values(values)
            except InvalidArgument as e:
                raise EngineError(e) from e
            data = values
        if name == "grpc":
            engine = self._grpc()
            start = time.perf_counter_ns()
            try:
                indices, server_ns = await engine.search_timed(
                    data, targets, mode=mode, repeat=repeat
                )
            except ENGINE_ERRORS as e:
                raise EngineError(e) from e
            return Timed(indices, time.perf_counter_ns() - start, server_ns)
        if mode == "buffer" and values is not None:
            data = array.array("q", values)  # JSON gives a list; buffer mode needs int64 memory
        engine = self.local[name]
        n_values = len(values) if values is not None else 0
        cost = SEARCH_US[name] * len(targets) * max(repeat, 1) + VALUE_US * n_values
        return await self._run_local(
            cost, lambda: engine.search(data, targets, mode=mode, repeat=repeat)
        )

    async def to_bytes_dict(self, name: str, entries: Any, errors: Any) -> Timed:
        mapping = decode_entries(entries)
        if name == "grpc":
            engine = self._grpc()
            start = time.perf_counter_ns()
            try:
                result, server_ns = await engine.to_bytes_dict_timed(mapping, errors)
            except ENGINE_ERRORS as e:
                raise EngineError(e) from e
            return Timed(result, time.perf_counter_ns() - start, server_ns)
        engine = self.local[name]
        size = len(mapping)
        return await self._run_local(
            ENTRY_US[name] * size, lambda: engine.to_bytes_dict(mapping, errors)
        )


assert set(ENGINES) == {"python", "native", "grpc"}
