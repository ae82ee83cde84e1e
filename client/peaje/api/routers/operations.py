"""POST /v1/{engine}/search and /v1/{engine}/bytes-dict: one route per operation, any engine,
a JSON or protobuf body (peaje.api.bodies); GET /v1/engines."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from peaje.api import bodies, problems
from peaje.api.engines import Timed
from peaje.api.metrics import ApiMetrics
from peaje.api.models import (
    BytesDictRequest,
    BytesDictResponse,
    EngineInfo,
    EnginesResponse,
    SearchRequest,
    SearchResponse,
)
from peaje.api.timing import StampedRoute
from peaje.engine import ENGINES
from peaje.v1 import peaje_pb2


class DirectRoute(APIRoute):
    """A route whose endpoint takes the Request and returns the Response itself. FastAPI still
    matches it, documents it from the decorator (models, media types) and maps its exceptions
    (peaje.api.problems: the app's exception middleware catches them); what it skips is its
    per-request machinery (parameter solving, exit stacks, response serialisation), which the
    endpoint does once, in peaje.api.bodies. Measured by peaje.bench.http_rps."""

    def __init__(self, path: str, endpoint: Any, **options: Any) -> None:
        super().__init__(path, endpoint, **options)

        async def app(scope, receive, send) -> None:
            response = await endpoint(Request(scope, receive, send))
            await response(scope, receive, send)

        self.app = app

    def get_route_handler(self):
        return self.endpoint


router = APIRouter(prefix="/v1", tags=["engines"], route_class=DirectRoute)
ERRORS = problems.responses(404, 413, 422, 503, 504)
# One definition of the engine names: peaje.engine.ENGINES (a new engine appears in the routes,
# the OpenAPI enum and /v1/engines with no edit). The routes read the name from the path
# themselves: a declared enum parameter costs a pydantic validation per request.
ENGINE_NAMES = frozenset(ENGINES)
ENGINE_PARAMETER = {
    "name": "engine",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": list(ENGINES), "title": "Engine"},
}


def operation_doc(request_model, message, *parameters: dict[str, Any]) -> dict[str, Any]:
    doc = bodies.request_doc(request_model, message)
    doc["parameters"] = [ENGINE_PARAMETER, *parameters]
    return doc


def unknown_engine(request: Request) -> Response | None:
    name = request.path_params["engine"]
    if name in ENGINE_NAMES:
        return None
    return problems.problem("not-found", 404, f"unknown engine {name[:64]!r}", request)


def server_timing(engine: str, route: str, timed: Timed, metrics: ApiMetrics) -> str:
    """The time breakdown for Server-Timing (milliseconds), recorded in the metrics too."""
    metrics.engine_series(engine, route).observe(timed.engine_ns / 1e9)
    if timed.server_ns is None:
        return f"engine;dur={timed.engine_ns / 1e6:.3f}"
    metrics.server_series(route).observe(timed.server_ns / 1e9)
    timing = f"engine;dur={timed.engine_ns / 1e6:.3f}, server;dur={timed.server_ns / 1e6:.3f}"
    if timed.queue_ns is None:
        return timing
    return f"{timing}, queue;dur={timed.queue_ns / 1e6:.3f}"


@router.post(
    "/{engine}/search",
    response_model=SearchResponse,
    responses={**bodies.response_doc(peaje_pb2.SearchResponse), **ERRORS},
    openapi_extra=operation_doc(SearchRequest, peaje_pb2.SearchRequest, bodies.MODE_PARAMETER),
)
async def search(request: Request):
    """Leftmost index of each target in ascending int64 values, or -1.

    Data comes inline (`values`, validated) or resident (`dataset`, built once per process or
    server). `repeat` runs the batch K times inside one crossing (the benchmark knob). The body
    is JSON or a peaje.v1.SearchRequest (`application/x-protobuf`, mode as `?mode=`).
    """
    if (not_found := unknown_engine(request)) is not None:
        return not_found
    name, (query, kind) = request.path_params["engine"], await bodies.read_search(request)
    state = request.app.state
    out = bodies.response_type(request, kind)
    timed = None
    if isinstance(query, bodies.WireSearch):
        # protobuf in and out on resident data: an in-process engine answers the wire bytes.
        if out == bodies.PROTOBUF:
            timed = await state.engines.search_wire(name, query)
        if timed is None:
            query = query.model()
    if timed is not None:
        content = timed.result
    else:
        timed = await state.engines.search(name, query)
        content = bodies.search_body(out, timed.result, name, timed.engine_ns, timed.server_ns)
    timing = server_timing(name, "/v1/{engine}/search", timed, state.metrics)
    return bodies.respond(out, content, timing)


@router.post(
    "/{engine}/bytes-dict",
    response_model=BytesDictResponse,
    responses={**bodies.response_doc(peaje_pb2.ToBytesDictResponse), **ERRORS},
    openapi_extra=operation_doc(BytesDictRequest, peaje_pb2.ToBytesDictRequest),
)
async def bytes_dict(request: Request):
    """Text and bytes entries to an ordered bytes -> bytes map (the talk's BytesDict).

    Items are JSON strings (text, UTF-8 encoded with `errors`) or `{"base64": ...}` (bytes);
    the result's keys and values are base64. Or a peaje.v1.ToBytesDictRequest as protobuf.
    """
    if (not_found := unknown_engine(request)) is not None:
        return not_found
    name, (query, kind) = request.path_params["engine"], await bodies.read_bytes_dict(request)
    state = request.app.state
    timed = await state.engines.to_bytes_dict(name, query)
    timing = server_timing(name, "/v1/{engine}/bytes-dict", timed, state.metrics)
    out = bodies.response_type(request, kind)
    content = bodies.bytes_dict_body(out, timed.result, name, timed.engine_ns, timed.server_ns)
    return bodies.respond(out, content, timing)


async def list_engines(request: Request) -> EnginesResponse:
    """Every engine, its data modes and whether it can answer now."""
    engines = request.app.state.engines
    states = await engines.states()
    return EnginesResponse(
        engines=[
            EngineInfo(
                name=name,
                modes=list(engines.modes(name)),
                state="unavailable" if states[name] else "ready",
                detail=states[name] or None,
            )
            for name in ENGINES
        ]
    )


# An ordinary FastAPI route: it returns the model and FastAPI serialises it (and the route
# stamps the answer, peaje.api.timing).
router.add_api_route(
    "/engines", list_engines, response_model=EnginesResponse, route_class_override=StampedRoute
)
