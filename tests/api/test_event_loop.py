"""Heavy in-process work runs off the event loop: a slow python search does not hold up small
requests beyond the GIL's switch interval."""

from __future__ import annotations

import threading
import time

import httpx

# Several seconds of pure-Python work, so 20 small requests surely finish while it runs.
BIG = {"dataset": "range:100000", "targets": list(range(0, 100000, 5)), "repeat": 60}


def test_small_requests_answer_while_a_big_python_search_runs(api_url):
    big: dict = {}

    def run_big() -> None:
        with httpx.Client(base_url=api_url, timeout=120) as client:
            start = time.monotonic()
            big["response"] = client.post("/v1/python/search", json=BIG)
            big["seconds"] = time.monotonic() - start

    worker = threading.Thread(target=run_big)
    worker.start()
    latencies = []
    with httpx.Client(base_url=api_url, timeout=30) as client:
        time.sleep(0.3)  # the big search is now in a worker thread
        for _ in range(20):
            start = time.monotonic()
            response = client.post("/v1/native/search", json={"targets": [1, 2]})
            latencies.append(time.monotonic() - start)
            assert response.status_code == 200
        still_running = worker.is_alive()
    worker.join()
    # 200, or 504 when the machine is slow enough for it to pass PEAJE_TIMEOUT (5 s by default).
    assert big["response"].status_code in (200, 504), big["response"].text
    print(f"big search {big['seconds']:.2f}s; small requests max {max(latencies) * 1e3:.1f} ms")
    assert still_running, (
        f"the small requests ended after the big search ({big['seconds']:.2f}s): they waited "
        f"for it (max {max(latencies):.3f}s), so it held the event loop"
    )
    assert max(latencies) < 0.5, latencies  # a blocked loop would hold each for the whole search
