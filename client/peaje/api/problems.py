"""RFC 9457 problem details: the HTTP face of design.md's error table, mapped in one place.

Every error response is ``application/problem+json``. The ``type`` URI says which Python
exception the error stands for, so a client (tests/fixtures/http_engine.py) can raise the same
class an in-process engine raises:

==================================  ======  ==========================================
type                                status  Python exception
==================================  ======  ==========================================
urn:peaje:problem:invalid-argument  422     peaje.InvalidArgument (a ValueError)
urn:peaje:problem:type-error        422     TypeError
urn:peaje:problem:encode-error      422     UnicodeEncodeError (``encoding``, ``object``,
                                            ``start``, ``end``, ``reason`` members)
urn:peaje:problem:too-large         413     peaje.TooLarge (body over the cap, or a batch
                                            or dataset over a size cap)
urn:peaje:problem:unavailable       503     peaje.Unavailable
urn:peaje:problem:deadline-exceeded 504     peaje.DeadlineExceeded
urn:peaje:problem:not-found         404     unknown engine or path
urn:peaje:problem:request-timeout   408     (HTTP only) the body did not arrive within
                                            PEAJE_BODY_TIMEOUT; the connection is closed
urn:peaje:problem:method-not-allowed 405    wrong method
urn:peaje:problem:internal          500     a bug, always
==================================  ======  ==========================================
"""

from __future__ import annotations

import json
import logging
import math
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from peaje.api.timing import Stamped
from peaje.errors import DeadlineExceeded, InvalidArgument, TooLarge, Unavailable
from peaje.limits import INT64_MAX, INT64_MIN

PROBLEM = "urn:peaje:problem:"
JSON_POSITION = re.compile(r"\s*(at )?line \d+ column \d+.*$|:?\s*\(char \d+\)$")
MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("peaje.api")

TITLES = {
    "invalid-argument": "Invalid argument",
    "type-error": "Wrong type",
    "encode-error": "Text cannot be encoded",
    "too-large": "Too large",
    "unavailable": "Backend unavailable",
    "deadline-exceeded": "Deadline exceeded",
    "not-found": "Not found",
    "request-timeout": "Request body too slow",
    "method-not-allowed": "Method not allowed",
    "internal": "Internal error",
}


class Problem(BaseModel):
    """An RFC 9457 problem details object (extension members allowed)."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None


class ProblemResponse(Stamped, JSONResponse):
    media_type = MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        # ASCII escapes keep lone surrogates (echoed from the request) representable.
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def problem(
    name: str,
    status: int,
    detail: str,
    request: Request | None = None,
    headers: dict[str, str] | None = None,
    **members: Any,
) -> ProblemResponse:
    body = {"type": PROBLEM + name, "title": TITLES[name], "status": status, "detail": detail}
    if request is not None:
        body["instance"] = request.url.path
    body.update(members)
    return ProblemResponse(body, status_code=status, headers=headers)


def from_exception(exc: BaseException, request: Request | None = None) -> ProblemResponse:
    """The problem an engine's exception stands for (design.md, "Errors")."""
    if isinstance(exc, TooLarge):
        return problem("too-large", 413, str(exc), request)
    if isinstance(exc, InvalidArgument):
        return problem("invalid-argument", 422, str(exc), request)
    if isinstance(exc, UnicodeEncodeError):
        return problem(
            "encode-error",
            422,
            str(exc),
            request,
            encoding=exc.encoding,
            object=exc.object,
            start=exc.start,
            end=exc.end,
            reason=exc.reason,
        )
    if isinstance(exc, TypeError):
        return problem("type-error", 422, str(exc), request)
    if isinstance(exc, Unavailable):
        # An overloaded backend says how long to wait; anything else: a second.
        retry_after = str(max(1, math.ceil(getattr(exc, "retry_after", 1))))
        return problem("unavailable", 503, str(exc), request, headers={"Retry-After": retry_after})
    if isinstance(exc, DeadlineExceeded):
        return problem("deadline-exceeded", 504, str(exc), request)
    return internal_error(exc, request)


