"""The protobuf fast path of POST /v1/{engine}/search: protobuf in and out on resident data, an
in-process engine answers from the wire bytes (SortedArray.search_packed, no target made a
Python int). Its answers are byte for byte protobuf's SerializeToString of the ordinary path's
indices, the same as the JSON answer to the same request; errors are the same problem+json."""

from __future__ import annotations

import asyncio
import json
import random

import pytest

from peaje.api.bodies import WireSearch
from peaje.api.engines import EngineSet
from peaje.api.settings import Settings
from peaje.engine import ENGINES
from peaje.inprocess import BINDINGS
from peaje.limits import DEFAULT_DATASET, MAX_TARGETS
from peaje.v1 import peaje_pb2

PROTOBUF, JSON = "application/x-protobuf", "application/json"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
TARGET_CASES = [
    [],
    [0],
    [7, -1, 99, 100],
    [INT64_MIN, INT64_MAX, -1],
    list(range(-5, 105)),
    [random.Random(3).randrange(-50, 350) for _ in range(10_000)],
]
DATASETS = [None, "range:100", "range:100:3", "range:0"]


def post(api, path: str, body: bytes, kind: str, accept: str):
    return api.post(path, content=body, headers={"content-type": kind, "accept": accept})


def json_answer(api, engine: str, dataset, targets, repeat: int = 1) -> list[int]:
    body = {"targets": targets, "repeat": repeat, **({"dataset": dataset} if dataset else {})}
    response = post(api, f"/v1/{engine}/search", json.dumps(body).encode(), JSON, JSON)
    assert response.status_code == 200, response.text
    return response.json()["indices"]


@pytest.mark.parametrize("dataset", DATASETS, ids=str)
@pytest.mark.parametrize("engine", ENGINES)
def test_protobuf_answer_is_serialize_to_string_of_the_json_answer(api, engine, dataset):
    for targets in TARGET_CASES:
        fields = {"targets": targets, "repeat": 2, **({"dataset": dataset} if dataset else {})}
        body = peaje_pb2.SearchRequest(**fields).SerializeToString()
        path = f"/v1/{engine}/search"
        for _ in range(2):  # the first may build the dataset (ordinary path), then resident
            response = post(api, path, body, PROTOBUF, PROTOBUF)
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == PROTOBUF
            assert "engine;dur=" in response.headers["server-timing"]
        indices = json_answer(api, engine, dataset, targets, 2)
        slow = post(api, path, body, PROTOBUF, JSON)  # protobuf in, JSON out: the ordinary path
        assert slow.json()["indices"] == indices
        answer = peaje_pb2.SearchResponse.FromString(response.content)
        assert list(answer.indices) == indices
        if engine != "grpc":
            assert response.content == peaje_pb2.SearchResponse(indices=indices).SerializeToString()


def test_mode_resident_takes_the_same_path_and_others_keep_theirs(api):
    body = peaje_pb2.SearchRequest(dataset="range:100", targets=[5, 200]).SerializeToString()
    for mode in ("resident", "copy"):
        response = post(api, f"/v1/native/search?mode={mode}", body, PROTOBUF, PROTOBUF)
        if mode == "resident":
            assert list(peaje_pb2.SearchResponse.FromString(response.content).indices) == [5, -1]
        else:  # a spec is resident data whatever the mode says: the ordinary path's 422
            assert response.status_code == 422, response.text
            assert "resident" in response.json()["detail"]


@pytest.mark.parametrize("engine", list(BINDINGS))
def test_errors_are_the_ordinary_problems(api, engine):
    path = f"/v1/{engine}/search"
    post(api, path, peaje_pb2.SearchRequest(targets=[1]).SerializeToString(), PROTOBUF, PROTOBUF)
    too_many = peaje_pb2.SearchRequest(targets=[1] * (MAX_TARGETS + 1)).SerializeToString()
    response = post(api, path, too_many, PROTOBUF, PROTOBUF)
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    # The last: a packed run ending mid-varint (the records around it are well formed).
    malformed_bodies = (
        b"\x18\x80",
        b"\x1a\x05\x02",
        b"\x3b\x18\x02",
        b"\x02\x02",
        b"\x1a\x02\x02\x80",
    )
    for malformed in malformed_bodies:
        for answer in (PROTOBUF, JSON):
            response = post(api, path, malformed, PROTOBUF, answer)
            assert response.status_code == 422, response.text
            assert "not a valid peaje.v1.SearchRequest" in response.json()["detail"]
    # protobuf's parser keeps the low 64 bits of an 80-bit varint; search_packed refuses it.
    beyond = b"\x18" + b"\xff" * 9 + b"\x02"
    response = post(api, path, beyond, PROTOBUF, PROTOBUF)
    assert response.status_code == 422, response.text
    assert "outside 64 bits" in response.json()["detail"]
    response = post(
        api,
        path,
        peaje_pb2.SearchRequest(dataset="range:x").SerializeToString(),
        PROTOBUF,
        PROTOBUF,
    )
    assert response.status_code == 422 and "range" in response.json()["detail"]


def test_search_wire_answers_for_in_process_engines_on_resident_data_only():
    engines = EngineSet(Settings())
    try:
        message = peaje_pb2.SearchRequest(targets=[3, 4], repeat=1)
        body = message.SerializeToString()

        def wire(dataset):
            return WireSearch(body, message, dataset, None, 1)

        for name in BINDINGS:
            engines.local[name].datasets(DEFAULT_DATASET)  # resident now
            timed = asyncio.run(engines.search_wire(name, wire(None)))
            assert timed is not None and timed.server_ns is None
            assert timed.result == peaje_pb2.SearchResponse(indices=[3, 4]).SerializeToString()
            assert asyncio.run(engines.search_wire(name, wire("range:7777:7"))) is None
            assert asyncio.run(engines.search_wire(name, wire("not a spec"))) is None
        assert asyncio.run(engines.search_wire("grpc", wire(None))) is None
        assert asyncio.run(engines.search_wire("python", wire(None))) is None
    finally:
        asyncio.run(engines.close())
