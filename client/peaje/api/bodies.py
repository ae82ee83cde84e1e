"""Request and response bodies of /v1/{engine}/...: JSON, or the gRPC service's own peaje.v1
protobuf messages (``application/x-protobuf``). The request's Content-Type picks the decoder;
Accept picks the response's encoding (default: the request's). Errors are problem+json always.

Each value is validated once: a JSON search body by pydantic straight from the bytes (Rust), a
bytes-dict body by Python's json (which keeps the documented lone-surrogate escapes) and then
the model; a protobuf body by its parser (sint64 fields hold int64 by construction), plus the
few rules the message cannot say (repeat's range, the errors name, an entry's missing oneof).

Protobuf specifics: ``mode`` is not a field of peaje.v1.SearchRequest, so it comes as the
``?mode=`` query parameter; ``repeat`` 0 (unset) means 1 and ``errors`` "" means strict, as on
the gRPC server. A protobuf response carries ``server_ns`` (0 for in-process engines); the
engine time is in Server-Timing (``engine;dur=``, milliseconds), as for JSON.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pydantic_core
from fastapi.exceptions import RequestValidationError
from google.protobuf.message import DecodeError
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request

from peaje import _native
from peaje.api.models import BytesDictRequest, SearchRequest
from peaje.api.problems import EngineError
from peaje.api.timing import stamp
from peaje.arguments import check_batch
from peaje.errors import InvalidArgument, TooLarge
from peaje.limits import MAX_DATASET_SIZE, MAX_REPEAT, MODES, UTF8_ERRORS
from peaje.v1 import peaje_pb2

JSON = "application/json"
PROTOBUF = "application/x-protobuf"
NOT_A_BODY = (
    "the body must be a JSON object, sent as Content-Type: application/json, or a peaje.v1 "
    "message sent as Content-Type: application/x-protobuf"
)


def invalid(place: str, message: str, kind: str = "peaje_invalid_argument") -> Exception:
    """A 422 with the usual problem mapping (peaje.api.problems.on_validation_error)."""
    error = {"type": kind, "loc": ("body", place) if place else ("body",), "msg": message}
    return RequestValidationError([error])


def media_type(header: str | None) -> str:
    """JSON, PROTOBUF or "" for a Content-Type header (parameters and case ignored)."""
    kind = (header or "").split(";", 1)[0].strip().lower()
    if kind == JSON or (kind.startswith("application/") and kind.endswith("+json")):
        return JSON
    return PROTOBUF if kind == PROTOBUF else ""


def response_type(request: Request, request_type: str) -> str:
    """The response's encoding: the first of JSON or protobuf that Accept names, else the
    request's own."""
    accept = request.headers.get("accept", "").lower()
    json_at, protobuf_at = accept.find(JSON), accept.find(PROTOBUF)
    if protobuf_at >= 0 and (json_at < 0 or protobuf_at < json_at):
        return PROTOBUF
    return JSON if json_at >= 0 else request_type


def validation_error(e: ValidationError) -> RequestValidationError:
    return RequestValidationError(
        [{**error, "loc": ("body", *error["loc"])} for error in e.errors(include_url=False)]
    )


async def read_body(request: Request) -> tuple[str, bytes]:
    kind = media_type(request.headers.get("content-type"))
    if not kind:
        raise invalid("", NOT_A_BODY)
    if kind == JSON and request.scope["query_string"] and "mode" in request.query_params:
        raise invalid(
            "mode", "mode: the ?mode= parameter is for protobuf bodies; in JSON it is a member"
        )
    return kind, await read_all(request.receive)


async def read_all(receive) -> bytes:
    """The request body: one message when middleware.BodyReader has read it, else the chunks."""
    message = await receive()
    body = message.get("body", b"")
    if not message.get("more_body", False):
        return body
    chunks = [body]
    while message.get("more_body", False):
        message = await receive()
        if message["type"] != "http.request":  # the client went away mid-body
            raise HTTPException(400)
        chunks.append(message.get("body", b""))
    return b"".join(chunks)


def parse_json(model: type[BaseModel], body: bytes) -> Any:
    try:
        return model.model_validate_json(body)
    except ValidationError as e:
        raise validation_error(e) from None