def internal_error(exc: BaseException, request: Request | None) -> ProblemResponse:
    log.error("internal error on %s", request.url.path if request else "?", exc_info=exc)
    return problem("internal", 500, "internal error (a bug in peaje)", request)


ENGINE_ERRORS = (InvalidArgument, UnicodeEncodeError, TypeError, Unavailable, DeadlineExceeded)


class EngineError(Exception):
    """An engine's own error (one of ENGINE_ERRORS), carried out of the route to be mapped.

    Wrapping keeps the mapping narrow: a TypeError raised by the API's own code stays a 500.
    """

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def where(loc: tuple[Any, ...]) -> str:
    """'targets[1]' for pydantic's ('body', 'targets', 1)."""
    text = ""
    for part in loc[1:] if loc and loc[0] in ("body", "path", "query") else loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def validation_message(error: dict[str, Any]) -> str:
    """One pydantic error in the engines' own words (bindings/native_module.cpp)."""
    place, kind = where(tuple(error.get("loc", ()))), error.get("type", "")
    if kind.startswith("peaje_"):  # ours (peaje.api.models, bodies): the message names the place
        return error["msg"]
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{place}: expected an int, got {type(error.get('input')).__name__}"
    bound = error.get("ctx", {}).get("ge", error.get("ctx", {}).get("le"))
    if kind in ("greater_than_equal", "less_than_equal") and bound in (INT64_MIN, INT64_MAX):
        return f"{place} is outside int64"
    if kind == "missing":
        return f"{place}: required"
    if kind == "extra_forbidden":
        return f"{place}: unknown member"
    if kind in ("model_attributes_type", "dict_type") and place == "body":
        return "the body must be a JSON object, sent as Content-Type: application/json"
    if kind == "json_invalid":  # the parser's words, less its position (a parser detail)
        why = JSON_POSITION.sub("", str(error.get("ctx", {}).get("error", ""))).rstrip(": ")
        return f"the body is not valid JSON: {why}"
    return f"{place}: {error.get('msg', 'invalid')}"


async def on_validation_error(request: Request, exc: RequestValidationError) -> ProblemResponse:
    errors = list(exc.errors())
    if any(tuple(e.get("loc", ()))[:2] == ("path", "engine") for e in errors):
        engine = request.path_params.get("engine", "")
        return problem("not-found", 404, f"unknown engine {engine!r}", request)
    messages = [validation_message(e) for e in errors]
    # A wrong JSON type in bytes-dict entries is a TypeError in process: the same problem type.
    name = "type-error" if errors[0].get("type") == "peaje_type_error" else "invalid-argument"
    return problem(name, 422, messages[0], request, errors=messages[:20])


async def on_http_exception(request: Request, exc: HTTPException) -> ProblemResponse:
    status, headers = exc.status_code, dict(exc.headers or {})
    if status == 400:  # FastAPI's "error parsing the body" (not UTF-8, not JSON)
        detail = "the body is not JSON this API can read (invalid UTF-8, or nested too deeply)"
        return problem("invalid-argument", 422, detail, request)
    names = {404: "not-found", 405: "method-not-allowed", 413: "too-large"}
    if status in names:
        return problem(names[status], status, str(exc.detail), request, headers=headers)
    body = {"type": "about:blank", "title": str(exc.detail), "status": status}
    return ProblemResponse({**body, "detail": str(exc.detail)}, status, headers=headers)


async def on_engine_error(request: Request, exc: EngineError) -> ProblemResponse:
    return from_exception(exc.cause, request)


async def on_unhandled(request: Request, exc: Exception) -> ProblemResponse:
    return internal_error(exc, request)  # never mapped by type: a TypeError here is our bug


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_exception)
    app.add_exception_handler(EngineError, on_engine_error)
    app.add_exception_handler(Exception, on_unhandled)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem responses an operation can give."""
    return {
        status: {
            "model": Problem,
            "description": TITLES[name],
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status, name in (
            (404, "not-found"),
            (413, "too-large"),
            (422, "invalid-argument"),
            (503, "unavailable"),
            (504, "deadline-exceeded"),
        )
        if status in statuses
    }
