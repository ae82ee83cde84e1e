"""The front's compiled layer (peaje.api._front) against what it replaces: the same answers as
Python's own operations (bisect, perf_counter_ns, the %.3f stamp), and hostile values fail as
they would in Python (TypeError, ValueError, OverflowError), never as a crash. Run on the
sanitized build too (make test-sanitize)."""

from __future__ import annotations

import asyncio
import bisect
import math
import re
import time

import pytest
from hostile_text import HOSTILE_TEXT
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from peaje.api import _front
from peaje.api.metrics import LATENCY_BUCKETS, ApiMetrics
from peaje.api.middleware import Front
from peaje.api.settings import Settings
from peaje.api.shedding import Admission
from peaje.api.timing import START, STATUS, stamp

DUR = re.compile(rb"app;dur=(\d+)\.(\d{3})")


def test_the_clock_is_time_perf_counter_ns():
    before = time.perf_counter_ns()
    now = _front.perf_counter_ns()
    assert before <= now <= time.perf_counter_ns()


# ---- LoopHistogram: bisect_left's buckets, the same float sum ---------------------------------

seconds = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([*LATENCY_BUCKETS, 0.0, -0.0]),  # every bound exactly: bisect_left's edge
    st.floats(min_value=0, max_value=20),
)


@given(st.lists(seconds, max_size=60))
def test_loop_histogram_counts_as_bisect_left_and_sums_as_python(values):
    histogram = _front.LoopHistogram(LATENCY_BUCKETS)
    expected, total = [0] * (len(LATENCY_BUCKETS) + 1), 0.0
    for value in values:
        histogram.observe(value)
        expected[bisect.bisect_left(LATENCY_BUCKETS, value)] += 1
        total += value
    assert histogram.buckets == expected
    assert histogram.sum == total or (math.isnan(total) and math.isnan(histogram.sum))


@pytest.mark.parametrize(
    ("bounds", "error"),
    [
        ((), ValueError),
        (tuple(range(1, 66)), ValueError),  # more than the 64 it holds
        ((1.0, 1.0), ValueError),
        ((2.0, 1.0), ValueError),
        ((1.0, float("nan")), ValueError),
        (("fast", "slow"), ValueError),
        ((1.0, None), TypeError),
        (None, TypeError),
    ],
)
def test_loop_histogram_refuses_bounds_it_cannot_hold(bounds, error):
    with pytest.raises(error):
        _front.LoopHistogram(bounds)


def test_loop_histogram_holds_64_bounds():
    histogram = _front.LoopHistogram(range(64))
    histogram.observe(1e9)
    assert histogram.buckets[-1] == 1 and len(histogram.buckets) == 65


# ---- stamp: once, %.3f milliseconds, only inside the front ----------------------------------


def test_stamp_writes_the_status_and_the_milliseconds_since_start_once():
    scope = {START: time.perf_counter_ns() - 1_234_567}
    headers: list = []
    stamp(scope, 201, headers)
    elapsed_ms = (time.perf_counter_ns() - scope[START]) / 1e6
    assert scope[STATUS] == 201 and len(headers) == 1
    name, value = headers[0]
    assert name == b"server-timing"
    whole, thousandths = DUR.fullmatch(value).groups()
    assert 1.234 <= int(whole) + int(thousandths) / 1000 <= elapsed_ms + 0.001
    stamp(scope, 500, headers)  # a second answer does not stamp again
    assert scope[STATUS] == 201 and len(headers) == 1


@pytest.mark.parametrize(
    ("elapsed_ns", "text"),
    [
        (0, b"0.000"),
        (499, b"0.000"),
        (500, b"0.001"),
        (999_499, b"0.999"),
        (999_500, b"1.000"),
        (12_345_678_901, b"12345.679"),
        (2**64 - 1, b"18446744073709.552"),
    ],  # fmt: skip
)
def test_the_stamp_is_milliseconds_to_the_microsecond(elapsed_ns, text):
    assert _front.duration(elapsed_ns) == b"app;dur=" + text
    assert float(text) == pytest.approx(round(elapsed_ns / 1e6, 3), abs=1e-3)  # %.3f's reading


