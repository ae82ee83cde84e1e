"""Every row of design.md's error table over HTTP, as RFC 9457 problem+json; never a 500."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest

from peaje.limits import MAX_TARGETS

from fixtures.http_engine import ApiProcess

PROBLEM = "urn:peaje:problem:"
ENGINES = ["python", "native", "nanobind", "cython", "grpc"]


def post(client: httpx.Client, path: str, body: object) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(path, content=content, headers={"content-type": "application/json"})


def assert_problem(response: httpx.Response, status: int, name: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == PROBLEM + name
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


# ---- 422: bad argument -----------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"targets": [1, True]}, "targets[1]: expected an int, got bool"),
        ({"targets": [1.5]}, "targets[0]: expected an int, got float"),
        ({"targets": ["1"]}, "targets[0]: expected an int, got str"),
        ({"targets": [2**63]}, "targets[0] is outside int64"),
        ({"values": [1, 3, 2], "targets": [1]}, "values[2] = 2 is less than values[1] = 3"),
        ({"values": [1, None], "targets": [1]}, "values[1]"),
        ({"dataset": "range:abc", "targets": [1]}, "range:abc"),
        ({"targets": [1], "repeat": 0}, "repeat"),
        ({"targets": [1], "mode": "sideways"}, "mode"),
        ({}, "targets: required"),
        ({"targets": [1], "colour": "red"}, "colour: unknown member"),
        ({"values": [1], "dataset": "range:3", "targets": [1]}, "values or dataset"),
        ([1, 2, 3], "body"),
    ],
)
def test_bad_search_argument_is_422_invalid_argument(api, engine, body, detail):
    problem = assert_problem(post(api, f"/v1/{engine}/search", body), 422, "invalid-argument")
    assert detail in problem["detail"]


@pytest.mark.parametrize("engine", ENGINES)
def test_bytes_dict_wrong_type_is_422_type_error_naming_the_key(api, engine):
    response = post(api, f"/v1/{engine}/bytes-dict", {"entries": [["ok", "v"], ["k", 5]]})
    assert "'k'" in assert_problem(response, 422, "type-error")["detail"]


@pytest.mark.parametrize("engine", ENGINES)
def test_bytes_dict_bad_errors_name_and_bad_base64_are_invalid_argument(api, engine):
    response = post(api, f"/v1/{engine}/bytes-dict", {"entries": [], "errors": "ignore"})
    assert_problem(response, 422, "invalid-argument")
    for bad in ["!!", "QQ", "ñ\udb99"]:  # alphabet, padding, non-ASCII (found by schemathesis)
        response = post(api, f"/v1/{engine}/bytes-dict", {"entries": [[{"base64": bad}, "v"]]})
        assert_problem(response, 422, "invalid-argument")


@pytest.mark.parametrize("body", [b"{not json", b'{"targets": [1]', b'{"targets": ["\xff"]}', b""])
def test_malformed_body_is_422_not_500(api, body):
    assert_problem(post(api, "/v1/native/search", body), 422, "invalid-argument")


def test_deeply_nested_body_is_422_not_500(api):
    body = b'{"targets": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert_problem(post(api, "/v1/native/search", body), 422, "invalid-argument")


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_body_that_is_not_declared_json_is_422_saying_so(api, content_type):
    headers = {"content-type": content_type} if content_type else {}
    response = api.post("/v1/native/search", content=b'{"targets": [1]}', headers=headers)
    assert "application/json" in assert_problem(response, 422, "invalid-argument")["detail"]


# ---- lone surrogate escapes in JSON (the documented decision) ---------------------------------

SURROGATE_BODY = b'{"entries": [["k", "a\\ud800"]], "errors": "%s"}'


@pytest.mark.parametrize("engine", ENGINES)
def test_lone_surrogate_escape_strict_is_422_encode_error_naming_the_key(api, engine):
    response = post(api, f"/v1/{engine}/bytes-dict", SURROGATE_BODY % b"strict")
    problem = assert_problem(response, 422, "encode-error")
    assert "'k'" in problem["detail"]
    assert (problem["object"], problem["start"], problem["end"]) == ("a\ud800", 1, 2)


@pytest.mark.parametrize("engine", ["python", "native", "nanobind", "cython"])
def test_lone_surrogate_escape_surrogatepass_encodes_it(api, engine):
    response = post(api, f"/v1/{engine}/bytes-dict", SURROGATE_BODY % b"surrogatepass")
    assert response.status_code == 200, response.text
    assert response.json()["entries"] == [["aw==", "Ye2ggA=="]]  # b"k", b"a\xed\xa0\x80"


@pytest.mark.parametrize("engine", ["python", "native", "nanobind", "cython"])
def test_surrogateescape_restores_a_byte_and_refuses_others(api, engine):
    body = b'{"entries": [["k", "caf\\udce9"]], "errors": "surrogateescape"}'
    response = post(api, f"/v1/{engine}/bytes-dict", body)
    assert response.json()["entries"] == [["aw==", "Y2Fm6Q=="]]  # b"caf\xe9"
    response = post(api, f"/v1/{engine}/bytes-dict", SURROGATE_BODY % b"surrogateescape")
    assert_problem(response, 422, "encode-error")


def test_grpc_refuses_lone_surrogates_it_cannot_carry(api):
    response = post(api, "/v1/grpc/bytes-dict", SURROGATE_BODY % b"surrogatepass")
    assert "surrogate" in assert_problem(response, 422, "invalid-argument")["detail"]


def test_utf8_encoded_surrogate_bytes_in_the_body_mean_the_same_as_the_escape(api):
    # Python's json decodes a bytes body with surrogatepass: ED A0 80 becomes U+D800.
    response = post(api, "/v1/native/bytes-dict", b'{"entries": [["k", "a\xed\xa0\x80"]]}')
    assert_problem(response, 422, "encode-error")


# ---- 413: too large --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_cap_api():
    with ApiProcess({"PEAJE_MAX_BODY_BYTES": "1000"}) as process:
        yield process


def test_body_over_the_cap_is_413_from_content_length_before_reading(small_cap_api):
    """Content-Length alone decides: the API answers before any body byte is sent."""
    url = urlsplit(small_cap_api.url)
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(
            b"POST /v1/native/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000000000\r\n\r\n"
        )
        reply = b""
        while b"too-large" not in reply and (chunk := sock.recv(65536)):
            reply += chunk
        reply = reply.decode()
    assert reply.startswith("HTTP/1.1 413"), reply
    assert "application/problem+json" in reply and PROBLEM + "too-large" in reply


def test_chunked_body_over_the_cap_is_413(small_cap_api):
    def chunks():
        yield b'{"targets": ['
        for _ in range(100):
            yield b"1, " * 10
        yield b"1]}"

    with httpx.Client(base_url=small_cap_api.url) as client:
        response = client.post(
            "/v1/native/search", content=chunks(), headers={"content-type": "application/json"}
        )
    assert_problem(response, 413, "too-large")
    with httpx.Client(base_url=small_cap_api.url) as client:  # a body under the cap still works
        assert post(client, "/v1/native/search", {"targets": [1]}).status_code == 200


@pytest.mark.parametrize("engine", ENGINES)
def test_batch_over_a_size_cap_is_413(api, engine):
    response = post(api, f"/v1/{engine}/search", {"targets": [1] * (MAX_TARGETS + 1)})
    assert_problem(response, 413, "too-large")
    response = post(api, f"/v1/{engine}/search", {"dataset": "range:10000001", "targets": [1]})
    assert_problem(response, 413, "too-large")


# ---- 503: backend down, 504: too slow --------------------------------------------------------


def test_backend_down_is_503_with_retry_after(api_without_backend):
    for path, body in [("search", {"targets": [1]}), ("bytes-dict", {"entries": [["a", "b"]]})]:
        response = post(api_without_backend, f"/v1/grpc/{path}", body)
        assert_problem(response, 503, "unavailable")
        assert response.headers["retry-after"] == "1"


@pytest.fixture(scope="module")
def impatient_api(grpc_server):
    """The grpc engine with a 1 ms deadline against a real server."""
    env = {"PEAJE_GRPC_TARGET": grpc_server.tcp_target, "PEAJE_GRPC_TIMEOUT": "0.001"}
    with ApiProcess(env) as process, httpx.Client(base_url=process.url, timeout=30) as client:
        yield client


def test_deadline_exceeded_is_504(impatient_api):
    # ~2M searches on the server take well over the 1 ms deadline.
    body = {"dataset": "range:100000", "targets": list(range(0, 20000, 3)), "repeat": 300}
    start = time.monotonic()
    response = post(impatient_api, "/v1/grpc/search", body)
    assert_problem(response, 504, "deadline-exceeded")
    assert time.monotonic() - start < 2.0


# ---- 404, 405 --------------------------------------------------------------------------------


def test_unknown_engine_is_404(api):
    response = post(api, "/v1/rust/search", {"targets": [1]})
    assert "rust" in assert_problem(response, 404, "not-found")["detail"]
    assert_problem(api.get("/v2/nothing"), 404, "not-found")


def test_wrong_method_is_405_with_allow(api):
    response = api.get("/v1/native/search")
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "POST"
