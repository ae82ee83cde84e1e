"""POST /v1/{engine}/search and /v1/{engine}/bytes-dict: one route per operation, any engine."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from peaje.api import problems
from peaje.api.dependencies import EngineName, api_metrics, engine_set
from peaje.api.engines import EngineSet, Timed, encode_entries
from peaje.api.metrics import ApiMetrics
from peaje.api.models import (
    BytesDictRequest,
    BytesDictResponse,
    EngineInfo,
    EnginesResponse,
    SearchRequest,
    SearchResponse,
)

router = APIRouter(prefix="/v1", tags=["engines"])
Engines = Annotated[EngineSet, Depends(engine_set)]
Metrics = Annotated[ApiMetrics, Depends(api_metrics)]
ERRORS = problems.responses(404, 413, 422, 503, 504)


def timed_response(engine: str, route: str, timed: Timed, body: dict, metrics: ApiMetrics):
    """The body plus its time breakdown, in the body and in Server-Timing (milliseconds)."""
    metrics.engine_latency.labels(engine, route).observe(timed.engine_ns / 1e9)
    timing = [f"engine;dur={timed.engine_ns / 1e6:.3f}"]
    if timed.server_ns is not None:
        metrics.server_latency.labels(route).observe(timed.server_ns / 1e9)
        timing.append(f"server;dur={timed.server_ns / 1e6:.3f}")
    body.update(engine=engine, engine_ns=timed.engine_ns, server_ns=timed.server_ns)
    return JSONResponse(body, headers={"Server-Timing": ", ".join(timing)})


@router.post("/{engine}/search", response_model=SearchResponse, responses=ERRORS)
async def search(engine: EngineName, request: SearchRequest, engines: Engines, metrics: Metrics):
    """Leftmost index of each target in ascending int64 values, or -1.

    Data comes inline (`values`, validated) or resident (`dataset`, built once per process or
    server). `repeat` runs the batch K times inside one crossing (the benchmark knob).
    """
    timed = await engines.search(
        engine.value,
        request.targets,
        request.values,
        request.dataset,
        request.mode,
        request.repeat,
    )
    return timed_response(
        engine.value, "/v1/{engine}/search", timed, {"indices": timed.result}, metrics
    )


@router.post("/{engine}/bytes-dict", response_model=BytesDictResponse, responses=ERRORS)
async def bytes_dict(
    engine: EngineName, request: BytesDictRequest, engines: Engines, metrics: Metrics
):
    """Text and bytes entries to an ordered bytes -> bytes map (the talk's BytesDict).

    Items are JSON strings (text, UTF-8 encoded with `errors`) or `{"base64": ...}` (bytes);
    the result's keys and values are base64.
    """
    timed = await engines.to_bytes_dict(engine.value, request.entries, request.errors)
    body = {"entries": encode_entries(timed.result)}
    return timed_response(engine.value, "/v1/{engine}/bytes-dict", timed, body, metrics)


@router.get("/engines", response_model=EnginesResponse)
async def list_engines(engines: Engines):
    """Every engine, its data modes and whether it can answer now."""
    states = await engines.states()
    return EnginesResponse(
        engines=[
            EngineInfo(
                name=name.value,
                modes=list(engines.modes(name.value)),
                state="unavailable" if states[name.value] else "ready",
                detail=states[name.value] or None,
            )
            for name in EngineName
        ]
    )
