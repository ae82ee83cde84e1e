"""The API's schema: request and response bodies of /v1/{engine}/search and /bytes-dict.

Integers are JSON integers checked to be int64 with no coercion (StrictInt: ``true``, ``1.0``
and ``"1"`` are refused). Bytes travel as base64; text travels as JSON strings.

Bytes-dict entries are ``[key, value]`` pairs, in order, where each item is either a JSON
string (text, encoded by the engine with ``errors``) or ``{"base64": "..."}`` (bytes, passed
through unchanged). A JSON object of text keys is accepted too. Items of any other JSON type
reach the engine as they are and are refused there with its own type error naming the key, so
the message is the same on every face.

Lone surrogates: JSON allows ``"\\ud800"``, and the API decodes it (as Python's ``json`` does)
to a string holding the lone surrogate. It then meets ``errors`` exactly as it would in
process: ``strict`` -> 422 encode-error naming the key, ``surrogatepass`` -> the bytes ED A0 80,
``surrogateescape`` -> the original byte for U+DC80..U+DCFF and 422 otherwise. The grpc engine
cannot carry lone surrogates (proto3 strings are UTF-8) and refuses them with 422.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, WithJsonSchema, model_validator

from peaje.limits import DEFAULT_DATASET, INT64_MAX, INT64_MIN, MAX_REPEAT, MODES, UTF8_ERRORS

Int64 = Annotated[StrictInt, Field(ge=INT64_MIN, le=INT64_MAX)]
Mode = Literal["copy", "lazy", "buffer", "resident"]
assert set(Mode.__args__) == set(MODES)

ITEM_SCHEMA = {
    "anyOf": [
        {"type": "string", "description": "text, UTF-8 encoded with `errors`"},
        {
            "type": "object",
            "properties": {"base64": {"type": "string", "format": "byte"}},
            "required": ["base64"],
            "additionalProperties": False,
            "description": "bytes, passed through unchanged",
        },
    ]
}
ENTRIES_SCHEMA = {
    "description": "[key, value] pairs in order (a later equal key wins), or an object of "
    "text keys",
    "anyOf": [
        {
            "type": "array",
            "items": {
                "type": "array",
                "prefixItems": [ITEM_SCHEMA, ITEM_SCHEMA],
                "minItems": 2,
                "maxItems": 2,
            },
        },
        {"type": "object", "additionalProperties": ITEM_SCHEMA},
    ],
    "examples": [[["barba", "coa"], [{"base64": "AGI="}, "v"]]],
}


class SearchRequest(BaseModel):
    """Leftmost index of each target in sorted values, or -1."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "dependentSchemas": {"values": {"not": {"required": ["dataset"]}}},
            "examples": [
                {"dataset": "range:100000", "targets": [66666, -5]},
                {"values": [1, 3, 3, 7], "targets": [3, 4], "mode": "copy", "repeat": 10},
            ],
        },
    )

    targets: list[Int64] = Field(description="int64 targets (at most 1,000,000)")
    values: list[Int64] | None = Field(
        None,
        description="inline ascending int64 values; validated (int64, sorted) on every "
        "engine and mode, the first bad index is named. Give values or dataset, not both.",
    )
    dataset: str | None = Field(
        None,
        description=f"resident data by spec: 'range:N' or 'range:N:STEP' "
        f"(default {DEFAULT_DATASET!r} when neither values nor dataset is given)",
        examples=["range:100000", "range:1000:7"],
    )
    mode: Mode | None = Field(
        None,
        description="data mode: how values cross into the engine (default: copy for inline "
        "values, resident for a dataset)",
    )
    repeat: Annotated[StrictInt, Field(ge=1, le=MAX_REPEAT)] = Field(
        1, description="passes over the targets inside one call"
    )

    @model_validator(mode="after")
    def values_or_dataset(self) -> SearchRequest:
        if {"values", "dataset"} <= self.model_fields_set:  # even as null: the schema says so
            raise ValueError("give values or dataset, not both")
        return self


class SearchResponse(BaseModel):
    indices: list[int] = Field(description="leftmost index of each target, or -1")
    engine: str
    engine_ns: int = Field(description="time around the engine call, crossing + work (ns)")
    server_ns: int | None = Field(
        None,
        description="grpc only: time inside the server's core (ns); the rest of "
        "engine_ns is network + serialization",
    )


class BytesDictRequest(BaseModel):
    """Text and bytes entries to an ordered bytes -> bytes map."""

    model_config = ConfigDict(extra="forbid")

    entries: Annotated[Any, WithJsonSchema(ENTRIES_SCHEMA)]
    errors: Annotated[Any, WithJsonSchema({"enum": list(UTF8_ERRORS), "default": "strict"})] = (
        "strict"
    )


class BytesDictResponse(BaseModel):
    entries: list[Annotated[list[str], Field(min_length=2, max_length=2)]] = Field(
        description="[key, value] pairs, both base64, in input order (a repeated key keeps "
        "its first position and takes the later value)"
    )
    engine: str
    engine_ns: int
    server_ns: int | None = None


class EngineInfo(BaseModel):
    name: str
    modes: list[str]
    state: Literal["ready", "unavailable"]
    detail: str | None = None


class EnginesResponse(BaseModel):
    engines: list[EngineInfo]
