"""Service endpoints, the time breakdown, metrics and the offline docs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from peaje.engine import ENGINES
from peaje.inprocess import BINDINGS
from peaje.remote import ASYNC_CLIENTS

from fixtures.http_engine import ApiProcess

IN_PROCESS = tuple(BINDINGS)  # native, nanobind, cython


def server_timing(response) -> dict[str, float]:
    header = ", ".join(response.headers.get_list("server-timing"))
    return {m[0]: float(m[1]) for m in re.findall(r"(\w+);dur=([0-9.]+)", header)}


def test_healthz_and_readyz(api):
    assert api.get("/healthz").json() == {"status": "alive"}
    ready = api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["engines"] == {name: "ready" for name in ENGINES}
    assert ready.json()["in_flight"] == 0


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_endpoints_answer_head_like_get_without_a_body(api, path):
    head, get = api.head(path), api.get(path)
    assert head.status_code == get.status_code == 200, head.text
    assert head.content == b"" and get.content
    assert head.headers["content-type"] == get.headers["content-type"] == "application/json"


def test_readyz_without_backend_is_503_naming_grpc(api_without_backend):
    response = api_without_backend.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    engines = response.json()["engines"]
    assert all(engines[name] == "ready" for name in ENGINES if name != "grpc")
    assert engines["grpc"] != "ready"
    assert api_without_backend.get("/healthz").status_code == 200


def test_engines_lists_modes_and_states(api):
    engines = {e["name"]: e for e in api.get("/v1/engines").json()["engines"]}
    assert set(engines) == set(ENGINES)
    for name in IN_PROCESS:
        assert engines[name]["modes"] == ["copy", "lazy", "buffer", "resident"]
    assert engines["grpc"]["modes"] == ["copy", "resident"]
    assert all(e["state"] == "ready" for e in engines.values())


@pytest.mark.parametrize("engine", ["python", *IN_PROCESS])
def test_in_process_time_breakdown(api, engine):
    response = api.post(f"/v1/{engine}/search", json={"targets": [5, -1], "mode": "resident"})
    body, timing = response.json(), server_timing(response)
    assert body["indices"] == [5, -1] and body["engine"] == engine
    assert body["engine_ns"] > 0 and body["server_ns"] is None
    assert set(timing) == {"engine", "app"}
    assert timing["engine"] == pytest.approx(body["engine_ns"] / 1e6, abs=0.001)
    assert timing["app"] >= timing["engine"]


def test_grpc_time_breakdown_separates_network_from_server(api):
    response = api.post("/v1/grpc/search", json={"values": [1, 2, 3], "targets": [3]})
    body, timing = response.json(), server_timing(response)
    assert body["indices"] == [2]
    assert 0 < body["server_ns"] < body["engine_ns"]  # the rest is network + serialization
    assert timing["app"] >= timing["engine"] >= timing["server"]
    response = api.post("/v1/grpc/bytes-dict", json={"entries": {"a": "b"}})
    assert response.json()["entries"] == [["YQ==", "Yg=="]]
    assert 0 < response.json()["server_ns"] < response.json()["engine_ns"]


def test_noop_is_the_fronts_floor(api):
    response = api.get("/v1/noop")
    assert response.json() == {"ok": True} and "app" in server_timing(response)


def test_metrics_count_errors_and_resolve_microseconds(api):
    api.post("/v1/native/search", json={"targets": [1]})
    api.post("/v1/native/search", json={"targets": [True]})
    text = api.get("/metrics").text
    labels = 'engine="native",route="/v1/{engine}/search"'
    assert re.search(rf'peaje_http_requests_total{{{labels},status="200"}} [1-9]', text)
    assert re.search(rf'peaje_http_errors_total{{{labels},status="422"}} [1-9]', text)
    for histogram, bucket in [("http_request", "5e-06"), ("engine", "1e-05")]:
        bucket_re = rf'peaje_{histogram}_duration_seconds_bucket{{engine="native",le="{bucket}"'
        assert re.search(bucket_re + r',route="/v1/\{engine\}/search"\}', text), bucket_re
    assert "process_cpu_seconds_total" in text


@pytest.mark.parametrize("page_path", ["/docs", "/redoc"])
def test_docs_render_with_no_internet(api, page_path):
    page = api.get(page_path)
    assert page.status_code == 200
    urls = re.findall(r'(?:src|href|url)\s*[:=]\s*[\'"]([^\'"]+)[\'"]', page.text)
    assert urls and all(u.startswith("/") for u in urls), urls  # all served here
    assert "cdn" not in page.text.lower()
    for url in urls:
        assert api.get(url).status_code == 200, url
    schema = api.get("/openapi.json").json()
    assert {"/v1/{engine}/search", "/v1/{engine}/bytes-dict", "/readyz"} <= set(schema["paths"])
    assert "Problem" in schema["components"]["schemas"]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PAGES = {
    # page: what its DOM shows once the script has fetched /openapi.json and rendered it
    "/docs": ["OAS 3.1", *(f'data-path="{p}"' for p in ("/v1/{engine}/search", "/readyz"))],
    "/redoc": ["redoc-wrap", "/v1/{engine}/bytes-dict", "API docs by Redocly"],
}


def page_requests(netlog: Path, site: str) -> list[str]:
    """URLs the page asked for, from Chromium's net log: requests it initiated, or made in its
    site's network partition. (Chromium's own update and account checks are neither.)"""
    log = json.loads(netlog.read_text())
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in log["events"]:
        params = event.get("params", {})
        if event["type"] != start_job or "url" not in params:
            continue
        if params.get("initiator", "").startswith(site) or params.get(
            "network_isolation_key", ""
        ).startswith(site):
            urls.append(params["url"])
    return urls


@pytest.mark.skipif(CHROMIUM is None, reason="no headless Chromium (apt-get install chromium)")
@pytest.mark.parametrize("page", sorted(PAGES))
def test_docs_render_in_a_browser_with_nothing_fetched_from_outside(api_url, tmp_path, page):
    """The page really runs (it fetches /openapi.json and renders the operations) with every
    host but 127.0.0.1 unresolvable, and asks for nothing beyond this origin."""
    netlog = tmp_path / "net.json"
    dom = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=8000",
         f"--user-data-dir={tmp_path / 'profile'}", f"--log-net-log={netlog}",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # outside: blocked
         "--disable-features=AutofillServerCommunication",  # the browser's own, in the page's name
         "--dump-dom", f"{api_url}{page}"],
        capture_output=True, text=True, timeout=60,
    ).stdout  # fmt: skip
    for marker in PAGES[page]:
        assert marker in dom, (marker, dom[-2000:])
    assert 'alt="redocly logo"' not in dom  # ReDoc's CDN logo: never loaded, so hidden
    requested = page_requests(netlog, "http://127.0.0.1")
    assert f"{api_url}/openapi.json" in requested, requested
    outside = [url for url in requested if not url.startswith(f"{api_url}/")]
    assert not outside, f"{page} asked for {outside}"
    assert "default-src 'self'" in httpx.get(f"{api_url}{page}").headers["content-security-policy"]


@pytest.mark.parametrize("client", ASYNC_CLIENTS)
def test_grpc_time_breakdown_on_each_event_loop_client(grpc_server, client):
    """cpp tells the answer's wait for the loop (queue) from the crossing; grpc.aio cannot."""
    env = {"PEAJE_GRPC_TARGET": grpc_server.tcp_target, "PEAJE_GRPC_CLIENT": client}
    with ApiProcess(env) as process, httpx.Client(base_url=process.url, timeout=30) as http:
        for _ in range(3):
            response = http.post("/v1/grpc/search", json={"targets": [7, -1]})
            body, timing = response.json(), server_timing(response)
            assert body["indices"] == [7, -1]
            assert 0 < body["server_ns"] < body["engine_ns"]
            assert timing["engine"] == pytest.approx(body["engine_ns"] / 1e6, abs=0.001)
            if client == "cpp":
                assert timing["app"] >= timing["engine"] + timing["queue"] - 0.002
            else:
                assert "queue" not in timing and timing["app"] >= timing["engine"]
