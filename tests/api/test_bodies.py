"""Request and response bodies: the strict bytes-dict shape, the schema saying what is accepted,
responses that are the declared models, and protobuf bodies beside JSON."""

from __future__ import annotations

import json

import httpx
import pytest

from peaje.api.models import BytesDictResponse, SearchResponse
from peaje.api.settings import Settings
from peaje.engine import ENGINES
from peaje.v1 import peaje_pb2

PROBLEM = "urn:peaje:problem:"
PROTOBUF = "application/x-protobuf"


def post(client: httpx.Client, path: str, body: object, **headers: str) -> httpx.Response:
    if isinstance(body, bytes):
        content, kind = body, headers.pop("content_type", PROTOBUF)
    else:
        content, kind = json.dumps(body).encode(), "application/json"
    return client.post(path, content=content, headers={"content-type": kind, **headers})


def problem(response: httpx.Response, name: str) -> str:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == PROBLEM + name, body
    return body["detail"]


# ---- bytes-dict entries: exactly the documented shape ----------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("entries", "place"),
    [
        ([{"key": "k", "value": "v"}], "entries[0]"),  # was read as the pair b"key" -> b"value"
        (["ab"], "entries[0]"),  # was read as b"a" -> b"b"
        ([["a", "b"], ["a", "b", "c"]], "entries[1]"),
        ([["a"]], "entries[0]"),
        ([["k", {"base64": "AA==", "extra": 1}]], "entries[0][1]"),
        ([[{"base64": 5}, "v"]], "entries[0][0]"),
        ([["k", 5]], "entries[0][1]"),
        ("ab", "entries"),
        (5, "entries"),
        ({"k": 5}, "entries['k']"),
        ({"k": {"key": "v"}}, "entries['k']"),
    ],
    ids=repr,
)
def test_bytes_dict_entry_of_another_shape_is_422_naming_its_index(api, engine, entries, place):
    response = post(api, f"/v1/{engine}/bytes-dict", {"entries": entries})
    assert problem(response, "type-error").startswith(place + ":")


def test_bytes_dict_documented_shapes_still_work(api):
    body = {"entries": [["k", {"base64": "AGI="}], [{"base64": ""}, "v"]]}
    response = post(api, "/v1/native/bytes-dict", body)
    assert response.status_code == 200, response.text
    assert response.json()["entries"] == [["aw==", "AGI="], ["", "dg=="]]
    response = post(api, "/v1/python/bytes-dict", {"entries": {"a": "b", "c": {"base64": "AA=="}}})
    assert response.json()["entries"] == [["YQ==", "Yg=="], ["Yw==", "AA=="]]


def test_bytes_dict_schema_says_two_items_and_nothing_else(api):
    schema = api.get("/openapi.json").json()
    body = schema["paths"]["/v1/{engine}/bytes-dict"]["post"]["requestBody"]["content"]
    pairs = body["application/json"]["schema"]["properties"]["entries"]["anyOf"][0]["items"]
    assert (pairs["minItems"], pairs["maxItems"], pairs["items"]) == (2, 2, False)


# ---- integers: JSON integer literals only, and the schema says so -----------------------------


@pytest.mark.parametrize("bad", [1.0, 1e0, True, "1"], ids=repr)
def test_integer_that_is_not_an_integer_literal_is_refused(api, bad):
    response = post(api, "/v1/native/search", {"targets": [bad]})
    assert problem(response, "invalid-argument").startswith("targets[0]")
    response = post(api, "/v1/native/search", {"targets": [1], "repeat": bad})
    assert problem(response, "invalid-argument").startswith("repeat")


def test_schema_integers_are_int64_literals(api):
    schema = api.get("/openapi.json").json()
    body = schema["paths"]["/v1/{engine}/search"]["post"]["requestBody"]["content"]
    fields = body["application/json"]["schema"]["properties"]
    assert fields["targets"]["items"] == {
        "type": "integer", "format": "int64", "minimum": -(2**63), "maximum": 2**63 - 1,
    }  # fmt: skip
    assert "1.0" in fields["targets"]["description"]
    assert fields["repeat"]["format"] == "int64"


# ---- responses are the declared models --------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_responses_validate_against_the_declared_models(api, engine):
    response = post(api, f"/v1/{engine}/search", {"targets": [66666, -5]})
    parsed = SearchResponse.model_validate_json(response.content, strict=True)
    assert parsed.indices == [66666, -1] and parsed.engine == engine and parsed.engine_ns > 0
    assert (parsed.server_ns is not None) == (engine == "grpc")
    response = post(api, f"/v1/{engine}/bytes-dict", {"entries": [["a", "b"]]})
    assert BytesDictResponse.model_validate_json(response.content).entries == [["YQ==", "Yg=="]]


def test_engine_names_come_from_the_registry(api):
    schema = api.get("/openapi.json").json()
    for path in ("search", "bytes-dict"):
        (engine,) = [
            parameter
            for parameter in schema["paths"][f"/v1/{{engine}}/{path}"]["post"]["parameters"]
            if parameter["name"] == "engine"
        ]
        assert engine["in"] == "path" and engine["schema"]["enum"] == list(ENGINES)
    assert [e["name"] for e in api.get("/v1/engines").json()["engines"]] == list(ENGINES)


# ---- settings: one declarative class ----------------------------------------------------------