def parse_message(message_type: Any, body: bytes) -> Any:
    try:
        return message_type.FromString(body)
    except DecodeError as e:
        name = message_type.DESCRIPTOR.full_name
        raise invalid("", f"the body is not a valid {name} message: {e}") from None


# ---- search ---------------------------------------------------------------------------------


async def read_search(request: Request) -> tuple[SearchRequest | WireSearch, str]:
    kind, body = await read_body(request)
    if kind == JSON:
        return parse_json(SearchRequest, body), kind
    message, n_targets, whole = parse_search_message(body)
    mode = request.query_params.get("mode") if request.scope["query_string"] else None
    if mode is not None and mode not in MODES:
        raise invalid("mode", f"mode must be one of {', '.join(MODES)}, got {mode[:32]!r}")
    repeat = message.repeat or 1
    if not 1 <= repeat <= MAX_REPEAT:
        raise invalid("repeat", f"repeat must be between 1 and {MAX_REPEAT}, got {repeat}")
    data = message.WhichOneof("data")
    # Sizes first, from the parsed message (len is O(1)): no Python list of millions of ints is
    # built for a request the caps refuse anyway (413, as the engines say it).
    try:
        check_batch(n_targets, repeat)
        if data == "values" and len(message.values.values) > MAX_DATASET_SIZE:
            raise TooLarge(f"too many values: {len(message.values.values)} > {MAX_DATASET_SIZE}")
    except TooLarge as e:
        raise EngineError(e) from None
    if data != "values" and mode in (None, "resident"):
        # Resident data: the wire bytes are kept for an in-process engine to read (WireSearch).
        dataset = message.dataset if data == "dataset" else None
        return WireSearch(body, message if whole else None, dataset, mode, repeat, n_targets), kind
    if not whole:
        message = parse_message(peaje_pb2.SearchRequest, body)
    return search_model(message, mode, repeat), kind


def parse_search_message(body: bytes) -> tuple[Any, int, bool]:
    """(message, number of targets, whether the message holds them). protobuf parses the request
    without its targets (peaje.wire copies the other records and counts the targets, which stay
    in the body for search_packed: ~7 us instead of ~32 for 10,000 of them); whatever that
    refuses, protobuf parses the whole body and stays the judge of a valid message."""
    try:
        rest, n_targets = _native.search_request_without_targets(body)
        return peaje_pb2.SearchRequest.FromString(rest), n_targets, False
    except (InvalidArgument, DecodeError, TypeError):
        message = parse_message(peaje_pb2.SearchRequest, body)
        return message, len(message.targets), True


def search_model(message: Any, mode: str | None, repeat: int) -> SearchRequest:
    data = message.WhichOneof("data")
    # model_construct: the parser has checked every field's type; no second pass over targets.
    return SearchRequest.model_construct(
        targets=message.targets[:],  # a slice is a plain list, 25% faster than list()
        values=message.values.values[:] if data == "values" else None,
        dataset=message.dataset if data == "dataset" else None,
        mode=mode,
        repeat=repeat,
    )


class WireSearch:
    """A protobuf search on resident data, parsed and checked (caps included) but with its
    targets left in the wire bytes: an in-process engine's SortedArray.search_packed takes
    ``body`` and answers a peaje.v1.SearchResponse's bytes, so no target becomes a Python int
    (peaje.api.engines.EngineSet.search_wire). Any other engine or answer takes ``model()``."""

    __slots__ = ("body", "message", "dataset", "mode", "repeat", "n_targets")

    def __init__(
        self, body: bytes, message: Any, dataset: str | None, mode, repeat: int, n_targets=None
    ) -> None:
        # message: the parsed request with its targets, or None when only the rest was parsed
        # (parse_search_message, which counted n_targets); model() then parses the whole body.
        self.body, self.message, self.dataset = body, message, dataset
        self.mode, self.repeat = mode, repeat
        self.n_targets: int = len(message.targets) if n_targets is None else n_targets

    def model(self) -> SearchRequest:
        message = self.message
        if message is None:
            message = parse_message(peaje_pb2.SearchRequest, self.body)
        return search_model(message, self.mode, self.repeat)


