"""SortedArray.search_packed: a peaje.v1.SearchRequest's wire bytes in, a SearchResponse's wire
bytes out (the HTTP front's protobuf fast path), on every in-process binding. The answer is
byte for byte what protobuf's SerializeToString writes for the ordinary search's indices; the
decoder reads what protobuf's own parser (upb) reads, and refuses the rest with the typed
errors of the other paths."""

from __future__ import annotations

import random
import time

import pytest
from google.protobuf.message import DecodeError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peaje.errors import DeadlineExceeded, InvalidArgument, TooLarge
from peaje.inprocess import BINDINGS, module_of
from peaje.limits import MAX_REPEAT, MAX_SEARCHES_PER_CALL, MAX_TARGETS
from peaje.v1 import peaje_pb2

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
SPEC = "range:1000:3"  # 0, 3, ..., 2997


@pytest.fixture(scope="module", params=list(BINDINGS))
def array(request):
    return module_of(request.param).SortedArray.from_spec(SPEC)


def request_bytes(targets, **fields) -> bytes:
    return peaje_pb2.SearchRequest(targets=targets, **fields).SerializeToString()


def expected(array, targets, repeat: int = 1) -> bytes:
    indices = array.search(list(targets), repeat)
    return peaje_pb2.SearchResponse(indices=indices).SerializeToString()


def varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def zigzag(v: int) -> int:
    return (v << 1) ^ (v >> 63)


EDGE_TARGETS = [
    [],
    [0],
    [3],
    [2997],
    [2998, -1, 1, 3000],
    [INT64_MIN, INT64_MAX, -1, 0],
    list(range(-10, 3010)),
    [random.Random(7).randrange(INT64_MIN, INT64_MAX) for _ in range(500)],
    [random.Random(8).randrange(-10, 3010) for _ in range(10_000)],
]


@pytest.mark.parametrize("targets", EDGE_TARGETS, ids=lambda t: f"{len(t)}-targets")
def test_answer_is_the_serialized_response_of_the_ordinary_search(array, targets):
    got = array.search_packed(request_bytes(targets, dataset=SPEC))
    assert got == expected(array, targets)
    assert list(peaje_pb2.SearchResponse.FromString(got).indices) == array.search(targets)


def test_repeat_and_timeout_are_taken(array):
    body = request_bytes([3, 4, 6])
    assert array.search_packed(body, 5, 10.0) == expected(array, [3, 4, 6])
    with pytest.raises(InvalidArgument, match="repeat"):
        array.search_packed(body, 0)


def test_every_encoding_protobuf_accepts_gives_its_targets(array):
    """Unpacked elements, split packed runs, other fields around them, unknown fields of every
    wire type, a group (nested, holding a field 3 that is not a target), non-canonical varints."""
    packed = b"".join(varint(zigzag(v)) for v in (5, -7))
    body = b"".join(
        [
            b"\x0a" + varint(len(SPEC)) + SPEC.encode(),  # dataset
            b"\x18" + varint(zigzag(6)),  # one unpacked target
            b"\x1a" + varint(len(packed)) + packed,  # a packed run
            b"\x20\x02",  # repeat = 2
            b"\x29" + bytes(8) + b"\x35" + bytes(4),  # unknown fixed64, fixed32
            b"\x3b\x18\x02\x43\x44\x3c",  # group 7 holding field 3 and group 8
            b"\x1d" + bytes(4),  # field 3 as fixed32: unknown, skipped
            b"\x1a\x00",  # an empty packed run
            b"\x18\x8c\x80\x80\x80\x80\x80\x80\x80\x80\x00",  # 6, in 10 bytes
            b"\x98\x80\x00\x02",  # a 3-byte tag of field 3: target 1
        ]
    )
    parsed = list(peaje_pb2.SearchRequest.FromString(body).targets)
    assert parsed == [6, 5, -7, 6, 1]
    assert array.search_packed(body) == expected(array, parsed)