def test_settings_read_the_environment_and_document_every_field(monkeypatch):
    monkeypatch.setenv("PEAJE_GRPC_TIMEOUT", "0.25")
    monkeypatch.setenv("PEAJE_MAX_IN_FLIGHT", "")  # empty: the default
    settings = Settings.from_env()
    assert settings.timeout == 0.25 and settings.max_in_flight == 128  # the old name still works
    monkeypatch.setenv("PEAJE_TIMEOUT", "3")
    assert Settings.from_env().timeout == 3.0  # the new name wins
    assert all(field.description for field in Settings.model_fields.values())
    monkeypatch.setenv("PEAJE_MAX_BODY_BYTES", "lots")
    with pytest.raises(ValueError, match="max_body_bytes"):
        Settings.from_env()
    monkeypatch.delenv("PEAJE_MAX_BODY_BYTES")
    assert Settings.from_env().grpc_client == "auto"
    monkeypatch.setenv("PEAJE_GRPC_CLIENT", "grpcio")  # a sync client: not for an event loop
    with pytest.raises(ValueError, match="grpc_client"):
        Settings.from_env()


# ---- protobuf bodies ----------------------------------------------------------------------------


def pb_search(**fields) -> bytes:
    return peaje_pb2.SearchRequest(**fields).SerializeToString()


@pytest.mark.parametrize("engine", ENGINES)
def test_protobuf_search_request_and_response(api, engine):
    response = post(api, f"/v1/{engine}/search", pb_search(dataset="range:100", targets=[7, -1]))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == PROTOBUF
    answer = peaje_pb2.SearchResponse.FromString(response.content)
    assert list(answer.indices) == [7, -1]
    assert (answer.server_ns > 0) == (engine == "grpc")
    assert "engine;dur=" in response.headers["server-timing"]
    inline = pb_search(values=peaje_pb2.Int64Values(values=[1, 3, 3]), targets=[3], repeat=2)
    answer = peaje_pb2.SearchResponse.FromString(post(api, f"/v1/{engine}/search", inline).content)
    assert list(answer.indices) == [1]


def test_accept_chooses_the_response_encoding(api):
    response = post(api, "/v1/native/search", {"targets": [5]}, accept=PROTOBUF)
    assert list(peaje_pb2.SearchResponse.FromString(response.content).indices) == [5]
    response = post(api, "/v1/native/search", pb_search(targets=[5]), accept="application/json")
    assert response.headers["content-type"] == "application/json"
    assert response.json()["indices"] == [5]


@pytest.mark.parametrize("mode", ["copy", "lazy", "buffer", "resident"])
def test_protobuf_mode_is_a_query_parameter(api, mode):
    body = pb_search(values=peaje_pb2.Int64Values(values=[1, 3, 3]), targets=[3])
    response = post(api, f"/v1/native/search?mode={mode}", body)
    assert list(peaje_pb2.SearchResponse.FromString(response.content).indices) == [1]


@pytest.mark.parametrize(
    ("path", "body", "place"),
    [
        ("search", b"\xff\xff\xff", "the body is not a valid peaje.v1.SearchRequest"),
        ("search?mode=sideways", pb_search(targets=[1]), "mode"),
        ("search", pb_search(targets=[1], repeat=-1), "repeat"),
        ("search", pb_search(targets=[1], repeat=10**7), "repeat"),
        ("search", pb_search(values=peaje_pb2.Int64Values(values=[3, 1]), targets=[1]), "values"),
        ("bytes-dict", peaje_pb2.ToBytesDictRequest(errors="ignore").SerializeToString(), "errors"),
        ("bytes-dict", b"\x0a\x03\x12\x01a", "entries[0]"),  # key_bytes "a", no value
    ],
)
def test_bad_protobuf_body_is_a_problem_json_422(api, path, body, place):
    response = post(api, f"/v1/native/{path}", body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert place in response.json()["detail"]


def test_json_body_with_the_protobuf_mode_parameter_is_refused(api):
    response = post(api, "/v1/native/search?mode=copy", {"targets": [1]})
    assert "mode" in problem(response, "invalid-argument")


@pytest.mark.parametrize("engine", ENGINES)
def test_protobuf_bytes_dict(api, engine):
    entries = [
        peaje_pb2.BytesDictEntry(key_text="ñ", value_bytes=b"\x00\xff"),
        peaje_pb2.BytesDictEntry(key_bytes=b"k", value_text="v"),
    ]
    body = peaje_pb2.ToBytesDictRequest(entries=entries).SerializeToString()
    response = post(api, f"/v1/{engine}/bytes-dict", body)
    answer = peaje_pb2.ToBytesDictResponse.FromString(response.content)
    assert [(p.key, p.value) for p in answer.entries] == [("ñ".encode(), b"\x00\xff"), (b"k", b"v")]


def test_openapi_documents_the_protobuf_media_type(api):
    paths = api.get("/openapi.json").json()["paths"]
    for path, message in [("search", "SearchRequest"), ("bytes-dict", "ToBytesDictRequest")]:
        operation = paths[f"/v1/{{engine}}/{path}"]["post"]
        body = operation["requestBody"]["content"][PROTOBUF]["schema"]
        assert body["format"] == "binary" and f"peaje.v1.{message}" in body["description"]
        assert PROTOBUF in operation["responses"]["200"]["content"]
        assert "application/json" in operation["responses"]["200"]["content"]


def test_protobuf_batch_over_a_cap_is_413_before_conversion(api):
    from peaje.limits import MAX_TARGETS

    body = pb_search(targets=[1] * (MAX_TARGETS + 1))  # 2 MB: under the body cap
    response = post(api, "/v1/native/search", body)
    assert response.status_code == 413, response.text
    assert response.json()["type"] == PROBLEM + "too-large"
    body = pb_search(targets=[1] * 1000, repeat=10**6 + 1)
    assert post(api, "/v1/native/search", body).status_code == 422  # repeat's own range
