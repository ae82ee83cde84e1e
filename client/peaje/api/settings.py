"""The API's configuration: one declarative class, each field read from ``PEAJE_<FIELD>``."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the HTTP front, from the environment (``PEAJE_`` + the field name in capitals,
    e.g. ``PEAJE_GRPC_TARGET``); an empty variable means the default. A bad value stops the API
    at start-up with the field named. ``Settings(field=...)`` overrides in code (tests)."""

    model_config = SettingsConfigDict(
        env_prefix="PEAJE_", env_ignore_empty=True, frozen=True, populate_by_name=True
    )

    grpc_target: str = Field(
        "127.0.0.1:50051", description="the peaje-server the grpc engine calls (a gRPC target)"
    )
    grpc_client: Literal["auto", "cpp", "grpcio-aio"] = Field(
        "auto",
        description="which of peaje.remote.ASYNC_CLIENTS the grpc engine uses: cpp (the C++ "
        "client, its answers handed to the event loop through an eventfd: the fastest, at one "
        "user and under load, and it tells the crossing from the loop's queue) or grpcio-aio "
        "(grpc.aio); auto (the default) is cpp where it is built, else grpcio-aio",
    )
    timeout: float = Field(
        5.0,
        gt=0,
        validation_alias=AliasChoices("PEAJE_TIMEOUT", "PEAJE_GRPC_TIMEOUT", "timeout"),
        description="PEAJE_TIMEOUT (PEAJE_GRPC_TIMEOUT, its old name, still works): the deadline "
        "of every engine call, seconds; past it 504 and the work stops (grpc: the call's "
        "deadline; in process: the engine's timeout=, and the answer does not wait for it)",
    )
    max_body_bytes: int = Field(
        16 * 1024 * 1024, ge=0, description="bodies larger than this are refused with 413 unread"
    )
    body_timeout_seconds: float = Field(
        5.0,
        ge=0,
        validation_alias="PEAJE_BODY_TIMEOUT",
        description="PEAJE_BODY_TIMEOUT: a request's whole body must arrive within this many "
        "seconds of its headers, else 408 and the connection is closed (0 = no deadline); until "
        "then it holds no in-flight slot",
    )
    inline_budget_us: float = Field(
        200.0,
        ge=0,
        description="in-process work estimated above this (microseconds) runs in a worker thread "
        "so it does not hold the event loop; cheaper work runs inline, where a thread hop (tens "
        "of microseconds) would cost more than the work itself",
    )
    max_in_flight: int = Field(
        128,
        ge=0,
        le=2**31 - 1,  # the layer counts in C integers (peaje.api._front.Gate)
        description="engine requests (/v1/...) in flight at most; past it 503 + Retry-After at "
        "once rather than an unbounded queue (0 = no limit); health, readiness and metrics are "
        "never shed",
    )
    retry_after_seconds: int = Field(1, ge=1, description="the Retry-After of a shed request")

    @classmethod
    def from_env(cls) -> Settings:
        return cls()
