"""Service endpoints: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from peaje.api import problems
from peaje.api.dependencies import api_metrics, engine_set
from peaje.api.engines import EngineSet
from peaje.api.metrics import ApiMetrics
from peaje.api.timing import StampedRoute

router = APIRouter(tags=["service"], route_class=StampedRoute)


# GET and HEAD: probes (and curl -I) often ask with HEAD; uvicorn sends no body for it. HEAD is a
# route of its own, with an operationId of its own (one route with both methods gives the
# document two operations with one operationId).
@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive (it says nothing about the backends)."""
    return {"status": "alive"}


@router.get("/readyz", responses=problems.responses(503))
async def readyz(request: Request, engines: Annotated[EngineSet, Depends(engine_set)]):
    """200 when every engine can answer (grpc: its server passes a health check) and the front
    is not shedding load, else 503 with each engine's state and the front's in-flight count."""
    states = await engines.states()
    summary = {name: (why or "ready") for name, why in states.items()}
    down = [f"{name}: {why}" for name, why in states.items() if why]
    admission = request.app.state.admission
    shedding = admission.shedding()
    if shedding:
        down.insert(0, f"{shedding} (PEAJE_MAX_IN_FLIGHT={admission.limit})")
    load = {"in_flight": admission.in_flight, "shed": admission.shed}
    if down:
        headers = {"Retry-After": admission.retry_header} if shedding else None
        return problems.problem(
            "unavailable", 503, "; ".join(down), request, headers, engines=summary, **load
        )
    return {"status": "ready", "engines": summary, **load}


for probe, answers in ((healthz, {}), (readyz, problems.responses(503))):
    name = probe.__name__
    router.add_api_route(
        f"/{name}", probe, methods=["HEAD"], operation_id=f"{name}_head", responses=answers
    )


@router.get("/metrics", response_class=Response)
async def metrics(registry: Annotated[ApiMetrics, Depends(api_metrics)]) -> Response:
    """Prometheus text format: requests, errors and latency per engine and route."""
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/noop")
async def noop() -> dict[str, bool]:
    """Does nothing: the front's own cost per request, to compare with a search."""
    return {"ok": True}
