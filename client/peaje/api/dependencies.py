"""Shared resources of one API process, made in the lifespan and handed to routes."""

from __future__ import annotations

from fastapi import Request

from peaje.api.engines import EngineSet
from peaje.api.metrics import ApiMetrics


# async on purpose: FastAPI runs a plain `def` dependency in the threadpool, a thread hop per
# request for a dictionary lookup.
async def engine_set(request: Request) -> EngineSet:
    return request.app.state.engines


async def api_metrics(request: Request) -> ApiMetrics:
    return request.app.state.metrics