def search_body(kind: str, indices: list[int], engine: str, engine_ns: int, server_ns) -> bytes:
    if kind == PROTOBUF:
        message = peaje_pb2.SearchResponse(indices=indices, server_ns=server_ns or 0)
        return message.SerializeToString()
    # The declared SearchResponse, serialised in Rust from a dict of its fields (no model
    # instance: constructing one costs more than serialising a one-target answer).
    body = {"indices": indices, "engine": engine, "engine_ns": engine_ns, "server_ns": server_ns}
    return pydantic_core.to_json(body)


# ---- bytes-dict -----------------------------------------------------------------------------


async def read_bytes_dict(request: Request) -> tuple[BytesDictRequest, str]:
    kind, body = await read_body(request)
    if kind == JSON:
        try:
            # Python's json: "\ud800" escapes become lone surrogates (documented in models).
            document = json.loads(body)
        except json.JSONDecodeError as e:
            error = {
                "type": "json_invalid",
                "loc": ("body",),
                "msg": e.msg,
                "ctx": {"error": e.msg},
            }
            raise RequestValidationError([error]) from None
        except (ValueError, RecursionError):  # not UTF-8, or nested too deeply
            raise HTTPException(400) from None
        try:
            return BytesDictRequest.model_validate(document), kind
        except ValidationError as e:
            raise validation_error(e) from None
    message = parse_message(peaje_pb2.ToBytesDictRequest, body)
    pairs = []
    for i, entry in enumerate(message.entries):
        key, value = entry.WhichOneof("key"), entry.WhichOneof("value")
        if key is None or value is None:
            missing = "key_text or key_bytes" if key is None else "value_text or value_bytes"
            raise invalid(f"entries[{i}]", f"entries[{i}]: no {missing}", "peaje_type_error")
        pairs.append((getattr(entry, key), getattr(entry, value)))
    errors = message.errors or "strict"
    if errors not in UTF8_ERRORS:
        raise invalid(
            "errors", f"errors must be one of {', '.join(UTF8_ERRORS)}, got {errors[:32]!r}"
        )
    return BytesDictRequest.model_construct(entries=pairs, errors=errors), kind


def bytes_dict_body(kind: str, result: dict[bytes, bytes], engine: str, engine_ns, server_ns):
    if kind == PROTOBUF:
        pairs = [peaje_pb2.BytesPair(key=k, value=v) for k, v in result.items()]
        return peaje_pb2.ToBytesDictResponse(
            entries=pairs, server_ns=server_ns or 0
        ).SerializeToString()
    b64 = base64.b64encode
    entries = [[b64(k).decode("ascii"), b64(v).decode("ascii")] for k, v in result.items()]
    body = {"entries": entries, "engine": engine, "engine_ns": engine_ns, "server_ns": server_ns}
    return pydantic_core.to_json(body)


class BodyResponse:
    """A 200 with its body, sent as two ASGI messages: the fast equivalent of a starlette
    Response (no header object, no background tasks) for the engine routes' answers."""

    __slots__ = ("headers", "content")

    def __init__(self, kind: str, content: bytes, server_timing: str) -> None:
        self.content = content
        self.headers = [
            (b"content-type", kind.encode("ascii")),
            (b"content-length", str(len(content)).encode("ascii")),
            (b"server-timing", server_timing.encode("ascii")),
        ]

    async def __call__(self, scope, receive, send) -> None:
        stamp(scope, 200, self.headers)  # Server-Timing app, the status for the metrics
        await send({"type": "http.response.start", "status": 200, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.content})


def respond(kind: str, content: bytes, server_timing: str) -> BodyResponse:
    return BodyResponse(kind, content, server_timing)


# ---- OpenAPI --------------------------------------------------------------------------------


def binary(message: Any) -> dict[str, Any]:
    name = message.DESCRIPTOR.full_name
    return {"schema": {"type": "string", "format": "binary", "description": f"a {name} message"}}


MODE_PARAMETER = {
    "name": "mode",
    "in": "query",
    "required": False,
    "description": "protobuf bodies only (peaje.v1.SearchRequest has no mode)",
    "schema": {"type": "string", "enum": list(MODES)},
}


def request_doc(model: type[BaseModel], message: Any) -> dict[str, Any]:
    """openapi_extra of an operation that reads its body itself: both media types."""
    content = {JSON: {"schema": model.model_json_schema()}, PROTOBUF: binary(message)}
    return {"requestBody": {"required": True, "content": content}}


def response_doc(message: Any) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {PROTOBUF: binary(message)}}}
