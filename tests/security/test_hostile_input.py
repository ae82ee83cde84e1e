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

import peaje
from peaje.inprocess import BINDINGS
from peaje.limits import MAX_DATASET_SIZE, MAX_REPEAT, MAX_TARGETS
from peaje.v1 import peaje_pb2 as pb

from fixtures.grpc_server import ServerProcess

RESULTS = Path(__file__).resolve().parents[2] / "build" / "reliability"
ENGINES = peaje.ENGINES
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
    # issue 11: messages cut inside a character, lone surrogates in string arguments, specs
    # past int()'s digit limit, NUL in a spec.
    ("long non-ASCII key, int value", "bytes-dict", {"entries": {"é" * 50: 5}}, 422),
    ("lone surrogate in errors", "bytes-dict", b'{"entries": {}, "errors": "\\ud800"}', 422),
    ("lone surrogate in spec", "search", b'{"dataset": "range:\\ud800", "targets": [1]}', 422),
    ("non-ASCII spec", "search", {"dataset": "range:" + "é" * 5000, "targets": [1]}, 422),
    ("spec N of 5000 digits", "search", {"dataset": "range:" + "9" * 5000, "targets": [1]}, 413),
    ("STEP of 5000 digits", "search", {"dataset": "range:2:" + "9" * 5000, "targets": [1]}, 422),
    ("spec with NUL", "search", {"dataset": "range:5\u0000:2", "targets": [1]}, 422),
    ("spec in copy mode", "search", {"dataset": "range:5", "targets": [1], "mode": "copy"}, 422),
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


# ---- in process: hostile Python objects on every local engine (issue 11's examples) ----------

LOCAL = ["python", *BINDINGS]


class LyingTuple(tuple):
    __len__ = lambda self: 7  # noqa: E731  (the issue's example, as written)


class HugeLenList(list):
    def __len__(self) -> int:
        return 2**62


class LyingItems(list):
    def __getitem__(self, index):
        return 10**30

    def __iter__(self):
        return iter([10**30] * 3)


def local_cases():
    for name in LOCAL:
        modes = ("copy", "lazy", "resident") if name != "python" else (None,)
        for mode in modes:
            yield pytest.param(name, mode, id=f"{name}-{mode or 'default'}")


def outcome(call) -> str:
    try:
        return repr(call())
    except Exception as e:  # noqa: BLE001  (the class is the answer)
        return type(e).__name__


@pytest.mark.parametrize(("name", "mode"), list(local_cases()))
def test_a_lying_len_is_never_trusted(name, mode):
    """Lengths of a list or tuple (subclasses too) come from their storage, never __len__: no
    read past the end (the lazy segfault), no reserve() of 2**62 (the leaked vector::reserve)."""
    with peaje.engine(name) as engine:
        found = engine.search(LyingTuple((1, 2, 3)), [3, 10**18], mode=mode)
        ANSWERS[("tuple with __len__ = 7", f"in-process {name}")] = repr(found)
        assert found == [2, -1]
        assert engine.search(HugeLenList([1, 2, 3]), HugeLenList([3, 1]), mode=mode) == [2, 0]
        # __getitem__ / __iter__ of a subclass are not called either: the storage is read.
        assert engine.search(LyingItems([1, 2, 3]), LyingItems([2]), mode=mode) == [1]


@pytest.mark.parametrize("name", LOCAL)
def test_long_non_ascii_text_in_a_message_is_cut_on_a_character(name):
    with peaje.engine(name) as engine:
        with pytest.raises(TypeError) as raised:
            engine.to_bytes_dict([("é" * 50, 5)])
    ANSWERS[("('é' * 50, 5) entry", f"in-process {name}")] = type(raised.value).__name__
    assert not isinstance(raised.value, UnicodeError)
    assert "é" * 50 in str(raised.value)