@given(st.integers(0, 2**64 - 1))
def test_the_stamp_is_any_duration_in_milliseconds(elapsed_ns):
    whole, thousandths = divmod((elapsed_ns + 500) // 1000, 1000)
    assert _front.duration(elapsed_ns) == b"app;dur=%d.%03d" % (whole, thousandths)


@pytest.mark.parametrize("start", [2**63 - 1, -(2**63)])
def test_a_start_at_either_end_of_int64_stamps_without_overflow(start):
    scope = {START: start}
    headers: list = []
    stamp(scope, 200, headers)
    now_ms = _front.perf_counter_ns() / 1e6
    value = float(DUR.fullmatch(headers[0][1])[0][8:])
    assert value == 0.0 if start > 0 else value >= now_ms + 2**63 / 1e6 - 1e6


def test_stamp_does_nothing_outside_the_front():
    scope: dict = {}
    headers: list = []
    stamp(scope, 200, headers)
    assert scope == {} and headers == []


@pytest.mark.parametrize(
    ("scope", "headers", "error"),
    [
        ({START: 2**70}, [], OverflowError),
        ({START: "then"}, [], TypeError),
        ([(START, 1)], [], TypeError),  # a scope that is not a dict
        (None, [], TypeError),
        ({START: 1}, (), AttributeError),  # headers that cannot grow
    ],
)
def test_stamp_refuses_hostile_values_as_python_would(scope, headers, error):
    with pytest.raises(error):
        stamp(scope, 200, headers)


# ---- the metrics' per-request half ---------------------------------------------------------


class Route:
    path = "/v1/{engine}/search"


@given(st.lists(st.one_of(HOSTILE_TEXT, st.just("native")), min_size=1, max_size=30))
def test_record_keeps_engine_labels_bounded_under_hostile_names(names):
    metrics, route = ApiMetrics(), Route()
    for name in names:
        metrics.record({"route": route, "path_params": {"engine": name}}, 404, 1_000)
    native = names.count("native")
    assert metrics.cached == (native > 0) + (native < len(names))  # "native", "unknown"
    series = metrics.series.requests
    assert series.get(("native", Route.path, "404"), [0]) == [native]
    assert series.get(("unknown", Route.path, "404"), [0]) == [len(names) - native]


def test_record_labels_routes_without_a_template_or_params():
    metrics = ApiMetrics()
    metrics.record({"route": object()}, 200, 2_000_000)  # no path, no path_params
    metrics.record({"route": object(), "path_params": None}, 500, 10)
    assert ("", "unmatched", "200") in metrics.series.requests
    assert metrics.series.errors[("", "unmatched", "500")] == [1]
    latency = metrics.series.latency.children[("", "unmatched")]
    assert sum(latency.buckets) == 2 and latency.sum == pytest.approx(2e-3 + 1e-8)


@pytest.mark.parametrize("scope", [None, [("route", Route())], "scope"])
def test_record_refuses_a_scope_that_is_not_a_dict(scope):
    with pytest.raises(TypeError):
        ApiMetrics().record(scope, 200, 1)


def test_admission_counts_are_c_integers():
    with pytest.raises(OverflowError):
        Admission(2**70)
    with pytest.raises(TypeError):
        Admission("ten")
    with pytest.raises(ValidationError, match="max_in_flight"):
        Settings(max_in_flight=2**31)
    admission = Admission(3, retry_after=2)
    assert (admission.limit, admission.in_flight, admission.shed) == (3, 0, 0)


# ---- the layer ------------------------------------------------------------------------------


def run_layer(scope, app=None, limit=0, metrics=None):
    """Drives Front over ``app`` (a no-op answer that stamps) with ``scope``: (sent, metrics)."""
    sent: list = []

    async def answer(scope, receive, send):
        headers: list = []
        stamp(scope, 200, headers)
        await send({"type": "http.response.start", "status": 200, "headers": headers})

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    metrics = metrics or ApiMetrics()
    front = Front(app or answer, metrics, Admission(limit), limit=1 << 20, timeout=5.0)
    asyncio.run(front(scope, receive, send))
    return sent, metrics


def http(**extra):
    return {"type": "http", "path": "/v1/noop", "headers": [(b"host", b"peaje")], **extra}


def test_the_layer_times_and_counts_a_request():
    scope = http(route=Route())
    sent, metrics = run_layer(scope, limit=4)
    assert [m["status"] for m in sent] == [200] and scope[STATUS] == 200
    assert metrics.series.requests[("", Route.path, "200")] == [1]


@pytest.mark.parametrize(
    ("path", "shed"),
    [("/v1/noop", True), ("/v1/", True), ("/v1/ñ\udcff", True), ("/v1", False), ("/v2/x", False),
     ("/V1/x", False), ("", False), ("/healthz", False), ("//v1/", False), ("ñv1/", False)],
)  # fmt: skip
def test_shedding_counts_the_paths_under_v1_only(path, shed):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})

    async def send(message):
        if message["type"] == "http.response.start":
            sent.append(message["status"])

    sent: list = []
    admission = Admission(1)
    admission.in_flight = 1  # at the limit
    front = Front(app, ApiMetrics(), admission, limit=16, timeout=5.0)
    asyncio.run(front({"type": "http", "path": path, "headers": []}, None, send))
    assert sent == [503 if shed else 200] and admission.shed == int(shed)


@pytest.mark.parametrize("kind", ["lifespan", "websocket"])
def test_the_layer_passes_other_scopes_through_untimed(kind):
    seen = []

    async def app(scope, receive, send):
        seen.append(dict(scope))

    run_layer({"type": kind}, app)
    assert seen == [{"type": kind}]