MALFORMED = {
    "truncated varint": b"\x18\x80",
    "truncated packed varint": b"\x1a\x02\x02\x80",
    "varint over 10 bytes": b"\x18" + b"\x80" * 10 + b"\x00",
    "value beyond 64 bits": b"\x18" + b"\xff" * 9 + b"\x02",
    "length past the end": b"\x1a\x05\x02",
    "field number 0": b"\x02\x02",
    "wire type 6": b"\x1e\x00",
    "wire type 7": b"\x1f\x00",
    "tag over 5 bytes": b"\x98\x80\x80\x80\x80\x00\x02",
    "tag over 32 bits": b"\x98\x80\x80\x80\x10\x02",
    "unclosed group": b"\x3b\x18\x02",
    "end group alone": b"\x3c",
    "mismatched group": b"\x3b\x44",
    "groups too deep": b"\x3b" * 101 + b"\x3c" * 101,
    "truncated fixed64": b"\x29\x00",
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_wire_is_invalid_argument(array, body):
    with pytest.raises(InvalidArgument, match="not a valid peaje.v1.SearchRequest"):
        array.search_packed(body)


@pytest.mark.parametrize("body", [b"\x3b" * 100 + b"\x3c" * 100, b"\x1a\x00", b""])
def test_what_protobuf_accepts_at_the_limits_is_accepted(array, body):
    peaje_pb2.SearchRequest.FromString(body)
    assert array.search_packed(body) == b""


def test_only_bytes_are_taken(array):
    for wrong in (bytearray(b"\x18\x02"), memoryview(b"\x18\x02"), "\x18\x02", None, [3]):
        with pytest.raises(InvalidArgument, match="must be bytes"):
            array.search_packed(wrong)


def test_counts_over_the_caps_are_too_large_before_decoding(array):
    too_many = b"\x1a" + varint(MAX_TARGETS + 1) + bytes(MAX_TARGETS + 1)
    with pytest.raises(TooLarge, match="too many targets"):
        array.search_packed(too_many)
    # Unpacked elements count the same, and so does repeat x targets.
    with pytest.raises(TooLarge, match="too many targets"):
        array.search_packed(b"\x18\x00" * (MAX_TARGETS + 1))
    n = MAX_SEARCHES_PER_CALL // MAX_REPEAT + 1
    with pytest.raises(TooLarge, match="searches per call"):
        array.search_packed(request_bytes([0] * n), MAX_REPEAT)


def test_deadline_stops_a_long_call(array):
    body = request_bytes(list(range(1000)))
    start = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        array.search_packed(body, 1_000_000, 0.05)
    assert time.monotonic() - start < 5


# ---- against protobuf's own parser ----------------------------------------------------------


def decision(array, body: bytes):
    """(accepted, targets) from protobuf's parser and from search_packed's decoder."""
    try:
        theirs = (True, list(peaje_pb2.SearchRequest.FromString(body).targets))
    except DecodeError:
        theirs = (False, None)
    try:
        answer = array.search_packed(body)
    except InvalidArgument:
        return theirs, (False, None)
    return theirs, (True, list(peaje_pb2.SearchResponse.FromString(answer).indices))


def beyond_64_bits(payload: bytes) -> bool:
    """A 10th varint byte above 1: protobuf drops the bits past 64, search_packed refuses."""
    run = 0
    for byte in payload:
        run += 1
        if run == 10 and byte > 1:
            return True
        if byte < 0x80:
            run = 0
    return False


FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(payload=st.binary(max_size=64))
def test_packed_run_decisions_match_protobuf(payload):
    """Random bytes as the packed targets field: the same accept/refuse and the same values."""
    array = module_of("native").SortedArray.from_spec(SPEC)
    body = b"\x1a" + varint(len(payload)) + payload
    theirs, ours = decision(array, body)
    if beyond_64_bits(payload):
        assert ours == (False, None)
        return
    assert ours[0] == theirs[0]
    if theirs[0]:
        assert ours[1] == array.search(theirs[1])


FIELD = st.one_of(
    st.binary(max_size=12),  # anything at all
    st.tuples(st.integers(1, 40), st.integers(0, 2**64 - 1)).map(
        lambda t: varint(t[0] << 3) + varint(t[1])
    ),
    st.tuples(st.integers(1, 40), st.binary(max_size=10)).map(
        lambda t: varint(t[0] << 3 | 2) + varint(len(t[1])) + t[1]
    ),
    st.lists(st.integers(INT64_MIN, INT64_MAX), max_size=6).map(
        lambda vs: b"\x1a" + varint(len(p := b"".join(varint(zigzag(v)) for v in vs))) + p
    ),
)


@FAST
@given(fields=st.lists(FIELD, max_size=8))
def test_whole_message_decisions_match_protobuf(fields):
    """Random field soup: whatever protobuf accepts is accepted with the same targets; whatever
    search_packed refuses protobuf refuses too (bar the bits past 64). It may accept more than
    protobuf (a string that is not UTF-8, a bad nested message): the API parses with protobuf
    first."""
    array = module_of("native").SortedArray.from_spec(SPEC)
    body = b"".join(fields)
    theirs, ours = decision(array, body)
    if theirs[0]:
        if ours == (False, None):
            assert beyond_64_bits(body)
        else:
            assert ours[1] == array.search(theirs[1])


@FAST
@given(fields=st.lists(FIELD, max_size=8))
def test_the_request_without_targets_is_what_protobuf_parses_besides_them(fields):
    """search_request_without_targets (the API parses the rest with protobuf and counts the
    targets from it): on whatever protobuf accepts, the rest parses to the same message less its
    targets and the count is theirs (bar the bits past 64, refused, so the API parses the whole
    body); when everything on the fast path accepts, so does protobuf."""
    native = module_of("native")
    body = b"".join(fields)
    try:
        full = peaje_pb2.SearchRequest.FromString(body)
    except DecodeError:
        full = None
    try:
        rest, count = native.search_request_without_targets(body)
        without = peaje_pb2.SearchRequest.FromString(rest)
        native.SortedArray.from_spec(SPEC).search_packed(body)
    except (InvalidArgument, DecodeError):
        assert full is None or beyond_64_bits(body)
        return
    assert full is not None
    expected = peaje_pb2.SearchRequest()
    expected.CopyFrom(full)
    expected.ClearField("targets")
    assert without == expected and without.SerializeToString() == expected.SerializeToString()
    assert count == len(full.targets)


def test_the_request_without_targets_keeps_every_other_field():
    native = module_of("native")
    message = peaje_pb2.SearchRequest(dataset="range:100:3", targets=[5, -1, 2**63 - 1], repeat=9)
    body = message.SerializeToString() + b"\x18\x04"  # and one unpacked target after them
    rest, count = native.search_request_without_targets(body)
    assert count == 4
    assert peaje_pb2.SearchRequest.FromString(rest) == peaje_pb2.SearchRequest(
        dataset="range:100:3", repeat=9
    )
    with pytest.raises(TypeError):
        native.search_request_without_targets(bytearray(body))
    for name, bad in MALFORMED.items():
        if name == "truncated packed varint":  # a packed run's varints are search_packed's
            assert native.search_request_without_targets(bad) == (b"", 1)
            continue
        with pytest.raises(InvalidArgument, match="not a valid peaje.v1.SearchRequest"):
            native.search_request_without_targets(bad)


def padded_varint(n: int, width: int) -> bytes:
    """n as a varint of `width` bytes at least (non-canonical, as protobuf accepts up to 10)."""
    out = bytearray(varint(n))
    while len(out) < width:
        out[-1] |= 0x80
        out.append(0)
    return bytes(out)


@FAST
@given(
    hits=st.lists(st.tuples(st.integers(0, 999), st.integers(1, 10), st.booleans()), max_size=20)
)
def test_values_are_protobufs_in_any_encoding(hits):
    """Targets that are hits (so each index names its value), each packed or not, in varints
    of 1 to 10 bytes: the same values as protobuf's parser."""
    array = module_of("native").SortedArray.from_spec(SPEC)
    body = b""
    for index, width, packed in hits:
        element = padded_varint(zigzag(index * 3), width)
        body += (b"\x1a" + varint(len(element)) if packed else b"\x18") + element
    parsed = list(peaje_pb2.SearchRequest.FromString(body).targets)
    answer = peaje_pb2.SearchResponse.FromString(array.search_packed(body))
    assert [3 * i for i in answer.indices] == parsed == [3 * i for i, _, _ in hits]