@pytest.mark.parametrize(
    ("argument", "call"),
    [
        ("errors", lambda e: e.to_bytes_dict({}, "\ud800")),
        ("errors", lambda e: e.to_bytes_dict({}, "é" * 1000)),
        ("dataset spec", lambda e: e.search("range:\ud800", [1])),
        ("dataset spec", lambda e: e.search("range:5\udcff", [1], mode="resident")),
        ("dataset spec", lambda e: e.search("\udcff" * 1000, [1])),
    ],
    ids=["surrogate errors", "long errors", "surrogate spec", "spec + surrogate", "long spec"],
)
@pytest.mark.parametrize("name", LOCAL)
def test_every_string_argument_is_decoded_as_cpython_would(name, argument, call):
    with peaje.engine(name) as engine:
        with pytest.raises(peaje.InvalidArgument) as raised:
            call(engine)
    message = str(raised.value)
    message.encode("utf-8")  # a message is always valid text
    assert len(message) < 400


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ("range:" + "9" * 5000, peaje.TooLarge),
        ("range:2:" + "9" * 5000, peaje.InvalidArgument),
        ("range:" + "0" * 5000 + "3", None),
    ],
    ids=["N of 5000 digits", "STEP of 5000 digits", "5000 leading zeros"],
)
@pytest.mark.parametrize("name", LOCAL)
def test_a_spec_past_int_digit_limit_is_answered_by_the_grammar(name, spec, error):
    with peaje.engine(name) as engine:
        if error is None:
            assert engine.search(spec, [2, 3]) == [2, -1]
            return
        with pytest.raises(error):
            engine.search(spec, [1])


@pytest.mark.parametrize("name", LOCAL)
def test_a_spec_with_a_nul_is_quoted_whole(name):
    with peaje.engine(name) as engine:
        with pytest.raises(peaje.InvalidArgument) as raised:
            engine.search("range:5\x00:2tail", [1])
    assert "tail" in str(raised.value)  # not cut at the NUL
    assert "\x00" not in str(raised.value)  # and no NUL in the message itself


@pytest.mark.parametrize("offset", [1, 3, 7])
@pytest.mark.parametrize("name", LOCAL)
def test_unaligned_int64_buffers_are_read_without_ub(name, offset):
    """Under make test-sanitize (UBSan with -fsanitize=alignment) a misaligned int64 read aborts."""
    import numpy as np

    n = 1000
    raw = bytearray(8 * n + offset)
    view = memoryview(raw)[offset:].cast("q")
    for i in range(n):
        view[i] = 3 * i
    as_numpy = np.frombuffer(raw, dtype=np.int64, count=n, offset=offset)
    assert as_numpy.ctypes.data % 8 != 0
    mode = None if name == "python" else "buffer"
    with peaje.engine(name) as engine:
        for values in (view, as_numpy, as_numpy[::3]):
            targets = [0, 3 * (len(values) - 1) * (values.strides[0] // 8), 1]
            expected = [0, len(values) - 1, -1]
            assert engine.search(values, targets, mode=mode) == expected


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        (b"\x01\x02", "InvalidArgument"),
        (bytearray(b"\x01"), "InvalidArgument"),
        ("12", "InvalidArgument"),
        (lambda: (x for x in [3, 1]), "[2, 0]"),
        ([True] * (MAX_TARGETS + 1), "TooLarge"),  # the cap before any target is converted
        (lambda: (True for _ in range(MAX_TARGETS + 1)), "InvalidArgument"),  # in order
    ],
    ids=["bytes", "bytearray", "str", "generator", "capped list of bools", "iterator of bools"],
)
@pytest.mark.parametrize("name", LOCAL)
def test_every_engine_answers_odd_targets_alike(name, targets, expected):
    if callable(targets):
        targets = targets()  # a fresh generator for each engine
    with peaje.engine(name) as engine:
        assert outcome(lambda: engine.search([1, 2, 3, 4], targets)) == expected


@pytest.mark.parametrize("mode", ["copy", "lazy", "buffer"])
@pytest.mark.parametrize("name", LOCAL)
def test_a_spec_outside_resident_mode_is_refused_alike(name, mode):
    with peaje.engine(name) as engine:
        with pytest.raises(peaje.InvalidArgument, match="resident data"):
            engine.search("range:5", [1], mode=mode)


def test_zz_publish_the_table():
    """Writes what was tried and how each was answered (runs last in this module)."""
    faces = [f"http {e}" for e in ENGINES] + ["grpc direct"] + [f"in-process {e}" for e in LOCAL]
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
