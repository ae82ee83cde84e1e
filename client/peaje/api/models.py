"""The API's schema: request and response bodies of /v1/{engine}/search and /bytes-dict.

Integers are JSON integers checked to be int64 with no coercion (StrictInt: ``true``, ``1.0``
and ``"1"`` are refused). Bytes travel as base64; text travels as JSON strings.

Bytes-dict entries are ``[key, value]`` pairs, in order, where each item is either a JSON
string (text, encoded by the engine with ``errors``) or ``{"base64": "..."}`` (bytes, passed
through unchanged); a JSON object of text keys is accepted too. The model checks that shape
strictly and decodes the base64 itself, so an engine only ever sees str and bytes: an entry
that is not a two-item array, or an item of any other JSON type, is a 422 type-error naming
its index (and the key), never a guessed pair.

Lone surrogates: JSON allows ``"\\ud800"``, and the API decodes it (as Python's ``json`` does)
to a string holding the lone surrogate. It then meets ``errors`` exactly as it would in
process: ``strict`` -> 422 encode-error naming the key, ``surrogatepass`` -> the bytes ED A0 80,
``surrogateescape`` -> the original byte for U+DC80..U+DCFF and 422 otherwise. The grpc engine
cannot carry lone surrogates (proto3 strings are UTF-8) and refuses them with 422.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from peaje.arguments import role_text, short_repr
from peaje.limits import DEFAULT_DATASET, INT64_MAX, INT64_MIN, MAX_REPEAT, MODES, UTF8_ERRORS

# JSON Schema's "integer" admits 1.0 (the same number as 1); this API reads integer literals
# only, so the schema says so in the words it has: format int64 and the description.
STRICT = 'a JSON integer literal: 1.0, 1e0, true and "1" are refused'
Int64 = Annotated[
    StrictInt,
    Field(ge=INT64_MIN, le=INT64_MAX),
    WithJsonSchema(
        {"type": "integer", "format": "int64", "minimum": INT64_MIN, "maximum": INT64_MAX}
    ),
]
Repeat = Annotated[
    StrictInt,
    Field(ge=1, le=MAX_REPEAT),
    WithJsonSchema({"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_REPEAT}),
]
Mode = Literal[MODES]  # one definition: peaje.limits.MODES
Utf8Errors = Literal[UTF8_ERRORS]
Item = str | bytes  # after validation: text, or bytes decoded from {"base64": ...}

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
                "items": False,
                "minItems": 2,
                "maxItems": 2,
            },
        },
        {"type": "object", "additionalProperties": ITEM_SCHEMA},
    ],
    "examples": [[["barba", "coa"], [{"base64": "AGI="}, "v"]]],
}


def type_error(message: str) -> PydanticCustomError:
    """A wrong JSON type in the entries: problem type-error (a TypeError in process)."""
    return PydanticCustomError("peaje_type_error", "{message}", {"message": message})


def decode_item(item: Any, where: tuple[int, int] | str, key: Any, is_value: bool) -> Item:
    """Text as is; {"base64": "..."} -> its bytes; anything else a type error naming the entry
    (`where`: (index, 0 or 1) of a pair, or an object's key) and the key. The messages are built
    only on error: a valid body pays one type check per item."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and len(item) == 1 and isinstance(item.get("base64"), str):
        try:
            return base64.b64decode(item["base64"], validate=True)
        except (binascii.Error, ValueError) as e:  # bad alphabet or padding, non-ASCII
            raise PydanticCustomError(
                "peaje_invalid_argument",
                "{place}: invalid base64 in a bytes item ({role}): {error}",
                {"place": _place(where), "role": role_text(key, is_value), "error": str(e)},
            ) from None
    kind = "an object other than {base64}" if isinstance(item, dict) else _json_type(item)
    raise type_error(
        f'{_place(where)}: expected text or {{"base64": ...}} for {role_text(key, is_value)}, '
        f"got {kind}"
    )


def _place(where: tuple[int, int] | str) -> str:
    if isinstance(where, tuple):
        return f"entries[{where[0]}][{where[1]}]"
    return f"entries[{short_repr(where)}]"


def _json_type(item: Any) -> str:
    names = {bool: "bool", int: "int", float: "float", list: "array", type(None): "null"}
    return names.get(type(item), type(item).__name__)


def decode_entries(entries: Any) -> list[tuple[Item, Item]] | dict[str, Item]:
    """The entries of a bytes-dict body, checked against ENTRIES_SCHEMA and base64-decoded."""
    if isinstance(entries, dict):
        return {key: decode_item(item, key, key, True) for key, item in entries.items()}
    if not isinstance(entries, list):
        raise type_error(
            f"entries: expected an array of [key, value] pairs or an object, got "
            f"{_json_type(entries)}"
        )
    pairs = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, list) or len(entry) != 2:
            what = f"an array of {len(entry)}" if isinstance(entry, list) else _json_type(entry)
            raise type_error(
                f"entries[{i}]: an entry is a [key, value] array of two items, got {what}"
            )
        key, value = entry
        pairs.append((decode_item(key, (i, 0), key, False), decode_item(value, (i, 1), key, True)))
    return pairs


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

    targets: list[Int64] = Field(description=f"int64 targets (at most 1,000,000), each {STRICT}")
    values: list[Int64] | None = Field(
        None,
        description="inline ascending int64 values; validated (int64, sorted) on every "
        f"engine and mode, the first bad index is named. Give values or dataset, not both. "
        f"Each is {STRICT}.",
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
    repeat: Repeat = Field(1, description="passes over the targets inside one call")

    @model_validator(mode="after")
    def values_or_dataset(self) -> SearchRequest:
        if {"values", "dataset"} <= self.model_fields_set:  # even as null: the schema says so
            raise ValueError("give values or dataset, not both")
        return self


class SearchResponse(BaseModel):
    indices: list[int] = Field(description="leftmost index of each target, or -1")
    engine: str
    engine_ns: int = Field(
        description="the engine call, crossing + work, until its answer is in the API process "
        "(ns); for grpc on the cpp client the answer's wait for the event loop is apart "
        "(Server-Timing queue)"
    )
    server_ns: int | None = Field(
        None,
        description="grpc only: time inside the server's core (ns); the rest of "
        "engine_ns is network + serialization",
    )


class BytesDictRequest(BaseModel):
    """Text and bytes entries to an ordered bytes -> bytes map."""

    model_config = ConfigDict(extra="forbid")

    # Validated and decoded by decode_entries (the schema is ENTRIES_SCHEMA): str and bytes only.
    entries: Annotated[Any, WithJsonSchema(ENTRIES_SCHEMA)]
    errors: Utf8Errors = Field("strict", description="how text is UTF-8 encoded")

    @field_validator("entries")
    @classmethod
    def _entries(cls, entries: Any) -> list[tuple[Item, Item]] | dict[str, Item]:
        return decode_entries(entries)


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