@pytest.mark.parametrize(
    ("scope", "error"),
    [
        (http(headers=[(b"host", b"a", b"extra")]), ValueError),  # not a pair
        (http(headers=None), TypeError),
        (http(headers=[(b"content-length", b"12")], path=b"/v1/noop"), TypeError),
        (http(path=b"/v1/noop"), TypeError),  # shedding reads the path as text
    ],
)
def test_the_layer_fails_on_hostile_scopes_as_python_would_and_counts_a_500(scope, error):
    metrics = ApiMetrics()
    with pytest.raises(error):
        run_layer(scope, limit=4, metrics=metrics)
    assert {key[2]: count for key, count in metrics.series.requests.items()} == {"500": [1]}


@pytest.mark.parametrize(
    ("length", "status"),
    [
        (b"9" * 5000, 413),
        (b"0" * 5000 + b"1048577", 413),
        (b"0" * 5000 + b"5", 200),
        (b"1048577", 413),
    ],
)
def test_a_content_length_of_any_size_is_read_or_refused_never_an_error(length, status):
    # int() refuses more than 4,300 digits: a ValueError here would be a 500 (limit: 1 MiB)
    sent, _ = run_layer(http(headers=[(b"content-length", length)], route=Route()))
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [status]


@pytest.mark.parametrize("scope", [None, [("type", "http")], "http"])
def test_the_layer_refuses_a_scope_that_is_not_a_dict(scope):
    front = Front(None, ApiMetrics(), Admission(0), limit=1, timeout=1.0)
    with pytest.raises(TypeError):
        asyncio.run(front(scope, None, None))


def test_the_layer_reads_headers_from_any_iterable_of_pairs():
    class Lying(list):
        def __len__(self):
            return 10**9  # the scan iterates; a length that lies changes nothing

    scope = http(headers=Lying([(b"host", b"peaje"), ("content-length", "5")]), route=Route())
    sent, metrics = run_layer(scope)
    assert [m["status"] for m in sent] == [200]  # a str header name is not b"content-length"
    assert metrics.series.requests[("", Route.path, "200")] == [1]


def test_stamp_joins_the_server_timing_line_the_answer_ends_with():
    scope = {START: _front.perf_counter_ns()}
    headers = [(b"content-type", b"application/json"), (b"server-timing", b"engine;dur=0.002")]
    stamp(scope, 200, headers)
    assert len(headers) == 2 and headers[0] == (b"content-type", b"application/json")
    assert re.fullmatch(rb"engine;dur=0\.002, app;dur=\d+\.\d{3}", headers[1][1])


@pytest.mark.parametrize(
    "last",
    [
        (b"content-length", b"2"),
        (b"server-timing", "engine;dur=1"),  # a value that is not bytes
        (b"server-timing", b"a", b"b"),  # not a pair
        [b"server-timing", b"engine;dur=1"],  # not a tuple
        b"server-timing",
    ],
)
def test_stamp_adds_a_line_of_its_own_after_anything_else(last):
    scope = {START: _front.perf_counter_ns()}
    headers = [last]
    stamp(scope, 200, headers)
    assert headers[0] == last and len(headers) == 2 and DUR.fullmatch(headers[1][1])
    empty: list = []
    stamp({START: _front.perf_counter_ns()}, 200, empty)
    assert len(empty) == 1


header_part = st.one_of(
    st.sampled_from([b"content-length", b"transfer-encoding", b"host", b"0", b"12", b"-1"]),
    st.binary(max_size=12),
    HOSTILE_TEXT,
    st.integers(-(2**70), 2**70),
    st.none(),
)
header = st.one_of(st.tuples(header_part, header_part), st.tuples(header_part), header_part)


@given(
    headers=st.lists(header, max_size=6),
    body=st.one_of(st.binary(max_size=64), st.none(), st.integers()),
    more=st.booleans(),
    path=st.one_of(st.just("/v1/noop"), HOSTILE_TEXT, st.binary(max_size=8)),
    limit=st.integers(0, 3),
)
def test_the_layer_under_any_headers_answers_or_raises_and_counts_once(
    headers, body, more, path, limit
):
    """Any scope: an answer (the app's, a 413, 408 or 503), or a Python exception that the
    server turns into a 500; either way one count in the metrics and nothing else."""
    messages = iter([{"type": "http.request", "body": body, "more_body": more}])
    sent: list = []

    async def receive():
        return next(messages, {"type": "http.disconnect"})

    async def send(message):
        sent.append(message)

    async def answer(scope, receive, send):
        response: list = []
        stamp(scope, 200, response)
        await send({"type": "http.response.start", "status": 200, "headers": response})

    metrics = ApiMetrics()
    front = Front(answer, metrics, Admission(limit), limit=16, timeout=5.0)
    scope = {"type": "http", "path": path, "headers": headers}
    try:
        asyncio.run(front(scope, receive, send))
    except (TypeError, ValueError, AttributeError, KeyError, OverflowError):
        assert scope.get(STATUS, 500) == 500 or sent
    counts = [count for key, [count] in metrics.series.requests.items()]
    assert counts == [1]
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert len(starts) <= 1
