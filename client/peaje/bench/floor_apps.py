"""The floors the HTTP front is measured against (peaje.bench.http_rps): the least an app can
do under the same server, so the front's own layers show as a ratio.

    uvicorn peaje.bench.floor_apps:fastapi_noop   # FastAPI, one no-op route: GET /v1/noop
    uvicorn peaje.bench.floor_apps:asgi_noop      # a bare ASGI callable, no framework
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

fastapi_noop = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@fastapi_noop.get("/v1/noop")
async def noop() -> dict[str, bool]:
    return {"ok": True}


NOOP_BODY = b'{"ok":true}'
NOOP_HEADERS = [(b"content-type", b"application/json"), (b"content-length", b"11")]


async def asgi_noop(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":  # accept startup and shutdown, nothing to do
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": NOOP_HEADERS})
    await send({"type": "http.response.body", "body": NOOP_BODY})
