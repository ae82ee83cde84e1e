"""The FastAPI app: ``uvicorn peaje.api:app`` (configured by PEAJE_* environment variables)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from peaje.api import docs, problems
from peaje.api.engines import EngineSet
from peaje.api.metrics import ApiMetrics
from peaje.api.middleware import Front
from peaje.api.routers import operations, service
from peaje.api.settings import Settings
from peaje.api.shedding import Admission
from peaje.api.timing import stamping


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One gRPC channel per process, opened here and closed at shutdown.
        await app.state.engines.start()
        try:
            yield
        finally:
            await app.state.engines.close()

    # /docs and /redoc with Swagger UI 5 and ReDoc served from the fastapi-offline package: no
    # CDN. (swagger-ui-bundle ships Swagger UI 4, which cannot render FastAPI's OpenAPI 3.1.)
    # The pages themselves are ours (peaje.api.docs), under a Content-Security-Policy.
    app = FastAPIOffline(
        title="peaje",
        version="1",
        summary="The toll of crossing from Python into native code, in-process vs remote.",
        static_url=docs.ASSETS,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        # No redirect of /v1/noop/ to /v1/noop: a path no route serves is a 404 problem, stamped
        # like every answer (the router's own redirect would be the one answer that is not).
        redirect_slashes=False,
    )
    docs.install(app)
    app.state.settings = settings
    app.state.engines = EngineSet(settings)
    app.state.metrics = ApiMetrics()
    app.state.admission = Admission(settings.max_in_flight, settings.retry_after_seconds)
    problems.install(app)
    # The routers' routes go straight into the app's own list, first: FastAPI matches an included
    # router's routes twice per request and tries routes in order, which cost a third of a
    # no-op request here (peaje.bench.http_rps; README "The front's own toll").
    # /v1/noop first, as in the floor it is measured against (peaje.bench.floor_apps).
    ordered = sorted(service.router.routes, key=lambda route: route.path != "/v1/noop")
    app.router.routes[0:0] = [*ordered[:1], *operations.router.routes, *ordered[1:]]
    # Every answer stamps Server-Timing's app and its status (peaje.api.timing): peaje's routes
    # by their responses, the rest (OpenAPI, the documentation pages and their assets) here.
    ours = {id(route) for route in (*service.router.routes, *operations.router.routes)}
    for route in app.router.routes:
        if id(route) not in ours:
            route.app = stamping(route.app, route)
    # One layer times the whole request (including a 413 or 408 from the body reader and a 503
    # from shedding) and sheds a request only once its body is read.
    app.add_middleware(
        Front,
        metrics=app.state.metrics,
        admission=app.state.admission,
        limit=settings.max_body_bytes,
        timeout=settings.body_timeout_seconds,
    )
    return app


app = create_app()
