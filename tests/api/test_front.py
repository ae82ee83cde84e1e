"""The front's one layer (middleware.Front) and the answers' stamps (peaje.api.timing): every
answer the app can give carries exactly one Server-Timing ``app`` entry, and the metrics count
it under its route with the status the client saw."""

from __future__ import annotations

import asyncio
import random
import re
from collections import Counter

import httpx
import pytest

from peaje.api import problems
from peaje.api.app import create_app
from peaje.api.metrics import leaf_routes
from peaje.api.problems import ProblemResponse
from peaje.api.settings import Settings
from peaje.api.timing import StampedRoute

APP_ENTRY = re.compile(r"app;dur=([0-9]+\.[0-9]{3})")


def app_entries(response: httpx.Response) -> list[float]:
    """The ``app`` durations of a response's Server-Timing, one per entry."""
    entries = ",".join(response.headers.get_list("server-timing")).split(",")
    return [float(m[1]) for e in entries if (m := APP_ENTRY.fullmatch(e.strip()))]


def counted(text: str) -> Counter:
    """peaje_http_requests_total as {(engine, route, status): count}."""
    out: Counter = Counter()
    pattern = r'peaje_http_requests_total\{engine="([^"]*)",route="([^"]*)",status="(\d+)"\} (\S+)'
    for engine, route, status, value in re.findall(pattern, text):
        out[(engine, route, int(status))] += int(float(value))
    return out


async def drive(app, requests) -> tuple[list[tuple[tuple, httpx.Response]], str]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url="http://peaje") as client:
            answers = []
            for label, method, path, options in requests:
                answers.append((label, await client.request(method, path, **options)))
            metrics = (await client.get("/metrics")).text
    return answers, metrics


def every_answer() -> list[tuple[tuple[str, str], str, str, dict]]:
    """(route label, method, path, request options) for each route and method of the app, and
    for the answers given before or instead of a route."""
    app = create_app()
    requests = []
    for route in leaf_routes(app.routes):
        path = getattr(route, "path", "")
        methods = sorted(getattr(route, "methods", None) or {"GET"})
        engine = "native" if "{engine}" in path else ""
        url = path.replace("{engine}", "native")
        if url == "/docs/assets":
            url += "/favicon.png"
        for method in methods:
            options = {"json": {"targets": [1]}} if method == "POST" else {}
            requests.append(((engine, path), method, url, options))
    requests += [
        (("", "unmatched"), "GET", "/nowhere", {}),
        (("", "unmatched"), "GET", "/v1/noop/", {}),  # no redirect: a 404 like any other path
        (("", "/v1/noop"), "DELETE", "/v1/noop", {}),  # 405 under its route
        (("", "/docs/assets"), "GET", "/docs/assets/missing.js", {}),
        (("unknown", "/v1/{engine}/search"), "POST", "/v1/nope/search", {"json": {}}),
        (("native", "/v1/{engine}/search"), "POST", "/v1/native/search", {"content": b"{"}),
        (
            ("native", "/v1/{engine}/search"),
            "POST",
            "/v1/native/search",
            {"content": b"x" * 2048, "headers": {"content-type": "application/json"}},
        ),  # fmt: skip
    ]
    return requests


def test_every_answer_carries_one_app_entry_and_is_counted_with_its_status():
    app = create_app(Settings(max_body_bytes=1024))
    requests = every_answer()
    answers, metrics = asyncio.run(drive(app, requests))
    expected: Counter = Counter()
    statuses = set()
    for (engine, route), response in answers:
        entries = app_entries(response)
        assert len(entries) == 1, (route, response.status_code, response.headers)
        assert 0 <= entries[0] < 60_000
        expected[(engine, route, response.status_code)] += 1
        statuses.add(response.status_code)
    assert {200, 404, 405, 413, 422} <= statuses  # every kind of answer was asked for
    got = counted(metrics)
    for key, count in expected.items():
        assert got[key] == count, key
    assert sum(got.values()) == len(answers)  # /metrics itself is counted after it answers


def test_shed_and_errored_requests_are_stamped_and_counted():
    app = create_app(Settings(max_in_flight=1))

    @app.get("/v1/broken")
    async def broken() -> None:
        raise RuntimeError("a bug, not a client's fault")

    async def refuses() -> ProblemResponse:  # a stamped route whose answer stamps too: once
        return problems.problem("unavailable", 503, "not now")

    app.router.add_api_route("/v1/refuses", refuses, route_class_override=StampedRoute)

    async def run() -> tuple[httpx.Response, httpx.Response, httpx.Response, str]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://peaje") as client:
            app.state.admission.in_flight = 1  # as if one request were being served
            shed = await client.get("/v1/noop")
            app.state.admission.in_flight = 0
            failed = await client.get("/v1/broken")
            refused = await client.get("/v1/refuses")
            return shed, failed, refused, (await client.get("/metrics")).text

    shed, failed, refused, metrics = asyncio.run(run())
    assert shed.status_code == 503 and shed.headers["retry-after"] == "1"
    assert failed.status_code == 500
    assert refused.status_code == 503
    assert [len(app_entries(r)) for r in (shed, failed, refused)] == [1, 1, 1]
    got = counted(metrics)
    assert got[("", "/v1/noop", 503)] == 1 and got[("", "/v1/broken", 500)] == 1
    assert got[("", "/v1/refuses", 503)] == 1


@pytest.mark.parametrize("seed", [1, 2])
def test_engine_labels_stay_bounded_whatever_names_are_asked_for(seed):
    rng = random.Random(seed)
    app = create_app()
    alphabet = "abcXYZ09-_~é漢\U0001f600"
    names = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(200)]
    requests = [(("unknown", "/v1/{engine}/search"), "POST", f"/v1/{n}/search",
                 {"json": {"targets": [1]}}) for n in names]  # fmt: skip
    answers, metrics = asyncio.run(drive(app, requests))
    assert all(r.status_code == 404 for _, r in answers)
    got = counted(metrics)
    assert got[("unknown", "/v1/{engine}/search", 404)] == len(names)
    assert app.state.metrics.cached <= 3  # labels keyed by route, label and status


def test_a_client_gone_while_sending_is_counted_as_499_not_as_our_error():
    app = create_app()
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/v1/native/search", "raw_path": b"/v1/native/search",
             "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1),
             "server": ("127.0.0.1", 2), "headers": [(b"content-length", b"100")]}  # fmt: skip
    sent = []

    async def receive() -> dict:
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    async def run() -> str:
        await app(scope, receive, send)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://peaje") as client:
            return (await client.get("/metrics")).text

    got = counted(asyncio.run(run()))
    assert sent == []
    assert got[("native", "/v1/{engine}/search", 499)] == 1
    assert not any(status >= 500 for (_, _, status) in got)
