"""The API's configuration, read from the environment in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return default if raw in (None, "") else float(raw)


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw in (None, "") else int(raw)


@dataclass(frozen=True)
class Settings:
    # The peaje-server the "grpc" engine calls, and its per-call deadline in seconds.
    grpc_target: str = "127.0.0.1:50051"
    grpc_timeout: float = 5.0
    # Request bodies larger than this are refused with 413 before they are parsed.
    max_body_bytes: int = 16 * 1024 * 1024
    # A request's whole body must arrive within this many seconds of its headers, else 408 and
    # the connection is closed (0 = no deadline). Until then it holds no in-flight slot.
    body_timeout_seconds: float = 5.0
    # In-process work estimated to cost more than this (microseconds) runs in a worker thread,
    # so it does not hold the event loop; cheaper work runs inline, where a thread hop
    # (tens of microseconds) would cost more than the work itself.
    inline_budget_us: float = 200.0
    # Engine requests (/v1/...) in flight at most; past it, 503 + Retry-After at once rather
    # than an unbounded queue (0 = no limit). Health, readiness and metrics are never shed.
    max_in_flight: int = 128
    # The Retry-After (seconds) of a shed request.
    retry_after_seconds: int = 1

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            grpc_target=os.environ.get("PEAJE_GRPC_TARGET") or cls.grpc_target,
            grpc_timeout=_float("PEAJE_GRPC_TIMEOUT", cls.grpc_timeout),
            max_body_bytes=_int("PEAJE_MAX_BODY_BYTES", cls.max_body_bytes),
            body_timeout_seconds=_float("PEAJE_BODY_TIMEOUT", cls.body_timeout_seconds),
            inline_budget_us=_float("PEAJE_INLINE_BUDGET_US", cls.inline_budget_us),
            max_in_flight=_int("PEAJE_MAX_IN_FLIGHT", cls.max_in_flight),
            retry_after_seconds=_int("PEAJE_RETRY_AFTER_SECONDS", cls.retry_after_seconds),
        )
