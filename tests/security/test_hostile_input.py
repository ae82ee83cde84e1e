"""Hostile input on every face, answered with the contract's error and nothing more: a catalogue
of bad requests sent to the HTTP API (every engine) and straight to peaje-server (protobuf and
raw bytes), each answer's status checked and its message checked for leaks (stack traces,
internal paths, exception class names). The table of what was tried and how each was answered
is written to build/reliability/bad_inputs.txt (the README's Reliability section)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest

from peaje.limits import MAX_DATASET_SIZE, MAX_REPEAT, MAX_TARGETS
from peaje.v1 import peaje_pb2 as pb

from fixtures.grpc_server import ServerProcess

RESULTS = Path(__file__).resolve().parents[2] / "build" / "reliability"
ENGINES = ("python", "native", "grpc")
# What an error message must never show: a traceback, a source path, an internal type name.
LEAKS = re.compile(
    r"Traceback|File \"|/work/|/home/|/usr/|site-packages|\.py\b|\.cpp\b|\.hpp\b|std::|"
    r"pybind11|grpc\._|0x[0-9a-f]{6,}|<class '|_InactiveRpcError|\bat line\b"
)

# (name, route, body, expected status): JSON bodies (bytes are sent as they are).
HTTP_CASES: list[tuple[str, str, object, int]] = [
    ("bool target", "search", {"targets": [True]}, 422),
    ("target beyond int64", "search", {"targets": [2**63]}, 422),
    ("target beyond int64 (huge)", "search", {"targets": [10**400]}, 422),
    ("float target", "search", {"targets": [1.5]}, 422),
    ("NaN target", "search", b'{"targets": [NaN]}', 422),
    ("unsorted inline values", "search", {"values": [3, 1], "targets": [1]}, 422),
    ("non-int inline value", "search", {"values": [1, "2"], "targets": [1]}, 422),
    ("malformed dataset spec", "search", {"dataset": "range:-5", "targets": [1]}, 422),
    ("spec with path", "search", {"dataset": "/etc/passwd", "targets": [1]}, 422),
    (
        "dataset over the cap",
        "search",
        {"dataset": f"range:{MAX_DATASET_SIZE + 1}", "targets": [1]},
        413,
    ),
    (
        "targets over the cap",
        "search",
        {"dataset": "range:10", "targets": [0] * (MAX_TARGETS + 1)},
        413,
    ),
    ("repeat over the cap", "search", {"targets": [1], "repeat": MAX_REPEAT + 1}, 422),
    ("repeat x targets over the cap", "search", {"targets": [0] * 2000, "repeat": MAX_REPEAT}, 413),
    ("negative repeat", "search", {"targets": [1], "repeat": -1}, 422),
    ("unknown mode", "search", {"targets": [1], "mode": "../../x"}, 422),
    ("unknown member", "search", {"targets": [1], "__class__": 1}, 422),
    ("not JSON", "search", b"{targets: [1", 422),
    ("not UTF-8", "search", b'{"targets": [1], "dataset": "\xff\xfe"}', 422),
    ("deeply nested JSON", "search", b"[" * 100_000 + b"]" * 100_000, 422),
    ("JSON array body", "search", [1, 2], 422),
    ("empty body", "search", b"", 422),
    ("bad base64", "bytes-dict", {"entries": {"k": {"base64": "***"}}}, 422),
    ("non-ASCII base64", "bytes-dict", {"entries": {"k": {"base64": "é"}}}, 422),
    ("int value", "bytes-dict", {"entries": {"k": 1}}, 422),
    ("null value", "bytes-dict", {"entries": {"k": None}}, 422),
    ("lone surrogate, strict", "bytes-dict", b'{"entries": {"k": "\\ud800"}}', 422),
    ("unknown error handler", "bytes-dict", {"entries": {}, "errors": "backslashreplace"}, 422),
    ("entries as a string", "bytes-dict", {"entries": "abc"}, 422),
    ("three-item pair", "bytes-dict", {"entries": [["a", "b", "c"]]}, 422),
    ("body over the cap (declared)", "search", None, 413),  # a Content-Length over the cap
]


def send(client: httpx.Client, route: str, body: object) -> httpx.Response:
    if body is None:
        big = b'{"targets": [' + b"1," * (9 * 1024 * 1024) + b"1]}"
        return client.post(route, content=big, headers={"content-type": "application/json"})
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(route, content=content, headers={"content-type": "application/json"})


@pytest.fixture(scope="module")
def api(api_url: str) -> Iterator[httpx.Client]:  # noqa: F811
    with httpx.Client(base_url=api_url, timeout=60.0) as client:
        yield client


ANSWERS: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("name", "route", "body", "status"), HTTP_CASES, ids=[c[0] for c in HTTP_CASES]
)
def test_http_bad_input_is_answered_with_its_error_and_no_leak(
    api, engine, name, route, body, status
):
    response = send(api, f"/v1/{engine}/{route}", body)
    ANSWERS[(name, f"http {engine}")] = str(response.status_code)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert not LEAKS.search(json.dumps(problem)), problem


# ---- straight to peaje-server: protobuf requests and raw bytes --------------------------------

GRPC_CASES: list[tuple[str, str, bytes, grpc.StatusCode]] = [
    ("garbage bytes", "Search", b"\xff\xff\xff\xff\x0f", grpc.StatusCode.INVALID_ARGUMENT),
    ("truncated varint", "Search", b"\x1a\x05\x80\x80", grpc.StatusCode.INVALID_ARGUMENT),
    ("length beyond the end", "ToBytesDict", b"\x0a\x7f\x0a", grpc.StatusCode.INVALID_ARGUMENT),
    ("non-UTF-8 string field", "Search", b"\x0a\x02\xff\xfe\x18\x01",
     grpc.StatusCode.INVALID_ARGUMENT),
    ("no data", "Search", pb.SearchRequest(targets=[1]).SerializeToString(),
     grpc.StatusCode.INVALID_ARGUMENT),
    ("unsorted inline values", "Search",
     pb.SearchRequest(values=pb.Int64Values(values=[2, 1]), targets=[1]).SerializeToString(),
     grpc.StatusCode.INVALID_ARGUMENT),
    ("dataset over the cap", "Search",
     pb.SearchRequest(dataset=f"range:{MAX_DATASET_SIZE + 1}", targets=[1]).SerializeToString(),
     grpc.StatusCode.RESOURCE_EXHAUSTED),
    ("negative repeat", "Search",
     pb.SearchRequest(dataset="range:5", targets=[1], repeat=-7).SerializeToString(),
     grpc.StatusCode.INVALID_ARGUMENT),
    ("repeat over the cap", "Search",
     pb.SearchRequest(dataset="range:5", targets=[1], repeat=MAX_REPEAT + 1).SerializeToString(),
     grpc.StatusCode.INVALID_ARGUMENT),
    ("entry without a key", "ToBytesDict",
     pb.ToBytesDictRequest(entries=[pb.BytesDictEntry(value_text="v")]).SerializeToString(),
     grpc.StatusCode.INVALID_ARGUMENT),
    ("unknown error handler", "ToBytesDict",
     pb.ToBytesDictRequest(errors="../../etc").SerializeToString(),
     grpc.StatusCode.INVALID_ARGUMENT),
    ("message over the cap", "Search", b"\x0a\x80\x80\x80\x02" + b"a" * (4 * 2**20),
     grpc.StatusCode.RESOURCE_EXHAUSTED),
]  # fmt: skip


@pytest.fixture(scope="module")
def small_server(tmp_path_factory) -> Iterator[ServerProcess]:
    """A server with a 1 MiB message cap, so 'over the cap' is cheap to send."""
    workdir = tmp_path_factory.mktemp("srv")
    with ServerProcess(workdir, args=("--max-message-bytes", str(2**20))) as server:
        yield server


@pytest.mark.parametrize(
    ("name", "method", "payload", "code"), GRPC_CASES, ids=[c[0] for c in GRPC_CASES]
)
def test_grpc_bad_bytes_are_answered_with_their_status_and_no_leak(
    small_server, name, method, payload, code
):
    with grpc.insecure_channel(
        small_server.tcp_target, options=[("grpc.max_send_message_length", -1)]
    ) as channel:
        call = channel.unary_unary(f"/peaje.v1.Peaje/{method}")  # raw bytes both ways
        with pytest.raises(grpc.RpcError) as raised:
            call(payload, timeout=10)
    error = raised.value
    ANSWERS[(name, "grpc direct")] = error.code().name
    assert error.code() == code, error.details()
    assert not LEAKS.search(error.details() or ""), error.details()
    assert small_server.process.poll() is None  # and the server lives on


def test_zz_publish_the_table():
    """Writes what was tried and how each was answered (runs last in this module)."""
    faces = [f"http {e}" for e in ENGINES] + ["grpc direct"]
    names = list(dict.fromkeys(name for name, _ in ANSWERS))
    width = max(len(n) for n in names) if names else 10
    lines = [f"{'bad input':<{width}}  " + "  ".join(f"{f:<18}" for f in faces)]
    for name in names:
        cells = [ANSWERS.get((name, face), "-") for face in faces]
        lines.append(f"{name:<{width}}  " + "  ".join(f"{c:<18}" for c in cells))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bad_inputs.txt").write_text(
        f"{len(ANSWERS)} bad requests and how each was answered (status checked against the "
        "contract, message checked for leaks: tests/security)\n" + "\n".join(lines) + "\n"
    )
